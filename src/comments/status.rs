//! The states of a comment, stored as text and shown in the API and the
//! OpenAPI document as the same enums.

crate::text_enum! {
    /// A moderation state: `pending`, `approved`, `rejected` or `spam`.
    pub enum CommentStatus {
        /// Waiting for a moderator (or back after flags or an edit).
        Pending = "pending",
        /// Public.
        Approved = "approved",
        /// Refused by a moderator.
        Rejected = "rejected",
        /// Refused as spam.
        Spam = "spam",
    }
}

crate::text_enum! {
    /// A comment as a reader sees it: `approved`; `pending` (only its author
    /// sees their own, as they do their `rejected` or `spam` ones when they
    /// edit them); or, for placeholders, `deleted` or `removed`.
    pub enum ShownStatus {
        /// Waiting for a moderator.
        Pending = "pending",
        /// Public.
        Approved = "approved",
        /// Refused by a moderator.
        Rejected = "rejected",
        /// Refused as spam.
        Spam = "spam",
        /// A placeholder: its author deleted it.
        Deleted = "deleted",
        /// A placeholder: the moderators removed it.
        Removed = "removed",
    }
}

impl From<CommentStatus> for ShownStatus {
    fn from(status: CommentStatus) -> Self {
        match status {
            CommentStatus::Pending => Self::Pending,
            CommentStatus::Approved => Self::Approved,
            CommentStatus::Rejected => Self::Rejected,
            CommentStatus::Spam => Self::Spam,
        }
    }
}
