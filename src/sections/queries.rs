//! Queries on `sections`.

use diesel::prelude::*;

use crate::db::schema::sections;
use crate::db::{self, DbConn};
use crate::sections::model::{SectionChanges, SectionRow};

/// The keyset position of a section in the listing order (position, name, id).
pub type SectionKey = (i32, String, String);

/// The key of a row.
pub fn key_of(row: &SectionRow) -> SectionKey {
    (row.position, row.name.clone(), row.id.clone())
}

/// Which sections a listing shows.
#[derive(Debug, Clone, Default)]
pub struct SectionFilter {
    /// Only children of this section id.
    pub parent_id: Option<String>,
}

/// A page of sections after `after`, ordered by position, then name, then id.
pub fn list_sections(
    conn: &mut DbConn,
    filter: &SectionFilter,
    after: Option<&SectionKey>,
    limit: i64,
) -> QueryResult<Vec<SectionRow>> {
    let mut query = sections::table.select(SectionRow::as_select()).into_boxed();
    if let Some(parent) = &filter.parent_id {
        query = query.filter(sections::parent_id.eq(parent.clone()));
    }
    if let Some((position, name, id)) = after {
        query = query.filter(
            sections::position
                .gt(*position)
                .or(sections::position
                    .eq(*position)
                    .and(sections::name.gt(name.clone())))
                .or(sections::position
                    .eq(*position)
                    .and(sections::name.eq(name.clone()))
                    .and(sections::id.gt(id.clone()))),
        );
    }
    query
        .order((
            sections::position.asc(),
            sections::name.asc(),
            sections::id.asc(),
        ))
        .limit(limit)
        .load(conn)
}

/// How many sections the filter matches.
pub fn count_sections(conn: &mut DbConn, filter: &SectionFilter) -> QueryResult<i64> {
    let mut query = sections::table.count().into_boxed();
    if let Some(parent) = &filter.parent_id {
        query = query.filter(sections::parent_id.eq(parent.clone()));
    }
    query.get_result(conn)
}

/// A section by id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<SectionRow>> {
    sections::table
        .find(id)
        .select(SectionRow::as_select())
        .first(conn)
        .optional()
}

/// A section by slug.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<SectionRow>> {
    sections::table
        .filter(sections::slug.eq(slug))
        .select(SectionRow::as_select())
        .first(conn)
        .optional()
}

/// A section by id when the key parses as a UUID, else by slug.
pub fn find_by_id_or_slug(conn: &mut DbConn, key: &str) -> QueryResult<Option<SectionRow>> {
    match uuid::Uuid::parse_str(key) {
        Ok(id) => find_by_id(conn, &id.to_string()),
        Err(_) => find_by_slug(conn, key),
    }
}

/// A section as [`find_by_id_or_slug`] finds it, and whether any article
/// has it as a secondary section: a section's page asks both, in one
/// statement (a round trip fewer on PostgreSQL).
pub fn find_with_secondary(
    conn: &mut DbConn,
    key: &str,
) -> QueryResult<Option<(SectionRow, bool)>> {
    let secondary = db::cached::fixed::<diesel::sql_types::Bool>(
        "EXISTS (SELECT 1 FROM article_sections x WHERE x.section_id = sections.id)",
    );
    match uuid::Uuid::parse_str(key) {
        Ok(id) => sections::table
            .filter(sections::id.eq(id.to_string()))
            .select((SectionRow::as_select(), secondary))
            .first(conn)
            .optional(),
        Err(_) => sections::table
            .filter(sections::slug.eq(key))
            .select((SectionRow::as_select(), secondary))
            .first(conn)
            .optional(),
    }
}

/// Whether a slug is in use (by a section other than `except`).
pub fn slug_taken(conn: &mut DbConn, slug: &str, except: Option<&str>) -> QueryResult<bool> {
    let mut query = sections::table
        .filter(sections::slug.eq(slug))
        .select(sections::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(sections::id.ne(id.to_string()));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// The slugs of a section's children (at most `limit`), for a 409's message.
pub fn child_slugs(conn: &mut DbConn, id: &str, limit: i64) -> QueryResult<Vec<String>> {
    sections::table
        .filter(sections::parent_id.eq(id))
        .order(sections::slug.asc())
        .select(sections::slug)
        .limit(limit)
        .load(conn)
}

/// A section's id and the ids of all its descendants (at most 10 levels).
pub fn with_descendants(conn: &mut DbConn, id: &str) -> QueryResult<Vec<String>> {
    let mut all = vec![id.to_string()];
    let mut level = vec![id.to_string()];
    for _ in 0..10 {
        let children: Vec<String> = sections::table
            .filter(sections::parent_id.eq_any(level.clone()))
            .select(sections::id)
            .load(conn)?;
        let fresh: Vec<String> = children.into_iter().filter(|c| !all.contains(c)).collect();
        if fresh.is_empty() {
            break;
        }
        all.extend(fresh.iter().cloned());
        level = fresh;
    }
    Ok(all)
}

/// Whether making `parent` the parent of `id` would close a loop: true when
/// `id` is `parent` or one of its ancestors.
pub fn would_cycle(conn: &mut DbConn, id: &str, parent: &str) -> QueryResult<bool> {
    let mut current = Some(parent.to_string());
    // The walk is bounded: the tree has no loop yet, but never trust that.
    for _ in 0..1000 {
        let Some(cursor) = current else {
            return Ok(false);
        };
        if cursor == id {
            return Ok(true);
        }
        current = sections::table
            .find(&cursor)
            .select(sections::parent_id)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten();
    }
    Ok(true)
}

/// Inserts a section.
pub fn insert_section(conn: &mut DbConn, row: &SectionRow) -> QueryResult<SectionRow> {
    diesel::insert_into(sections::table)
        .values(row)
        .returning(sections::all_columns)
        .get_result(conn)
}

/// Applies changes if the section is still at `version`; `None` otherwise.
pub fn update_section(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    changes: SectionChanges,
) -> QueryResult<Option<SectionRow>> {
    diesel::update(
        sections::table
            .filter(sections::id.eq(id))
            .filter(sections::version.eq(version)),
    )
    .set((
        changes,
        sections::version.eq(version + 1),
        sections::updated_at.eq(db::now()),
    ))
    .returning(sections::all_columns)
    .get_result(conn)
    .optional()
}

/// Deletes a section if it is still at `version`; whether it was deleted.
pub fn delete_section(conn: &mut DbConn, id: &str, version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        sections::table
            .filter(sections::id.eq(id))
            .filter(sections::version.eq(version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
