//! Every change of a webhook endpoint happens here (admins only): creating,
//! changing, rotating its secret, deleting, and recording the attempts an
//! admin makes by hand (a ping, a replay).

use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::http::conditional::check_if_match;
use crate::validation::checked_text;
use crate::webhooks::address;
use crate::webhooks::deliver::Outcome;
use crate::webhooks::dto::{self, CreateWebhookRequest, EventPattern, UpdateWebhookRequest};
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, WebhookRow};
use crate::webhooks::queries;
use crate::webhooks::signing;

const MAX_DESCRIPTION_CHARS: usize = 500;
const MAX_PATTERNS: usize = 50;
/// How long the secret before a rotation still signs.
pub const ROTATION_OVERLAP: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The answer for an id that names no endpoint.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such webhook".into())
}

fn check_patterns(patterns: &[EventPattern]) -> Result<String, FieldError> {
    if patterns.is_empty() || patterns.len() > MAX_PATTERNS {
        return Err(FieldError::new(
            "event_types",
            format!("must name 1 to {MAX_PATTERNS} event types"),
        ));
    }
    let known = dto::patterns();
    let mut kept: Vec<String> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        if !known.contains(&p.0) {
            return Err(FieldError::new(
                format!("event_types[{i}]"),
                format!(
                    "`{}` is not an event type: name one (`article.published`), a \
                     resource's wildcard (`article.*`) or `*`",
                    p.0
                ),
            ));
        }
        if !kept.contains(&p.0) {
            kept.push(p.0.clone());
        }
    }
    serde_json::to_string(&kept).map_err(|_| FieldError::new("event_types", "cannot be stored"))
}

fn check_url(url: &str, allow_private: bool) -> Result<String, FieldError> {
    address::check_url(url, allow_private)
        .map(|_| url.to_string())
        .map_err(|why| FieldError::new("url", why))
}

fn check_description(text: &str) -> Result<String, FieldError> {
    checked_text("description", text, MAX_DESCRIPTION_CHARS, &[])
}

/// Registers an endpoint; it receives the events that happen from now on.
/// Returns it with its secret (shown once).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: CreateWebhookRequest,
    allow_private: bool,
) -> Result<WebhookRow, ApiError> {
    actor.require(Role::Admin)?;
    let mut errors = Vec::new();
    let url = check_url(&input.url, allow_private)
        .map_err(|e| errors.push(e))
        .ok();
    let patterns = check_patterns(&input.event_types)
        .map_err(|e| errors.push(e))
        .ok();
    let description = check_description(input.description.as_deref().unwrap_or(""))
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(url), Some(event_types), Some(description), true) =
        (url, patterns, description, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    db::write_tx(conn, |conn| {
        let now = db::now();
        let row = WebhookRow {
            id: db::new_id(),
            url,
            event_types,
            description,
            enabled: input.enabled.unwrap_or(true),
            disabled_reason: None,
            secret: signing::new_secret(),
            previous_secret: None,
            previous_secret_until: None,
            event_cursor: crate::events::queries::head(conn)?,
            due_at: None,
            lease_token: None,
            lease_until: None,
            failing_since: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        queries::insert(conn, &row)?;
        Ok(row)
    })
}

fn load(conn: &mut DbConn, id: &str, expected: Option<i64>) -> Result<WebhookRow, ApiError> {
    let row = queries::find(conn, id)?.ok_or_else(not_found)?;
    check_if_match(expected, row.version)?;
    Ok(row)
}

/// Changes an endpoint. Enabling it clears the reason the server disabled
/// it for and resumes its queue at once.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    patch: UpdateWebhookRequest,
    allow_private: bool,
) -> Result<WebhookRow, ApiError> {
    actor.require(Role::Admin)?;
    let mut errors = Vec::new();
    let url = match &patch.url {
        Some(Some(url)) => check_url(url, allow_private)
            .map_err(|e| errors.push(e))
            .ok(),
        Some(None) => {
            errors.push(FieldError::new("url", "must not be null"));
            None
        }
        None => None,
    };
    let patterns = match &patch.event_types {
        Some(Some(p)) => check_patterns(p).map_err(|e| errors.push(e)).ok(),
        Some(None) => {
            errors.push(FieldError::new("event_types", "must not be null"));
            None
        }
        None => None,
    };
    let description = match &patch.description {
        Some(text) => check_description(text.as_deref().unwrap_or(""))
            .map_err(|e| errors.push(e))
            .ok(),
        None => None,
    };
    if patch.enabled == Some(None) {
        errors.push(FieldError::new("enabled", "must not be null"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    db::write_tx(conn, |conn| {
        let mut row = load(conn, id, expected)?;
        let now = db::now();
        if let Some(url) = url {
            row.url = url;
        }
        if let Some(patterns) = patterns {
            row.event_types = patterns;
        }
        if let Some(description) = description {
            row.description = description;
        }
        if let Some(Some(enabled)) = patch.enabled {
            if enabled && !row.enabled {
                row.disabled_reason = None;
                row.failing_since = None;
                row.due_at = Some(now);
            }
            row.enabled = enabled;
        }
        row.version += 1;
        row.updated_at = now;
        queries::save(conn, &row)?;
        Ok(row)
    })
}

/// Gives an endpoint a new secret; the old one signs too for a day.
pub fn rotate_secret(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<WebhookRow, ApiError> {
    actor.require(Role::Admin)?;
    db::write_tx(conn, |conn| {
        let mut row = load(conn, id, None)?;
        let now = db::now();
        row.previous_secret = Some(std::mem::replace(&mut row.secret, signing::new_secret()));
        row.previous_secret_until = Some(now + ROTATION_OVERLAP);
        row.version += 1;
        row.updated_at = now;
        queries::save(conn, &row)?;
        Ok(row)
    })
}

/// Deletes an endpoint and its delivery log.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    actor.require(Role::Admin)?;
    db::write_tx(conn, |conn| {
        load(conn, id, expected)?;
        Ok(queries::delete(conn, id)?)
    })
}

/// Saves a ping before it is sent, so that its attempt is in the log.
pub fn start_ping(
    conn: &mut DbConn,
    actor: &Actor,
    delivery: &DeliveryRow,
) -> Result<(), ApiError> {
    actor.require(Role::Admin)?;
    Ok(queries::insert_deliveries(
        conn,
        std::slice::from_ref(delivery),
    )?)
}

/// Records an attempt an admin asked for (a ping or a replay): it succeeds
/// or fails on its own, without retries; a pending delivery that fails
/// keeps its place and schedule in the queue.
pub fn record_manual(
    conn: &mut DbConn,
    actor: &Actor,
    mut delivery: DeliveryRow,
    outcome: &Outcome,
) -> Result<DeliveryRow, ApiError> {
    actor.require(Role::Admin)?;
    outcome.apply(&mut delivery);
    let queued = delivery.event_position.is_some() && delivery.status == DeliveryStatus::Pending;
    if outcome.succeeded() {
        delivery.status = DeliveryStatus::Succeeded;
        delivery.next_attempt_at = None;
    } else if !queued {
        delivery.status = DeliveryStatus::Failed;
        delivery.next_attempt_at = None;
    }
    queries::record(conn, &delivery)?;
    Ok(delivery)
}
