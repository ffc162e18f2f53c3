//! Workflow endpoints: submit, publish (or schedule), unpublish, archive,
//! withdraw. The rules live in `service`; visibility is decided when articles
//! are read, so nothing has to run at a scheduled time.

use actix_web::{post, web, HttpResponse};

use crate::articles::dto::{ArticleResponse, PublishRequest};
use crate::articles::handlers::write_article;
use crate::articles::service;
use crate::auth::extract::AuthUser;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::{parse_json, IfMatch};
use crate::state::AppState;

/// Submit a draft for review (its writer, or an editor).
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Now in review", body = ArticleResponse),
        (status = 409, description = "Not a draft", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{id}/submit")]
pub async fn submit_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.version()?;
    write_article(&state, false, move |conn, _| {
        service::submit(conn, &user, &id, expected)?;
        Ok(id.into_inner())
    })
    .await
}

/// Publish now, or schedule with a future `at` (authors their own, editors any).
///
/// The body is optional: `{"at": "2026-12-01T06:00:00Z"}`. A scheduled
/// article appears at its time (and never before its embargo) with nothing
/// to run.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"`")),
    request_body(content = Option<PublishRequest>, description = "When to publish (default: now)"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published or scheduled", body = ArticleResponse),
        (status = 409, description = "Withdrawn articles cannot be published again", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{id}/publish")]
pub async fn publish_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.version()?;
    // No body: publish now.
    let request: PublishRequest = if body.trim_ascii().is_empty() {
        PublishRequest::default()
    } else {
        parse_json(&body)?
    };
    let at = request.at.map(|t| db::truncate(t.naive_utc()));
    write_article(&state, false, move |conn, _| {
        service::publish(conn, &user, &id, expected, at)?;
        Ok(id.into_inner())
    })
    .await
}

macro_rules! simple_action {
    ($name:ident, $path:literal, $doc:literal, $ok:literal, $service:path) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "articles",
            params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"`")),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $ok, body = ArticleResponse),
                (status = 409, description = "Not possible from the article's status", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(state: web::Data<AppState>, user: AuthUser, id: web::Path<String>, if_match: IfMatch) -> Result<HttpResponse, ApiError> {
            let expected = if_match.version()?;
            write_article(&state, false, move |conn, _| {
                $service(conn, &user, &id, expected)?;
                Ok(id.into_inner())
            })
            .await
        }
    };
}

simple_action!(
    unpublish_article,
    "/articles/{id}/unpublish",
    "Take a published or scheduled article back to draft (authors their own, editors any).",
    "Back to draft",
    service::unpublish
);

simple_action!(
    archive_article,
    "/articles/{id}/archive",
    "Archive a published article: it stays readable at its URL but leaves lists and feeds.",
    "Archived",
    service::archive
);

simple_action!(
    withdraw_article,
    "/articles/{id}/withdraw",
    "Withdraw (kill) an article (editors): gone from lists and feeds; its URL answers 410 Gone.",
    "Withdrawn",
    service::withdraw
);
