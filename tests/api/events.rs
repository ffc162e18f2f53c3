//! Events: each write of content leaves its event in the outbox, in the same
//! transaction (a refused write leaves none), and the change feed pages,
//! resumes, and shows anonymous callers nothing of a draft.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, error_fields, TestApp};
use crate::media::{jpeg_bytes, upload};
use crate::{both_backends, with_settings};

/// Every event after `after` as `token` sees them, read page by page.
pub async fn feed(app: &TestApp, token: Option<&str>, after: i64) -> Vec<Value> {
    let mut events = Vec::new();
    let mut position = after;
    loop {
        let res = app
            .get(&format!("/api/v1/events?after={position}&limit=3"), token)
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("private, no-store")
        );
        let page: Value = res.json().await.expect("json");
        let data = page["data"].as_array().cloned().unwrap_or_default();
        let last = page["meta"]["last_position"]
            .as_i64()
            .expect("last_position");
        if data.is_empty() {
            assert_eq!(last, position, "an empty page keeps the position");
            return events;
        }
        assert_eq!(
            data.last().map(|e| e["position"].as_i64()),
            Some(Some(last))
        );
        position = last;
        events.extend(data);
    }
}

/// The types of `events` about `resource`, in order.
fn types_of(events: &[Value], resource: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["resource_id"] == resource)
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The position of the newest event (0 when there is none).
async fn head(app: &TestApp, token: &str) -> i64 {
    feed(app, Some(token), 0)
        .await
        .last()
        .and_then(|e| e["position"].as_i64())
        .unwrap_or(0)
}

/// A new section's id.
pub async fn section(app: &TestApp, token: &str, name: &str) -> String {
    created_id(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({ "name": name }),
        )
        .await,
    )
    .await
}

/// A new draft's id.
pub async fn draft(app: &TestApp, token: &str, document: Value) -> String {
    created_id(
        app.send_json(Method::POST, "/api/v1/articles", Some(token), &document)
            .await,
    )
    .await
}

/// Publishes an article (`{"at": …}` schedules it).
pub async fn publish(app: &TestApp, token: &str, article: &str, body: Value) {
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{article}/publish"),
            Some(token),
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "publish");
}

pub async fn created_id(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

async fn article_events_follow_the_workflow(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let start = head(app, token).await;
    let section = section(app, token, "Events desk").await;
    let article = draft(
        app,
        token,
        json!({"headline": "Secret draft about the harbour", "section_id": section}),
    )
    .await;
    let patch = |version: i64, body: Value| {
        app.request(
            Method::PATCH,
            &format!("/api/v1/articles/{article}"),
            Some(token),
        )
        .header("if-match", format!("\"{version}\""))
        .json(&body)
        .send()
    };
    assert_eq!(
        patch(1, json!({"summary": "Still a draft"}))
            .await
            .expect("patch")
            .status(),
        200
    );
    // A refused write leaves no event: a stale If-Match changes nothing.
    assert_eq!(
        patch(1, json!({"summary": "Stale"}))
            .await
            .expect("patch")
            .status(),
        412
    );
    let action = |path: &'static str| {
        app.request(
            Method::POST,
            &format!("/api/v1/articles/{article}/{path}"),
            Some(token),
        )
        .json(&json!({}))
        .send()
    };
    assert_eq!(action("submit").await.expect("request").status(), 200);
    assert_eq!(action("publish").await.expect("request").status(), 200);
    assert_eq!(
        app.send_json(
            Method::POST,
            &format!("/api/v1/articles/{article}/corrections"),
            Some(token),
            &json!({"kind": "correction", "text": "The harbour opened in 1911."}),
        )
        .await
        .status(),
        201
    );
    assert_eq!(action("archive").await.expect("request").status(), 200);
    assert_eq!(action("withdraw").await.expect("request").status(), 200);
    // Refused: withdrawn already.
    assert_problem(action("withdraw").await.expect("request"), 409).await;

    let staff = feed(app, Some(token), start).await;
    assert_eq!(
        types_of(&staff, &article),
        [
            "article.created",
            "article.updated",
            "article.submitted",
            "article.published",
            "article.corrected",
            "article.archived",
            "article.withdrawn",
        ]
    );
    assert_eq!(types_of(&staff, &section), ["section.created"]);
    let positions: Vec<i64> = staff
        .iter()
        .filter_map(|e| e["position"].as_i64())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    let published = staff
        .iter()
        .find(|e| e["type"] == "article.published")
        .expect("published");
    assert_eq!(published["data"]["status"], "published");
    assert_eq!(published["data"]["article_id"], article.as_str());
    assert_eq!(
        published["data"]["surrogate_keys"],
        format!("article:{article} section:{section} articles")
    );

    // The public sees the article's public life only, and nothing of the draft.
    let public = feed(app, None, start).await;
    assert_eq!(
        types_of(&public, &article),
        [
            "article.published",
            "article.corrected",
            "article.archived",
            "article.withdrawn",
        ]
    );
    assert!(!public
        .iter()
        .any(|e| e["data"].to_string().contains("Secret draft")));
    // Readers see what the public sees.
    let reader = app.user(Role::Reader).await;
    assert_eq!(
        types_of(
            &feed(app, Some(&reader.access_token), start).await,
            &article
        ),
        types_of(&public, &article)
    );
}

async fn sections_media_and_comments_leave_events(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let start = head(app, token).await;
    let section = created_id(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Weather", "slug": "weather"}),
        )
        .await,
    )
    .await;
    // Refused: the slug is taken. No event.
    assert_problem(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": "Weather again", "slug": "weather"}),
        )
        .await,
        409,
    )
    .await;
    let res = app
        .send_json(
            Method::PATCH,
            "/api/v1/sections/weather",
            Some(token),
            &json!({"name": "Weather & climate"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let media = created_id(
        upload(
            app,
            token,
            "storm.jpg",
            "image/jpeg",
            jpeg_bytes(64, 48),
            Some(json!({"title": "Storm over the bay"})),
        )
        .await,
    )
    .await;
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/media/{media}"),
            Some(token),
            &json!({"caption": "Clouds gather over the bay."}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/media/{media}"),
            Some(token),
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 204);

    let article = draft(
        app,
        token,
        json!({"headline": "Storm warning for the coast", "section_id": section,
                    "comments_policy": "moderated"}),
    )
    .await;
    publish(app, token, &article, json!({})).await;
    let reader = app.user(Role::Reader).await;
    let post = |text: &'static str| {
        app.request(
            Method::POST,
            &format!("/api/v1/articles/{article}/comments"),
            Some(&reader.access_token),
        )
        .json(&json!({"body": text}))
        .send()
    };
    let kept = created_id(
        post("Stay safe, everyone on the coast.")
            .await
            .expect("post"),
    )
    .await;
    let refused = created_id(post("Buy cheap umbrellas at my shop!").await.expect("post")).await;
    let decide = |id: String, status: &'static str| {
        app.request(
            Method::POST,
            &format!("/api/v1/comments/{id}/moderation"),
            Some(token),
        )
        .json(&json!({"status": status}))
        .send()
    };
    assert_eq!(
        decide(kept.clone(), "approved")
            .await
            .expect("moderate")
            .status(),
        200
    );
    assert_eq!(
        decide(refused.clone(), "spam")
            .await
            .expect("moderate")
            .status(),
        200
    );
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/comments/{kept}"),
            Some(&reader.access_token),
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status(), 204);

    let staff = feed(app, Some(token), start).await;
    assert_eq!(
        types_of(&staff, &section),
        ["section.created", "section.updated"]
    );
    assert_eq!(
        types_of(&staff, &media),
        ["media.created", "media.updated", "media.deleted"]
    );
    assert_eq!(
        types_of(&staff, &kept),
        ["comment.created", "comment.approved", "comment.deleted"]
    );
    assert_eq!(
        types_of(&staff, &refused),
        ["comment.created", "comment.rejected"]
    );
    let approved = staff
        .iter()
        .find(|e| e["type"] == "comment.approved")
        .expect("approved");
    assert_eq!(approved["data"]["article_id"], article.as_str());
    assert_eq!(
        approved["data"]["surrogate_keys"],
        format!("comment:{kept} comments:{article}")
    );

    // Readers learn of a comment when it becomes public and when it leaves;
    // a pending comment, and a refusal of one never shown, are not theirs.
    let public = feed(app, None, start).await;
    assert_eq!(
        types_of(&public, &kept),
        ["comment.approved", "comment.deleted"]
    );
    assert!(types_of(&public, &refused).is_empty());
    assert_eq!(
        types_of(&public, &section),
        ["section.created", "section.updated"]
    );
}

async fn the_feed_refuses_bad_positions(app: &TestApp) {
    for query in [
        "after=-1",
        "after=abc",
        "after=",
        "limit=0",
        "limit=101",
        "colour=red",
    ] {
        let body =
            assert_problem(app.get(&format!("/api/v1/events?{query}"), None).await, 400).await;
        let param = query.split('=').next().unwrap_or("");
        assert_eq!(error_fields(&body), vec![param], "{query}: {body}");
    }
    let page: Value = app
        .get("/api/v1/events?after=999999999", None)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["data"], json!([]));
    assert_eq!(page["meta"]["last_position"], 999999999);
}

/// Two servers on one database, with a long micro-cache: an article edited
/// through one is fresh on the other long before the cache would expire,
/// because every server follows the event position.
async fn caches_follow_writes_made_on_another_server(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let other = app.another_server();
    let section = section(app, token, "Harbour").await;
    let article = draft(
        app,
        token,
        json!({"headline": "Ferry timetable changes", "section_id": section}),
    )
    .await;
    publish(app, token, &article, json!({})).await;
    let read_on_other = || async {
        let res = app
            .client
            .get(format!("{other}/api/v1/articles/{article}"))
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200);
        let cache = res
            .headers()
            .get("x-cache")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body: Value = res.json().await.expect("json");
        (cache, body["headline"].as_str().unwrap_or("").to_string())
    };
    // Kept by the other server's cache from the second request on.
    read_on_other().await;
    read_on_other().await;
    assert_eq!(
        read_on_other().await,
        ("hit".to_string(), "Ferry timetable changes".to_string())
    );
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/articles/{article}"),
            Some(token),
        )
        .header("if-match", "\"2\"")
        .json(&json!({"headline": "Ferry timetable changes from Monday"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    // The other server's cache holds the old answer for a minute unless it
    // follows the write; give it a few seconds at most.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, headline) = read_on_other().await;
        if headline == "Ferry timetable changes from Monday" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the other server still answers the old headline"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Moments no request makes are announced by the scheduler: a scheduled
/// article's publication and an expiry arrive within a few seconds of their
/// time, with no request in between, and once, though two servers run it.
async fn scheduled_moments_are_announced_once(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let _other = app.another_server();
    let section = section(app, token, "Night desk").await;
    let soon = |seconds: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(seconds))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let scheduled = draft(
        app,
        token,
        json!({"headline": "Polls close at midnight", "section_id": section}),
    )
    .await;
    publish(app, token, &scheduled, json!({"at": soon(2)})).await;
    let expiring = draft(
        app,
        token,
        json!({"headline": "Road closed until the morning", "section_id": section,
                    "expires_at": soon(3)}),
    )
    .await;
    publish(app, token, &expiring, json!({})).await;
    // No request until the moments have passed, and a few ticks more.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let staff = feed(app, Some(token), 0).await;
    assert_eq!(
        types_of(&staff, &scheduled),
        ["article.created", "article.updated", "article.published"]
    );
    assert_eq!(
        types_of(&staff, &expiring),
        ["article.created", "article.published", "article.expired"]
    );
    let public = feed(app, None, 0).await;
    assert_eq!(types_of(&public, &scheduled), ["article.published"]);
    assert_eq!(
        types_of(&public, &expiring),
        ["article.published", "article.expired"]
    );
    let published = public
        .iter()
        .find(|e| e["resource_id"] == scheduled.as_str())
        .expect("published");
    assert_eq!(published["data"]["status"], "published");
}

/// Events are kept for the retention period; a cursor from before the last
/// pruned event is told to resync (410), a current one resumes.
async fn old_events_are_pruned_and_old_cursors_resync(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    for name in ["Early", "Earlier"] {
        section(app, token, name).await;
    }
    let old = feed(app, Some(token), 0).await;
    assert_eq!(old.len(), 2);
    let first = old[0]["position"].as_i64().expect("position");
    let last = old[1]["position"].as_i64().expect("position");
    // Retention is two seconds here; the scheduler prunes every second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !feed(app, Some(token), 0).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing was pruned");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let body = assert_problem(
        app.get(&format!("/api/v1/events?after={first}"), Some(token))
            .await,
        410,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap_or("").contains("resync")
            || body["detail"].as_str().unwrap_or("").contains("anew"),
        "{body}"
    );
    let later = section(app, token, "Later").await;
    let resumed = feed(app, Some(token), last).await;
    assert_eq!(types_of(&resumed, &later), ["section.created"]);
}

/// A `newsdesk worker` process announces scheduled moments for API servers
/// that leave it to workers (`NEWSDESK_SCHEDULER=false`).
async fn a_worker_process_announces_for_the_servers(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section = section(app, token, "Late edition").await;
    let article = draft(
        app,
        token,
        json!({"headline": "Results expected overnight", "section_id": section}),
    )
    .await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    publish(app, token, &article, json!({"at": at})).await;
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("worker")
        .env("DATABASE_URL", &app.settings.database_url)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("start the worker");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let announced = loop {
        let public = feed(app, None, 0).await;
        if !types_of(&public, &article).is_empty() || std::time::Instant::now() > deadline {
            break types_of(&public, &article);
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let _ = worker.kill();
    let _ = worker.wait();
    assert_eq!(announced, ["article.published"]);
}

with_settings!(
    short_retention,
    old_events_are_pruned_and_old_cursors_resync,
    |s| s.event_retention = chrono::Duration::seconds(2)
);
with_settings!(worker, a_worker_process_announces_for_the_servers, |s| s
    .scheduler =
    false);
with_settings!(
    long_cache,
    caches_follow_writes_made_on_another_server,
    |s| s.read_cache_ttl = std::time::Duration::from_secs(60)
);

both_backends!(
    scheduled_moments_are_announced_once,
    article_events_follow_the_workflow,
    sections_media_and_comments_leave_events,
    the_feed_refuses_bad_positions,
);
