ALTER TABLE articles ALTER COLUMN body SET COMPRESSION default;
ALTER TABLE article_revisions ALTER COLUMN document SET COMPRESSION default;
ALTER TABLE article_deliveries ALTER COLUMN item SET COMPRESSION default;
