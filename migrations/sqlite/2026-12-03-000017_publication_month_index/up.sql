-- What the public may see of an article, in publication order, without
-- reading its row: the sitemap index counts each month's public articles,
-- and in SQLite's rows the status and the times come after the body, so a
-- count that read the rows read every body's overflow pages (0.45-0.8 s for
-- the index at 230,000 articles). PostgreSQL keeps long bodies out of line
-- (TOAST): its rows are small, and it has no such index.
CREATE INDEX articles_publication_visibility_idx
    ON articles (published_at, status, embargo_until, expires_at);
