//! Queries on `users`. They take a connection, so services, the CLI and tests share them.

use diesel::prelude::*;

use crate::auth::role::Role;
use crate::db::schema::users;
use crate::db::{self, DbConn};
use crate::users::model::{NewUser, UserRow};

/// Inserts a new user; the row as stored.
pub fn insert_user(conn: &mut DbConn, row: &NewUser) -> QueryResult<UserRow> {
    diesel::insert_into(users::table)
        .values(row)
        .returning(users::all_columns)
        .get_result(conn)
}

/// The user with this (normalised) email.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// The user with this id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// A page of users in id (= creation) order, after `after`, optionally of one role.
pub fn list_users(
    conn: &mut DbConn,
    role: Option<Role>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    query.order(users::id.asc()).limit(limit).load(conn)
}

/// Counts users, optionally of one role.
pub fn count_users(conn: &mut DbConn, role: Option<Role>) -> QueryResult<i64> {
    let mut query = users::table.count().into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role));
    }
    query.get_result(conn)
}

/// The changes an admin may make to a user.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New role.
    pub role: Option<Role>,
    /// Enable or disable.
    pub disabled: Option<bool>,
    /// New display name.
    pub display_name: Option<String>,
    /// New comment ban (`Some(None)` lifts it).
    pub comment_banned_until: Option<Option<chrono::NaiveDateTime>>,
    /// Hide or show the user's comments.
    pub comments_hidden: Option<bool>,
}

/// Applies changes if the user is still at `version`; `None` when it is not
/// (someone else changed it first).
pub fn update_user(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    changes: UserChanges,
) -> QueryResult<Option<UserRow>> {
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(version)),
    )
    .set((
        changes,
        users::version.eq(version + 1),
        users::updated_at.eq(db::now()),
    ))
    .returning(users::all_columns)
    .get_result::<UserRow>(conn)
    .optional()?;
    Ok(updated)
}
