//! Moderation endpoints (editors and up): the queue, decisions and their
//! audit log. Decisions are made by `service::moderate`.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use crate::auth::{extract::AuthUser, role::Role};
use crate::comments::access::live_comment;
use crate::comments::dto::{
    newest_first, CommentAuthor, ModeratedComment, ModerationEntry, ModerationLog, ModerationQueue,
    ModerationQueueQuery, ModerationRequest,
};
use crate::comments::present::{moderated, names_of};
use crate::comments::queries::{self, QueueFilter};
use crate::comments::service;
use crate::comments::status::CommentStatus;
use crate::db;
use crate::error::ApiError;
use crate::http::pagination::{list_json, Page, Paged};
use crate::http::response::Audience;
use crate::http::{self, format_time, ApiJson, ListMeta};
use crate::state::AppState;

/// The moderation queue (editors): comments by status, oldest first.
///
/// Without `status` it lists the `pending` comments, the oldest first: the
/// order in which they wait for a decision. `status=all` lists every status.
#[utoipa::path(
    tag = "comments",
    params(ModerationQueueQuery, Page),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of comments", body = ModerationQueue,
         headers(("Link" = String, description = "`<…>; rel=\"next\"`"))),
    )
)]
#[get("/comments")]
pub async fn list_queue(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Paged<ModerationQueueQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let Paged {
        filter: query,
        page,
        ..
    } = query;
    let status = match query.status.as_deref() {
        None => Some(CommentStatus::Pending),
        Some("all") => None,
        Some(s) => Some(s.parse::<CommentStatus>().map_err(|_| {
            ApiError::bad_param(
                "status",
                format!("`{s}` is not pending, approved, rejected, spam or all"),
            )
        })?),
    };
    let newest = newest_first(query.sort.as_deref())?;
    let limit = page.limit();
    let after = page.after::<(NaiveDateTime, String)>()?;
    let filter = QueueFilter {
        status,
        article_id: query.article,
        user_id: query.user,
    };
    let (data, next_cursor): (Vec<ModeratedComment>, _) = db::run(&state.pool, move |conn| {
        let rows = queries::queue(conn, &filter, newest, after.as_ref(), limit + 1)?;
        let (rows, next) = http::split_page(rows, limit, |c| (c.created_at, c.id.clone()));
        let names = names_of(conn, rows.iter().map(|r| r.user_id.clone()))?;
        Ok((
            rows.into_iter().map(|r| moderated(r, &names)).collect(),
            next,
        ))
    })
    .await?;
    let meta = ListMeta {
        next_cursor,
        limit,
        total: None,
    };
    Ok(list_json(&req, data, meta, Audience::Staff))
}

/// Decide on a comment (editors): approve, reject, mark as spam, or send it
/// back to `pending`. The decision, who made it and why go to the audit log.
/// Approving clears the reader flags it had collected.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Comment id")),
    request_body = ModerationRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The comment after the decision", body = ModeratedComment,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
    )
)]
#[post("/comments/{id}/moderation")]
pub async fn moderate(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<ModerationRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let input = body.0;
    let id = id.into_inner();
    let (row, names) = db::run(&state.pool, move |conn| {
        let row = service::moderate(conn, &user, &id, input.status, input.reason.as_deref())?;
        let names = names_of(conn, std::iter::once(row.user_id.clone()))?;
        Ok((row, names))
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &moderated(row, &names)))
}

/// A comment's moderation log (editors): every decision, oldest first.
///
/// A comment its author deleted is gone here too (404); the queue
/// (`status=all`) still lists it with its text, for the record.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Comment id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The log", body = ModerationLog)),
)]
#[get("/comments/{id}/moderation")]
pub async fn moderation_log(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let id = id.into_inner();
    let (rows, names) = db::run(&state.pool, move |conn| {
        live_comment(conn, &id)?;
        let rows = queries::moderation_log(conn, &id)?;
        let names = names_of(conn, rows.iter().filter_map(|r| r.moderator_id.clone()))?;
        Ok((rows, names))
    })
    .await?;
    let data: Vec<ModerationEntry> = rows
        .into_iter()
        .map(|r| ModerationEntry {
            moderator: r.moderator_id.map(|m| CommentAuthor {
                display_name: names.get(&m).cloned().unwrap_or_default(),
                id: m,
            }),
            id: r.id,
            from_status: r.from_status,
            to_status: r.to_status,
            reason: r.reason,
            created_at: format_time(r.created_at),
        })
        .collect();
    let limit = i64::try_from(data.len()).unwrap_or(i64::MAX);
    let log = ModerationLog {
        data,
        meta: ListMeta {
            next_cursor: None,
            limit,
            total: None,
        },
    };
    Ok(http::private_json(&mut HttpResponse::Ok(), &log))
}
