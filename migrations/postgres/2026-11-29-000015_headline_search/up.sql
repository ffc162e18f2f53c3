-- Headlines alone, for search's first tier (articles whose headline holds
-- every word): the weighted document's index cannot tell a headline match
-- from a body match, so every article holding the words anywhere was
-- fetched and rechecked.
ALTER TABLE article_search
    ADD COLUMN headline_document tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', headline)) STORED;
CREATE INDEX article_search_headline_idx ON article_search USING GIN (headline_document);
