-- The outbox: every change a subscriber may need to act on, written in the
-- same transaction as the change itself. `position` orders the feed; writers
-- take an advisory lock before they insert an event, so positions become
-- visible in order and a reader never skips one committed late.
CREATE TABLE events (
    position      BIGSERIAL PRIMARY KEY,
    id            TEXT NOT NULL,
    type          TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    -- Whether anonymous readers may see it (changes of public content only).
    public        BOOLEAN NOT NULL,
    -- JSON: what a subscriber needs to act (ids, slug, status, purge keys).
    data          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX events_id_key ON events (id);
CREATE INDEX events_public_position ON events (public, position);
