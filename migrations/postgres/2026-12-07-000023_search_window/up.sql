-- Search's all-words tier among the newest articles first, from a table of
-- their own (the window) with its own GIN index, instead of the whole
-- index and `article_id >= floor`: for words neither rare nor everywhere,
-- PostgreSQL intersected the GIN bitmap with a bitmap of the 10,000
-- newest ids from the primary key, 2.1 ms a search and half of the tiers'
-- time (`EXPLAIN ANALYZE` of 300 random two-word searches, 100,000
-- articles). The window holds exactly the indexed articles whose id is at
-- or above `floor` (NULL: none), their vectors stripped of positions and
-- weights, which the tier's plain AND query does not use. A save adds its
-- article when its id is at or above the floor (holding the floor's row
-- shared); `search::keep_window` moves the floor (holding it exclusively),
-- once a minute from the scheduler.
CREATE TABLE article_search_window (
    single BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (single),
    floor  TEXT
);
CREATE TABLE article_search_recent (
    article_id TEXT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    document   tsvector NOT NULL
);
CREATE INDEX article_search_recent_idx ON article_search_recent
    USING GIN (document) WITH (gin_pending_list_limit = 64);
-- The 10,000 newest, as `search::RECENT` has it (the scheduler keeps it so).
INSERT INTO article_search_window (floor)
SELECT COALESCE(
    (SELECT article_id FROM article_search ORDER BY article_id DESC OFFSET 9999 LIMIT 1), '');
INSERT INTO article_search_recent (article_id, document)
SELECT article_id, strip(document) FROM article_search
WHERE article_id >= (SELECT floor FROM article_search_window);
ANALYZE article_search_recent;
