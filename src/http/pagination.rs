//! Query strings and keyset pagination: errors that name the parameter, the
//! `limit`/`cursor` parameters every list shares, cursors, `meta` and `Link`.

use actix_web::error::QueryPayloadError;
use actix_web::http::header;
use actix_web::{dev::Payload, FromRequest, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::future::{ready, Ready};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};
use crate::http::json::unknown_field_name;
use crate::http::response::{read_json, to_json, Audience};

/// Turns actix's query-string errors into 400s that name the parameter.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    let message = match &err {
        actix_web::error::QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    let (detail, param) = if let Some(name) = unknown_field_name(&message) {
        (
            message.replacen("unknown field", "unknown query parameter", 1),
            Some(name),
        )
    } else if let Some(rest) = message.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or("").to_string();
        (
            format!("query parameter `{name}` is given more than once"),
            Some(name),
        )
    } else if let Some(rest) = message.strip_prefix("query parameter `") {
        (message.clone(), rest.split('`').next().map(str::to_string))
    } else {
        (format!("invalid query string: {message}"), None)
    };
    let errors = param
        .map(|p| {
            let prefix = format!("query parameter `{p}` ");
            let message = detail.strip_prefix(&prefix).unwrap_or(&detail).to_string();
            vec![FieldError::new(p, message)]
        })
        .unwrap_or_default();
    ApiError::BadRequest { detail, errors }.into()
}

/// Deserializes `limit` (1..=100), with an error that names it.
pub fn de_limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.parse::<i64>() {
        Ok(n) if (1..=100).contains(&n) => Ok(Some(n)),
        _ => Err(serde::de::Error::custom(
            "query parameter `limit` must be an integer from 1 to 100",
        )),
    }
}

/// Deserializes `include_total` (`true` or `false`), with an error that names it.
pub fn de_include_total<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(
            "query parameter `include_total` must be true or false",
        )),
    }
}

/// Deserializes `include_subsections` (`true` or `false`), with an error that names it.
pub fn de_include_subsections<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let raw = String::deserialize(d)?;
    match raw.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(serde::de::Error::custom(
            "query parameter `include_subsections` must be true or false",
        )),
    }
}

/// The `meta` of every list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListMeta {
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The page size used.
    #[schema(example = 20)]
    pub limit: i64,
    /// How many items match in all; only with `include_total=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

/// Default page size.
pub const DEFAULT_LIMIT: i64 = 20;

/// Cuts a page from `limit + 1` fetched rows: the extra row only tells that a
/// next page exists, and the cursor is the key of the last row kept.
pub fn split_page<T, K: Serialize>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let cursor = rows.last().map(|r| encode_cursor(&key(r)));
    (rows, cursor)
}

/// Encodes a keyset position as an opaque cursor.
pub fn encode_cursor<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// The position a list's `cursor` parameter names; `cursor=` (empty) is the first page.
pub fn page_cursor<T: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<T>, ApiError> {
    cursor
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()
}

/// Adds `Link: <…>; rel="next"` to a list response when there is a next page.
pub fn add_next_link(response: &mut HttpResponse, req: &HttpRequest, next_cursor: Option<&str>) {
    if let Some(value) = next_cursor.and_then(|c| next_link(req, c).parse().ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
}

/// Decodes a cursor made by [`encode_cursor`]; anything else is a 400 naming `cursor`.
pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> Result<T, ApiError> {
    let bad = || ApiError::bad_param("cursor", "is not a cursor this server issued");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    if bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Err(bad());
    }
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// The `Link: <…>; rel="next"` header value for the next page of this request.
pub fn next_link(req: &HttpRequest, next_cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .collect();
    pairs.push(("cursor".into(), next_cursor.into()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{}?{}>; rel=\"next\"", req.path(), query)
}

/// A page of a list as it goes on the wire.
#[derive(Serialize)]
struct Listed<T> {
    data: Vec<T>,
    meta: ListMeta,
}

/// Answers a page of a list, `{"data": [...], "meta": {...}}` with its
/// `Link: <…>; rel="next"`, as `audience` may see it.
pub fn list_json<T: Serialize>(
    req: &HttpRequest,
    data: Vec<T>,
    meta: ListMeta,
    audience: Audience,
) -> HttpResponse {
    let next_cursor = meta.next_cursor.clone();
    list_response(req, to_json(&Listed { data, meta }), next_cursor, audience)
}

/// A list's body answered with its `Link: <…>; rel="next"`.
fn list_response(
    req: &HttpRequest,
    body: Vec<u8>,
    next_cursor: Option<String>,
    audience: Audience,
) -> HttpResponse {
    let mut response = read_json(req, body, audience);
    add_next_link(&mut response, req, next_cursor.as_deref());
    response
}

/// A list item that writes its own JSON: one kept ready as JSON is copied
/// as it is, not parsed and serialized again.
pub trait WriteJson {
    /// Appends the item's JSON to `out`.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()>;
}

impl WriteJson for serde_json::Value {
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

/// [`list_json`] for items that write their own JSON: the same bytes as a
/// [`Listed`] of them serialized.
pub fn list_json_written<T: WriteJson>(
    req: &HttpRequest,
    data: &[T],
    meta: ListMeta,
    audience: Audience,
) -> Result<HttpResponse, ApiError> {
    let body = listed_body(data, &meta).map_err(ApiError::internal)?;
    Ok(list_response(req, body, meta.next_cursor, audience))
}

/// `{"data":[…],"meta":{…}}`, written item by item.
fn listed_body<T: WriteJson>(data: &[T], meta: &ListMeta) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"data\":[");
    for (i, item) in data.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item.write_json(&mut out)?;
    }
    out.extend_from_slice(b"],\"meta\":");
    serde_json::to_writer(&mut out, meta)?;
    out.push(b'}');
    Ok(out)
}

/// The paging parameters every list takes: `limit` and `cursor`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size, 1 to 100 (default 20).
    #[serde(default, deserialize_with = "crate::http::pagination::de_limit")]
    #[param(minimum = 1, maximum = 100, value_type = Option<i64>)]
    pub limit: Option<i64>,
    /// `meta.next_cursor` of the previous page (opaque; empty means the first page).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

impl Page {
    /// The page size asked for, or the default.
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    /// The position after which this page starts (`None`: the first page).
    pub fn after<T: DeserializeOwned>(&self) -> Result<Option<T>, ApiError> {
        page_cursor(self.cursor.as_deref())
    }
}

/// The filters of a list that has none but paging.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoFilters {}

/// `include_total`, for lists that can count their matches.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Total {
    /// Add `meta.total`.
    #[serde(
        default,
        deserialize_with = "crate::http::pagination::de_include_total"
    )]
    #[param(value_type = Option<bool>)]
    pub include_total: Option<bool>,
}

/// A list's query string: its own filters `T` and the shared paging
/// parameters, each checked strictly (an unknown or repeated parameter is a
/// 400 that names it). `TOTAL` lists also take `include_total`. Document it
/// with `params(T, Page)`, or `params(T, Page, Total)`.
pub struct Paged<T, const TOTAL: bool = false> {
    /// The list's own parameters.
    pub filter: T,
    /// Paging.
    pub page: Page,
    /// Whether `meta.total` was asked for.
    pub with_total: bool,
}

impl<T: DeserializeOwned, const TOTAL: bool> FromRequest for Paged<T, TOTAL> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(paged(req))
    }
}

fn paged<T: DeserializeOwned, const TOTAL: bool>(
    req: &HttpRequest,
) -> Result<Paged<T, TOTAL>, actix_web::Error> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| query_error(QueryPayloadError::Deserialize(e), req))?;
    let (mut filters, mut paging, mut total) = (Vec::new(), Vec::new(), Vec::new());
    for (name, value) in pairs {
        match name.as_str() {
            "limit" | "cursor" => paging.push((name, value)),
            "include_total" if TOTAL => total.push((name, value)),
            _ => filters.push((name, value)),
        }
    }
    let total: Total = from_pairs(&total, req)?;
    Ok(Paged {
        filter: from_pairs(&filters, req)?,
        page: from_pairs(&paging, req)?,
        with_total: total.include_total.unwrap_or(false),
    })
}

fn from_pairs<X: DeserializeOwned>(
    pairs: &[(String, String)],
    req: &HttpRequest,
) -> Result<X, actix_web::Error> {
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    serde_urlencoded::from_str(&query)
        .map_err(|e| query_error(QueryPayloadError::Deserialize(e), req))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_written_item_by_item_is_the_list_serialized() {
        let items = vec![
            serde_json::json!({"id": "a", "headline": "Quoted \"word\" and ünïcode"}),
            serde_json::json!({"id": "b", "tags": [], "n": 1.5}),
        ];
        for (data, next_cursor, total) in [
            (items.clone(), Some("abc".to_string()), None),
            (items.clone(), None, Some(2)),
            (Vec::new(), None, Some(0)),
        ] {
            let meta = || ListMeta {
                next_cursor: next_cursor.clone(),
                limit: 20,
                total,
            };
            let written = listed_body(&data, &meta()).expect("written");
            let serialized = to_json(&Listed {
                data: data.clone(),
                meta: meta(),
            });
            assert_eq!(
                String::from_utf8(written).expect("utf-8"),
                String::from_utf8(serialized).expect("utf-8")
            );
        }
    }
}
