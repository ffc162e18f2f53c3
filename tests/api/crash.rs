//! Delivery survives a crash: the real binary takes writes while the
//! receiver is down, is killed with SIGKILL, and restarted; once the
//! receiver is up every event arrives, once per `webhook-id`, including a
//! scheduled publication whose moment passed while nothing ran.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEST_SECRET};
use crate::receiver::Receiver;
use crate::with_settings;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts `newsdesk serve` on this database and waits until it answers.
/// The caller kills and reaps it.
async fn serve(app: &TestApp, port: u16) -> Child {
    start_binary(
        &app.client,
        &app.settings.database_url,
        &app.media_dir,
        port,
        &[],
    )
    .await
}

/// A server process that is killed and reaped when dropped, even when the
/// test panics (and so never keeps a test run's output open).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real binary, `newsdesk serve`, on `database_url`, with `env`
/// added, and waits until it answers `/healthz`. The caller kills and reaps it.
#[allow(clippy::zombie_processes)]
pub async fn start_binary(
    client: &reqwest::Client,
    database_url: &str,
    media_dir: &std::path::Path,
    port: u16,
    env: &[(&str, &str)],
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    command
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("NEWSDESK_BIND", format!("127.0.0.1:{port}"))
        .env("NEWSDESK_JWT_SECRET", TEST_SECRET)
        .env("NEWSDESK_MEDIA_DIR", media_dir)
        .env("NEWSDESK_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("NEWSDESK_WEBHOOK_RETRY_SCHEDULE", vec!["1s"; 30].join(","))
        .env("NEWSDESK_WORKERS", "1")
        .env("NEWSDESK_COMMENT_RATE_LIMIT", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("start the server");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let up = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if up {
            return child;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(
    app: &TestApp,
    base: &str,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Value {
    let res = app
        .client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

/// Every event after `after`, as staff see them.
async fn events_after(app: &TestApp, base: &str, token: &str, after: i64) -> Vec<Value> {
    let mut all = Vec::new();
    let mut position = after;
    loop {
        let page: Value = app
            .client
            .get(format!("{base}/api/v1/events?after={position}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("feed")
            .json()
            .await
            .expect("json");
        let data = page["data"].as_array().cloned().unwrap_or_default();
        if data.is_empty() {
            return all;
        }
        position = page["meta"]["last_position"].as_i64().expect("position");
        all.extend(data);
    }
}

async fn every_event_arrives_after_a_sigkill(app: &TestApp) {
    let admin = app.user(Role::Admin).await;
    let token = admin.access_token.as_str();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(app, port).await;

    // The receiver's port is free: connections are refused until it is up.
    let receiver_port = free_port();
    let url = format!("http://127.0.0.1:{receiver_port}/hooks");
    let start = events_after(app, &base, token, 0)
        .await
        .last()
        .and_then(|e| e["position"].as_i64())
        .unwrap_or(0);
    let webhook = call(
        app,
        &base,
        token,
        Method::POST,
        "/api/v1/webhooks",
        json!({"url": url, "event_types": ["*"]}),
    )
    .await;
    let secret = webhook["secret"].as_str().expect("secret").to_string();
    let section = call(
        app,
        &base,
        token,
        Method::POST,
        "/api/v1/sections",
        json!({"name": "Overnight"}),
    )
    .await;
    let mut articles = Vec::new();
    for headline in [
        "Storm warning lifted",
        "Ferries resume",
        "Power back in the valley",
    ] {
        let article = call(
            app,
            &base,
            token,
            Method::POST,
            "/api/v1/articles",
            json!({"headline": headline, "section_id": section["id"]}),
        )
        .await;
        articles.push(article["id"].as_str().expect("id").to_string());
    }
    call(
        app,
        &base,
        token,
        Method::POST,
        &format!("/api/v1/articles/{}/publish", articles[0]),
        json!({}),
    )
    .await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    call(
        app,
        &base,
        token,
        Method::POST,
        &format!("/api/v1/articles/{}/publish", articles[1]),
        json!({"at": at}),
    )
    .await;
    // A few failed attempts, then the crash.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    // The scheduled moment passes while nothing runs.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut server = serve(app, port).await;
    let receiver = Receiver::on(
        std::net::TcpListener::bind(("127.0.0.1", receiver_port)).expect("the receiver's port"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let expected = loop {
        let expected = events_after(app, &base, token, start).await;
        let scheduled = expected
            .iter()
            .any(|e| e["type"] == "article.published" && e["resource_id"] == articles[1].as_str());
        let accepted = receiver.accepted();
        if scheduled && accepted.len() >= expected.len() {
            break expected;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} events arrived",
            accepted.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = server.kill();
    let _ = server.wait();

    let accepted = receiver.accepted();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    let mut ids_per_event: HashMap<&str, HashSet<&str>> = HashMap::new();
    for r in &accepted {
        assert!(r.signed_by(&secret));
        *per_id.entry(r.id.as_str()).or_default() += 1;
        ids_per_event
            .entry(r.json["data"]["event_id"].as_str().unwrap_or(""))
            .or_default()
            .insert(r.id.as_str());
    }
    assert!(
        per_id.values().all(|n| *n == 1),
        "once per webhook-id: {per_id:?}"
    );
    // section.created, 3 × article.created, article.published, the
    // scheduled article.updated, and the scheduler's article.published.
    assert_eq!(expected.len(), 7, "{expected:?}");
    for event in &expected {
        let id = event["id"].as_str().expect("id");
        assert_eq!(
            ids_per_event.get(id).map(HashSet::len),
            Some(1),
            "event {} ({}) arrived under one webhook-id",
            id,
            event["type"]
        );
    }
    assert_eq!(accepted.len(), expected.len());
}

with_settings!(sigkill, every_event_arrives_after_a_sigkill, |s| s
    .scheduler =
    false);

/// An upload cut off by SIGKILL leaves its scratch file; the next start
/// removes it, and no media row was made.
async fn a_killed_uploads_scratch_file_is_removed_on_start(app: &TestApp) {
    use std::io::Write;
    let editor = app.user(Role::Editor).await;
    let port = free_port();
    let mut server = serve(app, port).await;
    let scratch = app.media_dir.join("tmp");
    let uploads = || -> Vec<String> {
        std::fs::read_dir(&scratch)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".upload"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // 10 MB announced, 1 MB sent, then nothing: the upload is in progress.
    let boundary = "newsdesk-crash-test";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    );
    let total = head.len() + 10_000_000 + format!("\r\n--{boundary}--\r\n").len();
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        socket,
        "POST /api/v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n{head}",
        editor.access_token
    )
    .expect("headers");
    let mut mp4 = vec![0u8; 1_000_000];
    mp4[4..12].copy_from_slice(b"ftypisom");
    socket.write_all(&mp4).expect("first megabyte");
    let deadline = Instant::now() + Duration::from_secs(10);
    while uploads().is_empty() {
        assert!(Instant::now() < deadline, "no scratch file appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    drop(socket);
    assert_eq!(
        uploads().len(),
        1,
        "the killed upload's scratch file is left"
    );

    let mut server = serve(app, port).await;
    let left = uploads();
    let media: Value = app
        .client
        .get(format!("http://127.0.0.1:{port}/api/v1/media"))
        .bearer_auth(&editor.access_token)
        .send()
        .await
        .expect("media")
        .json()
        .await
        .expect("json");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "scratch files of dead processes are removed on start"
    );
    assert_eq!(media["data"].as_array().map(Vec::len), Some(0), "{media}");
}

with_settings!(
    killed_upload,
    a_killed_uploads_scratch_file_is_removed_on_start,
    |s| s.scheduler = false
);

/// Crash safety under load: eight writers save articles and comments
/// through the real binary, which is killed with SIGKILL mid-stream and
/// restarted. Every write that was acknowledged is there, the count is
/// exact (the acknowledged ones, plus at most the few in flight at the
/// kill), and a SQLite database passes `PRAGMA integrity_check`.
async fn acknowledged_writes_survive_a_sigkill(app: &TestApp) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};

    let editor = app.user(Role::Editor).await;
    let reader = app.user(Role::Reader).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(app, port).await;
    let token = editor.access_token.as_str();
    let section = call(
        app,
        &base,
        token,
        Method::POST,
        "/api/v1/sections",
        json!({"name": "Wire"}),
    )
    .await;
    let open = call(
        app,
        &base,
        token,
        Method::POST,
        "/api/v1/articles",
        json!({"headline": "Open thread", "section_id": section["id"], "comments_policy": "open"}),
    )
    .await;
    let open_id = open["id"].as_str().expect("id").to_string();
    call(
        app,
        &base,
        token,
        Method::POST,
        &format!("/api/v1/articles/{open_id}/publish"),
        json!({}),
    )
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let articles = Arc::new(Mutex::new(Vec::<String>::new()));
    let comments = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (stop, articles, comments) = (stop.clone(), articles.clone(), comments.clone());
        let client = app.client.clone();
        let (base, open_id) = (base.clone(), open_id.clone());
        let section = section["id"].as_str().unwrap_or("").to_string();
        let token = if w < 6 {
            editor.access_token.clone()
        } else {
            reader.access_token.clone()
        };
        writers.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let (url, body, into) = if w < 6 {
                    (
                        format!("{base}/api/v1/articles"),
                        json!({"headline": format!("Wire item {w}-{n}"), "section_id": section}),
                        &articles,
                    )
                } else {
                    (
                        format!("{base}/api/v1/articles/{open_id}/comments"),
                        json!({"body": format!("Reader note {w}-{n}")}),
                        &comments,
                    )
                };
                let sent = client
                    .post(url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                let Ok(res) = sent else { continue };
                if res.status() == 201 {
                    if let Ok(created) = res.json::<Value>().await {
                        if let Some(id) = created["id"].as_str() {
                            into.lock().expect("lock").push(id.to_string());
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("writer");
    }
    let articles = articles.lock().expect("lock").clone();
    let comments = comments.lock().expect("lock").clone();
    assert!(
        articles.len() > 20,
        "only {} articles were acknowledged",
        articles.len()
    );
    assert!(!comments.is_empty(), "no comment was acknowledged");

    if let Some(path) = newsdesk::db::sqlite_path(&app.settings.database_url) {
        use diesel::{Connection, RunQueryDsl};
        #[derive(diesel::QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let mut conn = diesel::SqliteConnection::establish(path).expect("open the database");
        let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut conn)
            .expect("integrity check");
        assert_eq!(
            check.first().map(|c| c.integrity_check.as_str()),
            Some("ok")
        );
    }

    let mut server = serve(app, port).await;
    for id in &articles {
        let res = app
            .client
            .get(format!("{base}/api/v1/articles/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200, "acknowledged article {id} is lost");
    }
    for id in &comments {
        let res = app
            .client
            .get(format!("{base}/api/v1/comments/{id}"))
            .bearer_auth(&reader.access_token)
            .send()
            .await
            .expect("read");
        assert_eq!(res.status(), 200, "acknowledged comment {id} is lost");
    }
    let drafts: Value = app
        .client
        .get(format!(
            "{base}/api/v1/articles?status=draft&include_total=true&limit=1"
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("count")
        .json()
        .await
        .expect("json");
    let _ = server.kill();
    let _ = server.wait();
    let total = drafts["meta"]["total"].as_u64().expect("total") as usize;
    assert!(
        (articles.len()..=articles.len() + 6).contains(&total),
        "{total} drafts stored, {} acknowledged",
        articles.len()
    );
}

with_settings!(
    sigkill_under_load,
    acknowledged_writes_survive_a_sigkill,
    |s| s.scheduler = false
);
