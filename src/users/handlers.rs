//! Admin endpoints for users.

use actix_web::{get, patch, web, HttpRequest, HttpResponse};

use crate::auth::{extract::AuthUser, queries as auth_queries, role::Role};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{self, ApiJson, IfMatch, ListMeta, DEFAULT_LIMIT};
use crate::state::AppState;
use crate::users::dto::{UpdateUserRequest, UserList, UserListQuery, UserResponse};
use crate::users::queries::{self, UserChanges};
use crate::{auth, db};

/// Registers the user endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_users)
        .service(get_user)
        .service(update_user);
}

/// List users (admin).
#[utoipa::path(
    tag = "users",
    params(UserListQuery),
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
    query: web::Query<UserListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Admin)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after: Option<String> = http::page_cursor(query.cursor.as_deref())?;
    let role = query.role;
    let with_total = query.include_total.unwrap_or(false);
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
    let body = UserList {
        data: rows.into_iter().map(UserResponse::from).collect(),
        meta: ListMeta {
            next_cursor: next_cursor.clone(),
            limit,
            total,
        },
    };
    let mut response = http::private_json(&mut HttpResponse::Ok(), &body);
    http::add_next_link(&mut response, &req, next_cursor.as_deref());
    Ok(response)
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
    let row = db::run(&state.pool, move |conn| queries::find_by_id(conn, &id))
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
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"` the change was based on"),
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
    let mut errors = Vec::new();
    let display_name = patch
        .display_name
        .as_deref()
        .map(auth::password::check_display_name)
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if id == user.id {
        if patch.role.is_some_and(|r| r != Role::Admin) {
            errors.push(FieldError::new(
                "role",
                "you cannot take away your own admin role",
            ));
        }
        if patch.disabled == Some(true) {
            errors.push(FieldError::new(
                "disabled",
                "you cannot disable your own account",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let current = queries::find_by_id(conn, &id)?
                .ok_or_else(|| ApiError::NotFound("no such user".into()))?;
            http::check_if_match(expected, current.version)?;
            let changes = UserChanges {
                role: patch.role.map(|r| r.as_str().to_string()),
                disabled: patch.disabled,
                display_name,
                comment_banned_until: patch
                    .comment_banned_until
                    .map(|t| t.map(|t| db::truncate(t.naive_utc()))),
                comments_hidden: patch.hide_existing,
            };
            let updated = queries::update_user(conn, &id, current.version, changes)?
                .ok_or_else(|| ApiError::PreconditionFailed("the user changed meanwhile".into()))?;
            if updated.disabled {
                auth_queries::revoke_all_for_user(conn, &updated.id)?;
            }
            if let Some(hidden) = patch.hide_existing {
                crate::comments::queries::set_hidden_for_user(conn, &updated.id, hidden)?;
            }
            Ok(updated)
        })
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &UserResponse::from(row)))
}
