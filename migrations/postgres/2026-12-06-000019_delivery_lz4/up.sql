-- A stored delivery document (3 kB of JSON at the median) is compressed by
-- PostgreSQL to stay in its row, and decompressed at every read: with lz4
-- instead of pglz, a read by slug cost the server 63 µs of CPU, not 68
-- (20,000 articles, random slugs). lz4 is there when the server was built
-- with it (the packages of Debian, Ubuntu, RHEL and the official images
-- are); without it, documents stay with pglz. Documents stored before keep
-- theirs until they are rendered again.
DO $$
BEGIN
    ALTER TABLE article_deliveries ALTER COLUMN document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: delivery documents stay compressed with pglz';
END
$$;
