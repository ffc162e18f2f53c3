//! Wire types of comments.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::comments::status::{CommentStatus, ShownStatus};
use crate::error::ApiError;
use crate::http::ListMeta;

/// Who wrote a comment (or moderated one).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentAuthor {
    /// User id.
    pub id: String,
    /// The name shown with the comment.
    #[schema(example = "Lena from Leipzig")]
    pub display_name: String,
}

/// A comment as readers see it, with its replies.
///
/// A comment that was deleted, or removed by the moderators, but has replies
/// stays in the thread as a placeholder (`status` `deleted` or `removed`,
/// no author, no body) so that the thread keeps its shape.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentResponse {
    /// UUIDv7.
    pub id: String,
    /// The article discussed.
    pub article_id: String,
    /// The comment it hangs under (`null` for a top-level comment).
    pub parent_id: Option<String>,
    /// The comment it answered; differs from `parent_id` when the answer to a
    /// reply at the deepest level attached one level up.
    pub reply_to_id: Option<String>,
    /// 0 for top-level comments.
    pub depth: i32,
    /// `approved`; `pending` (only the author sees their own); or, for
    /// placeholders, `deleted` or `removed`.
    #[schema(example = "approved")]
    pub status: ShownStatus,
    /// `null` for placeholders.
    pub author: Option<CommentAuthor>,
    /// The text as written (`null` for placeholders).
    #[schema(example = "Thanks for the clear report.\nWhere can I read the full ruling?")]
    pub body: Option<String>,
    /// The text as safe HTML: escaped, paragraphs, line breaks and `http(s)`
    /// links with `rel="nofollow ugc noopener"`.
    #[schema(example = "<p>Thanks for the clear report.<br>Where can I read the full ruling?</p>")]
    pub body_html: Option<String>,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// When its author last edited it.
    pub edited_at: Option<String>,
    /// Concurrency version; the ETag of the comment is `"<version>"`.
    pub version: i64,
    /// Replies shown in this thread, at every depth (top-level comments only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_count: Option<i64>,
    /// Replies, oldest first, nested.
    #[schema(no_recursion)]
    pub replies: Vec<CommentResponse>,
}

/// A page of an article's discussion: top-level comments with their replies.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentList {
    /// Threads.
    pub data: Vec<CommentResponse>,
    /// Paging over top-level comments.
    pub meta: ListMeta,
}

/// A comment as moderators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModeratedComment {
    /// UUIDv7.
    pub id: String,
    /// The article discussed.
    pub article_id: String,
    /// The comment it hangs under.
    pub parent_id: Option<String>,
    /// 0 for top-level comments.
    pub depth: i32,
    /// `pending`, `approved`, `rejected` or `spam`.
    #[schema(example = "pending")]
    pub status: CommentStatus,
    /// Who wrote it.
    pub author: CommentAuthor,
    /// The text as written (kept after deletion, for the record).
    pub body: String,
    /// The text as safe HTML.
    pub body_html: String,
    /// Hidden from readers with the rest of its author's comments (a ban).
    pub hidden: bool,
    /// Readers who flagged it.
    pub flag_count: i32,
    /// Written (RFC 3339, UTC).
    pub created_at: String,
    /// Last edited by its author.
    pub edited_at: Option<String>,
    /// Deleted by its author.
    pub deleted_at: Option<String>,
    /// Concurrency version.
    pub version: i64,
}

/// A page of the moderation queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationQueue {
    /// Comments, oldest first.
    pub data: Vec<ModeratedComment>,
    /// Paging.
    pub meta: ListMeta,
}

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "The photo caption names the wrong bridge.", "parent_id": null}))]
pub struct NewComment {
    /// Plain text, 1 to 5000 characters; HTML is shown as text.
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
    /// The comment answered (of the same article).
    pub parent_id: Option<String>,
}

/// An author's edit of their comment (JSON Merge Patch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "The photo caption names the wrong bridge (it is the old one)."}))]
pub struct CommentPatch {
    /// The new text.
    #[schema(min_length = 1, max_length = 5000)]
    pub body: Option<String>,
}

/// A moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "rejected", "reason": "Personal attack on another reader"}))]
pub struct ModerationRequest {
    /// `approved`, `rejected`, `spam`, or `pending` (back to the queue).
    pub status: CommentStatus,
    /// Why (kept in the audit log; up to 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// One entry of a comment's moderation log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationEntry {
    /// Id.
    pub id: String,
    /// Status before.
    pub from_status: CommentStatus,
    /// Status after.
    pub to_status: CommentStatus,
    /// Why.
    pub reason: Option<String>,
    /// Who decided; `null` when the system acted (too many reader flags, an edit).
    pub moderator: Option<CommentAuthor>,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// A comment's moderation log, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationLog {
    /// Entries.
    pub data: Vec<ModerationEntry>,
    /// Paging (the whole log is one page).
    pub meta: ListMeta,
}

/// A reader's report of a comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "spam"}))]
pub struct FlagRequest {
    /// What is wrong with it (1 to 500 characters).
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A recorded flag.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagResponse {
    /// The comment flagged.
    pub comment_id: String,
    /// The reason given.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub created_at: String,
}

/// Query of an article's discussion.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommentListQuery {
    /// `created_at` (oldest threads first, the default) or `-created_at` (newest first).
    #[param(pattern = "^-?created_at$")]
    pub sort: Option<String>,
}

/// Query of the moderation queue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModerationQueueQuery {
    /// `pending` (default), `approved`, `rejected`, `spam`, or `all`.
    #[param(pattern = "^(pending|approved|rejected|spam|all)$")]
    pub status: Option<String>,
    /// Only comments on this article (id).
    pub article: Option<String>,
    /// Only comments by this user (id).
    pub user: Option<String>,
    /// `created_at` (oldest first, the default) or `-created_at`.
    #[param(pattern = "^-?created_at$")]
    pub sort: Option<String>,
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
