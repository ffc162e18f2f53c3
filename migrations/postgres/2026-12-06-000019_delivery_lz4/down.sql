ALTER TABLE article_deliveries ALTER COLUMN document SET COMPRESSION default;
