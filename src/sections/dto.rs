//! Wire types of sections.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::ListMeta;
use crate::sections::model::SectionRow;

/// A section of the site.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a", "slug": "europe", "name": "Europe", "url": "https://news.example/europe",
    "description": "Politics, economies and people across the continent.",
    "parent_id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b00", "position": 1, "version": 3,
    "created_at": "2026-11-26T09:30:00Z", "updated_at": "2026-11-26T10:02:00Z"
}))]
pub struct SectionResponse {
    /// UUIDv7.
    pub id: String,
    /// Unique URL name, lower-case ASCII with hyphens.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The section's page on the site (`NEWSDESK_SECTION_PATH`).
    #[schema(example = "https://news.example/world")]
    pub url: String,
    /// What the section covers, for its front page and meta description.
    pub description: Option<String>,
    /// The parent section; `null` for a top-level section.
    pub parent_id: Option<String>,
    /// Order among siblings, ascending.
    pub position: i32,
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

impl From<SectionRow> for SectionResponse {
    fn from(row: SectionRow) -> Self {
        Self {
            url: crate::urls::get().section(&row.slug),
            id: row.id,
            slug: row.slug,
            name: row.name,
            description: row.description,
            parent_id: row.parent_id,
            position: row.position,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of sections.
#[derive(Debug, Serialize, ToSchema)]
pub struct SectionList {
    /// Sections by position, then name.
    pub data: Vec<SectionResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// Query of `GET /api/v1/sections`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionListQuery {
    /// Only the children of this section (id or slug).
    #[param(example = "world")]
    pub parent: Option<String>,
}

/// A new section.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Europe", "description": "Politics, economies and people across the continent.", "parent_id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b00", "position": 1}))]
pub struct CreateSectionRequest {
    /// Display name, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// URL name; made from `name` when absent (any script is transliterated:
    /// "Россия" becomes `rossiya`).
    #[schema(pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100)]
    pub slug: Option<String>,
    /// What the section covers (at most 2000 characters).
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Parent section id.
    pub parent_id: Option<String>,
    /// Order among siblings (default 0).
    pub position: Option<i32>,
}

/// Changes to a section (JSON Merge Patch: absent fields stay, `null` clears
/// `description` or makes the section top-level via `parent_id`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Europe & Central Asia"}))]
pub struct UpdateSectionRequest {
    /// New display name.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = String, min_length = 1, max_length = 120)]
    pub name: Option<Option<String>>,
    /// New slug.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = String, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100)]
    pub slug: Option<Option<String>>,
    /// New description; `null` removes it.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    /// New parent id; `null` makes the section top-level.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
    /// New position.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = i32)]
    pub position: Option<Option<i32>>,
}
