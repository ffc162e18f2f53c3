//! Compressed responses: `Accept-Encoding: br` or `gzip` for JSON (and the
//! other text formats we answer with), with `Vary: Accept-Encoding`.
//!
//! A compressed representation carries the weak form of the identity's
//! ETag (`W/"…"`): the same content, other bytes, so a strong validator may
//! not be shared (RFC 9110 §8.8.3), while the weak one still revalidates:
//! conditional GETs compare weakly, so `If-None-Match: W/"x"` gets its 304
//! from the handler or the read cache as `"x"` does.
//!
//! Compression happens once per body wherever bodies are kept: the read
//! cache keeps each encoding it has made next to the identity bytes, and
//! delivery documents are stored gzip-compressed too, so that a hit or a
//! document read costs no compression.

use std::io::Write;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;

/// Bodies smaller than this are sent as they are (the headers outweigh
/// what compression saves).
pub const MIN_SIZE: usize = 512;
/// Bodies larger than this are sent as they are (downloads stream).
const MAX_SIZE: usize = 4 * 1024 * 1024;

/// A content coding we produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Brotli (RFC 7932).
    Brotli,
    /// gzip (RFC 1952).
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` token.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The coding to answer with, from `Accept-Encoding`: brotli when accepted,
/// else gzip, else none; `q=0` refuses a coding (and `*` stands for those
/// not named).
pub fn negotiate(headers: &HeaderMap) -> Option<Encoding> {
    let mut br: Option<bool> = None;
    let mut gzip: Option<bool> = None;
    let mut any: Option<bool> = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let accepted = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .all(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0));
            match name.as_str() {
                "br" => br = Some(accepted),
                "gzip" | "x-gzip" => gzip = Some(accepted),
                "*" => any = Some(accepted),
                _ => {}
            }
        }
    }
    if br.or(any) == Some(true) {
        Some(Encoding::Brotli)
    } else if gzip.or(any) == Some(true) {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// The coding a kept body of `len` bytes is answered in (the read cache's
/// entries, delivery documents): as negotiated, for bodies worth it.
/// Whatever else such an answer needs (`Vary`, a 304's weak ETag) the
/// middleware adds.
pub fn for_kept(headers: &HeaderMap, len: usize) -> Option<Encoding> {
    negotiate(headers).filter(|_| len >= MIN_SIZE)
}

/// `body` in `encoding`, for a body that is kept and sent many times (the
/// read cache's variants, delivery documents): brotli quality 5, gzip 6.
pub fn compress(encoding: Encoding, body: &[u8]) -> Bytes {
    encode(encoding, body, 6, 5)
}

/// `body` in `encoding`, for one response (lists and searches, compressed
/// by the middleware as they go out): brotli quality 1, gzip 1. Measured on
/// a 24 KB section page at 100,000 articles, random sections, cache off:
/// quality 5 answered 1,060 req/s (4,038 bytes), quality 1 2,721 (4,623),
/// identity about 3,000; gzip 6 1,886 (4,262 bytes).
pub fn compress_once(encoding: Encoding, body: &[u8]) -> Bytes {
    encode(encoding, body, 1, 1)
}

fn encode(encoding: Encoding, body: &[u8], gzip_level: u32, brotli_quality: u32) -> Bytes {
    let mut out = Vec::with_capacity(body.len() / 3 + 64);
    match encoding {
        Encoding::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(&mut out, flate2::Compression::new(gzip_level));
            // Writing to a Vec cannot fail.
            let _ = encoder.write_all(body);
            let _ = encoder.finish();
        }
        Encoding::Brotli => {
            let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, brotli_quality, 22);
            let _ = encoder.write_all(body);
            drop(encoder);
        }
    }
    Bytes::from(out)
}

/// Whether a response of this type is text worth compressing.
pub fn compressible(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.starts_with("application/json")
                || t.starts_with("application/problem+json")
                || t.starts_with("application/xml")
                || t.starts_with("application/rss+xml")
                || t.starts_with("application/atom+xml")
                || t.starts_with("application/feed+json")
                || t.starts_with("text/")
        })
}

/// Adds `Accept-Encoding` to `Vary` (once).
pub fn vary(headers: &mut HeaderMap) {
    let present = headers.get_all(header::VARY).any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|n| n.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !present {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

/// Marks `headers` as those of the `encoding` representation: its coding,
/// `Vary`, and the ETag made weak.
pub fn encoded_headers(headers: &mut HeaderMap, encoding: Encoding) {
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(encoding.token()),
    );
    headers.remove(header::CONTENT_LENGTH);
    weaken_etag(headers);
}

/// `Vary: Accept-Encoding` and, on public answers, the content-hash ETag
/// made weak: also the headers of a 304 to a request whose 200 would have
/// been compressed. The version ETags of answers for staff (`"<version>"`)
/// name the resource's version whatever the bytes, and are what `If-Match`
/// sends back on a write: they stay as they are.
pub fn weaken_etag(headers: &mut HeaderMap) {
    vary(headers);
    let public = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if !public {
        return;
    }
    let weak = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.starts_with("W/"))
        .and_then(|t| HeaderValue::from_str(&format!("W/{t}")).ok());
    if let Some(weak) = weak {
        headers.insert(header::ETAG, weak);
    }
}

/// The middleware: compresses what the handlers (and the read cache, which
/// compresses its own hits) left uncompressed.
pub async fn compress_responses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let encoding = negotiate(req.headers());
    let head_request = req.method() == actix_web::http::Method::HEAD;
    // Media bytes are never compressed; their 304s keep their ETag.
    let binary = req.path().ends_with("/file") || req.path().contains("/renditions/");
    let mut res = next.call(req).await?.map_into_boxed_body();
    let not_modified = res.status() == StatusCode::NOT_MODIFIED && !binary;
    if (!compressible(res.headers()) && !not_modified)
        || res.headers().contains_key(header::CONTENT_ENCODING)
    {
        return Ok(res);
    }
    vary(res.headers_mut());
    let Some(encoding) = encoding else {
        return Ok(res);
    };
    if not_modified {
        // The 304 of a request whose 200 would have been compressed names
        // the validator that 200 carries.
        weaken_etag(res.headers_mut());
        return Ok(res);
    }
    if res.status() != StatusCode::OK || head_request {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (mut head, body) = {
        let (head, body) = response.into_parts();
        (head, body)
    };
    let bytes = match body.size() {
        body::BodySize::Sized(n) if (MIN_SIZE as u64..=MAX_SIZE as u64).contains(&n) => {
            match body::to_bytes_limited(body, MAX_SIZE).await {
                Ok(Ok(bytes)) => bytes,
                _ => {
                    return Err(actix_web::error::ErrorInternalServerError(
                        "response body unreadable",
                    ))
                }
            }
        }
        _ => return Ok(ServiceResponse::new(req, head.set_body(body))),
    };
    let compressed = compress_once(encoding, &bytes);
    encoded_headers(head.headers_mut(), encoding);
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(compressed)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderName;

    fn accept(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                HeaderName::from_static("accept-encoding"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        headers
    }

    #[test]
    fn negotiation_prefers_brotli_and_honours_q_zero() {
        assert_eq!(
            negotiate(&accept(&["gzip, deflate, br"])),
            Some(Encoding::Brotli)
        );
        assert_eq!(negotiate(&accept(&["gzip"])), Some(Encoding::Gzip));
        assert_eq!(negotiate(&accept(&["br;q=0, gzip"])), Some(Encoding::Gzip));
        assert_eq!(negotiate(&accept(&["identity"])), None);
        assert_eq!(negotiate(&accept(&[])), None);
        assert_eq!(negotiate(&accept(&["*"])), Some(Encoding::Brotli));
        assert_eq!(negotiate(&accept(&["*;q=0"])), None);
        assert_eq!(
            negotiate(&accept(&["deflate", "gzip;q=0.5"])),
            Some(Encoding::Gzip)
        );
    }

    #[test]
    fn compressed_bodies_decompress_to_the_original() {
        use std::io::Read;
        let body =
            br#"{"headline":"Ferry timetable changes","body":"The first boat leaves at six."}"#
                .repeat(20);
        for make in [compress, compress_once] {
            let gz = make(Encoding::Gzip, &body);
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .expect("gunzip");
            assert_eq!(back, body);
            let br = make(Encoding::Brotli, &body);
            let mut back = Vec::new();
            brotli::Decompressor::new(&br[..], 4096)
                .read_to_end(&mut back)
                .expect("unbrotli");
            assert_eq!(back, body);
            assert!(br.len() < body.len() / 4 && gz.len() < body.len() / 4);
        }
    }
}
