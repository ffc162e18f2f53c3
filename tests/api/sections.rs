//! Sections end to end: slugs, hierarchy, concurrency, caching, pagination, Unicode.

use std::collections::HashSet;

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp};

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let res = app
        .send_json(Method::POST, "/api/v1/sections", Some(token), &body)
        .await;
    assert_eq!(res.status(), 201, "create {body}");
    res.json().await.expect("json")
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn create_get_rename_delete(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Science & Tech", "description": "Research explained."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(etag(&res), "\"1\"");
    let created: Value = res.json().await.expect("json");
    assert_eq!(created["slug"], "science-tech");
    assert_eq!(created["version"], 1);
    assert_eq!(created["position"], 0);
    assert_eq!(
        location,
        format!("/api/v1/sections/{}", created["id"].as_str().unwrap_or(""))
    );
    let created_at = created["created_at"].as_str().unwrap_or("");
    assert!(
        created_at.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    // By id and by slug, publicly.
    let by_id: Value = app.get(&location, None).await.json().await.expect("json");
    let by_slug: Value = app
        .get("/api/v1/sections/science-tech", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(by_id, created);
    assert_eq!(by_slug, created);

    // Rename with If-Match.
    let res = app
        .request(Method::PATCH, &location, Some(token))
        .header("if-match", "\"1\"")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"name": "Science", "slug": "science"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"2\"");
    let renamed: Value = res.json().await.expect("json");
    assert_eq!(renamed["name"], "Science");
    assert_eq!(renamed["slug"], "science");
    assert_eq!(renamed["description"], "Research explained.");
    assert_eq!(renamed["version"], 2);
    assert_problem(app.get("/api/v1/sections/science-tech", None).await, 404).await;

    // Merge patch: null clears the description; null is not a name.
    let res = app
        .send_json(
            Method::PATCH,
            &location,
            Some(token),
            &json!({"description": null}),
        )
        .await;
    let cleared: Value = res.json().await.expect("json");
    assert_eq!(cleared["description"], Value::Null);
    let res = app
        .send_json(
            Method::PATCH,
            &location,
            Some(token),
            &json!({"name": null}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["name"]);
    // The 120-character limit counts the name as sent, white space included,
    // as the documented maxLength does.
    let res = app
        .send_json(
            Method::PATCH,
            &location,
            Some(token),
            &json!({"name": format!("\n{}", "x".repeat(120))}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["name"]);

    let res = app
        .request(Method::DELETE, &location, Some(token))
        .header("if-match", "\"3\"")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&location, None).await, 404).await;
    assert_problem(
        app.request(Method::DELETE, &location, Some(token))
            .send()
            .await
            .expect("request"),
        404,
    )
    .await;
}

async fn stale_if_match_is_412_and_changes_nothing(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section = create(app, token, json!({"name": "Economy"})).await;
    let path = format!("/api/v1/sections/{}", section["id"].as_str().unwrap_or(""));
    // Editor A saves first…
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Economy & Markets"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    // …editor B, working from version 1, is refused.
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Money"}))
        .send()
        .await
        .expect("request");
    assert_problem(res, 412).await;
    let res = app
        .request(Method::DELETE, &path, Some(token))
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect("request");
    assert_problem(res, 412).await;
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", "garbage")
        .json(&json!({"name": "Money"}))
        .send()
        .await
        .expect("request");
    assert_eq!(
        error_fields(&assert_problem(res, 400).await),
        vec!["If-Match"]
    );
    let current: Value = app.get(&path, None).await.json().await.expect("json");
    assert_eq!(current["name"], "Economy & Markets");
    assert_eq!(current["version"], 2);
}

async fn slugs_are_generated_transliterated_and_unique(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    assert_eq!(
        create(app, token, json!({"name": "Россия"})).await["slug"],
        "rossiya"
    );
    // A generated slug that is taken gets a suffix…
    assert_eq!(
        create(app, token, json!({"name": "Россия!"})).await["slug"],
        "rossiya-2"
    );
    // …an explicit one is a conflict.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Russia", "slug": "rossiya"}),
        )
        .await;
    assert_problem(res, 409).await;
    let other = create(app, token, json!({"name": "Russia", "slug": "russia"})).await;
    let path = format!("/api/v1/sections/{}", other["id"].as_str().unwrap_or(""));
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(token),
            &json!({"slug": "rossiya"}),
        )
        .await;
    assert_problem(res, 409).await;
    // A name with nothing to spell a slug with needs one.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "🎉🎉"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["slug"]);
    assert_eq!(
        create(app, token, json!({"name": "🎉🎉", "slug": "party"})).await["name"],
        "🎉🎉"
    );
}

async fn hierarchy_rules(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let world = create(app, token, json!({"name": "World", "position": 1})).await;
    let world_id = world["id"].as_str().unwrap_or("").to_string();
    let europe = create(app, token, json!({"name": "Europe", "parent_id": world_id})).await;
    let europe_id = europe["id"].as_str().unwrap_or("").to_string();
    let balkans = create(
        app,
        token,
        json!({"name": "Balkans", "parent_id": europe_id}),
    )
    .await;
    create(app, token, json!({"name": "Politics", "position": 2})).await;

    // Unknown parent.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "X", "parent_id": "00000000-0000-7000-8000-000000000000"}),
        )
        .await;
    // The section named does not exist: 404, naming the field.
    let problem = assert_problem(res, 404).await;
    assert_eq!(problem["type"], "/problems/unknown-reference");
    assert_eq!(error_fields(&problem), vec!["parent_id"]);
    // No cycles: World under Balkans, or a section under itself.
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/sections/world",
            Some(token),
            &json!({"parent_id": balkans["id"]}),
        )
        .await;
    // Valid input the current tree does not allow: 409, naming the field.
    let problem = assert_problem(res, 409).await;
    assert_eq!(problem["type"], "/problems/state-conflict");
    assert_eq!(error_fields(&problem), vec!["parent_id"]);
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/sections/europe",
            Some(token),
            &json!({"parent_id": europe_id}),
        )
        .await;
    assert_problem(res, 409).await;

    // Children of World, by slug or id.
    let kids: Value = app
        .get("/api/v1/sections?parent=world", None)
        .await
        .json()
        .await
        .expect("json");
    let slugs: Vec<&str> = kids["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["slug"].as_str())
        .collect();
    assert_eq!(slugs, vec!["europe"]);
    let kids: Value = app
        .get(&format!("/api/v1/sections?parent={world_id}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(kids["data"].as_array().map(Vec::len), Some(1));
    let none: Value = app
        .get("/api/v1/sections?parent=no-such-section", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["data"].as_array().map(Vec::len), Some(0));

    // A section with children cannot go; the message names them.
    let body = assert_problem(
        app.request(Method::DELETE, "/api/v1/sections/world", Some(token))
            .send()
            .await
            .expect("request"),
        409,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap_or("").contains("europe"),
        "{body}"
    );
    // Moving Europe to the top level frees World.
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/sections/europe",
            Some(token),
            &json!({"parent_id": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.request(Method::DELETE, "/api/v1/sections/world", Some(token))
            .send()
            .await
            .expect("request")
            .status(),
        204
    );
}

async fn etags_and_conditional_gets(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section = create(app, token, json!({"name": "Sport"})).await;
    let path = format!("/api/v1/sections/{}", section["id"].as_str().unwrap_or(""));

    let res = app.get(&path, None).await;
    assert_eq!(res.status(), 200);
    let tag = etag(&res);
    assert_eq!(tag, "\"1\"");
    let cache_control = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cache_control.starts_with("public, max-age="),
        "{cache_control}"
    );
    assert!(res.headers().contains_key("last-modified"));
    let keys = res
        .headers()
        .get("surrogate-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(
        keys,
        format!("section:{}", section["id"].as_str().unwrap_or(""))
    );

    let res = app
        .request(Method::GET, &path, None)
        .header("if-none-match", tag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    assert_eq!(res.bytes().await.map(|b| b.len()).unwrap_or(1), 0);

    let list = app.get("/api/v1/sections", None).await;
    let list_tag = etag(&list);
    assert!(list_tag.len() > 4);
    let res = app
        .request(Method::GET, "/api/v1/sections", None)
        .header("if-none-match", list_tag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);

    // A change makes both validators stale.
    app.send_json(Method::PATCH, &path, Some(token), &json!({"position": 3}))
        .await;
    let res = app
        .request(Method::GET, &path, None)
        .header("if-none-match", tag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"2\"");
    let res = app
        .request(Method::GET, "/api/v1/sections", None)
        .header("if-none-match", list_tag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_ne!(etag(&res), list_tag);
}

async fn pagination_visits_every_section_once(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let mut expected = HashSet::new();
    // Equal positions and equal names force the tie-breakers into play.
    for i in 0..23 {
        let name = if i % 5 == 0 {
            "Same name".to_string()
        } else {
            format!("Section {i:02}")
        };
        let body = json!({"name": name, "slug": format!("s-{i}"), "position": i % 3});
        expected.insert(
            create(app, token, body).await["id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        );
    }
    let mut seen = Vec::new();
    let mut keys_in_order = Vec::new();
    let mut path = "/api/v1/sections?limit=4&include_total=true".to_string();
    let mut pages = 0;
    loop {
        let res = app.get(&path, None).await;
        assert_eq!(res.status(), 200);
        let link = res
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let page: Value = res.json().await.expect("json");
        pages += 1;
        assert_eq!(page["meta"]["limit"], 4);
        assert_eq!(page["meta"]["total"], 23);
        for s in page["data"].as_array().into_iter().flatten() {
            seen.push(s["id"].as_str().unwrap_or("").to_string());
            keys_in_order.push((
                s["position"].as_i64().unwrap_or(0),
                s["name"].as_str().unwrap_or("").to_string(),
                s["id"].as_str().unwrap_or("").to_string(),
            ));
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(cursor) => {
                let link = link.expect("Link header when there is a next page");
                assert!(
                    link.ends_with("rel=\"next\"") && link.contains(cursor),
                    "{link}"
                );
                path = format!("/api/v1/sections?limit=4&include_total=true&cursor={cursor}");
            }
            None => {
                assert!(link.is_none());
                break;
            }
        }
        assert!(pages < 20, "pagination does not end");
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 23, "no duplicates, nothing missed");
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);
    let mut sorted = keys_in_order.clone();
    sorted.sort();
    assert_eq!(keys_in_order, sorted, "ordered by position, name, id");
}

async fn unicode_round_trips(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let name = "Новости “Мира” © 2026 — الأخبار 🌍";
    let description = "Кириллица, العربية, emoji 🎉👩🏽‍💻, ‘curly’ “quotes”, © ® ™ and a\nnewline.";
    let created = create(
        app,
        token,
        json!({"name": name, "description": description, "slug": "mir"}),
    )
    .await;
    assert_eq!(created["name"], name);
    assert_eq!(created["description"], description);
    let res = app.get("/api/v1/sections/mir", None).await;
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    let fetched: Value = res.json().await.expect("json");
    assert_eq!(fetched["name"], name);
    assert_eq!(fetched["description"], description);
    let listed: Value = app
        .get("/api/v1/sections", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["data"][0]["name"], name);
}

async fn public_reads_are_cached_until_a_write(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    create(app, token, json!({"name": "Cached", "slug": "cached"})).await;
    // The server empties the cache when it sees a new event in the change
    // feed, polled every tick: the creation's event is seen before the
    // reads below, or it could empty the cache between two of them.
    tokio::time::sleep(newsdesk::events::follow::TICK * 3).await;
    let x_cache = |res: &reqwest::Response| {
        res.headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    // The first request for a key is answered and not kept (most keys of
    // long-tail traffic are never asked for again); the second is kept.
    let once = app.get("/api/v1/sections/cached", None).await;
    assert_eq!(x_cache(&once), "miss");
    let first = app.get("/api/v1/sections/cached", None).await;
    assert_eq!(x_cache(&first), "miss");
    let tag = etag(&first);
    let second = app.get("/api/v1/sections/cached", None).await;
    assert_eq!(x_cache(&second), "hit");
    assert_eq!(etag(&second), tag);
    assert!(second.headers().contains_key("x-request-id"));
    assert_eq!(
        second.json::<Value>().await.expect("json")["name"],
        "Cached"
    );
    let res = app
        .request(Method::GET, "/api/v1/sections/cached", None)
        .header("if-none-match", tag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    // Callers with a token are never served from, or stored in, the cache.
    let staff = app.get("/api/v1/sections/cached", Some(token)).await;
    assert_eq!(x_cache(&staff), "");
    // A write empties it: the next read sees the change.
    assert_eq!(
        app.send_json(
            Method::PATCH,
            "/api/v1/sections/cached",
            Some(token),
            &json!({"name": "Renamed"})
        )
        .await
        .status(),
        200
    );
    let after = app.get("/api/v1/sections/cached", None).await;
    assert_eq!(x_cache(&after), "miss");
    assert_eq!(
        after.json::<Value>().await.expect("json")["name"],
        "Renamed"
    );
    // Errors are not cached.
    assert_problem(app.get("/api/v1/sections/nope", None).await, 404).await;
    let again = app.get("/api/v1/sections/nope", None).await;
    assert_eq!(x_cache(&again), "");
}

/// `If-None-Match: W/"…"` is compared weakly, as RFC 9110 asks for GET, by
/// the handlers and by the read cache alike (the cache compared strongly).
async fn weak_validators_match_in_handlers_and_the_cache(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    create(app, token, json!({"name": "Weak", "slug": "weak"})).await;
    // Asked for twice: the cache keeps it from the second request on.
    assert_eq!(app.get("/api/v1/sections/weak", None).await.status(), 200);
    let first = app.get("/api/v1/sections/weak", None).await;
    assert_eq!(first.status(), 200);
    let weak = format!("W/{}", etag(&first));
    let conditional = |token: Option<&str>| {
        app.request(Method::GET, "/api/v1/sections/weak", token)
            .header("if-none-match", weak.as_str())
            .send()
    };
    // From the cache (anonymous, stored by the first read).
    let cached = conditional(None).await.expect("request");
    assert_eq!(
        cached
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok()),
        Some("hit")
    );
    assert_eq!(cached.status(), 304);
    // From the handler (a token bypasses the cache).
    let computed = conditional(Some(token)).await.expect("request");
    assert!(!computed.headers().contains_key("x-cache"));
    assert_eq!(computed.status(), 304);
}

both_backends!(
    weak_validators_match_in_handlers_and_the_cache,
    public_reads_are_cached_until_a_write,
    create_get_rename_delete,
    stale_if_match_is_412_and_changes_nothing,
    slugs_are_generated_transliterated_and_unique,
    hierarchy_rules,
    etags_and_conditional_gets,
    pagination_visits_every_section_once,
    unicode_round_trips,
);
