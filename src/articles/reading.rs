//! Reading one article: by id (with an optional preview link) or by slug,
//! where an old slug of a readable article answers with where it moved.

use crate::articles::access::{self, not_found, Visibility};
use chrono::NaiveDateTime;

use crate::articles::dto::ArticleResponse;
use crate::articles::model::ArticleRow;
use crate::articles::present::{self, BodyFormat};
use crate::articles::queries;
use crate::auth::role::Actor;
use crate::db::{self, DbConn};
use crate::error::ApiError;

/// What a read by slug found.
pub enum Read {
    /// The article, and the CDN purge keys of the response.
    Article(Box<ArticleResponse>, String),
    /// An old slug: the article's current slug.
    Moved(String),
}

/// Reads an article by id as `user` may see it (staff see every status);
/// `preview` is the article id a verified preview link names, which opens
/// it whatever its status. The article and its purge keys.
pub fn by_id(
    conn: &mut DbConn,
    id: &str,
    preview: Option<&str>,
    user: Option<&Actor>,
    format: BodyFormat,
    widths: &[u32],
) -> Result<(ArticleResponse, String), ApiError> {
    let now = db::now();
    let row = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
    match preview {
        // A preview link reads one article whatever its status, without a login.
        Some(previewed) if previewed == row.id => {}
        // Another article's link opens nothing, and confirms nothing.
        Some(_) => access::may_read(conn, None, &row, now)?,
        None => access::may_read(conn, user, &row, now)?,
    }
    answer(conn, row, user, format, widths, now)
}

/// Reads an article by slug in a locale; an old slug of an article the
/// caller may read answers with where it moved.
pub fn by_slug(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
    user: Option<&Actor>,
    format: BodyFormat,
    widths: &[u32],
) -> Result<Read, ApiError> {
    let now = db::now();
    let current = queries::find_by_slug(conn, locale, slug)?;
    let current = match current {
        Some(row) => Some((access::visibility(conn, user, &row, now)?, row)),
        None => None,
    };
    match current {
        Some((Visibility::Readable, row)) => {
            let (article, keys) = answer(conn, row, user, format, widths, now)?;
            Ok(Read::Article(Box::new(article), keys))
        }
        Some((Visibility::Gone, _)) => Err(ApiError::Gone(
            "this article has been withdrawn by the editors".into(),
        )),
        // Not a slug this caller can read now: an old slug of a readable
        // article answers with where it moved.
        Some((Visibility::Hidden, _)) | None => {
            match queries::article_for_old_slug(conn, locale, slug)? {
                Some(row) if access::visibility(conn, user, &row, now)? == Visibility::Readable => {
                    Ok(Read::Moved(row.slug))
                }
                _ => Err(not_found()),
            }
        }
    }
}

/// The article as `user` sees it, and the purge keys of the response.
fn answer(
    conn: &mut DbConn,
    row: ArticleRow,
    user: Option<&Actor>,
    format: BodyFormat,
    widths: &[u32],
    now: NaiveDateTime,
) -> Result<(ArticleResponse, String), ApiError> {
    let keys = surrogate_keys(&row);
    let is_staff = user.is_some_and(Actor::is_staff);
    let article = present::present(conn, row, format, widths, now, is_staff)?;
    Ok((article, keys))
}

/// The CDN purge keys of an article's response.
pub fn surrogate_keys(row: &ArticleRow) -> String {
    let mut keys = format!("article:{} section:{}", row.id, row.section_id);
    if let Some(m) = &row.main_media_id {
        keys.push_str(&format!(" media:{m}"));
    }
    keys
}

/// The article as staff see it after a write.
pub fn for_staff(conn: &mut DbConn, widths: &[u32], id: &str) -> Result<ArticleResponse, ApiError> {
    let row = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
    present::present(conn, row, BodyFormat::Blocks, widths, db::now(), true)
}
