//! Webhook administration (admins only): endpoints, secrets, the delivery
//! log, replays and pings.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::auth::{extract::AuthUser, role::Role};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::pagination::{list_json, NoFilters, Page, Paged};
use crate::http::response::Audience;
use crate::http::{self, ApiJson, IfMatch, ListMeta};
use crate::state::AppState;
use crate::webhooks::deliver;
use crate::webhooks::dto::{
    CreateWebhookRequest, CreatedWebhook, DeliveryList, DeliveryListQuery, DeliveryResponse,
    RotatedSecret, UpdateWebhookRequest, WebhookList, WebhookResponse,
};
use crate::webhooks::model::{DeliveryRow, WebhookRow};
use crate::webhooks::queries;
use crate::webhooks::service::{self, not_found};

/// Registers the webhook endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_secret)
        .service(ping_webhook)
        .service(list_deliveries)
        .service(get_delivery)
        .service(retry_delivery);
}

fn private_list<T: serde::Serialize>(
    req: &HttpRequest,
    data: Vec<T>,
    limit: i64,
    next_cursor: Option<String>,
) -> HttpResponse {
    let meta = ListMeta {
        next_cursor,
        limit,
        total: None,
    };
    list_json(req, data, meta, Audience::Staff)
}

/// An endpoint as admins read it, with its version as the ETag.
fn endpoint_json(row: WebhookRow) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    http::private_json(&mut builder, &WebhookResponse::from(row))
}

/// Sends `delivery` now (a ping or a replay), records the attempt and
/// answers with it.
async fn attempt_now(
    state: &AppState,
    user: AuthUser,
    webhook: WebhookRow,
    delivery: DeliveryRow,
) -> Result<HttpResponse, ApiError> {
    let outcome = state.webhooks.send(&webhook, &delivery).await;
    let row = db::run(&state.pool, move |conn| {
        service::record_manual(conn, &user, delivery, &outcome)
    })
    .await?;
    Ok(http::private_json(
        &mut HttpResponse::Ok(),
        &DeliveryResponse::from(row),
    ))
}

/// List webhook endpoints (admin).
#[utoipa::path(
    tag = "webhooks",
    params(Page),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of endpoints, oldest first", body = WebhookList))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Paged<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let limit = query.page.limit();
    let after: Option<String> = query.page.after()?;
    let rows = db::query(&state.pool, move |conn| {
        queries::list(conn, after.as_deref(), limit + 1)
    })
    .await?;
    let (rows, next) = http::split_page(rows, limit, |r| r.id.clone());
    let data: Vec<WebhookResponse> = rows.into_iter().map(WebhookResponse::from).collect();
    Ok(private_list(&req, data, limit, next))
}

/// Register a webhook endpoint (admin).
///
/// It receives every event of the types it names that happens from now on,
/// signed by the Standard Webhooks specification with the `secret` in the
/// answer, which is shown only here: store it. See the `webhooks` section
/// of this document for the payloads and headers.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhookRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The endpoint, with its secret", body = CreatedWebhook,
         headers(
            ("Location" = String, description = "URL of the endpoint"),
            ("ETag" = String, description = "`\"<version>\"`"),
         )),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let allow_private = state.webhooks.settings.allow_private;
    let row = db::run(&state.pool, move |conn| {
        service::create(conn, &user, body.0, allow_private)
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder
        .insert_header(("Location", format!("/api/v1/webhooks/{}", row.id)))
        .insert_header(("ETag", http::version_etag(row.version)));
    let secret = row.secret.clone();
    Ok(http::private_json(
        &mut builder,
        &CreatedWebhook {
            webhook: WebhookResponse::from(row),
            secret,
        },
    ))
}

/// Get a webhook endpoint (admin). The secret is not shown.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The endpoint", body = WebhookResponse,
        headers(("ETag" = String, description = "`\"<version>\"`"))))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let row = db::query(&state.pool, move |conn| queries::find(conn, &id))
        .await?
        .ok_or_else(not_found)?;
    Ok(endpoint_json(row))
}

/// Change a webhook endpoint (admin).
///
/// A JSON Merge Patch; `If-Match: "<version>"` refuses a change based on an
/// old copy (412). `"enabled": true` re-enables an endpoint the server
/// disabled (after a 410, or days of failures) and resumes its queue.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the change was based on"),
    ),
    request_body(content = UpdateWebhookRequest, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed endpoint", body = WebhookResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let expected = if_match.version()?;
    let allow_private = state.webhooks.settings.allow_private;
    let row = db::run(&state.pool, move |conn| {
        service::update(conn, &user, &id, expected, body.0, allow_private)
    })
    .await?;
    Ok(endpoint_json(row))
}

/// Delete a webhook endpoint and its delivery log (admin).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the deletion was based on"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let expected = if_match.version()?;
    db::run(&state.pool, move |conn| {
        service::delete(conn, &user, &id, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate an endpoint's signing secret (admin).
///
/// The new secret signs every delivery from now on; the previous one signs
/// too for 24 hours (`webhook-signature` then carries both), so the
/// receiver can switch without missing a delivery.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The new secret", body = RotatedSecret,
        headers(("ETag" = String, description = "`\"<version>\"` of the endpoint"))))
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let row = db::run(&state.pool, move |conn| {
        service::rotate_secret(conn, &user, &id)
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(
        &mut builder,
        &RotatedSecret {
            secret: row.secret,
            previous_secret_expires_at: row.previous_secret_until.unwrap_or_else(db::now),
        },
    ))
}

/// Send a test event (admin).
///
/// Sends a `webhook.ping` now, signed like every delivery, whether or not
/// the endpoint is enabled, and answers with the attempt: status, duration
/// and the first bytes of the answer. It is not retried.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The attempt, succeeded or failed", body = DeliveryResponse))
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let actor = user.0.clone();
    let (webhook, delivery) = db::run(&state.pool, move |conn| {
        let webhook = queries::find(conn, &id)?.ok_or_else(not_found)?;
        let delivery = deliver::ping_of(&webhook)?;
        service::start_ping(conn, &actor, &delivery)?;
        Ok((webhook, delivery))
    })
    .await?;
    attempt_now(&state, user, webhook, delivery).await
}

/// The delivery log of an endpoint (admin), newest first.
///
/// Each delivery is one event for this endpoint with its last attempt:
/// status, duration, the first kilobyte of the answer, and when the next
/// retry is due.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Endpoint id"), DeliveryListQuery, Page),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of deliveries", body = DeliveryList))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    query: Paged<DeliveryListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let limit = query.page.limit();
    let before: Option<String> = query.page.after()?;
    let status = query.filter.status;
    let rows = db::run(&state.pool, move |conn| {
        queries::find(conn, &id)?.ok_or_else(not_found)?;
        Ok(queries::log(
            conn,
            &id,
            status,
            before.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (rows, next) = http::split_page(rows, limit, |r| r.id.clone());
    let data: Vec<DeliveryResponse> = rows.into_iter().map(DeliveryResponse::from).collect();
    Ok(private_list(&req, data, limit, next))
}

/// One delivery of an endpoint (admin).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id (the `webhook-id` header)"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The delivery", body = DeliveryResponse))
)]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn get_delivery(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let (id, delivery_id) = path.into_inner();
    let row = db::query(&state.pool, move |conn| {
        queries::find_delivery(conn, &id, &delivery_id)
    })
    .await?
    .ok_or_else(|| ApiError::NotFound("no such delivery".into()))?;
    Ok(http::private_json(
        &mut HttpResponse::Ok(),
        &DeliveryResponse::from(row),
    ))
}

/// Replay a delivery now (admin).
///
/// Sends the delivery again, with the same `webhook-id` and body and a fresh
/// timestamp and signature, and answers with the attempt. A failed delivery
/// that succeeds now is marked succeeded; a pending one keeps its place in
/// the queue if this attempt fails too.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Endpoint id"),
        ("delivery_id" = String, Path, description = "Delivery id"),
    ),
    security(("bearer" = [])),
    responses((status = 200, description = "The attempt, succeeded or failed", body = DeliveryResponse))
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/retry")]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let (id, delivery_id) = path.into_inner();
    let (webhook, delivery) = db::run(&state.pool, move |conn| {
        let webhook = queries::find(conn, &id)?.ok_or_else(not_found)?;
        let delivery = queries::find_delivery(conn, &id, &delivery_id)?
            .ok_or_else(|| ApiError::NotFound("no such delivery".into()))?;
        Ok((webhook, delivery))
    })
    .await?;
    attempt_now(&state, user, webhook, delivery).await
}
