DROP TABLE sections;
DROP TABLE refresh_tokens;
DROP TABLE users;
