//! The change feed as Server-Sent Events: events published after a client
//! connected reach it, a reconnection resumes from `Last-Event-ID`, and
//! anonymous streams carry nothing of a draft.

use std::time::Duration;

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::events::{draft, publish, section};
use crate::helpers::{assert_problem, TestApp};

/// One event as the stream sent it.
#[derive(Debug, Clone)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

/// An open stream and what it sent so far.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, token: Option<&str>, last_event_id: Option<i64>) -> Self {
        let mut request = app.request(Method::GET, "/api/v1/events/stream", token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("stream");
        assert_eq!(response.status(), 200);
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and `retry:` skipped), within a few seconds.
    async fn next(&mut self) -> Option<Sse> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut sse = Sse {
                    id: -1,
                    event: String::new(),
                    data: Value::Null,
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        sse.id = v.parse().unwrap_or(-1);
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        sse.event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        sse.data = serde_json::from_str(v).unwrap_or(Value::Null);
                    }
                }
                if !sse.event.is_empty() {
                    return Some(sse);
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.response.chunk())
                .await
                .ok()?
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events until one about `resource` of type `kind` (panics when none comes).
    async fn until(&mut self, resource: &str, kind: &str) -> Vec<Sse> {
        let mut seen = Vec::new();
        while let Some(sse) = self.next().await {
            let done = sse.event == kind && sse.data["resource_id"] == resource;
            seen.push(sse);
            if done {
                return seen;
            }
        }
        panic!("no {kind} of {resource} came; got {seen:?}");
    }
}

async fn streams_deliver_live_events_and_resume(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section = section(app, token, "Lighthouses").await;
    let mut public = Stream::open(app, None, None).await;
    let mut staff = Stream::open(app, Some(token), None).await;
    let article = draft(
        app,
        token,
        json!({"headline": "Keeper retires", "section_id": section}),
    )
    .await;
    publish(app, token, &article, json!({})).await;

    let seen = staff.until(&article, "article.published").await;
    let kinds: Vec<&str> = seen.iter().map(|s| s.event.as_str()).collect();
    assert_eq!(kinds, ["article.created", "article.published"]);
    let seen = public.until(&article, "article.published").await;
    assert_eq!(
        seen.len(),
        1,
        "anonymous streams get nothing of a draft: {seen:?}"
    );
    let published = seen[0].clone();
    assert_eq!(published.data["position"], published.id);
    assert_eq!(published.data["data"]["status"], "published");

    // A later change, then a reconnection from before it: the missed
    // events come first, in order.
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/articles/{article}"),
            Some(token),
        )
        .header("if-match", "\"2\"")
        .json(&json!({"headline": "Keeper retires after forty years"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    public.until(&article, "article.updated").await;
    drop(public);
    let mut resumed = Stream::open(app, None, Some(published.id - 1)).await;
    let replay = resumed.until(&article, "article.updated").await;
    let kinds: Vec<&str> = replay.iter().map(|s| s.event.as_str()).collect();
    assert_eq!(kinds, ["article.published", "article.updated"]);
    assert!(replay[0].id < replay[1].id);

    // A position that is not one is refused.
    let res = app
        .request(Method::GET, "/api/v1/events/stream", None)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .expect("stream");
    assert_problem(res, 400).await;
}

both_backends!(streams_deliver_live_events_and_resume);
