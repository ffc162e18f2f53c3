//! Who may see and change an article.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::articles::model::ArticleRow;
use crate::articles::relations;
use crate::articles::status::ArticleStatus;
use crate::auth::role::{Actor, Role};
use crate::db::DbConn;
use crate::error::ApiError;

/// What a caller may see of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// They may read it.
    Readable,
    /// Withdrawn: 410 Gone to the public.
    Gone,
    /// Anything else they may not see: 404, never 403.
    Hidden,
}

/// Whether `user` may see `row` beyond what the public sees: authors and up
/// see every article; contributors their own and those they are bylined on
/// (a freelancer does not read, list or preview another writer's draft).
pub fn sees_unpublished(
    conn: &mut DbConn,
    user: Option<&Actor>,
    row: &ArticleRow,
) -> QueryResult<bool> {
    match user.map(|u| (u, u.role)) {
        Some((_, Role::Author | Role::Editor | Role::Admin)) => Ok(true),
        Some((user, Role::Contributor)) => {
            Ok(owns(user, row) || relations::is_bylined(conn, &row.id, &user.id)?)
        }
        Some((_, Role::Reader)) | None => Ok(false),
    }
}

/// What `user` may see of `row`: the public sees visible articles; see
/// [`sees_unpublished`] for the rest.
pub fn visibility(
    conn: &mut DbConn,
    user: Option<&Actor>,
    row: &ArticleRow,
    now: NaiveDateTime,
) -> QueryResult<Visibility> {
    Ok(
        if row.is_visible(now) || sees_unpublished(conn, user, row)? {
            Visibility::Readable
        } else if row.status == ArticleStatus::Withdrawn {
            Visibility::Gone
        } else {
            Visibility::Hidden
        },
    )
}

/// [`visibility`] as an answer: nothing, 410 or 404.
pub fn may_read(
    conn: &mut DbConn,
    user: Option<&Actor>,
    row: &ArticleRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    match visibility(conn, user, row, now)? {
        Visibility::Readable => Ok(()),
        Visibility::Gone => Err(ApiError::Gone(
            "this article has been withdrawn by the editors".into(),
        )),
        Visibility::Hidden => Err(not_found()),
    }
}

/// The 404 of articles.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such article".into())
}

fn owns(user: &Actor, row: &ArticleRow) -> bool {
    row.created_by.as_deref() == Some(user.id.as_str())
}

/// Editors change anything; authors their own articles; contributors their
/// own while they are drafts or in review.
pub fn may_edit(user: &Actor, row: &ArticleRow) -> Result<(), ApiError> {
    let ok = match user.role {
        Role::Editor | Role::Admin => true,
        Role::Author => owns(user, row) && row.status != ArticleStatus::Withdrawn,
        Role::Contributor => {
            owns(user, row) && matches!(row.status, ArticleStatus::Draft | ArticleStatus::InReview)
        }
        Role::Reader => false,
    };
    ok.then_some(())
        .ok_or_else(|| ApiError::Forbidden("you may not change this article".into()))
}

/// Editors publish anything; authors their own articles.
pub fn may_publish(user: &Actor, row: &ArticleRow) -> Result<(), ApiError> {
    let ok = user.role >= Role::Editor || (user.role == Role::Author && owns(user, row));
    ok.then_some(()).ok_or_else(|| {
        ApiError::Forbidden("only editors, and authors for their own articles, may do this".into())
    })
}
