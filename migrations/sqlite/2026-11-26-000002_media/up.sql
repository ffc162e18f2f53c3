-- Media assets with their credits, and the renditions made from them.
CREATE TABLE media (
    id                  TEXT PRIMARY KEY NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'document')),
    mime_type           TEXT NOT NULL,
    bytes               BIGINT NOT NULL,
    sha256              TEXT NOT NULL,
    storage_key         TEXT NOT NULL,
    width               INTEGER,
    height              INTEGER,
    duration_seconds    DOUBLE PRECISION,
    original_filename   TEXT,
    title               TEXT,
    alt_text            TEXT,
    caption             TEXT,
    creators            TEXT NOT NULL DEFAULT '[]',
    provider            TEXT,
    source              TEXT,
    copyright_holder    TEXT,
    copyright_notice    TEXT,
    license             TEXT,
    usage_terms         TEXT,
    rights_expire_at    TIMESTAMP,
    credit_line         TEXT,
    focal_x             DOUBLE PRECISION,
    focal_y             DOUBLE PRECISION,
    keywords            TEXT NOT NULL DEFAULT '[]',
    taken_at            TIMESTAMP,
    ed_note             TEXT,
    uploaded_by         TEXT REFERENCES users (id) ON DELETE SET NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX media_sha256_key ON media (sha256);
CREATE INDEX media_kind_idx ON media (kind, id);

CREATE TABLE media_renditions (
    media_id    TEXT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    width       INTEGER NOT NULL,
    ratio       TEXT NOT NULL,
    format      TEXT NOT NULL,
    height      INTEGER NOT NULL,
    mime_type   TEXT NOT NULL,
    bytes       BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (media_id, width, ratio, format)
);
