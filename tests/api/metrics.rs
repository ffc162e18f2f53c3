//! `GET /metrics`: the counters move with what the server does, only the
//! token (or the separate metrics address) reads them, and series are
//! named by route template, never by a URL's own values.

use std::time::{Duration, Instant};

use newsdesk::auth::role::Role;
use newsdesk::startup::Application;
use serde_json::json;

use crate::events::{draft, publish, section};
use crate::helpers::{assert_problem, TestApp};
use crate::media::{jpeg_bytes, upload};
use crate::receiver::Receiver;
use crate::webhooks::register;
use crate::{both_backends, with_settings};

const TOKEN: &str = "metrics-token-for-the-tests";

async fn scrape(app: &TestApp) -> String {
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = res.text().await.expect("text");
    assert!(
        text.ends_with("# EOF\n"),
        "an OpenMetrics exposition ends with # EOF"
    );
    text
}

/// The value of one series (`name{labels}` exactly as exposed), 0 if absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            let value = line.strip_prefix(series)?.strip_prefix(' ')?;
            value.split_whitespace().next()?.parse().ok()
        })
        .unwrap_or(0.0)
}

/// Scrapes until `check` holds for `series`, or panics.
async fn until(app: &TestApp, series: &str, check: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = sample(&scrape(app).await, series);
        if check(value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{series} stayed at {value}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const ARTICLE_200: &str = r#"newsdesk_http_request_duration_seconds_count{method="GET",route="/api/v1/articles/slug/{slug}",status="200"}"#;
const ARTICLE_LATENCY: &str = r#"newsdesk_http_request_duration_seconds_bucket{le="10.0",method="GET",route="/api/v1/articles/slug/{slug}",status="200"}"#;
const HITS: &str = r#"newsdesk_read_cache_requests_total{result="hit"}"#;
const MISSES: &str = r#"newsdesk_read_cache_requests_total{result="miss"}"#;

/// Requests, the cache, the pool, uploads, renditions and webhooks show in
/// the counters; the token is required.
async fn counters_follow_the_work(app: &TestApp) {
    // No token, or a wrong one: 401, and nothing is shown.
    let res = app.get("/metrics", None).await;
    let problem = assert_problem(res, 401).await;
    assert!(problem.to_string().contains("NEWSDESK_METRICS_TOKEN"));
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("metrics-token-for-the-tests-but-wrong")
        .send()
        .await
        .expect("scrape");
    assert_problem(res, 401).await;
    // An access token is no metrics token, even an admin's.
    let admin = app.user(Role::Admin).await;
    let res = app.get("/metrics", Some(&admin.access_token)).await;
    assert_problem(res, 401).await;

    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let desk = section(app, token, "Metrics desk").await;
    let article = draft(
        app,
        token,
        json!({"headline": "Counting the harbour's ferries", "section_id": desk}),
    )
    .await;
    publish(app, token, &article, json!({})).await;
    let slug = app
        .get(&format!("/api/v1/articles/{article}"), None)
        .await
        .json::<serde_json::Value>()
        .await
        .expect("json")["slug"]
        .as_str()
        .expect("slug")
        .to_string();

    let before = scrape(app).await;
    for _ in 0..3 {
        let res = app
            .get(&format!("/api/v1/articles/slug/{slug}"), None)
            .await;
        assert_eq!(res.status(), 200);
    }
    let after = scrape(app).await;
    assert!(sample(&after, ARTICLE_200) - sample(&before, ARTICLE_200) >= 3.0);
    assert!(sample(&after, ARTICLE_LATENCY) - sample(&before, ARTICLE_LATENCY) >= 3.0);
    assert!(sample(&after, MISSES) - sample(&before, MISSES) >= 1.0);
    // Reads within the cache's second hit, once the follower has seen the
    // publication (it empties the cache when it does): a few rounds at most.
    let mut rounds = 0;
    loop {
        let before = scrape(app).await;
        for _ in 0..3 {
            app.get(&format!("/api/v1/articles/slug/{slug}"), None)
                .await;
        }
        let hits = sample(&scrape(app).await, HITS) - sample(&before, HITS);
        if hits >= 2.0 {
            break;
        }
        rounds += 1;
        assert!(rounds < 20, "no cache hits counted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !after.contains(&slug) && !after.contains(&article),
        "series are named by route template, not by the URL's values"
    );
    // This app's own pool and database.
    assert_eq!(sample(&after, "newsdesk_db_pool_max_connections"), 4.0);
    assert!(sample(&after, "newsdesk_db_pool_wait_seconds_count") > 0.0);
    assert_eq!(sample(&after, "newsdesk_database_up"), 1.0);
    assert!(sample(&after, "newsdesk_read_cache_entries") >= 1.0);
    assert!(sample(&after, "process_resident_memory_bytes") > 1_000_000.0);

    // An upload and a rendition made for the first request of it.
    let created = r#"newsdesk_media_uploads_total{outcome="created"}"#;
    let before = scrape(app).await;
    let bytes = jpeg_bytes(400, 300);
    let len = bytes.len() as f64;
    let res = upload(app, token, "ferry.jpg", "image/jpeg", bytes, None).await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let res = app
        .get(&format!("{location}/renditions/320.webp"), None)
        .await;
    assert_eq!(res.status(), 200);
    let after = scrape(app).await;
    assert!(sample(&after, created) - sample(&before, created) >= 1.0);
    assert!(
        sample(&after, "newsdesk_media_upload_bytes_total")
            - sample(&before, "newsdesk_media_upload_bytes_total")
            >= len
    );
    assert!(
        sample(&after, "newsdesk_media_renditions_total")
            - sample(&before, "newsdesk_media_renditions_total")
            >= 1.0
    );

    // A webhook: the endpoint is counted, and its delivery's outcome.
    let delivered = r#"newsdesk_webhook_attempts_total{outcome="delivered"}"#;
    let before = sample(&scrape(app).await, delivered);
    let receiver = Receiver::start();
    register(
        app,
        &admin.access_token,
        &receiver.url,
        json!(["article.*"]),
    )
    .await;
    let text = scrape(app).await;
    assert_eq!(
        sample(&text, r#"newsdesk_webhook_endpoints{state="enabled"}"#),
        1.0
    );
    let second = draft(
        app,
        token,
        json!({"headline": "Ferries counted again", "section_id": desk}),
    )
    .await;
    publish(app, token, &second, json!({})).await;
    receiver
        .wait_until("a delivery", Duration::from_secs(20), |got| !got.is_empty())
        .await;
    until(app, delivered, |v| v > before).await;
    until(app, "newsdesk_webhook_deliveries_pending", |v| v == 0.0).await;
}

with_settings!(with_token, counters_follow_the_work, |s| {
    s.metrics.token = Some(newsdesk::config::Secret::new(TOKEN));
});

/// Without a token or a metrics address the API's port serves no metrics;
/// with `NEWSDESK_METRICS_BIND`, a separate listener serves them alone.
async fn served_where_configured(app: &TestApp) {
    let res = app.get("/metrics", None).await;
    let problem = assert_problem(res, 404).await;
    assert!(problem.to_string().contains("NEWSDESK_METRICS_BIND"));

    let mut settings = app.settings.clone();
    settings.metrics.bind = Some("127.0.0.1:0".into());
    let pool = newsdesk::db::pool(&settings.database_url, settings.db_pool_size).expect("pool");
    let server = Application::build(&settings, pool).expect("build");
    let api = format!("http://127.0.0.1:{}", server.port());
    let metrics = format!(
        "http://127.0.0.1:{}",
        server.metrics_port().expect("a metrics port")
    );
    tokio::spawn(server.run_until_stopped());

    let res = app
        .client
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("text");
    assert!(text.contains("newsdesk_http_request_duration_seconds_count"));
    assert_eq!(sample(&text, "newsdesk_database_up"), 1.0);
    // The metrics address serves nothing else, and the API port no metrics.
    let res = app
        .client
        .get(format!("{metrics}/api/v1/articles"))
        .send()
        .await
        .expect("get");
    assert_problem(res, 404).await;
    let res = app
        .client
        .get(format!("{api}/metrics"))
        .send()
        .await
        .expect("get");
    assert_problem(res, 404).await;
}

both_backends!(served_where_configured);
