//! Database rows of webhook endpoints and their deliveries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{webhook_deliveries, webhooks};

crate::text_enum! {
    /// Where a delivery is.
    pub enum DeliveryStatus {
        /// Waiting for its (next) attempt.
        Pending = "pending",
        /// A 2xx answer came.
        Succeeded = "succeeded",
        /// Every attempt failed, or the endpoint answered 410 or was disabled.
        Failed = "failed",
    }
}

/// A row of `webhooks`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    /// UUIDv7.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// JSON array of event types and wildcards.
    pub event_types: String,
    /// What it is for.
    pub description: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the server disabled it (410, failing for days).
    pub disabled_reason: Option<String>,
    /// `whsec_…`: signs every delivery.
    pub secret: String,
    /// The secret before the last rotation, still signing until
    /// `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// Until when the previous secret signs too.
    pub previous_secret_until: Option<NaiveDateTime>,
    /// The last event position turned into deliveries.
    pub event_cursor: i64,
    /// When the oldest pending delivery is due (`None`: none pending).
    pub due_at: Option<NaiveDateTime>,
    /// The holder of the lease on this endpoint's deliveries.
    pub lease_token: Option<String>,
    /// Until when the lease holds.
    pub lease_until: Option<NaiveDateTime>,
    /// Since when every attempt failed (`None`: the last one succeeded).
    pub failing_since: Option<NaiveDateTime>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed by an admin.
    pub updated_at: NaiveDateTime,
}

impl WebhookRow {
    /// The event types and wildcards it subscribes to.
    pub fn patterns(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    /// The secrets that sign a delivery made at `now`: the current one, and
    /// the previous one for a day after a rotation.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until) {
            if now < until {
                secrets.push(previous);
            }
        }
        secrets
    }
}

/// Whether `kind` matches one of `patterns` (`article.published`,
/// `article.*` or `*`).
pub fn matches(patterns: &[String], kind: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || p == kind
            || p.strip_suffix(".*")
                .is_some_and(|prefix| kind.split('.').next() == Some(prefix))
    })
}

/// A row of `webhook_deliveries`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    /// UUIDv7, sent as `webhook-id` on every attempt.
    pub id: String,
    /// The endpoint.
    pub webhook_id: String,
    /// The event (`None` for a ping).
    pub event_position: Option<i64>,
    /// The event type (`webhook.ping` for a ping).
    pub event_type: String,
    /// The body sent, fixed when the delivery was made.
    pub payload: String,
    /// Where it is.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<NaiveDateTime>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<NaiveDateTime>,
    /// The HTTP status of the last answer.
    pub response_status: Option<i32>,
    /// The first bytes of the last answer.
    pub response_body: Option<String>,
    /// Why the last attempt failed without an answer (timeout, refused).
    pub error: Option<String>,
    /// How long the last attempt took.
    pub duration_ms: Option<i32>,
    /// Made.
    pub created_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_types_and_wildcards() {
        let p = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&p(&["*"]), "media.deleted"));
        assert!(matches(&p(&["article.*"]), "article.published"));
        assert!(!matches(&p(&["article.*"]), "comment.created"));
        assert!(matches(&p(&["comment.created"]), "comment.created"));
        assert!(!matches(&p(&["comment.created"]), "comment.deleted"));
        assert!(!matches(&p(&[]), "article.created"));
    }

    #[test]
    fn delivery_statuses_round_trip() {
        for status in DeliveryStatus::ALL {
            assert_eq!(serde_json::to_value(status).expect("json"), status.as_str());
            assert_eq!(status.as_str().parse::<DeliveryStatus>(), Ok(*status));
        }
    }
}
