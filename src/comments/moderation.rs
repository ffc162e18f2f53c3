//! Moderation (editors and up): the queue, decisions and their audit log.

use std::collections::HashMap;

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use crate::auth::{AuthUser, Role};
use crate::comments::dto::{
    CommentAuthor, ModeratedComment, ModerationEntry, ModerationLog, ModerationQueue,
    ModerationQueueQuery, ModerationRequest,
};
use crate::comments::handlers::{comment_not_found, newest_first};
use crate::comments::queries::{self, CommentRow, ModerationRow, QueueFilter};
use crate::comments::text;
use crate::db;
use crate::error::{ApiError, FieldError};
use crate::http::{self, format_time, ApiJson, ListMeta, DEFAULT_LIMIT};
use crate::startup::AppState;

const STATUSES: [&str; 4] = ["pending", "approved", "rejected", "spam"];

fn moderated(row: CommentRow, names: &HashMap<String, String>) -> ModeratedComment {
    ModeratedComment {
        author: CommentAuthor {
            display_name: names.get(&row.user_id).cloned().unwrap_or_default(),
            id: row.user_id,
        },
        body_html: text::to_html(&row.body),
        body: row.body,
        id: row.id,
        article_id: row.article_id,
        parent_id: row.parent_id,
        depth: row.depth,
        status: row.status,
        hidden: row.hidden,
        flag_count: row.flag_count,
        created_at: format_time(row.created_at),
        edited_at: row.edited_at.map(format_time),
        deleted_at: row.deleted_at.map(format_time),
        version: row.version,
    }
}

fn names_of(
    conn: &mut crate::db::DbConn,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, ApiError> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(queries::names(conn, &ids)?.into_iter().collect())
}

/// The moderation queue (editors): comments by status, oldest first.
///
/// Without `status` it lists the `pending` comments, the oldest first: the
/// order in which they wait for a decision. `status=all` lists every status.
#[utoipa::path(
    tag = "comments",
    params(ModerationQueueQuery),
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
    query: web::Query<ModerationQueueQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let query = query.into_inner();
    let status = match query.status.as_deref() {
        None => Some("pending".to_string()),
        Some("all") => None,
        Some(s) if STATUSES.contains(&s) => Some(s.to_string()),
        Some(other) => {
            return Err(ApiError::bad_param(
                "status",
                format!("`{other}` is not pending, approved, rejected, spam or all"),
            ))
        }
    };
    let newest = newest_first(query.sort.as_deref())?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after = http::page_cursor::<(NaiveDateTime, String)>(query.cursor.as_deref())?;
    let filter = QueueFilter {
        status,
        article_id: query.article,
        user_id: query.user,
    };
    let (data, next_cursor) = db::run(&state.pool, move |conn| {
        let rows = queries::queue(conn, &filter, newest, after.as_ref(), limit + 1)?;
        let (rows, next) = http::split_page(rows, limit, |c| (c.created_at, c.id.clone()));
        let names = names_of(conn, rows.iter().map(|r| r.user_id.clone()))?;
        Ok((
            rows.into_iter().map(|r| moderated(r, &names)).collect(),
            next,
        ))
    })
    .await?;
    let list = ModerationQueue {
        data,
        meta: ListMeta {
            next_cursor,
            limit,
            total: None,
        },
    };
    let mut response = http::private_json(&mut HttpResponse::Ok(), &list);
    http::add_next_link(&mut response, &req, list.meta.next_cursor.as_deref());
    Ok(response)
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
    let mut errors = Vec::new();
    if !STATUSES.contains(&input.status.as_str()) {
        errors.push(FieldError::new(
            "status",
            "must be pending, approved, rejected or spam",
        ));
    }
    let sent = input.reason.as_deref().map_or(0, |r| r.chars().count());
    let reason = input
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if sent > 500
        || reason
            .as_deref()
            .is_some_and(|r| r.chars().any(|c| c.is_control() && c != '\n'))
    {
        errors.push(FieldError::new(
            "reason",
            "must be at most 500 characters of text",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let id = id.into_inner();
    let (row, names) = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let now = db::now();
            let mut row = queries::find(conn, &id)?
                .filter(|c| c.deleted_at.is_none())
                .ok_or_else(comment_not_found)?;
            queries::log_moderation(
                conn,
                &ModerationRow {
                    id: db::new_id(),
                    comment_id: row.id.clone(),
                    moderator_id: Some(user.id.clone()),
                    from_status: row.status.clone(),
                    to_status: input.status.clone(),
                    reason,
                    created_at: now,
                },
            )?;
            let version = row.version;
            if input.status == "approved" {
                row.flag_count = 0;
            }
            row.status = input.status;
            row.version += 1;
            if !queries::save(conn, &row, version)? {
                return Err(ApiError::Conflict(
                    "the comment changed meanwhile; try again".into(),
                ));
            }
            queries::refresh_count(conn, &row.article_id)?;
            let names = names_of(conn, std::iter::once(row.user_id.clone()))?;
            Ok((row, names))
        })
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
        queries::find(conn, &id)?
            .filter(|c| c.deleted_at.is_none())
            .ok_or_else(comment_not_found)?;
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
