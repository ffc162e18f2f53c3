//! Response bodies and the caching headers of API.md: public responses with
//! validators and purge keys, private ones for the caller alone.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::http::conditional::{content_etag, not_modified};

/// `Cache-Control` of public reads: CDNs and browsers may keep a response a
/// minute and serve it stale for ten while they revalidate.
pub const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=600";

/// `Cache-Control` of anything that depends on the caller's token.
pub const PRIVATE_CACHE: &str = "private, no-store";

/// Serializes a stored UTC timestamp as RFC 3339 with `Z`.
pub fn rfc3339<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*t))
}

/// Serializes an optional stored UTC timestamp as RFC 3339 with `Z`, or null.
pub fn rfc3339_opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_time(*t)),
        None => s.serialize_none(),
    }
}

/// Formats a stored UTC timestamp as RFC 3339 with `Z`, to the second.
pub fn format_time(t: NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).to_rfc3339_opts(SecondsFormat::Secs, true)
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
        let at = std::time::SystemTime::from(DateTime::<Utc>::from_naive_utc_and_offset(t, Utc));
        builder.insert_header((header::LAST_MODIFIED, header::HttpDate::from(at)));
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

/// Who a read that may depend on the caller is for.
pub enum Audience {
    /// Anyone: cacheable, with a content-hash ETag and purge keys.
    Public {
        /// The newest change in the response.
        last_modified: Option<NaiveDateTime>,
        /// Space-separated CDN purge keys.
        surrogate_keys: String,
    },
    /// The caller alone (`Vary: Authorization`: the same URL answers the
    /// public too), with the resource's own ETag where it has one.
    Private {
        /// `"<version>"` of a single resource.
        etag: Option<String>,
    },
    /// Staff alone: an endpoint that always needs a token.
    Staff,
}

/// The one place that answers a read either publicly or privately.
pub fn read_json(req: &HttpRequest, body: Vec<u8>, audience: Audience) -> HttpResponse {
    match audience {
        Audience::Public {
            last_modified,
            surrogate_keys,
        } => public_json_hashed(req, body, last_modified, surrogate_keys),
        Audience::Private { etag } => {
            let mut builder = HttpResponse::Ok();
            if let Some(etag) = etag {
                builder.insert_header((header::ETAG, etag));
            }
            builder.insert_header((header::VARY, "Authorization"));
            private_json_bytes(&mut builder, body)
        }
        Audience::Staff => private_json_bytes(&mut HttpResponse::Ok(), body),
    }
}
