//! The change feed: `GET /api/v1/events?after=<position>`.

use actix_web::{get, web, HttpResponse};

use crate::auth::extract::MaybeAuthUser;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::events::dto::{EventList, EventListQuery, EventMeta, EventResponse};
use crate::events::queries;
use crate::http;
use crate::state::AppState;

/// Registers the event endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_events)
        .service(crate::events::stream::stream_events);
}

/// The largest and default page of the feed.
const PAGE: i64 = 100;

/// The change feed: every change since a position, oldest first.
///
/// For a static-site builder, a mobile app or a search index that syncs
/// incrementally: keep the `meta.last_position` of each page and ask again
/// with `after=` it. Anonymous callers (and readers) see the changes of
/// public content only, with nothing of a draft in them; staff (contributor
/// and up) see every change. Never cached: each request reads the feed as it
/// is now. Events are kept for `NEWSDESK_EVENT_RETENTION_DAYS` (30 by
/// default); a position older than that is 410 Gone: resync.
#[utoipa::path(
    tag = "events",
    params(EventListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Events after `after`, oldest first", body = EventList),
        (status = 410, description = "Events after `after` were pruned: resync", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    query: web::Query<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let after = query.after.unwrap_or(0);
    let limit = query.limit.unwrap_or(PAGE);
    let staff = user.0.as_ref().is_some_and(|u| u.is_staff());
    let rows = db::run(&state.pool, move |conn| {
        let pruned = queries::pruned_through(conn)?;
        if after > 0 && after < pruned {
            return Err(ApiError::Gone(format!(
                "events through position {pruned} were pruned: read the content anew, then \
                 follow the feed from after={pruned} (or from the newest position)"
            )));
        }
        Ok(queries::after(conn, after, limit, staff)?)
    })
    .await?;
    let last_position = rows.last().map_or(after, |r| r.position);
    let list = EventList {
        data: rows.into_iter().map(EventResponse::from).collect(),
        meta: EventMeta {
            limit,
            last_position,
        },
    };
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("Vary", "Authorization"));
    Ok(http::private_json(&mut builder, &list))
}
