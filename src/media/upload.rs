//! `POST /api/v1/media`: the multipart body is streamed to a scratch file
//! while it is hashed and counted, never held whole in memory. The type comes
//! from the bytes; images are checked; equal bytes return the asset that
//! already has them. A failure at any point leaves no row and no file.

use std::path::PathBuf;

use actix_multipart::{Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::auth::{extract::AuthUser, role::Role};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::{self, parse_json};
use crate::media::dto::{MediaMetadata, MediaResponse, UploadForm};
use crate::media::inspect::{self, Embedded, Refusal};
use crate::media::model::{MediaRow, StoredFile};
use crate::media::sniff::{self, FileType, Kind, SNIFF_LEN};
use crate::media::{queries, service};
use crate::state::AppState;
use crate::storage;

const METADATA_LIMIT: usize = 64 * 1024;

/// Removes its file when dropped, unless the file was moved into the store.
struct ScratchFile(PathBuf);

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The file part, written to scratch.
struct Received {
    scratch: ScratchFile,
    bytes: u64,
    sha256: String,
    head: Vec<u8>,
    declared_type: Option<String>,
    filename: Option<String>,
}

fn multipart_error(err: MultipartError) -> ApiError {
    match err {
        MultipartError::ContentTypeMissing | MultipartError::ContentTypeIncompatible => {
            ApiError::UnsupportedMediaType("the upload must be multipart/form-data".into())
        }
        MultipartError::Payload(e) if crate::http::limits::timed_out(&e) => {
            crate::http::limits::too_slow()
        }
        other => ApiError::bad_request(format!("malformed multipart body: {other}")),
    }
}

/// Upload a media file (author and up).
///
/// `multipart/form-data` with a `file` part and an optional `metadata` part
/// (JSON, see `MediaMetadata`). The type is read from the bytes: JPEG, PNG,
/// WebP, GIF, AVIF, MP4, WebM, MP3 and PDF are accepted; SVG and HTML are
/// refused because they carry scripts. A JPEG's embedded IPTC, XMP or EXIF
/// credit fills whatever `metadata` leaves out. Uploading bytes that are
/// already stored returns the existing asset with 200.
#[utoipa::path(
    tag = "media",
    request_body(content(
        (UploadForm = "multipart/form-data", encoding(("metadata" = (content_type = "application/json"))))
    )),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new asset", body = MediaResponse,
         headers(("Location" = String, description = "URL of the new asset"))),
        (status = 200, description = "These bytes were uploaded before: the existing asset", body = MediaResponse),
        (status = 413, description = "Larger than the upload limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not an accepted file type, or the bytes contradict the declared type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, damaged or oversized image, or bad metadata", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/media")]
pub async fn upload_media(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    use crate::metrics::Upload;
    let answer = receive(&state, &user, &req, payload).await;
    // The decoded image and the upload's buffers are gone: give the pages back.
    crate::alloc::release();
    crate::metrics::global().upload(match &answer {
        Ok(res) if res.status() == actix_web::http::StatusCode::CREATED => Upload::Created,
        Ok(_) => Upload::Duplicate,
        Err(_) => Upload::Refused,
    });
    answer
}

async fn receive(
    state: &AppState,
    user: &AuthUser,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Author)?;
    let max = state.media.max_upload;
    let declared_len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|n| n > max + METADATA_LIMIT as u64 + 16 * 1024) {
        return Err(too_large(max));
    }
    let mut multipart = Multipart::new(req.headers(), payload);
    let mut metadata: Option<MediaMetadata> = None;
    let mut received: Option<Received> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "metadata" => {
                let mut body = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    if body.len() + chunk.len() > METADATA_LIMIT {
                        return Err(ApiError::PayloadTooLarge(format!(
                            "the metadata part may be at most {METADATA_LIMIT} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                // An empty part is an absent one.
                if !body.iter().all(u8::is_ascii_whitespace) {
                    metadata = Some(parse_json(&body)?);
                }
            }
            "file" if received.is_some() => {
                return Err(ApiError::invalid("file", "send one file per upload"));
            }
            "file" => {
                let declared_type = field.content_type().map(|m| m.essence_str().to_string());
                let filename = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .and_then(sanitize_filename);
                let path = crate::storage::scratch::new_path(state.store.scratch_dir());
                let scratch = ScratchFile(path);
                let file = tokio::fs::File::create(&scratch.0)
                    .await
                    .map_err(|e| ApiError::internal(format!("scratch file: {e}")))?;
                let mut writer = tokio::io::BufWriter::with_capacity(256 * 1024, file);
                let mut hasher = Sha256::new();
                let mut bytes = 0u64;
                let mut head = Vec::with_capacity(SNIFF_LEN);
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    crate::metrics::global().upload_received(chunk.len() as u64);
                    bytes += chunk.len() as u64;
                    if bytes > max {
                        return Err(too_large(max));
                    }
                    if head.len() < SNIFF_LEN {
                        let take = (SNIFF_LEN - head.len()).min(chunk.len());
                        head.extend_from_slice(&chunk[..take]);
                    }
                    hasher.update(&chunk);
                    writer
                        .write_all(&chunk)
                        .await
                        .map_err(|e| ApiError::internal(format!("writing scratch file: {e}")))?;
                }
                writer
                    .flush()
                    .await
                    .map_err(|e| ApiError::internal(format!("writing scratch file: {e}")))?;
                let sha256 = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                received = Some(Received {
                    scratch,
                    bytes,
                    sha256,
                    head,
                    declared_type,
                    filename,
                });
            }
            other => {
                return Err(ApiError::invalid(
                    other,
                    "unknown form field: send `file` and optionally `metadata`",
                ));
            }
        }
    }
    let received = received.ok_or_else(|| ApiError::invalid("file", "is required"))?;
    let metadata = metadata.unwrap_or_default();
    store_upload(state, user, received, metadata).await
}

fn too_large(max: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!("uploads may be at most {max} bytes"))
}

/// Checks the received file and turns it into an asset.
async fn store_upload(
    state: &AppState,
    user: &AuthUser,
    received: Received,
    metadata: MediaMetadata,
) -> Result<HttpResponse, ApiError> {
    if received.bytes == 0 {
        return Err(ApiError::invalid("file", "is empty"));
    }
    let file_type = check_type(&received)?;
    let mut width = None;
    let mut height = None;
    let mut embedded = Embedded::default();
    let mut duration_seconds = None;
    if file_type.mime == "video/mp4" {
        let path = received.scratch.0.clone();
        duration_seconds = web::block(move || inspect::mp4_duration(&path))
            .await
            .ok()
            .flatten();
    }
    if file_type.kind == Kind::Image {
        let path = received.scratch.0.clone();
        let max_pixels = state.media.max_pixels;
        let inspected = web::block(move || inspect::inspect_image(&path, file_type, max_pixels))
            .await
            .map_err(|e| ApiError::internal(format!("image check: {e}")))?;
        match inspected {
            Ok(i) => {
                width = i.width;
                height = i.height;
                embedded = i.embedded;
            }
            Err(Refusal::TooLarge { width, height }) => {
                return Err(ApiError::invalid(
                    "file",
                    format!("the image is {width}×{height} pixels; at most {max_pixels} pixels are accepted", max_pixels = state.media.max_pixels),
                ))
            }
            Err(Refusal::Damaged(why)) => {
                return Err(ApiError::invalid("file", format!("is not a readable {}: {why}", file_type.mime)))
            }
        }
    }
    let metadata = prefill(metadata, embedded).validated()?;

    let sha256 = received.sha256.clone();
    if let Some(existing) = db::query(&state.pool, move |conn| {
        queries::find_by_sha256(conn, &sha256)
    })
    .await?
    {
        return Ok(respond(state, existing, false));
    }
    let key = storage::original_key(&received.sha256, file_type.extensions[0]);
    state
        .store
        .put_file(&key, &received.scratch.0)
        .await
        .map_err(|e| ApiError::internal(format!("storing upload: {e}")))?;
    let row = MediaRow::new(
        StoredFile {
            kind: file_type.kind.as_str().to_string(),
            mime_type: file_type.mime.to_string(),
            bytes: i64::try_from(received.bytes).unwrap_or(i64::MAX),
            sha256: received.sha256.clone(),
            storage_key: key.clone(),
            width,
            height,
            duration_seconds,
            original_filename: received.filename.clone(),
        },
        metadata.columns(),
        Some(user.id.clone()),
    );
    let outcome = db::run(&state.pool, move |conn| service::register(conn, &row)).await;
    match outcome {
        Ok((row, created)) => Ok(respond(state, row, created)),
        Err(e) => {
            // No row points at the stored file unless another upload made one.
            let sha256 = received.sha256.clone();
            let referenced = db::query(&state.pool, move |conn| {
                queries::find_by_sha256(conn, &sha256)
            })
            .await
            .map(|r| r.is_some())
            .unwrap_or(true);
            if !referenced {
                if let Err(del) = state.store.delete(&key).await {
                    tracing::error!(key, error = %del, "could not remove the file of a failed upload");
                }
            }
            Err(e)
        }
    }
}

fn respond(state: &AppState, row: MediaRow, created: bool) -> HttpResponse {
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header(("Location", format!("/api/v1/media/{}", row.id)))
        .insert_header(("ETag", http::version_etag(row.version)));
    http::private_json(
        &mut builder,
        &MediaResponse::from_row(row, &state.media.widths, true),
    )
}

/// The type from the bytes, refusing markup and contradictions between the
/// bytes and the declared type or file-name extension.
fn check_type(received: &Received) -> Result<FileType, ApiError> {
    let Some(detected) = sniff::detect(&received.head) else {
        if sniff::looks_like_markup(&received.head) {
            return Err(ApiError::UnsupportedMediaType(
                "SVG, HTML and other markup are refused: they can carry scripts".into(),
            ));
        }
        return Err(ApiError::UnsupportedMediaType(
            "not an accepted file type: JPEG, PNG, WebP, GIF, AVIF, MP4, WebM, MP3 or PDF".into(),
        ));
    };
    if let Some(declared) = received.declared_type.as_deref() {
        let neutral = declared.is_empty() || declared == "application/octet-stream";
        let agrees = sniff::type_for_mime(declared).is_some_and(|t| t.mime == detected.mime);
        if !neutral && !agrees {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the file was declared {declared} but its bytes are {}",
                detected.mime
            )));
        }
    }
    if let Some(by_name) = received
        .filename
        .as_deref()
        .and_then(sniff::type_for_extension)
    {
        if by_name.mime != detected.mime {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the file name says {} but its bytes are {}",
                by_name.mime, detected.mime
            )));
        }
    }
    Ok(detected)
}

/// Fills what the editor left out from what the file itself says.
fn prefill(mut meta: MediaMetadata, embedded: Embedded) -> MediaMetadata {
    let credit = &mut meta.credit;
    if credit.creators.is_empty() {
        credit.creators = embedded.creators;
    }
    credit.provider = credit.provider.take().or(embedded.provider);
    credit.source = credit.source.take().or(embedded.source);
    credit.copyright_notice = credit.copyright_notice.take().or(embedded.copyright_notice);
    meta.caption = meta.caption.take().or(embedded.caption);
    meta.title = meta.title.take().or(embedded.title);
    if meta.keywords.is_empty() {
        meta.keywords = embedded.keywords;
    }
    meta.taken_at = meta.taken_at.or_else(|| {
        embedded
            .taken_at
            .map(|t| chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc))
    });
    meta
}

/// The last path segment of a client's file name, reduced to letters,
/// digits, spaces and `._-`, at most 200 characters.
pub fn sanitize_filename(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(200)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    (!cleaned.is_empty()).then_some(cleaned)
}
