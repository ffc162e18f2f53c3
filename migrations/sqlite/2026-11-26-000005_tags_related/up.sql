-- Tags, secondary sections and related articles.
CREATE TABLE tags (
    id         TEXT PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_slug_key ON tags (slug);

CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag_idx ON article_tags (tag_id, article_id);

CREATE TABLE article_sections (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    section_id TEXT NOT NULL REFERENCES sections (id) ON DELETE RESTRICT,
    PRIMARY KEY (article_id, section_id)
);
CREATE INDEX article_sections_section_idx ON article_sections (section_id, article_id);

CREATE TABLE article_related (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    related_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, position)
);
