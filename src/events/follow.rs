//! Following the outbox on each server. Every write of content leaves an
//! event, so the newest event position says whether anything changed
//! anywhere: each server polls it (one indexed `MAX` a tick) and, when it
//! moved, empties its micro-cache and hands the new events to its open
//! event streams. A write on this server empties the cache at once; a write
//! on another server reaches it within [`TICK`], not within the cache's
//! TTL, which stays only as the fallback should the database be
//! unreachable.
//!
//! Polling was chosen over PostgreSQL's `LISTEN/NOTIFY`: it works the same
//! on both backends, needs no dedicated connection per server (the pool
//! serves it), and costs one index lookup per tick.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::{self, Bytes};
use tokio::sync::broadcast;

use crate::cache::ReadCache;
use crate::db::Pool;
use crate::events::dto::EventResponse;
use crate::events::model::EventRow;
use crate::events::queries;

/// How often each server looks for writes made elsewhere.
pub const TICK: Duration = Duration::from_millis(100);
/// Events read from the outbox at once.
const BATCH: i64 = 500;
/// Events a slow stream may fall behind before it rereads the outbox.
const BACKLOG: usize = 4096;

/// An event as the streams send it: encoded once, whatever the number of
/// streams.
#[derive(Debug)]
pub struct Frame {
    /// Its position.
    pub position: i64,
    /// Whether anonymous readers may see it.
    pub public: bool,
    /// The `text/event-stream` frame.
    pub bytes: Bytes,
}

impl Frame {
    /// The frame of an event: `id:` is its position, `event:` its type,
    /// `data:` the event as the change feed lists it.
    pub fn of(row: EventRow) -> Self {
        let (position, public, kind) = (row.position, row.public, row.kind);
        let data = serde_json::to_string(&EventResponse::from(row)).unwrap_or_default();
        Self {
            position,
            public,
            bytes: Bytes::from(format!(
                "id: {position}\nevent: {}\ndata: {data}\n\n",
                kind.as_str()
            )),
        }
    }
}

/// The events this server has seen, for its open streams.
pub struct Hub {
    sender: broadcast::Sender<Arc<Frame>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
        }
    }
}

impl Hub {
    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.sender.subscribe()
    }

    /// How many streams are open.
    pub fn streams(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Follows the event position for as long as the server runs.
pub async fn run(pool: Pool, cache: Option<web::Data<ReadCache>>, hub: web::Data<Hub>) {
    let mut seen = None;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        // The TTL bounds staleness while the database is away.
        let Some(head) = head(&pool).await else {
            continue;
        };
        match seen {
            Some(last) if last != head => {
                if let Some(cache) = &cache {
                    cache.clear();
                }
                seen = Some(if hub.streams() > 0 {
                    publish(&pool, &hub, last).await
                } else {
                    head
                });
            }
            Some(_) => {}
            None => seen = Some(head),
        }
    }
}

/// Hands the events after `last` to the streams; the last position handed.
async fn publish(pool: &Pool, hub: &Hub, mut last: i64) -> i64 {
    loop {
        let from = last;
        let rows =
            crate::db::query(pool, move |conn| queries::after(conn, from, BATCH, true)).await;
        let Ok(rows) = rows else {
            return last;
        };
        let full = rows.len() as i64 == BATCH;
        for row in rows {
            last = row.position;
            // No stream may be listening any more: nothing lost.
            let _ = hub.sender.send(Arc::new(Frame::of(row)));
        }
        if !full {
            return last;
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
