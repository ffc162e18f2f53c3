//! Queries on `media` and `media_renditions`.

use diesel::prelude::*;

use crate::db::schema::{media, media_renditions};
use crate::db::{self, constraints, DbConn};
use crate::media::model::{MediaMetadataColumns, MediaRow, RenditionRow};

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
diesel::define_sql_function! {
    /// SQL `lower()` of a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Which assets a library listing shows.
#[derive(Debug, Clone, Default)]
pub struct MediaFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Provider, exact but case-insensitive.
    pub provider: Option<String>,
    /// Part of a creator's name, case-insensitive.
    pub creator: Option<String>,
    /// Words in title, caption, alt text or credits, case-insensitive.
    pub q: Option<String>,
}

/// A `LIKE` pattern matching `text` anywhere, with its wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

type Boxed<'a> = media::BoxedQuery<'a, db::MultiBackend>;

fn apply_filter<'a>(mut query: Boxed<'a>, filter: &MediaFilter) -> Boxed<'a> {
    if let Some(kind) = &filter.kind {
        query = query.filter(media::kind.eq(kind.clone()));
    }
    if let Some(provider) = &filter.provider {
        query = query.filter(lower_nullable(media::provider).eq(provider.to_lowercase()));
    }
    if let Some(creator) = &filter.creator {
        query = query.filter(
            lower(media::creators)
                .like(contains_pattern(creator))
                .escape('\\'),
        );
    }
    if let Some(q) = &filter.q {
        for word in q.split_whitespace().take(8) {
            let p = contains_pattern(word);
            query = query.filter(
                lower_nullable(media::title)
                    .like(p.clone())
                    .escape('\\')
                    .or(lower_nullable(media::caption).like(p.clone()).escape('\\'))
                    .or(lower_nullable(media::alt_text).like(p.clone()).escape('\\'))
                    .or(lower(media::creators).like(p.clone()).escape('\\'))
                    .or(lower_nullable(media::provider).like(p.clone()).escape('\\'))
                    .or(lower_nullable(media::copyright_notice).like(p).escape('\\'))
                    .assume_not_null(),
            );
        }
    }
    query
}

/// A page of assets, newest first (ids are time-ordered), after `after`.
pub fn list_media(
    conn: &mut DbConn,
    filter: &MediaFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<MediaRow>> {
    let mut query = apply_filter(media::table.into_boxed(), filter);
    if let Some(after) = after {
        query = query.filter(media::id.lt(after.to_string()));
    }
    query
        .select(MediaRow::as_select())
        .order(media::id.desc())
        .limit(limit)
        .load(conn)
}

/// How many assets the filter matches.
pub fn count_media(conn: &mut DbConn, filter: &MediaFilter) -> QueryResult<i64> {
    apply_filter(media::table.into_boxed(), filter)
        .count()
        .get_result(conn)
}

/// An asset by id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<MediaRow>> {
    media::table
        .find(id)
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

/// An asset by the SHA-256 of its bytes.
pub fn find_by_sha256(conn: &mut DbConn, sha256: &str) -> QueryResult<Option<MediaRow>> {
    media::table
        .filter(media::sha256.eq(sha256))
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts an asset.
pub fn insert_media(conn: &mut DbConn, row: &MediaRow) -> Result<MediaRow, diesel::result::Error> {
    diesel::insert_into(media::table)
        .values(row)
        .returning(media::all_columns)
        .get_result(conn)
}

/// Writes new metadata if the asset is still at `version`; `None` otherwise.
pub fn update_metadata(
    conn: &mut DbConn,
    id: &str,
    version: i64,
    columns: &MediaMetadataColumns,
) -> QueryResult<Option<MediaRow>> {
    diesel::update(
        media::table
            .filter(media::id.eq(id))
            .filter(media::version.eq(version)),
    )
    .set((
        columns,
        media::version.eq(version + 1),
        media::updated_at.eq(db::now()),
    ))
    .returning(media::all_columns)
    .get_result(conn)
    .optional()
}

/// Deletes an asset if still at `version`, returning the storage keys of its
/// original and renditions (to delete from the store after commit).
pub fn delete_media(conn: &mut DbConn, row: &MediaRow) -> QueryResult<Option<Vec<String>>> {
    let mut keys: Vec<String> = media_renditions::table
        .filter(media_renditions::media_id.eq(&row.id))
        .select(media_renditions::storage_key)
        .load(conn)?;
    diesel::delete(media_renditions::table.filter(media_renditions::media_id.eq(&row.id)))
        .execute(conn)?;
    let n = diesel::delete(
        media::table
            .filter(media::id.eq(&row.id))
            .filter(media::version.eq(row.version)),
    )
    .execute(conn)?;
    if n == 0 {
        return Ok(None);
    }
    keys.push(row.storage_key.clone());
    Ok(Some(keys))
}

/// A stored rendition.
pub fn find_rendition(
    conn: &mut DbConn,
    media_id: &str,
    width: i32,
    ratio: &str,
    format: &str,
) -> QueryResult<Option<RenditionRow>> {
    media_renditions::table
        .find((media_id, width, ratio, format))
        .select(RenditionRow::as_select())
        .first(conn)
        .optional()
}

/// Records a rendition; a concurrent twin that got there first is fine.
pub fn insert_rendition(conn: &mut DbConn, row: &RenditionRow) -> QueryResult<()> {
    match diesel::insert_into(media_renditions::table)
        .values(row)
        .execute(conn)
    {
        Ok(_) => Ok(()),
        Err(e) if constraints::violates(&e, "media_renditions_pkey") => Ok(()),
        Err(e) => Err(e),
    }
}

/// Forgets the cropped renditions of an asset (its focal point moved),
/// returning their storage keys.
pub fn delete_cropped_renditions(conn: &mut DbConn, media_id: &str) -> QueryResult<Vec<String>> {
    let rows = media_renditions::table
        .filter(media_renditions::media_id.eq(media_id))
        .filter(media_renditions::ratio.ne(""));
    let keys: Vec<String> = rows.select(media_renditions::storage_key).load(conn)?;
    diesel::delete(rows).execute(conn)?;
    Ok(keys)
}
