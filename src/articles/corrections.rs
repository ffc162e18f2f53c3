//! The public corrections log, and preview links for drafts.

use std::time::Duration;

use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::articles::access::{self, not_found};
use crate::articles::queries::{self, CorrectionRow};
use crate::auth::{AuthUser, Role};
use crate::db;
use crate::error::{ApiError, FieldError};
use crate::http::{self, ApiJson};
use crate::startup::AppState;

/// A correction, clarification or update, shown with the article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Correction {
    /// Id.
    pub id: String,
    /// `correction`, `clarification` or `update`.
    pub kind: String,
    /// What was wrong, and what is right.
    pub text: String,
    /// When it was appended (RFC 3339, UTC).
    pub created_at: String,
}

impl From<CorrectionRow> for Correction {
    fn from(row: CorrectionRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            text: row.text,
            created_at: http::format_time(row.created_at),
        }
    }
}

/// A new entry of the corrections log.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "correction", "text": "An earlier version gave the wrong date of the meeting."}))]
pub struct CorrectionRequest {
    /// `correction`, `clarification` or `update`.
    pub kind: String,
    /// The notice readers see (1 to 2000 characters).
    pub text: String,
}

/// Append to an article's public corrections log (authors their own, editors any).
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    request_body = CorrectionRequest,
    security(("bearer" = [])),
    responses((status = 201, description = "The correction, now shown with the article", body = Correction)),
)]
#[post("/articles/{id}/corrections")]
pub async fn add_correction(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<CorrectionRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Author)?;
    let input = body.0;
    let mut errors = Vec::new();
    if !["correction", "clarification", "update"].contains(&input.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "must be correction, clarification or update",
        ));
    }
    let sent = input.text.chars().count();
    let text = input.text.trim().to_string();
    if text.is_empty() || sent > 2000 || text.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new(
            "text",
            "must be 1 to 2000 characters of text",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let mut article = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
            access::may_publish(&user, &article)?;
            let row = CorrectionRow {
                id: db::new_id(),
                article_id: id.clone(),
                kind: input.kind,
                text,
                created_by: Some(user.id.clone()),
                created_at: db::now(),
            };
            queries::add_correction(conn, &row)?;
            // The article changed for readers: new version, new validators.
            let version = article.version;
            article.version += 1;
            article.modified_at = row.created_at;
            if !queries::save_article(conn, &article, version)? {
                return Err(ApiError::PreconditionFailed(
                    "the article changed meanwhile".into(),
                ));
            }
            Ok(row)
        })
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/articles/{}", row.article_id)));
    Ok(http::private_json(&mut builder, &Correction::from(row)))
}

/// How long a preview link works.
pub const PREVIEW_TTL: Duration = Duration::from_secs(48 * 3600);

/// A signed link to read an unpublished article without logging in.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewLink {
    /// Pass as `?preview=` to `GET /api/v1/articles/{id}`.
    pub token: String,
    /// The API URL that reads the article with the token.
    pub url: String,
    /// When the link stops working (RFC 3339, UTC).
    pub expires_at: String,
}

/// Make a preview link for an article (staff). It works for 48 hours.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    security(("bearer" = [])),
    responses((status = 201, description = "The preview link", body = PreviewLink)),
)]
#[post("/articles/{id}/preview-link")]
pub async fn create_preview_link(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let id = id.into_inner();
    let article_id = id.clone();
    db::run(&state.pool, move |conn| {
        queries::find_by_id(conn, &article_id)?.ok_or_else(not_found)
    })
    .await?;
    let (token, exp) = state.jwt.issue_preview(&id, PREVIEW_TTL)?;
    let expires_at = chrono::DateTime::from_timestamp(exp as i64, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    let link = PreviewLink {
        url: format!("/api/v1/articles/{id}?preview={token}"),
        token,
        expires_at,
    };
    Ok(http::private_json(&mut HttpResponse::Created(), &link))
}
