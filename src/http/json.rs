//! JSON bodies: the strict extractor, errors that name the field, and JSON
//! Merge Patch (RFC 7396).

use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, FieldError};

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// A JSON request body, parsed strictly: the content type must be JSON, the
/// body at most [`JSON_LIMIT`] bytes, and a field that does not fit is a 422
/// that names it.
pub struct ApiJson<T>(pub T);

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json_content_type(req);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            let too_large = || {
                ApiError::PayloadTooLarge(format!("a JSON body may be at most {JSON_LIMIT} bytes"))
            };
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(too_large());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    if crate::http::limits::timed_out(&e) {
                        crate::http::limits::too_slow()
                    } else {
                        ApiError::bad_request(format!("cannot read body: {e}"))
                    }
                })?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse_json(&body).map(ApiJson)
        })
    }
}

/// Parses a JSON body: a syntax error is a 400, a value that does not fit the
/// type is a 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    // Every body this API takes is an object; serde would also read a struct
    // from an array, which no client means.
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    // No text we store may hold NUL: PostgreSQL refuses it, and no
    // newsroom text needs it. Refused here once for every endpoint.
    if let Some(path) = find_nul(&value, String::new()) {
        return Err(ApiError::invalid(
            &path,
            "must not contain the NUL character",
        ));
    }
    let mut value = value;
    integral_floats(&mut value);
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        json_error(err.into_inner(), &path)
    })
}

/// `3.0` is the integer 3 to JSON Schema (and to JavaScript, which cannot
/// tell them apart): numbers without a fraction become integers, so an
/// integer field takes them as the document promises.
fn integral_floats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                // Exactly representable integers only (|f| < 2^53).
                if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
                    *value = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats),
        _ => {}
    }
}

/// The path of the first string (or key) in `value` that contains NUL.
fn find_nul(value: &serde_json::Value, path: String) -> Option<String> {
    let here = || {
        if path.is_empty() {
            "body".to_string()
        } else {
            path.clone()
        }
    };
    match value {
        serde_json::Value::String(s) if s.contains('\0') => Some(here()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{}[{i}]", here()))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                return Some(here());
            }
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            find_nul(v, child)
        }),
        _ => None,
    }
}

fn json_error(inner: serde_json::Error, path: &str) -> ApiError {
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            // serde_path_to_error's path already ends in an unknown field's name.
            let field = match path {
                "." | "" => unknown_field_name(&message).unwrap_or_else(|| "body".to_string()),
                path => path.to_string(),
            };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The name in serde's "unknown field `x`" message.
pub(crate) fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// Lets a JSON Merge Patch tell `"field": null` (clear) from an absent field.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Applies an RFC 7396 JSON Merge Patch to a document.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in changes {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(
                    map.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

/// Reads the document a merge patch produced. The patch was valid on its
/// own (a patch may leave out any field, and a nested object is merged into
/// the stored one), so a field the result lacks was lacking in the stored
/// document: the request conflicts with the current state (409), it is not
/// invalid (say, a focal point's `x` alone where none is stored yet).
pub fn parse_merged<T: DeserializeOwned>(document: &serde_json::Value) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(document).map_err(ApiError::internal)?;
    parse_json(&bytes).map_err(|e| match e {
        ApiError::Validation(errors)
            if errors
                .iter()
                .all(|f| f.message.starts_with("missing field")) =>
        {
            ApiError::StateConflict(errors)
        }
        other => other,
    })
}

/// Refuses a merge patch naming fields its schema (`ArticleDocumentPatch`,
/// `MediaMetadataPatch`) does not have, at any depth. A `null` for an
/// unknown field would otherwise pass silently (it removes nothing), while
/// the schema says unknown fields are refused.
pub fn check_patch_fields(schema: &str, patch: &serde_json::Value) -> Result<(), ApiError> {
    fn walk(
        schema: &str,
        patch: &serde_json::Value,
        prefix: &str,
        errors: &mut Vec<FieldError>,
    ) -> Result<(), ApiError> {
        let Some(patch) = patch.as_object() else {
            return Ok(());
        };
        let fields = crate::openapi::patch_fields(schema)
            .ok_or_else(|| ApiError::internal(format!("no schema {schema} in the document")))?;
        for (key, value) in patch {
            let path = format!("{prefix}{key}");
            match fields.get(key) {
                None => errors.push(FieldError::new(&path, "is not a field of this resource")),
                Some(Some(nested)) => walk(nested, value, &format!("{path}."), errors)?,
                Some(None) => {}
            }
        }
        Ok(())
    }
    let mut errors = Vec::new();
    walk(schema, patch, "", &mut errors)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
