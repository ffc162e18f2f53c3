//! Webhooks: admins register endpoints; every event of the types they name
//! reaches them signed (Standard Webhooks), in order, retried on the
//! schedule, and never to an address inside the network unless allowed.

use std::time::Duration;

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::events::{created_id, draft, publish, section};
use crate::helpers::{assert_problem, error_fields, TestApp};
use crate::receiver::{Received, Receiver};
use crate::{both_backends, with_settings};

const WAIT: Duration = Duration::from_secs(20);

/// Registers an endpoint; its id and secret.
pub async fn register(app: &TestApp, token: &str, url: &str, types: Value) -> (String, String) {
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(token),
            &json!({"url": url, "event_types": types, "description": "test receiver"}),
        )
        .await;
    assert_eq!(res.status(), 201, "register a webhook");
    let body: Value = res.json().await.expect("json");
    let secret = body["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));
    (body["id"].as_str().expect("id").to_string(), secret)
}

/// An endpoint as admins read it.
async fn endpoint(app: &TestApp, token: &str, webhook: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/webhooks/{webhook}"), Some(token))
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

/// Waits until the server has disabled the endpoint; the endpoint then.
async fn until_disabled(app: &TestApp, token: &str, webhook: &str) -> Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = endpoint(app, token, webhook).await;
        if shown["enabled"] == false {
            return shown;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not disabled: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn positions(got: &[Received]) -> Vec<i64> {
    got.iter()
        .filter_map(|r| r.json["data"]["position"].as_i64())
        .collect()
}

async fn deliveries(app: &TestApp, token: &str, webhook: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries?limit=100"),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.expect("json");
    page["data"].as_array().cloned().unwrap_or_default()
}

/// Events reach the endpoint signed, once each, in the order of the feed,
/// filtered by the types it names; the secret is shown only on creation.
async fn events_arrive_signed_and_in_order(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let receiver = Receiver::start();
    let (webhook, secret) = register(
        app,
        token,
        &receiver.url,
        json!(["article.*", "section.created"]),
    )
    .await;
    let shown = endpoint(app, token, &webhook).await;
    assert!(shown.get("secret").is_none(), "the secret is shown once");
    assert_eq!(
        shown["event_types"],
        json!(["article.*", "section.created"])
    );

    let section = section(app, token, "Docks").await;
    let article = draft(
        app,
        token,
        json!({"headline": "Cranes idle", "section_id": section}),
    )
    .await;
    publish(app, token, &article, json!({})).await;
    // Not subscribed: no delivery.
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/sections/{section}"),
            Some(token),
            &json!({"description": "The port and its people"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A refused write leaves no event, so nothing to deliver.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(token),
            &json!({"name": ""}),
        )
        .await;
    assert_eq!(res.status(), 422);

    receiver
        .wait_until("three deliveries", WAIT, |got| got.len() >= 3)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received();
    assert_eq!(
        got.iter().map(Received::kind).collect::<Vec<_>>(),
        ["section.created", "article.created", "article.published"]
    );
    let mut sorted = positions(&got);
    sorted.sort_unstable();
    assert_eq!(positions(&got), sorted, "event order");
    for r in &got {
        assert!(r.signed_by(&secret), "signature of {}", r.body);
        assert!(!r.signed_by("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
        assert_eq!(r.path, "/hooks");
        assert!(r.json["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "one webhook-id per event");
    assert_eq!(got[2].json["data"]["article_id"], article.as_str());
    assert_eq!(got[2].json["data"]["status"], "published");
    assert!(got[2].json["data"]["surrogate_keys"]
        .as_str()
        .is_some_and(|k| k.contains(&format!("article:{article}"))));

    let log = deliveries(app, token, &webhook).await;
    assert_eq!(log.len(), 3);
    assert!(log
        .iter()
        .all(|d| d["status"] == "succeeded" && d["attempts"] == 1));
    assert!(log.iter().all(|d| d["response_status"] == 200));
    // Newest first, and each names its webhook-id.
    assert_eq!(log[0]["id"], got[2].id.as_str());

    // Admins only.
    let editor = app.user(Role::Editor).await;
    let res = app
        .get("/api/v1/webhooks", Some(&editor.access_token))
        .await;
    assert_problem(res, 403).await;
    let res = app.get("/api/v1/webhooks", None).await;
    assert_problem(res, 401).await;
    let list: Value = app
        .get("/api/v1/webhooks", Some(token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
}

/// After a rotation both secrets sign for a day; a ping is signed too and
/// answered synchronously with its attempt.
async fn rotated_secrets_sign_beside_the_old_one(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let receiver = Receiver::start();
    let (webhook, old) = register(app, token, &receiver.url, json!(["*"])).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/webhooks/{webhook}/rotate-secret"),
            Some(token),
        )
        .send()
        .await
        .expect("rotate");
    assert_eq!(res.status(), 200);
    let rotated: Value = res.json().await.expect("json");
    let new = rotated["secret"].as_str().expect("secret").to_string();
    assert_ne!(new, old);
    let expires = chrono::DateTime::parse_from_rfc3339(
        rotated["previous_secret_expires_at"]
            .as_str()
            .expect("expiry"),
    )
    .expect("time");
    let hours = (expires.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours} minutes");

    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/webhooks/{webhook}/ping"),
            Some(token),
        )
        .send()
        .await
        .expect("ping");
    assert_eq!(res.status(), 200);
    let attempt: Value = res.json().await.expect("json");
    assert_eq!(attempt["status"], "succeeded");
    assert_eq!(attempt["event_type"], "webhook.ping");
    assert_eq!(attempt["response_status"], 200);
    assert_eq!(attempt["response_body"], "answered 200");
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind(), "webhook.ping");
    assert_eq!(got[0].id, attempt["id"].as_str().unwrap_or(""));
    assert_eq!(
        got[0].signature.split(' ').count(),
        2,
        "{}",
        got[0].signature
    );
    assert!(got[0].signed_by(&new), "the new secret signs");
    assert!(got[0].signed_by(&old), "the old secret still signs");

    // A replay sends the same id and body, freshly signed.
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/webhooks/{webhook}/deliveries/{}/retry", got[0].id),
            Some(token),
        )
        .send()
        .await
        .expect("retry");
    assert_eq!(res.status(), 200);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id, got[0].id);
    assert_eq!(got[1].body, got[0].body);
    assert!(got[1].signed_by(&new));
}

/// A failing receiver gets the delivery again on the schedule (shortened
/// here to 1 s, 1 s), later events wait behind it so the order holds, the
/// delivery fails after the last retry, and a 410 disables the endpoint.
async fn retries_follow_the_schedule_and_410_disables(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let receiver = Receiver::start();
    receiver.answer(503);
    let (webhook, secret) = register(app, token, &receiver.url, json!(["section.*"])).await;
    let first = section(app, token, "Weather").await;
    receiver
        .wait_until("a first attempt", WAIT, |got| !got.is_empty())
        .await;
    let second = section(app, token, "Tides").await;
    // Two failed attempts of the first event, one second apart; the second
    // event waits behind it.
    let got = receiver
        .wait_until("two attempts", WAIT, |got| got.len() >= 2)
        .await;
    assert!(got
        .iter()
        .take(2)
        .all(|r| r.json["data"]["resource_id"] == first.as_str()));
    assert_eq!(got[0].id, got[1].id, "a retry keeps its webhook-id");
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(900), "retried after {gap:?}");
    receiver.answer(200);
    let got = receiver
        .wait_until("both sections accepted", WAIT, |got| {
            got.iter().filter(|r| r.answered == 200).count() >= 2
        })
        .await;
    let accepted: Vec<&Received> = got.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(accepted[0].json["data"]["resource_id"], first.as_str());
    assert_eq!(accepted[1].json["data"]["resource_id"], second.as_str());
    assert!(accepted.iter().all(|r| r.signed_by(&secret)));
    let log = deliveries(app, token, &webhook).await;
    let first_delivery = log
        .iter()
        .find(|d| d["payload"]["data"]["resource_id"] == first.as_str())
        .expect("logged");
    assert!(first_delivery["attempts"].as_i64() >= Some(3));
    assert_eq!(first_delivery["status"], "succeeded");

    // Every attempt fails: after the schedule (1 s, 1 s) the delivery fails
    // and the queue moves on.
    receiver.answer(500);
    let before = receiver.received().len();
    let third = section(app, token, "Rivers").await;
    receiver
        .wait_until("three attempts", WAIT, |got| got.len() >= before + 3)
        .await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let log = deliveries(app, token, &webhook).await;
        let d = log
            .iter()
            .find(|d| d["payload"]["data"]["resource_id"] == third.as_str())
            .cloned()
            .unwrap_or_default();
        if d["status"] == "failed" {
            assert_eq!(d["attempts"], 3);
            assert_eq!(d["response_status"], 500);
            assert_eq!(d["response_body"], "answered 500");
            assert_eq!(d["next_attempt_at"], Value::Null);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never failed: {d}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed: Value = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries?status=failed"),
            Some(token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(failed["data"].as_array().map(Vec::len), Some(1));
    let shown = endpoint(app, token, &webhook).await;
    assert!(shown["failing_since"].is_string());
    assert_eq!(shown["enabled"], true);

    // 410: the receiver wants no more; the endpoint is disabled with why.
    receiver.answer(410);
    section(app, token, "Lakes").await;
    let shown = until_disabled(app, token, &webhook).await;
    assert!(shown["disabled_reason"]
        .as_str()
        .is_some_and(|r| r.contains("410")));
    let attempts = receiver.received().len();
    section(app, token, "Seas").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.received().len(),
        attempts,
        "a disabled endpoint gets nothing"
    );
    // Enabled again, it resumes with what it missed.
    receiver.answer(204);
    let version = shown["version"].as_i64().expect("version");
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/webhooks/{webhook}"),
            Some(token),
        )
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .expect("enable");
    assert_eq!(res.status(), 200);
    let enabled: Value = res.json().await.expect("json");
    assert_eq!(enabled["disabled_reason"], Value::Null);
    receiver
        .wait_until("the missed section", WAIT, |got| {
            got.iter()
                .any(|r| r.answered == 204 && r.json["type"] == "section.created")
        })
        .await;
}

/// An endpoint whose every attempt has failed for longer than the setting
/// (two seconds here, five days by default) is disabled, with the reason,
/// and a later success would have cleared `failing_since`.
async fn endpoints_failing_for_long_are_disabled(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let receiver = Receiver::start();
    receiver.answer(500);
    let (webhook, _) = register(app, token, &receiver.url, json!(["section.*"])).await;
    section(app, token, "Fog").await;
    let shown = until_disabled(app, token, &webhook).await;
    assert!(
        shown["disabled_reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("every delivery attempt failed since")),
        "{shown}"
    );
    assert!(shown["failing_since"].is_string());
    let attempts = receiver.received().len();
    assert!(attempts >= 3, "{attempts} attempts before it was disabled");
    // The delivery stays pending: enabling the endpoint resumes it.
    let log = deliveries(app, token, &webhook).await;
    assert_eq!(log[0]["status"], "pending");
    receiver.answer(200);
    let version = shown["version"].as_i64().expect("version");
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/webhooks/{webhook}"),
            Some(token),
        )
        .header("if-match", format!("\"{version}\""))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .expect("enable");
    assert_eq!(res.status(), 200);
    receiver
        .wait_until("the resumed delivery", WAIT, |got| {
            got.iter().any(|r| r.answered == 200)
        })
        .await;
    let shown = endpoint(app, token, &webhook).await;
    assert_eq!(shown["failing_since"], Value::Null);
    assert_eq!(shown["enabled"], true);
}

/// URLs inside the network are refused (SSRF), as are other schemes, and
/// redirects are not followed.
async fn private_addresses_are_refused(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.8/",
        "http://[::1]/",
        "ftp://example.com/",
    ] {
        let res = app
            .send_json(
                Method::POST,
                "/api/v1/webhooks",
                Some(token),
                &json!({"url": url, "event_types": ["*"]}),
            )
            .await;
        let problem = assert_problem(res, 422).await;
        assert_eq!(error_fields(&problem), ["url"], "{url}");
    }
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(token),
            &json!({"url": "https://hooks.example.com/x", "event_types": ["article.shredded"]}),
        )
        .await;
    let problem = assert_problem(res, 422).await;
    assert_eq!(error_fields(&problem), ["event_types[0]"]);
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/webhooks",
            Some(token),
            &json!({"url": "https://hooks.example.com/x", "event_types": []}),
        )
        .await;
    assert_problem(res, 422).await;
}

/// With private addresses allowed (as tests need), a redirect answer is a
/// failed attempt: the CMS does not follow it elsewhere.
async fn redirects_are_not_followed(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let receiver = Receiver::start();
    receiver.answer(307);
    let (webhook, _) = register(app, token, &receiver.url, json!(["*"])).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/webhooks/{webhook}/ping"),
            Some(token),
        )
        .send()
        .await
        .expect("ping");
    let attempt: Value = res.json().await.expect("json");
    assert_eq!(attempt["status"], "failed");
    assert_eq!(attempt["response_status"], 307);
    let got = receiver.received();
    assert_eq!(got.len(), 1, "the redirect was not followed");
    assert_eq!(got[0].path, "/hooks");
}

/// Two servers on one database with one endpoint: each event arrives once,
/// and a scheduled publication is announced once, with no request made.
async fn two_servers_deliver_each_event_once(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let other = app.another_server();
    let receiver = Receiver::start();
    let (_, secret) = register(app, token, &receiver.url, json!(["*"])).await;
    let section = section(app, token, "Markets").await;
    let mut articles = Vec::new();
    for i in 0..6 {
        let base = if i % 2 == 0 {
            app.address.clone()
        } else {
            other.clone()
        };
        let res = app
            .client
            .post(format!("{base}/api/v1/articles"))
            .bearer_auth(token)
            .json(&json!({"headline": format!("Stall {i} opens"), "section_id": section}))
            .send()
            .await
            .expect("create");
        articles.push(created_id(res).await);
    }
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    publish(app, token, &articles[0], json!({"at": at})).await;
    // section.created, 6 × article.created, article.updated (scheduled: the
    // write's event), then the scheduler's article.published at its time.
    receiver
        .wait_until("every event", WAIT, |got| {
            got.iter().any(|r| r.kind() == "article.published")
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.received();
    assert_eq!(
        got.len(),
        9,
        "{:?}",
        got.iter().map(Received::kind).collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "no event was delivered twice");
    let mut sorted = positions(&got);
    sorted.sort_unstable();
    assert_eq!(positions(&got), sorted, "event order");
    assert!(got.iter().all(|r| r.signed_by(&secret)));
    let published: Vec<&Received> = got
        .iter()
        .filter(|r| r.kind() == "article.published")
        .collect();
    assert_eq!(published.len(), 1, "announced once");
    assert_eq!(published[0].json["data"]["status"], "published");
    assert_eq!(
        published[0].json["data"]["article_id"],
        articles[0].as_str()
    );
}

both_backends!(
    events_arrive_signed_and_in_order,
    rotated_secrets_sign_beside_the_old_one,
    redirects_are_not_followed,
    two_servers_deliver_each_event_once,
);
with_settings!(
    short_schedule,
    retries_follow_the_schedule_and_410_disables,
    |s| s.webhooks.retry_schedule = vec![chrono::Duration::seconds(1); 2]
);
with_settings!(no_private_addresses, private_addresses_are_refused, |s| s
    .webhooks
    .allow_private =
    false);
with_settings!(
    failing_for_long,
    endpoints_failing_for_long_are_disabled,
    |s| {
        s.webhooks.retry_schedule = vec![chrono::Duration::milliseconds(500); 20];
        s.webhooks.disable_after = chrono::Duration::seconds(2);
    }
);
