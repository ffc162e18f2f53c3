//! Reading one article: by id (with an optional preview link) or by slug,
//! where an old slug of a readable article answers with where it moved.

use crate::articles::access::{self, not_found, Visibility};
use crate::articles::dto::ArticleResponse;
use crate::articles::present::{self, BodyFormat};
use crate::articles::queries;
use crate::auth::role::Actor;
use crate::db::{self, DbConn};
use crate::error::ApiError;

/// Which article.
pub enum Target {
    /// By id; `preview` is the article id a verified preview link names.
    Id {
        /// Article id.
        id: String,
        /// The article a preview link opens, if one was sent.
        preview: Option<String>,
    },
    /// By slug in a locale.
    Slug {
        /// Locale.
        locale: String,
        /// Slug, current or old.
        slug: String,
    },
}

/// What a read found.
pub enum Read {
    /// The article, and the CDN purge keys of the response.
    Article(Box<ArticleResponse>, String),
    /// An old slug: the article's current slug.
    Moved(String),
}

/// Reads an article as `user` may see it (staff see every status).
pub fn read(
    conn: &mut DbConn,
    target: Target,
    user: Option<&Actor>,
    format: BodyFormat,
    widths: &[u32],
) -> Result<Read, ApiError> {
    let now = db::now();
    let is_staff = user.is_some_and(Actor::is_staff);
    let row = match target {
        Target::Id { id, preview } => {
            let row = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
            match preview {
                // A preview link reads one article whatever its status, without a login.
                Some(previewed) if previewed == row.id => {}
                Some(_) => {
                    return Err(ApiError::Unauthorized(
                        "the preview link is for another article".into(),
                    ))
                }
                None => access::may_read(user, &row, now)?,
            }
            row
        }
        Target::Slug { locale, slug } => {
            let current = queries::find_by_slug(conn, &locale, &slug)?;
            match current
                .as_ref()
                .map(|row| access::visibility(user, row, now))
            {
                Some(Visibility::Readable) => current.ok_or_else(not_found)?,
                Some(Visibility::Gone) => {
                    return Err(ApiError::Gone(
                        "this article has been withdrawn by the editors".into(),
                    ))
                }
                // Not a slug this caller can read now: an old slug of a
                // readable article answers with where it moved.
                Some(Visibility::Hidden) | None => {
                    return queries::article_for_old_slug(conn, &locale, &slug)?
                        .filter(|row| access::visibility(user, row, now) == Visibility::Readable)
                        .map(|row| Read::Moved(row.slug))
                        .ok_or_else(not_found);
                }
            }
        }
    };
    let mut keys = format!("article:{} section:{}", row.id, row.section_id);
    if let Some(m) = &row.main_media_id {
        keys.push_str(&format!(" media:{m}"));
    }
    let article = present::present(conn, row, format, widths, now, is_staff)?;
    Ok(Read::Article(Box::new(article), keys))
}

/// The article as staff see it after a write.
pub fn for_staff(conn: &mut DbConn, widths: &[u32], id: &str) -> Result<ArticleResponse, ApiError> {
    let row = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
    present::present(conn, row, BodyFormat::Blocks, widths, db::now(), true)
}
