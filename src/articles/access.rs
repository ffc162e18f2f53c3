//! Who may see and change an article.

use chrono::NaiveDateTime;

use crate::articles::model::ArticleRow;
use crate::auth::{AuthUser, Role};
use crate::error::ApiError;

/// Staff (contributor and up) see every article; anyone else sees visible
/// ones. A withdrawn article is 410 Gone to the public; anything else they
/// may not see is 404, never 403.
pub fn may_read(
    user: Option<&AuthUser>,
    row: &ArticleRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if user.is_some_and(|u| u.role >= Role::Contributor) || row.is_visible(now) {
        return Ok(());
    }
    if row.status == "withdrawn" {
        return Err(ApiError::Gone(
            "this article has been withdrawn by the editors".into(),
        ));
    }
    Err(not_found())
}

/// The 404 of articles.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such article".into())
}

fn owns(user: &AuthUser, row: &ArticleRow) -> bool {
    row.created_by.as_deref() == Some(user.id.as_str())
}

/// Editors change anything; authors their own articles; contributors their
/// own while they are drafts or in review.
pub fn may_edit(user: &AuthUser, row: &ArticleRow) -> Result<(), ApiError> {
    let ok = match user.role {
        Role::Editor | Role::Admin => true,
        Role::Author => owns(user, row) && row.status != "withdrawn",
        Role::Contributor => {
            owns(user, row) && matches!(row.status.as_str(), "draft" | "in_review")
        }
        Role::Reader => false,
    };
    ok.then_some(())
        .ok_or_else(|| ApiError::Forbidden("you may not change this article".into()))
}

/// Editors publish anything; authors their own articles.
pub fn may_publish(user: &AuthUser, row: &ArticleRow) -> Result<(), ApiError> {
    let ok = user.role >= Role::Editor || (user.role == Role::Author && owns(user, row));
    ok.then_some(()).ok_or_else(|| {
        ApiError::Forbidden("only editors, and authors for their own articles, may do this".into())
    })
}
