//! Queries on `users`. They take a connection, so handlers, the CLI and tests share them.

use diesel::prelude::*;

use crate::auth::{password, role::Role};
use crate::db::schema::users;
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::users::model::{NewUser, UserRow};

/// What a new account needs; the password is still plain here.
pub struct CreateUser<'a> {
    /// Email as typed.
    pub email: &'a str,
    /// Display name as typed.
    pub display_name: &'a str,
    /// Plain password.
    pub password: &'a str,
    /// Role.
    pub role: Role,
}

/// Validates and creates a user: 422 for a bad email, name or weak password,
/// 409 for a taken email.
pub fn create_user(conn: &mut DbConn, input: CreateUser<'_>) -> Result<UserRow, ApiError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let email = password::normalize_email(input.email)
        .map_err(|e| errors.push(e))
        .ok();
    let display_name = password::check_display_name(input.display_name)
        .map_err(|e| errors.push(e))
        .ok();
    if let Some(e) = password::check_password(input.password, email.as_deref().unwrap_or("")) {
        errors.push(e);
    }
    let (Some(email), Some(display_name), true) = (email, display_name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if find_by_email(conn, &email)?.is_some() {
        return Err(ApiError::Conflict(
            "an account with this email already exists".into(),
        ));
    }
    let password_hash = password::hash(input.password)?;
    let now = db::now();
    let row = NewUser {
        id: db::new_id(),
        email,
        display_name,
        password_hash,
        role: input.role.as_str().to_string(),
        disabled: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .returning(users::all_columns)
        .get_result(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::Conflict("an account with this email already exists".into()),
            other => other.into(),
        })
}

/// The user with this (normalised) email.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// The user with this id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// A page of users in id (= creation) order, after `after`, optionally of one role.
pub fn list_users(
    conn: &mut DbConn,
    role: Option<Role>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<UserRow>, ApiError> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_string()));
    }
    Ok(query.order(users::id.asc()).limit(limit).load(conn)?)
}

/// Counts users, optionally of one role.
pub fn count_users(conn: &mut DbConn, role: Option<Role>) -> Result<i64, ApiError> {
    let mut query = users::table.count().into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    Ok(query.get_result(conn)?)
}

/// The changes an admin may make to a user.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    /// New role.
    pub role: Option<String>,
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
) -> Result<Option<UserRow>, ApiError> {
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
