//! Readers' comment endpoints: the discussion of an article, posting,
//! editing, deleting and flagging.

use std::collections::HashMap;

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use crate::articles::access::{self, not_found};
use crate::articles::model::ArticleRow;
use crate::articles::queries as articles;
use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::comments::dto::{
    CommentAuthor, CommentList, CommentListQuery, CommentPatch, CommentResponse, FlagRequest,
    FlagResponse, NewComment,
};
use crate::comments::queries::{self, CommentRow};
use crate::comments::{text, CommentSettings, MAX_LENGTH};
use crate::db::{self, DbConn};
use crate::error::{ApiError, Problem};
use crate::http::{self, format_time, ApiJson, ListMeta, DEFAULT_LIMIT};
use crate::startup::AppState;

/// Registers the comment endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_comments)
        .service(post_comment)
        .service(crate::comments::moderation::list_queue)
        .service(get_comment)
        .service(update_comment)
        .service(delete_comment)
        .service(flag_comment)
        .service(crate::comments::moderation::moderate)
        .service(crate::comments::moderation::moderation_log);
}

/// The 404 of comments.
pub fn comment_not_found() -> ApiError {
    ApiError::NotFound("no such comment".into())
}

/// A comment's text, checked and normalised.
pub fn clean_body(field: &str, body: &str) -> Result<String, ApiError> {
    // The limit applies to the text as sent, as the schema's maxLength does.
    let sent = body.chars().count();
    let body = text::normalise(body);
    if body.is_empty() || sent > MAX_LENGTH {
        return Err(ApiError::invalid(
            field,
            format!("must be 1 to {MAX_LENGTH} characters of text"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ApiError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(body)
}

/// A comment in full, as readers see it.
pub fn present(row: &CommentRow, names: &HashMap<String, String>) -> CommentResponse {
    CommentResponse {
        id: row.id.clone(),
        article_id: row.article_id.clone(),
        parent_id: row.parent_id.clone(),
        reply_to_id: row.reply_to_id.clone(),
        depth: row.depth,
        status: row.status.clone(),
        author: Some(CommentAuthor {
            id: row.user_id.clone(),
            display_name: names.get(&row.user_id).cloned().unwrap_or_default(),
        }),
        body: Some(row.body.clone()),
        body_html: Some(text::to_html(&row.body)),
        created_at: format_time(row.created_at),
        edited_at: row.edited_at.map(format_time),
        version: row.version,
        reply_count: None,
        replies: Vec::new(),
    }
}

/// The stand-in of a comment the viewer may not read that has replies they may.
fn placeholder(row: &CommentRow) -> CommentResponse {
    CommentResponse {
        status: if row.deleted_at.is_some() {
            "deleted".into()
        } else {
            "removed".into()
        },
        author: None,
        body: None,
        body_html: None,
        edited_at: None,
        ..present(row, &HashMap::new())
    }
}

/// Builds the tree under `row`; `None` when nothing in it is for the viewer.
/// Counts the real (non-placeholder) replies into `shown`.
fn node(
    row: &CommentRow,
    children: &HashMap<&str, Vec<&CommentRow>>,
    names: &HashMap<String, String>,
    viewer: Option<&str>,
    shown: &mut i64,
) -> Option<CommentResponse> {
    let replies: Vec<CommentResponse> = children
        .get(row.id.as_str())
        .map(|kids| {
            kids.iter()
                .filter_map(|kid| node(kid, children, names, viewer, shown))
                .collect()
        })
        .unwrap_or_default();
    let mut out = if row.visible_to(viewer) {
        if row.depth > 0 {
            *shown += 1;
        }
        present(row, names)
    } else if !replies.is_empty() {
        placeholder(row)
    } else {
        return None;
    };
    out.replies = replies;
    Some(out)
}

/// The article a reader may see, or its 404/410.
fn readable_article(
    conn: &mut DbConn,
    id: &str,
    user: Option<&AuthUser>,
    now: NaiveDateTime,
) -> Result<ArticleRow, ApiError> {
    let article = articles::find_by_id(conn, id)?.ok_or_else(not_found)?;
    access::may_read(user, &article, now)?;
    Ok(article)
}

/// Sorting of comment lists: `created_at` or `-created_at`; true when newest first.
pub fn newest_first(sort: Option<&str>) -> Result<bool, ApiError> {
    match sort {
        None | Some("created_at") => Ok(false),
        Some("-created_at") => Ok(true),
        Some(other) => Err(ApiError::bad_param(
            "sort",
            format!("cannot sort by `{other}`: use created_at or -created_at"),
        )),
    }
}

/// Read an article's discussion: threads of approved comments.
///
/// Top-level comments are paged (keyset); each carries its replies nested up
/// to the configured depth and its `reply_count`. A logged-in reader also sees
/// their own pending comments (`status: pending`); nobody else does.
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Article id"), CommentListQuery),
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
    query: web::Query<CommentListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let newest = newest_first(query.sort.as_deref())?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after = http::page_cursor::<(NaiveDateTime, String)>(query.cursor.as_deref())?;
    let id = id.into_inner();
    let user = user.0;
    let viewer = user.as_ref().map(|u| u.id.clone());
    // A token that is sent must be valid, so "has a token" is "is a user":
    // the answer is then the caller's own.
    let has_token = viewer.is_some();
    let article_id = id.clone();
    let (data, next_cursor) = db::run(&state.pool, move |conn| {
        readable_article(conn, &article_id, user.as_ref(), db::now())?;
        let v = viewer.as_deref();
        let tops = queries::threads(conn, &article_id, v, newest, after.as_ref(), limit + 1)?;
        let (tops, next) = http::split_page(tops, limit, |c| (c.created_at, c.id.clone()));
        let thread_ids: Vec<String> = tops.iter().map(|t| t.id.clone()).collect();
        let replies = queries::replies(conn, &thread_ids)?;
        let mut user_ids: Vec<String> = tops
            .iter()
            .chain(replies.iter())
            .map(|c| c.user_id.clone())
            .collect();
        user_ids.sort();
        user_ids.dedup();
        let names: HashMap<String, String> = queries::names(conn, &user_ids)?.into_iter().collect();
        let mut children: HashMap<&str, Vec<&CommentRow>> = HashMap::new();
        for reply in &replies {
            if let Some(parent) = reply.parent_id.as_deref() {
                children.entry(parent).or_default().push(reply);
            }
        }
        let data: Vec<CommentResponse> = tops
            .iter()
            .filter_map(|top| {
                let mut shown = 0;
                let mut thread = node(top, &children, &names, v, &mut shown)?;
                thread.reply_count = Some(shown);
                Some(thread)
            })
            .collect();
        Ok((data, next))
    })
    .await?;
    let list = CommentList {
        data,
        meta: ListMeta {
            next_cursor,
            limit,
            total: None,
        },
    };
    let mut response = if has_token {
        let mut builder = HttpResponse::Ok();
        builder.insert_header(("Vary", "Authorization"));
        http::private_json(&mut builder, &list)
    } else {
        http::public_json_hashed(
            &req,
            http::to_json(&list),
            None,
            format!("article:{id} comments:{id}"),
        )
    };
    http::add_next_link(&mut response, &req, list.meta.next_cursor.as_deref());
    Ok(response)
}

/// The checks before a new comment is stored; returns (status, parent, reply_to, thread, depth).
struct Placement {
    parent_id: Option<String>,
    reply_to_id: Option<String>,
    thread_id: Option<String>,
    depth: i32,
}

fn place(
    conn: &mut DbConn,
    settings: &CommentSettings,
    article_id: &str,
    parent_id: Option<&str>,
    user_id: &str,
) -> Result<Placement, ApiError> {
    let Some(parent_id) = parent_id else {
        return Ok(Placement {
            parent_id: None,
            reply_to_id: None,
            thread_id: None,
            depth: 0,
        });
    };
    let parent = queries::find(conn, parent_id)?
        .filter(|p| p.article_id == article_id && p.visible_to(Some(user_id)))
        .ok_or_else(|| ApiError::invalid("parent_id", "no such comment on this article"))?;
    let max = i32::try_from(settings.max_depth).unwrap_or(i32::MAX);
    // An answer to a reply at the deepest level hangs beside it.
    let (hang_under, depth) = if parent.depth + 1 > max {
        (parent.parent_id.clone(), parent.depth)
    } else {
        (Some(parent.id.clone()), parent.depth + 1)
    };
    Ok(Placement {
        parent_id: hang_under,
        reply_to_id: Some(parent.id.clone()),
        thread_id: Some(parent.thread_id.clone()),
        depth,
    })
}

/// Refuses a comment on an article that does not take them now.
fn check_open(
    article: &ArticleRow,
    settings: &CommentSettings,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if article.comments_policy == "closed" {
        return Err(ApiError::Forbidden(
            "comments are closed on this article".into(),
        ));
    }
    if let (Some(window), Some(since)) = (
        settings.window,
        article.first_published_at.or(article.published_at),
    ) {
        if since + window < now {
            return Err(ApiError::Forbidden(format!(
                "comments close {} days after publication",
                window.num_days()
            )));
        }
    }
    Ok(())
}

/// The commenter's row, read inside the write; a 403 while they are banned.
pub fn unbanned_commenter(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<crate::users::model::UserRow, ApiError> {
    let me = crate::users::queries::find_by_id(conn, user_id)?
        .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".into()))?;
    match me.comment_banned_until {
        Some(until) if until > now => Err(ApiError::Forbidden(format!(
            "you may not comment until {}",
            format_time(until)
        ))),
        _ => Ok(me),
    }
}

/// A failure to read the article of a comment: "not visible" becomes the
/// comment's 404; anything else (the database) stays what it is.
fn hidden_as_missing(err: ApiError) -> ApiError {
    match err {
        ApiError::NotFound(_) | ApiError::Gone(_) => comment_not_found(),
        other => other,
    }
}

/// Post a comment (any logged-in user).
///
/// Under the article's `moderated` policy a reader's comment starts
/// `pending` (the author sees it, marked so; readers do not until an editor
/// approves it); under `open` it starts `approved`. Editors' comments start
/// approved. Refused when the article is not visible (404), its comments are
/// closed or its comment window has passed (403), the user is banned (403),
/// the same text was posted a moment ago (409) or the user posts too fast
/// (429).
#[utoipa::path(
    tag = "comments",
    params(("id" = String, Path, description = "Article id")),
    request_body = NewComment,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The comment", body = CommentResponse,
         headers(("Location" = String, description = "URL of the comment"), ("ETag" = String, description = "`\"<version>\"`"))),
        (status = 409, description = "The same text was posted less than a minute ago", body = Problem, content_type = "application/problem+json"),
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
    let text = clean_body("body", &input.body)?;
    let article_id = id.into_inner();
    let settings = state.comments.clone();
    let (row, name) = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let now = db::now();
            let article = articles::find_by_id(conn, &article_id)?.ok_or_else(not_found)?;
            // Comments go only under what the public can read, staff included.
            access::may_read(None, &article, now)?;
            check_open(&article, &settings, now)?;
            let me = unbanned_commenter(conn, &user.id, now)?;
            let recent =
                queries::recent_by_user(conn, &user.id, now - chrono::Duration::minutes(1))?;
            if recent
                .iter()
                .any(|c| c.article_id == article_id && c.body == text && c.deleted_at.is_none())
            {
                return Err(ApiError::Conflict(
                    "you posted the same comment less than a minute ago".into(),
                ));
            }
            if recent.len() >= settings.per_minute as usize {
                let oldest = recent.first().map(|c| c.created_at).unwrap_or(now);
                let wait = 60 - (now - oldest).num_seconds();
                return Err(ApiError::TooManyRequests {
                    retry_after: u64::try_from(wait).unwrap_or(1).max(1),
                });
            }
            let placement = place(
                conn,
                &settings,
                &article_id,
                input.parent_id.as_deref(),
                &user.id,
            )?;
            let status = if article.comments_policy == "open" || user.role >= Role::Editor {
                "approved"
            } else {
                "pending"
            };
            let id = db::new_id();
            let row = CommentRow {
                thread_id: placement.thread_id.unwrap_or_else(|| id.clone()),
                id,
                article_id: article_id.clone(),
                parent_id: placement.parent_id,
                reply_to_id: placement.reply_to_id,
                depth: placement.depth,
                user_id: user.id.clone(),
                body: text,
                status: status.into(),
                hidden: me.comments_hidden,
                flag_count: 0,
                version: 1,
                created_at: now,
                edited_at: None,
                deleted_at: None,
            };
            queries::insert(conn, &row)?;
            if row.is_public() {
                queries::refresh_count(conn, &article_id)?;
            }
            Ok((row, me.display_name))
        })
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
    let viewer = user.as_ref().map(|u| u.id.clone());
    // A token that is sent must be valid, so "has a token" is "is a user":
    // the answer is then the caller's own.
    let has_token = viewer.is_some();
    let (row, names) = db::run(&state.pool, move |conn| {
        let row = queries::find(conn, &id)?
            .filter(|c| c.visible_to(viewer.as_deref()))
            .ok_or_else(comment_not_found)?;
        readable_article(conn, &row.article_id, user.as_ref(), db::now())
            .map_err(hidden_as_missing)?;
        let names: HashMap<String, String> =
            queries::names(conn, std::slice::from_ref(&row.user_id))?
                .into_iter()
                .collect();
        Ok((row, names))
    })
    .await?;
    let comment = present(&row, &names);
    if has_token {
        let mut builder = HttpResponse::Ok();
        builder
            .insert_header(("ETag", http::version_etag(row.version)))
            .insert_header(("Vary", "Authorization"));
        return Ok(http::private_json(&mut builder, &comment));
    }
    Ok(http::public_json_hashed(
        &req,
        http::to_json(&comment),
        None,
        format!("comment:{} comments:{}", row.id, row.article_id),
    ))
}

/// The comment its author may change: theirs, not deleted.
fn own_comment(conn: &mut DbConn, id: &str, user: &AuthUser) -> Result<CommentRow, ApiError> {
    let row = queries::find(conn, id)?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(comment_not_found)?;
    if row.user_id != user.id {
        // Others' pending or rejected comments are not theirs to know about.
        return Err(if row.is_public() {
            ApiError::Forbidden("only its author may change a comment".into())
        } else {
            comment_not_found()
        });
    }
    Ok(row)
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
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"` the edit was based on"),
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
    req: HttpRequest,
    body: ApiJson<CommentPatch>,
) -> Result<HttpResponse, ApiError> {
    let expected = http::if_match_version(&req)?;
    let new_body = body
        .0
        .body
        .as_deref()
        .map(|b| clean_body("body", b))
        .transpose()?;
    let id = id.into_inner();
    let settings = state.comments.clone();
    let (row, names) = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let now = db::now();
            let mut row = own_comment(conn, &id, &user)?;
            http::check_if_match(expected, row.version)?;
            let me = unbanned_commenter(conn, &user.id, now)?;
            if row.created_at + settings.edit_window < now {
                return Err(ApiError::Forbidden(format!(
                    "comments can be edited for {} minutes after posting",
                    settings.edit_window.num_minutes()
                )));
            }
            if let Some(text) = new_body.filter(|t| *t != row.body) {
                let article = articles::find_by_id(conn, &row.article_id)?.ok_or_else(not_found)?;
                let version = row.version;
                row.body = text;
                row.edited_at = Some(now);
                row.version += 1;
                if row.status == "approved"
                    && article.comments_policy == "moderated"
                    && user.role < Role::Editor
                {
                    queries::back_to_pending(
                        conn,
                        &mut row,
                        "edited by its author after approval".into(),
                        now,
                    )?;
                }
                if !queries::save(conn, &row, version)? {
                    return Err(ApiError::PreconditionFailed(
                        "the comment changed meanwhile".into(),
                    ));
                }
                queries::refresh_count(conn, &row.article_id)?;
            }
            let names = HashMap::from([(me.id, me.display_name)]);
            Ok((row, names))
        })
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
    db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            // A deleted comment is gone for the API (404), kept for the record.
            let mut row = if user.role >= Role::Editor {
                queries::find(conn, &id)?
                    .filter(|c| c.deleted_at.is_none())
                    .ok_or_else(comment_not_found)?
            } else {
                own_comment(conn, &id, &user)?
            };
            let version = row.version;
            row.deleted_at = Some(db::now());
            row.version += 1;
            if !queries::save(conn, &row, version)? {
                return Err(ApiError::Conflict(
                    "the comment changed meanwhile; try again".into(),
                ));
            }
            queries::refresh_count(conn, &row.article_id)
        })
    })
    .await?;
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
    let sent = body.0.reason.chars().count();
    let reason = body.0.reason.trim().to_string();
    if reason.is_empty() || sent > 500 || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "reason",
            "must be 1 to 500 characters on one line",
        ));
    }
    let id = id.into_inner();
    let threshold = i32::try_from(state.comments.flag_threshold).unwrap_or(i32::MAX);
    let flag = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let now = db::now();
            let row = queries::find(conn, &id)?
                .filter(CommentRow::is_public)
                .ok_or_else(comment_not_found)?;
            readable_article(conn, &row.article_id, None, now).map_err(hidden_as_missing)?;
            if row.user_id == user.id {
                return Err(ApiError::Forbidden(
                    "you cannot flag your own comment".into(),
                ));
            }
            if !queries::add_flag(conn, &row.id, &user.id, &reason, now)? {
                return Err(ApiError::Conflict(
                    "you flagged this comment already".into(),
                ));
            }
            // Counted by increments: readers flagging at once never conflict.
            let flags = queries::count_flag(conn, &row.id)?;
            if flags >= threshold {
                let reason = format!("flagged by {flags} readers");
                queries::pending_if_approved(conn, &row.id, reason, now)?;
            }
            queries::refresh_count(conn, &row.article_id)?;
            Ok(FlagResponse {
                comment_id: row.id,
                reason,
                created_at: format_time(now),
            })
        })
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder.insert_header(("Location", format!("/api/v1/comments/{}", flag.comment_id)));
    Ok(http::private_json(&mut builder, &flag))
}
