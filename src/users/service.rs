//! Every change of a user account happens here: creating one (registration,
//! the CLI, the demo) and an admin's changes (role, disabling, display name,
//! comment bans), each in one transaction.

use crate::auth::password;
use crate::auth::queries as auth_queries;
use crate::auth::role::{Actor, Role};
use crate::comments::service as comments;
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::http::conditional::check_if_match;
use crate::users::dto::UpdateUserRequest;
use crate::users::model::{NewUser, UserRow};
use crate::users::queries::{self, UserChanges};

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
pub fn create(conn: &mut DbConn, input: CreateUser<'_>) -> Result<UserRow, ApiError> {
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
    if queries::find_by_email(conn, &email)?.is_some() {
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
        role: input.role,
        disabled: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    // A twin registered at the same moment is a 409 by the email's constraint.
    Ok(queries::insert_user(conn, &row)?)
}

/// An admin's change to a user, based on version `expected`.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    patch: UpdateUserRequest,
) -> Result<UserRow, ApiError> {
    actor.require(Role::Admin)?;
    let mut errors = Vec::new();
    let display_name = patch
        .display_name
        .as_deref()
        .map(password::check_display_name)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    // An admin's own demotion or disabling is valid input that the current
    // state (who is asking) does not allow.
    let mut conflicts = Vec::new();
    if id == actor.id {
        if patch.role.is_some_and(|r| r != Role::Admin) {
            conflicts.push(FieldError::new(
                "role",
                "you cannot take away your own admin role",
            ));
        }
        if patch.disabled == Some(true) {
            conflicts.push(FieldError::new(
                "disabled",
                "you cannot disable your own account",
            ));
        }
    }
    if let Some(error) = ApiError::from_findings(errors, conflicts, Vec::new()) {
        return Err(error);
    }
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id(conn, id)?
            .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
        check_if_match(expected, current.version)?;
        let changes = UserChanges {
            role: patch.role,
            disabled: patch.disabled,
            display_name,
            comment_banned_until: patch
                .comment_banned_until
                .map(|t| t.map(|t| db::truncate(t.naive_utc()))),
            comments_hidden: patch.hide_existing,
        };
        let updated = queries::update_user(conn, id, current.version, changes)?
            .ok_or_else(|| ApiError::PreconditionFailed("the user changed meanwhile".into()))?;
        if updated.disabled {
            auth_queries::revoke_all_for_user(conn, &updated.id)?;
        }
        if let Some(hidden) = patch.hide_existing {
            comments::set_hidden_for_user(conn, &updated.id, hidden)?;
        }
        Ok(updated)
    })
}
