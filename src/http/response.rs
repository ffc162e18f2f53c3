//! Response bodies and the caching headers of API.md: public responses with
//! validators and purge keys, private ones for the caller alone.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use std::time::SystemTime;

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
/// Surrogate-Key; a client that holds it (`If-None-Match`) gets a bodiless
/// 304. `If-Modified-Since` is not honoured: a list's newest change misses
/// an article that left it (withdrawn, expired), and a 304 on it would keep
/// that article in a reader's copy; the ETag is exact.
pub fn public_json(req: &HttpRequest, body: Vec<u8>, cache: CacheInfo) -> HttpResponse {
    public_bytes(req, body, JSON, cache)
}

/// A public response of `body` in `media_type`, as [`public_json`] makes it.
pub fn public_bytes(
    req: &HttpRequest,
    body: Vec<u8>,
    media_type: &'static str,
    cache: CacheInfo,
) -> HttpResponse {
    let changed = cache
        .last_modified
        .map(|t| SystemTime::from(DateTime::<Utc>::from_naive_utc_and_offset(t, Utc)));
    let fresh = not_modified(req, &cache.etag);
    let mut builder = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::ETAG, cache.etag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header(("Surrogate-Key", cache.surrogate_keys));
    if let Some(at) = changed {
        builder.insert_header((header::LAST_MODIFIED, header::HttpDate::from(at)));
    }
    if fresh {
        return builder.finish();
    }
    builder
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(media_type)))
        .body(body)
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
    public_hashed(req, body, JSON, last_modified, surrogate_keys)
}

/// A public response in `media_type` whose ETag is a hash of its bytes:
/// feeds, sitemaps and syndication documents.
pub fn public_hashed(
    req: &HttpRequest,
    body: Vec<u8>,
    media_type: &'static str,
    last_modified: Option<NaiveDateTime>,
    surrogate_keys: String,
) -> HttpResponse {
    let etag = content_etag(&body);
    public_bytes(
        req,
        body,
        media_type,
        CacheInfo {
            etag,
            last_modified,
            surrogate_keys,
        },
    )
}

/// A document whose answer depends on the caller (a token opens what the
/// public cannot read): private and uncached when `private`, else public as
/// [`public_hashed`] makes it; either way `Vary: Authorization`.
pub fn public_or_private(
    req: &HttpRequest,
    body: Vec<u8>,
    media_type: &'static str,
    last_modified: NaiveDateTime,
    surrogate_keys: String,
    private: bool,
) -> HttpResponse {
    let mut res = if private {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, PRIVATE_CACHE))
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(media_type)))
            .body(body)
    } else {
        public_hashed(req, body, media_type, Some(last_modified), surrogate_keys)
    };
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Authorization"));
    res
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

/// The media type of every JSON body.
const JSON: &str = "application/json; charset=utf-8";

fn json_body(builder: &mut HttpResponseBuilder, body: Vec<u8>) -> HttpResponse {
    builder
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(JSON)))
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
