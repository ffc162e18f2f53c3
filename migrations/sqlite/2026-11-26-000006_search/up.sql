-- Full-text search over headline, summary and body (FTS5, ranked with bm25).
CREATE VIRTUAL TABLE articles_fts USING fts5(
    article_id UNINDEXED,
    headline,
    summary,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
