//! The request middleware: a request id for every request, one log line per
//! request, and error bodies made uniform: every 4xx/5xx leaves as
//! problem+json with its `request_id` and `instance`, including the errors
//! actix produces itself.

use std::time::Instant;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use actix_web::ResponseError;

use crate::error::{title_for, ApiError, PROBLEM_JSON};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const MAX_ERROR_BODY: usize = 64 * 1024;

fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(&X_REQUEST_ID)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then(|| value.to_string())
}

/// A fresh request id: a UUIDv7 (time-ordered) whose other bits come from a
/// per-process random seed and a counter, mixed. Unique within a process by
/// the counter and across servers by the seed, and made without a system
/// call or a lock on every request (`Uuid::now_v7` takes both).
fn new_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| uuid::Uuid::now_v7().as_u64_pair().1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // splitmix64 of (seed + n): distinct n give distinct values.
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&z.to_be_bytes());
    bytes[8..].copy_from_slice(&(seed as u16).to_be_bytes());
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes)
        .into_uuid()
        .to_string()
}

/// See the module documentation.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    // A NUL in the path or query can only be an attack or a bug, and
    // PostgreSQL cannot compare text holding one: refuse it up front.
    let nul = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| pq.as_str().contains("%00"));
    let request_id = incoming_request_id(&req).unwrap_or_else(new_request_id);
    let mut res = if nul {
        let (http_req, _) = req.into_parts();
        ServiceResponse::new(
            http_req,
            ApiError::bad_request("the URL must not contain an encoded NUL (%00)").error_response(),
        )
    } else {
        let span = tracing::info_span!("request", id = %request_id);
        // Handlers' and extractors' errors arrive here as responses already; an
        // `Err` could only come from a middleware inside this one, and there is none.
        next.call(req).instrument(span).await?.map_into_boxed_body()
    };
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        res = to_problem(res, &request_id).await;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(X_REQUEST_ID, value);
    }
    let elapsed = started.elapsed();
    crate::metrics::global().request(
        res.request().method(),
        res.request().match_pattern(),
        status,
        elapsed,
        res.headers()
            .get(crate::cache::X_CACHE)
            .map(HeaderValue::as_bytes),
    );
    if tracing::enabled!(target: "newsdesk::request", tracing::Level::INFO) {
        let latency_ms = elapsed.as_secs_f64() * 1000.0;
        tracing::info!(
            target: "newsdesk::request",
            request_id = %request_id,
            method = %res.request().method(),
            path = %res.request().path(),
            status = status.as_u16(),
            latency_ms = format_args!("{latency_ms:.2}"),
            "request"
        );
    }
    Ok(res)
}

/// Rewrites an error response as problem+json carrying the request id.
async fn to_problem(res: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let path = res.request().path().to_string();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes_limited(body, MAX_ERROR_BODY)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut problem = if is_problem {
        serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes)
            .unwrap_or_default()
    } else {
        serde_json::Map::new()
    };
    if !problem.contains_key("type") {
        problem.insert("type".into(), "about:blank".into());
        problem.insert("title".into(), title_for(status).into());
        problem.insert("status".into(), status.as_u16().into());
        // Actix's own messages are safe to show for 4xx; a 5xx shows nothing.
        let text = String::from_utf8_lossy(&bytes).trim().to_string();
        if status.is_client_error() && !text.is_empty() && text.len() < 500 {
            problem.insert("detail".into(), text.into());
        }
    }
    problem.insert("instance".into(), path.into());
    problem.insert("request_id".into(), request_id.into());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = head.set_body(BoxBody::new(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    ServiceResponse::new(http_req, response)
}
