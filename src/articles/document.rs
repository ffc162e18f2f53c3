//! From what an editor sends to what is stored: validation, slugs, derived
//! counts, and the links (bylines, media used) saved beside the row.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::articles::body;
use crate::articles::dto::ArticleDocument;
use crate::articles::model::{ArticleRow, BylineRow};
use crate::articles::queries;
use crate::articles::status::{ArticleStatus, CommentsPolicy};
use crate::auth::role::Role;
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::users::model::UserRow;
use crate::{media, sections, slug, users};

/// A validated document, ready to store.
pub struct Prepared {
    /// The row, with content fields set (workflow fields are the caller's).
    pub row: ArticleRow,
    /// Its bylines.
    pub bylines: Vec<BylineRow>,
    /// Every media asset it uses.
    pub media_ids: Vec<String>,
    /// Tags as (name, slug), in order.
    pub tags: Vec<(String, String)>,
    /// Secondary section ids.
    pub section_ids: Vec<String>,
    /// Related article ids, in order.
    pub related: Vec<String>,
    /// The normalised document, as kept in the revision.
    pub document: String,
}

fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    match crate::validation::checked_text(field, &value?, max, &['\n']) {
        Ok(v) => (!v.is_empty()).then_some(v),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

fn naive(t: Option<DateTime<Utc>>) -> Option<NaiveDateTime> {
    t.map(|t| db::truncate(t.naive_utc()))
}

/// Whether a locale looks like a BCP 47 tag (`en`, `de-AT`, `sr-Latn-RS`).
fn valid_locale(locale: &str) -> bool {
    let mut parts = locale.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// What the documents of one batch (an import) looked up already, inside
/// its transaction: a section or staff member is found once, and slugs
/// checked together beforehand are not checked again one by one. On
/// PostgreSQL each lookup is a round trip, three an article.
#[derive(Default)]
pub struct Known {
    sections: HashSet<String>,
    users: HashMap<String, Option<UserRow>>,
    free_slugs: HashSet<(String, String)>,
}

impl Known {
    /// Checks these (locale, slug) pairs in a query a locale, and
    /// remembers the free ones.
    pub fn check_slugs(
        &mut self,
        conn: &mut DbConn,
        pairs: Vec<(String, String)>,
    ) -> Result<(), ApiError> {
        let mut by_locale: HashMap<String, Vec<String>> = HashMap::new();
        for (locale, slug) in pairs {
            by_locale.entry(locale).or_default().push(slug);
        }
        for (locale, slugs) in by_locale {
            for chunk in slugs.chunks(1000) {
                let taken: HashSet<String> = queries::slugs_taken(conn, &locale, chunk)?
                    .into_iter()
                    .collect();
                self.free_slugs.extend(
                    chunk
                        .iter()
                        .filter(|s| !taken.contains(*s))
                        .map(|s| (locale.clone(), s.clone())),
                );
            }
        }
        Ok(())
    }

    fn section_exists(&mut self, conn: &mut DbConn, id: &str) -> Result<bool, ApiError> {
        if self.sections.contains(id) {
            return Ok(true);
        }
        let found = sections::queries::find_by_id(conn, id)?.is_some();
        if found {
            self.sections.insert(id.to_string());
        }
        Ok(found)
    }

    fn user(&mut self, conn: &mut DbConn, id: &str) -> Result<Option<UserRow>, ApiError> {
        if let Some(found) = self.users.get(id) {
            return Ok(found.clone());
        }
        let found = users::queries::find_by_id(conn, id)?;
        self.users.insert(id.to_string(), found.clone());
        Ok(found)
    }

    fn slug_taken(
        &mut self,
        conn: &mut DbConn,
        locale: &str,
        slug: &str,
        except: &str,
    ) -> Result<bool, ApiError> {
        if self
            .free_slugs
            .contains(&(locale.to_string(), slug.to_string()))
        {
            return Ok(false);
        }
        Ok(queries::slug_taken(conn, locale, slug, Some(except))?)
    }
}

/// Validates a document against the database and builds the row to store.
/// `existing` is the stored article when this is an edit.
pub fn prepare(
    conn: &mut DbConn,
    doc: ArticleDocument,
    existing: Option<&ArticleRow>,
    default_locale: &str,
    author: Option<&str>,
) -> Result<Prepared, ApiError> {
    prepare_known(
        conn,
        doc,
        existing,
        default_locale,
        author,
        &mut Known::default(),
    )
}

/// [`prepare`], one of a batch: lookups made for its earlier documents
/// are not made again. The slug it takes is no longer free in `known`.
pub fn prepare_known(
    conn: &mut DbConn,
    mut doc: ArticleDocument,
    existing: Option<&ArticleRow>,
    default_locale: &str,
    author: Option<&str>,
    known: &mut Known,
) -> Result<Prepared, ApiError> {
    let mut e = Vec::new();
    // Names of things that do not exist (404), and values the current state
    // does not allow (409); both count only when the values are valid.
    let mut unknown = Vec::new();
    let mut conflicts = Vec::new();
    let headline = text(&mut e, "headline", Some(doc.headline.clone()), 300);
    if headline.is_none() && !e.iter().any(|f| f.field == "headline") {
        e.push(FieldError::new("headline", "must not be empty"));
    }
    let locale = doc
        .locale
        .clone()
        .unwrap_or_else(|| default_locale.to_string());
    if !valid_locale(&locale) {
        e.push(FieldError::new(
            "locale",
            "must be a BCP 47 language tag such as en or de-AT",
        ));
    }
    let subheadline = text(&mut e, "subheadline", doc.subheadline.clone(), 500);
    let kicker = text(&mut e, "kicker", doc.kicker.clone(), 100);
    let summary = text(&mut e, "summary", doc.summary.clone(), 2000);
    let dateline = text(&mut e, "dateline", doc.dateline.clone(), 100);
    let source = text(&mut e, "source", doc.source.clone(), 200);
    let source_category = doc.source_category;
    let comments_policy = doc.comments_policy.unwrap_or(CommentsPolicy::Moderated);
    let seo_title = text(&mut e, "seo.title", doc.seo.title.clone(), 300);
    let seo_description = text(&mut e, "seo.description", doc.seo.description.clone(), 1000);
    let canonical_url = text(
        &mut e,
        "seo.canonical_url",
        doc.seo.canonical_url.clone(),
        2000,
    );
    if canonical_url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")))
    {
        e.push(FieldError::new(
            "seo.canonical_url",
            "must be an http(s) URL",
        ));
    }
    if let Some(s) = &doc.slug {
        if !slug::is_valid(s) {
            e.push(FieldError::new(
                "slug",
                "must be lower-case letters and digits in words joined by hyphens",
            ));
        }
    }
    let mut media_ids = body::validate(&mut doc.body, &mut e);
    if !known.section_exists(conn, &doc.section_id)? {
        unknown.push(FieldError::new("section_id", "no section has this id"));
    }
    let main = doc.main_media.clone();
    if let Some(m) = &main {
        media_ids.insert(0, m.media_id.clone());
    }
    media_ids.sort();
    media_ids.dedup();
    for id in &media_ids {
        if media::queries::find_by_id(conn, id)?.is_none() {
            unknown.push(FieldError::new(
                "media",
                format!("no media asset has the id {id}"),
            ));
        }
    }
    let main_caption = text(
        &mut e,
        "main_media.caption",
        main.as_ref().and_then(|m| m.caption.clone()),
        5000,
    );
    let main_credit = text(
        &mut e,
        "main_media.credit",
        main.as_ref().and_then(|m| m.credit.clone()),
        500,
    );
    if doc.bylines.len() > 20 {
        e.push(FieldError::new("bylines", "at most 20"));
    }
    let mut bylines = Vec::new();
    for (i, b) in doc.bylines.iter().enumerate() {
        let field = format!("bylines[{i}]");
        let staff = match &b.user_id {
            Some(id) => match known.user(conn, id)? {
                Some(u) if u.role >= Role::Contributor => Some(u),
                Some(_) => {
                    conflicts.push(FieldError::new(&field, "user_id must be a staff member"));
                    None
                }
                None => {
                    unknown.push(FieldError::new(&field, "no user has this user_id"));
                    None
                }
            },
            None => None,
        };
        let name = text(&mut e, &field, b.name.clone(), 200)
            .or_else(|| staff.as_ref().map(|u| u.display_name.clone()));
        let Some(name) = name else {
            if b.user_id.is_none() {
                e.push(FieldError::new(&field, "needs a name or a staff user_id"));
            }
            continue;
        };
        bylines.push(BylineRow {
            article_id: String::new(),
            position: i as i32,
            user_id: staff.map(|u| u.id),
            name,
            role: text(&mut e, &field, b.role.clone(), 100),
        });
    }
    let mut tags: Vec<(String, String)> = Vec::new();
    if doc.tags.len() > 20 {
        e.push(FieldError::new("tags", "at most 20"));
    }
    for (i, sent) in doc.tags.iter().enumerate() {
        let name = sent.trim();
        let slug = slug::slugify(name);
        if name.is_empty()
            || sent.chars().count() > 60
            || slug.is_empty()
            || sent.chars().any(char::is_control)
        {
            e.push(FieldError::new(
                format!("tags[{i}]"),
                "must be 1 to 60 characters with a letter or digit",
            ));
        } else if !tags.iter().any(|(_, s)| *s == slug) {
            tags.push((name.to_string(), slug));
        }
    }
    let mut section_ids: Vec<String> = Vec::new();
    for (i, id) in doc.section_ids.iter().enumerate() {
        if !known.section_exists(conn, id)? {
            unknown.push(FieldError::new(
                format!("section_ids[{i}]"),
                "no section has this id",
            ));
        } else if *id != doc.section_id && !section_ids.contains(id) {
            section_ids.push(id.clone());
        }
    }
    if doc.related.len() > 10 {
        e.push(FieldError::new("related", "at most 10"));
    }
    let mut related: Vec<String> = Vec::new();
    for (i, id) in doc.related.iter().enumerate() {
        if existing.is_some_and(|r| r.id == *id) {
            conflicts.push(FieldError::new(
                format!("related[{i}]"),
                "an article is not related to itself",
            ));
        } else if queries::find_by_id(conn, id)?.is_none() {
            unknown.push(FieldError::new(
                format!("related[{i}]"),
                "no article has this id",
            ));
        } else if !related.contains(id) {
            related.push(id.clone());
        }
    }
    if let (Some(embargo), Some(expiry)) = (doc.embargo_until, doc.expires_at) {
        if expiry <= embargo {
            e.push(FieldError::new("expires_at", "must be after embargo_until"));
        }
    }
    if let Some(error) = ApiError::from_findings(e, conflicts, unknown) {
        return Err(error);
    }
    let headline = headline.unwrap_or_default();
    let id = existing.map(|r| r.id.clone()).unwrap_or_else(db::new_id);
    let slug = match &doc.slug {
        Some(s) => {
            if known.slug_taken(conn, &locale, s, &id)? {
                return Err(ApiError::Conflict(format!(
                    "the slug `{s}` is taken in locale {locale}"
                )));
            }
            s.clone()
        }
        None => {
            let base = slug::slugify(&headline);
            let base = if base.is_empty() {
                "article".to_string()
            } else {
                base
            };
            slug::first_free(&base, |c| queries::slug_taken(conn, &locale, c, Some(&id)))?
        }
    };
    known.free_slugs.remove(&(locale.clone(), slug.clone()));
    for b in &mut bylines {
        b.article_id = id.clone();
    }
    let words = body::word_count(&doc.body);
    let now = db::now();
    // The stored document is the normalised one: slug and locale filled in.
    doc.slug = Some(slug.clone());
    doc.locale = Some(locale.clone());
    doc.comments_policy = Some(comments_policy);
    let document = serde_json::to_string(&doc).map_err(ApiError::internal)?;
    let row = ArticleRow {
        id,
        slug,
        locale,
        headline,
        subheadline,
        kicker,
        summary,
        body: serde_json::to_string(&doc.body).map_err(ApiError::internal)?,
        dateline,
        source,
        source_category,
        section_id: doc.section_id.clone(),
        main_media_id: main.map(|m| m.media_id),
        main_media_caption: main_caption,
        main_media_credit: main_credit,
        seo_title,
        seo_description,
        canonical_url,
        comments_policy,
        status: existing.map_or(ArticleStatus::Draft, |r| r.status),
        word_count: i32::try_from(words).unwrap_or(i32::MAX),
        reading_minutes: i32::try_from(words.div_ceil(200)).unwrap_or(i32::MAX),
        created_by: existing
            .map(|r| r.created_by.clone())
            .unwrap_or_else(|| author.map(str::to_string)),
        version: existing.map(|r| r.version + 1).unwrap_or(1),
        created_at: existing.map(|r| r.created_at).unwrap_or(now),
        modified_at: now,
        first_published_at: existing.and_then(|r| r.first_published_at),
        published_at: existing.and_then(|r| r.published_at),
        updated_at: naive(doc.updated_at),
        embargo_until: naive(doc.embargo_until),
        expires_at: naive(doc.expires_at),
        comment_count: 0,
    };
    Ok(Prepared {
        row,
        bylines,
        media_ids,
        tags,
        section_ids,
        related,
        document,
    })
}
