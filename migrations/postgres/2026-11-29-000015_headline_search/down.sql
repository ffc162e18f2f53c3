DROP INDEX article_search_headline_idx;
ALTER TABLE article_search DROP COLUMN headline_document;
