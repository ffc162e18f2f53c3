DROP TABLE article_search_keys;
DROP TABLE articles_fts;
