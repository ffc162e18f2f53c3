//! Conditional requests (RFC 9110 §13): ETags, `If-None-Match` and `If-Match`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::error::{ApiError, FieldError};

/// The strong ETag of a resource version: `"<version>"`.
pub fn version_etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A strong ETag over response bytes: their 128-bit XXH3, which every
/// server computes alike (several servers behind one CDN answer the same
/// ETag for the same bytes). Not a cryptographic hash: an ETag only tells
/// versions of one resource apart, and XXH3 hashes a 30 KB page in a few
/// microseconds (SHA-256 was 7 % of a section page's time).
pub fn content_etag(body: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(body))
}

/// Whether an `If-None-Match` value (a list of ETags, or `*`) names `etag`,
/// by the weak comparison RFC 9110 asks for on GET: `W/"x"` matches `"x"`.
/// The one matcher for handlers and the read cache alike.
pub fn none_match(header_value: &str, etag: &str) -> bool {
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
        .is_some_and(|v| none_match(v, etag))
}

/// The version an `If-Match` value asks for: `None` for `*`. A value that
/// is not `"<version>"` is a malformed header: 400.
fn if_match_version(value: &HeaderValue) -> Result<Option<i64>, ApiError> {
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

/// The `If-Match` header of a write, for every handler that takes one. It
/// is read when the handler asks (after its role checks, so a caller who may
/// not write learns that first): [`IfMatch::version`] where it is optional,
/// [`IfMatch::required`] where a lost update would hurt.
#[derive(Debug, Clone)]
pub struct IfMatch(Option<HeaderValue>);

impl IfMatch {
    /// The version named (`None` when absent or `*`); 400 when malformed.
    pub fn version(&self) -> Result<Option<i64>, ApiError> {
        self.0.as_ref().map_or(Ok(None), if_match_version)
    }

    /// Like [`IfMatch::version`], but 428 when the header is missing (`*`
    /// is an explicit "whatever the version").
    pub fn required(&self) -> Result<Option<i64>, ApiError> {
        if self.0.is_none() {
            return Err(ApiError::PreconditionRequired(
                "send If-Match: \"<version>\" of the copy you edited".into(),
            ));
        }
        self.version()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(IfMatch(req.headers().get(header::IF_MATCH).cloned())))
    }
}
