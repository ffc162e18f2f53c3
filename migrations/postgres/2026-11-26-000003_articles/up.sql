-- Articles, their ordered bylines, and every saved revision.
CREATE TABLE articles (
    id                  TEXT PRIMARY KEY,
    slug                TEXT NOT NULL,
    locale              TEXT NOT NULL,
    headline            TEXT NOT NULL,
    subheadline         TEXT,
    kicker              TEXT,
    summary             TEXT,
    body                TEXT NOT NULL DEFAULT '[]',
    dateline            TEXT,
    source              TEXT,
    source_category     TEXT CHECK (source_category IN ('staff', 'wire', 'freelance', 'handout')),
    section_id          TEXT NOT NULL REFERENCES sections (id) ON DELETE RESTRICT,
    main_media_id       TEXT REFERENCES media (id) ON DELETE RESTRICT,
    main_media_caption  TEXT,
    main_media_credit   TEXT,
    seo_title           TEXT,
    seo_description     TEXT,
    canonical_url       TEXT,
    comments_policy     TEXT NOT NULL DEFAULT 'open' CHECK (comments_policy IN ('open', 'moderated', 'closed')),
    status              TEXT NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'in_review', 'scheduled', 'published', 'archived', 'withdrawn')),
    word_count          INTEGER NOT NULL DEFAULT 0,
    reading_minutes     INTEGER NOT NULL DEFAULT 0,
    created_by          TEXT REFERENCES users (id) ON DELETE SET NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    modified_at         TIMESTAMP NOT NULL,
    first_published_at  TIMESTAMP,
    published_at        TIMESTAMP,
    updated_at          TIMESTAMP,
    embargo_until       TIMESTAMP,
    expires_at          TIMESTAMP
);
CREATE UNIQUE INDEX articles_locale_slug_key ON articles (locale, slug);
CREATE INDEX articles_published_idx ON articles (status, published_at, id);
CREATE INDEX articles_section_published_idx ON articles (section_id, status, published_at, id);
CREATE INDEX articles_modified_idx ON articles (status, modified_at, id);
CREATE INDEX articles_main_media_idx ON articles (main_media_id);

CREATE TABLE article_bylines (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
    name       TEXT NOT NULL,
    role       TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_bylines_user_idx ON article_bylines (user_id);

CREATE TABLE article_media (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    media_id   TEXT NOT NULL REFERENCES media (id) ON DELETE RESTRICT,
    PRIMARY KEY (article_id, media_id)
);
CREATE INDEX article_media_media_idx ON article_media (media_id);

CREATE TABLE article_revisions (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    note       TEXT NOT NULL,
    document   TEXT NOT NULL,
    PRIMARY KEY (article_id, number)
);
