DROP TABLE media_renditions;
DROP TABLE media;
