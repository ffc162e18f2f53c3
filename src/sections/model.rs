//! Database rows of `sections`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::sections;

/// A row of `sections`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = sections)]
pub struct SectionRow {
    /// UUIDv7.
    pub id: String,
    /// Unique URL name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// What the section covers, shown on its front page.
    pub description: Option<String>,
    /// The parent section, for nested navigation.
    pub parent_id: Option<String>,
    /// Sort order among siblings (ascending).
    pub position: i32,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
}

/// The changes a PATCH applies (`Some(None)` clears a nullable column).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = sections)]
pub struct SectionChanges {
    /// New slug.
    pub slug: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New description, or `Some(None)` to clear it.
    pub description: Option<Option<String>>,
    /// New parent, or `Some(None)` to make it top-level.
    pub parent_id: Option<Option<String>>,
    /// New position.
    pub position: Option<i32>,
}
