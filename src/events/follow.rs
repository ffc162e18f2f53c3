//! Caches that follow writes across servers. Every write of content leaves
//! an event, so the newest event position says whether anything changed
//! anywhere: each server polls it (one indexed `MAX` a tick) and empties its
//! micro-cache when it moved. A write on this server empties the cache at
//! once; a write on another server reaches it within [`TICK`], not within
//! the cache's TTL, which stays only as the fallback should the database be
//! unreachable.
//!
//! Polling was chosen over PostgreSQL's `LISTEN/NOTIFY`: it works the same
//! on both backends, needs no dedicated connection per server (the pool
//! serves it), and costs one index lookup per tick.

use std::time::Duration;

use actix_web::web;

use crate::cache::ReadCache;
use crate::db::Pool;
use crate::events::queries;

/// How often each server looks for writes made elsewhere.
pub const TICK: Duration = Duration::from_millis(100);

/// Follows the event position for as long as the server runs.
pub async fn run(pool: Pool, cache: web::Data<ReadCache>) {
    let mut seen = None;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // The TTL bounds staleness while the database is away.
        if let Some(head) = head(&pool).await {
            if seen.is_some_and(|seen| seen != head) {
                cache.clear();
            }
            seen = Some(head);
        }
    }
}

/// The newest position, or `None` when no connection came within a tick
/// (the pool is busy, or the database away): a poll never holds a blocking
/// thread for the pool's full timeout.
async fn head(pool: &Pool) -> Option<i64> {
    let pool = pool.clone();
    let polled = actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get_timeout(TICK).ok()?;
        queries::head(&mut conn)
            .map_err(|e| tracing::debug!(error = %e, "cannot read the event position"))
            .ok()
    });
    polled.await.ok().flatten()
}
