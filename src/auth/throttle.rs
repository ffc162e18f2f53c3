//! Login throttling that fits a newsroom: only failures count, per account
//! and per client address, in the database so that every server sees them.
//! Past its threshold within [`WINDOW`] a key is locked for [`FIRST_LOCK`],
//! doubling with each further failure up to [`MAX_LOCK`]; a success clears
//! the account's count. A whole newsroom behind one address logs in freely;
//! guessing one account's password from many addresses is slowed down.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::schema::login_failures;
use crate::db::{self, DbConn};
use crate::error::ApiError;

/// Failures older than this are forgotten.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
/// The first lock.
pub const FIRST_LOCK: TimeDelta = TimeDelta::seconds(60);
/// The longest lock.
pub const MAX_LOCK: TimeDelta = TimeDelta::minutes(15);

/// A key and the failures it may have before it is locked.
pub struct Key {
    /// `account:<email>` or `address:<ip>`.
    pub key: String,
    /// Failures allowed within the window.
    pub limit: u32,
}

#[derive(Queryable)]
struct Row {
    failures: i32,
    last_failure_at: NaiveDateTime,
    locked_until: Option<NaiveDateTime>,
}

fn row(conn: &mut DbConn, key: &str) -> QueryResult<Option<Row>> {
    login_failures::table
        .find(key)
        .select((
            login_failures::failures,
            login_failures::last_failure_at,
            login_failures::locked_until,
        ))
        .first(conn)
        .optional()
}

/// 429 with `Retry-After` while any of `keys` is locked.
pub fn check(conn: &mut DbConn, keys: &[Key], now: NaiveDateTime) -> Result<(), ApiError> {
    let mut wait = TimeDelta::zero();
    for key in keys {
        if let Some(until) = row(conn, &key.key)?.and_then(|r| r.locked_until) {
            wait = wait.max(until - now);
        }
    }
    if wait > TimeDelta::zero() {
        return Err(ApiError::TooManyRequests {
            retry_after: u64::try_from(wait.num_seconds()).unwrap_or(0).max(1),
        });
    }
    Ok(())
}

/// Counts a failure against each key, locking those past their limit.
pub fn failed(conn: &mut DbConn, keys: &[Key], now: NaiveDateTime) -> Result<(), ApiError> {
    db::write_tx(conn, |conn| {
        for key in keys {
            let insert = match conn {
                DbConn::Postgres(_) => {
                    "INSERT INTO login_failures (key, failures, last_failure_at) \
                     VALUES ($1, 0, $2) ON CONFLICT (key) DO NOTHING"
                }
                DbConn::Sqlite(_) => {
                    "INSERT INTO login_failures (key, failures, last_failure_at) \
                     VALUES (?1, 0, ?2) ON CONFLICT (key) DO NOTHING"
                }
            };
            diesel::sql_query(insert)
                .bind::<Text, _>(&key.key)
                .bind::<Timestamp, _>(now)
                .execute(conn)?;
            let Some(current) = row(conn, &key.key)? else {
                continue;
            };
            let failures = if current.last_failure_at < now - WINDOW {
                1
            } else {
                current.failures + 1
            };
            let over = failures - i32::try_from(key.limit).unwrap_or(i32::MAX);
            let locked_until = (over >= 0).then(|| {
                let lock =
                    FIRST_LOCK * 2i32.saturating_pow(u32::try_from(over).unwrap_or(0).min(10));
                now + lock.min(MAX_LOCK)
            });
            diesel::update(login_failures::table.find(&key.key))
                .set((
                    login_failures::failures.eq(failures),
                    login_failures::last_failure_at.eq(now),
                    login_failures::locked_until.eq(locked_until.or(current.locked_until)),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Clears an account's failures after a successful login.
pub fn succeeded(conn: &mut DbConn, account: &str) -> Result<(), ApiError> {
    diesel::delete(login_failures::table.find(account)).execute(conn)?;
    Ok(())
}
