//! Database rows of the outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::events;
use crate::events::kind::EventKind;

/// A row of `events`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    /// Order of the feed.
    pub position: i64,
    /// UUIDv7, stable for receivers' dedupe.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// The article, asset, section or comment it happened to.
    pub resource_id: String,
    /// Whether anonymous readers may see it.
    pub public: bool,
    /// JSON of [`crate::events::dto::EventData`].
    pub data: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A new row of `events` (the position is the database's).
#[derive(Debug, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    /// UUIDv7.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
    /// The resource.
    pub resource_id: String,
    /// Whether anonymous readers may see it.
    pub public: bool,
    /// JSON.
    pub data: String,
    /// When.
    pub created_at: NaiveDateTime,
}
