//! Every error class leaves as problem+json with the right status and a request id.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp};

async fn unknown_route_is_404_problem(app: &TestApp) {
    let body = assert_problem(app.get("/api/v1/no-such-thing", None).await, 404).await;
    assert_eq!(body["instance"], "/api/v1/no-such-thing");
    assert_problem(app.get("/nothing-here", None).await, 404).await;
}

async fn bad_path_is_404_problem(app: &TestApp) {
    // Not UTF-8 once percent-decoded: the path names nothing.
    let body = assert_problem(app.get("/api/v1/sections/%FF%FE", None).await, 404).await;
    assert_eq!(body["type"], "/problems/not-found");
    assert_problem(app.get("/api/v1/sections/no-such-slug", None).await, 404).await;
    assert_problem(
        app.get(
            "/api/v1/sections/01936b2e-0000-7000-8000-000000000000",
            None,
        )
        .await,
        404,
    )
    .await;
}

async fn wrong_method_is_405_with_allow(app: &TestApp) {
    let res = app
        .request(Method::PUT, "/api/v1/sections", None)
        .send()
        .await
        .expect("request");
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(allow, "GET, POST");
    assert_problem(res, 405).await;
    let res = app
        .request(Method::PUT, "/api/v1/sections/world", None)
        .send()
        .await
        .expect("request");
    assert_problem(res, 405).await;
}

async fn malformed_json_is_400(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let res = app
        .request(Method::POST, "/api/v1/sections", Some(&editor.access_token))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .expect("request");
    let body = assert_problem(res, 400).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("malformed JSON"),
        "{body}"
    );
    // Trailing garbage after a valid value is malformed too.
    let res = app
        .request(Method::POST, "/api/v1/sections", Some(&editor.access_token))
        .header("content-type", "application/json")
        .body("{\"name\": \"A\"} x")
        .send()
        .await
        .expect("request");
    assert_problem(res, 400).await;
}

async fn wrong_content_type_is_415(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app
            .request(Method::POST, "/api/v1/sections", Some(&editor.access_token))
            .body("{\"name\": \"Sport\"}");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        assert_problem(req.send().await.expect("request"), 415).await;
    }
    // Nothing was created.
    let list: serde_json::Value = app
        .get("/api/v1/sections", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
}

async fn oversized_body_is_413(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let huge = "x".repeat(300 * 1024);
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({"name": "Big", "description": huge}),
        )
        .await;
    assert_problem(res, 413).await;
    let list: serde_json::Value = app
        .get("/api/v1/sections", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
}

async fn unknown_query_parameter_is_400_naming_it(app: &TestApp) {
    let body = assert_problem(app.get("/api/v1/sections?colour=red", None).await, 400).await;
    assert!(
        body["detail"].as_str().unwrap_or("").contains("colour"),
        "{body}"
    );
    assert_eq!(error_fields(&body), vec!["colour"]);
    let body = assert_problem(app.get("/api/v1/sections?limit=5&limit=6", None).await, 400).await;
    assert_eq!(error_fields(&body), vec!["limit"]);
}

/// Every list checks its own filters and the shared paging parameters alike:
/// an unknown, repeated or malformed parameter is a 400 that names it, and
/// `include_total` only where the list can count.
async fn every_list_checks_its_query_strictly(app: &TestApp) {
    let lists = [
        "/api/v1/sections",
        "/api/v1/articles",
        "/api/v1/feed",
        "/api/v1/tags",
        "/api/v1/articles/0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b5a/comments",
    ];
    for list in lists {
        for (query, param) in [
            ("colour=red", "colour"),
            ("limit=0", "limit"),
            ("limit=5&limit=6", "limit"),
            ("cursor=not-a-cursor", "cursor"),
        ] {
            let path = format!("{list}?{query}");
            let body = assert_problem(app.get(&path, None).await, 400).await;
            assert_eq!(error_fields(&body), vec![param], "{path}: {body}");
        }
    }
    for list in ["/api/v1/feed", "/api/v1/tags"] {
        let path = format!("{list}?include_total=true");
        let body = assert_problem(app.get(&path, None).await, 400).await;
        assert_eq!(error_fields(&body), vec!["include_total"], "{path}: {body}");
    }
    let body = assert_problem(
        app.get("/api/v1/articles?include_total=maybe", None).await,
        400,
    )
    .await;
    assert_eq!(error_fields(&body), vec!["include_total"]);
    let counted: serde_json::Value = app
        .get("/api/v1/articles?include_total=true&limit=1", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(counted["meta"]["total"], 0);
    assert_eq!(counted["meta"]["limit"], 1);
}

async fn out_of_range_limit_is_400_naming_it(app: &TestApp) {
    for limit in ["0", "101", "-1", "abc", "", "2.5"] {
        let body = assert_problem(
            app.get(&format!("/api/v1/sections?limit={limit}"), None)
                .await,
            400,
        )
        .await;
        assert_eq!(error_fields(&body), vec!["limit"], "limit={limit}: {body}");
    }
    assert_eq!(
        app.get("/api/v1/sections?limit=1", None).await.status(),
        200
    );
    assert_eq!(
        app.get("/api/v1/sections?limit=100", None).await.status(),
        200
    );
}

async fn bad_cursor_and_flag_are_400(app: &TestApp) {
    let body = assert_problem(
        app.get("/api/v1/sections?cursor=not-a-cursor", None).await,
        400,
    )
    .await;
    assert_eq!(error_fields(&body), vec!["cursor"]);
    let body = assert_problem(
        app.get("/api/v1/sections?include_total=yes", None).await,
        400,
    )
    .await;
    assert_eq!(error_fields(&body), vec!["include_total"]);
}

async fn validation_is_422_naming_fields(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    // A body must be an object, even where every field is optional.
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/sections/whatever",
            Some(&editor.access_token),
            &json!([]),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["body"]);
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({"name": "  ", "slug": "Not A Slug"}),
        )
        .await;
    let body = assert_problem(res, 422).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, vec!["name", "slug"]);
    // A wrong type and an unknown field name the field too.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({"name": 5}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["name"]);
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({"name": "A", "colour": "red"}),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(res, 422).await),
        vec!["colour"]
    );
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({}),
        )
        .await;
    assert_problem(res, 422).await;
}

async fn request_id_is_echoed_or_made(app: &TestApp) {
    let res = app
        .request(Method::GET, "/healthz", None)
        .header("x-request-id", "edge-1234")
        .send()
        .await
        .expect("request");
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("edge-1234")
    );
    // A hostile id is replaced, not reflected.
    let res = app
        .request(Method::GET, "/healthz", None)
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .expect("request");
    let id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
}

async fn health_and_readiness(app: &TestApp) {
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"));
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    let body: serde_json::Value = app.get("/readyz", None).await.json().await.expect("json");
    assert_eq!(body["status"], "ready");
}

async fn nul_characters_are_refused(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&editor.access_token),
            &json!({"name": "A", "description": "x\u{0}y"}),
        )
        .await;
    assert_eq!(
        error_fields(&assert_problem(res, 422).await),
        vec!["description"]
    );
    assert_problem(app.get("/api/v1/sections/a%00b", None).await, 400).await;
    assert_problem(app.get("/api/v1/sections?parent=%00", None).await, 400).await;
    let list: serde_json::Value = app
        .get("/api/v1/sections", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));
}

both_backends!(
    bad_path_is_404_problem,
    nul_characters_are_refused,
    unknown_route_is_404_problem,
    wrong_method_is_405_with_allow,
    malformed_json_is_400,
    wrong_content_type_is_415,
    oversized_body_is_413,
    unknown_query_parameter_is_400_naming_it,
    every_list_checks_its_query_strictly,
    out_of_range_limit_is_400_naming_it,
    bad_cursor_and_flag_are_400,
    validation_is_422_naming_fields,
    request_id_is_echoed_or_made,
    health_and_readiness,
);
