//! The route table: every documented operation, used both by the server
//! (`startup`) and by the OpenAPI document (`openapi`), so neither imports the
//! other. Also the operations checks, which belong to no resource.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::cache::ReadCache;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::events::follow::Hub;
use crate::metrics::{self as m, MetricsSettings};
use crate::state::AppState;
use crate::{articles, auth, comments, distribution, events, media, sections, users, webhooks};

/// Every documented route: operations checks at the root, the API under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(
            // Articles first: actix tries a scope's routes in order, and
            // the public reads (articles, their lists, feeds) are most of
            // the traffic; every route before them that takes a parameter
            // cost a regular expression's match per request. (No two
            // modules' paths overlap, so the order changes nothing else.)
            scope::scope("/api/v1")
                .configure(articles::configure)
                .configure(distribution::configure)
                .configure(auth::handlers::configure)
                .configure(users::handlers::configure)
                .configure(sections::handlers::configure)
                .configure(media::handlers::configure)
                .configure(comments::configure)
                .configure(events::handlers::configure)
                .configure(webhooks::handlers::configure),
        );
}

/// Liveness and readiness answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` (process up) or `ready` (database reachable).
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Up", body = HealthResponse)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(HealthResponse {
            status: "ok".into(),
        })
}

/// Readiness: the database answers.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Ready to serve", body = HealthResponse)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    db::run(&state.pool, db::ping).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(HealthResponse {
            status: "ready".into(),
        }))
}

/// Metrics for Prometheus, in the OpenMetrics text format: requests by route
/// template and status with latency histograms, database pool use and
/// waits, the micro-cache, uploads and renditions, event streams, the
/// webhook queue and delivery outcomes, the process's memory.
///
/// Served on this port only when `NEWSDESK_METRICS_TOKEN` is set, to
/// callers that send it as a bearer token; `NEWSDESK_METRICS_BIND` serves
/// them on a separate address instead.
#[utoipa::path(
    tag = "operations",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
        (status = 401, description = "No metrics token, or a wrong one", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Metrics are not served on this port (no `NEWSDESK_METRICS_TOKEN`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    settings: web::Data<MetricsSettings>,
    state: web::Data<AppState>,
    cache: web::Data<ReadCache>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    if settings.token.is_none() {
        return Err(ApiError::NotFound(
            "metrics are not served on this port: set NEWSDESK_METRICS_TOKEN, \
             or read them on NEWSDESK_METRICS_BIND"
                .into(),
        ));
    }
    metrics_listener(req, settings, state, cache, hub).await
}

/// `GET /metrics` on the separate metrics address (`NEWSDESK_METRICS_BIND`).
pub async fn metrics_listener(
    req: HttpRequest,
    settings: web::Data<MetricsSettings>,
    state: web::Data<AppState>,
    cache: web::Data<ReadCache>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, ApiError> {
    m::respond(&req, &settings, &m::Sources { state, cache, hub }).await
}
