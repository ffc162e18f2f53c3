-- Full-text search over headline, summary and body (FTS5, ranked with bm25).
CREATE VIRTUAL TABLE articles_fts USING fts5(
    article_id UNINDEXED,
    headline,
    summary,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Articles saved before this migration: their headline and summary (a save
-- indexes the body too).
INSERT INTO articles_fts (article_id, headline, summary, body)
SELECT id, headline, COALESCE(summary, ''), '' FROM articles;
