-- Webhook endpoints. `event_cursor` is the last event position already
-- turned into deliveries for this endpoint; `due_at` is when its oldest
-- pending delivery is due (NULL: none pending). A server delivering to the
-- endpoint holds it by `lease_token` until `lease_until`, so deliveries to
-- one endpoint keep event order and are never sent twice at once.
CREATE TABLE webhooks (
    id                      TEXT PRIMARY KEY,
    url                     TEXT NOT NULL,
    -- JSON array of event types and wildcards (`article.*`, `*`).
    event_types             TEXT NOT NULL,
    description             TEXT NOT NULL,
    enabled                 BOOLEAN NOT NULL,
    disabled_reason         TEXT,
    secret                  TEXT NOT NULL,
    previous_secret         TEXT,
    previous_secret_until   TIMESTAMP,
    event_cursor            BIGINT NOT NULL,
    due_at                  TIMESTAMP,
    lease_token             TEXT,
    lease_until             TIMESTAMP,
    failing_since           TIMESTAMP,
    version                 BIGINT NOT NULL,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_due ON webhooks (enabled, due_at);

-- One event (or ping) for one endpoint: its id is the `webhook-id` header,
-- the same on every attempt, and its payload is fixed when it is made.
CREATE TABLE webhook_deliveries (
    id                  TEXT PRIMARY KEY,
    webhook_id          TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_position      BIGINT,
    event_type          TEXT NOT NULL,
    payload             TEXT NOT NULL,
    -- pending, succeeded or failed
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL,
    next_attempt_at     TIMESTAMP,
    last_attempt_at     TIMESTAMP,
    response_status     INTEGER,
    response_body       TEXT,
    error               TEXT,
    duration_ms         INTEGER,
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (webhook_id, status, event_position);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
