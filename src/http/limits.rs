//! Limits that protect the server from clients too big or too slow: request
//! headers above [`MAX_HEADER_BYTES`] are refused with 431, and a body must
//! keep coming: no gap longer than [`BODY_IDLE`] between its chunks, and at
//! least [`MIN_BODY_RATE`] bytes a second on average once [`BODY_GRACE`]
//! has passed (a slow-loris client sending a byte a second is cut off with
//! 408 and its connection closed). Idle connections and slow headers are
//! actix-web's to time out (5 s, answered 408).

use std::io;
use std::pin::Pin;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use futures_util::{Stream, StreamExt};

use crate::error::ApiError;

/// The largest request head (request line and headers) accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The longest wait for the next chunk of a body.
pub const BODY_IDLE: Duration = Duration::from_secs(10);
/// How long a body may take before its average rate is checked.
pub const BODY_GRACE: Duration = Duration::from_secs(10);
/// The slowest average rate a body may arrive at after the grace period.
pub const MIN_BODY_RATE: u64 = 8 * 1024;

/// Whether a payload error is one of these limits (a 408).
pub fn timed_out(err: &PayloadError) -> bool {
    matches!(err, PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
}

/// The 408 of a body that stopped coming or came too slowly.
pub fn too_slow() -> ApiError {
    ApiError::RequestTimeout(format!(
        "the body came too slowly (a gap of over {} s, or under {} KiB/s)",
        BODY_IDLE.as_secs(),
        MIN_BODY_RATE / 1024
    ))
}

type Inner = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

struct Deadline {
    inner: Inner,
    started: Instant,
    received: u64,
    done: bool,
}

fn slow(why: &str) -> PayloadError {
    PayloadError::Io(io::Error::new(io::ErrorKind::TimedOut, why.to_string()))
}

/// `payload` with the body limits applied.
fn with_deadline(payload: Payload) -> Payload {
    let state = Deadline {
        inner: Box::pin(payload),
        started: Instant::now(),
        received: 0,
        done: false,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        match tokio::time::timeout(BODY_IDLE, s.inner.next()).await {
            Err(_) => {
                s.done = true;
                Some((Err(slow("no body bytes for too long")), s))
            }
            Ok(None) => None,
            Ok(Some(Err(e))) => {
                s.done = true;
                Some((Err(e), s))
            }
            Ok(Some(Ok(chunk))) => {
                s.received += chunk.len() as u64;
                let elapsed = s.started.elapsed();
                if elapsed > BODY_GRACE
                    && (s.received as f64) < MIN_BODY_RATE as f64 * elapsed.as_secs_f64()
                {
                    s.done = true;
                    return Some((Err(slow("the body comes too slowly")), s));
                }
                Some((Ok(chunk), s))
            }
        }
    });
    // Fused: readers (multipart) may poll again after the end.
    Payload::Stream {
        payload: Box::pin(stream.fuse()),
    }
}

fn head_bytes(req: &ServiceRequest) -> usize {
    req.uri().path_and_query().map_or(0, |p| p.as_str().len())
        + req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>()
}

/// See the module documentation.
pub async fn limits(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if head_bytes(&req) > MAX_HEADER_BYTES {
        return Err(ApiError::HeadersTooLarge(format!(
            "the request line and headers may be at most {MAX_HEADER_BYTES} bytes"
        ))
        .into());
    }
    let has_body = req
        .headers()
        .contains_key(actix_web::http::header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if has_body {
        let payload = req.take_payload();
        req.set_payload(with_deadline(payload));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
