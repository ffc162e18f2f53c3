//! Queries on the outbox.

use diesel::prelude::*;

use crate::db::schema::{events, scheduler};
use crate::db::DbConn;
use crate::events::model::{EventRow, NewEvent};

/// Appends an event inside the caller's transaction. On PostgreSQL the
/// transaction first takes an advisory lock held until it ends, so events
/// commit in the order of their positions and a reader paging by position
/// never passes one that commits later. (SQLite writers are serialised.)
pub fn insert(conn: &mut DbConn, event: &NewEvent) -> QueryResult<()> {
    commit_in_order(conn)?;
    diesel::insert_into(events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// Appends events, in the order given.
pub fn insert_many(conn: &mut DbConn, events: &[NewEvent]) -> QueryResult<()> {
    commit_in_order(conn)?;
    // 6 values a row.
    for chunk in events.chunks(1000) {
        crate::db::each_backend!(conn, c => diesel::insert_into(events::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// On PostgreSQL, the advisory lock that makes transactions writing events
/// commit in the order of their positions (see [`insert`]).
fn commit_in_order(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7413572)").execute(pg)?;
    }
    Ok(())
}

/// Events after `after`, oldest first; only public ones unless `all`.
pub fn after(conn: &mut DbConn, after: i64, limit: i64, all: bool) -> QueryResult<Vec<EventRow>> {
    let mut query = events::table
        .filter(events::position.gt(after))
        .select(EventRow::as_select())
        .into_boxed();
    if !all {
        query = query.filter(events::public.eq(true));
    }
    query.order(events::position.asc()).limit(limit).load(conn)
}

/// The position of the newest event (0 when there is none).
pub fn head(conn: &mut DbConn) -> QueryResult<i64> {
    let newest: Option<i64> = events::table
        .select(diesel::dsl::max(events::position))
        .first(conn)?;
    Ok(newest.unwrap_or(0))
}

/// The row of the scheduler that says how far events were pruned.
const PRUNED: &str = "events";

/// The last position among the (at most `limit`) oldest events created
/// before `cutoff`.
pub fn oldest_before(
    conn: &mut DbConn,
    cutoff: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Option<i64>> {
    // Most ticks find nothing old enough: the index on the time answers
    // that at once, where the query below would walk every event in
    // position order looking for one (6% of a busy server's CPU at 100,000
    // events).
    let oldest: Option<chrono::NaiveDateTime> = events::table
        .select(diesel::dsl::min(events::created_at))
        .first(conn)?;
    if oldest.is_none_or(|t| t >= cutoff) {
        return Ok(None);
    }
    let positions: Vec<i64> = events::table
        .filter(events::created_at.lt(cutoff))
        .order(events::position.asc())
        .limit(limit)
        .select(events::position)
        .load(conn)?;
    Ok(positions.last().copied())
}

/// Deletes events through `position` and records it; how many went.
pub fn prune_through(conn: &mut DbConn, position: i64) -> QueryResult<usize> {
    let pruned =
        diesel::delete(events::table.filter(events::position.le(position))).execute(conn)?;
    let now = crate::db::now();
    let updated = diesel::update(scheduler::table.find(PRUNED))
        .set(scheduler::mark.eq(position))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(scheduler::table)
            .values((
                scheduler::name.eq(PRUNED),
                scheduler::until.eq(now),
                scheduler::mark.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(pruned)
}

/// The last pruned position (0 when nothing was pruned).
pub fn pruned_through(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(scheduler::table
        .find(PRUNED)
        .select(scheduler::mark)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}
