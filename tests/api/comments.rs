//! Reader comments: threads, posting rules, edits and deletion, moderation,
//! bans, flags, safe bodies and exact counts under concurrency.

use chrono::{Duration, Utc};
use diesel::RunQueryDsl;
use futures_util::future::join_all;
use newsdesk::auth::role::Role;
use newsdesk::db::DbConn;
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp, TestUser};

/// A published article with this comment policy, in a fresh section.
async fn article(
    app: &TestApp,
    editor: &str,
    policy: &str,
    published_at: Option<String>,
) -> String {
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/sections",
            Some(editor),
            &json!({"name": format!("Section {}", uuid::Uuid::now_v7().simple())}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let section = res.json::<Value>().await.expect("json")["id"].clone();
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/articles",
            Some(editor),
            &json!({"headline": format!("Council votes on the new bridge {}", uuid::Uuid::now_v7().simple()),
                    "section_id": section, "comments_policy": policy}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let body = published_at
        .map(|at| json!({"at": at}))
        .unwrap_or(json!({}));
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{id}/publish"),
            Some(editor),
            &body,
        )
        .await;
    assert_eq!(res.status(), 200, "publish");
    id
}

async fn post(
    app: &TestApp,
    token: &str,
    article: &str,
    body: &str,
    parent: Option<&str>,
) -> Response {
    app.send_json(
        Method::POST,
        &format!("/api/v1/articles/{article}/comments"),
        Some(token),
        &json!({"body": body, "parent_id": parent}),
    )
    .await
}

/// Posts and expects 201; returns the comment.
async fn posted(
    app: &TestApp,
    token: &str,
    article: &str,
    body: &str,
    parent: Option<&str>,
) -> Value {
    let res = post(app, token, article, body, parent).await;
    assert_eq!(res.status(), 201, "post {body:?}");
    assert!(res.headers().get("location").is_some());
    res.json().await.expect("json")
}

async fn moderate(app: &TestApp, editor: &str, comment: &str, status: &str, reason: &str) -> Value {
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/comments/{comment}/moderation"),
            Some(editor),
            &json!({"status": status, "reason": reason}),
        )
        .await;
    assert_eq!(res.status(), 200, "moderate {status}");
    res.json().await.expect("json")
}

async fn thread_list(app: &TestApp, article: &str, query: &str, token: Option<&str>) -> Value {
    let res = app
        .get(
            &format!("/api/v1/articles/{article}/comments{query}"),
            token,
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn comment_count(app: &TestApp, article: &str) -> i64 {
    let res = app.get(&format!("/api/v1/articles/{article}"), None).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.expect("json")["comment_count"]
        .as_i64()
        .expect("comment_count")
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or("").to_string()
}

/// Every comment id in a page of threads, at any depth.
fn ids_in(list: &Value) -> Vec<String> {
    fn walk(c: &Value, out: &mut Vec<String>) {
        out.push(id_of(c));
        for r in c["replies"].as_array().into_iter().flatten() {
            walk(r, out);
        }
    }
    let mut out = Vec::new();
    for c in list["data"].as_array().into_iter().flatten() {
        walk(c, &mut out);
    }
    out
}

/// Runs SQL on the test database (to move timestamps into the past).
fn sql(app: &TestApp, statement: &str) {
    let mut conn = app.pool.get().expect("connection");
    let n = match &mut **conn {
        DbConn::Sqlite(c) => diesel::sql_query(statement).execute(c),
        DbConn::Postgres(c) => diesel::sql_query(statement).execute(c),
    }
    .expect("sql");
    assert!(n > 0, "no row changed by {statement}");
}

async fn threads_nest_page_and_hide_what_readers_may_not_see(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let ed = editor.access_token.as_str();
    let alice = app.user(Role::Reader).await;
    let bob = app.user(Role::Reader).await;
    let carol = app.user(Role::Reader).await;

    // Moderated: a reader's comment waits, seen by its author alone.
    let moderated = article(app, ed, "moderated", None).await;
    let c1 = posted(
        app,
        &alice.access_token,
        &moderated,
        "Which bridge is meant?",
        None,
    )
    .await;
    assert_eq!(c1["status"], "pending");
    assert_eq!(c1["body_html"], "<p>Which bridge is meant?</p>");
    assert!(thread_list(app, &moderated, "", None).await["data"]
        .as_array()
        .expect("data")
        .is_empty());
    assert!(
        thread_list(app, &moderated, "", Some(&bob.access_token)).await["data"]
            .as_array()
            .expect("data")
            .is_empty()
    );
    let own = thread_list(app, &moderated, "", Some(&alice.access_token)).await;
    assert_eq!(own["data"][0]["status"], "pending");
    assert_eq!(comment_count(app, &moderated).await, 0);
    let res = app
        .get(&format!("/api/v1/comments/{}", id_of(&c1)), None)
        .await;
    assert_problem(res, 404).await;
    // Nobody else can answer a comment they cannot see.
    let res = post(
        app,
        &bob.access_token,
        &moderated,
        "Me too",
        Some(&id_of(&c1)),
    )
    .await;
    // A parent this reader cannot see is no parent they can name (404,
    // naming the field): it does not tell them the comment exists.
    assert_eq!(error_fields(&assert_problem(res, 404).await), ["parent_id"]);

    moderate(app, ed, &id_of(&c1), "approved", "fine").await;
    assert_eq!(comment_count(app, &moderated).await, 1);
    let public = thread_list(app, &moderated, "", None).await;
    assert_eq!(public["data"][0]["status"], "approved");
    assert_eq!(public["data"][0]["author"]["display_name"], "Test User");
    // A pending reply shows to its author only; a reply marked spam to nobody.
    let pending_reply = posted(
        app,
        &bob.access_token,
        &moderated,
        "Pending reply",
        Some(&id_of(&c1)),
    )
    .await;
    assert_eq!(pending_reply["status"], "pending");
    let spam_reply = posted(
        app,
        &carol.access_token,
        &moderated,
        "Cheap pills",
        Some(&id_of(&c1)),
    )
    .await;
    moderate(app, ed, &id_of(&spam_reply), "spam", "advertising").await;
    for token in [
        None,
        Some(alice.access_token.as_str()),
        Some(carol.access_token.as_str()),
    ] {
        let list = thread_list(app, &moderated, "", token).await;
        assert_eq!(ids_in(&list), [id_of(&c1)], "as {token:?}");
        assert_eq!(list["data"][0]["reply_count"], 0);
    }
    let own = thread_list(app, &moderated, "", Some(&bob.access_token)).await;
    assert_eq!(ids_in(&own), [id_of(&c1), id_of(&pending_reply)]);
    assert_eq!(own["data"][0]["replies"][0]["status"], "pending");
    assert_eq!(comment_count(app, &moderated).await, 1);

    // Open: comments appear at once; replies nest to depth 3, deeper ones
    // hang at depth 3 beside the comment they answer.
    let open = article(app, ed, "open", None).await;
    let top = posted(app, &alice.access_token, &open, "First!", None).await;
    assert_eq!(top["status"], "approved");
    let r1 = posted(
        app,
        &bob.access_token,
        &open,
        "Reply one",
        Some(&id_of(&top)),
    )
    .await;
    let r2 = posted(
        app,
        &carol.access_token,
        &open,
        "Reply two",
        Some(&id_of(&r1)),
    )
    .await;
    let r3 = posted(
        app,
        &alice.access_token,
        &open,
        "Reply three",
        Some(&id_of(&r2)),
    )
    .await;
    let r4 = posted(
        app,
        &bob.access_token,
        &open,
        "Reply four",
        Some(&id_of(&r3)),
    )
    .await;
    assert_eq!(
        [
            r1["depth"].clone(),
            r2["depth"].clone(),
            r3["depth"].clone()
        ],
        [1, 2, 3]
    );
    assert_eq!(r4["depth"], 3);
    assert_eq!(r4["parent_id"], r3["parent_id"]);
    assert_eq!(r4["reply_to_id"], json!(id_of(&r3)));
    let second = posted(app, &carol.access_token, &open, "Second thread", None).await;
    let third = posted(app, &carol.access_token, &open, "Third thread", None).await;
    assert_eq!(comment_count(app, &open).await, 7);

    let page = thread_list(app, &open, "?limit=2", None).await;
    let tops: Vec<String> = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(tops, [id_of(&top), id_of(&second)]);
    assert_eq!(page["data"][0]["reply_count"], 4);
    let nested = &page["data"][0]["replies"][0]["replies"][0]["replies"];
    let deepest: Vec<String> = nested
        .as_array()
        .expect("depth 3")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(deepest, [id_of(&r3), id_of(&r4)]);
    let cursor = page["meta"]["next_cursor"].as_str().expect("next page");
    let rest = thread_list(app, &open, &format!("?limit=2&cursor={cursor}"), None).await;
    assert_eq!(ids_in(&rest), [id_of(&third)]);
    assert!(rest["meta"]["next_cursor"].is_null());
    let newest = thread_list(app, &open, "?sort=-created_at", None).await;
    let order: Vec<String> = newest["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(order, [id_of(&third), id_of(&second), id_of(&top)]);
    let res = app
        .get(
            &format!("/api/v1/articles/{open}/comments?sort=votes"),
            None,
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 400).await), ["sort"]);

    // A parent from another article is no parent here.
    let res = post(app, &alice.access_token, &open, "Lost", Some(&id_of(&c1))).await;
    assert_eq!(error_fields(&assert_problem(res, 404).await), ["parent_id"]);

    // A rejected comment with replies stays as a bodiless placeholder.
    moderate(app, ed, &id_of(&r1), "rejected", "off topic").await;
    assert_eq!(comment_count(app, &open).await, 6);
    let page = thread_list(app, &open, "?limit=1", None).await;
    let placeholder = &page["data"][0]["replies"][0];
    assert_eq!(placeholder["status"], "removed");
    assert!(placeholder["body"].is_null() && placeholder["author"].is_null());
    assert!(!page.to_string().contains("Reply one"));
    assert_eq!(page["data"][0]["reply_count"], 3);

    // Lists of articles carry the same counts.
    let res = app.get("/api/v1/articles?limit=100", None).await;
    let list: Value = res.json().await.expect("json");
    let counts: Vec<(String, i64)> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| (id_of(a), a["comment_count"].as_i64().unwrap_or(-1)))
        .collect();
    assert!(counts.contains(&(open.clone(), 6)), "{counts:?}");
    assert!(counts.contains(&(moderated.clone(), 1)), "{counts:?}");

    // A hidden article hides its discussion: 404 for a draft, 410 once withdrawn.
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{open}/withdraw"),
            Some(ed),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_problem(
        app.get(&format!("/api/v1/articles/{open}/comments"), None)
            .await,
        410,
    )
    .await;
    assert_problem(
        post(app, &alice.access_token, &open, "Still there?", None).await,
        410,
    )
    .await;
    let res = app
        .get(&format!("/api/v1/comments/{}", id_of(&top)), None)
        .await;
    assert_problem(res, 404).await;
}

async fn posting_rules_refuse_clearly(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let ed = editor.access_token.as_str();
    let reader = app.user(Role::Reader).await;
    let token = reader.access_token.as_str();
    let open = article(app, ed, "open", None).await;

    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{open}/comments"),
            None,
            &json!({"body": "hi"}),
        )
        .await;
    assert_problem(res, 401).await;
    for bad in [json!({"body": "   "}), json!({"body": "x".repeat(5001)})] {
        let res = app
            .send_json(
                Method::POST,
                &format!("/api/v1/articles/{open}/comments"),
                Some(token),
                &bad,
            )
            .await;
        assert_eq!(error_fields(&assert_problem(res, 422).await), ["body"]);
    }
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{open}/comments"),
            Some(token),
            &json!({"body": "hi", "rating": 5}),
        )
        .await;
    assert!(res.status() == 400 || res.status() == 422);

    // The same text twice within a minute is a conflict, not a second comment.
    posted(app, token, &open, "Good reporting.", None).await;
    let res = post(app, token, &open, "Good reporting.", None).await;
    assert_problem(res, 409).await;
    // Five a minute, then 429 with Retry-After.
    for i in 0..4 {
        posted(app, token, &open, &format!("Point number {i}"), None).await;
    }
    let res = post(app, token, &open, "One too many", None).await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry));
    assert_problem(res, 429).await;
    assert_eq!(comment_count(app, &open).await, 5);

    let other = app.user(Role::Reader).await;
    let closed = article(app, ed, "closed", None).await;
    let problem = assert_problem(
        post(app, &other.access_token, &closed, "Hello", None).await,
        403,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("closed"));
    let old = article(
        app,
        ed,
        "open",
        Some((Utc::now() - Duration::days(60)).to_rfc3339()),
    )
    .await;
    let problem = assert_problem(
        post(app, &other.access_token, &old, "Hello", None).await,
        403,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("30 days"));
    let res = app
        .send_json(Method::POST, "/api/v1/articles", Some(ed), &json!({"headline": "Unpublished", "section_id": app.get(&format!("/api/v1/articles/{open}"), None).await.json::<Value>().await.expect("json")["section"]["id"]}))
        .await;
    let draft = id_of(&res.json::<Value>().await.expect("json"));
    assert_problem(
        post(app, &other.access_token, &draft, "Hello", None).await,
        404,
    )
    .await;
    // Who can see the draft learns why: it is not published yet.
    let problem = assert_problem(post(app, ed, &draft, "Hello", None).await, 409).await;
    assert_eq!(problem["type"], "/problems/state-conflict");
    assert_eq!(problem["errors"][0]["field"], "article_id");
    assert_problem(
        app.get(&format!("/api/v1/articles/{draft}/comments"), None)
            .await,
        404,
    )
    .await;
    assert_problem(
        post(app, &other.access_token, "no-such-article", "Hello", None).await,
        404,
    )
    .await;
    assert_eq!(comment_count(app, &closed).await, 0);
    assert_eq!(comment_count(app, &old).await, 0);
}

async fn authors_edit_in_time_and_deletions_keep_threads(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let ed = editor.access_token.as_str();
    let alice = app.user(Role::Reader).await;
    let bob = app.user(Role::Reader).await;
    let open = article(app, ed, "open", None).await;
    let top = posted(
        app,
        &alice.access_token,
        &open,
        "The vote was 12 to 9.",
        None,
    )
    .await;
    let reply = posted(
        app,
        &bob.access_token,
        &open,
        "It was 12 to 8.",
        Some(&id_of(&top)),
    )
    .await;
    let path = format!("/api/v1/comments/{}", id_of(&top));

    let res = app
        .request(Method::PATCH, &path, Some(&alice.access_token))
        .header("If-Match", "\"1\"")
        .json(&json!({"body": "The vote was 12 to 8."}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let edited: Value = res.json().await.expect("json");
    assert_eq!(edited["body"], "The vote was 12 to 8.");
    assert!(edited["edited_at"].is_string());
    let res = app
        .request(Method::PATCH, &path, Some(&alice.access_token))
        .header("If-Match", "\"1\"")
        .json(&json!({"body": "Stale"}))
        .send()
        .await
        .expect("request");
    assert_problem(res, 412).await;
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&bob.access_token),
            &json!({"body": "Not mine"}),
        )
        .await;
    assert_problem(res, 403).await;
    sql(
        app,
        &format!(
            "UPDATE comments SET created_at = '2020-01-01 00:00:00' WHERE id = '{}'",
            id_of(&top)
        ),
    );
    let res = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&alice.access_token),
            &json!({"body": "Too late"}),
        )
        .await;
    let problem = assert_problem(res, 403).await;
    assert!(problem["detail"]
        .as_str()
        .unwrap_or("")
        .contains("15 minutes"));

    // Under moderation, an edit sends approved text back to the queue.
    let moderated = article(app, ed, "moderated", None).await;
    let c = posted(app, &alice.access_token, &moderated, "Nice photo.", None).await;
    moderate(app, ed, &id_of(&c), "approved", "ok").await;
    assert_eq!(comment_count(app, &moderated).await, 1);
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/comments/{}", id_of(&c)),
            Some(&alice.access_token),
            &json!({"body": "Buy cheap watches"}),
        )
        .await;
    assert_eq!(
        res.json::<Value>().await.expect("json")["status"],
        "pending"
    );
    assert_eq!(comment_count(app, &moderated).await, 0);
    let log: Value = app
        .get(
            &format!("/api/v1/comments/{}/moderation", id_of(&c)),
            Some(ed),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(log["data"][1]["to_status"], "pending");
    assert!(log["data"][1]["moderator"].is_null());

    // Deleting: with replies it stays as a placeholder, without it is gone.
    assert_eq!(comment_count(app, &open).await, 2);
    let res = app
        .request(Method::DELETE, &path, Some(&bob.access_token))
        .send()
        .await
        .expect("request");
    assert_problem(res, 403).await;
    let res = app
        .request(Method::DELETE, &path, Some(&alice.access_token))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert_eq!(comment_count(app, &open).await, 1);
    let list = thread_list(app, &open, "", None).await;
    assert_eq!(list["data"][0]["status"], "deleted");
    assert!(list["data"][0]["body"].is_null());
    assert!(!list.to_string().contains("The vote was"), "{list}");
    assert_eq!(list["data"][0]["replies"][0]["id"], reply["id"]);
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/comments/{}", id_of(&reply)),
            Some(&bob.access_token),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert!(thread_list(app, &open, "", None).await["data"]
        .as_array()
        .expect("data")
        .is_empty());
    assert_eq!(comment_count(app, &open).await, 0);
    // Moderators keep the text for the record.
    let queue: Value = app
        .get(
            &format!("/api/v1/comments?status=all&article={open}"),
            Some(ed),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(queue["data"].as_array().expect("data").len(), 2);
    assert!(queue["data"][0]["deleted_at"].is_string());
}

async fn moderation_bans_and_flags(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let editor = app.user(Role::Editor).await;
    let ed = editor.access_token.as_str();
    let author = app.user(Role::Author).await;
    let troll = app.user(Role::Reader).await;
    let readers: Vec<TestUser> = join_all((0..4).map(|_| app.user(Role::Reader))).await;
    let moderated = article(app, ed, "moderated", None).await;
    let first = posted(app, &troll.access_token, &moderated, "First pending", None).await;
    let second = posted(
        app,
        &readers[0].access_token,
        &moderated,
        "Second pending",
        None,
    )
    .await;

    // The queue: pending, oldest first; editors only.
    let res = app
        .get("/api/v1/comments", Some(&author.access_token))
        .await;
    assert_problem(res, 403).await;
    assert_problem(app.get("/api/v1/comments", None).await, 401).await;
    let queue: Value = app
        .get(&format!("/api/v1/comments?article={moderated}"), Some(ed))
        .await
        .json()
        .await
        .expect("json");
    let order: Vec<String> = queue["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(order, [id_of(&first), id_of(&second)]);
    let res = app.get("/api/v1/comments?status=deleted", Some(ed)).await;
    assert_eq!(error_fields(&assert_problem(res, 400).await), ["status"]);
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/comments/{}/moderation", id_of(&first)),
            Some(ed),
            &json!({"status": "burn"}),
        )
        .await;
    assert_eq!(error_fields(&assert_problem(res, 422).await), ["status"]);

    moderate(app, ed, &id_of(&first), "spam", "link farm").await;
    moderate(app, ed, &id_of(&second), "approved", "").await;
    let log: Value = app
        .get(
            &format!("/api/v1/comments/{}/moderation", id_of(&first)),
            Some(ed),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(log["data"][0]["from_status"], "pending");
    assert_eq!(log["data"][0]["to_status"], "spam");
    assert_eq!(log["data"][0]["reason"], "link farm");
    assert_eq!(log["data"][0]["moderator"]["id"], json!(editor.id));
    let queue: Value = app
        .get(
            &format!("/api/v1/comments?status=spam&user={}", troll.id),
            Some(ed),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(ids_in(&queue), [id_of(&first)]);

    // A ban stops new comments; hide_existing takes the old ones out of sight.
    let open = article(app, ed, "open", None).await;
    let visible = posted(app, &troll.access_token, &open, "Visible for now", None).await;
    let answer = posted(
        app,
        &readers[1].access_token,
        &open,
        "An answer",
        Some(&id_of(&visible)),
    )
    .await;
    assert_eq!(comment_count(app, &open).await, 2);
    let until = (Utc::now() + Duration::days(7)).to_rfc3339();
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", troll.id),
            Some(&admin.access_token),
            &json!({"comment_banned_until": until, "hide_existing": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let user: Value = res.json().await.expect("json");
    assert!(user["comment_banned_until"].is_string());
    assert_eq!(user["comments_hidden"], true);
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", troll.id),
            Some(ed),
            &json!({"hide_existing": false}),
        )
        .await;
    assert_problem(res, 403).await;
    let problem = assert_problem(
        post(app, &troll.access_token, &open, "Let me in", None).await,
        403,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("until"));
    assert_eq!(comment_count(app, &open).await, 1);
    let list = thread_list(app, &open, "", None).await;
    assert_eq!(list["data"][0]["status"], "removed");
    assert_eq!(list["data"][0]["replies"][0]["id"], answer["id"]);
    assert!(!list.to_string().contains("Visible for now"));
    let res = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{}", troll.id),
            Some(&admin.access_token),
            &json!({"comment_banned_until": null, "hide_existing": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(comment_count(app, &open).await, 2);
    posted(app, &troll.access_token, &open, "Back again", None).await;
    assert_eq!(comment_count(app, &open).await, 3);

    // Flags: once per reader, not on your own; at three it goes back to pending.
    let target = id_of(&visible);
    let flag = |token: String| {
        let path = format!("/api/v1/comments/{target}/flags");
        async move {
            app.send_json(
                Method::POST,
                &path,
                Some(&token),
                &json!({"reason": "abusive"}),
            )
            .await
        }
    };
    assert_eq!(flag(readers[0].access_token.clone()).await.status(), 201);
    assert_problem(flag(readers[0].access_token.clone()).await, 409).await;
    assert_problem(flag(troll.access_token.clone()).await, 403).await;
    assert_eq!(flag(readers[1].access_token.clone()).await.status(), 201);
    assert_eq!(comment_count(app, &open).await, 3);
    assert_eq!(flag(readers[2].access_token.clone()).await.status(), 201);
    assert_eq!(comment_count(app, &open).await, 2);
    let res = app.get(&format!("/api/v1/comments/{target}"), None).await;
    assert_problem(res, 404).await;
    assert_problem(flag(readers[3].access_token.clone()).await, 404).await;
    let log: Value = app
        .get(&format!("/api/v1/comments/{target}/moderation"), Some(ed))
        .await
        .json()
        .await
        .expect("json");
    let last = log["data"]
        .as_array()
        .expect("data")
        .last()
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["to_status"], "pending");
    assert!(last["moderator"].is_null());
    assert!(last["reason"].as_str().unwrap_or("").contains("3"));
    let restored = moderate(app, ed, &target, "approved", "fair criticism").await;
    assert_eq!(restored["flag_count"], 0);
    assert_eq!(comment_count(app, &open).await, 3);
}

async fn comment_bodies_never_become_markup(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let reader = app.user(Role::Reader).await;
    let open = article(app, &editor.access_token, "open", None).await;
    let nasty = "<script>alert('x')</script>\n<img src=x onerror=alert(1)>\n\
                 <a href=\"javascript:alert(1)\">click</a> javascript:alert(2) \
                 https://example.com/?q=<b>";
    let c = posted(app, &reader.access_token, &open, nasty, None).await;
    assert_eq!(c["body"], nasty);
    let list = thread_list(app, &open, "", None).await;
    let html = list["data"][0]["body_html"]
        .as_str()
        .expect("body_html")
        .to_lowercase();
    for forbidden in [
        "<script",
        "<img",
        "<a href=\"javascript",
        "onerror=alert(1)>",
    ] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }
    assert!(html.contains("&lt;script&gt;"));
    assert!(
        html.contains("<a href=\"https://example.com/?q=\" rel=\"nofollow ugc noopener\">"),
        "{html}"
    );
    // A megabyte of text is refused before anything is stored.
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{open}/comments"),
            Some(&reader.access_token),
            &json!({"body": "a".repeat(1024 * 1024)}),
        )
        .await;
    assert_problem(res, 413).await;
    assert_eq!(comment_count(app, &open).await, 1);
}

async fn concurrent_posting_and_moderation_keep_the_count_exact(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let ed = editor.access_token.as_str();
    let open = article(app, ed, "open", None).await;
    let first: Vec<TestUser> = join_all((0..10).map(|_| app.user(Role::Reader))).await;
    let earlier: Vec<Value> = join_all(
        first
            .iter()
            .map(|u| posted(app, &u.access_token, &open, "Earlier comment", None)),
    )
    .await;
    let posters: Vec<TestUser> = join_all((0..50).map(|_| app.user(Role::Reader))).await;
    // 50 readers post while an editor rejects the ten earlier comments.
    let bodies: Vec<String> = (0..posters.len())
        .map(|i| format!("Comment number {i}"))
        .collect();
    let paths: Vec<String> = earlier
        .iter()
        .map(|c| format!("/api/v1/comments/{}/moderation", id_of(c)))
        .collect();
    let reject = json!({"status": "rejected", "reason": "duplicate"});
    let posts = join_all(
        posters
            .iter()
            .zip(&bodies)
            .map(|(u, body)| post(app, &u.access_token, &open, body, None)),
    );
    let rejections = join_all(
        paths
            .iter()
            .map(|path| app.send_json(Method::POST, path, Some(ed), &reject)),
    );
    let (posts, rejections) = tokio::join!(posts, rejections);
    assert!(
        posts.iter().all(|r| r.status() == 201),
        "{:?}",
        posts.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    assert!(rejections.iter().all(|r| r.status() == 200));
    assert_eq!(comment_count(app, &open).await, 50);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = thread_list(app, &open, &format!("?limit=100&cursor={cursor}"), None).await;
        seen.extend(ids_in(&page));
        match page["meta"]["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 50);
}

async fn demo_has_threads_a_reply_chain_and_a_pending_comment(app: &TestApp) {
    let pool = app.pool.clone();
    let (articles, comments) = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        newsdesk::demo::load(&mut conn).expect("demo");
        let articles = newsdesk::demo::load_articles(&mut conn, "en").expect("articles");
        let comments = newsdesk::demo::load_comments(&mut conn, "en").expect("comments");
        // Loading again adds nothing.
        assert_eq!(
            newsdesk::demo::load_comments(&mut conn, "en").expect("again"),
            0
        );
        (articles, comments)
    })
    .await
    .expect("join");
    assert_eq!(articles, 13);
    assert_eq!(comments, 8);
    let res = app
        .get(
            "/api/v1/articles/slug/council-passes-budget-after-a-debate-that-ran-past-midnight",
            None,
        )
        .await;
    let article: Value = res.json().await.expect("json");
    assert_eq!(article["comment_count"], 5);
    let list = thread_list(app, &id_of(&article), "", None).await;
    let chain = &list["data"][0]["replies"][0]["replies"][0]["replies"][0];
    assert_eq!(chain["depth"], 3);
    assert_eq!(list["data"].as_array().expect("data").len(), 2);
    let editor = app.user(Role::Editor).await;
    let queue: Value = app
        .get(
            &format!("/api/v1/comments?article={}", id_of(&article)),
            Some(&editor.access_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(queue["data"].as_array().expect("data").len(), 1);
    assert_eq!(queue["data"][0]["status"], "pending");
}

async fn readers_flagging_at_once_all_count(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let writer = app.user(Role::Reader).await;
    let open = article(app, &editor.access_token, "open", None).await;
    let target = posted(app, &writer.access_token, &open, "Provocative take", None).await;
    let readers: Vec<TestUser> = join_all((0..6).map(|_| app.user(Role::Reader))).await;
    let path = format!("/api/v1/comments/{}/flags", id_of(&target));
    let reason = json!({"reason": "trolling"});
    let results = join_all(
        readers
            .iter()
            .map(|r| app.send_json(Method::POST, &path, Some(&r.access_token), &reason)),
    )
    .await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    // Once the third flag sends it back to moderation, later flaggers no longer see it.
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 404),
        "{statuses:?}"
    );
    let recorded = statuses.iter().filter(|s| **s == 201).count();
    assert!(recorded >= 3, "{statuses:?}");
    let queue: Value = app
        .get(
            &format!("/api/v1/comments?article={open}"),
            Some(&editor.access_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(queue["data"][0]["id"], target["id"]);
    assert_eq!(queue["data"][0]["flag_count"], json!(recorded));
    let log: Value = app
        .get(
            &format!("/api/v1/comments/{}/moderation", id_of(&target)),
            Some(&editor.access_token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(log["data"].as_array().expect("data").len(), 1, "{log}");
    assert_eq!(comment_count(app, &open).await, 0);
}

both_backends!(
    readers_flagging_at_once_all_count,
    demo_has_threads_a_reply_chain_and_a_pending_comment,
    threads_nest_page_and_hide_what_readers_may_not_see,
    posting_rules_refuse_clearly,
    authors_edit_in_time_and_deletions_keep_threads,
    moderation_bans_and_flags,
    comment_bodies_never_become_markup,
    concurrent_posting_and_moderation_keep_the_count_exact,
);
