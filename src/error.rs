//! One error type for the crate. Every failure a client can see becomes an
//! RFC 9457 `application/problem+json` body; the request id and `instance` are
//! filled in by the request middleware, which sees every response.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::constraints;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field (or query parameter) that was rejected, as the client spelled it.
    #[schema(example = "slug")]
    pub field: String,
    /// Why it was rejected.
    #[schema(example = "already taken")]
    pub message: String,
}

impl FieldError {
    /// A field error from anything printable.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document, the body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation", "title": "Validation failed", "status": 422,
    "detail": "1 field is invalid", "instance": "/api/v1/sections",
    "request_id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a",
    "errors": [{"field": "name", "message": "must not be empty"}]
}))]
pub struct Problem {
    /// A relative URI naming the kind of problem; stable, safe to switch on.
    #[serde(rename = "type")]
    #[schema(example = "/problems/not-found")]
    pub problem_type: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Not found")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 404)]
    pub status: u16,
    /// What went wrong with this request, for a human.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The path of the request that failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The id of the request, also sent as `X-Request-Id` and written to the server log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The invalid fields, for validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON, query string or path.
    #[error("bad request: {detail}")]
    BadRequest {
        /// What was wrong.
        detail: String,
        /// The offending parameters, when known.
        errors: Vec<FieldError>,
    },
    /// No credentials, or credentials that do not verify.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Authenticated, but the role does not allow this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such resource (or one the caller may not know about).
    #[error("not found: {0}")]
    NotFound(String),
    /// The path exists, but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The methods the path does serve, for the `Allow` header.
        allow: String,
    },
    /// A unique value is taken, or the resource is still in use.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique constraint of the database turned the write down: the field
    /// it concerns is named in `errors`.
    #[error("conflict on {field}: {message}")]
    Taken {
        /// The request field.
        field: &'static str,
        /// What the conflict means.
        message: &'static str,
    },
    /// `If-Match` named a version that is no longer current.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// A write that must say which version it is based on did not.
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    /// The resource existed and was deliberately removed.
    #[error("gone: {0}")]
    Gone(String),
    /// The body is larger than allowed.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// The body stopped coming, or came too slowly.
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    /// The request's headers are too large.
    #[error("request header fields too large: {0}")]
    HeadersTooLarge(String),
    /// The body has a content type this endpoint does not take.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Well-formed, but the values are not acceptable.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Well-formed and valid, but naming things that do not exist (a
    /// section, a parent comment, a media asset): a 404 whose `errors`
    /// name the fields, as the referenced resource is what was not found.
    #[error("unknown reference")]
    UnknownReference(Vec<FieldError>),
    /// Valid, but not possible in the current state of other resources (an
    /// article related to itself, a byline of a reader, an admin's own
    /// demotion): a 409 whose `errors` name the fields.
    #[error("conflict with the current state")]
    StateConflict(Vec<FieldError>),
    /// Too many requests from this client; retry after the given seconds.
    #[error("rate limited")]
    TooManyRequests {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// A dependency (the database) is unreachable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure: logged with its cause chain, never shown.
    #[error("internal error: {0:#}")]
    Internal(#[source] anyhow::Error),
}

/// What a 503 tells the caller.
pub const UNAVAILABLE_DETAIL: &str =
    "the service cannot reach its database right now; try again shortly";
/// The `Retry-After` of a 503, in seconds.
pub const UNAVAILABLE_RETRY_SECS: u32 = 5;

impl ApiError {
    /// A 400 with a detail and no field list.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 400 naming one query parameter.
    pub fn bad_param(param: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::BadRequest {
            detail: format!("query parameter `{param}` {message}"),
            errors: vec![FieldError::new(param, message)],
        }
    }

    /// A 422 for one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A 404 for one field that names something that does not exist.
    pub fn unknown(field: &str, message: impl Into<String>) -> Self {
        Self::UnknownReference(vec![FieldError::new(field, message)])
    }

    /// A 409 for one field whose value the current state does not allow.
    pub fn state_conflict(field: &str, message: impl Into<String>) -> Self {
        Self::StateConflict(vec![FieldError::new(field, message)])
    }

    /// The error for what a check found: invalid values first (422), then
    /// conflicts with the current state (409), then names of things that do
    /// not exist (404); `None` when all is well.
    pub fn from_findings(
        mut invalid: Vec<FieldError>,
        conflicts: Vec<FieldError>,
        unknown: Vec<FieldError>,
    ) -> Option<Self> {
        if !invalid.is_empty() {
            invalid.extend(conflicts);
            invalid.extend(unknown);
            Some(Self::Validation(invalid))
        } else if !conflicts.is_empty() {
            Some(Self::StateConflict(conflicts))
        } else if !unknown.is_empty() {
            Some(Self::UnknownReference(unknown))
        } else {
            None
        }
    }

    /// A 500 for an unexpected condition described by `cause`.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(anyhow::anyhow!("{cause}"))
    }

    /// A 500 that keeps `source` (and what caused it) for the log.
    pub fn from_source(
        context: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::Internal(anyhow::Error::new(source).context(context))
    }

    fn problem_type(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "/problems/bad-request",
            Self::Unauthorized(_) => "/problems/unauthorized",
            Self::Forbidden(_) => "/problems/forbidden",
            Self::NotFound(_) => "/problems/not-found",
            Self::MethodNotAllowed { .. } => "/problems/method-not-allowed",
            Self::Conflict(_) | Self::Taken { .. } => "/problems/conflict",
            Self::PreconditionFailed(_) => "/problems/precondition-failed",
            Self::PreconditionRequired(_) => "/problems/precondition-required",
            Self::Gone(_) => "/problems/gone",
            Self::PayloadTooLarge(_) => "/problems/payload-too-large",
            Self::RequestTimeout(_) => "/problems/request-timeout",
            Self::HeadersTooLarge(_) => "/problems/headers-too-large",
            Self::UnsupportedMediaType(_) => "/problems/unsupported-media-type",
            Self::Validation(_) => "/problems/validation",
            Self::UnknownReference(_) => "/problems/unknown-reference",
            Self::StateConflict(_) => "/problems/state-conflict",
            Self::TooManyRequests { .. } => "/problems/rate-limited",
            Self::Unavailable(_) => "/problems/unavailable",
            Self::Internal(_) => "/problems/internal",
        }
    }

    /// The problem document for this error (without request id and instance).
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::BadRequest { detail, errors } => (Some(detail.clone()), errors.clone()),
            Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::PreconditionFailed(d)
            | Self::PreconditionRequired(d)
            | Self::Gone(d)
            | Self::PayloadTooLarge(d)
            | Self::RequestTimeout(d)
            | Self::HeadersTooLarge(d)
            | Self::UnsupportedMediaType(d) => (Some(d.clone()), Vec::new()),
            // The cause (a host, a port, a driver message) goes to the log
            // with the request id, never to the caller.
            Self::Unavailable(_) => (Some(UNAVAILABLE_DETAIL.to_string()), Vec::new()),
            Self::Validation(errors) => {
                let n = errors.len();
                let detail = if n == 1 {
                    "1 field is invalid".to_string()
                } else {
                    format!("{n} fields are invalid")
                };
                (Some(detail), errors.clone())
            }
            Self::UnknownReference(errors) => (
                Some("the request names something that does not exist".to_string()),
                errors.clone(),
            ),
            Self::StateConflict(errors) => (
                Some("the request conflicts with the current state of what it names".to_string()),
                errors.clone(),
            ),
            Self::MethodNotAllowed { allow } => {
                (Some(format!("this path only serves {allow}")), Vec::new())
            }
            Self::Taken { field, message } => (
                Some((*message).to_string()),
                vec![FieldError::new(*field, *message)],
            ),
            Self::TooManyRequests { retry_after } => (
                Some(format!("too many requests; retry in {retry_after} s")),
                Vec::new(),
            ),
            // Never show the cause of a 500: it may hold SQL, paths or secrets.
            Self::Internal(_) => (
                Some("an unexpected error occurred; quote the request id when reporting it".into()),
                Vec::new(),
            ),
        };
        Problem {
            problem_type: self.problem_type().to_string(),
            title: title_for(status).to_string(),
            status: status.as_u16(),
            detail,
            instance: None,
            request_id: None,
            errors,
        }
    }
}

/// The title of the problem document for a status.
pub fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition failed",
        428 => "Precondition required",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Validation failed",
        429 => "Too many requests",
        503 => "Service unavailable",
        500 => "Internal server error",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::Taken { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnknownReference(_) => StatusCode::NOT_FOUND,
            Self::StateConflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // Runs inside the request's tracing span, so the log line carries its id.
            // `{:#}` prints the whole chain: "database: connection reset: …".
            Self::Internal(cause) => {
                tracing::error!(cause = format!("{cause:#}"), "internal error")
            }
            Self::Unavailable(cause) => tracing::warn!(%cause, "dependency unavailable"),
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            Self::Unauthorized(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"newsdesk\""));
            }
            Self::TooManyRequests { retry_after } => {
                builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unavailable(_) => {
                builder.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_SECS.to_string()));
            }
            Self::MethodNotAllowed { allow } => {
                builder.insert_header((header::ALLOW, allow.clone()));
            }
            _ => {}
        }
        builder.insert_header((header::CACHE_CONTROL, "no-store"));
        builder.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound("no such resource".into()),
            // Races that slipped past the explicit checks still answer
            // honestly, by the constraint's name; an unknown one is a bug.
            err @ Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                match constraints::unique_violated(&err) {
                    Some(unique) => Self::Taken {
                        field: unique.field,
                        message: unique.message,
                    },
                    None => Self::from_source("database", err),
                }
            }
            Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::Conflict("the resource is referenced by, or refers to, another one".into())
            }
            lost if crate::db::connection_lost(&lost) => {
                Self::Unavailable(format!("database connection lost: {lost}"))
            }
            other => Self::from_source("database", other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("database pool: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_500_keeps_its_cause_for_the_log_and_shows_none() {
        let err = ApiError::from(diesel::result::Error::RollbackTransaction);
        let ApiError::Internal(cause) = &err else {
            panic!("not a 500: {err:?}");
        };
        // The chain: what failed, then why.
        assert_eq!(format!("{cause:#}").split(": ").next(), Some("database"));
        assert!(std::error::Error::source(&err).is_some());
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.unwrap_or_default().contains("database"));
    }

    #[test]
    fn unique_violations_answer_by_constraint() {
        let err = ApiError::from(crate::db::constraints::tests::violation(
            "UNIQUE constraint failed: users.email",
            None,
        ));
        let problem = err.problem();
        assert_eq!(problem.status, 409);
        assert_eq!(
            problem.detail.as_deref(),
            Some("an account with this email already exists")
        );
        assert_eq!(problem.errors[0].field, "email");
    }
}
