//! A webhook receiver for tests: a small HTTP server that records every
//! request, answers with the status it is told, and checks signatures with
//! the Standard Webhooks algorithm (written here from the specification, not
//! taken from the server).

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub json: Value,
    /// The status the receiver answered.
    pub answered: u16,
    pub at: Instant,
}

impl Received {
    /// Whether one of the signatures is `secret`'s for this message, and
    /// the timestamp is within five minutes of now (the specification's
    /// tolerance against replays).
    pub fn signed_by(&self, secret: &str) -> bool {
        let Some(key) = secret
            .strip_prefix("whsec_")
            .and_then(|k| STANDARD.decode(k).ok())
        else {
            return false;
        };
        let Ok(ts) = self.timestamp.parse::<i64>() else {
            return false;
        };
        if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
            return false;
        }
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
            return false;
        };
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        self.signature
            .split(' ')
            .filter_map(|s| s.strip_prefix("v1,"))
            .any(|sig| sig == expected)
    }

    /// The event type of the message.
    pub fn kind(&self) -> &str {
        self.json["type"].as_str().unwrap_or("")
    }
}

#[derive(Default)]
struct Shared {
    got: Mutex<Vec<Received>>,
    answer: AtomicU16,
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// A receiver on a free port, answering 200.
    pub fn start() -> Self {
        Self::on(std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
    }

    /// A receiver on this listener, answering 200.
    pub fn on(listener: std::net::TcpListener) -> Self {
        let port = listener.local_addr().expect("addr").port();
        let shared = Arc::new(Shared::default());
        shared.answer.store(200, Ordering::SeqCst);
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .disable_signals()
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            shared,
        }
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        self.shared.answer.store(status, Ordering::SeqCst);
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.got.lock().expect("lock").clone()
    }

    /// The requests answered with a 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `check` holds for what was received, or panics.
    pub async fn wait_until(
        &self,
        what: &str,
        within: Duration,
        check: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if check(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited {within:?} for {what}; received: {:#?}",
                got.iter()
                    .map(|r| (r.kind().to_string(), r.answered))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn record(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let answered = shared.answer.load(Ordering::SeqCst);
    let text = String::from_utf8_lossy(&body).into_owned();
    shared.got.lock().expect("lock").push(Received {
        path: req.path().to_string(),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        body: text,
        answered,
        at: Instant::now(),
    });
    let status = actix_web::http::StatusCode::from_u16(answered)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    if status.is_redirection() {
        response.insert_header(("Location", "/elsewhere"));
    }
    response.body(format!("answered {answered}"))
}
