-- Search's first tier (headlines holding every word) in a table of its own,
-- narrow rows of an article id and its headline's tsvector (30 MB at
-- 100,000 articles, against 450 MB for the rows the headlines' vectors were
-- kept in, beside the texts and the whole document's vector). The tier
-- either walks the newest rows backwards testing each vector, or visits
-- every row the GIN index lists: with 50 rows a page instead of two, it
-- reads a twentieth of the pages. 300 random two-word searches' headline
-- tiers took 86 ms instead of 185-188 (`psql`, 100,000 articles).
CREATE TABLE article_search_headlines (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    document   tsvector NOT NULL
);
INSERT INTO article_search_headlines (article_id, document)
SELECT article_id, headline_document FROM article_search;
CREATE INDEX article_search_headlines_idx ON article_search_headlines
    USING GIN (document) WITH (gin_pending_list_limit = 64);
-- Its index goes with it.
ALTER TABLE article_search DROP COLUMN headline_document;
ANALYZE article_search_headlines;
