//! Metrics in the Prometheus/OpenMetrics text format, served at `GET /metrics`
//! to whoever holds `NEWSDESK_METRICS_TOKEN`, or to anyone who reaches
//! `NEWSDESK_METRICS_BIND` (a separate listener on an operations network).
//!
//! What is counted as it happens (requests, pool waits, uploads, renditions,
//! webhook attempts) lives in one [`Metrics`] per process, as Prometheus
//! client libraries keep their default registry; what is a state (the pool's
//! connections, the micro-cache's size, open event streams, the webhook
//! queue, the process's memory) is read when the metrics are scraped.

use std::sync::LazyLock;
use std::time::Duration;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::cache::ReadCache;
use crate::config::Secret;
use crate::error::ApiError;
use crate::events::follow::Hub;
use crate::state::AppState;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request latency buckets, in seconds: 0.5 ms to 10 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// The labels of a request: its method, its route template (never the
/// path itself, which would make a series per article) and its status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

/// What is counted as it happens, for the whole process.
pub struct Metrics {
    /// Requests by method, route and status, with their latency; the
    /// histogram's `_count` is the number of requests.
    requests: Histograms<RequestLabels>,
    cache: Family<ResultLabels, Counter>,
    /// The two series of `cache`, resolved once: a request increments one
    /// without a lookup.
    cache_hit: Counter,
    cache_miss: Counter,
    pool_wait: Histogram,
    pool_timeouts: Counter,
    uploads: Family<OutcomeLabels, Counter>,
    upload_bytes: Counter,
    renditions: Counter,
    rendition_seconds: Histogram,
    webhook_attempts: Family<OutcomeLabels, Counter>,
    webhook_attempt_seconds: Histogram,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let cache = Family::<ResultLabels, Counter>::default();
    let cache_hit = cache.get_or_create(&ResultLabels { result: "hit" }).clone();
    let cache_miss = cache
        .get_or_create(&ResultLabels { result: "miss" })
        .clone();
    Metrics {
        requests: Family::new_with_constructor(latency_histogram),
        cache,
        cache_hit,
        cache_miss,
        pool_wait: Histogram::new(LATENCY_BUCKETS),
        pool_timeouts: Counter::default(),
        uploads: Family::default(),
        upload_bytes: Counter::default(),
        renditions: Counter::default(),
        rendition_seconds: Histogram::new(LATENCY_BUCKETS),
        webhook_attempts: Family::default(),
        webhook_attempt_seconds: Histogram::new(LATENCY_BUCKETS),
    }
});

/// The process's metrics.
pub fn global() -> &'static Metrics {
    &METRICS
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// How an upload ended.
#[derive(Debug, Clone, Copy)]
pub enum Upload {
    /// A new asset.
    Created,
    /// The same bytes were stored already: the existing asset.
    Duplicate,
    /// Refused (type, size, damage, metadata) or failed.
    Refused,
}

/// How a webhook delivery attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered,
    /// Failed; another attempt is scheduled.
    Retrying,
    /// Failed, and it was the last attempt (or the receiver answered 410).
    Failed,
}

impl Metrics {
    /// Counts a request: `route` is the matched route template, `None` for
    /// a path that matched none; `cache` the `X-Cache` answer, if any.
    pub fn request(
        &self,
        method: &Method,
        route: Option<String>,
        status: StatusCode,
        elapsed: Duration,
        cache: Option<&[u8]>,
    ) {
        let labels = RequestLabels {
            method: method_label(method),
            route: route.unwrap_or_else(|| "unmatched".to_string()),
            status: status.as_u16(),
        };
        self.requests
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        match cache {
            Some(b"hit") => self.cache_hit.inc(),
            Some(b"miss") => self.cache_miss.inc(),
            _ => 0,
        };
    }

    /// Records how long a request waited for a database connection, and
    /// whether it got one.
    pub fn pool_checkout(&self, waited: Duration, got: bool) {
        self.pool_wait.observe(waited.as_secs_f64());
        if !got {
            self.pool_timeouts.inc();
        }
    }

    /// Counts bytes of an upload's file as they arrive.
    pub fn upload_received(&self, bytes: u64) {
        self.upload_bytes.inc_by(bytes);
    }

    /// Counts an upload by how it ended.
    pub fn upload(&self, outcome: Upload) {
        let outcome = match outcome {
            Upload::Created => "created",
            Upload::Duplicate => "duplicate",
            Upload::Refused => "refused",
        };
        self.uploads.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Counts a rendition made on first request and the time it took.
    pub fn rendition(&self, took: Duration) {
        self.renditions.inc();
        self.rendition_seconds.observe(took.as_secs_f64());
    }

    /// Counts a webhook delivery attempt and the time it took.
    pub fn webhook_attempt(&self, outcome: Attempt, took: Duration) {
        let outcome = match outcome {
            Attempt::Delivered => "delivered",
            Attempt::Retrying => "retrying",
            Attempt::Failed => "failed",
        };
        self.webhook_attempts
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
        self.webhook_attempt_seconds.observe(took.as_secs_f64());
    }

    fn register(&self, registry: &mut Registry) {
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its answer's head, by method, route template and status (its _count counts requests)",
            Unit::Seconds,
            self.requests.clone(),
        );
        registry.register(
            "read_cache_requests",
            "Public reads looked up in the micro-cache: hit or miss",
            self.cache.clone(),
        );
        registry.register_with_unit(
            "db_pool_wait",
            "Time spent waiting for a database connection",
            Unit::Seconds,
            self.pool_wait.clone(),
        );
        registry.register(
            "db_pool_timeouts",
            "Requests that got no database connection in time (answered 503)",
            self.pool_timeouts.clone(),
        );
        registry.register(
            "media_uploads",
            "Uploads by outcome: created, duplicate (the bytes were stored already) or refused",
            self.uploads.clone(),
        );
        registry.register_with_unit(
            "media_upload",
            "Bytes of uploaded files received, whatever became of them",
            Unit::Bytes,
            self.upload_bytes.clone(),
        );
        registry.register(
            "media_renditions",
            "Renditions made on first request",
            self.renditions.clone(),
        );
        registry.register_with_unit(
            "media_rendition_duration",
            "Time to decode, resize, encode and store a rendition",
            Unit::Seconds,
            self.rendition_seconds.clone(),
        );
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts by outcome: delivered, retrying or failed",
            self.webhook_attempts.clone(),
        );
        registry.register_with_unit(
            "webhook_attempt_duration",
            "Time of a webhook delivery attempt, until the answer or the timeout",
            Unit::Seconds,
            self.webhook_attempt_seconds.clone(),
        );
    }
}

/// Who may read the metrics.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// A bearer token that `GET /metrics` asks for on the API's port (and on
    /// the metrics port too, when set).
    pub token: Option<Secret>,
    /// A separate address that serves `GET /metrics` alone.
    pub bind: Option<String>,
}

/// What a scrape reads besides the counters.
pub struct Sources {
    /// Pool, and the webhook queue through it.
    pub state: web::Data<AppState>,
    /// The micro-cache.
    pub cache: web::Data<ReadCache>,
    /// The event streams.
    pub hub: web::Data<Hub>,
}

/// The states read at scrape time.
struct Snapshot {
    pool_idle: i64,
    pool_in_use: i64,
    pool_max: i64,
    cache_entries: i64,
    cache_bytes: i64,
    streams: i64,
    /// `None` when the database did not answer.
    webhooks: Option<WebhookQueue>,
}

struct WebhookQueue {
    pending: i64,
    endpoints_enabled: i64,
    endpoints_disabled: i64,
}

async fn snapshot(sources: &Sources) -> Snapshot {
    let pool = sources.state.pool.state();
    let (cache_entries, cache_bytes) = sources.cache.size();
    let webhooks = crate::db::query(&sources.state.pool, |conn| {
        let (enabled, disabled) = crate::webhooks::queries::endpoint_counts(conn)?;
        Ok(WebhookQueue {
            pending: crate::webhooks::queries::pending_count(conn)?,
            endpoints_enabled: enabled,
            endpoints_disabled: disabled,
        })
    })
    .await
    .ok();
    Snapshot {
        pool_idle: i64::from(pool.idle_connections),
        pool_in_use: i64::from(pool.connections.saturating_sub(pool.idle_connections)),
        pool_max: i64::from(sources.state.pool.max_size()),
        cache_entries: i64::try_from(cache_entries).unwrap_or(i64::MAX),
        cache_bytes: i64::try_from(cache_bytes).unwrap_or(i64::MAX),
        streams: i64::try_from(sources.hub.streams()).unwrap_or(i64::MAX),
        webhooks,
    }
}

/// Resident memory and open file descriptors of this process (Linux; zero
/// elsewhere).
fn process_figures() -> (i64, i64) {
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        })
        .unwrap_or(0);
    let fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as i64)
        .unwrap_or(0);
    (rss_kib * 1024, fds)
}

static STARTED: LazyLock<f64> = LazyLock::new(|| {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
});

/// Notes the process's start time (called once at start-up).
pub fn mark_start() {
    LazyLock::force(&STARTED);
}

fn gauge<L>(labels: &[(L, i64)]) -> Family<L, Gauge>
where
    L: Clone + std::hash::Hash + Eq + std::fmt::Debug + EncodeLabelSet + Send + Sync + 'static,
{
    let family = Family::<L, Gauge>::default();
    for (label, value) in labels {
        family.get_or_create(label).set(*value);
    }
    family
}

/// The exposition: the process's counters and the states read now.
pub async fn render(sources: &Sources) -> String {
    let now = snapshot(sources).await;
    let (rss, fds) = process_figures();
    let mut root = Registry::default();
    root.register_with_unit(
        "process_resident_memory",
        "Resident memory of the process",
        Unit::Bytes,
        ConstGauge::new(rss),
    );
    root.register(
        "process_open_fds",
        "Open file descriptors: connections, database files, scratch files",
        ConstGauge::new(fds),
    );
    root.register_with_unit(
        "process_start_time",
        "Start of the process, in seconds since the Unix epoch",
        Unit::Seconds,
        ConstGauge::new(*STARTED),
    );
    let registry = root.sub_registry_with_prefix("newsdesk");
    registry.register(
        "build",
        "The running version",
        Info::new(VersionLabels {
            version: env!("CARGO_PKG_VERSION"),
        }),
    );
    global().register(registry);
    registry.register(
        "db_pool_connections",
        "Database connections held by the pool: idle or in use",
        gauge(&[
            (StateLabels { state: "idle" }, now.pool_idle),
            (StateLabels { state: "in_use" }, now.pool_in_use),
        ]),
    );
    registry.register(
        "db_pool_max_connections",
        "The pool's size (NEWSDESK_DB_POOL_SIZE)",
        ConstGauge::new(now.pool_max),
    );
    registry.register(
        "read_cache_entries",
        "Responses held by the micro-cache",
        ConstGauge::new(now.cache_entries),
    );
    registry.register_with_unit(
        "read_cache",
        "Bytes held by the micro-cache (bodies and keys)",
        Unit::Bytes,
        ConstGauge::new(now.cache_bytes),
    );
    registry.register(
        "event_streams",
        "Open Server-Sent Events streams",
        ConstGauge::new(now.streams),
    );
    registry.register(
        "database_up",
        "1 when the database answered this scrape's queries, else 0",
        ConstGauge::new(i64::from(now.webhooks.is_some())),
    );
    if let Some(queue) = now.webhooks {
        registry.register(
            "webhook_deliveries_pending",
            "Webhook deliveries waiting for their first or next attempt",
            ConstGauge::new(queue.pending),
        );
        registry.register(
            "webhook_endpoints",
            "Webhook endpoints: enabled, or disabled (by an admin, a 410 or failures)",
            gauge(&[
                (StateLabels { state: "enabled" }, queue.endpoints_enabled),
                (StateLabels { state: "disabled" }, queue.endpoints_disabled),
            ]),
        );
    }
    let mut text = String::with_capacity(16 * 1024);
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut text, &root);
    text
}

/// Whether the request carries the metrics token.
fn authorised(req: &HttpRequest, token: &Secret) -> bool {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    constant_time_eq(given.as_bytes(), token.expose().as_bytes())
}

/// Compares without stopping at the first difference, so the time taken
/// tells nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Answers a scrape, asking for the token when one is set.
pub async fn respond(
    req: &HttpRequest,
    settings: &MetricsSettings,
    sources: &Sources,
) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &settings.token {
        if !authorised(req, token) {
            return Err(ApiError::Unauthorized(
                "the metrics need `Authorization: Bearer <NEWSDESK_METRICS_TOKEN>`".into(),
            ));
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(sources).await))
}
