//! Admin endpoints for users.

use actix_web::{get, patch, web, HttpRequest, HttpResponse};

use crate::auth::{extract::AuthUser, role::Role};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::pagination::{list_json, Page, Paged, Total};
use crate::http::response::Audience;
use crate::http::{self, ApiJson, IfMatch, ListMeta};
use crate::state::AppState;
use crate::users::dto::{UpdateUserRequest, UserList, UserListQuery, UserResponse};
use crate::users::queries;
use crate::users::service;

/// Registers the user endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(get_user)
        .service(update_user);
}

/// List users (admin).
#[utoipa::path(
    tag = "users",
    params(UserListQuery, Page, Total),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = UserList,
         headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
    )
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: Paged<UserListQuery, true>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let limit = query.page.limit();
    let after: Option<String> = query.page.after()?;
    let role = query.filter.role;
    let with_total = query.with_total;
    let (rows, total) = db::run(&state.pool, move |conn| {
        let rows = queries::list_users(conn, role, after.as_deref(), limit + 1)?;
        let total = if with_total {
            Some(queries::count_users(conn, role)?)
        } else {
            None
        };
        Ok((rows, total))
    })
    .await?;
    let (rows, next_cursor) = http::split_page(rows, limit, |r| r.id.clone());
    let data: Vec<UserResponse> = rows.into_iter().map(UserResponse::from).collect();
    let meta = ListMeta {
        next_cursor,
        limit,
        total,
    };
    Ok(list_json(&req, data, meta, Audience::Staff))
}

/// Get a user (admin).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
    )
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let row = db::query(&state.pool, move |conn| queries::find_by_id(conn, &id))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &UserResponse::from(row)))
}

/// Change a user's role, name, disabled flag or comment ban (admin).
///
/// Disabling a user ends all their logins at once. `comment_banned_until`
/// stops new comments until then; with `hide_existing: true` the user's
/// comments also disappear from threads and counts (`false` brings them back). Admins cannot demote or
/// disable themselves, so a newsroom cannot lock out its last admin by accident.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the change was based on"),
    ),
    request_body(content = UpdateUserRequest, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = UserResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let id = id.into_inner();
    let expected = if_match.version()?;
    let patch = body.0;
    let row = db::run(&state.pool, move |conn| {
        service::update(conn, &user, &id, expected, patch)
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &UserResponse::from(row)))
}
