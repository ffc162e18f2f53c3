//! Sitemaps (sitemaps.org 0.9) for search engines: an index naming one
//! sitemap per month of publication (split in parts of at most
//! `NEWSDESK_SITEMAP_MAX_URLS`, 50,000 by default and at most, when a month
//! is bigger), a sitemap of sections, and the Google News sitemap (articles
//! published in the last 48 hours, at most 1,000). Article entries carry
//! `lastmod` and their lead image (image sitemap extension). Monthly
//! sitemaps are streamed in batches of rows, never built whole in memory.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::articles::queries::{self, ArticleFilter, SitemapRow};
use crate::db::schema::{media, sections};
use crate::db::{self, DbConn, Pool};
use crate::distribution::xml::{escape_into, Xml};
use crate::error::ApiError;
use crate::http::response::public_hashed;
use crate::http::PUBLIC_CACHE;
use crate::state::AppState;
use crate::urls;

/// The most URLs one sitemap may hold (sitemaps.org).
pub const MAX_URLS: usize = 50_000;
/// What the Google News sitemap holds: the last 48 hours, at most 1,000.
pub const NEWS_HOURS: i64 = 48;
/// See [`NEWS_HOURS`].
pub const NEWS_MAX: i64 = 1_000;
/// Rows read (and written out) at a time while streaming.
const BATCH: i64 = 1_000;

const URLSET: &[(&str, &str)] = &[
    ("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9"),
    (
        "xmlns:image",
        "http://www.google.com/schemas/sitemap-image/1.1",
    ),
];

const XML: &str = "application/xml; charset=utf-8";

/// The declaration and the opening `<urlset>` with its namespaces, and
/// `more` attributes (written by the code).
fn urlset_open(more: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset");
    for (k, v) in URLSET {
        out.push_str(&format!(" {k}=\"{v}\""));
    }
    out.push_str(more);
    out.push('>');
    out
}

/// A month of publication and a part of it: `2026-11` or `2026-11-2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MonthPart {
    start: NaiveDate,
    part: usize,
}

impl MonthPart {
    fn parse(text: &str) -> Option<Self> {
        let mut pieces = text.split('-');
        let year: i32 = pieces.next()?.parse().ok()?;
        let month: u32 = pieces.next()?.parse().ok()?;
        let part: usize = match pieces.next() {
            Some(p) if !p.starts_with('0') => p.parse().ok().filter(|&p| p >= 2)?,
            Some(_) => return None,
            None => 1,
        };
        if pieces.next().is_some() || !(1..=9999).contains(&year) {
            return None;
        }
        Some(Self {
            start: NaiveDate::from_ymd_opt(year, month, 1)?,
            part,
        })
    }

    fn name(&self) -> String {
        let month = format!("{:04}-{:02}", self.start.year(), self.start.month());
        if self.part == 1 {
            month
        } else {
            format!("{month}-{}", self.part)
        }
    }

    /// The public articles published in the month.
    fn filter(&self) -> ArticleFilter {
        ArticleFilter {
            published_after: self.start.and_hms_opt(0, 0, 0),
            published_before: next_month(self.start).and_hms_opt(0, 0, 0),
            ..ArticleFilter::default()
        }
    }
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn w3c(t: NaiveDateTime) -> String {
    crate::http::format_time(t)
}

/// The sitemap index: the sections sitemap, the news sitemap and one
/// sitemap per month of publication (parts when a month is bigger than a
/// sitemap may be), newest month first.
#[utoipa::path(
    tag = "distribution",
    responses(
        (status = 200, description = "A sitemap index (sitemaps.org 0.9)", content((String = "application/xml")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/sitemaps/index.xml")]
pub async fn sitemap_index(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let max = state.sitemap_max_urls;
    let parts = db::run(&state.pool, move |conn| months(conn, max)).await?;
    let site = urls::get();
    let mut doc = Xml::new();
    doc.open(
        "sitemapindex",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    );
    for name in ["sections", "news"] {
        doc.open("sitemap", &[])
            .text(
                "loc",
                &[],
                &site.api(&format!("/api/v1/sitemaps/{name}.xml")),
            )
            .close("sitemap");
    }
    for part in &parts {
        doc.open("sitemap", &[]).text(
            "loc",
            &[],
            &site.api(&format!("/api/v1/sitemaps/articles/{}.xml", part.name())),
        );
        doc.close("sitemap");
    }
    doc.close("sitemapindex");
    Ok(public_hashed(
        &req,
        doc.finish(),
        XML,
        None,
        "sitemaps".to_string(),
    ))
}

/// Every month (and part) with public articles, newest first.
fn months(conn: &mut DbConn, max: usize) -> Result<Vec<MonthPart>, ApiError> {
    let now = db::now();
    let Some(first) = queries::first_publication(conn, now)? else {
        return Ok(Vec::new());
    };
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1)
        .ok_or_else(|| ApiError::internal("a publication time without a month"))?;
    let mut months = Vec::new();
    while month.and_hms_opt(0, 0, 0).is_some_and(|t| t <= now) {
        let first_part = MonthPart {
            start: month,
            part: 1,
        };
        let count = queries::count_articles(conn, &first_part.filter(), now)?;
        months.push((month, usize::try_from(count).unwrap_or(0)));
        month = next_month(month);
    }
    // Newest month first; a month's parts in order (part 1 its newest).
    Ok(months
        .into_iter()
        .rev()
        .flat_map(|(start, count)| {
            (1..=count.div_ceil(max.max(1))).map(move |part| MonthPart { start, part })
        })
        .collect())
}

/// The sitemap of one month of publication (`2026-11`), or of one part of
/// a month bigger than a sitemap may be (`2026-11-2`), newest first:
/// each article's public URL, its last change and its lead image. Streamed.
#[utoipa::path(
    tag = "distribution",
    params(("month" = String, Path, description = "`YYYY-MM`, or `YYYY-MM-N` for part N (2 and up) of a big month",
            pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])(-[1-9][0-9]*)?$")),
    responses(
        (status = 200, description = "A sitemap (sitemaps.org 0.9, image extension)", content((String = "application/xml"))),
        (status = 404, description = "No such month or part", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sitemaps/articles/{month}.xml")]
pub async fn month_sitemap(
    state: web::Data<AppState>,
    month: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let part = MonthPart::parse(&month)
        .filter(|p| p.start.year() >= 1970)
        .ok_or_else(|| ApiError::NotFound("no such month: `YYYY-MM` or `YYYY-MM-N`".into()))?;
    let max = i64::try_from(state.sitemap_max_urls).unwrap_or(MAX_URLS as i64);
    let skip = max.saturating_mul(i64::try_from(part.part - 1).unwrap_or(0));
    // The part's first batch now: a part past the month's end is a 404,
    // not an empty sitemap, and an unreachable database a 503.
    let filter = part.filter();
    let asked = BATCH.min(max);
    let first = {
        let filter = filter.clone();
        db::run(&state.pool, move |conn| {
            batch(conn, &filter, None, skip, asked)
        })
        .await?
    };
    // A sitemap holds at least one URL: a month without public articles
    // (the index never names one) or a part past its end has none.
    if first.0.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no public articles in {}",
            part.name()
        )));
    }
    let head = urlset_open("");
    let stream = Stream {
        pool: state.pool.clone(),
        filter,
        pending: Some((first, asked)),
        left: max,
        head: Some(head),
    };
    let body = futures_util::stream::unfold(stream, |mut s| async move {
        let chunk = s.next().await?;
        Some((chunk, s))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, XML))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header(("Surrogate-Key", "sitemaps"))
        .streaming(body))
}

/// Rows of a sitemap with what their entries need: (rows, section slugs,
/// ids of lead media that are images).
type Batch = (
    Vec<SitemapRow>,
    HashMap<String, String>,
    std::collections::HashSet<String>,
);

fn batch(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    after: Option<&(NaiveDateTime, String)>,
    skip: i64,
    limit: i64,
) -> Result<Batch, ApiError> {
    let now = db::now();
    let rows = queries::sitemap_rows(conn, filter, after, skip, limit, now)?;
    let (slugs, images) = embedded(conn, &rows)?;
    Ok((rows, slugs, images))
}

/// Section slugs and image lead media of these rows.
fn embedded(
    conn: &mut DbConn,
    rows: &[SitemapRow],
) -> Result<(HashMap<String, String>, std::collections::HashSet<String>), ApiError> {
    let mut section_ids: Vec<&String> = rows.iter().map(|r| &r.section_id).collect();
    section_ids.sort();
    section_ids.dedup();
    let slugs = if section_ids.is_empty() {
        HashMap::new()
    } else {
        sections::table
            .filter(sections::id.eq_any(section_ids))
            .select((sections::id, sections::slug))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    let media_ids: Vec<&String> = rows
        .iter()
        .filter_map(|r| r.main_media_id.as_ref())
        .collect();
    let images = if media_ids.is_empty() {
        Default::default()
    } else {
        media::table
            .filter(media::id.eq_any(media_ids))
            .filter(media::kind.eq("image"))
            .select(media::id)
            .load::<String>(conn)?
            .into_iter()
            .collect()
    };
    Ok((slugs, images))
}

fn article_url(row: &SitemapRow, section_slug: &str) -> String {
    urls::get().canonical_article(
        row.canonical_url.as_deref(),
        &urls::ArticleParts {
            id: &row.id,
            slug: &row.slug,
            section: section_slug,
            locale: &row.locale,
            date: urls::ArticleParts::path_date(
                row.first_published_at,
                row.published_at,
                row.created_at,
            ),
        },
    )
}

/// The `<url>` entries of a batch; with `news`, the Google News elements.
fn entries(out: &mut String, batch: &Batch, news: bool) {
    let (rows, slugs, images) = batch;
    let site = urls::get();
    for row in rows {
        let slug = slugs.get(&row.section_id).map_or("", String::as_str);
        out.push_str("<url><loc>");
        escape_into(out, &article_url(row, slug));
        out.push_str("</loc><lastmod>");
        out.push_str(&w3c(row.modified_at));
        out.push_str("</lastmod>");
        if news {
            out.push_str("<news:news><news:publication><news:name>");
            escape_into(out, site.name());
            out.push_str("</news:name><news:language>");
            escape_into(out, &news_language(&row.locale));
            out.push_str("</news:language></news:publication><news:publication_date>");
            out.push_str(&w3c(row.published_at.unwrap_or(row.modified_at)));
            out.push_str("</news:publication_date><news:title>");
            escape_into(out, &row.headline);
            out.push_str("</news:title></news:news>");
        }
        if let Some(media) = row.main_media_id.as_ref().filter(|m| images.contains(*m)) {
            out.push_str("<image:image><image:loc>");
            escape_into(out, &site.api(&format!("/api/v1/media/{media}/file")));
            out.push_str("</image:loc></image:image>");
        }
        out.push_str("</url>");
    }
}

/// The language as Google News wants it: ISO 639 (`en`), with the two
/// Chinese scripts kept (`zh-cn`, `zh-tw`).
fn news_language(locale: &str) -> String {
    let lower = locale.to_ascii_lowercase();
    match lower.as_str() {
        "zh-cn" | "zh-hans" | "zh-hans-cn" => "zh-cn".into(),
        "zh-tw" | "zh-hant" | "zh-hant-tw" => "zh-tw".into(),
        _ => lower.split('-').next().unwrap_or("en").to_string(),
    }
}

/// A monthly sitemap being streamed: a batch of rows at a time.
struct Stream {
    pool: Pool,
    filter: ArticleFilter,
    /// The batch to write next, and how many rows were asked for it; none
    /// once the document is closed.
    pending: Option<(Batch, i64)>,
    /// Entries this part may still hold.
    left: i64,
    /// The XML declaration and the opening `urlset`, until written.
    head: Option<String>,
}

impl Stream {
    async fn next(&mut self) -> Option<Result<Bytes, actix_web::Error>> {
        let (rows, asked) = self.pending.take()?;
        let mut out = self.head.take().unwrap_or_default();
        let count = i64::try_from(rows.0.len()).unwrap_or(0);
        entries(&mut out, &rows, false);
        self.left -= count;
        // A short batch is the month's last; a full part ends here too.
        if count < asked || self.left <= 0 {
            out.push_str("</urlset>");
            return Some(Ok(Bytes::from(out)));
        }
        let last = rows
            .0
            .last()
            .map(|r| (r.published_at.unwrap_or(r.modified_at), r.id.clone()));
        let filter = self.filter.clone();
        let limit = BATCH.min(self.left);
        match db::run(&self.pool, move |conn| {
            batch(conn, &filter, last.as_ref(), 0, limit)
        })
        .await
        {
            Ok(next) => self.pending = Some((next, limit)),
            Err(e) => {
                // Headers are out: the connection ends without the closing
                // tag, so a crawler sees a broken document, not a short one.
                tracing::error!("sitemap stream: {e}");
                return Some(Err(actix_web::error::ErrorInternalServerError(
                    "sitemap stream failed",
                )));
            }
        }
        Some(Ok(Bytes::from(out)))
    }
}

/// The Google News sitemap: public articles published in the last 48
/// hours, newest first, at most 1,000, with `news:publication` (the
/// publication's name and the article's language), `news:publication_date`
/// and `news:title`, and the lead image.
#[utoipa::path(
    tag = "distribution",
    responses(
        (status = 200, description = "A Google News sitemap", content((String = "application/xml")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/sitemaps/news.xml")]
pub async fn news_sitemap(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let batch = db::run(&state.pool, |conn| {
        let now = db::now();
        let filter = ArticleFilter {
            published_after: Some(now - Duration::hours(NEWS_HOURS)),
            ..ArticleFilter::default()
        };
        batch(conn, &filter, None, 0, NEWS_MAX)
    })
    .await?;
    let last_modified = batch.0.iter().map(|r| r.modified_at).max();
    let mut out = urlset_open(" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\"");
    entries(&mut out, &batch, true);
    out.push_str("</urlset>");
    let mut keys = String::from("sitemaps");
    for r in &batch.0 {
        keys.push_str(&format!(" article:{}", r.id));
    }
    Ok(public_hashed(
        &req,
        out.into_bytes(),
        XML,
        last_modified,
        keys,
    ))
}

/// The sitemap of sections: each section's page on the site.
#[utoipa::path(
    tag = "distribution",
    responses(
        (status = 200, description = "A sitemap of section pages", content((String = "application/xml")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/sitemaps/sections.xml")]
pub async fn sections_sitemap(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let rows = db::run(&state.pool, |conn| {
        Ok(sections::table
            .order((
                sections::position.asc(),
                sections::name.asc(),
                sections::id.asc(),
            ))
            .select((sections::slug, sections::updated_at))
            .load::<(String, NaiveDateTime)>(conn)?)
    })
    .await?;
    let site = urls::get();
    let mut doc = Xml::new();
    doc.open(
        "urlset",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    );
    for (slug, updated) in &rows {
        doc.open("url", &[])
            .text("loc", &[], &site.section(slug))
            .text("lastmod", &[], &w3c(*updated))
            .close("url");
    }
    doc.close("urlset");
    let last_modified = rows.iter().map(|(_, t)| *t).max();
    Ok(public_hashed(
        &req,
        doc.finish(),
        XML,
        last_modified,
        "sitemaps sections".to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_names_parse_and_print_alike() {
        for name in ["2026-11", "2026-01-2", "1999-12-17"] {
            assert_eq!(
                MonthPart::parse(name).map(|p| p.name()).as_deref(),
                Some(name)
            );
        }
        for bad in [
            "2026-13",
            "2026-11-1",
            "2026-11-02",
            "2026",
            "x-11",
            "2026-11-2-3",
            "0-01",
        ] {
            assert_eq!(MonthPart::parse(bad), None, "{bad}");
        }
        assert_eq!(news_language("en-GB"), "en");
        assert_eq!(news_language("zh-Hant-TW"), "zh-tw");
    }
}
