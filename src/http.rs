//! HTTP plumbing shared by every resource: the strict JSON body extractor,
//! query-string errors that name the parameter, cursors, and the caching and
//! concurrency headers of API.md.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::BytesMut;
use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// `Cache-Control` of public reads: CDNs and browsers may keep a response a
/// minute and serve it stale for ten while they revalidate.
pub const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=600";

/// `Cache-Control` of anything that depends on the caller's token.
pub const PRIVATE_CACHE: &str = "private, no-store";

/// A JSON request body, parsed strictly: the content type must be JSON, the
/// body at most [`JSON_LIMIT`] bytes, and a field that does not fit is a 422
/// that names it.
pub struct ApiJson<T>(pub T);

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json_content_type(req);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            let too_large = || {
                ApiError::PayloadTooLarge(format!("a JSON body may be at most {JSON_LIMIT} bytes"))
            };
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(too_large());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

/// Parses a JSON body: a syntax error is a 400, a value that does not fit the
/// type is a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    // Every body this API takes is an object; serde would also read a struct
    // from an array, which no client means.
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    // No text we store may hold NUL: PostgreSQL refuses it, and no
    // newsroom text needs it. Refused here once for every endpoint.
    if let Some(path) = find_nul(&value, String::new()) {
        return Err(ApiError::invalid(
            &path,
            "must not contain the NUL character",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        json_error(err.into_inner(), &path)
    })
}

/// The path of the first string (or key) in `value` that contains NUL.
fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.clone()
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(here()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{}[{i}]", here()))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(here());
            }
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            find_nul(v, child)
        }),
        _ => None,
    }
}

fn json_error(inner: serde_json::Error, path: &str) -> ApiError {
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            // serde_path_to_error's path already ends in an unknown field's name.
            let field = match path {
                "." | "" => unknown_field_name(&message).unwrap_or_else(|| "body".to_string()),
                path => path.to_string(),
            };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The name in serde's "unknown field `x`" message.
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Turns actix's query-string errors into 400s that name the parameter.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let message = match &err {
        actix_web::error::QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    let (detail, param) = if let Some(name) = unknown_field_name(&message) {
        (
            message.replacen("unknown field", "unknown query parameter", 1),
            Some(name),
        )
    } else if let Some(rest) = message.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or("").to_string();
        (
            format!("query parameter `{name}` is given more than once"),
            Some(name),
        )
    } else if let Some(rest) = message.strip_prefix("query parameter `") {
        (message.clone(), rest.split('`').next().map(str::to_string))
    } else {
        (format!("invalid query string: {message}"), None)
    };
    let errors = param
        .map(|p| {
            let prefix = format!("query parameter `{p}` ");
            let message = detail.strip_prefix(&prefix).unwrap_or(&detail).to_string();
            vec![FieldError::new(p, message)]
        })
        .unwrap_or_default();
    ApiError::BadRequest { detail, errors }.into()
}

/// Deserializes `limit` (1..=100), with an error that names it.
pub fn de_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.parse::<i64>() {
        Ok(n) if (1..=100).contains(&n) => Ok(Some(n)),
        _ => Err(serde::de::Error::custom(
            "query parameter `limit` must be an integer from 1 to 100",
        )),
    }
}

/// Deserializes `include_total` (`true` or `false`), with an error that names it.
pub fn de_include_total<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(
            "query parameter `include_total` must be true or false",
        )),
    }
}

/// Deserializes `include_subsections` (`true` or `false`), with an error that names it.
pub fn de_include_subsections<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(
            "query parameter `include_subsections` must be true or false",
        )),
    }
}

/// Lets a JSON Merge Patch tell `"field": null` (clear) from an absent field.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Serializes a stored UTC timestamp as RFC 3339 with `Z`.
pub fn rfc3339<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

/// Formats a stored UTC timestamp as RFC 3339 with `Z`, to the second.
pub fn format_time(t: NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Applies an RFC 7396 JSON Merge Patch to a document.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in changes {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(
                    map.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

/// A text field: at most `max` characters counted as sent (as the schema's
/// maxLength counts them, surrounding white space included), no control
/// characters but those in `allowed`; returned trimmed ("" when blank).
pub fn checked_text(
    field: &str,
    raw: &str,
    max: usize,
    allowed: &[char],
) -> Result<String, FieldError> {
    let text = raw.trim();
    if raw.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else if text
        .chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
    {
        Err(FieldError::new(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(text.to_string())
    }
}

/// Refuses a merge patch naming fields the document does not have. A `null`
/// for an unknown field would otherwise pass silently (it removes nothing),
/// while the schema says unknown fields are refused.
pub fn check_patch_fields(
    target: &serde_json::Value,
    patch: &serde_json::Value,
) -> Result<(), ApiError> {
    fn walk(
        target: &serde_json::Value,
        patch: &serde_json::Value,
        prefix: &str,
        errors: &mut Vec<FieldError>,
    ) {
        let (Some(target), Some(patch)) = (target.as_object(), patch.as_object()) else {
            return;
        };
        for (key, value) in patch {
            let path = format!("{prefix}{key}");
            match target.get(key) {
                None => errors.push(FieldError::new(&path, "is not a field of this resource")),
                Some(inner) => walk(inner, value, &format!("{path}."), errors),
            }
        }
    }
    let mut errors = Vec::new();
    walk(target, patch, "", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The `meta` of every list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The page size used.
    #[schema(example = 20)]
    pub limit: i64,
    /// How many items match in all; only with `include_total=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 20;

/// Cuts a page from `limit + 1` fetched rows: the extra row only tells that a
/// next page exists, and the cursor is the key of the last row kept.
pub fn split_page<T, K: Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let cursor = rows.last().map(|r| encode_cursor(&key(r)));
    (rows, cursor)
}

/// Encodes a keyset position as an opaque cursor.
pub fn encode_cursor<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The position a list's `cursor` parameter names; `cursor=` (empty) is the first page.
pub fn page_cursor<T: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
}

/// Adds `Link: <…>; rel="next"` to a list response when there is a next page.
pub fn add_next_link(response: &mut HttpResponse, req: &HttpRequest, next_cursor: Option<&str>) {
    if let Some(value) = next_cursor.and_then(|c| next_link(req, c).parse().ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is a 400 naming `cursor`.
pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, ApiError> {
    let bad = || ApiError::bad_param("cursor", "is not a cursor this server issued");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(bad());
    }
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// The `Link: <…>; rel="next"` header value for the next page of this request.
pub fn next_link(req: &HttpRequest, next_cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .collect();
    pairs.push(("cursor".into(), next_cursor.into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{}?{}>; rel=\"next\"", req.path(), query)
}

/// The strong ETag of a resource version: `"<version>"`.
pub fn version_etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A strong ETag over response bytes, for lists.
pub fn content_etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn etag_list_matches(header_value: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    header_value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == bare)
}

/// Whether `If-None-Match` names this ETag (weak comparison, as RFC 9110 asks for GET).
pub fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| etag_list_matches(v, etag))
}

/// The version an `If-Match` header asks for: `None` when absent or `*`.
/// A value that is not `"<version>"` is a malformed header: 400.
pub fn if_match_version(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("").trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .trim_start_matches("W/")
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::BadRequest {
            detail: "If-Match must be an ETag of this resource, \"<version>\", or *".into(),
            errors: vec![FieldError::new("If-Match", "must be \"<version>\" or *")],
        })
}

/// Checks `If-Match` against the current version: 412 when stale.
pub fn check_if_match(expected: Option<i64>, current: i64) -> Result<(), ApiError> {
    match expected {
        Some(v) if v != current => Err(ApiError::PreconditionFailed(format!(
            "the resource is at version {current}, not {v}: reload it and apply your change again"
        ))),
        _ => Ok(()),
    }
}

/// What a public, cacheable response names about itself.
pub struct CacheInfo {
    /// Strong ETag.
    pub etag: String,
    /// The newest change in the response.
    pub last_modified: Option<NaiveDateTime>,
    /// Space-separated CDN purge keys.
    pub surrogate_keys: String,
}

/// A public JSON response with ETag, Last-Modified, Cache-Control and
/// Surrogate-Key; a matching `If-None-Match` gets a bodiless 304.
pub fn public_json(req: &HttpRequest, body: Vec<u8>, cache: CacheInfo) -> HttpResponse {
    let mut builder = if not_modified(req, &cache.etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, cache.etag.clone()))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header(("Surrogate-Key", cache.surrogate_keys));
    if let Some(t) = cache.last_modified {
        let http_date = DateTime::<Utc>::from_naive_utc_and_offset(t, Utc)
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        builder.insert_header((header::LAST_MODIFIED, http_date));
    }
    if not_modified(req, &cache.etag) {
        return builder.finish();
    }
    json_body(&mut builder, body)
}

/// A public JSON response whose ETag is a hash of its bytes: lists, and
/// resources that embed others (a section rename changes an article's JSON
/// without changing its version).
pub fn public_json_hashed(
    req: &HttpRequest,
    body: Vec<u8>,
    last_modified: Option<NaiveDateTime>,
    surrogate_keys: String,
) -> HttpResponse {
    let etag = content_etag(&body);
    public_json(
        req,
        body,
        CacheInfo {
            etag,
            last_modified,
            surrogate_keys,
        },
    )
}

/// A JSON response for the caller alone (anything that depends on the token).
pub fn private_json<T: Serialize>(builder: &mut HttpResponseBuilder, value: &T) -> HttpResponse {
    builder.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    json_body(builder, to_json(value))
}

/// Like [`private_json`], for a body serialised already.
pub fn private_json_bytes(builder: &mut HttpResponseBuilder, body: Vec<u8>) -> HttpResponse {
    builder.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    json_body(builder, body)
}

/// Serializes a response value; our types always serialize.
pub fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn json_body(builder: &mut HttpResponseBuilder, body: Vec<u8>) -> HttpResponse {
    builder
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        ))
        .body(body)
}
