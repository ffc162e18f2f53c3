//! Many new articles written at once (imports, `seed`): the rows that
//! `service::store` writes for one new article, for a whole batch in a fixed
//! number of statements per table. One by one, an article cost about 25
//! statements: on PostgreSQL each a round trip, on SQLite each a statement
//! stepped and reset.
//!
//! Only for articles that do not exist yet: nothing of theirs is stored, so
//! nothing needs deleting first (their ids are new UUIDs).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, Text};

use crate::articles::body;
use crate::articles::document::Prepared;
use crate::articles::model::{ArticleRow, BylineRow, RevisionRow, TagRow};
use crate::articles::search;
use crate::db::schema::{
    article_bylines, article_media, article_related, article_revisions, article_sections,
    article_slugs, article_tags, articles, tags,
};
use crate::db::{self, DbConn};

/// Rows a statement at most: within both backends' limits on bound values
/// (SQLite 32,766, PostgreSQL 65,535) for the widest table, articles (32).
const ROWS: usize = 500;

/// Inserts every row of `$rows` into `$table`, [`ROWS`] a statement. Rows
/// held by reference (`refs`) are copied into each statement's `Vec` (a
/// slice of references is not insertable).
macro_rules! insert_all {
    ($conn:expr, $table:expr, refs $rows:expr) => {
        for chunk in $rows.chunks(ROWS) {
            db::each_backend!($conn, c => diesel::insert_into($table)
                .values(chunk.to_vec())
                .execute(c))?;
        }
    };
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(ROWS) {
            db::each_backend!($conn, c => diesel::insert_into($table)
                .values(chunk)
                .execute(c))?;
        }
    };
}

/// Stores new articles (their rows, links, relations, search index and
/// first revision by `actor_id`), inside the caller's transaction.
pub fn store_new(
    conn: &mut DbConn,
    batch: &[Prepared],
    actor_id: &str,
    note: &str,
) -> QueryResult<()> {
    let rows: Vec<&ArticleRow> = batch.iter().map(|p| &p.row).collect();
    insert_all!(conn, articles::table, refs rows);
    // A new article's slug is no longer another's old one.
    let mut by_locale: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &rows {
        by_locale.entry(&r.locale).or_default().push(&r.slug);
    }
    for (locale, slugs) in by_locale {
        for chunk in slugs.chunks(ROWS) {
            diesel::delete(
                article_slugs::table
                    .filter(article_slugs::locale.eq(locale))
                    .filter(article_slugs::slug.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    let bylines: Vec<&BylineRow> = batch.iter().flat_map(|p| &p.bylines).collect();
    insert_all!(conn, article_bylines::table, refs bylines);
    let media: Vec<_> = batch
        .iter()
        .flat_map(|p| {
            p.media_ids.iter().map(|m| {
                (
                    article_media::article_id.eq(&p.row.id),
                    article_media::media_id.eq(m),
                )
            })
        })
        .collect();
    insert_all!(conn, article_media::table, media);
    index(conn, batch)?;
    relations(conn, batch)?;
    let now = db::now();
    let revisions: Vec<RevisionRow> = batch
        .iter()
        .map(|p| RevisionRow {
            article_id: p.row.id.clone(),
            number: 1,
            created_by: Some(actor_id.to_string()),
            created_at: now,
            note: note.to_string(),
            document: p.document.clone(),
        })
        .collect();
    insert_all!(conn, article_revisions::table, revisions);
    Ok(())
}

/// Tags (made where they do not exist yet), secondary sections and related
/// articles.
fn relations(conn: &mut DbConn, batch: &[Prepared]) -> QueryResult<()> {
    let mut wanted: Vec<(&str, &str)> = batch
        .iter()
        .flat_map(|p| {
            p.tags
                .iter()
                .map(|(name, slug)| (slug.as_str(), name.as_str()))
        })
        .collect();
    wanted.sort_unstable();
    wanted.dedup_by(|a, b| a.0 == b.0);
    let mut ids: HashMap<String, String> = HashMap::new();
    for chunk in wanted.chunks(ROWS) {
        let slugs: Vec<&str> = chunk.iter().map(|(slug, _)| *slug).collect();
        let found: Vec<(String, String)> = tags::table
            .filter(tags::slug.eq_any(&slugs))
            .select((tags::slug, tags::id))
            .load(conn)?;
        ids.extend(found);
        let now = db::now();
        let new: Vec<TagRow> = chunk
            .iter()
            .filter(|(slug, _)| !ids.contains_key(*slug))
            .map(|(slug, name)| TagRow {
                id: db::new_id(),
                slug: slug.to_string(),
                name: name.to_string(),
                created_at: now,
            })
            .collect();
        insert_all!(conn, tags::table, new);
        ids.extend(new.into_iter().map(|t| (t.slug, t.id)));
    }
    let mut article_tags = Vec::new();
    for p in batch {
        for (position, (_, slug)) in p.tags.iter().enumerate() {
            let Some(tag_id) = ids.get(slug) else {
                return Err(diesel::result::Error::NotFound);
            };
            article_tags.push((
                article_tags::article_id.eq(&p.row.id),
                article_tags::tag_id.eq(tag_id),
                article_tags::position.eq(position as i32),
            ));
        }
    }
    insert_all!(conn, article_tags::table, article_tags);
    let sections: Vec<_> = batch
        .iter()
        .flat_map(|p| {
            p.section_ids.iter().map(|s| {
                (
                    article_sections::article_id.eq(&p.row.id),
                    article_sections::section_id.eq(s),
                )
            })
        })
        .collect();
    insert_all!(conn, article_sections::table, sections);
    let related: Vec<_> = batch
        .iter()
        .flat_map(|p| {
            p.related.iter().enumerate().map(|(position, r)| {
                (
                    article_related::article_id.eq(&p.row.id),
                    article_related::position.eq(position as i32),
                    article_related::related_id.eq(r),
                )
            })
        })
        .collect();
    insert_all!(conn, article_related::table, related);
    Ok(())
}

/// The full-text index of the batch, as `search::index` keeps it.
fn index(conn: &mut DbConn, batch: &[Prepared]) -> QueryResult<()> {
    let texts: Vec<(&str, &str, &str, String)> = batch
        .iter()
        .map(|p| {
            (
                p.row.id.as_str(),
                p.row.headline.as_str(),
                p.row.summary.as_deref().unwrap_or(""),
                body::stored_text(&p.row.body),
            )
        })
        .collect();
    for chunk in texts.chunks(ROWS) {
        match conn {
            DbConn::Sqlite(c) => {
                // One JSON array of [id, headline, summary, body] per chunk:
                // a statement whatever the number of articles.
                let array = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".to_string());
                // Keys fall with time (migration 000024): below the
                // smallest, the chunk's last article lowest.
                diesel::sql_query(format!(
                    "INSERT INTO article_search_keys (rowid, article_id) \
                     SELECT {} - 1 - key, value ->> 0 FROM json_each(?)",
                    search::SMALLEST_KEY
                ))
                .bind::<Text, _>(&array)
                .execute(c)?;
                diesel::sql_query(
                    "INSERT INTO articles_fts (rowid, article_id, headline, summary, body) \
                     SELECT k.rowid, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3 \
                     FROM json_each(?) j JOIN article_search_keys k ON k.article_id = j.value ->> 0 \
                     ORDER BY k.rowid",
                )
                .bind::<Text, _>(&array)
                .execute(c)?;
                diesel::sql_query(
                    "INSERT INTO article_headlines_fts (rowid, headline) \
                     SELECT k.rowid, j.value ->> 1 \
                     FROM json_each(?) j JOIN article_search_keys k ON k.article_id = j.value ->> 0 \
                     ORDER BY k.rowid",
                )
                .bind::<Text, _>(&array)
                .execute(c)?;
            }
            DbConn::Postgres(c) => {
                let column = |i: usize| -> Vec<&str> {
                    chunk
                        .iter()
                        .map(|t| match i {
                            0 => t.0,
                            1 => t.1,
                            2 => t.2,
                            _ => t.3.as_str(),
                        })
                        .collect()
                };
                diesel::sql_query(
                    "INSERT INTO article_search (article_id, headline, summary, body) \
                     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
                )
                .bind::<Array<Text>, _>(column(0))
                .bind::<Array<Text>, _>(column(1))
                .bind::<Array<Text>, _>(column(2))
                .bind::<Array<Text>, _>(column(3))
                .execute(c)?;
                diesel::sql_query(
                    "INSERT INTO article_search_headlines (article_id, document) \
                     SELECT id, to_tsvector('simple', headline) \
                     FROM unnest($1::text[], $2::text[]) AS t (id, headline)",
                )
                .bind::<Array<Text>, _>(column(0))
                .bind::<Array<Text>, _>(column(1))
                .execute(c)?;
                diesel::sql_query(search::WINDOW_ADD)
                    .bind::<Array<Text>, _>(column(0))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}
