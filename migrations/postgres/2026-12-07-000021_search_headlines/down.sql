ALTER TABLE article_search
    ADD COLUMN headline_document tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', headline)) STORED;
ALTER TABLE article_search ALTER COLUMN headline_document SET STORAGE MAIN;
CREATE INDEX article_search_headline_idx ON article_search
    USING GIN (headline_document) WITH (gin_pending_list_limit = 64);
DROP TABLE article_search_headlines;
