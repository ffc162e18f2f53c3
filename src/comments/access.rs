//! Who may read and change a comment, and the checks every comment write
//! repeats: the article readable, the commenter not banned.

use chrono::NaiveDateTime;

use crate::articles::access::{self as article_access, not_found};
use crate::articles::model::ArticleRow;
use crate::articles::queries as articles;
use crate::auth::role::Actor;
use crate::comments::model::CommentRow;
use crate::comments::queries;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::format_time;
use crate::users::model::UserRow;

/// The 404 of comments.
pub fn comment_not_found() -> ApiError {
    ApiError::NotFound("no such comment".into())
}

/// The article a reader may see, or its 404/410.
pub fn readable_article(
    conn: &mut DbConn,
    id: &str,
    user: Option<&Actor>,
    now: NaiveDateTime,
) -> Result<ArticleRow, ApiError> {
    let article = articles::find_by_id(conn, id)?.ok_or_else(not_found)?;
    article_access::may_read(conn, user, &article, now)?;
    Ok(article)
}

/// A failure to read the article of a comment: "not visible" becomes the
/// comment's 404; anything else (the database) stays what it is.
pub fn hidden_as_missing(err: ApiError) -> ApiError {
    match err {
        ApiError::NotFound(_) | ApiError::Gone(_) => comment_not_found(),
        other => other,
    }
}

/// A comment that is not deleted.
pub fn live_comment(conn: &mut DbConn, id: &str) -> Result<CommentRow, ApiError> {
    queries::find(conn, id)?
        .filter(|c| c.deleted_at.is_none())
        .ok_or_else(comment_not_found)
}

/// The comment its author may change: theirs, not deleted.
pub fn own_comment(conn: &mut DbConn, id: &str, user: &Actor) -> Result<CommentRow, ApiError> {
    let row = live_comment(conn, id)?;
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

/// The commenter's row, read inside the write; a 403 while they are banned.
pub fn unbanned_commenter(
    conn: &mut DbConn,
    user_id: &str,
    now: NaiveDateTime,
) -> Result<UserRow, ApiError> {
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
