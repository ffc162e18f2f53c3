//! Reader comments: threads under articles, moderation with an audit log,
//! bans, reader flags, an edit window and soft deletion. The approved count
//! is kept on the article, exact under concurrent writes.

pub mod dto;
pub mod handlers;
pub mod moderation;
pub mod queries;
pub mod text;

/// How comments behave (see the `NEWSDESK_COMMENT_*` settings).
#[derive(Debug, Clone)]
pub struct CommentSettings {
    /// Deepest reply level (top-level comments are level 0).
    pub max_depth: u32,
    /// How long after publication an article takes comments (`None`: always).
    pub window: Option<chrono::Duration>,
    /// How long authors may edit a comment.
    pub edit_window: chrono::Duration,
    /// Flags that send an approved comment back to `pending`.
    pub flag_threshold: u32,
    /// Comments a user may post per minute.
    pub per_minute: u32,
}

impl Default for CommentSettings {
    fn default() -> Self {
        Self {
            max_depth: 3,
            window: Some(chrono::Duration::days(30)),
            edit_window: chrono::Duration::minutes(15),
            flag_threshold: 3,
            per_minute: 5,
        }
    }
}

/// The longest comment, in characters.
pub const MAX_LENGTH: usize = 5000;
