-- The public delivery document of each readable article, rendered when the
-- article or something it embeds changes, so that an anonymous read is one
-- indexed lookup and a copy of bytes. A row exists only while it is current:
-- every change that alters the document deletes or replaces it in the same
-- transaction; `valid_until` is the first moment time alone would change it
-- (its expiry, a related article appearing or expiring), `render_key` the
-- settings it was rendered with. Reads that find no current row take the
-- full path, which is always right.
CREATE TABLE article_deliveries (
    article_id     TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    locale         TEXT NOT NULL,
    slug           TEXT NOT NULL,
    document       TEXT NOT NULL,
    -- The same bytes gzip- and brotli-compressed, for clients that accept them.
    document_gzip  BYTEA NOT NULL,
    -- The article as list items show it (no body), ready to splice into a page.
    item           TEXT NOT NULL,
    document_br    BYTEA NOT NULL,
    etag           TEXT NOT NULL,
    surrogate_keys TEXT NOT NULL,
    modified_at    TIMESTAMP NOT NULL,
    valid_until    TIMESTAMP,
    render_key     TEXT NOT NULL
);
CREATE UNIQUE INDEX article_deliveries_slug_key ON article_deliveries (locale, slug);
-- Documents rendered by another version or with other settings are found
-- on start without reading the documents themselves.
CREATE INDEX article_deliveries_render_key_idx ON article_deliveries (render_key, article_id);

-- Articles whose document must be rendered again (something they embed
-- changed); the background work drains it.
CREATE TABLE delivery_queue (
    article_id TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);

CREATE INDEX article_related_related_idx ON article_related (related_id);

-- Articles written before documents existed: rendered by the first server
-- that runs (those the public cannot read leave the queue with nothing).
INSERT INTO delivery_queue (article_id) SELECT id FROM articles WHERE published_at IS NOT NULL;
