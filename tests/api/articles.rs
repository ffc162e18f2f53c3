//! Articles: writing, workflow, visibility, revisions and the delivery API.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use newsdesk::auth::role::Role;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp};
use crate::media::{jpeg_bytes, upload, with_iptc};

async fn section(app: &TestApp, token: &str, name: &str) -> String {
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": name}),
        )
        .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn create(app: &TestApp, token: &str, doc: Value) -> Value {
    let res = app
        .send_json(Method::POST, "/api/v1/articles", Some(token), &doc)
        .await;
    assert_eq!(res.status(), 201, "create {doc}");
    res.json().await.expect("json")
}

async fn action(app: &TestApp, token: &str, id: &str, verb: &str, body: Option<Value>) -> Response {
    let req = app.request(
        Method::POST,
        &format!("/api/v1/articles/{id}/{verb}"),
        Some(token),
    );
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    req.send().await.expect("request")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or("").to_string()
}

async fn editor_writes_the_seed_page_and_a_frontend_reads_it_in_one_request(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let world = section(app, token, "World").await;
    let photo = with_iptc(
        &jpeg_bytes(1200, 800),
        &[
            (80, "Lena Brandt"),
            (110, "Northwire Photo"),
            (116, "© Northwire Photo"),
        ],
    );
    let asset: Value = upload(
        app,
        token,
        "talks.jpg",
        "image/jpeg",
        photo,
        Some(json!({"alt_text": "Two delegations at a table"})),
    )
    .await
    .json()
    .await
    .expect("json");
    let updated = "2026-02-02T21:44:00Z";
    let doc = json!({
        "kicker": "Diplomacy",
        "headline": "Ministers meet opposition leader on the sidelines of the summit",
        "summary": "Both sides said they still hoped for talks after a year without contact.",
        "dateline": "MUNICH",
        "source": "Northwire",
        "source_category": "wire",
        "section_id": world,
        "bylines": [{"user_id": editor.id, "role": "reporting"}, {"name": "Jo Park", "role": "additional reporting"}],
        "main_media": {"media_id": asset["id"]},
        "body": [
            {"type": "paragraph", "text": "The ministers met for an hour on Saturday.", "marks": [{"type": "bold", "start": 4, "end": 13}]},
            {"type": "quote", "text": "This is a very important step.", "attribution": "The foreign minister"},
            {"type": "quote", "text": "I hope realism will prevail.", "attribution": "The foreign minister"},
            {"type": "paragraph", "text": "Read the statement.", "marks": [{"type": "link", "start": 9, "end": 18, "href": "https://example.org/statement"}]}
        ],
        "updated_at": updated,
        "comments_policy": "moderated"
    });
    let draft = create(app, token, doc).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(
        draft["slug"],
        "ministers-meet-opposition-leader-on-the-sidelines-of-the-summit"
    );
    let id = id_of(&draft);
    assert_problem(app.get(&format!("/api/v1/articles/{id}"), None).await, 404).await;

    let res = action(app, token, &id, "publish", None).await;
    assert_eq!(res.status(), 200);
    let published: Value = res.json().await.expect("json");
    assert_eq!(published["status"], "published");

    // One anonymous request has everything the page shows.
    let res = app
        .get(
            &format!(
                "/api/v1/articles/slug/{}?format=html",
                draft["slug"].as_str().unwrap_or("")
            ),
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let cache = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(cache.starts_with("public"), "{cache}");
    let keys = res
        .headers()
        .get("surrogate-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        keys.contains(&format!("article:{id}")) && keys.contains(&format!("section:{world}")),
        "{keys}"
    );
    let page: Value = res.json().await.expect("json");
    assert_eq!(page["kicker"], "Diplomacy");
    assert_eq!(page["dateline"], "MUNICH");
    assert_eq!(page["source"], "Northwire");
    assert_eq!(
        page["summary"],
        "Both sides said they still hoped for talks after a year without contact."
    );
    assert_eq!(page["updated_at"], updated);
    assert!(page["published_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        page["section"],
        json!({"id": world, "slug": "world", "name": "World", "url": "http://localhost:3000/world"})
    );
    assert_eq!(page["bylines"][0]["name"], "Test User");
    assert_eq!(
        page["bylines"][1],
        json!({"name": "Jo Park", "role": "additional reporting", "user_id": null, "url": null})
    );
    assert_eq!(
        page["main_media"]["credit_line"],
        "© Northwire Photo / Lena Brandt"
    );
    assert_eq!(page["main_media"]["alt_text"], "Two delegations at a table");
    assert!(page["main_media"]["renditions"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(page["body"][1]["attribution"], "The foreign minister");
    assert_eq!(page["comment_count"], 0);
    assert_eq!(page["comments_policy"], "moderated");
    assert!(page["word_count"].as_i64().unwrap_or(0) > 15);
    assert_eq!(page["reading_minutes"], 1);
    let html = page["body_html"].as_str().unwrap_or("");
    assert!(
        html.contains("<p>The <strong>ministers</strong> met"),
        "{html}"
    );
    assert!(html.contains("<blockquote><p>This is a very important step.</p><cite>The foreign minister</cite></blockquote>"), "{html}");
    assert!(
        html.contains(
            "<a href=\"https://example.org/statement\" rel=\"noopener nofollow\">statement</a>"
        ),
        "{html}"
    );
    let text: Value = app
        .get(&format!("/api/v1/articles/{id}?format=text"), None)
        .await
        .json()
        .await
        .expect("json");
    assert!(text["body_text"]
        .as_str()
        .unwrap_or("")
        .contains("“I hope realism will prevail.” — The foreign minister"));

    // The media it uses cannot be deleted, and says who uses it.
    let media_path = format!("/api/v1/media/{}", asset["id"].as_str().unwrap_or(""));
    let usage: Value = app
        .get(&format!("{media_path}/usage"), Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(usage["data"][0]["id"], id.as_str());
    assert_problem(
        app.request(Method::DELETE, &media_path, Some(token))
            .send()
            .await
            .expect("request"),
        409,
    )
    .await;
    // Nor can its section.
    let body = assert_problem(
        app.request(Method::DELETE, "/api/v1/sections/world", Some(token))
            .send()
            .await
            .expect("request"),
        409,
    )
    .await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("Ministers meet"),
        "{body}"
    );
}

/// The headlines of a list page, in order.
fn headlines(page: &Value) -> Vec<&str> {
    page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["headline"].as_str())
        .collect()
}

async fn visibility_follows_schedule_embargo_expiry_and_withdrawal(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "News").await;
    let soon = (Utc::now() + Duration::hours(2)).to_rfc3339();
    let past = (Utc::now() - Duration::hours(2)).to_rfc3339();
    let doc = |headline: &str| json!({"headline": headline, "section_id": s});

    let scheduled = create(app, token, doc("Scheduled story")).await;
    let res = action(
        app,
        token,
        &id_of(&scheduled),
        "publish",
        Some(json!({"at": soon})),
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.expect("json")["status"],
        "scheduled"
    );
    let backdated = create(app, token, doc("Backdated story")).await;
    let res = action(
        app,
        token,
        &id_of(&backdated),
        "publish",
        Some(json!({"at": past})),
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.expect("json")["status"],
        "published"
    );
    let embargoed = create(
        app,
        token,
        json!({"headline": "Embargoed story", "section_id": s, "embargo_until": soon}),
    )
    .await;
    action(app, token, &id_of(&embargoed), "publish", None).await;
    let expired = create(
        app,
        token,
        json!({"headline": "Expired story", "section_id": s, "expires_at": past}),
    )
    .await;
    action(app, token, &id_of(&expired), "publish", None).await;
    let withdrawn = create(app, token, doc("Withdrawn story")).await;
    action(app, token, &id_of(&withdrawn), "publish", None).await;
    let archived = create(app, token, doc("Archived story")).await;
    action(app, token, &id_of(&archived), "publish", None).await;
    let draft = create(app, token, doc("Draft story")).await;

    assert_eq!(
        action(app, token, &id_of(&withdrawn), "withdraw", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        action(app, token, &id_of(&archived), "archive", None)
            .await
            .status(),
        200
    );

    // Anonymous readers: only what is due, embargo-free, unexpired and not killed.
    let list: Value = app
        .get("/api/v1/articles?include_total=true", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(headlines(&list), vec!["Backdated story"]);
    assert_eq!(list["meta"]["total"], 1);
    // A cursor made up to name a time after now (lists past a real cursor
    // let it bound the publication time) still shows nothing that is not due.
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"["2100-01-01T00:00:00","ffffffff-ffff-7fff-bfff-ffffffffffff"]"#,
    );
    // The section's first page by its slug as well (on PostgreSQL read
    // with other waiting section pages in one statement).
    for path in [
        format!("/api/v1/articles?cursor={forged}"),
        format!("/api/v1/articles?section={s}&cursor={forged}"),
        "/api/v1/articles?section=news".to_string(),
    ] {
        let page: Value = app.get(&path, None).await.json().await.expect("json");
        assert_eq!(headlines(&page), vec!["Backdated story"], "{path}: {page}");
    }
    assert!(
        list["data"][0].get("body").is_none(),
        "list items are summaries"
    );
    for hidden in [&scheduled, &embargoed, &expired, &draft] {
        assert_problem(
            app.get(&format!("/api/v1/articles/{}", id_of(hidden)), None)
                .await,
            404,
        )
        .await;
        assert_problem(
            app.get(
                &format!(
                    "/api/v1/articles/slug/{}",
                    hidden["slug"].as_str().unwrap_or("")
                ),
                None,
            )
            .await,
            404,
        )
        .await;
    }
    let gone = assert_problem(
        app.get(&format!("/api/v1/articles/{}", id_of(&withdrawn)), None)
            .await,
        410,
    )
    .await;
    assert!(gone["detail"].as_str().unwrap_or("").contains("withdrawn"));
    assert_eq!(
        app.get(&format!("/api/v1/articles/{}", id_of(&archived)), None)
            .await
            .status(),
        200
    );
    // Readers cannot ask for more.
    assert_problem(app.get("/api/v1/articles?status=draft", None).await, 400).await;
    let reader = app.user(Role::Reader).await;
    assert_problem(
        app.get(
            &format!("/api/v1/articles/{}", id_of(&draft)),
            Some(&reader.access_token),
        )
        .await,
        404,
    )
    .await;

    // Staff see the rest by status.
    let staff = |status: &'static str| async move {
        let v: Value = app
            .get(&format!("/api/v1/articles?status={status}"), Some(token))
            .await
            .json()
            .await
            .expect("json");
        v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["headline"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert_eq!(staff("scheduled").await, vec!["Scheduled story"]);
    assert_eq!(staff("draft").await, vec!["Draft story"]);
    assert_eq!(staff("withdrawn").await, vec!["Withdrawn story"]);
    assert_eq!(
        app.get(&format!("/api/v1/articles/{}", id_of(&draft)), Some(token))
            .await
            .status(),
        200
    );
    // A withdrawn article cannot come back.
    assert_problem(
        action(app, token, &id_of(&withdrawn), "publish", None).await,
        409,
    )
    .await;
}

async fn roles_decide_who_writes_and_publishes(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let contributor = app.user(Role::Contributor).await;
    let other_contributor = app.user(Role::Contributor).await;
    let author = app.user(Role::Author).await;
    let reader = app.user(Role::Reader).await;
    let s = section(app, &editor.access_token, "Local").await;
    let doc = json!({"headline": "Council approves the budget", "section_id": s});
    assert_problem(
        app.send_json(
            Method::POST,
            "/api/v1/articles",
            Some(&reader.access_token),
            &doc,
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        app.send_json(Method::POST, "/api/v1/articles", None, &doc)
            .await,
        401,
    )
    .await;

    let mine = create(app, &contributor.access_token, doc.clone()).await;
    let id = id_of(&mine);
    let path = format!("/api/v1/articles/{id}");
    let edit = |user: &str, version: i64, body: Value| {
        app.request(Method::PATCH, &path, Some(user))
            .header("if-match", format!("\"{version}\""))
            .json(&body)
            .send()
    };
    assert_eq!(
        edit(
            &contributor.access_token,
            1,
            json!({"summary": "Late vote."})
        )
        .await
        .expect("request")
        .status(),
        200
    );
    // Another contributor does not even see the draft.
    assert_problem(
        edit(
            &other_contributor.access_token,
            2,
            json!({"summary": "Mine now"}),
        )
        .await
        .expect("request"),
        404,
    )
    .await;
    assert_problem(
        edit(&author.access_token, 2, json!({"summary": "Mine now"}))
            .await
            .expect("request"),
        403,
    )
    .await;
    // Contributors submit, but cannot publish.
    assert_eq!(
        action(app, &contributor.access_token, &id, "submit", None)
            .await
            .status(),
        200
    );
    assert_problem(
        action(app, &contributor.access_token, &id, "submit", None).await,
        409,
    )
    .await;
    assert_problem(
        action(app, &contributor.access_token, &id, "publish", None).await,
        403,
    )
    .await;
    assert_problem(
        action(app, &author.access_token, &id, "publish", None).await,
        403,
    )
    .await;
    assert_eq!(
        action(app, &editor.access_token, &id, "publish", None)
            .await
            .status(),
        200
    );
    // Once published, it is out of the contributor's hands.
    assert_problem(
        edit(&contributor.access_token, 5, json!({"summary": "x"}))
            .await
            .expect("request"),
        403,
    )
    .await;

    // Authors publish their own; only editors withdraw.
    let theirs = create(
        app,
        &author.access_token,
        json!({"headline": "Author's own story", "section_id": s}),
    )
    .await;
    assert_eq!(
        action(app, &author.access_token, &id_of(&theirs), "publish", None)
            .await
            .status(),
        200
    );
    assert_problem(
        action(app, &author.access_token, &id_of(&theirs), "withdraw", None).await,
        403,
    )
    .await;
    assert_eq!(
        action(
            app,
            &author.access_token,
            &id_of(&theirs),
            "unpublish",
            None
        )
        .await
        .status(),
        200
    );
    assert_problem(
        app.get(&format!("/api/v1/articles/{}", id_of(&theirs)), None)
            .await,
        404,
    )
    .await;
}

async fn revisions_concurrency_and_validation(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Science").await;
    let first = create(
        app,
        token,
        json!({"headline": "Comet seen over the city", "section_id": s}),
    )
    .await;
    let path = format!("/api/v1/articles/{}", id_of(&first));
    let patch = |version: Option<&str>, body: Value| {
        let mut req = app
            .request(Method::PATCH, &path, Some(token))
            .header("content-type", "application/merge-patch+json");
        if let Some(v) = version {
            req = req.header("if-match", v);
        }
        req.body(body.to_string()).send()
    };
    let res = patch(
        Some("\"1\""),
        json!({"headline": "Bright comet seen over the city", "kicker": "Space"}),
    )
    .await
    .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("etag").and_then(|v| v.to_str().ok()),
        Some("\"2\"")
    );
    let second: Value = res.json().await.expect("json");
    assert_eq!(
        second["slug"], first["slug"],
        "the slug stays when the headline changes"
    );
    assert_eq!(second["kicker"], "Space");
    assert_problem(
        patch(Some("\"1\""), json!({"headline": "Lost update"}))
            .await
            .expect("request"),
        412,
    )
    .await;
    assert_problem(
        patch(None, json!({"headline": "Blind update"}))
            .await
            .expect("request"),
        428,
    )
    .await;
    let bad = patch(Some("\"2\""), json!({"body": [{"type": "heading", "level": 7, "text": "x"}, {"type": "embed", "url": "https://evil.example/x"}], "section_id": "nope"}))
        .await
        .expect("request");
    let mut fields = error_fields(&assert_problem(bad, 422).await);
    fields.sort();
    assert_eq!(fields, vec!["body[0].level", "body[1].url", "section_id"]);
    // A null for a field that does not exist is refused, not ignored, at any
    // depth, and even where the stored object it would merge into is empty.
    for (body, field) in [
        (json!({"bogus": null}), "bogus"),
        (json!({"seo": {"bogus": null}}), "seo.bogus"),
        (
            json!({"main_media": {"media_id": "x", "bogus": null}}),
            "main_media.bogus",
        ),
    ] {
        let res = patch(Some("\"2\""), body).await.expect("request");
        assert_eq!(error_fields(&assert_problem(res, 422).await), [field]);
    }

    let revisions: Value = app
        .get(&format!("{path}/revisions"), Some(token))
        .await
        .json()
        .await
        .expect("json");
    let numbers: Vec<i64> = revisions["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["number"].as_i64())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    let one: Value = app
        .get(&format!("{path}/revisions/1"), Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one["document"]["headline"], "Comet seen over the city");
    let res = app
        .request(
            Method::POST,
            &format!("{path}/revisions/1/restore"),
            Some(token),
        )
        .header("if-match", "\"2\"")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let restored: Value = res.json().await.expect("json");
    assert_eq!(restored["headline"], "Comet seen over the city");
    assert_eq!(restored["kicker"], Value::Null);
    assert_eq!(restored["version"], 3);
    let revisions: Value = app
        .get(&format!("{path}/revisions"), Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(revisions["data"][0]["note"], "restored from revision 1");
    assert_eq!(
        revisions["data"].as_array().map(Vec::len),
        Some(3),
        "history is kept"
    );
    assert_problem(
        app.get(&format!("{path}/revisions/9"), Some(token)).await,
        404,
    )
    .await;
    assert_problem(app.get(&format!("{path}/revisions"), None).await, 401).await;

    // Slugs: generated ones get a suffix, chosen ones conflict.
    let twin = create(
        app,
        token,
        json!({"headline": "Comet seen over the city", "section_id": s}),
    )
    .await;
    assert_eq!(twin["slug"], "comet-seen-over-the-city-2");
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/articles",
            Some(token),
            &json!({"headline": "X", "slug": "comet-seen-over-the-city", "section_id": s}),
        )
        .await;
    assert_problem(res, 409).await;
    // The same slug in another locale is fine.
    let de = create(app, token, json!({"headline": "Komet", "slug": "comet-seen-over-the-city", "locale": "de", "section_id": s})).await;
    assert_eq!(de["locale"], "de");
}

async fn published_list_pages_without_duplicates(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let a = section(app, token, "Alpha").await;
    let b = section(app, token, "Beta").await;
    let base = Utc::now() - Duration::hours(1);
    let mut expected = HashSet::new();
    for i in 0..13 {
        let s = if i % 2 == 0 { &a } else { &b };
        let article = create(
            app,
            token,
            json!({"headline": format!("Story {i}"), "section_id": s}),
        )
        .await;
        // Several share a publication time, so the id breaks ties.
        let at = (base + Duration::minutes(i / 3)).to_rfc3339();
        assert_eq!(
            action(
                app,
                token,
                &id_of(&article),
                "publish",
                Some(json!({"at": at}))
            )
            .await
            .status(),
            200
        );
        expected.insert(id_of(&article));
    }
    let mut seen = Vec::new();
    let mut times = Vec::new();
    let mut path = "/api/v1/articles?limit=4".to_string();
    for _ in 0..10 {
        let page: Value = app.get(&path, None).await.json().await.expect("json");
        for item in page["data"].as_array().into_iter().flatten() {
            seen.push(id_of(item));
            times.push(item["published_at"].as_str().unwrap_or("").to_string());
        }
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/articles?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 13);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);
    let mut sorted = times.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(times, sorted, "newest first");
    let alpha: Value = app
        .get("/api/v1/articles?section=alpha&include_total=true", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(alpha["meta"]["total"], 7);
    assert!(alpha["data"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|x| x["section"]["slug"] == "alpha"));
}

async fn corrections_old_slugs_previews_and_the_feed(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Economy").await;
    let article = create(
        app,
        token,
        json!({"headline": "Inflation falls to two percent", "section_id": s}),
    )
    .await;
    let id = id_of(&article);
    let path = format!("/api/v1/articles/{id}");

    // A draft has no public address; a preview link opens it without a login.
    let res = app
        .request(Method::POST, &format!("{path}/preview-link"), Some(token))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let link: Value = res.json().await.expect("json");
    let url = link["url"].as_str().unwrap_or("").to_string();
    let res = app.get(&url, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("private, no-store")
    );
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "draft");
    assert_problem(app.get(&path, None).await, 404).await;
    // Expired or forged: refused.
    let now = Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": id, "aud": "preview", "iat": now - 7200, "exp": now - 3600, "iss": "newsdesk"}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::TEST_SECRET.as_bytes()),
    )
    .expect("sign");
    assert_problem(
        app.get(&format!("{path}?preview={expired}"), None).await,
        401,
    )
    .await;
    assert_problem(
        app.get(&format!("{path}?preview=not-a-token"), None).await,
        401,
    )
    .await;
    let other = create(
        app,
        token,
        json!({"headline": "Another draft", "section_id": s}),
    )
    .await;
    // A link for another article opens nothing and confirms nothing: the
    // draft is a 404, as to anyone without a link.
    let other_token = link["token"].as_str().unwrap_or("");
    assert_problem(
        app.get(
            &format!("/api/v1/articles/{}?preview={other_token}", id_of(&other)),
            None,
        )
        .await,
        404,
    )
    .await;
    // An access token is no preview token.
    assert_problem(app.get(&format!("{path}?preview={token}"), None).await, 401).await;

    assert_eq!(action(app, token, &id, "publish", None).await.status(), 200);
    // Corrections are appended, public, and change the validators.
    let before = app.get(&path, None).await;
    let etag = before
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let res = app
        .send_json(
            Method::POST,
            &format!("{path}/corrections"),
            Some(token),
            &json!({"kind": "correction", "text": "An earlier version gave the wrong month."}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_problem(
        app.send_json(
            Method::POST,
            &format!("{path}/corrections"),
            Some(token),
            &json!({"kind": "apology", "text": "x"}),
        )
        .await,
        422,
    )
    .await;
    let res = app
        .request(Method::GET, &path, None)
        .header("if-none-match", etag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200, "a correction changes the ETag");
    let page: Value = res.json().await.expect("json");
    assert_eq!(page["corrections"][0]["kind"], "correction");
    assert_eq!(
        page["corrections"][0]["text"],
        "An earlier version gave the wrong month."
    );

    // A new slug: the old one redirects permanently.
    let version = page["version"].as_i64().unwrap_or(0);
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"slug": "inflation-falls-to-two-per-cent"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let res = app
        .get(
            "/api/v1/articles/slug/inflation-falls-to-two-percent?format=html",
            None,
        )
        .await;
    assert_eq!(res.status(), 301);
    assert_eq!(
        res.headers().get("location").and_then(|v| v.to_str().ok()),
        Some("/api/v1/articles/slug/inflation-falls-to-two-per-cent?format=html")
    );
    assert_eq!(
        app.get(
            "/api/v1/articles/slug/inflation-falls-to-two-per-cent",
            None
        )
        .await
        .status(),
        200
    );
    // A draft's old slug leaks nothing.
    let draft_path = format!("/api/v1/articles/{}", id_of(&other));
    let renamed = app
        .request(Method::PATCH, &draft_path, Some(token))
        .header("if-match", "\"1\"")
        .json(&json!({"slug": "renamed-draft"}))
        .send()
        .await
        .expect("request");
    // The rename happened, so the 404 below is about the old slug, not a failed edit.
    assert_eq!(renamed.status(), 200);
    assert_problem(
        app.get("/api/v1/articles/slug/another-draft", None).await,
        404,
    )
    .await;

    // The feed: published only, compact.
    let feed: Value = app
        .get("/api/v1/feed", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(feed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        feed["data"][0]["headline"],
        "Inflation falls to two percent"
    );
    assert_eq!(feed["data"][0]["section"]["slug"], "economy");
    assert!(feed["data"][0].get("body").is_none());
}

async fn tags_sections_related_and_filters(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let author = app.user(Role::Author).await;
    let token = editor.access_token.as_str();
    let world = section(app, token, "World").await;
    let europe = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Europe", "parent_id": world}),
        )
        .await
        .json::<Value>()
        .await
        .expect("json")["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let business = section(app, token, "Business").await;
    let draft = create(
        app,
        token,
        json!({"headline": "Unpublished background piece", "section_id": world}),
    )
    .await;
    let older = create(app, token, json!({"headline": "Earlier report on the talks", "section_id": world, "source": "Northwire"})).await;
    action(
        app,
        token,
        &id_of(&older),
        "publish",
        Some(json!({"at": (Utc::now() - Duration::days(3)).to_rfc3339()})),
    )
    .await;
    let main = create(
        app,
        &author.access_token,
        json!({
            "headline": "Trade talks resume in Brussels", "section_id": europe, "section_ids": [business],
            "tags": ["Trade policy", "EU", "trade POLICY"], "related": [id_of(&older), id_of(&draft)],
            "bylines": [{"user_id": author.id, "role": "reporting"}], "source": "Eastline"
        }),
    )
    .await;
    assert_eq!(
        main["tags"],
        json!([{"id": main["tags"][0]["id"], "slug": "trade-policy", "name": "Trade policy", "url": "http://localhost:3000/tags/trade-policy"}, {"id": main["tags"][1]["id"], "slug": "eu", "name": "EU", "url": "http://localhost:3000/tags/eu"}])
    );
    assert_eq!(main["secondary_sections"][0]["slug"], "business");
    assert_eq!(
        action(app, &author.access_token, &id_of(&main), "publish", None)
            .await
            .status(),
        200
    );

    // Related teasers never leak a draft to the public; staff see both.
    let public: Value = app
        .get(&format!("/api/v1/articles/{}", id_of(&main)), None)
        .await
        .json()
        .await
        .expect("json");
    let related: Vec<&str> = public["related"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["headline"].as_str())
        .collect();
    assert_eq!(related, vec!["Earlier report on the talks"]);
    let staff: Value = app
        .get(&format!("/api/v1/articles/{}", id_of(&main)), Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(staff["related"].as_array().map(Vec::len), Some(2));

    let headlines = |q: &str| {
        let path = format!("/api/v1/articles?{q}");
        async move {
            let v: Value = app.get(&path, None).await.json().await.expect("json");
            v["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["headline"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        headlines("tag=trade-policy").await,
        vec!["Trade talks resume in Brussels"]
    );
    assert_eq!(headlines("tag=unknown").await, Vec::<String>::new());
    assert_eq!(
        headlines("section=business").await,
        vec!["Trade talks resume in Brussels"],
        "secondary section"
    );
    // A section with articles of its own and another's: both, merged in
    // publication order, by slug and by id.
    let own = create(
        app,
        token,
        json!({"headline": "Port fees rise for container lines", "section_id": business}),
    )
    .await;
    action(
        app,
        token,
        &id_of(&own),
        "publish",
        Some(json!({"at": (Utc::now() - Duration::days(5)).to_rfc3339()})),
    )
    .await;
    let both = vec![
        "Trade talks resume in Brussels",
        "Port fees rise for container lines",
    ];
    assert_eq!(headlines("section=business").await, both);
    assert_eq!(headlines(&format!("section={business}")).await, both);
    assert_eq!(
        headlines("section=business&limit=1&include_total=true").await,
        vec!["Trade talks resume in Brussels"]
    );
    assert_eq!(
        headlines("section=no-such-desk").await,
        Vec::<String>::new()
    );
    assert_eq!(
        headlines("section=world").await,
        vec!["Earlier report on the talks"]
    );
    assert_eq!(
        headlines("section=world&include_subsections=true").await,
        vec![
            "Trade talks resume in Brussels",
            "Earlier report on the talks"
        ]
    );
    assert_eq!(
        headlines("source=Northwire").await,
        vec!["Earlier report on the talks"]
    );
    let by_author = format!("author={}", author.id);
    let v: Value = app
        .get(&format!("/api/v1/articles?{by_author}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1));
    let since = (Utc::now() - Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let v: Value = app
        .get(&format!("/api/v1/articles?published_after={since}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"][0]["headline"], "Trade talks resume in Brussels");
    assert_eq!(v["data"].as_array().map(Vec::len), Some(1));
    let v: Value = app
        .get(&format!("/api/v1/articles?published_before={since}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(v["data"][0]["headline"], "Earlier report on the talks");
    let body = assert_problem(
        app.get("/api/v1/articles?published_after=yesterday", None)
            .await,
        400,
    )
    .await;
    assert_eq!(error_fields(&body), vec!["published_after"]);
    assert_problem(
        app.get("/api/v1/articles?include_subsections=maybe", None)
            .await,
        400,
    )
    .await;
    assert_problem(app.get("/api/v1/articles?sort=random", None).await, 400).await;

    // Tags have their own list.
    let tags: Value = app
        .get("/api/v1/tags", None)
        .await
        .json()
        .await
        .expect("json");
    let slugs: Vec<&str> = tags["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(slugs, vec!["eu", "trade-policy"]);
    let tags: Value = app
        .get("/api/v1/tags?prefix=Tra", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(tags["data"].as_array().map(Vec::len), Some(1));
    // Validation names the bad entries.
    let res = app
        .send_json(Method::POST, "/api/v1/articles", Some(token), &json!({"headline": "X", "section_id": world, "tags": ["🎉"], "related": ["nope"], "section_ids": ["nope"]}))
        .await;
    let mut fields = error_fields(&assert_problem(res, 422).await);
    fields.sort();
    assert_eq!(fields, vec!["related[0]", "section_ids[0]", "tags[0]"]);
}

async fn full_text_search_ranks_highlights_and_hides_drafts(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Science").await;
    let para = |t: &str| json!([{"type": "paragraph", "text": t}]);
    let headline_hit = create(app, token, json!({"headline": "Comet lights up the northern sky", "section_id": s, "body": para("Observers gathered on the hills.")})).await;
    let body_hit = create(app, token, json!({"headline": "Night of the observers", "section_id": s, "body": para("Some say the comet <script>alert(1)</script> was brighter than the moon.")})).await;
    let miss = create(app, token, json!({"headline": "Budget vote delayed", "section_id": s, "body": para("Councillors argued into the night.")})).await;
    let draft = create(
        app,
        token,
        json!({"headline": "Comet draft not for readers", "section_id": s}),
    )
    .await;
    for a in [&headline_hit, &body_hit, &miss] {
        assert_eq!(
            action(app, token, &id_of(a), "publish", None)
                .await
                .status(),
            200
        );
    }
    let res = app
        .get("/api/v1/articles?q=comet&include_total=true", None)
        .await;
    assert_eq!(res.status(), 200);
    let found: Value = res.json().await.expect("json");
    let ids: Vec<String> = found["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(id_of)
        .collect();
    assert_eq!(
        ids,
        vec![id_of(&headline_hit), id_of(&body_hit)],
        "headline matches rank first; drafts never show"
    );
    assert_eq!(found["meta"]["total"], 2);
    let snippet = found["data"][1]["snippet"].as_str().unwrap_or("");
    assert!(
        snippet.to_lowercase().contains("<mark>comet</mark>"),
        "{snippet}"
    );
    // The excerpt keeps the article's text, escaped: never markup.
    assert!(!snippet.contains("<script>"), "escaped: {snippet}");
    // A result is the article's list item with its excerpt, whether the
    // item was stored ready or presented now.
    let listed: Value = app
        .get(&format!("/api/v1/articles?section={s}"), None)
        .await
        .json()
        .await
        .expect("json");
    let mut item = listed["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| id_of(a) == id_of(&body_hit))
        .cloned()
        .expect("listed");
    item["snippet"] = json!(snippet);
    assert_eq!(found["data"][1], item);
    // Every word must match; case and operators do not matter.
    let both: Value = app
        .get("/api/v1/articles?q=COMET%20moon", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(both["data"].as_array().map(Vec::len), Some(1));
    for q in [
        "%22",
        "comet%20AND%20(",
        "*",
        "NEAR(comet",
        "%27%3B%20DROP%20TABLE%20articles",
    ] {
        assert_eq!(
            app.get(&format!("/api/v1/articles?q={q}"), None)
                .await
                .status(),
            200,
            "q={q}"
        );
    }
    // Paging through the ranking.
    let first: Value = app
        .get("/api/v1/articles?q=comet&limit=1", None)
        .await
        .json()
        .await
        .expect("json");
    let cursor = first["meta"]["next_cursor"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let second: Value = app
        .get(
            &format!("/api/v1/articles?q=comet&limit=1&cursor={cursor}"),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(id_of(&second["data"][0]), id_of(&body_hit));
    assert_eq!(second["meta"]["next_cursor"], Value::Null);
    // Newest first instead of by relevance.
    let newest: Value = app
        .get("/api/v1/articles?q=comet&sort=-published_at", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(newest["data"].as_array().map(Vec::len), Some(2));
    // Relevance without a search is the default order, newest first.
    let unranked: Value = app
        .get("/api/v1/articles?sort=relevance", None)
        .await
        .json()
        .await
        .expect("json");
    let default: Value = app
        .get("/api/v1/articles", None)
        .await
        .json()
        .await
        .expect("json");
    let ids = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .map(|a| a.iter().map(|x| x["id"].to_string()).collect())
            .unwrap_or_default()
    };
    assert!(!ids(&default).is_empty());
    assert_eq!(ids(&unranked), ids(&default));
    // Staff find drafts too, with a status.
    let drafts: Value = app
        .get("/api/v1/articles?q=comet&status=draft", Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(drafts["data"][0]["id"], draft["id"]);
    // Edits are searchable at once.
    let path = format!("/api/v1/articles/{}", id_of(&miss));
    let version = app
        .get(&path, Some(token))
        .await
        .json::<Value>()
        .await
        .expect("json")["version"]
        .as_i64()
        .unwrap_or(0);
    app.request(Method::PATCH, &path, Some(token))
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"summary": "A comet was not on the agenda."}))
        .send()
        .await
        .expect("request");
    let found: Value = app
        .get("/api/v1/articles?q=comet", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(found["data"].as_array().map(Vec::len), Some(3));
}

/// A tag's pages walk the publication order for a while, then look the
/// tag's articles up: the pages are the same whichever way they are read.
async fn a_tags_pages_do_not_depend_on_how_far_the_walk_goes(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Walks").await;
    // Twelve articles an hour apart, newest last: every one "common", the
    // third and the tenth oldest also "rare".
    let mut common = Vec::new();
    let mut rare = Vec::new();
    for n in 0..12 {
        let tags = if n == 2 || n == 9 {
            json!(["Common", "Rare"])
        } else {
            json!(["Common"])
        };
        let made = create(
            app,
            token,
            json!({"headline": format!("Walked story {n}"), "section_id": s, "tags": tags}),
        )
        .await;
        let at = Utc::now() - Duration::hours(24 - n);
        action(
            app,
            token,
            &id_of(&made),
            "publish",
            Some(json!({"at": at.to_rfc3339()})),
        )
        .await;
        common.insert(0, id_of(&made));
        if n == 2 || n == 9 {
            rare.insert(0, id_of(&made));
        }
    }
    for walk in [2000, 5, 1] {
        newsdesk::articles::listing::set_tag_walk(walk);
        for (tag, expected) in [("common", &common), ("rare", &rare)] {
            let mut seen = Vec::new();
            let mut path = format!("/api/v1/articles?tag={tag}&limit=5");
            loop {
                let page: Value = app.get(&path, None).await.json().await.expect("json");
                seen.extend(page["data"].as_array().into_iter().flatten().map(id_of));
                match page["meta"]["next_cursor"].as_str() {
                    Some(c) => path = format!("/api/v1/articles?tag={tag}&limit=5&cursor={c}"),
                    None => break,
                }
            }
            assert_eq!(&seen, expected, "tag {tag}, walk {walk}");
        }
    }
    newsdesk::articles::listing::set_tag_walk(2000);
}

async fn seed_fills_a_realistic_newsroom(app: &TestApp) {
    let pool = app.pool.clone();
    let (made, documents, queued, stale, pending_lists) = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use newsdesk::db::schema::{article_deliveries, delivery_queue};
        // In batches of 20: documents of one batch are compressed while
        // the next is written.
        let made = newsdesk::seed::seed_in_batches(&pool, 45, 20, "en", |_| {}).expect("seed");
        let mut pooled = pool.get().expect("connection");
        let conn: &mut newsdesk::db::DbConn = &mut pooled;
        let documents: i64 = article_deliveries::table
            .count()
            .get_result(conn)
            .expect("count");
        let queued: i64 = delivery_queue::table
            .count()
            .get_result(conn)
            .expect("count");
        // Documents missing or not of their article as it is.
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let stale = diesel::sql_query(
            "SELECT count(*) AS n FROM articles a LEFT JOIN article_deliveries d \
             ON d.article_id = a.id WHERE d.modified_at IS NULL OR d.modified_at <> a.modified_at",
        );
        let stale = match conn {
            newsdesk::db::DbConn::Postgres(pg) => stale.get_result::<Count>(pg),
            newsdesk::db::DbConn::Sqlite(lite) => stale.get_result::<Count>(lite),
        }
        .expect("stale documents")
        .n;
        // On PostgreSQL the load lifts the search indexes' pending-list
        // limit; it is put back.
        #[derive(QueryableByName)]
        struct Options {
            #[diesel(sql_type = diesel::sql_types::Text)]
            options: String,
        }
        let pending_lists: Vec<String> = match conn {
            newsdesk::db::DbConn::Postgres(pg) => diesel::sql_query(
                "SELECT array_to_string(reloptions, ',') AS options FROM pg_class \
                 WHERE relname IN ('article_search_document_idx', 'article_search_headlines_idx')",
            )
            .load::<Options>(pg)
            .expect("reloptions")
            .into_iter()
            .map(|o| o.options)
            .collect(),
            newsdesk::db::DbConn::Sqlite(_) => Vec::new(),
        };
        (made, documents, queued, stale, pending_lists)
    })
    .await
    .expect("join");
    assert_eq!(made, 45);
    // On PostgreSQL search's window, closed (emptied) during the load, is
    // filled again after it. (Not a count: the window test changes the
    // window's size for the whole process while it runs.)
    if let Some(held) = search_window(app).await {
        assert!(!held.is_empty(), "the window is empty after a seed");
    }
    // Every article's delivery document was rendered (on PostgreSQL beside
    // the writing), none left queued.
    assert!(documents >= 45, "{documents} documents");
    assert_eq!(queued, 0);
    assert_eq!(stale, 0, "documents missing or out of date");
    if app.settings.database_url.starts_with("postgres") {
        assert_eq!(
            pending_lists,
            ["gin_pending_list_limit=64", "gin_pending_list_limit=64"]
        );
    }
    let all: Value = app
        .get("/api/v1/articles?include_total=true&limit=100", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(all["meta"]["total"], 45);
    let sections: HashSet<&str> = all["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["section"]["slug"].as_str())
        .collect();
    assert!(sections.len() >= 4, "spread across sections: {sections:?}");
    assert!(all["data"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|a| a["tags"].as_array().is_some_and(|t| !t.is_empty())));
    let one: Value = app
        .get(
            &format!("/api/v1/articles/{}", id_of(&all["data"][0])),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(one["body"].as_array().is_some_and(|b| b.len() >= 3));
    assert_eq!(one["bylines"].as_array().map(Vec::len), Some(1));
    let found: Value = app
        .get("/api/v1/articles?q=budget&include_total=true", None)
        .await
        .json()
        .await
        .expect("json");
    assert!(found["meta"]["total"].as_i64().unwrap_or(0) > 0);
}

/// A bulk load renders queued documents, compresses them on another thread
/// and stores them after; an article saved meanwhile keeps the document its
/// save rendered, and the others are stored and leave the queue.
async fn documents_compressed_aside_keep_what_was_rendered_meanwhile(app: &TestApp) {
    use diesel::prelude::*;
    use newsdesk::articles::delivery;
    use newsdesk::db::schema::{article_deliveries, delivery_queue};

    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section_id = section(app, token, "Aside").await;
    let mut ids = Vec::new();
    for headline in ["Tram line extended", "Tram fares frozen", "Tram depot sold"] {
        let a = create(
            app,
            token,
            json!({"headline": headline, "section_id": section_id,
                   "body": [{"type": "paragraph", "text": "The council voted late."}]}),
        )
        .await;
        let id = id_of(&a);
        assert_eq!(action(app, token, &id, "publish", None).await.status(), 200);
        ids.push(id);
    }
    let count_queued = |conn: &mut newsdesk::db::DbConn, ids: &[String]| -> i64 {
        delivery_queue::table
            .filter(delivery_queue::article_id.eq_any(ids))
            .count()
            .get_result(conn)
            .expect("count")
    };
    let pool = app.pool.clone();
    let queued_ids = ids.clone();
    let (taken, after, queued) = tokio::task::spawn_blocking(move || {
        let mut pooled = pool.get().expect("connection");
        let conn: &mut newsdesk::db::DbConn = &mut pooled;
        delivery::deferred(|| delivery::articles_changed(conn, &queued_ids)).expect("queue");
        let taken = delivery::take(conn, 100, None)
            .expect("take")
            .expect("queued");
        // The next batch of a load: those after the last taken (none).
        let after = delivery::take(conn, 100, taken.last())
            .expect("take")
            .map(|later| later.last().map(str::to_owned));
        (taken, after, count_queued(conn, &queued_ids))
    })
    .await
    .expect("join");
    // Taken, still queued until stored; the last taken is the greatest id.
    assert_eq!(queued, 3);
    assert_eq!(taken.last(), ids.iter().max().map(String::as_str));
    assert_eq!(after, None, "taken again after the last taken");

    // Saved meanwhile: the save renders its document and unqueues it.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/articles/{}", ids[0]),
            Some(token),
        )
        .header("if-match", "*")
        .json(&json!({"headline": "Tram line extended to the harbour"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);

    let pool = app.pool.clone();
    let stored_ids = ids.clone();
    let (stored, queued, documents) = tokio::task::spawn_blocking(move || {
        let mut pooled = pool.get().expect("connection");
        let conn: &mut newsdesk::db::DbConn = &mut pooled;
        let stored = delivery::store(conn, taken.compress()).expect("store");
        let documents: Vec<(String, String)> = article_deliveries::table
            .filter(article_deliveries::article_id.eq_any(&stored_ids))
            .select((article_deliveries::article_id, article_deliveries::document))
            .load(conn)
            .expect("documents");
        (stored, count_queued(conn, &stored_ids), documents)
    })
    .await
    .expect("join");
    assert_eq!(stored, 2);
    assert_eq!(queued, 0);
    assert_eq!(documents.len(), 3);
    let saved = documents
        .iter()
        .find(|(id, _)| id == &ids[0])
        .map(|(_, d)| d.as_str())
        .unwrap_or_default();
    assert!(
        saved.contains("Tram line extended to the harbour"),
        "{saved}"
    );
    for id in &ids[1..] {
        let res = app
            .request(Method::GET, &format!("/api/v1/articles/{id}"), None)
            .header("accept-encoding", "br")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("content-encoding")
                .and_then(|v| v.to_str().ok()),
            Some("br")
        );
    }
}

/// Imports write a batch at once; what they store is what saving the
/// articles one by one stored: slugs, old slugs, tags, events, documents,
/// search.
async fn imports_write_a_batch_as_single_saves_do(app: &TestApp) {
    use newsdesk::articles::service::{import_published, Import};
    use newsdesk::auth::role::Actor;

    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section_id = section(app, token, "Imports").await;
    // A published article renamed: its old slug redirects until an import
    // takes it.
    let moved = create(
        app,
        token,
        json!({"headline": "Harbour reopens", "section_id": section_id}),
    )
    .await;
    let moved_id = id_of(&moved);
    assert_eq!(
        action(app, token, &moved_id, "publish", None)
            .await
            .status(),
        200
    );
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/articles/{moved_id}"),
            Some(token),
        )
        .header("if-match", "*")
        .json(&json!({"slug": "harbour-reopens-at-dawn"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get("/api/v1/articles/slug/harbour-reopens", None)
            .await
            .status(),
        301
    );
    let before: Value = app
        .get("/api/v1/events?limit=100", Some(token))
        .await
        .json()
        .await
        .expect("json");
    let events_before = before["data"].as_array().map_or(0, Vec::len);

    let doc = |headline: &str, slug: Option<&str>, tags: &[&str]| {
        let mut doc = json!({
            "headline": headline,
            "section_id": section_id,
            "tags": tags,
            "bylines": [{"user_id": editor.id, "role": "reporting"}],
            "body": [{"type": "paragraph", "text": format!("{headline}: the quay cranes moved again.")}],
        });
        if let Some(slug) = slug {
            doc["slug"] = json!(slug);
        }
        serde_json::from_value(doc).expect("document")
    };
    let actor = Actor {
        id: editor.id.clone(),
        role: Role::Editor,
    };
    let at = (Utc::now() - Duration::hours(1)).naive_utc();
    let imports = vec![
        Import {
            writer: editor.id.clone(),
            doc: doc(
                "Harbour reopens",
                Some("harbour-reopens"),
                &["Ports", "Shipping"],
            ),
            published_at: at,
        },
        // The same headline twice, no slug: each gets a free one.
        Import {
            writer: editor.id.clone(),
            doc: doc("Ferry timetable", None, &["Ports"]),
            published_at: at,
        },
        Import {
            writer: editor.id.clone(),
            doc: doc("Ferry timetable", None, &["Ferries"]),
            published_at: at,
        },
    ];
    let pool = app.pool.clone();
    let ids = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        import_published(&mut conn, &actor, imports, "en")
    })
    .await
    .expect("join")
    .expect("import");
    assert_eq!(ids.len(), 3);
    // On PostgreSQL the imports are in search's window of the newest
    // articles, as saves are.
    if let Some(held) = search_window(app).await {
        assert!(ids.iter().all(|id| held.contains(id)), "{held:?}");
    }

    // The old slug is the import's now, not a redirect.
    let res = app.get("/api/v1/articles/slug/harbour-reopens", None).await;
    assert_eq!(res.status(), 200);
    let taken: Value = res.json().await.expect("json");
    assert_eq!(taken["id"], ids[0].as_str());
    assert_eq!(taken["status"], "published");
    let tags: Vec<&str> = taken["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tags, ["Ports", "Shipping"]);
    assert_eq!(taken["bylines"][0]["user_id"], editor.id.as_str());
    let mut slugs = HashSet::new();
    for id in &ids[1..] {
        let a: Value = app
            .get(&format!("/api/v1/articles/{id}"), None)
            .await
            .json()
            .await
            .expect("json");
        slugs.insert(a["slug"].as_str().unwrap_or("").to_string());
    }
    assert_eq!(slugs.len(), 2, "{slugs:?}");
    assert!(
        slugs.iter().all(|s| s.starts_with("ferry-timetable")),
        "{slugs:?}"
    );
    // "Ports" is one tag, shared.
    let ports: Value = app
        .get("/api/v1/articles?tag=ports&include_total=true", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ports["meta"]["total"], 2);
    let found: Value = app
        .get("/api/v1/articles?q=quay%20cranes&include_total=true", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(found["meta"]["total"], 3);
    // One public event each, in the order given.
    let after: Value = app
        .get("/api/v1/events?limit=100", Some(token))
        .await
        .json()
        .await
        .expect("json");
    let new: Vec<&Value> = after["data"]
        .as_array()
        .into_iter()
        .flatten()
        .skip(events_before)
        .collect();
    let published: Vec<&str> = new
        .iter()
        .filter(|e| e["type"] == "article.published")
        .filter_map(|e| e["data"]["article_id"].as_str())
        .collect();
    assert_eq!(
        published,
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );

    // A batch taking one slug twice stores nothing.
    let actor = Actor {
        id: editor.id.clone(),
        role: Role::Editor,
    };
    let imports = vec![
        Import {
            writer: editor.id.clone(),
            doc: doc("Quay one", Some("quay-twice"), &[]),
            published_at: at,
        },
        Import {
            writer: editor.id.clone(),
            doc: doc("Quay two", Some("quay-twice"), &[]),
            published_at: at,
        },
    ];
    let pool = app.pool.clone();
    let refused = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        import_published(&mut conn, &actor, imports, "en")
    })
    .await
    .expect("join");
    assert!(
        matches!(refused, Err(newsdesk::error::ApiError::Conflict(_))),
        "{:?}",
        refused.err()
    );
    assert_eq!(
        app.get("/api/v1/articles/slug/quay-twice", None)
            .await
            .status(),
        404
    );
}

async fn fields_trim_and_lists_sort_by_update(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Updates").await;
    let hours = |h: i64| (Utc::now() - Duration::hours(h)).to_rfc3339();
    let mut ids = Vec::new();
    // Published 3, 2 and 1 hours ago; the oldest was updated 10 minutes ago.
    for (headline, published, updated) in [
        (
            "Oldest story",
            hours(3),
            Some((Utc::now() - Duration::minutes(10)).to_rfc3339()),
        ),
        ("Middle story", hours(2), None),
        ("Newest story", hours(1), None),
    ] {
        let a = create(
            app,
            token,
            json!({"headline": headline, "section_id": s, "updated_at": updated,
                   "body": [{"type": "paragraph", "text": "Some words here."}]}),
        )
        .await;
        let res = action(
            app,
            token,
            &id_of(&a),
            "publish",
            Some(json!({"at": published})),
        )
        .await;
        assert_eq!(res.status(), 200);
        ids.push(id_of(&a));
    }
    let order = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(id_of)
            .collect()
    };
    let by_publication: Value = app
        .get(&format!("/api/v1/articles?section={s}"), None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        order(&by_publication),
        [ids[2].clone(), ids[1].clone(), ids[0].clone()]
    );
    let by_update: Value = app
        .get(
            &format!("/api/v1/articles?section={s}&sort=-updated_at&limit=2"),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(order(&by_update), [ids[0].clone(), ids[2].clone()]);
    let cursor = by_update["meta"]["next_cursor"].as_str().expect("cursor");
    let rest: Value = app
        .get(
            &format!("/api/v1/articles?section={s}&sort=-updated_at&limit=2&cursor={cursor}"),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(order(&rest), [ids[1].clone()]);

    // fields= keeps just the named fields; naming a body field adds the body to list items.
    let trimmed: Value = app
        .get(
            &format!("/api/v1/articles?section={s}&fields=id,headline,body_html"),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    let first = trimmed["data"][0].as_object().expect("object");
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["body_html", "headline", "id"]);
    assert!(first["body_html"]
        .as_str()
        .unwrap_or("")
        .contains("Some words here."));
    assert!(trimmed["meta"]["limit"].is_number());
    let one: Value = app
        .get(
            &format!("/api/v1/articles/{}?fields=headline,comment_count", ids[0]),
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(one, json!({"headline": "Oldest story", "comment_count": 0}));
    for bad in ["id,password", "", "id, slug", "id,"] {
        let res = app
            .get(&format!("/api/v1/articles?fields={bad}"), None)
            .await;
        assert_eq!(
            error_fields(&assert_problem(res, 400).await),
            ["fields"],
            "{bad:?}"
        );
    }
    let res = app.get("/api/v1/articles?sort=-modified_at", None).await;
    assert_eq!(error_fields(&assert_problem(res, 400).await), ["sort"]);
}

/// Who may edit comes before which version (RFC 9110 §13.2.1): a caller
/// who may not see the article gets 404 and one who may not change it 403,
/// whatever `If-Match` says; only the article's own writer is asked for the
/// header (428) or told the version is stale (412).
async fn authorisation_comes_before_preconditions(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let contributor = app.user(Role::Contributor).await;
    let editor = app.user(Role::Editor).await;
    let section = section(app, &editor.access_token, "Courts").await;
    let article = create(
        app,
        &author.access_token,
        json!({"headline": "Verdict expected Friday", "section_id": section}),
    )
    .await;
    let path = format!("/api/v1/articles/{}", article["id"].as_str().expect("id"));
    let patch = json!({"headline": "Verdict expected Monday"});
    // A contributor may not see another writer's draft: 404, with or
    // without If-Match.
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&contributor.access_token),
            &patch,
        )
        .await;
    assert_problem(res, 404).await;
    let res = app
        .request(Method::PATCH, &path, Some(&contributor.access_token))
        .header("if-match", "\"7\"")
        .json(&patch)
        .send()
        .await
        .expect("patch");
    assert_problem(res, 404).await;
    let res = app
        .request(
            Method::POST,
            &format!("{path}/publish"),
            Some(&author.access_token),
        )
        .header("if-match", "\"1\"")
        .json(&json!({}))
        .send()
        .await
        .expect("publish");
    assert_eq!(res.status(), 200);
    // Published: the contributor sees it but may not change it (403 before
    // any precondition); a stale version is 412 only to one who may.
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&contributor.access_token),
            &patch,
        )
        .await;
    assert_problem(res, 403).await;
    let other_author = app.user(Role::Author).await;
    let unpublish = format!("{path}/unpublish");
    for (who, status) in [(&other_author, 403), (&author, 412)] {
        let res = app
            .request(Method::POST, &unpublish, Some(&who.access_token))
            .header("if-match", "\"9\"")
            .json(&json!({}))
            .send()
            .await
            .expect("unpublish");
        assert_problem(res, status).await;
    }
    let res = app
        .send_json(Method::PATCH, &path, Some(&author.access_token), &patch)
        .await;
    assert_problem(res, 428).await;
    let res = app.send_json(Method::PATCH, &path, None, &patch).await;
    assert_problem(res, 401).await;
}

/// Drafts belong to their writers: a contributor reads, lists, previews
/// and sees the history of their own work and of what they are bylined on,
/// and nothing else that is unpublished; authors and up see everything.
async fn drafts_belong_to_their_writers(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let author = app.user(Role::Author).await;
    let freelancer = app.user(Role::Contributor).await;
    let bylined = app.user(Role::Contributor).await;
    let section = section(app, &editor.access_token, "Investigations").await;
    let embargoed = create(
        app,
        &author.access_token,
        json!({"headline": "Contracts went to the mayor's cousin", "section_id": section,
               "bylines": [{"user_id": bylined.id, "role": "additional reporting"}]}),
    )
    .await;
    let own = create(
        app,
        &freelancer.access_token,
        json!({"headline": "Market stalls reopen", "section_id": section}),
    )
    .await;
    let (secret_id, own_id) = (id_of(&embargoed), id_of(&own));
    let secret_slug = embargoed["slug"].as_str().expect("slug").to_string();

    // The freelancer: the other writer's draft does not exist for them.
    let t = freelancer.access_token.as_str();
    assert_problem(
        app.get(&format!("/api/v1/articles/{secret_id}"), Some(t))
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/articles/slug/{secret_slug}"), Some(t))
            .await,
        404,
    )
    .await;
    for path in ["revisions", "revisions/1"] {
        let res = app
            .get(&format!("/api/v1/articles/{secret_id}/{path}"), Some(t))
            .await;
        assert_problem(res, 404).await;
    }
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{secret_id}/preview-link"),
            Some(t),
        )
        .send()
        .await
        .expect("preview link");
    assert_problem(res, 404).await;
    let drafts: Value = app
        .get("/api/v1/articles?status=draft", Some(t))
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<&str> = drafts["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
        [own_id.as_str()],
        "a contributor lists their own drafts"
    );
    assert_eq!(
        app.get(&format!("/api/v1/articles/{own_id}/revisions"), Some(t))
            .await
            .status(),
        200
    );
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{own_id}/preview-link"),
            Some(t),
        )
        .send()
        .await
        .expect("preview link");
    assert_eq!(res.status(), 201);

    // Bylined on it: readable, listed, but a preview link is for those who
    // may edit it.
    let t = bylined.access_token.as_str();
    assert_eq!(
        app.get(&format!("/api/v1/articles/{secret_id}"), Some(t))
            .await
            .status(),
        200
    );
    let drafts: Value = app
        .get("/api/v1/articles?status=draft", Some(t))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(drafts["data"].as_array().map(Vec::len), Some(1));
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{secret_id}/preview-link"),
            Some(t),
        )
        .send()
        .await
        .expect("preview link");
    assert_problem(res, 403).await;

    // Authors and up keep the whole view.
    let drafts: Value = app
        .get("/api/v1/articles?status=draft", Some(&editor.access_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(drafts["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        app.get(
            &format!("/api/v1/articles/{own_id}"),
            Some(&author.access_token)
        )
        .await
        .status(),
        200
    );
}

/// Search ranks in two tiers, each newest first: every word in the
/// headline, then anywhere. The order of writing decides within a tier,
/// whatever the words' frequency.
async fn search_ranks_headline_matches_then_recency(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Harbour desk").await;
    let para = |t: &str| json!([{"type": "paragraph", "text": t}]);
    let older_headline = create(app, token, json!({"headline": "Ferry strike ends", "section_id": s, "body": para("Crews returned on Monday.")})).await;
    let older_body = create(app, token, json!({"headline": "Quiet week at the port", "section_id": s, "body": para("Only one ferry sailed, twice, with a ferry crew of four.")})).await;
    let newer_body = create(app, token, json!({"headline": "Tourists return", "section_id": s, "body": para("The ferry was full.")})).await;
    let newer_headline = create(app, token, json!({"headline": "New ferry timetable", "section_id": s, "body": para("Departures every hour.")})).await;
    // The ids of a public search for "ferry", in the order found.
    let ferry_ids = || async {
        let found: Value = app
            .get("/api/v1/articles?q=ferry", None)
            .await
            .json()
            .await
            .expect("json");
        found["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(id_of)
            .collect::<Vec<String>>()
    };
    for a in [&older_headline, &older_body, &newer_body, &newer_headline] {
        assert_eq!(
            action(app, token, &id_of(a), "publish", None)
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        ferry_ids().await,
        vec![
            id_of(&newer_headline),
            id_of(&older_headline),
            id_of(&newer_body),
            id_of(&older_body)
        ],
        "headline matches first, newest first within each tier"
    );
    // A headline edited to hold the word moves its article to the first
    // tier; the index follows the edit.
    let path = format!("/api/v1/articles/{}", id_of(&older_body));
    let current: Value = app
        .get(&path, Some(token))
        .await
        .json()
        .await
        .expect("json");
    let version = current["version"].as_i64().unwrap_or(0);
    let res = app
        .request(Method::PATCH, &path, Some(token))
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"headline": "Ferry fares cut at the port", "body": para("Fares fall by a third from Monday.")}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(
        ferry_ids().await,
        vec![
            id_of(&newer_headline),
            id_of(&older_body),
            id_of(&older_headline),
            id_of(&newer_body)
        ],
        "the edited headline ranks in the first tier"
    );
    // Its excerpt is made from its new text.
    let fares: Value = app
        .get("/api/v1/articles?q=fares%20third", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fares["data"][0]["id"], older_body["id"]);
    assert_eq!(
        fares["data"][0]["snippet"],
        "<mark>Fares</mark> fall by a <mark>third</mark> from Monday."
    );
}

/// A page of results read from the ranking's first candidates is the page
/// read from all of them: here the newest matches are drafts the public
/// does not see, so the first candidates hold no visible result at all.
async fn search_pages_past_unseen_candidates(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Coast desk").await;
    let mut published = Vec::new();
    for n in 0..12 {
        let a = create(
            app,
            token,
            json!({"headline": format!("Lighthouse keeper {n}"), "section_id": s}),
        )
        .await;
        assert_eq!(
            action(app, token, &id_of(&a), "publish", None)
                .await
                .status(),
            200
        );
        published.push(id_of(&a));
    }
    for n in 0..20 {
        create(
            app,
            token,
            json!({"headline": format!("Lighthouse draft {n}"), "section_id": s}),
        )
        .await;
    }
    published.reverse(); // newest first
    let mut seen = Vec::new();
    let mut url = "/api/v1/articles?q=lighthouse&limit=5".to_string();
    loop {
        let page: Value = app.get(&url, None).await.json().await.expect("json");
        let ids: Vec<String> = page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(id_of)
            .collect();
        assert!(ids.len() <= 5, "{page}");
        seen.extend(ids);
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/articles?q=lighthouse&limit=5&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, published, "every published match once, newest first");
    // The same ranking read whole (a total needs every candidate).
    let whole: Value = app
        .get(
            "/api/v1/articles?q=lighthouse&limit=50&include_total=true",
            None,
        )
        .await
        .json()
        .await
        .expect("json");
    let ids: Vec<String> = whole["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(id_of)
        .collect();
    assert_eq!(ids, published);
    assert_eq!(whole["meta"]["total"], 12);
}

/// The ids PostgreSQL's search window holds, newest first (`None` on
/// SQLite, which has none).
async fn search_window(app: &TestApp) -> Option<Vec<String>> {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Held {
            #[diesel(sql_type = diesel::sql_types::Text)]
            article_id: String,
        }
        let mut pooled = pool.get().expect("connection");
        let conn: &mut newsdesk::db::DbConn = &mut pooled;
        match conn {
            newsdesk::db::DbConn::Postgres(c) => Some(
                diesel::sql_query(
                    "SELECT article_id FROM article_search_recent ORDER BY article_id DESC",
                )
                .load::<Held>(c)
                .expect("window")
                .into_iter()
                .map(|h| h.article_id)
                .collect(),
            ),
            newsdesk::db::DbConn::Sqlite(_) => None,
        }
    })
    .await
    .expect("window")
}

/// PostgreSQL reads each tier among the newest articles first: the pages
/// are the same whatever that window holds (here all, a few, or one, so
/// that a tier is read from the window, or from all after the window held
/// too few).
async fn search_pages_do_not_depend_on_the_newest_window(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let s = section(app, token, "Lighthouses").await;
    let para = |t: &str| json!([{"type": "paragraph", "text": t}]);
    // Seven published matches, the second and fifth oldest in the
    // headline; then an article without the word, the newest of all.
    let mut headline = Vec::new();
    let mut body = Vec::new();
    for n in 0..7 {
        let doc = if n == 1 || n == 4 {
            json!({"headline": format!("Beacon keeper {n} and the lamp"), "section_id": s, "body": para("A quiet night.")})
        } else {
            json!({"headline": format!("Coast story {n}"), "section_id": s, "body": para("The beacon turned all night.")})
        };
        let made = create(app, token, doc).await;
        assert_eq!(
            action(app, token, &id_of(&made), "publish", None)
                .await
                .status(),
            200
        );
        if n == 1 || n == 4 {
            headline.insert(0, id_of(&made));
        } else {
            body.insert(0, id_of(&made));
        }
    }
    let other = create(
        app,
        token,
        json!({"headline": "Harbour news", "section_id": s, "body": para("Nothing lit.")}),
    )
    .await;
    assert_eq!(
        action(app, token, &id_of(&other), "publish", None)
            .await
            .status(),
        200
    );
    let expected: Vec<String> = headline.into_iter().chain(body).collect();
    // The newest of all, in the order they were made.
    let mut newest: Vec<String> = expected.iter().cloned().chain([id_of(&other)]).collect();
    newest.sort();
    newest.reverse();
    for window in [10_000, 4, 2, 1, 3] {
        newsdesk::articles::search::set_search_window(window);
        // The window moves as the scheduler moves it, and holds the newest
        // articles (PostgreSQL; SQLite has none).
        let pool = app.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool.get().expect("connection");
            newsdesk::articles::search::keep_window(&mut pooled).expect("window")
        })
        .await
        .expect("window");
        let held = search_window(app).await;
        if let Some(held) = held {
            let wanted = usize::try_from(window)
                .unwrap_or(usize::MAX)
                .min(newest.len());
            assert_eq!(held, newest[..wanted], "window {window}");
        }
        for limit in [2, 3, 50] {
            let mut seen = Vec::new();
            let mut url = format!("/api/v1/articles?q=beacon&limit={limit}");
            loop {
                let page: Value = app.get(&url, None).await.json().await.expect("json");
                seen.extend(page["data"].as_array().into_iter().flatten().map(id_of));
                match page["meta"]["next_cursor"].as_str() {
                    Some(c) => url = format!("/api/v1/articles?q=beacon&limit={limit}&cursor={c}"),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "window {window}, pages of {limit}");
        }
    }
    newsdesk::articles::search::set_search_window(10_000);
}

both_backends!(
    search_ranks_headline_matches_then_recency,
    search_pages_do_not_depend_on_the_newest_window,
    search_pages_past_unseen_candidates,
    drafts_belong_to_their_writers,
    authorisation_comes_before_preconditions,
    fields_trim_and_lists_sort_by_update,
    seed_fills_a_realistic_newsroom,
    documents_compressed_aside_keep_what_was_rendered_meanwhile,
    imports_write_a_batch_as_single_saves_do,
    full_text_search_ranks_highlights_and_hides_drafts,
    tags_sections_related_and_filters,
    a_tags_pages_do_not_depend_on_how_far_the_walk_goes,
    corrections_old_slugs_previews_and_the_feed,
    editor_writes_the_seed_page_and_a_frontend_reads_it_in_one_request,
    visibility_follows_schedule_embargo_expiry_and_withdrawal,
    roles_decide_who_writes_and_publishes,
    revisions_concurrency_and_validation,
    published_list_pages_without_duplicates,
);
