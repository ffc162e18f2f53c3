//! The route table: every documented operation, used both by the server
//! (`startup`) and by the OpenAPI document (`openapi`), so neither imports the
//! other. Also the operations checks, which belong to no resource.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::db;
use crate::error::ApiError;
use crate::state::AppState;
use crate::{articles, auth, comments, events, media, sections, users, webhooks};

/// Every documented route: operations checks at the root, the API under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(
        scope::scope("/api/v1")
            .configure(auth::handlers::configure)
            .configure(users::handlers::configure)
            .configure(sections::handlers::configure)
            .configure(media::handlers::configure)
            .configure(articles::configure)
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
