-- Full-text search over headline, summary and body: a stored, weighted
-- tsvector with a GIN index. The 'simple' configuration does not stem, so it
-- serves every language a newsroom publishes in alike.
CREATE TABLE article_search (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    headline   TEXT NOT NULL,
    summary    TEXT NOT NULL,
    body       TEXT NOT NULL,
    document   tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', headline), 'A') ||
        setweight(to_tsvector('simple', summary), 'B') ||
        setweight(to_tsvector('simple', body), 'C')
    ) STORED
);
CREATE INDEX article_search_document_idx ON article_search USING GIN (document);
-- Articles saved before this migration: their headline and summary (a save
-- indexes the body too).
INSERT INTO article_search (article_id, headline, summary, body)
SELECT id, headline, COALESCE(summary, ''), '' FROM articles;
