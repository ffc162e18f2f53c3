//! Users' credentials and tokens: roles, password hashing, JWT access tokens,
//! rotating refresh tokens, the extractors handlers use, and rate limits.

pub mod dto;
pub mod extract;
pub mod handlers;
pub mod jwt;
pub mod password;
pub mod queries;
pub mod ratelimit;

use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

pub use extract::{AuthUser, MaybeAuthUser};

/// What a user may do, lowest first; each role can do all that those below it can.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
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

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A random URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The stored form of a refresh token: only its SHA-256 is kept.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
