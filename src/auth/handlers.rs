//! Register, log in, refresh, log out, and `me`.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::{get, post, web, HttpRequest, HttpResponse};

use crate::auth::dto::{LoginRequest, RefreshRequest, RegisterRequest, TokenResponse};
use crate::auth::proxies::TrustedProxies;
use crate::auth::queries::{self, Redeemed};
use crate::auth::{extract::AuthUser, password, role::Role, throttle};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::{self, ApiJson};
use crate::state::AppState;
use crate::users::dto::UserResponse;
use crate::users::model::UserRow;
use crate::users::queries as user_queries;
use crate::users::service::{self as user_service, CreateUser};

/// Registers the auth endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(me);
}

/// The client's address: the peer, or what a trusted proxy forwarded.
fn client_addr(req: &HttpRequest, proxies: &TrustedProxies) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    proxies.client(peer, forwarded)
}

const BAD_LOGIN: &str = "wrong email or password";

/// Create a reader account.
///
/// Staff accounts are made by an admin (`PATCH /api/v1/users/{id}` raises the
/// role) or with `newsdesk user create`.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account", body = UserResponse,
         headers(("Location" = String, description = "URL of the new user"))),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this account or from this address: locked for a while (a minute, doubling with each further failure, at most 15)", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limiter
        .check("register", client_addr(&req, &state.trust_proxy))?;
    let body = body.0;
    let row = db::run(&state.pool, move |conn| {
        user_service::create(
            conn,
            CreateUser {
                email: &body.email,
                display_name: &body.display_name,
                password: &body.password,
                role: Role::Reader,
            },
        )
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder
        .insert_header(("Location", format!("/api/v1/users/{}", row.id)))
        .insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(&mut builder, &UserResponse::from(row)))
}

/// Log in with email and password.
///
/// A wrong email and a wrong password get the same answer in about the same
/// time, so the endpoint does not tell who has an account.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Wrong email or password, or a disabled account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json",
         headers(("Retry-After" = i64, description = "Seconds to wait"))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let addr = client_addr(&req, &state.trust_proxy);
    let limits = state.login;
    let body = body.0;
    let refresh_ttl = state.refresh_ttl;
    let user: UserRow = db::run(&state.pool, move |conn| {
        let email = password::normalize_email(&body.email).unwrap_or_default();
        let account = format!("account:{email}");
        let keys = [
            throttle::Key {
                key: account.clone(),
                limit: limits.account,
            },
            throttle::Key {
                key: format!("address:{addr}"),
                limit: limits.address,
            },
        ];
        let now = db::now();
        // A locked account or address is not even checked.
        throttle::check(conn, &keys, now)?;
        let row = user_queries::find_by_email(conn, &email)?;
        // Verify even when there is no such user, against a dummy hash.
        let ok = password::verify(
            &body.password,
            row.as_ref().map(|r| r.password_hash.as_str()),
        );
        match row {
            Some(row) if ok && !row.disabled => {
                throttle::succeeded(conn, &account)?;
                Ok(row)
            }
            _ => {
                throttle::failed(conn, &keys, now)?;
                Err(ApiError::Unauthorized(BAD_LOGIN.into()))
            }
        }
    })
    .await?;
    let pair = issue_pair(&state, user, None, refresh_ttl).await?;
    Ok(http::private_json(&mut HttpResponse::Ok(), &pair))
}

async fn issue_pair(
    state: &AppState,
    user: UserRow,
    family: Option<String>,
    ttl: std::time::Duration,
) -> Result<TokenResponse, ApiError> {
    let access_token = state.jwt.issue(&user.id, user.role)?;
    let ttl = chrono::Duration::from_std(ttl).map_err(ApiError::internal)?;
    let refresh_token = db::run(&state.pool, move |conn| {
        let family = family.unwrap_or_else(db::new_id);
        Ok(queries::issue_refresh_token(conn, &user.id, &family, ttl)?)
    })
    .await?;
    Ok(TokenResponse {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: state.jwt.ttl_secs(),
    })
}

/// Exchange a refresh token for a new pair.
///
/// The presented token stops working. Presenting a token that was already
/// exchanged revokes every token of that login: one of its two holders must
/// have stolen it.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or already used refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.refresh_token;
    let ttl = state.refresh_ttl;
    let pair = db::run(&state.pool, move |conn| {
        // The transaction commits a reuse's revocation before we answer 401.
        let outcome = db::write_tx(conn, |conn| Ok(queries::redeem(conn, &token)?))?;
        let row = match outcome {
            Redeemed::Fresh(row) => row,
            Redeemed::Reused => {
                tracing::warn!("a used refresh token was presented again; its login is revoked");
                return Err(ApiError::Unauthorized(
                    "the refresh token is not valid".into(),
                ));
            }
            Redeemed::Invalid => {
                return Err(ApiError::Unauthorized(
                    "the refresh token is not valid".into(),
                ))
            }
        };
        let user = user_queries::find_by_id(conn, &row.user_id)?
            .filter(|u| !u.disabled)
            .ok_or_else(|| ApiError::Unauthorized("the refresh token is not valid".into()))?;
        Ok((user, row.family_id))
    })
    .await?;
    let (user, family) = pair;
    let pair = issue_pair(&state, user, Some(family), ttl).await?;
    Ok(http::private_json(&mut HttpResponse::Ok(), &pair))
}

/// Log out: revoke the refresh token and every token of its login.
///
/// Answers 204 whether or not the token was known, so it can be called twice.
/// Access tokens already issued expire on their own (they are short-lived).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Logged out")),
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = body.0.refresh_token;
    db::query(&state.pool, move |conn| {
        queries::revoke_by_token(conn, &token)
    })
    .await?;
    Ok(HttpResponse::NoContent()
        .insert_header(("Cache-Control", http::PRIVATE_CACHE))
        .finish())
}

/// The caller's own account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = UserResponse)),
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.id.clone();
    let row = db::query(&state.pool, move |conn| user_queries::find_by_id(conn, &id))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the access token is not valid".into()))?;
    Ok(http::private_json(
        &mut HttpResponse::Ok(),
        &UserResponse::from(row),
    ))
}
