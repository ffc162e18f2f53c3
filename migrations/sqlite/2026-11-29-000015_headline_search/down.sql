DROP TABLE article_headlines_fts;
