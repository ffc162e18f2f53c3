//! Database rows of comments and their moderation log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::comments::status::CommentStatus;
use crate::db::schema::{comment_moderation, comments};

/// A row of `comments`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = comments)]
pub struct CommentRow {
    pub id: String,
    pub article_id: String,
    pub thread_id: String,
    pub parent_id: Option<String>,
    pub reply_to_id: Option<String>,
    pub depth: i32,
    pub user_id: String,
    pub body: String,
    pub status: CommentStatus,
    pub hidden: bool,
    pub flag_count: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

impl CommentRow {
    /// Counted and shown to everyone: approved, not hidden, not deleted.
    pub fn is_public(&self) -> bool {
        self.status == CommentStatus::Approved && !self.hidden && self.deleted_at.is_none()
    }

    /// Shown to `viewer`: public ones, and the viewer's own pending ones.
    pub fn visible_to(&self, viewer: Option<&str>) -> bool {
        self.is_public()
            || (self.deleted_at.is_none()
                && self.status == CommentStatus::Pending
                && viewer == Some(self.user_id.as_str()))
    }
}

/// A row of `comment_moderation`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = comment_moderation)]
pub struct ModerationRow {
    pub id: String,
    pub comment_id: String,
    pub moderator_id: Option<String>,
    pub from_status: CommentStatus,
    pub to_status: CommentStatus,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}
