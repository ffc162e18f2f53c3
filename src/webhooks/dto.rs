//! Wire types of webhook administration and of the delivery log.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};

use crate::events::kind::EventKind;
use crate::http::ListMeta;
use crate::webhooks::model::{DeliveryRow, DeliveryStatus, WebhookRow};

/// The resources whose events a wildcard (`article.*`) names.
pub const RESOURCES: &[&str] = &["article", "media", "section", "comment"];

/// Every event type a subscription may name: the types, the wildcards of
/// each resource, and `*`.
pub fn patterns() -> Vec<String> {
    let mut all = vec!["*".to_string()];
    all.extend(RESOURCES.iter().map(|r| format!("{r}.*")));
    all.extend(EventKind::ALL.iter().map(|k| k.as_str().to_string()));
    all
}

/// An event type (`article.published`), a resource's wildcard
/// (`article.*`), or `*` for every event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventPattern(pub String);

impl utoipa::PartialSchema for EventPattern {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(patterns()))
            .description(Some(
                "An event type, a resource's wildcard (`article.*`) or `*` for every event",
            ))
            .into()
    }
}

impl ToSchema for EventPattern {}

/// A webhook endpoint as admins see it (the secret is shown only when it is
/// made or rotated).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a",
    "url": "https://build.example.com/hooks/newsdesk",
    "event_types": ["article.*", "section.updated"],
    "description": "Rebuild the static site", "enabled": true,
    "disabled_reason": null, "failing_since": null,
    "previous_secret_expires_at": null, "version": 1,
    "created_at": "2026-11-28T09:30:00Z", "updated_at": "2026-11-28T09:30:00Z"
}))]
pub struct WebhookResponse {
    /// UUIDv7.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it receives.
    pub event_types: Vec<EventPattern>,
    /// What it is for.
    pub description: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Why the server disabled it: the receiver answered 410, or every
    /// attempt failed for days. Cleared when an admin enables it again.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (`null`: the last one succeeded).
    #[serde(serialize_with = "crate::http::response::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failing_since: Option<NaiveDateTime>,
    /// Until when the secret before the last rotation still signs.
    #[serde(serialize_with = "crate::http::response::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub previous_secret_expires_at: Option<NaiveDateTime>,
    /// Concurrency version; the ETag is `"<version>"`.
    pub version: i64,
    /// Created (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// Last changed (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

impl From<WebhookRow> for WebhookResponse {
    fn from(row: WebhookRow) -> Self {
        let now = crate::db::now();
        Self {
            event_types: row.patterns().into_iter().map(EventPattern).collect(),
            previous_secret_expires_at: row.previous_secret_until.filter(|t| *t > now),
            id: row.id,
            url: row.url,
            description: row.description,
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new endpoint, with its signing secret: store it now, it is not shown
/// again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookResponse,
    /// `whsec_` and the base64 key that signs every delivery (Standard
    /// Webhooks).
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwF0k8tHTzq6w=")]
    pub secret: String,
}

/// A rotated secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret: it signs every delivery from now on.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwF0k8tHTzq6w=")]
    pub secret: String,
    /// Until when the previous secret signs too (24 hours): deliveries carry
    /// both signatures meanwhile, so the receiver can switch at leisure.
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub previous_secret_expires_at: NaiveDateTime,
}

/// A page of endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Endpoints, oldest first.
    pub data: Vec<WebhookResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "url": "https://build.example.com/hooks/newsdesk",
    "event_types": ["article.*", "section.updated"],
    "description": "Rebuild the static site"
}))]
pub struct CreateWebhookRequest {
    /// An http or https URL. Loopback, link-local and private addresses are
    /// refused unless the server allows them; redirects are not followed.
    #[schema(
        format = "uri",
        max_length = 2000,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+$"
    )]
    pub url: String,
    /// The event types to receive, 1 to 50.
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Vec<EventPattern>,
    /// What it is for (at most 500 characters).
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Whether deliveries are made (default true).
    pub enabled: Option<bool>,
}

/// Changes to an endpoint (JSON Merge Patch). Setting `enabled` to true
/// re-enables an endpoint the server disabled and resumes its queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true}))]
pub struct UpdateWebhookRequest {
    /// New URL.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = String, format = "uri", max_length = 2000, pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+$")]
    pub url: Option<Option<String>>,
    /// New event types, 1 to 50.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Vec<EventPattern>, min_items = 1, max_items = 50)]
    pub event_types: Option<Option<Vec<EventPattern>>>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// Whether deliveries are made.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = bool)]
    pub enabled: Option<Option<bool>>,
}

/// One event (or ping) for one endpoint, with its last attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    /// UUIDv7: the `webhook-id` header of every attempt.
    pub id: String,
    /// The endpoint.
    pub webhook_id: String,
    /// The event's position in the change feed (`null` for a ping).
    pub event_position: Option<i64>,
    /// The event type, or `webhook.ping`.
    #[schema(example = "article.published")]
    pub event_type: String,
    /// Where it is: `pending` (waiting for an attempt), `succeeded` or
    /// `failed` (every attempt failed, or the receiver answered 410).
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due.
    #[serde(serialize_with = "crate::http::response::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<NaiveDateTime>,
    /// When the last attempt was made.
    #[serde(serialize_with = "crate::http::response::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<NaiveDateTime>,
    /// The HTTP status of the last answer.
    pub response_status: Option<i32>,
    /// The first kilobyte of the last answer.
    pub response_body: Option<String>,
    /// Why the last attempt got no answer (timeout, connection refused).
    pub error: Option<String>,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// The body sent: `{type, timestamp, data}`.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Made (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
}

impl From<DeliveryRow> for DeliveryResponse {
    fn from(row: DeliveryRow) -> Self {
        Self {
            payload: serde_json::from_str(&row.payload).unwrap_or_default(),
            id: row.id,
            webhook_id: row.webhook_id,
            event_position: row.event_position,
            event_type: row.event_type,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_attempt_at: row.last_attempt_at,
            response_status: row.response_status,
            response_body: row.response_body,
            error: row.error,
            duration_ms: row.duration_ms,
            created_at: row.created_at,
        }
    }
}

/// A page of the delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Deliveries, newest first.
    pub data: Vec<DeliveryResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// Filters of the delivery log.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
}
