//! User administration.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp};

async fn admin_lists_and_changes_users(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let mut ids = vec![admin.id.clone()];
    for _ in 0..4 {
        ids.push(app.user(Role::Reader).await.id);
    }
    // Walk all pages.
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_string();
    loop {
        let page: Value = app
            .get(&path, Some(&admin.access_token))
            .await
            .json()
            .await
            .expect("json");
        seen.extend(
            page["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u["id"].as_str().map(str::to_string)),
        );
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ids, "oldest first, each once");
    let readers: Value = app
        .get(
            "/api/v1/users?role=reader&include_total=true",
            Some(&admin.access_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(readers["meta"]["total"], 4);
    assert_problem(
        app.get("/api/v1/users?role=chief", Some(&admin.access_token))
            .await,
        400,
    )
    .await;

    // Promote with If-Match; a stale one is refused.
    let path = format!("/api/v1/users/{}", ids[1]);
    let res = app.get(&path, Some(&admin.access_token)).await;
    assert_eq!(
        res.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"1\"")
    );
    let res = app
        .request(Method::PATCH, &path, Some(&admin.access_token))
        .header("if-match", "\"1\"")
        .json(&json!({"role": "editor"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.expect("json");
    assert_eq!(user["role"], "editor");
    assert_eq!(user["version"], 2);
    let res = app
        .request(Method::PATCH, &path, Some(&admin.access_token))
        .header("if-match", "\"1\"")
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .expect("request");
    assert_problem(res, 412).await;
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&admin.access_token),
            &json!({"role": "chief"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["role"]);
    assert_problem(
        app.get("/api/v1/users/not-a-user", Some(&admin.access_token))
            .await,
        404,
    )
    .await;

    // An admin cannot lock themself out.
    let own = format!("/api/v1/users/{}", admin.id);
    let res = app
        .send_json(
            Method::PATCH,
            &own,
            Some(&admin.access_token),
            &json!({"role": "editor", "disabled": true}),
        )
        .await;
    // Valid values that who is asking makes impossible: 409, naming both.
    let mut fields = error_fields(&assert_problem(res, 409).await);
    fields.sort();
    assert_eq!(fields, vec!["disabled", "role"]);
}

async fn role_change_applies_to_existing_tokens(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let reader = app.user(Role::Reader).await;
    let section = json!({"name": "Opinion"});
    assert_problem(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&reader.access_token),
            &section,
        )
        .await,
        403,
    )
    .await;
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/users/{}", reader.id),
        Some(&admin.access_token),
        &json!({"role": "editor"}),
    )
    .await;
    // The token still says reader; the database says editor, and wins.
    assert_eq!(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&reader.access_token),
            &section
        )
        .await
        .status(),
        201
    );
}

both_backends!(
    admin_lists_and_changes_users,
    role_change_applies_to_existing_tokens
);
