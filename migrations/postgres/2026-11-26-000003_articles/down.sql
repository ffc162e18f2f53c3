DROP TABLE article_revisions;
DROP TABLE article_media;
DROP TABLE article_bylines;
DROP TABLE articles;
