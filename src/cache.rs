//! A short-lived in-process cache of public reads ("micro-caching"): an
//! anonymous GET of published content that was answered a moment ago is
//! answered again from memory, without a database round trip.
//!
//! Any successful write on this server empties it at once; writes on other
//! servers behind the same load balancer reach it within the TTL (one second
//! by default), as do scheduled articles coming due. Responses that depend on
//! the caller (a token, a preview link) and binary files are never stored.
//!
//! Only what is asked for twice is kept: the first request for a key in a
//! while is answered and forgotten (its hash is remembered, in a fixed
//! table), the second one stores the answer. Long-tail traffic, where
//! almost every request asks for something else, costs neither memory nor
//! a copy of each body.
//!
//! One computation per key at a time ("single flight"): while a request
//! computes an answer that is not in the cache, the others asking for it wait
//! for that answer instead of all querying the database at once; while an
//! expired answer is being refilled, the others get the expired copy
//! (stale-while-revalidate) for up to ten TTLs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use tokio::sync::watch;

use crate::http::conditional::none_match;
use crate::http::encoding::{self, compress, Encoding};

const MAX_ENTRIES: usize = 5_000;
const MAX_BODY: usize = 2 * 1024 * 1024;
/// The most bytes kept at once (bodies, their compressed variants, keys and
/// headers): many distinct queries (`limit=100`, `fields=body`, …) must not
/// be able to grow the server without bound. What the cache is for is the
/// few URLs asked for many times a second (a front page, a story everyone
/// reads right after a CDN purge): 4 MiB hold some 1,500 article documents
/// or 150 section pages. With 8 MiB (bodies only counted) random slugs took
/// the server to 66 MiB.
const MAX_BYTES: usize = 4 * 1024 * 1024;
/// What an entry costs beyond its bytes: the map's slot, the `Arc`, the
/// header list (an estimate).
const ENTRY_OVERHEAD: usize = 256;
/// How many TTLs a stale entry may be served while it is being refilled.
const STALE_FACTOR: u32 = 10;
/// How long a request waits for another's computation before doing its own.
const MAX_WAIT: Duration = Duration::from_secs(5);

struct Entry {
    stored: Instant,
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: Option<String>,
    /// The identity bytes.
    body: Bytes,
    /// Whether the body is text worth compressing.
    compressible: bool,
    /// The body brotli- and gzip-compressed, made on the first hit that
    /// asks for each and kept, so that later hits cost no compression.
    variants: [OnceLock<Bytes>; 2],
}

impl Entry {
    /// The body in `encoding`, compressed once, and how many bytes that
    /// added to the entry (0 when it was made before).
    fn encoded(&self, encoding: Encoding) -> (Bytes, usize) {
        let slot = match encoding {
            Encoding::Brotli => &self.variants[0],
            Encoding::Gzip => &self.variants[1],
        };
        let mut made = 0;
        let bytes = slot.get_or_init(|| {
            let bytes = compress(encoding, &self.body);
            made = bytes.len();
            bytes
        });
        (bytes.clone(), made)
    }

    /// What the entry stored under `key` holds: its key, body, the
    /// variants made so far, its headers.
    fn held(&self, key: &str) -> usize {
        let variants: usize = self
            .variants
            .iter()
            .filter_map(OnceLock::get)
            .map(Bytes::len)
            .sum();
        let headers: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        key.len() + self.body.len() + variants + headers + ENTRY_OVERHEAD
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Arc<Entry>>,
    /// Keys being computed; dropping the sender wakes the waiters.
    inflight: HashMap<String, watch::Sender<()>>,
    /// Bumped by every write, so that an answer computed before a write is
    /// not stored after it.
    generation: u64,
    /// Bytes held by `entries` (see [`Entry::held`]).
    bytes: usize,
    /// When expired entries were last swept out of a full cache.
    swept: Option<Instant>,
}

/// Slots of the admission filter: the hashes of recently missed keys.
const SEEN_SLOTS: usize = 1 << 16;

/// What a lookup tells the caller to do.
enum Lookup {
    Hit(Arc<Entry>),
    /// Asked for the first time lately: answer without storing (most keys
    /// of long-tail traffic are never asked for again).
    Pass,
    /// Another request is computing it: wait, then look again.
    Wait(watch::Receiver<()>),
    /// Compute it, store it under this generation, then call `done`.
    Fill(u64),
}

/// The cache of one server.
pub struct ReadCache {
    ttl: Duration,
    inner: Mutex<Inner>,
    /// Admission on a second request: the hash of each key missed lately,
    /// one slot per hash (a collision only forgets a key). Fixed memory,
    /// no lock.
    seen: Box<[AtomicU64]>,
}

impl ReadCache {
    /// A cache keeping answers for `ttl` (zero disables it).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
            seen: (0..SEEN_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Whether `key` was missed lately; remembers it either way.
    fn seen_before(&self, key: &str) -> bool {
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(key, &mut hasher);
        let hash = std::hash::Hasher::finish(&hasher) | 1;
        let slot = &self.seen[(hash as usize) & (SEEN_SLOTS - 1)];
        slot.swap(hash, Ordering::Relaxed) == hash
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lookup(&self, key: &str) -> Lookup {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let age = inner.entries.get(key).map(|e| (e.stored.elapsed(), e));
        let stored = match (age, inner.inflight.get(key)) {
            (Some((age, entry)), _) if age < self.ttl => return Lookup::Hit(Arc::clone(entry)),
            (Some((age, entry)), Some(_)) if age < self.ttl * STALE_FACTOR => {
                return Lookup::Hit(Arc::clone(entry))
            }
            (_, Some(sender)) => return Lookup::Wait(sender.subscribe()),
            (None, None) if !self.seen_before(key) => return Lookup::Pass,
            (stored, None) => stored.is_some(),
        };
        // Full of fresh answers (no room for one of their average size):
        // this one is not stored (nor buffered to be stored), rather than
        // evicting those.
        let average = inner.bytes / inner.entries.len().max(1);
        if !stored && !self.has_room(inner, average, 1) {
            return Lookup::Pass;
        }
        inner.inflight.insert(key.to_string(), watch::channel(()).0);
        Lookup::Fill(inner.generation)
    }

    /// A fresh entry, if there is one (after waiting for another's computation).
    fn fresh(&self, key: &str) -> Option<Arc<Entry>> {
        let inner = self.lock();
        inner
            .entries
            .get(key)
            .filter(|e| e.stored.elapsed() < self.ttl)
            .cloned()
    }

    /// The computation of `key` ended, stored or not: wake the waiters.
    fn done(&self, key: &str) {
        self.lock().inflight.remove(key);
    }

    fn put(&self, key: String, generation: u64, entry: Arc<Entry>) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if let Some(old) = inner.entries.remove(&key) {
            inner.bytes = inner.bytes.saturating_sub(old.held(&key));
        }
        let size = entry.held(&key);
        if self.has_room(&mut inner, size, 1) {
            inner.entries.insert(key, entry);
            inner.bytes += size;
        }
    }

    /// Whether `size` more bytes and `count` more entries fit, once expired
    /// answers are swept out (at most every quarter TTL: a sweep reads every
    /// entry). A full cache keeps what it holds until it expires and turns
    /// new answers away: under long-tail traffic (keys coming back, but more
    /// of them than fit) emptying it for each newcomer cost every request
    /// the buffering and storing of an answer seldom read again, and threw
    /// out the hot ones with the rest.
    fn has_room(&self, inner: &mut Inner, size: usize, count: usize) -> bool {
        let fits = |inner: &Inner| {
            inner.entries.len() + count <= MAX_ENTRIES && inner.bytes + size <= MAX_BYTES
        };
        if fits(inner) {
            return true;
        }
        let ttl = self.ttl;
        if inner.swept.is_some_and(|at| at.elapsed() < ttl / 4) {
            return false;
        }
        inner.swept = Some(Instant::now());
        inner.entries.retain(|_, e| e.stored.elapsed() < ttl);
        inner.bytes = inner.entries.iter().map(|(k, e)| e.held(k)).sum();
        fits(inner)
    }

    /// A variant of `entry` was made: count its `added` bytes, if the entry
    /// is still the one stored under `key`.
    fn grew(&self, key: &str, entry: &Arc<Entry>, added: usize) {
        if added == 0 {
            return;
        }
        let mut inner = self.lock();
        if !inner
            .entries
            .get(key)
            .is_some_and(|stored| Arc::ptr_eq(stored, entry))
        {
            return;
        }
        inner.bytes += added;
        if !self.has_room(&mut inner, 0, 0) {
            // Over the budget by this variant: the entry goes, not the others.
            if let Some(old) = inner.entries.remove(key) {
                inner.bytes = inner.bytes.saturating_sub(old.held(key));
            }
        }
    }

    /// Entries held and their bytes (bodies and keys), for the metrics.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    /// Forgets everything (after a write).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.bytes = 0;
        inner.generation = inner.generation.wrapping_add(1);
    }
}

/// Ends a computation when dropped, whichever way the request ends.
struct FillGuard<'a> {
    cache: &'a ReadCache,
    key: &'a str,
}

impl Drop for FillGuard<'_> {
    fn drop(&mut self) {
        self.cache.done(self.key);
    }
}

fn cacheable(req: &ServiceRequest) -> bool {
    let path = req.path();
    req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION)
        && path.starts_with("/api/v1/")
        && !path.starts_with("/api/v1/events")
        && !path.ends_with("/file")
        && !path.contains("/renditions/")
        && !req.query_string().contains("preview=")
}

fn if_none_match_hits(req: &ServiceRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| none_match(v, etag))
}

/// The stored answer, or a 304 when the client already holds it.
fn answer(
    req: ServiceRequest,
    cache: &ReadCache,
    key: &str,
    entry: &Arc<Entry>,
) -> ServiceResponse<BoxBody> {
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
    builder.insert_header((X_CACHE, HeaderValue::from_static("hit")));
    let encoding = encoding::for_kept(req.headers(), entry.body.len())
        .filter(|_| entry.compressible && !not_modified);
    let response = match encoding {
        _ if not_modified => builder.finish(),
        Some(encoding) => {
            let (bytes, added) = entry.encoded(encoding);
            cache.grew(key, entry, added);
            let mut response = builder.body(bytes);
            encoding::encoded_headers(response.headers_mut(), encoding);
            response
        }
        None => builder.body(entry.body.clone()),
    };
    req.into_response(response)
}

/// The header that says whether the micro-cache answered (`hit`) or not (`miss`).
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// The middleware: answer from the cache, fill it, empty it on writes.
pub async fn read_cache(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(cache) = req.app_data::<web::Data<ReadCache>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let cache = cache.as_ref();
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
    let generation = match cache.lookup(&key) {
        Lookup::Hit(entry) => return Ok(answer(req, cache, &key, &entry)),
        Lookup::Pass => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            res.headers_mut()
                .insert(X_CACHE, HeaderValue::from_static("miss"));
            return Ok(res);
        }
        Lookup::Wait(mut computed) => {
            // Woken when the other computation ends (its sender is dropped).
            let _ = tokio::time::timeout(MAX_WAIT, computed.changed()).await;
            if let Some(entry) = cache.fresh(&key) {
                return Ok(answer(req, cache, &key, &entry));
            }
            // Not stored (an error, a private answer, a write meanwhile):
            // compute it here, without storing.
            None
        }
        Lookup::Fill(generation) => Some(generation),
    };
    let _guard = generation.map(|_| FillGuard { cache, key: &key });
    // What is stored is the identity; the answer is compressed from it.
    let encoding = encoding::negotiate(req.headers());
    let mut req = req;
    if generation.is_some() {
        req.headers_mut().remove(header::ACCEPT_ENCODING);
    }
    let res = next.call(req).await?;
    let public = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    let Some(generation) = generation.filter(|_| res.status() == StatusCode::OK && public) else {
        return Ok(res.map_into_boxed_body());
    };
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match body::to_bytes_limited(body, MAX_BODY).await {
        Ok(Ok(bytes)) => bytes,
        _ => {
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
    let compressible = encoding::compressible(head.headers());
    let entry = Arc::new(Entry {
        stored: Instant::now(),
        headers,
        etag,
        body: bytes.clone(),
        compressible,
        variants: Default::default(),
    });
    cache.put(key.clone(), generation, Arc::clone(&entry));
    let encoding = encoding.filter(|_| compressible && bytes.len() >= encoding::MIN_SIZE);
    let mut response = match encoding {
        Some(encoding) => {
            let (bytes, added) = entry.encoded(encoding);
            cache.grew(&key, &entry, added);
            let mut response = head.set_body(BoxBody::new(bytes));
            encoding::encoded_headers(response.headers_mut(), encoding);
            response
        }
        None => head.set_body(BoxBody::new(bytes)),
    };
    response
        .headers_mut()
        .insert(X_CACHE, HeaderValue::from_static("miss"));
    Ok(ServiceResponse::new(http_req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: usize) -> Arc<Entry> {
        entry_of(vec![b'x'; size])
    }

    fn entry_of(body: Vec<u8>) -> Arc<Entry> {
        Arc::new(Entry {
            stored: Instant::now(),
            headers: Vec::new(),
            etag: None,
            body: Bytes::from(body),
            compressible: true,
            variants: Default::default(),
        })
    }

    /// The byte count is within the budget and equals what the entries hold.
    fn assert_accounted(inner: &Inner) {
        assert!(inner.bytes <= MAX_BYTES, "{} bytes held", inner.bytes);
        let counted: usize = inner.entries.iter().map(|(k, e)| e.held(k)).sum();
        assert_eq!(counted, inner.bytes);
    }

    fn generation(cache: &ReadCache, key: &str) -> u64 {
        admitted(cache, key).unwrap_or_else(|| panic!("expected to fill {key}"))
    }

    /// The generation to fill `key` under, on its second request; `None`
    /// when a full cache passes it.
    fn admitted(cache: &ReadCache, key: &str) -> Option<u64> {
        // The first request only passes; the second is admitted.
        let mut lookup = cache.lookup(key);
        if matches!(lookup, Lookup::Pass) {
            lookup = cache.lookup(key);
        }
        match lookup {
            Lookup::Fill(g) => Some(g),
            Lookup::Pass => None,
            _ => panic!("expected to fill or pass {key}"),
        }
    }

    #[test]
    fn one_computation_per_key_and_waiters_wake() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let g = generation(&cache, "/a");
        let Lookup::Wait(waiting) = cache.lookup("/a") else {
            panic!("a second request must wait for the first");
        };
        assert!(matches!(cache.lookup("/b"), Lookup::Pass));
        assert!(matches!(cache.lookup("/b"), Lookup::Fill(_)));
        cache.put("/a".into(), g, entry(10));
        cache.done("/a");
        // The sender is gone: the waiter wakes at once.
        assert!(waiting.has_changed().is_err());
        assert!(cache.fresh("/a").is_some());
        assert!(matches!(cache.lookup("/a"), Lookup::Hit(_)));
    }

    #[test]
    fn a_key_is_stored_from_its_second_request_on() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for i in 0..1000 {
            assert!(matches!(cache.lookup(&format!("/once/{i}")), Lookup::Pass));
        }
        assert_eq!(cache.size(), (0, 0), "nothing asked for once is held");
        let Lookup::Fill(g) = cache.lookup("/once/7") else {
            panic!("a second request must fill");
        };
        cache.put("/once/7".into(), g, entry(10));
        cache.done("/once/7");
        assert!(matches!(cache.lookup("/once/7"), Lookup::Hit(_)));
    }

    #[test]
    fn an_answer_computed_across_a_write_is_not_stored() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let g = generation(&cache, "/a");
        cache.clear();
        cache.put("/a".into(), g, entry(10));
        cache.done("/a");
        assert!(cache.fresh("/a").is_none());
    }

    /// Asks for `key` twice and stores `entry` if the cache fills it.
    fn store_if_admitted(cache: &ReadCache, key: &str, entry: Arc<Entry>) {
        if let Some(g) = admitted(cache, key) {
            cache.put(key.to_string(), g, entry);
            cache.done(key);
        }
    }

    #[test]
    fn the_byte_budget_holds() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for i in 0..100 {
            let key = format!("/list?limit={i}");
            store_if_admitted(&cache, &key, entry(1024 * 1024));
            assert_accounted(&cache.lock());
        }
        // The first answers stay until they expire; the later ones, which
        // did not fit, were not stored, and a full cache passes new keys.
        assert!(cache.fresh("/list?limit=0").is_some());
        assert!(cache.fresh("/list?limit=99").is_none());
        assert!(cache.size().1 > MAX_BYTES / 2);
        assert!(matches!(cache.lookup("/new"), Lookup::Pass));
        assert!(matches!(cache.lookup("/new"), Lookup::Pass));
        // Expired answers make room again.
        let cache = ReadCache::new(Duration::from_millis(20));
        for i in 0..10 {
            let key = format!("/list?limit={i}");
            store_if_admitted(&cache, &key, entry(1024 * 1024));
        }
        assert!(cache.fresh("/list?limit=9").is_none());
        std::thread::sleep(Duration::from_millis(30));
        let g = generation(&cache, "/later");
        cache.put("/later".into(), g, entry(1024 * 1024));
        cache.done("/later");
        assert!(cache.fresh("/later").is_some());
        assert_accounted(&cache.lock());
    }

    #[test]
    fn compressed_variants_count_against_the_budget() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for i in 0..40 {
            let key = format!("/article/{i}");
            let Some(g) = admitted(&cache, &key) else {
                continue;
            };
            // Text that compresses poorly: its variants are nearly as big.
            let body: Vec<u8> = (0..256 * 1024u32)
                .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
                .collect();
            let entry = entry_of(body);
            cache.put(key.clone(), g, Arc::clone(&entry));
            cache.done(&key);
            let before = cache.size().1;
            let (_, added) = entry.encoded(Encoding::Gzip);
            assert!(added > 0);
            cache.grew(&key, &entry, added);
            let inner = cache.lock();
            assert_accounted(&inner);
            // The variant is counted, or the entry it would overfill is
            // gone (or was never stored, the cache being full).
            match inner.entries.get(&key) {
                Some(_) => assert_eq!(inner.bytes, before + added),
                None => assert!(inner.bytes <= before),
            }
        }
    }
}
