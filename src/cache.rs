//! A short-lived in-process cache of public reads ("micro-caching"): an
//! anonymous GET of published content that was answered a moment ago is
//! answered again from memory, without a database round trip.
//!
//! Any successful write on this server empties it at once; writes on other
//! servers behind the same load balancer reach it within the TTL (one second
//! by default), as do scheduled articles coming due. Responses that depend on
//! the caller (a token, a preview link) and binary files are never stored.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;

use crate::startup::AppState;

const MAX_ENTRIES: usize = 20_000;
const MAX_BODY: usize = 2 * 1024 * 1024;
/// How many TTLs a stale entry may be served while it is being refilled.
const STALE_FACTOR: u32 = 10;

#[derive(Clone)]
struct Entry {
    stored: Instant,
    /// A request is recomputing this entry; others get the stale copy meanwhile.
    refilling: bool,
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: Option<String>,
    body: Bytes,
}

/// The cache of one server.
pub struct ReadCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ReadCache {
    /// A cache keeping answers for `ttl` (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh entry; or a stale one while another request refills it
    /// (stale-while-revalidate, so an expiry costs one recomputation, not
    /// one per waiting client). `None`: the caller computes (and is now the
    /// one refilling).
    fn get(&self, key: &str) -> Option<Entry> {
        let mut entries = self.lock();
        let entry = entries.get_mut(key)?;
        let age = entry.stored.elapsed();
        if age < self.ttl {
            return Some(entry.clone());
        }
        if entry.refilling && age < self.ttl * STALE_FACTOR {
            return Some(entry.clone());
        }
        entry.refilling = true;
        None
    }

    /// The refill failed: let the next request try.
    fn abandon(&self, key: &str) {
        if let Some(entry) = self.lock().get_mut(key) {
            entry.refilling = false;
        }
    }

    fn put(&self, key: String, entry: Entry) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, e| e.stored.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, entry);
    }

    /// Forgets everything (after a write).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

fn cacheable(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION)
        && path.starts_with("/api/v1/")
        && !path.ends_with("/file")
        && !path.contains("/renditions/")
        && !req.query_string().contains("preview=")
}

fn if_none_match_hits(req: &ServiceRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|c| c.trim() == etag || c.trim() == "*"))
}

/// The middleware: answer from the cache, fill it, empty it on writes.
pub async fn read_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = &state.cache;
    if cache.ttl.is_zero() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if !cacheable(&req) {
        let is_write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let res = next.call(req).await?.map_into_boxed_body();
        if is_write && res.status().as_u16() < 400 {
            cache.clear();
        }
        return Ok(res);
    }
    let key = format!("{}?{}", req.path(), req.query_string());
    if let Some(entry) = cache.get(&key) {
        let not_modified = entry
            .etag
            .as_deref()
            .is_some_and(|t| if_none_match_hits(&req, t));
        let mut builder = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        });
        for (name, value) in &entry.headers {
            builder.insert_header((name.clone(), value.clone()));
        }
        builder.insert_header(("X-Cache", "hit"));
        let response = if not_modified {
            builder.finish()
        } else {
            builder.body(entry.body.clone())
        };
        return Ok(req.into_response(response));
    }
    let res = next.call(req).await?;
    let public = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if res.status() != StatusCode::OK || !public {
        cache.abandon(&key);
        return Ok(res.map_into_boxed_body());
    }
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = body::to_bytes_limited(body, MAX_BODY).await else {
        return Err(actix_web::error::ErrorInternalServerError(
            "response body unreadable",
        ));
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(_) => {
            return Err(actix_web::error::ErrorInternalServerError(
                "response body unreadable",
            ))
        }
    };
    let headers: Vec<(HeaderName, HeaderValue)> = head
        .headers()
        .iter()
        .filter(|(name, _)| *name != header::DATE && *name != header::CONTENT_LENGTH)
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let etag = head
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    cache.put(
        key,
        Entry {
            stored: Instant::now(),
            refilling: false,
            headers,
            etag,
            body: bytes.clone(),
        },
    );
    let mut response = head.set_body(BoxBody::new(bytes));
    response.headers_mut().insert(
        HeaderName::from_static("x-cache"),
        HeaderValue::from_static("miss"),
    );
    Ok(ServiceResponse::new(http_req, response))
}
