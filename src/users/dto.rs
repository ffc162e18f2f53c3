//! Wire types of users.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::role::Role;
use crate::http::ListMeta;
use crate::users::model::UserRow;

/// A user account as staff tools and the user themself see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    /// UUIDv7.
    #[schema(example = "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a")]
    pub id: String,
    /// Login email, lower case.
    #[schema(example = "m.keller@example.com")]
    pub email: String,
    /// Name shown in bylines and comments.
    #[schema(example = "Mara Keller")]
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// A disabled user cannot log in; their tokens stop working at once.
    pub disabled: bool,
    /// Concurrency version; the ETag is `"<version>"`.
    #[schema(example = 1)]
    pub version: i64,
    /// Created (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T09:30:00Z")]
    pub created_at: NaiveDateTime,
    /// Last changed (RFC 3339, UTC).
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-26T09:30:00Z")]
    pub updated_at: NaiveDateTime,
    /// Until when the user may not comment (RFC 3339, UTC); `null` when free to.
    #[schema(example = json!(null))]
    pub comment_banned_until: Option<String>,
    /// The user's comments are hidden from readers.
    pub comments_hidden: bool,
}

impl From<UserRow> for UserResponse {
    fn from(row: UserRow) -> Self {
        Self {
            role: row.role,
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            disabled: row.disabled,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            comment_banned_until: row.comment_banned_until.map(crate::http::format_time),
            comments_hidden: row.comments_hidden,
        }
    }
}

/// A page of users.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    /// The users, oldest account first.
    pub data: Vec<UserResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// Query of `GET /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only users with this role.
    pub role: Option<Role>,
}

/// An admin's change to a user (JSON Merge Patch; absent fields stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"comment_banned_until": "2026-12-26T00:00:00Z", "hide_existing": true}))]
pub struct UpdateUserRequest {
    /// New role.
    pub role: Option<Role>,
    /// Disable (true) or enable (false) the account. Disabling also ends
    /// every login of the user.
    pub disabled: Option<bool>,
    /// New display name (1 to 100 characters).
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// Ban from commenting until this time (RFC 3339); `null` lifts the ban.
    #[serde(default, deserialize_with = "crate::http::double_option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub comment_banned_until: Option<Option<chrono::DateTime<chrono::Utc>>>,
    /// `true` also hides every comment the user wrote (they leave counts and
    /// threads); `false` shows them again.
    pub hide_existing: Option<bool>,
}
