//! Wire types of the change feed.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::events::kind::EventKind;
use crate::events::model::EventRow;
use crate::http::format_time;

/// What a subscriber needs to act on an event. Public events carry nothing
/// of a draft: ids, the public slug and status, and the purge keys.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct EventData {
    /// The article concerned (article and comment events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Its slug, or the section's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// The article's locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The article's section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_id: Option<String>,
    /// The resource's version after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// The article's or comment's status after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The `Surrogate-Key` values this change makes stale, space-separated:
    /// purge them from a CDN.
    #[schema(
        example = "article:0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a section:0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b00 articles"
    )]
    pub surrogate_keys: String,
}

/// One change, in the order of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    /// Order of the feed: pass the last one seen as `after` to resume.
    #[schema(example = 1042)]
    pub position: i64,
    /// Stable id of the event (UUIDv7).
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The article, asset, section or comment it happened to.
    pub resource_id: String,
    /// What a subscriber needs to act.
    pub data: EventData,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

impl From<EventRow> for EventResponse {
    fn from(row: EventRow) -> Self {
        Self {
            position: row.position,
            id: row.id,
            kind: row.kind,
            resource_id: row.resource_id,
            data: serde_json::from_str(&row.data).unwrap_or_default(),
            created_at: format_time(row.created_at),
        }
    }
}

/// `meta` of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventMeta {
    /// The page size used.
    #[schema(example = 100)]
    pub limit: i64,
    /// The position to pass as `after` next: the last event of this page, or
    /// the `after` that was asked for when there is nothing new.
    #[schema(example = 1042)]
    pub last_position: i64,
}

/// A page of the change feed, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Events after `after`.
    pub data: Vec<EventResponse>,
    /// Where to resume.
    pub meta: EventMeta,
}

/// Query of the change feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// Only events after this position (0 or absent: from the oldest kept).
    #[serde(default, deserialize_with = "de_position")]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub after: Option<i64>,
    /// Page size, 1 to 100 (default 100).
    #[serde(default, deserialize_with = "crate::http::pagination::de_limit")]
    #[param(minimum = 1, maximum = 100, value_type = Option<i64>)]
    pub limit: Option<i64>,
}

/// A position in the query string: an integer of 0 or more.
pub fn de_position<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n)),
        _ => Err(serde::de::Error::custom(
            "query parameter `after` must be a position: an integer of 0 or more",
        )),
    }
}
