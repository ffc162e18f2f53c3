DROP TABLE article_search_recent;
DROP TABLE article_search_window;
