//! Database rows of `media` and `media_renditions`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{media, media_renditions};

/// A row of `media`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    pub id: String,
    pub kind: String,
    pub mime_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_seconds: Option<f64>,
    pub original_filename: Option<String>,
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    /// JSON array of names.
    pub creators: String,
    pub provider: Option<String>,
    pub source: Option<String>,
    pub copyright_holder: Option<String>,
    pub copyright_notice: Option<String>,
    pub license: Option<String>,
    pub usage_terms: Option<String>,
    pub rights_expire_at: Option<NaiveDateTime>,
    /// The editor's override of the derived credit line.
    pub credit_line: Option<String>,
    pub focal_x: Option<f64>,
    pub focal_y: Option<f64>,
    /// JSON array of keywords.
    pub keywords: String,
    pub taken_at: Option<NaiveDateTime>,
    pub ed_note: Option<String>,
    pub uploaded_by: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What is known of a stored file before it becomes an asset.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub kind: String,
    pub mime_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_seconds: Option<f64>,
    pub original_filename: Option<String>,
}

impl MediaRow {
    /// A new asset (version 1, now) of a stored file with its metadata.
    pub fn new(file: StoredFile, m: MediaMetadataColumns, uploaded_by: Option<String>) -> Self {
        let now = crate::db::now();
        Self {
            id: crate::db::new_id(),
            kind: file.kind,
            mime_type: file.mime_type,
            bytes: file.bytes,
            sha256: file.sha256,
            storage_key: file.storage_key,
            width: file.width,
            height: file.height,
            duration_seconds: file.duration_seconds,
            original_filename: file.original_filename,
            title: m.title,
            alt_text: m.alt_text,
            caption: m.caption,
            creators: m.creators,
            provider: m.provider,
            source: m.source,
            copyright_holder: m.copyright_holder,
            copyright_notice: m.copyright_notice,
            license: m.license,
            usage_terms: m.usage_terms,
            rights_expire_at: m.rights_expire_at,
            credit_line: m.credit_line,
            focal_x: m.focal_x,
            focal_y: m.focal_y,
            keywords: m.keywords,
            taken_at: m.taken_at,
            ed_note: m.ed_note,
            uploaded_by,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The editable columns, all written at once (`None` writes NULL).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = media, treat_none_as_null = true)]
pub struct MediaMetadataColumns {
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub creators: String,
    pub provider: Option<String>,
    pub source: Option<String>,
    pub copyright_holder: Option<String>,
    pub copyright_notice: Option<String>,
    pub license: Option<String>,
    pub usage_terms: Option<String>,
    pub rights_expire_at: Option<NaiveDateTime>,
    pub credit_line: Option<String>,
    pub focal_x: Option<f64>,
    pub focal_y: Option<f64>,
    pub keywords: String,
    pub taken_at: Option<NaiveDateTime>,
    pub ed_note: Option<String>,
}

/// A row of `media_renditions`: a stored resized copy.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = media_renditions)]
pub struct RenditionRow {
    pub media_id: String,
    pub width: i32,
    /// `""` for the original aspect ratio, else like `16:9`.
    pub ratio: String,
    pub format: String,
    pub height: i32,
    pub mime_type: String,
    pub bytes: i64,
    pub storage_key: String,
    pub created_at: NaiveDateTime,
}
