//! Articles as frontends receive them: section summary, bylines and lead
//! media with its credit line and renditions, in one response.

use chrono::NaiveDateTime;

use crate::articles::body::{self, Block};
use crate::articles::dto::{
    ArticleResponse, Byline, MainMedia, RelatedArticle, SectionSummary, Seo, Tag,
};
use crate::articles::model::ArticleRow;
use crate::articles::relations::{self, Embedded};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::format_time;
use crate::media::dto::MediaResponse;

/// How much of the body to include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// No body (list items).
    None,
    /// Blocks.
    Blocks,
    /// Blocks and `body_html`.
    Html,
    /// Blocks and `body_text`.
    Text,
}

/// Presents one article.
pub fn present(
    conn: &mut DbConn,
    row: ArticleRow,
    format: BodyFormat,
    widths: &[u32],
    now: NaiveDateTime,
    staff: bool,
) -> Result<ArticleResponse, ApiError> {
    present_full(conn, vec![row], format, widths, now, staff)?
        .pop()
        .ok_or_else(|| ApiError::internal("an article presented to nothing"))
}

/// Presents whole articles (with related teasers and corrections), as many
/// as given, with a fixed number of queries: reads of one article, and the
/// delivery documents rendered in batches.
pub fn present_full(
    conn: &mut DbConn,
    rows: Vec<ArticleRow>,
    format: BodyFormat,
    widths: &[u32],
    now: NaiveDateTime,
    staff: bool,
) -> Result<Vec<ArticleResponse>, ApiError> {
    let embedded = relations::embedded(conn, &rows, format == BodyFormat::Html)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut related = relations::related_of_many(conn, &ids)?;
    let mut corrections = relations::corrections_of_many(conn, &ids)?;
    // The related articles' section slugs, for their addresses.
    let mut wanted: Vec<&String> = related.values().flatten().map(|r| &r.section_id).collect();
    wanted.sort();
    wanted.dedup();
    let sections: std::collections::HashMap<String, String> = if wanted.is_empty() {
        Default::default()
    } else {
        use crate::db::schema::sections;
        use diesel::prelude::*;
        sections::table
            .filter(sections::id.eq_any(wanted))
            .select((sections::id, sections::slug))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            // Related teasers show only what this caller may read: no draft leaks through them.
            let related_articles: Vec<RelatedArticle> = related
                .remove(&row.id)
                .unwrap_or_default()
                .iter()
                .filter(|r| staff || r.is_visible(now))
                .map(|r| RelatedArticle {
                    url: article_url(r, sections.get(&r.section_id).map_or("", String::as_str)),
                    id: r.id.clone(),
                    slug: r.slug.clone(),
                    kicker: r.kicker.clone(),
                    headline: r.headline.clone(),
                    published_at: r.published_at.map(format_time),
                })
                .collect();
            let log = corrections
                .remove(&row.id)
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect();
            let mut article = build(row, &embedded, format, widths, now);
            article.corrections = Some(log);
            article.related = Some(related_articles);
            article
        })
        .collect())
}

/// Presents a page of articles (summaries) with a fixed number of queries.
pub fn present_list(
    conn: &mut DbConn,
    rows: Vec<ArticleRow>,
    format: BodyFormat,
    widths: &[u32],
    now: NaiveDateTime,
) -> Result<Vec<ArticleResponse>, ApiError> {
    // The related rows are read in several queries, even for no article
    // (13% of a section page's time when every item was stored).
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let related = relations::embedded(conn, &rows, format == BodyFormat::Html)?;
    Ok(rows
        .into_iter()
        .map(|r| build(r, &related, format, widths, now))
        .collect())
}

fn build(
    row: ArticleRow,
    related: &Embedded,
    format: BodyFormat,
    widths: &[u32],
    now: NaiveDateTime,
) -> ArticleResponse {
    let section = related
        .sections
        .get(&row.section_id)
        .map(|s| SectionSummary::new(s.id.clone(), s.slug.clone(), s.name.clone()))
        .unwrap_or_else(|| {
            SectionSummary::new(row.section_id.clone(), String::new(), String::new())
        });
    let bylines = related
        .bylines
        .get(&row.id)
        .map(|bs| {
            bs.iter()
                .map(|b| Byline {
                    name: b.name.clone(),
                    role: b.role.clone(),
                    url: b.user_id.as_deref().map(|id| crate::urls::get().author(id)),
                    user_id: b.user_id.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let main_media = row
        .main_media_id
        .as_ref()
        .and_then(|id| related.media.get(id))
        .map(|m| {
            let asset = MediaResponse::from_row(m.clone(), widths, false);
            MainMedia {
                media_id: asset.id,
                kind: asset.kind,
                caption: row.main_media_caption.clone().or(asset.caption),
                credit_line: row.main_media_credit.clone().or(asset.credit_line),
                alt_text: asset.alt_text,
                width: asset.width,
                height: asset.height,
                file_url: asset.file_url,
                renditions: asset.renditions,
            }
        });
    let blocks: Vec<Block> = serde_json::from_str(&row.body).unwrap_or_default();
    let body_html = (format == BodyFormat::Html).then(|| {
        body::to_html(&blocks, |id| {
            related.media.get(id).map(|m| {
                let src = match m.width {
                    Some(w)
                        if widths.iter().any(|&x| x as i32 <= w)
                            && crate::media::render::can_render(&m.mime_type) =>
                    {
                        let width = widths
                            .iter()
                            .copied()
                            .filter(|&x| x as i32 <= w)
                            .max()
                            .unwrap_or(0);
                        format!("/api/v1/media/{}/renditions/{width}.jpeg", m.id)
                    }
                    _ => format!("/api/v1/media/{}/file", m.id),
                };
                (src, m.caption.clone())
            })
        })
    });
    let body_text = (format == BodyFormat::Text).then(|| body::to_text(&blocks));
    let secondary_sections = related
        .secondary
        .get(&row.id)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| related.sections.get(id))
                .map(|s| SectionSummary::new(s.id.clone(), s.slug.clone(), s.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let tags = related
        .tags
        .get(&row.id)
        .map(|tags| tags.iter().cloned().map(Tag::from).collect())
        .unwrap_or_default();
    let url = article_url(&row, &section.slug);
    ArticleResponse {
        status: row.effective_status(now),
        url,
        id: row.id,
        slug: row.slug,
        locale: row.locale,
        kicker: row.kicker,
        headline: row.headline,
        subheadline: row.subheadline,
        summary: row.summary,
        dateline: row.dateline,
        source: row.source,
        source_category: row.source_category,
        secondary_sections,
        tags,
        related: None,
        section,
        bylines,
        main_media,
        body: (format != BodyFormat::None).then_some(blocks),
        body_html,
        body_text,
        seo: Seo {
            title: row.seo_title,
            description: row.seo_description,
            canonical_url: row.canonical_url,
        },
        comments_policy: row.comments_policy,
        corrections: None,
        snippet: None,
        comment_count: i64::from(row.comment_count),
        word_count: row.word_count,
        reading_minutes: row.reading_minutes,
        version: row.version,
        created_at: row.created_at,
        modified_at: row.modified_at,
        first_published_at: row.first_published_at.map(format_time),
        published_at: row.published_at.map(format_time),
        updated_at: row.updated_at.map(format_time),
        embargo_until: row.embargo_until.map(format_time),
        expires_at: row.expires_at.map(format_time),
    }
}

/// An article's canonical address: the URL set by its editors, else its
/// path on the site.
pub fn article_url(row: &ArticleRow, section_slug: &str) -> String {
    crate::urls::get().canonical_article(
        row.canonical_url.as_deref(),
        &crate::urls::ArticleParts {
            id: &row.id,
            slug: &row.slug,
            section: section_slug,
            locale: &row.locale,
            date: crate::urls::ArticleParts::path_date(
                row.first_published_at,
                row.published_at,
                row.created_at,
            ),
        },
    )
}

/// The top-level fields of an article that `fields=` may name.
pub const FIELDS: &[&str] = &[
    "id",
    "slug",
    "url",
    "locale",
    "status",
    "kicker",
    "headline",
    "subheadline",
    "summary",
    "dateline",
    "source",
    "source_category",
    "section",
    "secondary_sections",
    "tags",
    "related",
    "bylines",
    "main_media",
    "snippet",
    "body",
    "body_html",
    "body_text",
    "seo",
    "comments_policy",
    "corrections",
    "comment_count",
    "word_count",
    "reading_minutes",
    "version",
    "created_at",
    "modified_at",
    "first_published_at",
    "published_at",
    "updated_at",
    "embargo_until",
    "expires_at",
];

/// A `fields=a,b,c` parameter: the fields to keep, or `None` for all.
/// An unknown or empty name (`fields=`, `id,`, `id, slug`) is a 400 naming `fields`.
pub fn parse_fields(param: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    let Some(param) = param else {
        return Ok(None);
    };
    let mut fields: Vec<String> = Vec::new();
    for name in param.split(',') {
        if !FIELDS.contains(&name) {
            return Err(ApiError::bad_param(
                "fields",
                format!("`{name}` is not a field of an article (give names like id,slug,headline, comma-separated)"),
            ));
        }
        if !fields.iter().any(|f| f == name) {
            fields.push(name.to_string());
        }
    }
    Ok(Some(fields))
}

/// The body format that the asked-for fields need, at least `base`.
pub fn format_for(fields: Option<&[String]>, base: BodyFormat) -> BodyFormat {
    let has = |f: &str| fields.is_some_and(|fs| fs.iter().any(|x| x == f));
    if has("body_html") {
        BodyFormat::Html
    } else if has("body_text") {
        BodyFormat::Text
    } else if has("body") && base == BodyFormat::None {
        BodyFormat::Blocks
    } else {
        base
    }
}

/// An article as JSON, with only `fields` kept when given.
pub fn trimmed(article: &ArticleResponse, fields: Option<&[String]>) -> serde_json::Value {
    let mut value = serde_json::to_value(article).unwrap_or_default();
    if let (Some(fields), Some(map)) = (fields, value.as_object_mut()) {
        map.retain(|k, _| fields.iter().any(|f| f == k));
    }
    value
}
