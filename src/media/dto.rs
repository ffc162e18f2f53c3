//! Wire types of media.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};
use crate::http::ListMeta;
use crate::media::credit::derive_credit_line;
use crate::media::model::{MediaMetadataColumns, MediaRow};

/// Who made an asset, who supplied it, and on what terms (IPTC / ninjs names).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "creators": ["Lena Brandt"], "provider": "Northwire Photo", "source": "https://media.northwire.example/12345",
    "copyright_holder": "Northwire Photo", "copyright_notice": "© Northwire Photo", "license": "LicenseRef-Northwire-Editorial",
    "usage_terms": "Editorial use only", "rights_expire_at": null
}))]
pub struct Credit {
    /// The people who made it: photographer, illustrator, camera operator.
    #[serde(default)]
    pub creators: Vec<String>,
    /// The agency or supplier.
    pub provider: Option<String>,
    /// Where it came from, e.g. a media bank URL.
    pub source: Option<String>,
    /// Who holds the copyright.
    pub copyright_holder: Option<String>,
    /// The notice to print, e.g. "© Northwire Photo".
    pub copyright_notice: Option<String>,
    /// SPDX id or free text.
    pub license: Option<String>,
    /// Restrictions, e.g. "Editorial use only".
    pub usage_terms: Option<String>,
    /// When the right to use it ends (RFC 3339).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub rights_expire_at: Option<DateTime<Utc>>,
}

/// The point of interest, kept inside crops: x and y from 0 (left/top) to 1.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FocalPoint {
    /// 0 (left) to 1 (right).
    #[schema(schema_with = focal_x)]
    pub x: f64,
    /// 0 (top) to 1 (bottom).
    #[schema(schema_with = focal_y)]
    pub y: f64,
}

/// A coordinate from 0 to 1: any JSON number in range is taken (as the
/// server parses it), so the schema names no binary `format` (a fuzzer reads
/// `double` as "refuse 1e-400", which rounds to 0 and is fine).
fn fraction(description: &str, example: f64) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Number)
        .description(Some(description))
        .examples([serde_json::json!(example)])
        .minimum(Some(0.0))
        .maximum(Some(1.0))
        .build()
}

fn focal_x() -> utoipa::openapi::Object {
    fraction("0 (left) to 1 (right).", 0.5)
}

fn focal_y() -> utoipa::openapi::Object {
    fraction("0 (top) to 1 (bottom).", 0.35)
}

/// The editable metadata of an asset: the `metadata` part of an upload, and
/// the document a PATCH (JSON Merge Patch) applies to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Harbour at dawn", "alt_text": "Fishing boats moored in a misty harbour",
    "caption": "Boats wait out the fog in the old harbour.",
    "credit": {"creators": ["Lena Brandt"], "provider": "Northwire Photo", "copyright_notice": "© Northwire Photo", "usage_terms": "Editorial use only"},
    "focal_point": {"x": 0.5, "y": 0.4}, "keywords": ["harbour", "fishing"]
}))]
pub struct MediaMetadata {
    /// Title (at most 300 characters).
    pub title: Option<String>,
    /// Text alternative for screen readers (at most 1000 characters).
    pub alt_text: Option<String>,
    /// Caption (at most 5000 characters).
    pub caption: Option<String>,
    /// Credit and rights.
    #[serde(default)]
    pub credit: Credit,
    /// Overrides the derived credit line; `null` goes back to deriving it.
    pub credit_line: Option<String>,
    /// Point of interest for crops.
    pub focal_point: Option<FocalPoint>,
    /// Keywords (at most 50).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// When the picture was taken (RFC 3339).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub taken_at: Option<DateTime<Utc>>,
    /// Internal note for staff; never shown to the public.
    pub ed_note: Option<String>,
}

/// Trims a text field, empties it when blank, and checks length and characters.
fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &mut Option<String>,
    max: usize,
    multiline: bool,
) {
    let Some(v) = value.take() else {
        return;
    };
    let allowed: &[char] = if multiline { &['\n', '\t'] } else { &[] };
    match crate::validation::checked_text(field, &v, max, allowed) {
        Ok(v) if !v.is_empty() => *value = Some(v),
        Ok(_) => {}
        Err(e) => errors.push(e),
    }
}

/// Checks each entry of a list like a text field and bounds its length.
fn check_list(
    errors: &mut Vec<FieldError>,
    field: &str,
    values: &mut Vec<String>,
    max_items: usize,
    max_chars: usize,
) {
    let mut cleaned = Vec::new();
    for v in values.drain(..) {
        let mut item = Some(v);
        check_text(errors, field, &mut item, max_chars, false);
        cleaned.extend(item);
    }
    if cleaned.len() > max_items {
        errors.push(FieldError::new(
            field,
            format!("must have at most {max_items} entries"),
        ));
    }
    *values = cleaned;
}

fn parse_json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn utc(t: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    t.map(|t| DateTime::<Utc>::from_naive_utc_and_offset(t, Utc))
}

impl MediaMetadata {
    /// The metadata stored in a row.
    pub fn from_row(row: &MediaRow) -> Self {
        Self {
            title: row.title.clone(),
            alt_text: row.alt_text.clone(),
            caption: row.caption.clone(),
            credit: Credit {
                creators: parse_json_list(&row.creators),
                provider: row.provider.clone(),
                source: row.source.clone(),
                copyright_holder: row.copyright_holder.clone(),
                copyright_notice: row.copyright_notice.clone(),
                license: row.license.clone(),
                usage_terms: row.usage_terms.clone(),
                rights_expire_at: utc(row.rights_expire_at),
            },
            credit_line: row.credit_line.clone(),
            focal_point: row
                .focal_x
                .zip(row.focal_y)
                .map(|(x, y)| FocalPoint { x, y }),
            keywords: parse_json_list(&row.keywords),
            taken_at: utc(row.taken_at),
            ed_note: row.ed_note.clone(),
        }
    }

    /// Trims text, drops empty values, and checks lengths and ranges.
    pub fn validated(mut self) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        check_text(e, "title", &mut self.title, 300, false);
        check_text(e, "alt_text", &mut self.alt_text, 1000, false);
        check_text(e, "caption", &mut self.caption, 5000, true);
        check_text(e, "credit_line", &mut self.credit_line, 500, false);
        check_text(e, "ed_note", &mut self.ed_note, 5000, true);
        let c = &mut self.credit;
        check_text(e, "credit.provider", &mut c.provider, 300, false);
        check_text(e, "credit.source", &mut c.source, 1000, false);
        check_text(
            e,
            "credit.copyright_holder",
            &mut c.copyright_holder,
            300,
            false,
        );
        check_text(
            e,
            "credit.copyright_notice",
            &mut c.copyright_notice,
            300,
            false,
        );
        check_text(e, "credit.license", &mut c.license, 300, false);
        check_text(e, "credit.usage_terms", &mut c.usage_terms, 1000, true);
        check_list(e, "credit.creators", &mut c.creators, 20, 200);
        check_list(e, "keywords", &mut self.keywords, 50, 100);
        if let Some(p) = self.focal_point {
            if !(0.0..=1.0).contains(&p.x) || !(0.0..=1.0).contains(&p.y) {
                errors.push(FieldError::new(
                    "focal_point",
                    "x and y must be from 0 to 1",
                ));
            }
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The columns this metadata is stored in.
    pub fn columns(&self) -> MediaMetadataColumns {
        let naive = |t: Option<DateTime<Utc>>| t.map(|t| crate::db::truncate(t.naive_utc()));
        MediaMetadataColumns {
            title: self.title.clone(),
            alt_text: self.alt_text.clone(),
            caption: self.caption.clone(),
            creators: serde_json::to_string(&self.credit.creators).unwrap_or_else(|_| "[]".into()),
            provider: self.credit.provider.clone(),
            source: self.credit.source.clone(),
            copyright_holder: self.credit.copyright_holder.clone(),
            copyright_notice: self.credit.copyright_notice.clone(),
            license: self.credit.license.clone(),
            usage_terms: self.credit.usage_terms.clone(),
            rights_expire_at: naive(self.credit.rights_expire_at),
            credit_line: self.credit_line.clone(),
            focal_x: self.focal_point.map(|p| p.x),
            focal_y: self.focal_point.map(|p| p.y),
            keywords: serde_json::to_string(&self.keywords).unwrap_or_else(|_| "[]".into()),
            taken_at: naive(self.taken_at),
            ed_note: self.ed_note.clone(),
        }
    }
}

/// One resized copy of an image, ready for `srcset`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RenditionResponse {
    /// Where to fetch it (made on first request, then stored).
    #[schema(example = "/api/v1/media/0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a/renditions/640.webp")]
    pub url: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// Media type.
    #[schema(example = "image/webp")]
    pub mime_type: String,
}

/// A media asset.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaResponse {
    /// UUIDv7.
    pub id: String,
    /// `image`, `video`, `audio` or `document`.
    #[schema(example = "image")]
    pub kind: String,
    /// Decided from the bytes, not the file name.
    #[schema(example = "image/jpeg")]
    pub mime_type: String,
    /// Size of the original in bytes.
    pub bytes: i64,
    /// SHA-256 of the original, hex; also its ETag.
    pub sha256: String,
    /// Pixel width (images).
    pub width: Option<i32>,
    /// Pixel height (images).
    pub height: Option<i32>,
    /// Length in seconds, where known.
    pub duration_seconds: Option<f64>,
    /// The uploaded file name, reduced to safe characters.
    pub original_filename: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Caption.
    pub caption: Option<String>,
    /// Credit and rights.
    pub credit: Credit,
    /// The line to print under the asset: the editor's override, else derived
    /// ("© Provider / Creator").
    #[schema(example = "© Northwire Photo / Lena Brandt")]
    pub credit_line: Option<String>,
    /// Point of interest for crops.
    pub focal_point: Option<FocalPoint>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// When it was taken.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub taken_at: Option<String>,
    /// Internal note; present only for staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ed_note: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: Option<String>,
    /// The original file.
    #[schema(example = "/api/v1/media/0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a/file")]
    pub file_url: String,
    /// Resized copies (images), narrowest first, in each format.
    pub renditions: Vec<RenditionResponse>,
    /// Concurrency version; the ETag of the JSON is `"<version>"`.
    pub version: i64,
    /// Uploaded (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// Last changed (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
}

/// Rendition formats offered, in `srcset` preference order.
pub const RENDITION_FORMATS: [(&str, &str); 2] = [("webp", "image/webp"), ("jpeg", "image/jpeg")];

impl MediaResponse {
    /// The response for a row; `staff` decides whether `ed_note` shows.
    pub fn from_row(row: MediaRow, widths: &[u32], staff: bool) -> Self {
        let meta = MediaMetadata::from_row(&row);
        let derived = derive_credit_line(
            &meta.credit.creators,
            meta.credit.copyright_notice.as_deref(),
            meta.credit.copyright_holder.as_deref(),
            meta.credit.provider.as_deref(),
        );
        let base = format!("/api/v1/media/{}", row.id);
        let mut renditions = Vec::new();
        if let (Some(w), Some(h), true) = (
            row.width,
            row.height,
            crate::media::render::can_render(&row.mime_type),
        ) {
            let (w, h) = (w.max(1) as u32, h.max(1) as u32);
            for (format, mime) in RENDITION_FORMATS {
                for &width in widths.iter().filter(|&&width| width <= w) {
                    renditions.push(RenditionResponse {
                        url: format!("{base}/renditions/{width}.{format}"),
                        width,
                        height: crate::media::render::scaled_height(w, h, width),
                        mime_type: mime.to_string(),
                    });
                }
            }
        }
        Self {
            file_url: format!("{base}/file"),
            renditions,
            credit_line: meta.credit_line.clone().or(derived),
            id: row.id,
            kind: row.kind,
            mime_type: row.mime_type,
            bytes: row.bytes,
            sha256: row.sha256,
            width: row.width,
            height: row.height,
            duration_seconds: row.duration_seconds,
            original_filename: row.original_filename,
            title: meta.title,
            alt_text: meta.alt_text,
            caption: meta.caption,
            credit: meta.credit,
            focal_point: meta.focal_point,
            keywords: meta.keywords,
            taken_at: row.taken_at.map(crate::http::format_time),
            ed_note: if staff { meta.ed_note } else { None },
            uploaded_by: row.uploaded_by,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A page of media.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaList {
    /// Newest first.
    pub data: Vec<MediaResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// Query of `GET /api/v1/media`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MediaListQuery {
    /// Only this kind: image, video, audio or document.
    #[param(pattern = "^(image|video|audio|document)$")]
    pub kind: Option<String>,
    /// Only assets from this provider (case-insensitive).
    pub provider: Option<String>,
    /// Only assets by this creator (case-insensitive, part of a name).
    pub creator: Option<String>,
    /// Words in the title, caption, alt text or credits.
    pub q: Option<String>,
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
pub struct UploadForm {
    /// The file. Its type is read from its bytes: JPEG, PNG, WebP, GIF, AVIF,
    /// MP4, WebM, MP3 or PDF.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Optional metadata as a JSON document (see `MediaMetadata`). Credit
    /// embedded in a JPEG (IPTC, XMP, EXIF) fills what this leaves out.
    #[schema(value_type = Option<MediaMetadata>, example = json!({"credit": {"provider": "Northwire Photo"}}))]
    pub metadata: Option<String>,
}
