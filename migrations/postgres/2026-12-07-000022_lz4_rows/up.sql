-- The other values PostgreSQL compresses when a row passes 2 kB, with lz4
-- instead of pglz where the server has it (as migration 000019 did for
-- delivery documents): an article's body, its revisions' documents, and
-- the stored list items, which nearly every item of 1.5 kB was (in its row
-- of four copies of the article), decompressed again for every list page,
-- section page and search that splices it. pglz compressing was a tenth of
-- the PostgreSQL server's time in a bulk load. Rows written before keep
-- theirs until they are written again.
DO $$
BEGIN
    ALTER TABLE articles ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE article_revisions ALTER COLUMN document SET COMPRESSION lz4;
    ALTER TABLE article_deliveries ALTER COLUMN item SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: these values stay compressed with pglz';
END
$$;
