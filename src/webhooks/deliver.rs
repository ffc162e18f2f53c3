//! Delivery: every event, to every endpoint that subscribes to its type,
//! at least once, in event order per endpoint, signed, retried on the
//! configured schedule, never blocking an API request.
//!
//! Each server (or `newsdesk worker`) runs [`run`]: it claims an endpoint
//! with work (a lease in the endpoint's row, taken with `FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), turns the events after the endpoint's cursor into
//! deliveries, and sends the oldest pending one; a failed delivery waits for
//! its retry at the head of the queue, so later events never overtake it. A
//! process that dies mid-delivery leaves the delivery pending and the lease
//! expiring: whoever claims the endpoint next sends it again, with the same
//! `webhook-id`, which lets the receiver drop the duplicate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::config::WebhookSettings;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::events::dto::EventData;
use crate::events::model::EventRow;
use crate::http::format_time;
use crate::webhooks::address::{self, GuardedResolver};
use crate::webhooks::model::{matches, DeliveryRow, DeliveryStatus, WebhookRow};
use crate::webhooks::queries;
use crate::webhooks::signing;

/// How often each server looks for endpoints with work.
pub const TICK: Duration = Duration::from_millis(100);
/// How long a claim on an endpoint holds without being renewed: longer than
/// an attempt may take, so a live holder always renews in time.
pub const LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);
/// Endpoints a server delivers to at once.
const PARALLEL: usize = 32;
/// Events turned into deliveries per step.
const BATCH: i64 = 200;
/// Bytes of an answer kept in the log.
const KEEP_BYTES: usize = 1024;
/// The type of a test delivery.
pub const PING: &str = "webhook.ping";

/// What is sent: `{type, timestamp, data}`.
#[derive(Debug, Serialize)]
pub struct Message<'a> {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// When the event happened (RFC 3339, UTC).
    pub timestamp: String,
    /// What a receiver needs to act.
    pub data: MessageData,
}

/// The `data` of a webhook delivery: the event's position and ids, and
/// what a receiver needs to act (the purge keys among them).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEventData)]
pub struct MessageData {
    /// The event's position in the change feed (absent for a ping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// The event's id (the webhook's id for a ping).
    pub event_id: String,
    /// The resource it happened to.
    pub resource_id: String,
    /// The event's data.
    #[serde(flatten)]
    pub details: EventData,
}

/// The delivery of `event` to `webhook`.
fn delivery_of(webhook: &WebhookRow, event: &EventRow) -> Result<DeliveryRow, ApiError> {
    let message = Message {
        kind: event.kind.as_str(),
        timestamp: format_time(event.created_at),
        data: MessageData {
            position: Some(event.position),
            event_id: event.id.clone(),
            resource_id: event.resource_id.clone(),
            details: serde_json::from_str(&event.data).unwrap_or_default(),
        },
    };
    Ok(new_delivery(
        webhook,
        Some(event.position),
        event.kind.as_str(),
        serde_json::to_string(&message).map_err(ApiError::internal)?,
    ))
}

/// A test delivery to `webhook`.
pub fn ping_of(webhook: &WebhookRow) -> Result<DeliveryRow, ApiError> {
    let message = Message {
        kind: PING,
        timestamp: format_time(db::now()),
        data: MessageData {
            position: None,
            event_id: webhook.id.clone(),
            resource_id: webhook.id.clone(),
            details: EventData::default(),
        },
    };
    Ok(new_delivery(
        webhook,
        None,
        PING,
        serde_json::to_string(&message).map_err(ApiError::internal)?,
    ))
}

fn new_delivery(
    webhook: &WebhookRow,
    position: Option<i64>,
    kind: &str,
    payload: String,
) -> DeliveryRow {
    let now = db::now();
    DeliveryRow {
        id: db::new_id(),
        webhook_id: webhook.id.clone(),
        event_position: position,
        event_type: kind.to_string(),
        payload,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        last_attempt_at: None,
        response_status: None,
        response_body: None,
        error: None,
        duration_ms: None,
        created_at: now,
    }
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// When it was made.
    pub at: NaiveDateTime,
    /// The answer's status, if one came.
    pub status: Option<u16>,
    /// The answer's first bytes.
    pub body: Option<String>,
    /// Why no answer came.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i32,
}

impl Outcome {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Writes this outcome into `delivery` as its latest attempt.
    pub fn apply(&self, delivery: &mut DeliveryRow) {
        delivery.attempts += 1;
        delivery.last_attempt_at = Some(self.at);
        delivery.response_status = self.status.map(i32::from);
        delivery.response_body = self.body.clone();
        delivery.error = self.error.clone();
        delivery.duration_ms = Some(self.duration_ms);
    }
}

/// Sends deliveries: the HTTP client, which follows no redirect and
/// resolves names only to addresses a webhook may reach.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    /// The delivery settings.
    pub settings: WebhookSettings,
}

impl Sender {
    /// A sender with these settings.
    pub fn new(settings: WebhookSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .dns_resolver(GuardedResolver {
                allow_private: settings.allow_private,
            })
            .user_agent(concat!("newsdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, settings })
    }

    /// Makes one attempt of `delivery` to `webhook`, signed with the
    /// endpoint's current secret (and the previous one for a day after a
    /// rotation). Never fails: what went wrong is in the outcome.
    pub async fn send(&self, webhook: &WebhookRow, delivery: &DeliveryRow) -> Outcome {
        let at = db::now();
        let started = Instant::now();
        let done = |status: Option<u16>, body: Option<String>, error: Option<String>| Outcome {
            at,
            status,
            body,
            error,
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
        };
        let url = match address::check_url(&webhook.url, self.settings.allow_private) {
            Ok(url) => url,
            Err(why) => return done(None, None, Some(format!("refused: the URL {why}"))),
        };
        let timestamp = chrono::Utc::now().timestamp();
        let body = delivery.payload.clone().into_bytes();
        let signature =
            signing::signature_header(&webhook.signing_secrets(at), &delivery.id, timestamp, &body);
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let mut kept: Vec<u8> = Vec::new();
                while kept.len() < KEEP_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                kept.truncate(KEEP_BYTES);
                let text = String::from_utf8_lossy(&kept).into_owned();
                done(Some(status), Some(text), None)
            }
            Err(e) => done(None, None, Some(describe(&e, self.settings.timeout))),
        }
    }
}

fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", timeout.as_secs());
    }
    let mut text = if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What an endpoint's holder does next.
enum Step {
    /// Send this delivery.
    Send(Box<WebhookRow>, Box<DeliveryRow>),
    /// Events were turned into deliveries: look again.
    Again,
    /// Nothing more now; the lease is given back.
    Done,
}

fn next_step(conn: &mut DbConn, id: &str, token: &str) -> Result<Step, ApiError> {
    db::write_tx(conn, |conn| {
        let Some(webhook) = queries::held(conn, id, token)? else {
            return Ok(Step::Done);
        };
        step_from(conn, webhook, token)
    })
}

/// What the holder of `webhook` does next, inside the caller's
/// transaction: send the head of the queue when it is due, else wait for
/// it, else turn the next events into deliveries.
fn step_from(conn: &mut DbConn, webhook: WebhookRow, token: &str) -> Result<Step, ApiError> {
    let id = webhook.id.clone();
    let now = db::now();
    if !webhook.enabled {
        queries::release(conn, &id, token, None)?;
        return Ok(Step::Done);
    }
    let patterns = webhook.patterns();
    let mut cursor = webhook.event_cursor;
    // A few batches at most per transaction; then the caller comes back.
    for _ in 0..4 {
        if let Some(head) = queries::head_of_queue(conn, &id)? {
            return match head.next_attempt_at {
                Some(due) if due > now => {
                    queries::release(conn, &id, token, Some(due))?;
                    Ok(Step::Done)
                }
                _ => {
                    queries::renew(conn, &id, token, now + LEASE)?;
                    Ok(Step::Send(Box::new(webhook), Box::new(head)))
                }
            };
        }
        let events = crate::events::queries::after(conn, cursor, BATCH, true)?;
        let Some(last) = events.last().map(|e| e.position) else {
            queries::release(conn, &id, token, None)?;
            return Ok(Step::Done);
        };
        let deliveries = events
            .iter()
            .filter(|e| matches(&patterns, e.kind.as_str()))
            .map(|e| delivery_of(&webhook, e))
            .collect::<Result<Vec<_>, _>>()?;
        queries::insert_deliveries(conn, &deliveries)?;
        queries::advance(conn, &id, last)?;
        cursor = last;
    }
    queries::renew(conn, &id, token, now + LEASE)?;
    Ok(Step::Again)
}

/// Records an attempt's outcome and, in the same transaction, what the
/// holder does next.
fn settle(
    conn: &mut DbConn,
    settings: &WebhookSettings,
    token: &str,
    mut delivery: DeliveryRow,
    outcome: &Outcome,
) -> Result<Step, ApiError> {
    use crate::metrics::Attempt;
    // What the attempt came to, counted once the transaction commits.
    let mut counted: Option<Attempt> = None;
    let step = db::write_tx(conn, |conn| {
        let id = delivery.webhook_id.clone();
        // Whoever holds the endpoint now sends it again: nothing to record.
        let Some(mut webhook) = queries::held(conn, &id, token)? else {
            return Ok(Step::Done);
        };
        outcome.apply(&mut delivery);
        if outcome.succeeded() {
            counted = Some(Attempt::Delivered);
            delivery.status = DeliveryStatus::Succeeded;
            delivery.next_attempt_at = None;
            queries::record(conn, &delivery)?;
            if webhook.failing_since.is_some() {
                queries::set_health(conn, &id, None, None)?;
                webhook.failing_since = None;
            }
            return step_from(conn, webhook, token);
        }
        let failing_since = webhook.failing_since.unwrap_or(outcome.at);
        if outcome.status == Some(410) {
            counted = Some(Attempt::Failed);
            delivery.status = DeliveryStatus::Failed;
            delivery.next_attempt_at = None;
            queries::record(conn, &delivery)?;
            let reason = format!(
                "the receiver answered 410 Gone at {}: it wants no more deliveries",
                format_time(outcome.at)
            );
            queries::set_health(conn, &id, Some(failing_since), Some(&reason))?;
            queries::release(conn, &id, token, None)?;
            return Ok(Step::Done);
        }
        let retry = usize::try_from(delivery.attempts - 1)
            .ok()
            .and_then(|n| settings.retry_schedule.get(n));
        match retry {
            Some(wait) => {
                counted = Some(Attempt::Retrying);
                delivery.status = DeliveryStatus::Pending;
                delivery.next_attempt_at = Some(outcome.at + *wait);
            }
            None => {
                counted = Some(Attempt::Failed);
                delivery.status = DeliveryStatus::Failed;
                delivery.next_attempt_at = None;
            }
        }
        queries::record(conn, &delivery)?;
        if outcome.at - failing_since >= settings.disable_after {
            let reason = format!(
                "every delivery attempt failed since {}",
                format_time(failing_since)
            );
            queries::set_health(conn, &id, Some(failing_since), Some(&reason))?;
            queries::release(conn, &id, token, None)?;
            return Ok(Step::Done);
        }
        queries::set_health(conn, &id, Some(failing_since), None)?;
        webhook.failing_since = Some(failing_since);
        match delivery.next_attempt_at {
            // The head of the queue waits for its retry; later events wait
            // behind it, so the endpoint sees them in order.
            Some(due) => {
                queries::release(conn, &id, token, Some(due))?;
                Ok(Step::Done)
            }
            None => step_from(conn, webhook, token),
        }
    })?;
    if let Some(attempt) = counted {
        let took =
            std::time::Duration::from_millis(u64::try_from(outcome.duration_ms).unwrap_or(0));
        crate::metrics::global().webhook_attempt(attempt, took);
    }
    Ok(step)
}

/// Delivers to one claimed endpoint until its queue is empty or waits.
async fn serve_endpoint(pool: Pool, sender: Arc<Sender>, id: String, token: String) {
    let mut step = {
        let (id, token) = (id.clone(), token.clone());
        db::run(&pool, move |conn| next_step(conn, &id, &token)).await
    };
    loop {
        step = match step {
            Ok(Step::Again) => {
                let (id, token) = (id.clone(), token.clone());
                db::run(&pool, move |conn| next_step(conn, &id, &token)).await
            }
            Ok(Step::Done) => return,
            Ok(Step::Send(webhook, delivery)) => {
                let outcome = sender.send(&webhook, &delivery).await;
                if !outcome.succeeded() {
                    tracing::info!(
                        webhook = %webhook.id,
                        delivery = %delivery.id,
                        status = ?outcome.status,
                        error = outcome.error.as_deref().unwrap_or(""),
                        "webhook delivery failed"
                    );
                }
                let settings = sender.settings.clone();
                let token = token.clone();
                db::run(&pool, move |conn| {
                    settle(conn, &settings, &token, *delivery, &outcome)
                })
                .await
            }
            Err(e) => {
                // The lease expires and the delivery is sent again.
                tracing::warn!(error = %e, "a webhook delivery step failed");
                return;
            }
        };
    }
}

/// Delivers webhooks for as long as the server (or worker) runs.
pub async fn run(pool: Pool, sender: Sender) {
    let sender = Arc::new(sender);
    let slots = Arc::new(Semaphore::new(PARALLEL));
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        while let Ok(slot) = slots.clone().try_acquire_owned() {
            let token = db::new_id();
            let claimed = {
                let token = token.clone();
                db::run(&pool, move |conn| {
                    let now = db::now();
                    if !queries::any_due(conn, now)? {
                        return Ok(None);
                    }
                    db::write_tx(conn, |conn| {
                        Ok(queries::claim(conn, now, &token, now + LEASE)?)
                    })
                })
                .await
            };
            match claimed {
                Ok(Some(webhook)) => {
                    let (pool, sender) = (pool.clone(), sender.clone());
                    tokio::spawn(async move {
                        serve_endpoint(pool, sender, webhook.id, token).await;
                        drop(slot);
                    });
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "cannot claim webhook endpoints");
                    break;
                }
            }
        }
    }
}
