//! Readers' comment endpoints: the discussion of an article, posting,
//! editing, deleting and flagging. The rules live in `service`.

use std::collections::HashMap;

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::auth::extract::{AuthUser, MaybeAuthUser};
use crate::comments::access::{comment_not_found, hidden_as_missing, readable_article};
use crate::comments::dto::{
    newest_first, CommentList, CommentListQuery, CommentPatch, CommentResponse, FlagRequest,
    FlagResponse, NewComment,
};
use crate::comments::present::{discussion, names_of, present};
use crate::comments::{queries, service};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::pagination::{list_json, Page, Paged};
use crate::http::response::{read_json, Audience};
use crate::http::{self, format_time, ApiJson, IfMatch, ListMeta};
use crate::state::AppState;
use chrono::NaiveDateTime;

/// Who reads: the public, or a logged-in user whose answer is their own (a
/// token that is sent must be valid, so "has a token" is "is a user").
fn audience(logged_in: bool, etag: Option<String>, surrogate_keys: String) -> Audience {
    if logged_in {
        Audience::Private { etag }
    } else {
        Audience::Public {
            last_modified: None,
            surrogate_keys,
        }
    }
}

/// Read an article's discussion: threads of approved comments.
///
/// Top-level comments are paged (keyset); each carries its replies nested up
/// to the configured depth and its `reply_count`. A logged-in reader also sees
/// their own pending comments (`status: pending`); nobody else does.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Article id"), CommentListQuery, Page),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of threads", body = CommentList,
         headers(("ETag" = String, description = "Strong validator"), ("Link" = String, description = "`<…>; rel=\"next\"`"))),
        (status = 304, description = "Not modified"),
        (status = 410, description = "The article was withdrawn", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{id}/comments")]
pub async fn list_comments(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    query: Paged<CommentListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let newest = newest_first(query.filter.sort.as_deref())?;
    let limit = query.page.limit();
    let after = query.page.after::<(NaiveDateTime, String)>()?;
    let id = id.into_inner();
    let user = user.0;
    let logged_in = user.is_some();
    let article_id = id.clone();
    let (data, next_cursor) = db::run(&state.pool, move |conn| {
        readable_article(conn, &article_id, user.as_deref(), db::now())?;
        let viewer = user.as_ref().map(|u| u.id.as_str());
        discussion(conn, &article_id, viewer, newest, after.as_ref(), limit)
    })
    .await?;
    let meta = ListMeta {
        next_cursor,
        limit,
        total: None,
    };
    let keys = format!("article:{id} comments:{id}");
    Ok(list_json(&req, data, meta, audience(logged_in, None, keys)))
}

/// Post a comment (any logged-in user).
///
/// Under the article's `moderated` policy a reader's comment starts
/// `pending` (the author sees it, marked so; readers do not until an editor
/// approves it); under `open` it starts `approved`. Editors' comments start
/// approved. Refused when the article is not visible (404), not public but
/// visible to the caller, such as a draft to its newsroom (409
/// `/problems/state-conflict`), its comments are closed or its comment window
/// has passed (403), the user is banned (403), the same text was posted a
/// moment ago (409) or the user posts too fast (429).
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Article id")),
    request_body = NewComment,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The comment", body = CommentResponse,
         headers(("Location" = String, description = "URL of the comment"), ("ETag" = String, description = "`\"<version>\"`"))),
        (status = 409, description = "The article is not published yet (`/problems/state-conflict`, to who can see it), or the same text was posted less than a minute ago", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The article was withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many comments in a minute", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/articles/{id}/comments")]
pub async fn post_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<NewComment>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let article_id = id.into_inner();
    let settings = state.comments.clone();
    let (row, name) = db::run(&state.pool, move |conn| {
        service::post(
            conn,
            &user,
            &settings,
            &article_id,
            &input.body,
            input.parent_id.as_deref(),
        )
    })
    .await?;
    let names = HashMap::from([(row.user_id.clone(), name)]);
    let mut builder = HttpResponse::Created();
    builder
        .insert_header(("Location", format!("/api/v1/comments/{}", row.id)))
        .insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &present(&row, &names)))
}

/// Read one comment (without its replies).
///
/// Anyone may read an approved comment of a readable article; authors their
/// own pending ones. Editors get the moderation view of any comment from
/// `GET /api/v1/comments?…` instead.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Comment id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The comment", body = CommentResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/comments/{id}")]
pub async fn get_comment(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let user = user.0;
    let logged_in = user.is_some();
    let (row, names) = db::run(&state.pool, move |conn| {
        let viewer = user.as_ref().map(|u| u.id.as_str());
        let row = queries::find(conn, &id)?
            .filter(|c| c.visible_to(viewer))
            .ok_or_else(comment_not_found)?;
        readable_article(conn, &row.article_id, user.as_deref(), db::now())
            .map_err(hidden_as_missing)?;
        let names = names_of(conn, std::iter::once(row.user_id.clone()))?;
        Ok((row, names))
    })
    .await?;
    let comment: CommentResponse = present(&row, &names);
    let keys = format!("comment:{} comments:{}", row.id, row.article_id);
    let etag = Some(http::version_etag(row.version));
    Ok(read_json(
        &req,
        http::to_json(&comment),
        audience(logged_in, etag, keys),
    ))
}

/// Edit your comment within the edit window (15 minutes by default).
///
/// The comment shows `edited_at`. Under a `moderated` article an approved
/// comment that is edited goes back to `pending`, so that approved text
/// cannot be swapped for other text.
#[utoipa::path(
    tag = "comments",
    params(
        ("id" = String, Path, description = "Comment id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the edit was based on"),
    ),
    request_body(content = CommentPatch, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The edited comment", body = CommentResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/comments/{id}")]
pub async fn update_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<CommentPatch>,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match.version();
    let new_body = body.0.body;
    let id = id.into_inner();
    let settings = state.comments.clone();
    let (row, names) = db::run(&state.pool, move |conn| {
        service::edit(conn, &user, &settings, &id, expected, new_body.as_deref())
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &present(&row, &names)))
}

/// Delete a comment (its author, any time; editors too).
///
/// Readers no longer see it; if it has replies, it stays in the thread as a
/// `deleted` placeholder. Moderators keep its text in the queue, for the record.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Comment id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted")),
)]
#[delete("/comments/{id}")]
pub async fn delete_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    db::run(&state.pool, move |conn| service::delete(conn, &user, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Flag a comment for the moderators (any logged-in user, once per comment).
///
/// When a comment collects the configured number of flags (3 by default) it
/// goes back to `pending` until an editor decides; the moderation log says so.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Comment id")),
    request_body = FlagRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The flag is recorded", body = FlagResponse,
         headers(("Location" = String, description = "URL of the comment"))),
        (status = 409, description = "You flagged this comment already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/comments/{id}/flags")]
pub async fn flag_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<FlagRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let settings = state.comments.clone();
    let flag = db::run(&state.pool, move |conn| {
        service::flag(conn, &user, &settings, &id, &body.0.reason)
    })
    .await?;
    let flag = FlagResponse {
        comment_id: flag.comment_id,
        reason: flag.reason,
        created_at: format_time(flag.created_at),
    };
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/comments/{}", flag.comment_id)));
    Ok(http::private_json(&mut builder, &flag))
}
