//! Queries on webhook endpoints and their deliveries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::cached;
use crate::db::schema::{webhook_deliveries as deliveries, webhooks};
use crate::db::DbConn;
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, WebhookRow};

/// Saves a new endpoint.
pub fn insert(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<()> {
    diesel::insert_into(webhooks::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// An endpoint by id.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// A page of endpoints, oldest first, after id `after`.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QueryResult<Vec<WebhookRow>> {
    let mut query = webhooks::table
        .select(WebhookRow::as_select())
        .order(webhooks::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(webhooks::id.gt(after.to_string()));
    }
    query.load(conn)
}

/// Writes an endpoint's admin-controlled fields and version.
pub fn save(conn: &mut DbConn, row: &WebhookRow) -> QueryResult<()> {
    diesel::update(webhooks::table.find(&row.id))
        .set((
            webhooks::url.eq(&row.url),
            webhooks::event_types.eq(&row.event_types),
            webhooks::description.eq(&row.description),
            webhooks::enabled.eq(row.enabled),
            webhooks::disabled_reason.eq(&row.disabled_reason),
            webhooks::secret.eq(&row.secret),
            webhooks::previous_secret.eq(&row.previous_secret),
            webhooks::previous_secret_until.eq(row.previous_secret_until),
            webhooks::due_at.eq(row.due_at),
            webhooks::failing_since.eq(row.failing_since),
            webhooks::version.eq(row.version),
            webhooks::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Deletes an endpoint and its delivery log.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(deliveries::table.filter(deliveries::webhook_id.eq(id))).execute(conn)?;
    diesel::delete(webhooks::table.find(id)).execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Claimable {
    #[diesel(sql_type = Text)]
    id: String,
}

/// The statement of an endpoint with work at a time bound twice, between
/// these three pieces.
const DUE: [&str; 3] = [
    "SELECT id FROM webhooks WHERE enabled AND (lease_until IS NULL OR lease_until < ",
    ") AND ((due_at IS NOT NULL AND due_at <= ",
    ") OR (due_at IS NULL AND event_cursor < (SELECT COALESCE(MAX(position), 0) FROM events))) \
     ORDER BY COALESCE(due_at, created_at), id LIMIT 1",
];

/// An endpoint with work, if any (`lock`: with `FOR UPDATE SKIP LOCKED` on
/// PostgreSQL, inside a transaction). Kept prepared: every server asks it
/// every 100 ms, and `sql_query` had PostgreSQL plan it each time (0.4-0.7
/// ms).
fn candidate(conn: &mut DbConn, now: NaiveDateTime, lock: bool) -> QueryResult<Option<String>> {
    let [head, middle, tail] = DUE;
    let found = match conn {
        DbConn::Postgres(pg) => {
            let tail = if lock {
                format!("{tail} FOR UPDATE SKIP LOCKED")
            } else {
                tail.to_string()
            };
            cached::statement::<diesel::pg::Pg>(head)
                .bind::<Timestamp, _>(now, middle)
                .bind::<Timestamp, _>(now, tail)
                .get_result::<Claimable>(pg)
                .optional()?
        }
        DbConn::Sqlite(lite) => cached::statement::<diesel::sqlite::Sqlite>(head)
            .bind::<Timestamp, _>(now, middle)
            .bind::<Timestamp, _>(now, tail)
            .get_result::<Claimable>(lite)
            .optional()?,
    };
    Ok(found.map(|c| c.id))
}

/// Whether some endpoint has work (a read: no lock taken).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    Ok(candidate(conn, now, false)?.is_some())
}

/// Takes the lease on one enabled endpoint that has work: a pending
/// delivery due, or events after its cursor. Run it in a write
/// transaction. On PostgreSQL the candidate is locked with `FOR UPDATE SKIP
/// LOCKED`, so servers claiming at once take different endpoints; on both
/// backends the lease is set only where it is free or expired, so no two
/// servers ever hold one endpoint.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    token: &str,
    until: NaiveDateTime,
) -> QueryResult<Option<WebhookRow>> {
    let candidate = candidate(conn, now, true)?;
    let Some(id) = candidate else {
        return Ok(None);
    };
    let taken = diesel::update(
        webhooks::table.find(&id).filter(
            webhooks::lease_until
                .is_null()
                .or(webhooks::lease_until.lt(now)),
        ),
    )
    .set((
        webhooks::lease_token.eq(token),
        webhooks::lease_until.eq(until),
    ))
    .execute(conn)?;
    if taken == 0 {
        return Ok(None);
    }
    find(conn, &id)
}

/// The endpoint, if the lease `token` still holds it.
pub fn held(conn: &mut DbConn, id: &str, token: &str) -> QueryResult<Option<WebhookRow>> {
    webhooks::table
        .find(id)
        .filter(webhooks::lease_token.eq(token))
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
}

/// Extends the lease.
pub fn renew(conn: &mut DbConn, id: &str, token: &str, until: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        webhooks::table
            .find(id)
            .filter(webhooks::lease_token.eq(token)),
    )
    .set(webhooks::lease_until.eq(until))
    .execute(conn)
    .map(|n| n > 0)
}

/// Gives the lease back, saying when the endpoint next has work due
/// (`None`: when a new event comes).
pub fn release(
    conn: &mut DbConn,
    id: &str,
    token: &str,
    due_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(
        webhooks::table
            .find(id)
            .filter(webhooks::lease_token.eq(token)),
    )
    .set((
        webhooks::lease_token.eq(None::<String>),
        webhooks::lease_until.eq(None::<NaiveDateTime>),
        webhooks::due_at.eq(due_at),
    ))
    .execute(conn)
    .map(drop)
}

/// Moves the endpoint's cursor past events turned into deliveries.
pub fn advance(conn: &mut DbConn, id: &str, cursor: i64) -> QueryResult<()> {
    diesel::update(webhooks::table.find(id))
        .set(webhooks::event_cursor.eq(cursor))
        .execute(conn)
        .map(drop)
}

/// Records whether the endpoint is failing (and whether the server
/// disabled it, and why).
pub fn set_health(
    conn: &mut DbConn,
    id: &str,
    failing_since: Option<NaiveDateTime>,
    disabled_reason: Option<&str>,
) -> QueryResult<()> {
    let target = webhooks::table.find(id);
    match disabled_reason {
        Some(reason) => diesel::update(target)
            .set((
                webhooks::failing_since.eq(failing_since),
                webhooks::enabled.eq(false),
                webhooks::disabled_reason.eq(reason),
                webhooks::version.eq(webhooks::version + 1),
            ))
            .execute(conn),
        None => diesel::update(target)
            .set(webhooks::failing_since.eq(failing_since))
            .execute(conn),
    }
    .map(drop)
}

/// Saves new deliveries.
pub fn insert_deliveries(conn: &mut DbConn, rows: &[DeliveryRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// The endpoint's oldest pending delivery: the head of its queue.
pub fn head_of_queue(conn: &mut DbConn, webhook_id: &str) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .filter(deliveries::webhook_id.eq(webhook_id))
        .filter(deliveries::status.eq(DeliveryStatus::Pending))
        .order((deliveries::event_position.asc(), deliveries::id.asc()))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// A delivery of an endpoint.
pub fn find_delivery(
    conn: &mut DbConn,
    webhook_id: &str,
    id: &str,
) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .find(id)
        .filter(deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Writes the outcome of an attempt.
pub fn record(conn: &mut DbConn, row: &DeliveryRow) -> QueryResult<()> {
    diesel::update(deliveries::table.find(&row.id))
        .set((
            deliveries::status.eq(row.status),
            deliveries::attempts.eq(row.attempts),
            deliveries::next_attempt_at.eq(row.next_attempt_at),
            deliveries::last_attempt_at.eq(row.last_attempt_at),
            deliveries::response_status.eq(row.response_status),
            deliveries::response_body.eq(&row.response_body),
            deliveries::error.eq(&row.error),
            deliveries::duration_ms.eq(row.duration_ms),
        ))
        .execute(conn)
        .map(drop)
}

/// A page of an endpoint's delivery log, newest first, before id `before`.
pub fn log(
    conn: &mut DbConn,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = deliveries::table
        .filter(deliveries::webhook_id.eq(webhook_id))
        .select(DeliveryRow::as_select())
        .order(deliveries::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(deliveries::status.eq(status));
    }
    if let Some(before) = before {
        query = query.filter(deliveries::id.lt(before.to_string()));
    }
    query.load(conn)
}

/// Deliveries waiting for their first or next attempt, over all endpoints
/// (the queue's depth, for the metrics).
pub fn pending_count(conn: &mut DbConn) -> QueryResult<i64> {
    deliveries::table
        .filter(deliveries::status.eq(DeliveryStatus::Pending))
        .count()
        .get_result(conn)
}

/// Endpoints enabled and disabled, for the metrics.
pub fn endpoint_counts(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    let all: i64 = webhooks::table.count().get_result(conn)?;
    let enabled: i64 = webhooks::table
        .filter(webhooks::enabled.eq(true))
        .count()
        .get_result(conn)?;
    Ok((enabled, all - enabled))
}
