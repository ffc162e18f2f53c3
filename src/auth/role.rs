//! Roles, and the actor a service acts for: who did it and with which role.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// What a user may do, lowest first; each role can do all that those below it can.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and comments.
    Reader,
    /// Writes own drafts; cannot publish.
    Contributor,
    /// Publishes own articles.
    Author,
    /// All content, sections, media and comment moderation.
    Editor,
    /// Users and settings.
    Admin,
}

impl Role {
    /// The stored and wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Contributor => "contributor",
            Role::Author => "author",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Every role, lowest first.
    pub const ALL: [Role; 5] = [
        Role::Reader,
        Role::Contributor,
        Role::Author,
        Role::Editor,
        Role::Admin,
    ];
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}`: one of reader, contributor, author, editor, admin")
            })
    }
}

crate::text_column!(Role);

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who performs a change: a user id and the role they hold now. Services take
/// this, not an HTTP extractor, so the CLI (seed, demo, imports) calls them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub id: String,
    /// Current role (from the database, not the token).
    pub role: Role,
}

impl Actor {
    /// 403 unless the actor has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {role} role or higher"
            )))
        }
    }

    /// Whether the actor is staff (contributor and up).
    pub fn is_staff(&self) -> bool {
        self.role >= Role::Contributor
    }
}
