DROP TABLE article_related;
DROP TABLE article_sections;
DROP TABLE article_tags;
DROP TABLE tags;
