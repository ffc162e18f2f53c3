//! CORS, for browser frontends on other origins. Off unless origins are
//! configured (`NEWSDESK_CORS_ORIGINS`):
//!
//! - `*` lets any origin read public content: `GET` and `HEAD` without an
//!   `Authorization` header (a preflight asking for more is refused);
//! - listed origins (`https://www.example.com,https://admin.example.com`)
//!   may do anything the API allows, with a bearer token.
//!
//! Both may be given (`*,https://admin.example.com`). Answers name the
//! origin they allow and carry `Vary: Origin`; preflights are answered here,
//! before routing, and browsers may cache them for [`MAX_AGE`] seconds.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::error::ApiError;

/// How long browsers may cache a preflight answer, in seconds.
pub const MAX_AGE: u32 = 600;
/// Methods listed origins may use.
const METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";
/// Methods any origin may use (`*`).
const READ_METHODS: &str = "GET, HEAD, OPTIONS";
/// Request headers listed origins may send.
const HEADERS: &str =
    "Authorization, Content-Type, If-Match, If-None-Match, Last-Event-ID, Accept, Accept-Language";
/// Request headers any origin may send.
const READ_HEADERS: &str = "If-None-Match, Last-Event-ID, Accept, Accept-Language";
/// Response headers scripts may read.
const EXPOSED: &str =
    "ETag, Location, Link, X-Request-Id, Retry-After, Last-Modified, Surrogate-Key, X-Cache";

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    /// Any origin may read public content.
    pub any: bool,
    /// Origins that may do anything, with a token (`scheme://host[:port]`).
    pub origins: Vec<String>,
}

/// What an origin may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// Nothing: no CORS headers.
    None,
    /// Public reads (`*`).
    Read,
    /// Everything (a listed origin).
    All,
}

impl CorsPolicy {
    /// Parses `NEWSDESK_CORS_ORIGINS`: `*` and origins, comma-separated.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut policy = Self::default();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                policy.any = true;
                continue;
            }
            let url = url::Url::parse(item)
                .map_err(|e| anyhow::anyhow!("CORS origin `{item}` is not a URL: {e}"))?;
            let origin = url.origin().ascii_serialization();
            anyhow::ensure!(
                url.origin().is_tuple() && item.trim_end_matches('/') == origin,
                "CORS origin `{item}` must be scheme://host[:port], like {origin}"
            );
            policy.origins.push(origin);
        }
        Ok(policy)
    }

    /// Whether CORS is on.
    pub fn enabled(&self) -> bool {
        self.any || !self.origins.is_empty()
    }

    fn grant(&self, origin: &str) -> Grant {
        if self.origins.iter().any(|o| o == origin) {
            Grant::All
        } else if self.any {
            Grant::Read
        } else {
            Grant::None
        }
    }
}

/// See the module documentation.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let policy = req.app_data::<web::Data<CorsPolicy>>().cloned();
    let Some(policy) = policy.filter(|p| p.enabled()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(origin) = origin else {
        let mut res = next.call(req).await?.map_into_boxed_body();
        vary_origin(&mut res);
        return Ok(res);
    };
    let grant = policy.grant(&origin);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let answer = preflight_answer(&req, grant, &origin);
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, answer));
    }
    let reads_only = grant == Grant::Read
        && (!matches!(*req.method(), Method::GET | Method::HEAD)
            || req.headers().contains_key(header::AUTHORIZATION));
    let mut res = next.call(req).await?.map_into_boxed_body();
    vary_origin(&mut res);
    if grant != Grant::None && !reads_only {
        let headers = res.headers_mut();
        let allowed = if grant == Grant::Read {
            "*"
        } else {
            origin.as_str()
        };
        if let Ok(value) = HeaderValue::from_str(allowed) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
    Ok(res)
}

fn vary_origin(res: &mut ServiceResponse<BoxBody>) {
    let headers = res.headers_mut();
    let vary = headers
        .get(header::VARY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let value = match vary {
        Some(v)
            if v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("origin")) =>
        {
            return
        }
        Some(v) => format!("{v}, Origin"),
        None => "Origin".to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}

/// The answer to a preflight: 204 with what `origin` may do, or 403 when it
/// may not do what it asks.
fn preflight_answer(req: &ServiceRequest, grant: Grant, origin: &str) -> HttpResponse {
    let asked_method = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_uppercase();
    let asked_headers: Vec<String> = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let (methods, headers, allowed_origin) = match grant {
        Grant::All => (METHODS, HEADERS, origin),
        Grant::Read => (READ_METHODS, READ_HEADERS, "*"),
        Grant::None => ("", "", ""),
    };
    let method_ok = methods.split(", ").any(|m| m == asked_method);
    let headers_ok = asked_headers.iter().all(|h| {
        headers
            .split(", ")
            .any(|allowed| allowed.eq_ignore_ascii_case(h))
    });
    if grant == Grant::None || !method_ok || !headers_ok {
        let why = match grant {
            Grant::None => format!("the origin {origin} may not call this API from a browser"),
            Grant::Read => format!(
                "the origin {origin} may only read public content (GET, HEAD) without a token"
            ),
            Grant::All => format!(
                "{asked_method} with the headers [{}] is not allowed",
                asked_headers.join(", ")
            ),
        };
        let mut res = actix_web::ResponseError::error_response(&ApiError::Forbidden(why));
        res.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Origin"));
        return res;
    }
    let mut builder = HttpResponse::NoContent();
    builder
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, allowed_origin))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, headers))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE.to_string()))
        .insert_header((header::VARY, "Origin"));
    builder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_strictly() {
        let policy =
            CorsPolicy::parse("*, https://www.example.com,http://localhost:3000").expect("parses");
        assert!(policy.any);
        assert_eq!(
            policy.origins,
            ["https://www.example.com", "http://localhost:3000"]
        );
        assert_eq!(policy.grant("https://www.example.com"), Grant::All);
        assert_eq!(policy.grant("https://evil.example"), Grant::Read);
        assert!(!CorsPolicy::parse("").expect("empty").enabled());
        assert!(CorsPolicy::parse("https://www.example.com/path").is_err());
        assert!(CorsPolicy::parse("www.example.com").is_err());
        let listed = CorsPolicy::parse("https://a.example").expect("parses");
        assert_eq!(listed.grant("https://b.example"), Grant::None);
    }
}
