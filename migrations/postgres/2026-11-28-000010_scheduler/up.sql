-- How far the scheduler has announced time-driven changes (a scheduled
-- article coming due, an embargo lifting, an expiry): each run takes the
-- window (until, now], emits its events and moves `until`, in one
-- transaction, so every moment is announced once whatever runs or crashes.
CREATE TABLE scheduler (
    name   TEXT PRIMARY KEY,
    until  TIMESTAMP NOT NULL
);
CREATE INDEX articles_embargo_until ON articles (embargo_until);
CREATE INDEX articles_expires_at ON articles (expires_at);
