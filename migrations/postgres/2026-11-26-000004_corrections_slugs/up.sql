-- The public corrections log of articles, and the slugs articles had before
-- (so old links redirect instead of dying).
CREATE TABLE article_corrections (
    id         TEXT PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('correction', 'clarification', 'update')),
    text       TEXT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX article_corrections_article_idx ON article_corrections (article_id, created_at);

CREATE TABLE article_slugs (
    locale     TEXT NOT NULL,
    slug       TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (locale, slug)
);
