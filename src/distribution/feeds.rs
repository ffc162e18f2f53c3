//! RSS 2.0, Atom 1.0 and JSON Feed 1.1 of published articles: everything,
//! a section (with its subsections), a tag, a staff author or a locale.
//!
//! Items are the public list of articles (nothing scheduled, embargoed,
//! expired, withdrawn or unpublished ever appears), newest published first,
//! presented as the API presents them, so that links are the articles'
//! public URLs and the lead image carries its credit and copyright (Media
//! RSS in RSS and Atom, an extension object in JSON Feed).

use std::collections::HashMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::articles::dto::ArticleListQuery;
use crate::articles::dto::ArticleResponse;
use crate::articles::listing::{self, ListItem, ListRequest};
use crate::articles::present;
use crate::articles::relations;
use crate::db::{self, schema::media, DbConn};
use crate::distribution::xml::Xml;
use crate::error::ApiError;
use crate::http::pagination::Page;
use crate::http::response::public_hashed;
use crate::sections;
use crate::state::AppState;
use crate::urls;

/// Items in a feed unless `limit` says otherwise.
pub const DEFAULT_ITEMS: i64 = 50;
/// The most items a feed holds.
pub const MAX_ITEMS: i64 = 100;

/// Which syndication format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    /// RSS 2.0 with Media RSS, Dublin Core and `content:encoded`.
    Rss,
    /// Atom 1.0 (RFC 4287) with Media RSS.
    Atom,
    /// JSON Feed 1.1.
    Json,
}

impl FeedFormat {
    /// The media type it is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            FeedFormat::Rss => "application/rss+xml; charset=utf-8",
            FeedFormat::Atom => "application/atom+xml; charset=utf-8",
            FeedFormat::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// What a feed holds.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only this section (id or slug) and its subsections.
    pub section: Option<String>,
    /// Only articles with this tag (slug).
    pub tag: Option<String>,
    /// Only articles by this staff user (byline or writer), by id.
    pub author: Option<String>,
    /// Only this locale (BCP 47).
    pub locale: Option<String>,
    /// How many items, newest first (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `summary` (default) or `full`: the whole body as HTML in each item.
    #[param(pattern = "^(summary|full)$")]
    pub content: Option<String>,
}

/// A feed's scope and items, ready to write in any format.
struct Feed {
    title: String,
    description: String,
    /// The page on the site the feed follows.
    home: String,
    language: Option<String>,
    items: Vec<ArticleResponse>,
    /// Copyright of each lead media asset, by id: (holder, notice).
    rights: HashMap<String, (Option<String>, Option<String>)>,
    full: bool,
    surrogate_keys: String,
}

/// A syndication feed of the newest published articles.
///
/// RSS 2.0 (`/feeds/rss`), Atom 1.0 (`/feeds/atom`) or JSON Feed 1.1
/// (`/feeds/json`), of everything or of one section (with its
/// subsections), tag, staff author or locale. Each item links to the
/// article's public `url`, with its bylines, section and tags as
/// categories, and its lead image with credit and copyright. An unknown
/// section, tag or author gives an empty feed.
#[utoipa::path(
    tag = "distribution",
    params(("format" = String, Path, pattern = "^(rss|atom|json)$", description = "`rss`, `atom` or `json`"), FeedQuery),
    responses(
        (status = 200, description = "The feed", content(
            (String = "application/rss+xml"),
            (String = "application/atom+xml"),
            (serde_json::Value = "application/feed+json"),
        ), headers(
            ("ETag" = String, description = "Strong validator"),
            ("Last-Modified" = String, description = "The newest item's last change"),
            ("Surrogate-Key" = String, description = "CDN purge keys: `feeds` and each item's `article:<id>`"),
        )),
        (status = 304, description = "Not modified"),
        (status = 400, description = "A parameter is wrong", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/feeds/{format}")]
pub async fn syndication_feed(
    state: web::Data<AppState>,
    format: web::Path<FeedFormat>,
    query: web::Query<FeedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let format = format.into_inner();
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_ITEMS);
    if !(1..=MAX_ITEMS).contains(&limit) {
        return Err(ApiError::bad_param("limit", "must be 1 to 100"));
    }
    let full = match query.content.as_deref() {
        None | Some("summary") => false,
        Some("full") => true,
        Some(_) => return Err(ApiError::bad_param("content", "must be summary or full")),
    };
    let widths = state.media.widths.clone();
    let feed = db::run(&state.pool, move |conn| {
        load(conn, &query, limit, full, &widths)
    })
    .await?;
    let last_modified = feed.items.iter().map(|a| a.modified_at).max();
    let self_url = urls::get().api(&req.uri().to_string());
    let body = match format {
        FeedFormat::Rss => rss(&feed, &self_url),
        FeedFormat::Atom => atom(&feed, &self_url),
        FeedFormat::Json => json_feed(&feed, &self_url)?,
    };
    Ok(public_hashed(
        &req,
        body,
        format.media_type(),
        last_modified,
        feed.surrogate_keys,
    ))
}

fn load(
    conn: &mut DbConn,
    query: &FeedQuery,
    limit: i64,
    full: bool,
    widths: &[u32],
) -> Result<Feed, ApiError> {
    let site = urls::get();
    let mut title = site.name().to_string();
    let mut description = format!("The latest from {}", site.name());
    let mut home = format!("{}/", site.site());
    let mut keys = String::from("feeds");
    let mut empty = false;
    if let Some(key) = &query.section {
        match sections::queries::find_by_id_or_slug(conn, key)? {
            Some(s) => {
                title = format!("{} – {}", site.name(), s.name);
                if let Some(d) = s.description.as_deref().filter(|d| !d.trim().is_empty()) {
                    description = d.to_string();
                }
                home = site.section(&s.slug);
                keys.push_str(&format!(" section:{}", s.id));
            }
            None => empty = true,
        }
    }
    if let Some(slug) = &query.tag {
        match relations::find_tag_by_slug(conn, slug)? {
            Some(t) => {
                title = format!("{title} – {}", t.name);
                home = site.tag(&t.slug);
            }
            None => empty = true,
        }
    }
    if let Some(author) = &query.author {
        home = site.author(author);
        if let Some(name) = crate::users::queries::find_by_id(conn, author)?.map(|u| u.display_name)
        {
            title = format!("{title} – {name}");
        }
    }
    if let Some(locale) = &query.locale {
        title = format!("{title} ({locale})");
    }
    // The public listing of articles, with its index-friendly plans (a
    // section's articles and those with it as a secondary section read in
    // two index walks and merged), presented whole: every field, the body
    // as HTML when asked for.
    let items = if empty {
        Vec::new()
    } else {
        let mut fields: Vec<String> = present::FIELDS.iter().map(|f| f.to_string()).collect();
        if !full {
            fields.retain(|f| !f.starts_with("body"));
        }
        let request = ListRequest::new(
            ArticleListQuery {
                section: query.section.clone(),
                include_subsections: Some(true),
                tag: query.tag.clone(),
                author: query.author.clone(),
                source: None,
                published_after: None,
                published_before: None,
                status: None,
                locale: query.locale.clone(),
                q: None,
                sort: None,
                fields: None,
            },
            &Page {
                limit: Some(limit),
                cursor: None,
            },
            false,
            Some(&fields),
            None,
        )?;
        listing::list(conn, request, widths, "")?
            .items
            .into_iter()
            .filter_map(ListItem::into_built)
            .collect()
    };
    let media_ids: Vec<&String> = items
        .iter()
        .filter_map(|a| a.main_media.as_ref().map(|m| &m.media_id))
        .collect();
    let rights = if media_ids.is_empty() {
        HashMap::new()
    } else {
        media::table
            .filter(media::id.eq_any(media_ids))
            .select((media::id, media::copyright_holder, media::copyright_notice))
            .load::<(String, Option<String>, Option<String>)>(conn)?
            .into_iter()
            .map(|(id, holder, notice)| (id, (holder, notice)))
            .collect()
    };
    for a in &items {
        keys.push_str(&format!(" article:{}", a.id));
    }
    Ok(Feed {
        title,
        description,
        home,
        language: query.locale.clone(),
        items,
        rights,
        full,
        surrogate_keys: keys,
    })
}

fn rfc2822(t: &str) -> String {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc).to_rfc2822())
        .unwrap_or_default()
}

fn newest(feed: &Feed) -> String {
    feed.items
        .iter()
        .map(|a| a.modified_at)
        .max()
        .map(crate::http::format_time)
        .unwrap_or_else(|| crate::http::format_time(db::now()))
}

/// The article's lead image: its address (the largest rendition, else the
/// file), pixel size, caption, credit line and copyright notice.
struct Image {
    url: String,
    mime: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    caption: Option<String>,
    credit: Option<String>,
    copyright: Option<String>,
}

fn image(feed: &Feed, a: &ArticleResponse) -> Option<Image> {
    let m = a.main_media.as_ref().filter(|m| m.kind == "image")?;
    let site = urls::get();
    let largest = m.renditions.iter().max_by_key(|r| r.width);
    let (holder, notice) = feed.rights.get(&m.media_id).cloned().unwrap_or_default();
    let copyright = notice.or_else(|| holder.map(|h| format!("© {h}")));
    Some(match largest {
        Some(r) => Image {
            url: site.api(&r.url),
            mime: Some(r.mime_type.clone()),
            width: Some(r.width),
            height: Some(r.height),
            caption: m.caption.clone(),
            credit: m.credit_line.clone(),
            copyright,
        },
        None => Image {
            url: site.api(&m.file_url),
            mime: None,
            width: m.width.and_then(|w| u32::try_from(w).ok()),
            height: m.height.and_then(|h| u32::try_from(h).ok()),
            caption: m.caption.clone(),
            credit: m.credit_line.clone(),
            copyright,
        },
    })
}

/// `media:content` with its credit, copyright and caption.
fn media_rss(doc: &mut Xml, img: &Image) {
    let width = img.width.map(|w| w.to_string());
    let height = img.height.map(|h| h.to_string());
    let mut attrs = vec![("url", img.url.as_str()), ("medium", "image")];
    if let Some(mime) = &img.mime {
        attrs.push(("type", mime.as_str()));
    }
    if let Some(w) = &width {
        attrs.push(("width", w.as_str()));
    }
    if let Some(h) = &height {
        attrs.push(("height", h.as_str()));
    }
    doc.open("media:content", &attrs);
    if let Some(credit) = &img.credit {
        doc.text("media:credit", &[("role", "photographer")], credit);
    }
    if let Some(copyright) = &img.copyright {
        doc.text("media:copyright", &[], copyright);
    }
    if let Some(caption) = &img.caption {
        doc.text("media:description", &[("type", "plain")], caption);
    }
    doc.close("media:content");
}

fn summary_of(a: &ArticleResponse) -> &str {
    a.summary.as_deref().unwrap_or("")
}

fn rss(feed: &Feed, self_url: &str) -> Vec<u8> {
    let mut doc = Xml::new();
    doc.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", "http://www.w3.org/2005/Atom"),
            ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:media", "http://search.yahoo.com/mrss/"),
        ],
    )
    .open("channel", &[])
    .text("title", &[], &feed.title)
    .text("link", &[], &feed.home)
    .text("description", &[], &feed.description)
    .empty(
        "atom:link",
        &[
            ("href", self_url),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ],
    );
    if let Some(language) = &feed.language {
        doc.text("language", &[], language);
    }
    doc.text("lastBuildDate", &[], &rfc2822(&newest(feed)))
        .text("generator", &[], "newsdesk");
    for a in &feed.items {
        doc.open("item", &[])
            .text("title", &[], &a.headline)
            .text("link", &[], &a.url)
            .text(
                "guid",
                &[("isPermaLink", "false")],
                &format!("urn:uuid:{}", a.id),
            );
        if let Some(p) = &a.published_at {
            doc.text("pubDate", &[], &rfc2822(p));
        }
        doc.text(
            "atom:updated",
            &[],
            &crate::http::format_time(a.modified_at),
        );
        doc.text("description", &[], summary_of(a));
        if feed.full {
            if let Some(html) = &a.body_html {
                doc.text("content:encoded", &[], html);
            }
        }
        for b in &a.bylines {
            doc.text("dc:creator", &[], &b.name);
        }
        doc.text("category", &[("domain", &a.section.url)], &a.section.name);
        for t in &a.tags {
            doc.text("category", &[("domain", &t.url)], &t.name);
        }
        if let Some(img) = image(feed, a) {
            media_rss(&mut doc, &img);
        }
        doc.close("item");
    }
    doc.close("channel").close("rss");
    doc.finish()
}

fn atom(feed: &Feed, self_url: &str) -> Vec<u8> {
    let mut doc = Xml::new();
    let mut root = vec![
        ("xmlns", "http://www.w3.org/2005/Atom"),
        ("xmlns:media", "http://search.yahoo.com/mrss/"),
    ];
    if let Some(language) = &feed.language {
        root.push(("xml:lang", language.as_str()));
    }
    doc.open("feed", &root)
        .text("id", &[], self_url)
        .text("title", &[], &feed.title)
        .text("subtitle", &[], &feed.description)
        .text("updated", &[], &newest(feed))
        .empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("href", &feed.home),
            ],
        )
        .empty(
            "link",
            &[
                ("rel", "self"),
                ("type", "application/atom+xml"),
                ("href", self_url),
            ],
        )
        // Entries without a byline are the publication's.
        .open("author", &[])
        .text("name", &[], urls::get().name())
        .text("uri", &[], &format!("{}/", urls::get().site()))
        .close("author")
        .text("generator", &[], "newsdesk");
    for a in &feed.items {
        doc.open("entry", &[])
            .text("id", &[], &format!("urn:uuid:{}", a.id))
            .text("title", &[("type", "text")], &a.headline)
            .empty(
                "link",
                &[
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", &a.url),
                ],
            );
        if let Some(p) = &a.published_at {
            doc.text("published", &[], p);
        }
        doc.text("updated", &[], &crate::http::format_time(a.modified_at));
        for b in &a.bylines {
            doc.open("author", &[]).text("name", &[], &b.name);
            if let Some(url) = &b.url {
                doc.text("uri", &[], url);
            }
            doc.close("author");
        }
        doc.empty(
            "category",
            &[
                ("term", &a.section.slug),
                ("scheme", &a.section.url),
                ("label", &a.section.name),
            ],
        );
        for t in &a.tags {
            doc.empty(
                "category",
                &[("term", &t.slug), ("scheme", &t.url), ("label", &t.name)],
            );
        }
        if let Some(s) = a.summary.as_deref().filter(|s| !s.is_empty()) {
            doc.text("summary", &[("type", "text")], s);
        }
        if feed.full {
            if let Some(html) = &a.body_html {
                doc.text("content", &[("type", "html")], html);
            }
        }
        if let Some(img) = image(feed, a) {
            media_rss(&mut doc, &img);
        }
        doc.close("entry");
    }
    doc.close("feed");
    doc.finish()
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<&'a str>,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    /// The lead image's credit (JSON Feed extensions start with `_`).
    #[serde(rename = "_newsdesk", skip_serializing_if = "Option::is_none")]
    extension: Option<JsonExtension>,
}

/// What JSON Feed has no field for: the lead image's credit, copyright and
/// caption.
#[derive(Serialize)]
struct JsonExtension {
    image_credit: Option<String>,
    image_copyright: Option<String>,
    image_caption: Option<String>,
}

fn json_feed(feed: &Feed, self_url: &str) -> Result<Vec<u8>, ApiError> {
    let site = urls::get();
    let items = feed
        .items
        .iter()
        .map(|a| {
            let img = image(feed, a);
            let body = if feed.full {
                a.body_html.as_deref()
            } else {
                None
            };
            let summary = a.summary.as_deref().filter(|s| !s.is_empty());
            JsonItem {
                id: format!("urn:uuid:{}", a.id),
                url: &a.url,
                title: &a.headline,
                summary,
                // Every item needs content: the body when asked for, else
                // the summary (or the headline) as text.
                content_text: body.is_none().then(|| summary.unwrap_or(&a.headline)),
                content_html: body,
                date_published: a.published_at.as_deref(),
                date_modified: crate::http::format_time(a.modified_at),
                authors: a
                    .bylines
                    .iter()
                    .map(|b| JsonAuthor {
                        name: &b.name,
                        url: b.url.as_deref(),
                    })
                    .collect(),
                tags: std::iter::once(a.section.name.as_str())
                    .chain(a.tags.iter().map(|t| t.name.as_str()))
                    .collect(),
                language: Some(&a.locale),
                extension: img.as_ref().map(|i| JsonExtension {
                    image_credit: i.credit.clone(),
                    image_copyright: i.copyright.clone(),
                    image_caption: i.caption.clone(),
                }),
                image: img.map(|i| i.url),
            }
        })
        .collect();
    let home = format!("{}/", site.site());
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home,
        feed_url: self_url,
        description: &feed.description,
        language: feed.language.as_deref(),
        authors: vec![JsonAuthor {
            name: site.name(),
            url: Some(&home),
        }],
        items,
    };
    serde_json::to_vec(&doc).map_err(ApiError::internal)
}
