//! Database rows of `users`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::role::Role;
use crate::db::schema::users;

/// A row of `users`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// UUIDv7.
    pub id: String,
    /// Lower-case email, unique.
    pub email: String,
    /// Shown name.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// What the user may do.
    pub role: Role,
    /// A disabled user cannot log in and their tokens stop working.
    pub disabled: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last changed.
    pub updated_at: NaiveDateTime,
    /// Until when the user may not comment.
    pub comment_banned_until: Option<NaiveDateTime>,
    /// The user's comments are hidden from readers (by a ban).
    pub comments_hidden: bool,
}

/// A new row of `users`.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    /// UUIDv7.
    pub id: String,
    /// Lower-case email.
    pub email: String,
    /// Shown name.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// What the user may do.
    pub role: Role,
    /// Starts enabled.
    pub disabled: bool,
    /// Starts at 1.
    pub version: i64,
    /// Now.
    pub created_at: NaiveDateTime,
    /// Now.
    pub updated_at: NaiveDateTime,
}
