DROP INDEX events_created_at;
DROP INDEX articles_expires_at;
DROP INDEX articles_embargo_until;
DROP TABLE scheduler;
