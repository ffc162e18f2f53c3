//! The public corrections log, and preview links for drafts.

use std::time::Duration;

use actix_web::{post, web, HttpResponse};

use crate::articles::access::{self, not_found};
use crate::articles::dto::{Correction, CorrectionRequest, PreviewLink};
use crate::articles::{queries, service};
use crate::auth::extract::AuthUser;
use crate::auth::role::Role;
use crate::db;
use crate::error::ApiError;
use crate::http::{self, ApiJson};
use crate::state::AppState;

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
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        service::add_correction(conn, &user, &id, body.0)
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/articles/{}", row.article_id)));
    Ok(http::private_json(&mut builder, &Correction::from(row)))
}

/// How long a preview link works.
pub const PREVIEW_TTL: Duration = Duration::from_secs(48 * 3600);

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
    // Made only by those who may edit the article; those who may not even
    // see it learn nothing of it.
    db::run(&state.pool, move |conn| {
        let article = queries::find_by_id(conn, &article_id)?.ok_or_else(not_found)?;
        access::may_read(conn, Some(&user), &article, db::now())?;
        access::may_edit(&user, &article)
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
