-- The same table, its columns in the order reads need them. SQLite reads a
-- row from its start, and a row longer than a page continues on overflow
-- pages: a column after the document (about 7 KB with its compressed
-- forms) cost reading those pages on every lookup. Now the small columns
-- every read checks come first, then the list item (all that a list page
-- reads), then the document, then its compressed forms.
CREATE TABLE article_deliveries_new (
    article_id     TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    locale         TEXT NOT NULL,
    slug           TEXT NOT NULL,
    render_key     TEXT NOT NULL,
    valid_until    TIMESTAMP,
    modified_at    TIMESTAMP NOT NULL,
    etag           TEXT NOT NULL,
    surrogate_keys TEXT NOT NULL,
    -- The article as list items show it (no body), ready to splice into a page.
    item           TEXT NOT NULL,
    document       TEXT NOT NULL,
    -- The same bytes brotli- and gzip-compressed, for clients that accept them.
    document_br    BLOB NOT NULL,
    document_gzip  BLOB NOT NULL
);
INSERT INTO article_deliveries_new
    (article_id, locale, slug, render_key, valid_until, modified_at, etag,
     surrogate_keys, item, document, document_br, document_gzip)
SELECT article_id, locale, slug, render_key, valid_until, modified_at, etag,
       surrogate_keys, item, document, document_br, document_gzip
FROM article_deliveries;
DROP TABLE article_deliveries;
ALTER TABLE article_deliveries_new RENAME TO article_deliveries;
CREATE UNIQUE INDEX article_deliveries_slug_key ON article_deliveries (locale, slug);
CREATE INDEX article_deliveries_render_key_idx ON article_deliveries (render_key, article_id);
