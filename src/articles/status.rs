//! The states of an article, stored as text and shown in the API and the
//! OpenAPI document as the same enums.

crate::text_enum! {
    /// Where an article is in its life: `draft`, `in_review`, `scheduled`,
    /// `published`, `archived` or `withdrawn`.
    pub enum ArticleStatus {
        /// Being written; staff only.
        Draft = "draft",
        /// Submitted for an editor's review.
        InReview = "in_review",
        /// Published for a future time; public from then on.
        Scheduled = "scheduled",
        /// Public (after any embargo, until it expires).
        Published = "published",
        /// Readable at its URL, but gone from lists and feeds.
        Archived = "archived",
        /// Killed by the editors: its URL answers 410 Gone.
        Withdrawn = "withdrawn",
    }
}

crate::text_enum! {
    /// Who may comment: `open` (published at once), `moderated` (held for
    /// review) or `closed`.
    pub enum CommentsPolicy {
        /// Comments appear at once.
        Open = "open",
        /// Comments wait for a moderator.
        Moderated = "moderated",
        /// No new comments.
        Closed = "closed",
    }
}

crate::text_enum! {
    /// Where the copy comes from: `staff`, `wire`, `freelance` or `handout`.
    pub enum SourceCategory {
        /// The newsroom's own reporting.
        Staff = "staff",
        /// A news agency.
        Wire = "wire",
        /// A freelance contributor.
        Freelance = "freelance",
        /// A press release or handout.
        Handout = "handout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON (and OpenAPI) spelling is the stored one, and parses back.
    fn agree<T>(all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + serde::Serialize + std::str::FromStr + ToString,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        for v in all {
            let text = v.to_string();
            assert_eq!(serde_json::to_value(v).expect("json"), text.as_str());
            assert_eq!(text.parse::<T>().expect("parse"), *v);
        }
    }

    #[test]
    fn spellings_agree() {
        agree(ArticleStatus::ALL);
        agree(CommentsPolicy::ALL);
        agree(SourceCategory::ALL);
        agree(crate::comments::status::CommentStatus::ALL);
        agree(crate::comments::status::ShownStatus::ALL);
        assert_eq!(ArticleStatus::InReview.as_str(), "in_review");
        assert!("archive".parse::<ArticleStatus>().is_err());
    }
}
