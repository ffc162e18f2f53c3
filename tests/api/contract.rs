//! The server refuses exactly what the document refuses: the statuses of
//! state-dependent refusals (404 for a name of something missing, 409 for a
//! valid value the current state does not allow), control characters as
//! sent, integers written `3.0`, and what a merge patch leaves incomplete.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::events::{draft, section};
use crate::helpers::{assert_problem, error_fields, TestApp};

async fn refusals_name_their_cause(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let desk = section(app, token, "Contract desk").await;

    // Naming a section that does not exist: 404, the field named.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/articles",
            Some(token),
            &json!({"headline": "Nowhere", "section_id": "00000000-0000-7000-8000-000000000000"}),
        )
        .await;
    let problem = assert_problem(res, 404).await;
    assert_eq!(problem["type"], "/problems/unknown-reference");
    assert_eq!(error_fields(&problem), ["section_id"]);
    // An invalid value beside it: 422 first, both named.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/articles",
            Some(token),
            &json!({"headline": " ", "section_id": "00000000-0000-7000-8000-000000000000"}),
        )
        .await;
    let mut fields = error_fields(&assert_problem(res, 422).await);
    fields.sort();
    assert_eq!(fields, ["headline", "section_id"]);

    // An article related to itself: valid ids, impossible now: 409.
    let article = draft(
        app,
        token,
        json!({"headline": "Contract terms", "section_id": desk}),
    )
    .await;
    let path = format!("/api/v1/articles/{article}");
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", "*")
        .json(&json!({"related": [article]}))
        .send()
        .await
        .expect("patch");
    let problem = assert_problem(res, 409).await;
    assert_eq!(problem["type"], "/problems/state-conflict");
    assert_eq!(error_fields(&problem), ["related[0]"]);

    // Control characters are refused where they are sent, trailing too
    // (the schema's pattern reads the text as sent, not trimmed).
    for headline in [
        "Tabs\tinside",
        "Ends in a vertical tab\u{b}",
        "\u{85}Next line",
    ] {
        let res = app
            .request(Method::PATCH, &path, Some(token))
            .header("if-match", "*")
            .json(&json!({"headline": headline}))
            .send()
            .await
            .expect("patch");
        assert_eq!(
            error_fields(&assert_problem(res, 422).await),
            ["headline"],
            "{headline:?}"
        );
    }
    // A line break is fine in a headline; leading and trailing spaces are trimmed.
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", "*")
        .json(&json!({"headline": "  Two\nlines  "}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["headline"], "Two\nlines");

    // An integer written as 3.0 is the integer 3, as JSON Schema reads it;
    // 3.5 is no integer.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Floats", "position": 3.0}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.expect("json")["position"], 3);
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Halves", "position": 3.5}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["position"]);

    // Publishing takes no body or an object; `null` is neither.
    let res = app
        .request(Method::POST, &format!("{path}/publish"), Some(token))
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .expect("publish");
    assert_problem(res, 422).await;
    let res = app
        .request(Method::POST, &format!("{path}/publish"), Some(token))
        .send()
        .await
        .expect("publish");
    assert_eq!(res.status(), 200);

    // An empty If-Match is no ETag.
    let res = app
        .request(Method::POST, &format!("{path}/unpublish"), Some(token))
        .header("if-match", "")
        .send()
        .await
        .expect("unpublish");
    assert_eq!(error_fields(&assert_problem(res, 400).await), ["If-Match"]);

    // `fields` names only fields of an article.
    let res = app.get(&format!("{path}?fields=id,headline"), None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body.as_object().map(|o| o.len()), Some(2));
    assert_problem(app.get(&format!("{path}?fields=id,nope"), None).await, 400).await;
}

/// A merge patch is valid on its own; what it leaves incomplete because of
/// what is stored (a focal point's `x` where none is stored) is a 409.
async fn incomplete_merges_are_conflicts(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let token = author.access_token.as_str();
    let res = crate::media::upload(
        app,
        token,
        "contract.jpg",
        "image/jpeg",
        crate::media::jpeg_bytes(64, 48),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let path = format!("/api/v1/media/{id}");
    let patch = |body: Value| {
        app.request(Method::PATCH, &path, Some(token))
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
    };
    let res = patch(json!({"focal_point": {"x": 0.25}}))
        .await
        .expect("patch");
    let problem = assert_problem(res, 409).await;
    assert_eq!(problem["type"], "/problems/state-conflict");
    // Both coordinates, then one of them: merged into the stored point.
    let res = patch(json!({"focal_point": {"x": 0.25, "y": 0.5}}))
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    let res = patch(json!({"focal_point": {"x": 0.75}}))
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["focal_point"], json!({"x": 0.75, "y": 0.5}));
    // `null` resets an optional list.
    let res = patch(json!({"keywords": ["a"]})).await.expect("patch");
    assert_eq!(res.status(), 200);
    let res = patch(json!({"keywords": null})).await.expect("patch");
    assert_eq!(
        res.json::<Value>().await.expect("json")["keywords"],
        json!([])
    );
}

/// Authentication, then authorisation, then preconditions (RFC 9110
/// §13.2.1), on every resource that takes `If-Match`: a caller who may not
/// write hears 401/403/404 whatever `If-Match` says (missing, stale or
/// malformed), and only one who may write hears 412 or 400 about it.
async fn authorisation_before_preconditions_everywhere(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let author = app.user(Role::Author).await;
    let other_author = app.user(Role::Author).await;
    let reader = app.user(Role::Reader).await;
    let desk = section(app, &editor.access_token, "Precedence desk").await;
    let res = crate::media::upload(
        app,
        &author.access_token,
        "precedence.jpg",
        "image/jpeg",
        crate::media::jpeg_bytes(64, 40),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let media = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();

    // A reader's comment (pending under the default moderated policy).
    let other_reader = app.user(Role::Reader).await;
    let story = draft(
        app,
        &editor.access_token,
        json!({"headline": "Precedence in the comments", "section_id": desk}),
    )
    .await;
    crate::events::publish(app, &editor.access_token, &story, json!({})).await;
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{story}/comments"),
            Some(&reader.access_token),
            &json!({"body": "First!"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let comment = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();

    let cases: Vec<(Method, String, Value, &str, u16)> = vec![
        // Someone else's comment that is not public yet: not theirs to know of.
        (
            Method::PATCH,
            format!("/api/v1/comments/{comment}"),
            json!({"body": "Edited by someone else"}),
            other_reader.access_token.as_str(),
            404,
        ),
        // Sections are written by editors: an author is refused (403).
        (
            Method::PATCH,
            format!("/api/v1/sections/{desk}"),
            json!({"name": "Taken over"}),
            author.access_token.as_str(),
            403,
        ),
        (
            Method::DELETE,
            format!("/api/v1/sections/{desk}"),
            Value::Null,
            author.access_token.as_str(),
            403,
        ),
        // Another author's asset.
        (
            Method::PATCH,
            format!("/api/v1/media/{media}"),
            json!({"title": "Not mine"}),
            other_author.access_token.as_str(),
            403,
        ),
        (
            Method::DELETE,
            format!("/api/v1/media/{media}"),
            Value::Null,
            other_author.access_token.as_str(),
            403,
        ),
        // Users are changed by admins.
        (
            Method::PATCH,
            format!("/api/v1/users/{}", reader.id),
            json!({"display_name": "Renamed"}),
            editor.access_token.as_str(),
            403,
        ),
    ];
    for (method, path, body, token, refused) in &cases {
        for if_match in [None, Some("\"999\""), Some("not-an-etag")] {
            let mut request = app.request(method.clone(), path, Some(token));
            if let Some(value) = if_match {
                request = request.header("if-match", value);
            }
            if !body.is_null() {
                request = request.json(body);
            }
            let res = request.send().await.expect("request");
            assert_eq!(
                res.status(),
                *refused,
                "{method} {path} with If-Match {if_match:?}"
            );
            // Without a token: 401, whatever If-Match says.
            let mut request = app.request(method.clone(), path, None);
            if let Some(value) = if_match {
                request = request.header("if-match", value);
            }
            assert_eq!(
                request.send().await.expect("request").status(),
                401,
                "{method} {path} anonymous with If-Match {if_match:?}"
            );
        }
    }
    // Those who may write hear about If-Match: stale 412, malformed 400.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/sections/{desk}"),
            Some(&editor.access_token),
        )
        .header("if-match", "\"999\"")
        .json(&json!({"name": "Still mine"}))
        .send()
        .await
        .expect("patch");
    assert_problem(res, 412).await;
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/media/{media}"),
            Some(&author.access_token),
        )
        .header("if-match", "not-an-etag")
        .json(&json!({"title": "Mine"}))
        .send()
        .await
        .expect("patch");
    assert_problem(res, 400).await;
}

both_backends!(
    refusals_name_their_cause,
    incomplete_merges_are_conflicts,
    authorisation_before_preconditions_everywhere,
);
