-- How far the scheduler has gone. Row `articles`: the time-driven changes
-- (a scheduled article coming due, an embargo lifting, an expiry) are
-- announced up to `until`: each run takes the window (until, now], emits its
-- events and moves `until`, in one transaction, so every moment is announced
-- once whatever runs or crashes. Row `events`: events are pruned through
-- position `mark` (older cursors must resync).
CREATE TABLE scheduler (
    name   TEXT PRIMARY KEY,
    until  TIMESTAMP NOT NULL,
    mark   BIGINT NOT NULL DEFAULT 0
);
-- Moments from now on are the scheduler's; earlier ones were their writes'.
INSERT INTO scheduler (name, until, mark) VALUES ('articles', (now() AT TIME ZONE 'utc'), 0);
CREATE INDEX articles_embargo_until ON articles (embargo_until);
CREATE INDEX articles_expires_at ON articles (expires_at);
CREATE INDEX events_created_at ON events (created_at);
