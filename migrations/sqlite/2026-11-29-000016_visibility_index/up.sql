-- What the public may see of an article, by id, without reading its row:
-- search filters its candidates by id (dozens of random rows a query, each
-- another page of the table read from disk; this index keeps about forty
-- articles a page). Covers the public filter and the times lists sort by.
CREATE INDEX articles_visibility_idx
    ON articles (id, status, published_at, embargo_until, expires_at, updated_at, modified_at);
