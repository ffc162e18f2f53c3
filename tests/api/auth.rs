//! Accounts, tokens and the attacks on them.

use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{
    assert_problem, error_fields, spawn_app_with, Backend, TestApp, PASSWORD, TEST_SECRET,
};

async fn register_then_login_then_me(app: &TestApp) {
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/auth/register",
            None,
            &json!({"email": "  Reader@Example.COM ", "password": PASSWORD, "display_name": "Ольга “Olya” Ş."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let user: Value = res.json().await.expect("json");
    assert_eq!(user["email"], "reader@example.com");
    assert_eq!(user["role"], "reader");
    assert_eq!(user["display_name"], "Ольга “Olya” Ş.");
    assert!(user.get("password_hash").is_none() && !user.to_string().contains("argon2"));
    assert_eq!(
        location,
        format!("/api/v1/users/{}", user["id"].as_str().unwrap_or(""))
    );

    let res = app.login("READER@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("private, no-store")
    );
    let tokens: Value = res.json().await.expect("json");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap_or("");
    let me: Value = app
        .get("/api/v1/me", Some(access))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["role"], "reader");
}

async fn register_rejects_taken_email_weak_password_bad_email(app: &TestApp) {
    let ok = json!({"email": "taken@example.com", "password": PASSWORD, "display_name": "First"});
    assert_eq!(
        app.send_json(Method::POST, "/api/v1/auth/register", None, &ok)
            .await
            .status(),
        201
    );
    let again =
        json!({"email": "TAKEN@example.com", "password": PASSWORD, "display_name": "Second"});
    assert_problem(
        app.send_json(Method::POST, "/api/v1/auth/register", None, &again)
            .await,
        409,
    )
    .await;

    for (password, why) in [
        ("short", "too short"),
        ("1234567890", "common"),
        ("aaaaaaaaaaaa", "repeated"),
    ] {
        let body = json!({"email": "new@example.com", "password": password, "display_name": "New"});
        let problem = assert_problem(
            app.send_json(Method::POST, "/api/v1/auth/register", None, &body)
                .await,
            422,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["password"], "{why}");
    }
    for email in [
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "@example.com",
    ] {
        let body = json!({"email": email, "password": PASSWORD, "display_name": "New"});
        let problem = assert_problem(
            app.send_json(Method::POST, "/api/v1/auth/register", None, &body)
                .await,
            422,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["email"], "{email}");
    }
    // None of the refused registrations exists.
    assert_problem(app.login("new@example.com", PASSWORD).await, 401).await;
}

async fn wrong_email_and_wrong_password_look_alike(app: &TestApp) {
    let user = app.user(Role::Reader).await;
    let mut wrong_password = Duration::ZERO;
    let mut wrong_email = Duration::ZERO;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let res = app.login(&user.email, "not the password at all").await;
        wrong_password += started.elapsed();
        bodies.push(assert_problem(res, 401).await);
        let started = Instant::now();
        let res = app
            .login("nobody@example.com", "not the password at all")
            .await;
        wrong_email += started.elapsed();
        bodies.push(assert_problem(res, 401).await);
    }
    for body in &bodies {
        assert_eq!(body["detail"], bodies[0]["detail"]);
        assert_eq!(body["type"], bodies[0]["type"]);
    }
    // Without the dummy hash an unknown email answers in a fraction of the time
    // an argon2 verification takes; with it the two are of one order.
    assert!(
        wrong_email * 3 > wrong_password,
        "unknown email {wrong_email:?} vs wrong password {wrong_password:?}"
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family(app: &TestApp) {
    let user = app.user(Role::Reader).await;
    let refresh = |token: String| async move {
        app.send_json(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": token}),
        )
        .await
    };
    let res = refresh(user.refresh_token.clone()).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.expect("json");
    let second_refresh = second["refresh_token"].as_str().unwrap_or("").to_string();
    assert_ne!(second_refresh, user.refresh_token);
    let access = second["access_token"].as_str().unwrap_or("");
    assert_eq!(app.get("/api/v1/me", Some(access)).await.status(), 200);

    // The first token is spent: presenting it again is a theft signal…
    assert_problem(refresh(user.refresh_token.clone()).await, 401).await;
    // …and the whole login is revoked, including the token issued after it.
    assert_problem(refresh(second_refresh).await, 401).await;
    assert_problem(refresh("made-up".into()).await, 401).await;
}

async fn logout_revokes_the_refresh_token(app: &TestApp) {
    let user = app.user(Role::Reader).await;
    let body = json!({"refresh_token": user.refresh_token});
    let res = app
        .send_json(Method::POST, "/api/v1/auth/logout", None, &body)
        .await;
    assert_eq!(res.status(), 204);
    assert_problem(
        app.send_json(Method::POST, "/api/v1/auth/refresh", None, &body)
            .await,
        401,
    )
    .await;
    // Logging out twice is harmless.
    assert_eq!(
        app.send_json(Method::POST, "/api/v1/auth/logout", None, &body)
            .await
            .status(),
        204
    );
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn forged_tokens_are_401(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let reader = app.user(Role::Reader).await;
    let now = chrono::Utc::now().timestamp();
    let claims = |sub: &str, exp: i64| json!({"sub": sub, "role": "admin", "iat": now, "exp": exp, "jti": "x", "iss": "newsdesk"});
    let parts: Vec<&str> = reader.access_token.split('.').collect();

    // alg: none, unsigned.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims(&admin.id, now + 600).to_string().as_bytes())
    );
    // Signed with another key.
    let other_key = encode(
        &Header::default(),
        &claims(&admin.id, now + 600),
        &EncodingKey::from_secret(b"another-secret-another-secret-another-secret"),
    )
    .expect("sign");
    // A real token whose payload was edited to claim admin.
    let edited_payload = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims(&reader.id, now + 600).to_string().as_bytes()),
        parts[2]
    );
    // Expired, though correctly signed.
    let expired = encode(
        &Header::default(),
        &claims(&admin.id, now - 3600),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign");
    // HS512 with the right key: only HS256 is accepted.
    let other_alg = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(&admin.id, now + 600),
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign");

    for (name, token) in [
        ("alg none", none),
        ("other key", other_key),
        ("edited payload", edited_payload),
        ("expired", expired),
        ("other algorithm", other_alg),
        ("garbage", "not.a.token".to_string()),
    ] {
        let res = app.get("/api/v1/users", Some(&token)).await;
        let challenge = res
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(challenge.starts_with("Bearer"), "{name}: {challenge}");
        assert_problem(res, 401).await;
    }
    // A scheme other than Bearer is refused too.
    let res = app
        .request(Method::GET, "/api/v1/me", None)
        .header("authorization", format!("Basic {}", b64(b"a:b")))
        .send()
        .await
        .expect("request");
    assert_problem(res, 401).await;
    // And the genuine tokens work.
    assert_eq!(
        app.get("/api/v1/users", Some(&admin.access_token))
            .await
            .status(),
        200
    );
}

async fn disabled_users_tokens_stop_working(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let editor = app.user(Role::Editor).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&editor.access_token))
            .await
            .status(),
        200
    );
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", editor.id),
            Some(&admin.access_token),
            &json!({"disabled": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(app.get("/api/v1/me", Some(&editor.access_token)).await, 401).await;
    let body = json!({"refresh_token": editor.refresh_token});
    assert_problem(
        app.send_json(Method::POST, "/api/v1/auth/refresh", None, &body)
            .await,
        401,
    )
    .await;
    assert_problem(app.login(&editor.email, PASSWORD).await, 401).await;
    // Enabled again, the user can log in (old refresh tokens stay revoked).
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", editor.id),
            Some(&admin.access_token),
            &json!({"disabled": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.login(&editor.email, PASSWORD).await.status(), 200);
    assert_problem(
        app.send_json(Method::POST, "/api/v1/auth/refresh", None, &body)
            .await,
        401,
    )
    .await;
}

async fn roles_are_enforced(app: &TestApp) {
    let reader = app.user(Role::Reader).await;
    let author = app.user(Role::Author).await;
    let editor = app.user(Role::Editor).await;
    let section = json!({"name": "Culture"});
    assert_problem(
        app.send_json(Method::POST, "/api/v1/sections", None, &section)
            .await,
        401,
    )
    .await;
    for user in [&reader, &author] {
        let res = app
            .send_json(
                Method::POST,
                "/api/v1/sections",
                Some(&user.access_token),
                &section,
            )
            .await;
        assert_problem(res, 403).await;
    }
    assert_eq!(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &section
        )
        .await
        .status(),
        201
    );
    // Users are the admin's.
    assert_problem(app.get("/api/v1/users", None).await, 401).await;
    assert_problem(
        app.get("/api/v1/users", Some(&editor.access_token)).await,
        403,
    )
    .await;
    assert_problem(
        app.get(
            &format!("/api/v1/users/{}", reader.id),
            Some(&editor.access_token),
        )
        .await,
        403,
    )
    .await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", editor.id),
            Some(&editor.access_token),
            &json!({"role": "admin"}),
        )
        .await;
    assert_problem(res, 403).await;
    let me: Value = app
        .get("/api/v1/me", Some(&editor.access_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "editor");
}

both_backends!(
    register_then_login_then_me,
    register_rejects_taken_email_weak_password_bad_email,
    wrong_email_and_wrong_password_look_alike,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_revokes_the_refresh_token,
    forged_tokens_are_401,
    disabled_users_tokens_stop_working,
    roles_are_enforced,
);

async fn login_and_register_are_rate_limited(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.auth_rate_limit = 3;
        s.trust_proxy =
            newsdesk::auth::proxies::TrustedProxies::parse("127.0.0.1").expect("proxies");
        s.login = newsdesk::config::LoginLimits {
            account: 3,
            address: 5,
        };
    })
    .await
    else {
        return;
    };
    let login_from = |address: &'static str, email: String, password: &'static str| {
        let app = &app;
        async move {
            app.request(Method::POST, "/api/v1/auth/login", None)
                .header("x-forwarded-for", address)
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .expect("login")
        }
    };
    let user = app.user(Role::Reader).await;
    // A newsroom behind one address: successes never count.
    for _ in 0..12 {
        let res = login_from("192.0.2.10", user.email.clone(), PASSWORD).await;
        assert_eq!(res.status(), 200);
    }
    // Guessing one account's password from several addresses locks the
    // account (on every server: the count is in the database), even for
    // the right password, until Retry-After.
    for address in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        let res = login_from(address, user.email.clone(), "wrong password!").await;
        assert_problem(res, 401).await;
    }
    let other = app.another_server();
    let res = app
        .client
        .post(format!("{other}/api/v1/auth/login"))
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({"email": user.email, "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    let retry_after: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    assert_problem(res, 429).await;
    // One address failing on many accounts is locked too.
    for i in 0..5 {
        let res = login_from("203.0.113.7", format!("nobody{i}@example.com"), "guess").await;
        assert_problem(res, 401).await;
    }
    let res = login_from("203.0.113.7", "nobody9@example.com".into(), "guess").await;
    assert_problem(res, 429).await;
    // Registration keeps its per-address limit.
    let body = json!({"email": "x@example.com", "password": PASSWORD, "display_name": "X"});
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            app.send_json(Method::POST, "/api/v1/auth/register", None, &body)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, vec![201, 409, 409]);
    assert_problem(
        app.send_json(Method::POST, "/api/v1/auth/register", None, &body)
            .await,
        429,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_register_are_rate_limited_sqlite() {
    login_and_register_are_rate_limited(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_register_are_rate_limited_postgres() {
    login_and_register_are_rate_limited(Backend::Postgres).await;
}

/// The JWT secret the server had before a rotation.
const PREVIOUS_SECRET: &str = "the-secret-before-the-rotation-0123456789";

/// During a rotation, tokens signed with the previous secret still work
/// until they expire; tokens signed with any other key do not.
async fn tokens_of_the_previous_secret_still_work(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": editor.id, "role": "editor", "iat": now, "exp": now + 600,
                        "jti": "rotation-test", "iss": "newsdesk"});
    let sign = |secret: &str| {
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    };
    let me = |token: String| async move {
        app.request(Method::GET, "/api/v1/me", Some(&token))
            .send()
            .await
            .expect("me")
            .status()
    };
    assert_eq!(me(sign(PREVIOUS_SECRET)).await, 200);
    assert_eq!(me(editor.access_token.clone()).await, 200);
    assert_eq!(
        me(sign("an-unknown-secret-an-unknown-secret-0123")).await,
        401
    );
}

crate::with_settings!(rotation, tokens_of_the_previous_secret_still_work, |s| s
    .jwt_previous_secret =
    Some(newsdesk::config::Secret::new(PREVIOUS_SECRET)));
