//! Refresh tokens: issued per login ("family"), rotated on every use, stored
//! only as SHA-256 hashes. Presenting a used token again revokes its family,
//! since one of the two holders must be a thief.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::token::hash_token;
use crate::db::schema::refresh_tokens;
use crate::db::{self, DbConn};

/// A row of `refresh_tokens`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    /// Id.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// The login this token descends from.
    pub family_id: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    /// Issued.
    pub created_at: NaiveDateTime,
    /// Stops working.
    pub expires_at: NaiveDateTime,
    /// Exchanged for a new pair.
    pub used_at: Option<NaiveDateTime>,
    /// Revoked by logout, reuse or an admin.
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshToken<'a> {
    id: String,
    user_id: &'a str,
    family_id: &'a str,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Stores a new refresh token of a family and returns the token itself.
pub fn issue_refresh_token(
    conn: &mut DbConn,
    user_id: &str,
    family_id: &str,
    ttl: Duration,
) -> QueryResult<String> {
    let token = crate::auth::token::random_token(32);
    let now = db::now();
    diesel::insert_into(refresh_tokens::table)
        .values(&NewRefreshToken {
            id: db::new_id(),
            user_id,
            family_id,
            token_hash: hash_token(&token),
            created_at: now,
            expires_at: now + ttl,
        })
        .execute(conn)?;
    Ok(token)
}

/// The outcome of presenting a refresh token.
pub enum Redeemed {
    /// Valid and now used: the row it was.
    Fresh(RefreshTokenRow),
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: the family has been revoked.
    Reused,
}

/// Marks a refresh token used, exactly once. Runs inside the caller's transaction.
pub fn redeem(conn: &mut DbConn, token: &str) -> QueryResult<Redeemed> {
    let row = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(Redeemed::Invalid);
    };
    let now = db::now();
    if row.revoked_at.is_some() {
        return Ok(Redeemed::Invalid);
    }
    if row.used_at.is_some() {
        revoke_family(conn, &row.family_id)?;
        return Ok(Redeemed::Reused);
    }
    if row.expires_at <= now {
        return Ok(Redeemed::Invalid);
    }
    // The `used_at IS NULL` guard makes two concurrent redemptions of one
    // token count as a reuse for the loser.
    let marked = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(&row.id))
            .filter(refresh_tokens::used_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(now))
    .execute(conn)?;
    if marked == 0 {
        revoke_family(conn, &row.family_id)?;
        return Ok(Redeemed::Reused);
    }
    Ok(Redeemed::Fresh(row))
}

/// Revokes every token of one login.
pub fn revoke_family(conn: &mut DbConn, family_id: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)
}

/// Revokes the family of the login this token belongs to, if any.
pub fn revoke_by_token(conn: &mut DbConn, token: &str) -> QueryResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family)?;
    }
    Ok(())
}

/// Revokes every login of a user (on disable).
pub fn revoke_all_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)
}
