-- Search keys that fall with time: the newest article has the smallest.
-- Search reads each tier newest first, and FTS5 walks a doclist forwards
-- (ascending rowids) at about two thirds of the cost of walking it
-- backwards: 2,000 random two-word queries at 100,000 articles, 63 against
-- 90 us a query for the headline tier and 27 against 47 for the whole
-- index's. A key is 2^40 less the old one (which counted up from 1), and
-- a new article takes one less than the smallest key
-- (`articles::search::index`). This maps keys to keys the same way both
-- ways: down.sql is the same statements.
CREATE TABLE article_search_keys_falling (
    rowid      INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL UNIQUE
);
INSERT INTO article_search_keys_falling (rowid, article_id)
SELECT 1099511627776 - rowid, article_id FROM article_search_keys;
DROP TABLE article_search_keys;
ALTER TABLE article_search_keys_falling RENAME TO article_search_keys;

-- The full-text tables written again under the new keys, in their order
-- (FTS5 appends rowids in ascending order without flushing).
CREATE VIRTUAL TABLE articles_fts_falling USING fts5(
    article_id UNINDEXED,
    headline,
    summary,
    body,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO articles_fts_falling (rowid, article_id, headline, summary, body)
SELECT 1099511627776 - rowid, article_id, headline, summary, body
FROM articles_fts ORDER BY rowid DESC;
DROP TABLE articles_fts;
ALTER TABLE articles_fts_falling RENAME TO articles_fts;

CREATE VIRTUAL TABLE article_headlines_fts_falling USING fts5(
    headline,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO article_headlines_fts_falling (rowid, headline)
SELECT 1099511627776 - rowid, headline
FROM article_headlines_fts ORDER BY rowid DESC;
DROP TABLE article_headlines_fts;
ALTER TABLE article_headlines_fts_falling RENAME TO article_headlines_fts;

-- One segment each, as a seed leaves them: the insert above leaves
-- several, and a query reads every one (random searches took 12 % more
-- of the server's time before this).
INSERT INTO articles_fts (articles_fts) VALUES ('optimize');
INSERT INTO article_headlines_fts (article_headlines_fts) VALUES ('optimize');
