//! Every change of a comment happens here, and only here: posting, editing,
//! deleting, flagging and moderation decisions, each in one transaction that
//! also keeps the article's approved-comment count exact and writes the
//! event of the change. Handlers and the
//! demo call these.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::articles::access::{self as article_access, not_found};
use crate::articles::model::ArticleRow;
use crate::articles::queries as articles;
use crate::articles::status::CommentsPolicy;
use crate::auth::role::{Actor, Role};
use crate::comments::access::{
    comment_not_found, hidden_as_missing, live_comment, own_comment, readable_article,
    unbanned_commenter,
};
use crate::comments::model::{CommentRow, ModerationRow};
use crate::comments::queries;
use crate::comments::status::CommentStatus;
use crate::config::CommentSettings;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::events::kind::EventKind;
use crate::events::service as events;
use crate::http::conditional::check_if_match;
use crate::validation;

/// Posts a comment on an article as `actor`, a reply when `parent_id` is
/// given; the stored comment and its author's display name.
pub fn post(
    conn: &mut DbConn,
    actor: &Actor,
    settings: &CommentSettings,
    article_id: &str,
    body: &str,
    parent_id: Option<&str>,
) -> Result<(CommentRow, String), ApiError> {
    let text = validation::comment_body("body", body)?;
    db::write_tx(conn, |conn| {
        let now = db::now();
        let article = articles::find_by_id(conn, article_id)?.ok_or_else(not_found)?;
        // Comments go only under what the public can read, staff included;
        // who can see the unpublished article learns why (409), the rest
        // get its 404/410.
        if let Err(public) = article_access::may_read(conn, None, &article, now) {
            if article_access::sees_unpublished(conn, Some(actor), &article)? {
                return Err(ApiError::state_conflict(
                    "article_id",
                    "comments open when the article is published",
                ));
            }
            return Err(public);
        }
        check_open(&article, settings, now)?;
        let me = unbanned_commenter(conn, &actor.id, now)?;
        let recent = queries::recent_by_user(conn, &actor.id, now - chrono::Duration::minutes(1))?;
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
        let placement = place(conn, settings, article_id, parent_id, &actor.id)?;
        let status =
            if article.comments_policy == CommentsPolicy::Open || actor.role >= Role::Editor {
                CommentStatus::Approved
            } else {
                CommentStatus::Pending
            };
        let id = db::new_id();
        let row = CommentRow {
            thread_id: placement.thread_id.unwrap_or_else(|| id.clone()),
            id,
            article_id: article_id.to_string(),
            parent_id: placement.parent_id,
            reply_to_id: placement.reply_to_id,
            depth: placement.depth,
            user_id: actor.id.clone(),
            body: text,
            status,
            hidden: me.comments_hidden,
            flag_count: 0,
            version: 1,
            created_at: now,
            edited_at: None,
            deleted_at: None,
        };
        insert(conn, &row)?;
        Ok((row, me.display_name))
    })
}

/// Stores a comment as it is given (the demo's threads, importers) and
/// keeps the article's count.
pub fn store(conn: &mut DbConn, row: &CommentRow) -> Result<(), ApiError> {
    db::write_tx(conn, |conn| insert(conn, row))
}

/// Inserts a comment inside the caller's transaction, with its count and event.
fn insert(conn: &mut DbConn, row: &CommentRow) -> Result<(), ApiError> {
    queries::insert(conn, row)?;
    if row.is_public() {
        queries::refresh_count(conn, &row.article_id)?;
    }
    events::comment(conn, EventKind::CommentCreated, false, row)
}

/// Hides (or shows again) every comment of a user, as a ban with
/// `hide_existing` asks, and recounts the articles concerned.
pub fn set_hidden_for_user(conn: &mut DbConn, user_id: &str, hidden: bool) -> Result<(), ApiError> {
    db::write_tx(conn, |conn| {
        queries::set_hidden_for_user(conn, user_id, hidden)
    })
}

/// Edits the author's own comment within the edit window; the comment and
/// the author's name by id.
pub fn edit(
    conn: &mut DbConn,
    actor: &Actor,
    settings: &CommentSettings,
    id: &str,
    expected: Result<Option<i64>, ApiError>,
    new_body: Option<&str>,
) -> Result<(CommentRow, HashMap<String, String>), ApiError> {
    db::write_tx(conn, |conn| {
        let now = db::now();
        // Whose comment it is comes first; then If-Match (RFC 9110
        // §13.2.1), then the new text.
        let mut row = own_comment(conn, id, actor)?;
        check_if_match(expected?, row.version)?;
        let new_body = new_body
            .map(|b| validation::comment_body("body", b))
            .transpose()?;
        let me = unbanned_commenter(conn, &actor.id, now)?;
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
            if row.status == CommentStatus::Approved
                && article.comments_policy == CommentsPolicy::Moderated
                && actor.role < Role::Editor
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
        Ok((row, HashMap::from([(me.id, me.display_name)])))
    })
}

/// Deletes a comment (its author, or an editor): kept for the record, gone
/// for the API.
pub fn delete(conn: &mut DbConn, actor: &Actor, id: &str) -> Result<(), ApiError> {
    db::write_tx(conn, |conn| {
        let mut row = if actor.role >= Role::Editor {
            live_comment(conn, id)?
        } else {
            own_comment(conn, id, actor)?
        };
        let version = row.version;
        let was_public = row.is_public();
        row.deleted_at = Some(db::now());
        row.version += 1;
        if !queries::save(conn, &row, version)? {
            return Err(ApiError::Conflict(
                "the comment changed meanwhile; try again".into(),
            ));
        }
        queries::refresh_count(conn, &row.article_id)?;
        events::comment(conn, EventKind::CommentDeleted, was_public, &row)
    })
}

/// A reader's flag, as recorded.
pub struct Flag {
    /// The comment flagged.
    pub comment_id: String,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Flags a public comment for the moderators (once per reader); enough flags
/// send it back to `pending`.
pub fn flag(
    conn: &mut DbConn,
    actor: &Actor,
    settings: &CommentSettings,
    id: &str,
    reason: &str,
) -> Result<Flag, ApiError> {
    let reason = validation::required_text("reason", reason, 500, &[])
        .map_err(|_| ApiError::invalid("reason", "must be 1 to 500 characters on one line"))?;
    let threshold = i32::try_from(settings.flag_threshold).unwrap_or(i32::MAX);
    db::write_tx(conn, |conn| {
        let now = db::now();
        let row = queries::find(conn, id)?
            .filter(CommentRow::is_public)
            .ok_or_else(comment_not_found)?;
        readable_article(conn, &row.article_id, None, now).map_err(hidden_as_missing)?;
        if row.user_id == actor.id {
            return Err(ApiError::Forbidden(
                "you cannot flag your own comment".into(),
            ));
        }
        if !queries::add_flag(conn, &row.id, &actor.id, &reason, now)? {
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
        Ok(Flag {
            comment_id: row.id,
            reason,
            created_at: now,
        })
    })
}

/// A moderator's decision (editors): the new status, logged with who and why.
pub fn moderate(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    status: CommentStatus,
    reason: Option<&str>,
) -> Result<CommentRow, ApiError> {
    actor.require(Role::Editor)?;
    let reason = reason
        .map(|r| validation::checked_text("reason", r, 500, &['\n']))
        .transpose()
        .map_err(|_| ApiError::invalid("reason", "must be at most 500 characters of text"))?
        .filter(|r| !r.is_empty());
    db::write_tx(conn, |conn| {
        let now = db::now();
        let mut row = live_comment(conn, id)?;
        queries::log_moderation(
            conn,
            &ModerationRow {
                id: db::new_id(),
                comment_id: row.id.clone(),
                moderator_id: Some(actor.id.clone()),
                from_status: row.status,
                to_status: status,
                reason,
                created_at: now,
            },
        )?;
        let version = row.version;
        let was_public = row.is_public();
        if status == CommentStatus::Approved {
            row.flag_count = 0;
        }
        row.status = status;
        row.version += 1;
        if !queries::save(conn, &row, version)? {
            return Err(ApiError::Conflict(
                "the comment changed meanwhile; try again".into(),
            ));
        }
        queries::refresh_count(conn, &row.article_id)?;
        let kind = match status {
            CommentStatus::Approved => Some(EventKind::CommentApproved),
            CommentStatus::Rejected | CommentStatus::Spam => Some(EventKind::CommentRejected),
            // Back to the queue: for readers, an approved comment is gone.
            CommentStatus::Pending if was_public => Some(EventKind::CommentRejected),
            CommentStatus::Pending => None,
        };
        if let Some(kind) = kind {
            events::comment(conn, kind, was_public, &row)?;
        }
        Ok(row)
    })
}

/// Where a new comment goes in its thread.
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
        .ok_or_else(|| ApiError::unknown("parent_id", "no such comment on this article"))?;
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
    if article.comments_policy == CommentsPolicy::Closed {
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
