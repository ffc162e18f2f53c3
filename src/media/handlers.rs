//! The media library: list, read, edit, delete, and the files themselves.

use actix_web::{delete, get, patch, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{extract::AuthUser, extract::MaybeAuthUser, role::Role};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::pagination::{list_json, Page, Paged, Total};
use crate::http::response::{read_json, Audience};
use crate::http::{self, ApiJson, IfMatch, ListMeta};
use crate::media::dto::{MediaList, MediaListQuery, MediaMetadata, MediaResponse};
use crate::media::model::{MediaRow, RenditionRow};
use crate::media::queries::{self, MediaFilter};
use crate::media::render::{self, Format};
use crate::media::serve::{serve_object, ObjectInfo};
use crate::media::service;
use crate::state::AppState;

/// Registers the media endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(crate::media::upload::upload_media)
        .service(list_media)
        .service(get_media)
        .service(update_media)
        .service(delete_media)
        .service(get_media_file)
        .service(get_media_usage)
        .service(get_rendition);
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cropped renditions change when the focal point moves.
const CROPPED: &str = "public, max-age=86400, stale-while-revalidate=604800";

async fn load(state: &AppState, id: String) -> Result<MediaRow, ApiError> {
    db::query(&state.pool, move |conn| queries::find_by_id(conn, &id))
        .await?
        .ok_or_else(service::not_found)
}

/// Browse the media library (contributor and up).
#[utoipa::path(
    tag = "media",
    params(MediaListQuery, Page, Total),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of assets, newest first", body = MediaList,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page")))),
)]
#[get("/media")]
pub async fn list_media(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Paged<MediaListQuery, true>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let Paged {
        filter: query,
        page,
        with_total,
    } = query;
    let limit = page.limit();
    let after: Option<String> = page.after()?;
    if let Some(kind) = &query.kind {
        if !["image", "video", "audio", "document"].contains(&kind.as_str()) {
            return Err(ApiError::bad_param(
                "kind",
                "must be image, video, audio or document",
            ));
        }
    }
    let filter = MediaFilter {
        kind: query.kind,
        provider: query.provider,
        creator: query.creator,
        q: query.q,
    };
    let (rows, total) = db::run(&state.pool, move |conn| {
        let rows = queries::list_media(conn, &filter, after.as_deref(), limit + 1)?;
        let total = if with_total {
            Some(queries::count_media(conn, &filter)?)
        } else {
            None
        };
        Ok((rows, total))
    })
    .await?;
    let (rows, next_cursor) = http::split_page(rows, limit, |r| r.id.clone());
    let data: Vec<MediaResponse> = rows
        .into_iter()
        .map(|r| MediaResponse::from_row(r, &state.media.widths, true))
        .collect();
    let meta = ListMeta {
        next_cursor,
        limit,
        total,
    };
    Ok(list_json(&req, data, meta, Audience::Staff))
}

/// Get an asset's metadata, credit line and renditions.
///
/// Public; `ed_note` is shown to staff (contributor and up) only.
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Asset id")),
    security((), ("bearer" = [])),
    responses((status = 200, description = "The asset", body = MediaResponse,
        headers(("ETag" = String, description = "`\"<version>\"`")))),
)]
#[get("/media/{id}")]
pub async fn get_media(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let row = load(&state, id.into_inner()).await?;
    let staff = user.0.as_ref().is_some_and(|u| u.role >= Role::Contributor);
    let etag = http::version_etag(row.version);
    let updated_at = row.updated_at;
    let keys = format!("media:{}", row.id);
    let body = http::to_json(&MediaResponse::from_row(row, &state.media.widths, staff));
    if staff {
        let audience = Audience::Private { etag: Some(etag) };
        return Ok(read_json(&req, body, audience));
    }
    // Staff see `ed_note`: the answer depends on the token.
    let mut response = http::public_json(
        &req,
        body,
        http::CacheInfo {
            etag,
            last_modified: Some(updated_at),
            surrogate_keys: keys,
        },
    );
    response.headers_mut().insert(
        actix_web::http::header::VARY,
        actix_web::http::header::HeaderValue::from_static("Authorization"),
    );
    Ok(response)
}

/// Change an asset's metadata (the uploader, or an editor).
///
/// A JSON Merge Patch of `MediaMetadata`: `{"credit": {"provider": null}}`
/// removes the provider and keeps the rest of the credit.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Asset id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the change was based on"),
    ),
    request_body(content = MediaMetadata, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed asset", body = MediaResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/media/{id}")]
pub async fn update_media(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Author)?;
    let id = id.into_inner();
    let expected = if_match.version();
    let (row, stale_keys) = db::run(&state.pool, move |conn| {
        service::update(conn, &user, &id, expected, &body.0)
    })
    .await?;
    for key in stale_keys {
        if let Err(e) = state.store.delete(&key).await {
            tracing::warn!(key, error = %e, "could not delete a stale rendition");
        }
    }
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(
        &mut builder,
        &MediaResponse::from_row(row, &state.media.widths, true),
    ))
}

/// Delete an asset, its file and its renditions (the uploader, or an editor).
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Asset id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the deletion was based on"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "Articles use the asset (see its usage)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/media/{id}")]
pub async fn delete_media(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Author)?;
    let expected = if_match.version();
    let id = id.into_inner();
    let keys = db::run(&state.pool, move |conn| {
        service::delete(conn, &user, &id, expected)
    })
    .await?;
    // The rows are gone; the files follow (a leftover file is harmless, a
    // row without its file is not).
    for key in keys {
        if let Err(e) = state.store.delete(&key).await {
            tracing::warn!(key, error = %e, "could not delete a file of a deleted asset");
        }
    }
    Ok(HttpResponse::NoContent().finish())
}

/// An article that uses an asset.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MediaUsage {
    /// Article id.
    pub id: String,
    /// Article slug.
    pub slug: String,
    /// Headline.
    pub headline: String,
}

/// The articles that use an asset.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MediaUsageList {
    /// Articles, oldest first.
    pub data: Vec<MediaUsage>,
}

/// Which articles use this asset, as lead media or in their body (staff).
#[utoipa::path(
    tag = "media",
    params(("id" = String, Path, description = "Asset id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The articles using the asset", body = MediaUsageList)),
)]
#[get("/media/{id}/usage")]
pub async fn get_media_usage(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let row = load(&state, id.into_inner()).await?;
    let users = db::query(&state.pool, move |conn| {
        crate::articles::queries::using_media(conn, &row.id)
    })
    .await?;
    let list = MediaUsageList {
        data: users
            .into_iter()
            .map(|(id, slug, headline)| MediaUsage { id, slug, headline })
            .collect(),
    };
    Ok(http::private_json(&mut HttpResponse::Ok(), &list))
}

fn content_disposition(name: &str) -> String {
    let ascii: String = deunicode::deunicode(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "inline; filename=\"{}\"; filename*=UTF-8''{encoded}",
        if ascii.is_empty() { "file" } else { &ascii }
    )
}

/// Download the original file.
///
/// Supports `Range` (206) for audio and video scrubbing, and `If-None-Match`
/// with the SHA-256 ETag. The bytes never change, so caches may keep them forever.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Asset id"),
        ("Range" = Option<String>, Header, description = "`bytes=first-last`, one range"),
    ),
    responses(
        (status = 200, description = "The file, with its own media type",
         content((Vec<u8> = "image/*"), (Vec<u8> = "video/*"), (Vec<u8> = "audio/*"), (Vec<u8> = "application/pdf"))),
        (status = 206, description = "The requested range",
         content((Vec<u8> = "image/*"), (Vec<u8> = "video/*"), (Vec<u8> = "audio/*"), (Vec<u8> = "application/pdf"))),
        (status = 304, description = "Not modified"),
        (status = 416, description = "The range lies outside the file", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/media/{id}/file")]
pub async fn get_media_file(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let row = load(&state, id.into_inner()).await?;
    let info = ObjectInfo {
        key: &row.storage_key,
        mime: &row.mime_type,
        len: u64::try_from(row.bytes).unwrap_or(0),
        etag: format!("\"{}\"", row.sha256),
        cache_control: IMMUTABLE,
        disposition: Some(content_disposition(
            row.original_filename.as_deref().unwrap_or("file"),
        )),
        surrogate_keys: format!("media:{}", row.id),
        described_by: Some(format!("/api/v1/media/{}", row.id)),
    };
    serve_object(&req, state.store.as_ref(), info).await
}

/// Query of a rendition.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RenditionQuery {
    /// Crop to this aspect ratio around the focal point, e.g. `16:9`.
    #[param(pattern = "^[0-9]{1,3}:[0-9]{1,3}$", example = "16:9")]
    pub ratio: Option<String>,
}

/// Get a resized copy of an image.
///
/// Only the configured widths exist (others are 404). Made on first request,
/// stored, then served like the original. The asset's credit applies.
#[utoipa::path(
    tag = "media",
    params(
        ("id" = String, Path, description = "Asset id"),
        ("width" = u32, Path, description = "One of the configured widths", example = 640),
        ("format" = String, Path, description = "`webp` or `jpeg`", example = "webp"),
        RenditionQuery,
    ),
    responses(
        (status = 200, description = "The rendition", content((Vec<u8> = "image/webp"), (Vec<u8> = "image/jpeg"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/media/{id}/renditions/{width}.{format}")]
pub async fn get_rendition(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    query: web::Query<RenditionQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, width, format) = path.into_inner();
    let no_such = || ApiError::NotFound("no such rendition".into());
    let width: u32 = width.parse().map_err(|_| no_such())?;
    let format = Format::parse(&format).ok_or_else(no_such)?;
    if !state.media.widths.contains(&width) {
        return Err(no_such());
    }
    let ratio_text = query.into_inner().ratio;
    let ratio = match ratio_text.as_deref() {
        Some(text) => Some(render::parse_ratio(text).ok_or_else(|| {
            ApiError::bad_param("ratio", "must look like 16:9 (each side 1 to 100)")
        })?),
        None => None,
    };
    let row = load(&state, id).await?;
    let original_width = row.width.unwrap_or(0).max(0) as u32;
    let original_height = row.height.unwrap_or(0).max(0) as u32;
    if !render::can_render(&row.mime_type) || width > original_width {
        return Err(no_such());
    }
    // No rendition is wider than what it is cut from (no upscaling), nor
    // taller than its format can hold.
    let (source_width, source_height) = match ratio {
        Some(r) => {
            let focal = (row.focal_x.unwrap_or(0.5), row.focal_y.unwrap_or(0.5));
            let (_, _, w, h) = render::crop_box(original_width, original_height, r, focal);
            (w, h)
        }
        None => (original_width, original_height),
    };
    if width > source_width
        || render::scaled_height(source_width, source_height, width) > format.max_dimension()
    {
        return Err(no_such());
    }
    let ratio_key = ratio.map(|(a, b)| format!("{a}:{b}")).unwrap_or_default();
    let rendition = find_or_make_rendition(&state, &row, width, &ratio_key, ratio, format).await?;
    let info = ObjectInfo {
        key: &rendition.storage_key,
        mime: &rendition.mime_type,
        len: u64::try_from(rendition.bytes).unwrap_or(0),
        etag: format!(
            "\"{}-{}-{}{}\"",
            &row.sha256[..16],
            width,
            ratio_key.replace(':', "x"),
            rendition.format
        ),
        cache_control: if ratio.is_some() { CROPPED } else { IMMUTABLE },
        disposition: None,
        surrogate_keys: format!("media:{}", row.id),
        described_by: Some(format!("/api/v1/media/{}", row.id)),
    };
    serve_object(&req, state.store.as_ref(), info).await
}

async fn find_or_make_rendition(
    state: &AppState,
    row: &MediaRow,
    width: u32,
    ratio_key: &str,
    ratio: Option<(u32, u32)>,
    format: Format,
) -> Result<RenditionRow, ApiError> {
    let (id, rk) = (row.id.clone(), ratio_key.to_string());
    let found = db::query(&state.pool, move |conn| {
        queries::find_rendition(conn, &id, width as i32, &rk, format.as_str())
    })
    .await?;
    if let Some(found) = found {
        return Ok(found);
    }
    let original =
        state.store.read_all(&row.storage_key).await.map_err(|e| {
            ApiError::internal(format!("reading original {}: {e}", row.storage_key))
        })?;
    let started = std::time::Instant::now();
    let mime = row.mime_type.clone();
    let focal = (row.focal_x.unwrap_or(0.5), row.focal_y.unwrap_or(0.5));
    let rendered = web::block(move || {
        let rendered = render::render(&original, &mime, width, ratio, focal, format);
        // The decoded image is gone: give its pages back.
        drop(original);
        crate::alloc::release();
        rendered
    })
    .await
    .map_err(|e| ApiError::internal(format!("rendering: {e}")))?
    .map_err(|e| ApiError::internal(format!("rendering: {e}")))?;
    let suffix = if ratio_key.is_empty() {
        String::new()
    } else {
        format!("-{}", ratio_key.replace(':', "x"))
    };
    let key = format!("renditions/{}/{width}{suffix}.{}", row.id, format.as_str());
    let rendition = RenditionRow {
        media_id: row.id.clone(),
        width: width as i32,
        ratio: ratio_key.to_string(),
        format: format.as_str().to_string(),
        height: rendered.height as i32,
        mime_type: format.mime().to_string(),
        bytes: rendered.bytes.len() as i64,
        storage_key: key.clone(),
        created_at: db::now(),
    };
    state
        .store
        .put_bytes(&key, rendered.bytes)
        .await
        .map_err(|e| ApiError::internal(format!("storing rendition: {e}")))?;
    let stored = rendition.clone();
    db::run(&state.pool, move |conn| {
        service::record_rendition(conn, &stored)
    })
    .await?;
    crate::metrics::global().rendition(started.elapsed());
    Ok(rendition)
}
