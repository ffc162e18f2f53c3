//! Database rows of articles, bylines, revisions, corrections and tags.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::articles::status::{ArticleStatus, CommentsPolicy, SourceCategory};
use crate::db::schema::{article_bylines, article_corrections, article_revisions, articles, tags};

/// A row of `articles`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleRow {
    pub id: String,
    pub slug: String,
    pub locale: String,
    pub headline: String,
    pub subheadline: Option<String>,
    pub kicker: Option<String>,
    pub summary: Option<String>,
    /// JSON array of body blocks.
    pub body: String,
    pub dateline: Option<String>,
    pub source: Option<String>,
    pub source_category: Option<SourceCategory>,
    pub section_id: String,
    pub main_media_id: Option<String>,
    pub main_media_caption: Option<String>,
    pub main_media_credit: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub canonical_url: Option<String>,
    pub comments_policy: CommentsPolicy,
    pub status: ArticleStatus,
    pub word_count: i32,
    pub reading_minutes: i32,
    pub created_by: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub modified_at: NaiveDateTime,
    pub first_published_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    /// The content update shown to readers ("Last updated at 21:44").
    pub updated_at: Option<NaiveDateTime>,
    pub embargo_until: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    /// Approved, visible comments; kept by the comment writes alone (never
    /// written back by an article save, which could hold an older count).
    #[diesel(skip_insertion, skip_update)]
    pub comment_count: i32,
}

impl ArticleRow {
    /// Whether the public may see it at `now`: published (or scheduled and
    /// due), past its embargo, not expired. Decided at read time, so a
    /// scheduled article appears at its time with no job running.
    pub fn is_visible(&self, now: NaiveDateTime) -> bool {
        matches!(
            self.status,
            ArticleStatus::Published | ArticleStatus::Scheduled | ArticleStatus::Archived
        ) && self.published_at.is_some_and(|p| p <= now)
            && self.embargo_until.is_none_or(|e| e <= now)
            && self.expires_at.is_none_or(|e| e > now)
    }

    /// The status as readers of the API see it: a scheduled article whose
    /// time has come is `published`.
    pub fn effective_status(&self, now: NaiveDateTime) -> ArticleStatus {
        if self.status == ArticleStatus::Scheduled && self.is_visible(now) {
            ArticleStatus::Published
        } else {
            self.status
        }
    }
}

/// A row of `article_bylines`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = article_bylines, treat_none_as_null = true)]
pub struct BylineRow {
    pub article_id: String,
    pub position: i32,
    pub user_id: Option<String>,
    pub name: String,
    pub role: Option<String>,
}

/// A row of `article_revisions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = article_revisions, treat_none_as_null = true)]
pub struct RevisionRow {
    pub article_id: String,
    pub number: i32,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    /// What made this revision: `created`, `edited`, `restored from N`.
    pub note: String,
    /// The article document (JSON) as saved.
    pub document: String,
}

/// A correction, clarification or update in an article's public log.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = article_corrections)]
pub struct CorrectionRow {
    pub id: String,
    pub article_id: String,
    pub kind: String,
    pub text: String,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A row of `tags`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
pub struct TagRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}
