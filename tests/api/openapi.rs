//! The committed OpenAPI document is the one the server serves.

use serde_json::Value;

use crate::helpers::{spawn_app, Backend};

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_document_is_current() {
    let generated = newsdesk::openapi::api_doc_json();
    if generated != COMMITTED {
        panic!(
            "openapi/openapi.json is stale: regenerate it with\n    cargo run -- openapi > openapi/openapi.json"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_matches_committed_and_docs_work_offline() {
    let app = spawn_app(Backend::Sqlite).await.expect("sqlite app");
    let served: Value = app
        .get("/openapi.json", None)
        .await
        .json()
        .await
        .expect("json");
    let committed: Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    assert_eq!(served, committed);
    assert!(served["openapi"].as_str().unwrap_or("").starts_with("3.1"));

    let res = app.get("/docs", None).await;
    assert!(res.status().is_redirection());
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap_or_default();
    assert!(html.contains("swagger-ui"), "Swagger UI page");
    // Its assets come from the binary, not a CDN.
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn.jsdelivr"),
        "no CDN"
    );
    let res = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.map(|b| b.len()).unwrap_or(0) > 100_000);
}

#[test]
fn every_operation_documents_its_errors() {
    let doc: Value = serde_json::from_str(COMMITTED).expect("committed JSON");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            operations += 1;
            let responses = op["responses"].as_object().expect("responses");
            let has = |code: &str| responses.contains_key(code);
            assert!(has("500"), "{method} {path}: 500");
            let requirements = op["security"]
                .as_array()
                .expect("security stated on every operation");
            // (The metrics have a token of their own and no roles: no 403.)
            if path != "/metrics"
                && requirements
                    .iter()
                    .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            {
                assert!(has("401") && has("403"), "{method} {path}: 401/403");
            }
            if path.contains('{') {
                assert!(has("404"), "{method} {path}: 404");
            }
            if op.get("requestBody").is_some() {
                assert!(
                    has("415") && has("422") && has("413") && has("400"),
                    "{method} {path}: body errors"
                );
            }
            for (code, response) in responses {
                assert!(
                    response.get("$ref").is_some()
                        || response["description"]
                            .as_str()
                            .is_some_and(|d| !d.is_empty()),
                    "{method} {path} {code}: description"
                );
            }
        }
    }
    assert!(operations >= 14, "{operations} operations");
}
