//! The moments of an article's public life that no request makes: a
//! scheduled article coming due, an embargo lifting, an expiry. Visibility is
//! decided at read time, so readers see them at once; the scheduler makes
//! them events, within a tick of the moment and exactly once: each run
//! takes the window since the last one, announces what fell in it, and moves
//! the window, in one transaction that also holds the scheduler's row, so
//! two servers never announce a moment twice and a restart announces what
//! happened while everything was down.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::articles::model::ArticleRow;
use crate::articles::status::ArticleStatus;
use crate::db::schema::{articles, scheduler};
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::events::kind::EventKind;
use crate::events::service as events;

/// How often each server looks for due moments.
pub const TICK: Duration = Duration::from_secs(1);

const NAME: &str = "articles";

/// Ticks between two moves of the search window (a minute).
const WINDOW_TICKS: u64 = 60;

/// Delivery documents rendered per transaction.
const DRAIN_BATCH: i64 = 200;

/// Announces the moments since the last run; how many.
pub fn announce_due(conn: &mut DbConn) -> Result<usize, ApiError> {
    db::write_tx(conn, |conn| {
        let now = db::now();
        // Takes the row's lock (PostgreSQL) before reading it, so a second
        // server waits here and then finds the window moved.
        let held = diesel::update(scheduler::table.find(NAME))
            .set(scheduler::until.eq(scheduler::until))
            .execute(conn)?;
        if held == 0 {
            // The migration made the row; should it be gone, start now: the
            // past was announced by the writes that made it.
            diesel::insert_into(scheduler::table)
                .values((
                    scheduler::name.eq(NAME),
                    scheduler::until.eq(now),
                    scheduler::mark.eq(0),
                ))
                .execute(conn)?;
            return Ok(0);
        }
        let since: NaiveDateTime = scheduler::table
            .find(NAME)
            .select(scheduler::until)
            .first(conn)?;
        if since >= now {
            return Ok(0);
        }
        let mut announced = 0;
        for row in due(conn, since, now)? {
            let kind = if row.is_visible(now) {
                EventKind::ArticlePublished
            } else {
                EventKind::ArticleExpired
            };
            events::article_moment(conn, kind, &row)?;
            announced += 1;
        }
        diesel::update(scheduler::table.find(NAME))
            .set(scheduler::until.eq(now))
            .execute(conn)?;
        Ok(announced)
    })
}

/// Articles whose publication, embargo or expiry fell in (since, now] after
/// their last write (a moment a write already made is the write's event).
fn due(
    conn: &mut DbConn,
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Vec<ArticleRow>> {
    let live = [
        ArticleStatus::Published,
        ArticleStatus::Scheduled,
        ArticleStatus::Archived,
    ];
    let mut rows: Vec<ArticleRow> = Vec::new();
    let in_window = |column: articles::published_at| column.gt(since).and(column.le(now));
    let published: Vec<ArticleRow> = articles::table
        .filter(articles::status.eq_any(live))
        .filter(in_window(articles::published_at))
        .filter(articles::published_at.gt(articles::modified_at.nullable()))
        .select(ArticleRow::as_select())
        .load(conn)?;
    // The status is tested on the row, not through an index: with the
    // sampled statistics SQLite keeps of a big table (`PRAGMA optimize`
    // analyses with a limit), it took the (status, modified) index for
    // these two and read every live article's row at every tick (a
    // million articles: the whole 20 GB file, every few seconds); the
    // embargo and expiry indexes find the few rows in the window.
    let live_row = || {
        db::cached::fixed::<diesel::sql_types::Bool>(
            "(articles.status || '') IN ('published', 'scheduled', 'archived')",
        )
    };
    let lifted: Vec<ArticleRow> = articles::table
        .filter(live_row())
        .filter(articles::embargo_until.gt(since))
        .filter(articles::embargo_until.le(now))
        .filter(articles::embargo_until.gt(articles::modified_at.nullable()))
        .select(ArticleRow::as_select())
        .load(conn)?;
    let expired: Vec<ArticleRow> = articles::table
        .filter(live_row())
        .filter(articles::expires_at.gt(since))
        .filter(articles::expires_at.le(now))
        .filter(articles::expires_at.gt(articles::modified_at.nullable()))
        .select(ArticleRow::as_select())
        .load(conn)?;
    for row in published.into_iter().chain(lifted).chain(expired) {
        // One event per article and run: the state it is in now.
        let was_public_before = row.is_visible(since);
        let public_now = row.is_visible(now);
        if was_public_before != public_now && !rows.iter().any(|r| r.id == row.id) {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Runs the scheduler for as long as the server runs: announces due
/// moments, and prunes the change feed of events older than `retention`.
pub async fn run(pool: Pool, retention: chrono::Duration) {
    {
        // Documents rendered by another version or with other settings, or
        // never rendered, are rendered again by the ticks below.
        let pool = pool.clone();
        let queued = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get_timeout(TICK).ok()?;
            crate::articles::delivery::queue_outdated(&mut conn)
                .map_err(|e| tracing::warn!(error = %e, "queueing outdated documents failed"))
                .ok()
        })
        .await;
        if let Ok(Some(n)) = queued {
            if n > 0 {
                tracing::info!(queued = n, "delivery documents to render");
            }
        }
    }
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        ticker.tick().await;
        // The search window moves with the newest articles, once a minute
        // (from the first tick).
        let window_due = ticks.is_multiple_of(WINDOW_TICKS);
        ticks = ticks.wrapping_add(1);
        let pool = pool.clone();
        let ran = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get_timeout(TICK).ok()?;
            if window_due {
                if let Err(e) = crate::articles::search::keep_window(&mut conn) {
                    tracing::warn!(error = %e, "moving the search window failed");
                }
            }
            if let Err(e) = crate::events::service::prune(&mut conn, db::now() - retention) {
                tracing::warn!(error = %e, "pruning the change feed failed");
            }
            let announced = announce_due(&mut conn)
                .map_err(|e| tracing::warn!(error = %e, "the scheduler's run failed"))
                .ok();
            // Queued delivery documents, in batches, for most of a tick.
            let started = std::time::Instant::now();
            while started.elapsed() < TICK * 3 / 4 {
                match crate::articles::delivery::drain(&mut conn, DRAIN_BATCH) {
                    Ok(n) if n as i64 == DRAIN_BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "rendering delivery documents failed");
                        break;
                    }
                }
            }
            announced
        })
        .await;
        if let Ok(Some(n)) = ran {
            if n > 0 {
                tracing::info!(announced = n, "scheduled moments announced");
            }
        }
    }
}
