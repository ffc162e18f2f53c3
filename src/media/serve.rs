//! Streaming stored bytes: ETag and 304, single byte ranges (206, 416) for
//! audio and video scrubbing, and the headers that keep browsers safe.

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::ApiError;
use crate::http;
use crate::storage::MediaStore;

/// What the response says about the object.
pub struct ObjectInfo<'a> {
    /// Storage key.
    pub key: &'a str,
    /// Media type.
    pub mime: &'a str,
    /// Size in bytes.
    pub len: u64,
    /// Strong ETag.
    pub etag: String,
    /// `Cache-Control`.
    pub cache_control: &'static str,
    /// `Content-Disposition`, if any.
    pub disposition: Option<String>,
    /// CDN purge keys.
    pub surrogate_keys: String,
    /// The asset's metadata URL (its credit applies to these bytes).
    pub described_by: Option<String>,
}

/// A byte range request, as inclusive bounds.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range header: send everything.
    Full,
    /// `first..=last`.
    Partial(u64, u64),
    /// Outside the object: 416.
    Unsatisfiable,
}

/// Parses a `Range` header against an object of `len` bytes. Several ranges
/// are answered with the whole object, as RFC 9110 allows.
pub fn parse_range(value: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(s), Ok(e)) if s <= e => Some((s, e.min(len.saturating_sub(1)))),
        (Ok(s), Err(_)) if end.is_empty() => Some((s, len.saturating_sub(1))),
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => {
            Some((len.saturating_sub(suffix), len.saturating_sub(1)))
        }
        _ => return RangeRequest::Full,
    };
    match range {
        Some((s, e)) if len > 0 && s < len && s <= e => RangeRequest::Partial(s, e),
        _ => RangeRequest::Unsatisfiable,
    }
}

/// Streams an object, honouring `If-None-Match`, `Range` and `If-Range`.
pub async fn serve_object(
    req: &HttpRequest,
    store: &dyn MediaStore,
    info: ObjectInfo<'_>,
) -> Result<HttpResponse, ApiError> {
    let mut builder = if http::not_modified(req, &info.etag) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, info.etag.clone()))
        .insert_header((header::CACHE_CONTROL, info.cache_control))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("Surrogate-Key", info.surrogate_keys.clone()));
    if let Some(link) = &info.described_by {
        // The credit that applies to these bytes lives in the asset's JSON.
        builder.insert_header((header::LINK, format!("<{link}>; rel=\"describedby\"")));
    }
    if http::not_modified(req, &info.etag) {
        return Ok(builder.finish());
    }
    // A Range is only honoured if the client's copy is still current.
    let if_range_ok = req
        .headers()
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == info.etag);
    let range_header = req
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    let range = if if_range_ok {
        parse_range(range_header, info.len)
    } else {
        RangeRequest::Full
    };
    builder.insert_header((header::CONTENT_TYPE, info.mime.to_string()));
    if let Some(disposition) = &info.disposition {
        builder.insert_header((header::CONTENT_DISPOSITION, disposition.clone()));
    }
    let storage_error =
        |e: std::io::Error| ApiError::internal(format!("reading {} from storage: {e}", info.key));
    match range {
        RangeRequest::Full => {
            let stream = store.get(info.key, None).await.map_err(storage_error)?;
            Ok(builder.body(SizedStream::new(info.len, stream)))
        }
        RangeRequest::Partial(first, last) => {
            let stream = store
                .get(info.key, Some(first..last + 1))
                .await
                .map_err(storage_error)?;
            builder
                .status(actix_web::http::StatusCode::PARTIAL_CONTENT)
                .insert_header((
                    header::CONTENT_RANGE,
                    format!("bytes {first}-{last}/{}", info.len),
                ));
            Ok(builder.body(SizedStream::new(last - first + 1, stream)))
        }
        RangeRequest::Unsatisfiable => Ok(HttpResponse::RangeNotSatisfiable()
            .insert_header((header::CONTENT_RANGE, format!("bytes */{}", info.len)))
            .insert_header((header::CONTENT_TYPE, crate::error::PROBLEM_JSON))
            .body(
                serde_json::json!({
                    "type": "/problems/range-not-satisfiable",
                    "title": "Range not satisfiable",
                    "status": 416,
                    "detail": format!("the object has {} bytes", info.len),
                })
                .to_string(),
            )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 100), RangeRequest::Full);
        assert_eq!(
            parse_range(Some("bytes=0-9"), 100),
            RangeRequest::Partial(0, 9)
        );
        assert_eq!(
            parse_range(Some("bytes=90-"), 100),
            RangeRequest::Partial(90, 99)
        );
        assert_eq!(
            parse_range(Some("bytes=-10"), 100),
            RangeRequest::Partial(90, 99)
        );
        assert_eq!(
            parse_range(Some("bytes=50-500"), 100),
            RangeRequest::Partial(50, 99)
        );
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Full);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Full);
        assert_eq!(parse_range(Some("bytes=9-3"), 100), RangeRequest::Full);
    }
}
