-- A search reads the newest articles' rows backwards until enough of them
-- match (or, for rare words, the matches the GIN index lists), testing each
-- row's tsvector. A row past 2 kB had its tsvector compressed (pglz) and a
-- test decompressed it: at 100,000 articles the document tier of 200
-- random two-word searches cost the server 405 ms, two thirds of a search.
-- Rows kept whole up to 8 kB (a page) and the tsvectors kept in the row
-- (compressed, with lz4 where the server has it, only when the row is
-- longer; the texts leave the row first): 270 ms. Rows written before keep
-- their form until their article is saved again (or `VACUUM FULL
-- article_search`).
ALTER TABLE article_search SET (toast_tuple_target = 8160);
ALTER TABLE article_search ALTER COLUMN document SET STORAGE MAIN;
ALTER TABLE article_search ALTER COLUMN headline_document SET STORAGE MAIN;
DO $$
BEGIN
    ALTER TABLE article_search ALTER COLUMN document SET COMPRESSION lz4;
    ALTER TABLE article_search ALTER COLUMN headline_document SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available: search vectors stay compressed with pglz';
END
$$;
