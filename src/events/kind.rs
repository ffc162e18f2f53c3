//! The types of events, spelled as subscribers see them (`article.published`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What happened.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EventKind {
    /// A new draft.
    #[serde(rename = "article.created")]
    ArticleCreated,
    /// A save of the article's content.
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    /// Submitted for review.
    #[serde(rename = "article.submitted")]
    ArticleSubmitted,
    /// Visible to the public from now on.
    #[serde(rename = "article.published")]
    ArticlePublished,
    /// Back to draft.
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished,
    /// Gone from lists and feeds, still readable at its URL.
    #[serde(rename = "article.archived")]
    ArticleArchived,
    /// Killed: its URL answers 410.
    #[serde(rename = "article.withdrawn")]
    ArticleWithdrawn,
    /// A correction, clarification or update was appended to its log.
    #[serde(rename = "article.corrected")]
    ArticleCorrected,
    /// Its expiry time came: hidden from the public from now on.
    #[serde(rename = "article.expired")]
    ArticleExpired,
    /// A new media asset.
    #[serde(rename = "media.created")]
    MediaCreated,
    /// Its metadata or credit changed.
    #[serde(rename = "media.updated")]
    MediaUpdated,
    /// Deleted.
    #[serde(rename = "media.deleted")]
    MediaDeleted,
    /// A new section.
    #[serde(rename = "section.created")]
    SectionCreated,
    /// Renamed, moved or described anew.
    #[serde(rename = "section.updated")]
    SectionUpdated,
    /// Deleted.
    #[serde(rename = "section.deleted")]
    SectionDeleted,
    /// A new comment (public only once approved).
    #[serde(rename = "comment.created")]
    CommentCreated,
    /// Approved by a moderator.
    #[serde(rename = "comment.approved")]
    CommentApproved,
    /// Rejected (or marked spam) by a moderator.
    #[serde(rename = "comment.rejected")]
    CommentRejected,
    /// Deleted by its author or an editor.
    #[serde(rename = "comment.deleted")]
    CommentDeleted,
}

impl EventKind {
    /// Every type.
    pub const ALL: &'static [EventKind] = &[
        EventKind::ArticleCreated,
        EventKind::ArticleUpdated,
        EventKind::ArticleSubmitted,
        EventKind::ArticlePublished,
        EventKind::ArticleUnpublished,
        EventKind::ArticleArchived,
        EventKind::ArticleWithdrawn,
        EventKind::ArticleCorrected,
        EventKind::ArticleExpired,
        EventKind::MediaCreated,
        EventKind::MediaUpdated,
        EventKind::MediaDeleted,
        EventKind::SectionCreated,
        EventKind::SectionUpdated,
        EventKind::SectionDeleted,
        EventKind::CommentCreated,
        EventKind::CommentApproved,
        EventKind::CommentRejected,
        EventKind::CommentDeleted,
    ];

    /// What it means, for the documentation of its webhook.
    pub fn description(self) -> &'static str {
        match self {
            EventKind::ArticleCreated => "A new draft was written (not public).",
            EventKind::ArticleUpdated => {
                "An article was saved, or scheduled (public when the article is)."
            }
            EventKind::ArticleSubmitted => "A draft was submitted for review (not public).",
            EventKind::ArticlePublished => {
                "An article became visible to the public: published now, or its scheduled \
                 time or embargo came."
            }
            EventKind::ArticleUnpublished => "A published article went back to draft.",
            EventKind::ArticleArchived => "An article left lists and feeds; its URL still reads.",
            EventKind::ArticleWithdrawn => "An article was killed: its URL answers 410.",
            EventKind::ArticleCorrected => "A correction or update was appended to an article.",
            EventKind::ArticleExpired => "An article's expiry came: hidden from the public.",
            EventKind::MediaCreated => "A media asset was uploaded.",
            EventKind::MediaUpdated => "A media asset's metadata or credit changed.",
            EventKind::MediaDeleted => "A media asset was deleted.",
            EventKind::SectionCreated => "A section was made.",
            EventKind::SectionUpdated => "A section was renamed, moved or described anew.",
            EventKind::SectionDeleted => "A section was deleted.",
            EventKind::CommentCreated => "A reader posted a comment (public once approved).",
            EventKind::CommentApproved => "A moderator approved a comment.",
            EventKind::CommentRejected => "A moderator rejected a comment.",
            EventKind::CommentDeleted => "A comment was deleted by its author or an editor.",
        }
    }

    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::ArticleCreated => "article.created",
            EventKind::ArticleUpdated => "article.updated",
            EventKind::ArticleSubmitted => "article.submitted",
            EventKind::ArticlePublished => "article.published",
            EventKind::ArticleUnpublished => "article.unpublished",
            EventKind::ArticleArchived => "article.archived",
            EventKind::ArticleWithdrawn => "article.withdrawn",
            EventKind::ArticleCorrected => "article.corrected",
            EventKind::ArticleExpired => "article.expired",
            EventKind::MediaCreated => "media.created",
            EventKind::MediaUpdated => "media.updated",
            EventKind::MediaDeleted => "media.deleted",
            EventKind::SectionCreated => "section.created",
            EventKind::SectionUpdated => "section.updated",
            EventKind::SectionDeleted => "section.deleted",
            EventKind::CommentCreated => "comment.created",
            EventKind::CommentApproved => "comment.approved",
            EventKind::CommentRejected => "comment.rejected",
            EventKind::CommentDeleted => "comment.deleted",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        EventKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not an event type"))
    }
}

crate::text_column!(EventKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_agree() {
        for kind in EventKind::ALL {
            assert_eq!(serde_json::to_value(kind).expect("json"), kind.as_str());
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
        }
    }
}
