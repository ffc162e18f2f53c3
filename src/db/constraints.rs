//! The unique constraints of the schema, by name, and what a violation means
//! to a client. Explicit checks answer most conflicts before the database
//! sees them; this table answers the races that slip past them, and every
//! unique violation becomes the same clear 409 wherever it happens.

use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};

/// A unique constraint (or primary key) that a request can run into.
#[derive(Debug, PartialEq, Eq)]
pub struct Unique {
    /// Its name on PostgreSQL (index or `<table>_pkey`).
    pub name: &'static str,
    /// Its columns as SQLite names them: `table.column, table.column`.
    pub columns: &'static str,
    /// The field of the request it concerns.
    pub field: &'static str,
    /// What the conflict means, for the client.
    pub message: &'static str,
}

/// Every unique constraint a request can violate.
pub const UNIQUE: &[Unique] = &[
    Unique {
        name: "users_email_key",
        columns: "users.email",
        field: "email",
        message: "an account with this email already exists",
    },
    Unique {
        name: "sections_slug_key",
        columns: "sections.slug",
        field: "slug",
        message: "the slug is taken by another section",
    },
    Unique {
        name: "media_sha256_key",
        columns: "media.sha256",
        field: "file",
        message: "the same file was uploaded at the same moment",
    },
    Unique {
        name: "media_renditions_pkey",
        columns: "media_renditions.media_id, media_renditions.width, media_renditions.ratio, media_renditions.format",
        field: "width",
        message: "the rendition was made at the same moment",
    },
    Unique {
        name: "articles_locale_slug_key",
        columns: "articles.locale, articles.slug",
        field: "slug",
        message: "the slug is taken in this locale",
    },
    Unique {
        name: "article_slugs_pkey",
        columns: "article_slugs.locale, article_slugs.slug",
        field: "slug",
        message: "the slug is taken in this locale",
    },
    Unique {
        name: "tags_slug_key",
        columns: "tags.slug",
        field: "tags",
        message: "a tag was made with the same slug at the same moment; try again",
    },
    Unique {
        name: "article_tags_pkey",
        columns: "article_tags.article_id, article_tags.tag_id",
        field: "tags",
        message: "names the same tag twice",
    },
    Unique {
        name: "article_sections_pkey",
        columns: "article_sections.article_id, article_sections.section_id",
        field: "section_ids",
        message: "names the same section twice",
    },
    Unique {
        name: "article_related_pkey",
        columns: "article_related.article_id, article_related.position",
        field: "related",
        message: "the article changed meanwhile; try again",
    },
    Unique {
        name: "article_bylines_pkey",
        columns: "article_bylines.article_id, article_bylines.position",
        field: "bylines",
        message: "the article changed meanwhile; try again",
    },
    Unique {
        name: "article_media_pkey",
        columns: "article_media.article_id, article_media.media_id",
        field: "main_media",
        message: "the article changed meanwhile; try again",
    },
    Unique {
        name: "article_revisions_pkey",
        columns: "article_revisions.article_id, article_revisions.number",
        field: "version",
        message: "the article changed meanwhile; try again",
    },
    Unique {
        name: "comment_flags_pkey",
        columns: "comment_flags.comment_id, comment_flags.user_id",
        field: "reason",
        message: "you flagged this comment already",
    },
];

/// The constraint a database error violated, when it is a known unique one.
pub fn unique_violated(err: &Error) -> Option<&'static Unique> {
    let Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = err else {
        return None;
    };
    find(info.as_ref())
}

fn find(info: &dyn DatabaseErrorInformation) -> Option<&'static Unique> {
    if let Some(name) = info.constraint_name() {
        return UNIQUE.iter().find(|u| u.name == name);
    }
    // SQLite names the columns instead: "UNIQUE constraint failed: t.a, t.b".
    let columns = info.message().strip_prefix("UNIQUE constraint failed: ")?;
    UNIQUE.iter().find(|u| u.columns == columns)
}

/// Whether `err` violates the unique constraint named `name`.
pub fn violates(err: &Error, name: &str) -> bool {
    unique_violated(err).is_some_and(|u| u.name == name)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A database error's information, as a backend would give it.
    struct Info(&'static str, Option<&'static str>);

    impl DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.1
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    /// A unique violation with this message and constraint name.
    pub(crate) fn violation(message: &'static str, name: Option<&'static str>) -> Error {
        Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            Box::new(Info(message, name)),
        )
    }

    #[test]
    fn both_backends_name_the_constraint() {
        let sqlite = violation(
            "UNIQUE constraint failed: articles.locale, articles.slug",
            None,
        );
        let postgres = violation(
            "duplicate key value violates unique constraint",
            Some("articles_locale_slug_key"),
        );
        for err in [sqlite, postgres] {
            assert_eq!(
                unique_violated(&err).map(|u| u.field),
                Some("slug"),
                "{err:?}"
            );
            assert!(violates(&err, "articles_locale_slug_key"));
        }
        assert!(unique_violated(&violation("UNIQUE constraint failed: x.y", None)).is_none());
        assert!(unique_violated(&Error::NotFound).is_none());
    }
}
