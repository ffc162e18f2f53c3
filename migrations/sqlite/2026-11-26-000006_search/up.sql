-- Full-text search over headline, summary and body (FTS5, ranked with bm25).
CREATE VIRTUAL TABLE articles_fts USING fts5(
    article_id UNINDEXED,
    headline,
    summary,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- The FTS row of an article is found by rowid (a lookup by the UNINDEXED
-- article_id would scan the whole index on every save).
CREATE TABLE article_search_keys (
    rowid      INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE
);

-- Articles saved before this migration: their headline and summary (a save
-- indexes the body too).
INSERT INTO article_search_keys (article_id) SELECT id FROM articles;
INSERT INTO articles_fts (rowid, article_id, headline, summary, body)
SELECT k.rowid, a.id, a.headline, COALESCE(a.summary, ''), ''
FROM articles a JOIN article_search_keys k ON k.article_id = a.id;
