//! The change feed as Server-Sent Events: `GET /api/v1/events/stream`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{get, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use utoipa::IntoParams;

use crate::auth::extract::MaybeAuthUser;
use crate::db::{self, Pool};
use crate::error::{ApiError, Problem};
use crate::events::follow::{Frame, Hub};
use crate::events::queries;
use crate::state::AppState;

/// How often an idle stream sends a comment, so proxies keep it open and a
/// client notices a dead connection.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Events read from the outbox at once while catching up.
const CATCH_UP: i64 = 100;

/// Query of the event stream.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventStreamQuery {
    /// Start after this position (`Last-Event-ID` wins when both are
    /// sent); absent: only events from now on.
    #[serde(default, deserialize_with = "crate::events::dto::de_position")]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub after: Option<i64>,
}

/// The change feed as a stream (Server-Sent Events).
///
/// `text/event-stream`: each event is sent as `id: <position>`,
/// `event: <type>` and `data: <the event as GET /events lists it>`, the
/// moment it is committed on any server (within a tenth of a second). A
/// client that reconnects with `Last-Event-ID` (browsers' `EventSource`
/// does) first gets every event it missed, in order. A comment line every
/// 15 seconds keeps idle connections open. Anonymous callers get the
/// changes of public content only; staff get every change. A position older
/// than the feed's retention is 410 Gone: resync.
#[utoipa::path(
    tag = "events",
    params(
        EventStreamQuery,
        ("Last-Event-ID" = Option<String>, Header, pattern = r"^[0-9]{1,18}$",
         description = "The last position received: resume after it"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "An endless stream of events", content_type = "text/event-stream", body = String,
         example = json!("id: 1042\nevent: article.published\ndata: {\"position\":1042,\"id\":\"0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a\",\"type\":\"article.published\"}\n\n")),
        (status = 410, description = "Events after the position were pruned: resync", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/stream")]
pub async fn stream_events(
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    user: MaybeAuthUser,
    query: web::Query<EventStreamQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let staff = user.0.as_ref().is_some_and(|u| u.is_staff());
    let resume = match req.headers().get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|p| *p >= 0)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "Last-Event-ID must be a position: an integer of 0 or more",
                    )
                })?,
        ),
        None => query.after,
    };
    // Subscribed before the outbox is read: nothing falls between the two.
    let live = hub.subscribe();
    let start = db::run(&state.pool, move |conn| {
        let pruned = queries::pruned_through(conn)?;
        match resume {
            Some(after) if after > 0 && after < pruned => Err(ApiError::Gone(format!(
                "events through position {pruned} were pruned: read the content anew, then \
                 follow the stream from after={pruned}"
            ))),
            Some(after) => Ok(after),
            None => Ok(queries::head(conn)?),
        }
    })
    .await?;
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(feed(state.pool.clone(), live, tx, start, staff));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|bytes| (Ok::<_, actix_web::Error>(bytes), rx))
    })
    .fuse();
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", "text/event-stream"))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Vary", "Authorization"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Writes one stream: catches up from the outbox, then follows the hub,
/// until the client goes.
async fn feed(
    pool: Pool,
    mut live: broadcast::Receiver<Arc<Frame>>,
    tx: mpsc::Sender<Bytes>,
    mut last: i64,
    staff: bool,
) {
    if tx
        .send(Bytes::from_static(b"retry: 2000\n\n"))
        .await
        .is_err()
    {
        return;
    }
    if !catch_up(&pool, &tx, &mut last, staff).await {
        return;
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    loop {
        tokio::select! {
            received = live.recv() => match received {
                Ok(frame) => {
                    if frame.position <= last {
                        continue;
                    }
                    last = frame.position;
                    if (staff || frame.public) && tx.send(frame.bytes.clone()).await.is_err() {
                        return;
                    }
                }
                // Fell behind the hub: read what was missed from the outbox.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if !catch_up(&pool, &tx, &mut last, staff).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => {
                if tx.send(Bytes::from_static(b": heartbeat\n\n")).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends the events after `last` from the outbox; false when the client
/// is gone.
async fn catch_up(pool: &Pool, tx: &mpsc::Sender<Bytes>, last: &mut i64, staff: bool) -> bool {
    loop {
        let from = *last;
        let rows = db::query(pool, move |conn| {
            queries::after(conn, from, CATCH_UP, staff)
        })
        .await;
        let Ok(rows) = rows else {
            // The database is away: follow the hub, which rereads it.
            return true;
        };
        let full = rows.len() as i64 == CATCH_UP;
        for row in rows {
            *last = row.position;
            if tx.send(Frame::of(row).bytes.clone()).await.is_err() {
                return false;
            }
        }
        if !full {
            return true;
        }
    }
}
