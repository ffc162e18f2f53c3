//! CORS as a browser exercises it: a preflight, then the request.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::json;

use crate::events::section;
use crate::helpers::{header, TestApp};
use crate::{both_backends, with_settings};

const DESK: &str = "https://desk.example.com";
const READER: &str = "https://reader.example.org";

async fn preflight(
    app: &TestApp,
    path: &str,
    origin: &str,
    method: &str,
    headers: &str,
) -> reqwest::Response {
    let mut request = app
        .request(Method::OPTIONS, path, None)
        .header("origin", origin)
        .header("access-control-request-method", method);
    if !headers.is_empty() {
        request = request.header("access-control-request-headers", headers);
    }
    request.send().await.expect("preflight")
}

/// A listed origin may write with a token; any other origin may read
/// public content only.
async fn browsers_on_other_origins(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section = section(app, token, "Gardens").await;
    let path = format!("/api/v1/sections/{section}");

    // The editors' app on a listed origin: preflight, then the PATCH.
    let res = preflight(
        app,
        &path,
        DESK,
        "PATCH",
        "authorization, content-type, if-match",
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(DESK)
    );
    assert!(header(&res, "access-control-allow-methods").is_some_and(|m| m.contains("PATCH")));
    assert!(header(&res, "access-control-allow-headers").is_some_and(|h| h.contains("If-Match")));
    assert_eq!(
        header(&res, "access-control-max-age").as_deref(),
        Some("600")
    );
    assert_eq!(header(&res, "vary").as_deref(), Some("Origin"));
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("origin", DESK)
        .header("if-match", "\"1\"")
        .json(&json!({"description": "Allotments and parks"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some(DESK)
    );
    let exposed = header(&res, "access-control-expose-headers").unwrap_or_default();
    for name in ["ETag", "Location", "Link", "X-Request-Id", "Retry-After"] {
        assert!(exposed.contains(name), "{name} is not exposed: {exposed}");
    }

    // A reader site on any origin: public reads, twice (the second from the
    // micro-cache), both with the header.
    for _ in 0..2 {
        let res = app
            .request(Method::GET, &path, None)
            .header("origin", READER)
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200);
        assert_eq!(
            header(&res, "access-control-allow-origin").as_deref(),
            Some("*")
        );
        assert!(header(&res, "vary").is_some_and(|v| v.contains("Origin")));
    }
    let res = preflight(app, &path, READER, "GET", "if-none-match").await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    // But no writes and no token from there.
    for (method, headers) in [("PATCH", "content-type"), ("GET", "authorization")] {
        let res = preflight(app, &path, READER, method, headers).await;
        assert_eq!(res.status(), 403, "{method} with {headers}");
        assert_eq!(header(&res, "access-control-allow-origin"), None);
    }
    let res = app
        .request(Method::GET, &path, Some(token))
        .header("origin", READER)
        .send()
        .await
        .expect("read with a token");
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    // The document, for Swagger UI hosted elsewhere.
    let res = app
        .request(Method::GET, "/openapi.json", None)
        .header("origin", READER)
        .send()
        .await
        .expect("openapi");
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("*")
    );
}

/// Without configured origins nothing is allowed (the default).
async fn cors_is_off_by_default(app: &TestApp) {
    let res = app
        .request(Method::GET, "/api/v1/sections", None)
        .header("origin", READER)
        .send()
        .await
        .expect("read");
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    let res = preflight(app, "/api/v1/sections", READER, "GET", "").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
}

with_settings!(configured, browsers_on_other_origins, |s| s.cors =
    newsdesk::http::cors::CorsPolicy::parse(&format!("*,{DESK}"))
        .expect("policy"));
both_backends!(cors_is_off_by_default);
