//! Workflow actions: submit, publish (or schedule), unpublish, archive, withdraw.
//! Visibility is decided when articles are read, so nothing has to run at a
//! scheduled time.

use actix_web::{post, web, HttpRequest, HttpResponse};

use crate::articles::access::{self, not_found};
use crate::articles::dto::{ArticleResponse, PublishRequest};
use crate::articles::handlers::{load_for_staff, staff_response};
use crate::articles::model::ArticleRow;
use crate::articles::queries;
use crate::auth::{AuthUser, Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, Problem};
use crate::http::{self, parse_json};
use crate::startup::AppState;

/// Runs one transition in a transaction and answers with the article.
async fn transition(
    state: web::Data<AppState>,
    user: AuthUser,
    id: String,
    expected: Option<i64>,
    apply: impl FnOnce(&AuthUser, &mut ArticleRow) -> Result<(), ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let st = state.clone();
    let article = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn: &mut DbConn| {
            let mut row = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
            http::check_if_match(expected, row.version)?;
            let version = row.version;
            apply(&user, &mut row)?;
            row.version = version + 1;
            row.modified_at = db::now();
            if !queries::save_article(conn, &row, version)? {
                return Err(ApiError::PreconditionFailed(
                    "the article changed meanwhile".into(),
                ));
            }
            Ok(())
        })?;
        load_for_staff(conn, &st.media.widths, &id)
    })
    .await?;
    Ok(staff_response(&article, false))
}

fn conflict(row: &ArticleRow, action: &str) -> ApiError {
    ApiError::Conflict(format!(
        "a {} article cannot be {action}",
        row.status.replace('_', " ")
    ))
}

/// Submit a draft for review (its writer, or an editor).
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"`")),
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let expected = http::if_match_version(&req)?;
    transition(state, user, id.into_inner(), expected, |user, row| {
        access::may_edit(user, row)?;
        if row.status != "draft" {
            return Err(conflict(row, "submitted"));
        }
        row.status = "in_review".into();
        Ok(())
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
    params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"`")),
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
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = http::if_match_version(&req)?;
    let request: PublishRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PublishRequest::default()
    } else {
        parse_json(&body)?
    };
    transition(state, user, id.into_inner(), expected, move |user, row| {
        access::may_publish(user, row)?;
        if row.status == "withdrawn" {
            return Err(conflict(row, "published again"));
        }
        let now = db::now();
        let at = request
            .at
            .map(|t| db::truncate(t.naive_utc()))
            .unwrap_or(now);
        row.status = if at > now {
            "scheduled".into()
        } else {
            "published".into()
        };
        row.published_at = Some(at);
        row.first_published_at = row.first_published_at.or(Some(at));
        Ok(())
    })
    .await
}

macro_rules! simple_action {
    ($name:ident, $path:literal, $doc:literal, $ok:literal, $check:expr, $apply:expr) => {
        #[doc = $doc]
        #[utoipa::path(
            tag = "articles",
            params(("id" = String, Path, description = "Article id"), ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"`")),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $ok, body = ArticleResponse),
                (status = 409, description = "Not possible from the article's status", body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(state: web::Data<AppState>, user: AuthUser, id: web::Path<String>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
            let expected = http::if_match_version(&req)?;
            transition(state, user, id.into_inner(), expected, |user, row| {
                let check: fn(&AuthUser, &ArticleRow) -> Result<(), ApiError> = $check;
                check(user, row)?;
                let apply: fn(&mut ArticleRow) = $apply;
                apply(row);
                Ok(())
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
    |user, row| {
        access::may_publish(user, row)?;
        if matches!(row.status.as_str(), "published" | "scheduled" | "archived") {
            Ok(())
        } else {
            Err(conflict(row, "unpublished"))
        }
    },
    |row| {
        row.status = "draft".into();
        row.published_at = None;
    }
);

simple_action!(
    archive_article,
    "/articles/{id}/archive",
    "Archive a published article: it stays readable at its URL but leaves lists and feeds.",
    "Archived",
    |user, row| {
        access::may_publish(user, row)?;
        if row.status == "published" || row.status == "scheduled" {
            Ok(())
        } else {
            Err(conflict(row, "archived"))
        }
    },
    |row| row.status = "archived".into()
);

simple_action!(
    withdraw_article,
    "/articles/{id}/withdraw",
    "Withdraw (kill) an article (editors): gone from lists and feeds; its URL answers 410 Gone.",
    "Withdrawn",
    |user, row| {
        user.require(Role::Editor)?;
        if row.status == "withdrawn" {
            Err(conflict(row, "withdrawn again"))
        } else {
            Ok(())
        }
    },
    |row| row.status = "withdrawn".into()
);
