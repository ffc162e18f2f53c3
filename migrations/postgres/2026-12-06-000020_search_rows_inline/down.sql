ALTER TABLE article_search RESET (toast_tuple_target);
ALTER TABLE article_search ALTER COLUMN document SET STORAGE EXTENDED;
ALTER TABLE article_search ALTER COLUMN headline_document SET STORAGE EXTENDED;
ALTER TABLE article_search ALTER COLUMN document SET COMPRESSION DEFAULT;
ALTER TABLE article_search ALTER COLUMN headline_document SET COMPRESSION DEFAULT;
