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
use crate::db::{self, Pool};
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
        match db::query(&pool, queries::head).await {
            Ok(head) => {
                if seen.is_some_and(|seen| seen != head) {
                    cache.clear();
                }
                seen = Some(head);
            }
            // The TTL bounds staleness while the database is away.
            Err(e) => tracing::debug!(error = %e, "cannot read the event position"),
        }
    }
}
