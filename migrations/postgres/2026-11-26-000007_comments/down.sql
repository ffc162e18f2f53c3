DROP TABLE comment_flags;
DROP TABLE comment_moderation;
DROP TABLE comments;
ALTER TABLE articles DROP COLUMN comment_count;
ALTER TABLE users DROP COLUMN comments_hidden;
ALTER TABLE users DROP COLUMN comment_banned_until;
