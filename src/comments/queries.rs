//! Database access for comments, their moderation log and flags, and the
//! approved-comment count kept on each article.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::comments::model::{CommentRow, ModerationRow};
use crate::comments::status::CommentStatus;
use crate::db::schema::{articles, comment_flags, comment_moderation, comments, users};
use crate::db::{self, DbConn};
use crate::error::ApiError;

/// The comment, if it exists.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<CommentRow>> {
    comments::table
        .find(id)
        .select(CommentRow::as_select())
        .first(conn)
        .optional()
}

/// Stores a new comment.
pub fn insert(conn: &mut DbConn, row: &CommentRow) -> QueryResult<()> {
    diesel::insert_into(comments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes the comment's changeable fields if it is still at `version`;
/// false when another request changed it first.
pub fn save(conn: &mut DbConn, row: &CommentRow, version: i64) -> QueryResult<bool> {
    let n = diesel::update(
        comments::table
            .filter(comments::id.eq(&row.id))
            .filter(comments::version.eq(version)),
    )
    .set((
        comments::body.eq(&row.body),
        comments::status.eq(row.status),
        comments::hidden.eq(row.hidden),
        comments::flag_count.eq(row.flag_count),
        comments::version.eq(row.version),
        comments::edited_at.eq(row.edited_at),
        comments::deleted_at.eq(row.deleted_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Recounts the approved comments of an article. Exact under concurrency:
/// the first statement takes the article row's lock (PostgreSQL; SQLite
/// writers are serialised anyway), so the count, read by a later statement,
/// sees every change committed by whoever held the lock before.
///
/// A changed count is a changed article for its delivery document.
pub fn refresh_count(conn: &mut DbConn, article_id: &str) -> Result<(), ApiError> {
    let Some(before) = diesel::update(articles::table.find(article_id))
        .set(articles::comment_count.eq(articles::comment_count))
        .returning(articles::comment_count)
        .get_result::<i32>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let count: i64 = comments::table
        .filter(comments::article_id.eq(article_id))
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::hidden.eq(false))
        .filter(comments::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    if i64::from(before) != count {
        diesel::update(articles::table.find(article_id))
            .set(articles::comment_count.eq(i32::try_from(count).unwrap_or(i32::MAX)))
            .execute(conn)?;
        crate::articles::delivery::article_changed(conn, article_id)?;
    }
    Ok(())
}

/// The approved-comment counts of articles, in one query.
pub fn counts(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, i32)>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .select((articles::id, articles::comment_count))
        .load(conn)
}

/// A page of an article's threads: top-level comments the viewer may see,
/// or that have replies the viewer may see (they show as placeholders).
pub fn threads(
    conn: &mut DbConn,
    article_id: &str,
    viewer: Option<&str>,
    newest_first: bool,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<CommentRow>> {
    // Public comments, and the viewer's own pending ones (no user id is empty).
    let viewer = viewer.unwrap_or("").to_string();
    let r = diesel::alias!(comments as reply);
    let replied = r
        .filter(r.field(comments::article_id).eq(article_id.to_string()))
        .filter(r.field(comments::depth).gt(0))
        .filter(
            r.field(comments::status)
                .eq(CommentStatus::Approved)
                .and(r.field(comments::hidden).eq(false))
                .and(r.field(comments::deleted_at).is_null())
                .or(r
                    .field(comments::user_id)
                    .eq(viewer.clone())
                    .and(r.field(comments::status).eq(CommentStatus::Pending))
                    .and(r.field(comments::deleted_at).is_null())),
        )
        .select(r.field(comments::thread_id));
    let visible = comments::status
        .eq(CommentStatus::Approved)
        .and(comments::hidden.eq(false))
        .and(comments::deleted_at.is_null())
        .or(comments::user_id
            .eq(viewer)
            .and(comments::status.eq(CommentStatus::Pending))
            .and(comments::deleted_at.is_null()));
    let query: comments::BoxedQuery<'_, db::MultiBackend> = comments::table
        .into_boxed()
        .filter(comments::article_id.eq(article_id.to_string()))
        .filter(comments::depth.eq(0))
        .filter(visible.or(comments::id.eq_any(replied)));
    page(conn, query, newest_first, after, limit)
}

/// One page of comments by (created_at, id), after the cursor's position.
fn page(
    conn: &mut DbConn,
    mut query: comments::BoxedQuery<'_, db::MultiBackend>,
    newest_first: bool,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<CommentRow>> {
    if let Some((t, id)) = after {
        query = if newest_first {
            query.filter(
                comments::created_at
                    .lt(*t)
                    .or(comments::created_at.eq(*t).and(comments::id.lt(id.clone()))),
            )
        } else {
            query.filter(
                comments::created_at
                    .gt(*t)
                    .or(comments::created_at.eq(*t).and(comments::id.gt(id.clone()))),
            )
        };
    }
    query = if newest_first {
        query.order((comments::created_at.desc(), comments::id.desc()))
    } else {
        query.order((comments::created_at.asc(), comments::id.asc()))
    };
    query
        .limit(limit)
        .select(CommentRow::as_select())
        .load(conn)
}

/// Every reply in these threads, oldest first (the caller filters them).
pub fn replies(conn: &mut DbConn, thread_ids: &[String]) -> QueryResult<Vec<CommentRow>> {
    comments::table
        .filter(comments::thread_id.eq_any(thread_ids))
        .filter(comments::depth.gt(0))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(CommentRow::as_select())
        .load(conn)
}

/// Display names of users.
pub fn names(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load(conn)
}

/// What the moderation queue lists.
#[derive(Debug, Default)]
pub struct QueueFilter {
    pub status: Option<CommentStatus>,
    pub article_id: Option<String>,
    pub user_id: Option<String>,
}

/// A page of the moderation queue, oldest first (or newest first).
pub fn queue(
    conn: &mut DbConn,
    filter: &QueueFilter,
    newest_first: bool,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<CommentRow>> {
    let mut query: comments::BoxedQuery<'_, db::MultiBackend> = comments::table.into_boxed();
    if let Some(s) = &filter.status {
        query = query.filter(comments::status.eq(*s));
    }
    if let Some(a) = &filter.article_id {
        query = query.filter(comments::article_id.eq(a.clone()));
    }
    if let Some(u) = &filter.user_id {
        query = query.filter(comments::user_id.eq(u.clone()));
    }
    page(conn, query, newest_first, after, limit)
}

/// The user's comments since `since`, oldest first (rate limit and duplicates).
pub fn recent_by_user(
    conn: &mut DbConn,
    user_id: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<CommentRow>> {
    comments::table
        .filter(comments::user_id.eq(user_id))
        .filter(comments::created_at.ge(since))
        .order(comments::created_at.asc())
        .select(CommentRow::as_select())
        .load(conn)
}

/// Sends a comment back to `pending` by the system's decision (no
/// moderator), with the reason in the log.
pub fn back_to_pending(
    conn: &mut DbConn,
    row: &mut CommentRow,
    reason: String,
    now: NaiveDateTime,
) -> QueryResult<()> {
    log_moderation(
        conn,
        &ModerationRow {
            id: db::new_id(),
            comment_id: row.id.clone(),
            moderator_id: None,
            from_status: row.status,
            to_status: CommentStatus::Pending,
            reason: Some(reason),
            created_at: now,
        },
    )?;
    row.status = CommentStatus::Pending;
    Ok(())
}

/// Adds one to a comment's flag count; the new count.
pub fn count_flag(conn: &mut DbConn, id: &str) -> QueryResult<i32> {
    diesel::update(comments::table.find(id))
        .set((
            comments::flag_count.eq(comments::flag_count + 1),
            comments::version.eq(comments::version + 1),
        ))
        .returning(comments::flag_count)
        .get_result(conn)
}

/// Sends an approved comment back to `pending` by the system's decision,
/// logged; nothing when it is no longer approved (someone was first).
pub fn pending_if_approved(
    conn: &mut DbConn,
    id: &str,
    reason: String,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let changed = diesel::update(
        comments::table
            .filter(comments::id.eq(id))
            .filter(comments::status.eq(CommentStatus::Approved)),
    )
    .set((
        comments::status.eq(CommentStatus::Pending),
        comments::version.eq(comments::version + 1),
    ))
    .execute(conn)?;
    if changed == 1 {
        log_moderation(
            conn,
            &ModerationRow {
                id: db::new_id(),
                comment_id: id.to_string(),
                moderator_id: None,
                from_status: CommentStatus::Approved,
                to_status: CommentStatus::Pending,
                reason: Some(reason),
                created_at: now,
            },
        )?;
    }
    Ok(())
}

/// Appends to a comment's moderation log.
pub fn log_moderation(conn: &mut DbConn, row: &ModerationRow) -> QueryResult<()> {
    diesel::insert_into(comment_moderation::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A comment's moderation log, oldest first.
pub fn moderation_log(conn: &mut DbConn, comment_id: &str) -> QueryResult<Vec<ModerationRow>> {
    comment_moderation::table
        .filter(comment_moderation::comment_id.eq(comment_id))
        .order((
            comment_moderation::created_at.asc(),
            comment_moderation::id.asc(),
        ))
        .select(ModerationRow::as_select())
        .load(conn)
}

/// Records a reader's flag; false when they had flagged it already.
pub fn add_flag(
    conn: &mut DbConn,
    comment_id: &str,
    user_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let exists = comment_flags::table
        .find((comment_id, user_id))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(comment_flags::table)
        .values((
            comment_flags::comment_id.eq(comment_id),
            comment_flags::user_id.eq(user_id),
            comment_flags::reason.eq(reason),
            comment_flags::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Hides (or shows again) every comment of a user and recounts the
/// articles that changed.
pub fn set_hidden_for_user(conn: &mut DbConn, user_id: &str, hidden: bool) -> Result<(), ApiError> {
    let mut touched: Vec<String> = comments::table
        .filter(comments::user_id.eq(user_id))
        .filter(comments::hidden.eq(!hidden))
        .select(comments::article_id)
        .distinct()
        .load(conn)?;
    touched.sort();
    diesel::update(
        comments::table
            .filter(comments::user_id.eq(user_id))
            .filter(comments::hidden.eq(!hidden)),
    )
    .set((
        comments::hidden.eq(hidden),
        comments::version.eq(comments::version + 1),
    ))
    .execute(conn)?;
    // In id order, so that two such bulk changes cannot deadlock.
    for article_id in touched {
        refresh_count(conn, &article_id)?;
    }
    Ok(())
}
