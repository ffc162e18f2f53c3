CREATE TABLE article_deliveries_old (
    article_id     TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    locale         TEXT NOT NULL,
    slug           TEXT NOT NULL,
    document       TEXT NOT NULL,
    document_gzip  BLOB NOT NULL,
    item           TEXT NOT NULL,
    document_br    BLOB NOT NULL,
    etag           TEXT NOT NULL,
    surrogate_keys TEXT NOT NULL,
    modified_at    TIMESTAMP NOT NULL,
    valid_until    TIMESTAMP,
    render_key     TEXT NOT NULL
);
INSERT INTO article_deliveries_old
    (article_id, locale, slug, document, document_gzip, item, document_br, etag,
     surrogate_keys, modified_at, valid_until, render_key)
SELECT article_id, locale, slug, document, document_gzip, item, document_br, etag,
       surrogate_keys, modified_at, valid_until, render_key
FROM article_deliveries;
DROP TABLE article_deliveries;
ALTER TABLE article_deliveries_old RENAME TO article_deliveries;
CREATE UNIQUE INDEX article_deliveries_slug_key ON article_deliveries (locale, slug);
CREATE INDEX article_deliveries_render_key_idx ON article_deliveries (render_key, article_id);
