-- Reader comments, their moderation log and reader flags; comment bans on
-- users; the approved-comment count kept on each article.
ALTER TABLE users ADD COLUMN comment_banned_until TIMESTAMP;
ALTER TABLE users ADD COLUMN comments_hidden BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE articles ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE comments (
    id          TEXT PRIMARY KEY,
    article_id  TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- The top-level comment of the thread (its own id for a top-level one).
    thread_id   TEXT NOT NULL,
    -- Where it hangs in the thread (clamped to the configured depth) ...
    parent_id   TEXT REFERENCES comments (id) ON DELETE CASCADE,
    -- ... and the comment it answered.
    reply_to_id TEXT REFERENCES comments (id) ON DELETE SET NULL,
    depth       INTEGER NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
    -- Hidden with its author's other comments by a ban.
    hidden      BOOLEAN NOT NULL DEFAULT FALSE,
    flag_count  INTEGER NOT NULL DEFAULT 0,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    edited_at   TIMESTAMP,
    deleted_at  TIMESTAMP
);
CREATE INDEX comments_article_idx ON comments (article_id, depth, created_at, id);
CREATE INDEX comments_thread_idx ON comments (thread_id, created_at);
CREATE INDEX comments_status_idx ON comments (status, created_at, id);
CREATE INDEX comments_user_idx ON comments (user_id, created_at);

CREATE TABLE comment_moderation (
    id           TEXT PRIMARY KEY,
    comment_id   TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    -- NULL when the system acted (a comment flagged too often).
    moderator_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    reason       TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX comment_moderation_comment_idx ON comment_moderation (comment_id, created_at);

CREATE TABLE comment_flags (
    comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);
