//! schema.org `NewsArticle` structured data (JSON-LD) of an article, for a
//! frontend to drop into its page as it is: `GET
//! /api/v1/articles/{id}/jsonld` (`application/ld+json`). Google's
//! rich-result requirements for articles are the reference: headline,
//! images with their credit and copyright, publication and change times,
//! every author, the publisher, free access and the page it is about.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::articles::dto::ArticleResponse;
use crate::articles::present::{self, BodyFormat};
use crate::articles::{access, queries as article_queries};
use crate::auth::extract::MaybeAuthUser;
use crate::db;
use crate::error::ApiError;
use crate::http::response::public_or_private;
use crate::media::queries as media_queries;
use crate::state::AppState;
use crate::urls;

/// The media type of JSON-LD.
pub const JSON_LD: &str = "application/ld+json; charset=utf-8";

/// The `NewsArticle` of an article; `rights` is the lead image's copyright
/// (holder, notice).
pub fn news_article(a: &ArticleResponse, rights: (Option<String>, Option<String>)) -> Value {
    let site = urls::get();
    let authors: Vec<Value> = if a.bylines.is_empty() {
        // No byline: the agency, else the publication, is the author.
        vec![json!({
            "@type": "Organization",
            "name": a.source.clone().unwrap_or_else(|| site.name().to_string()),
        })]
    } else {
        a.bylines
            .iter()
            .map(|b| {
                let mut person = json!({"@type": "Person", "name": b.name});
                if let Some(url) = &b.url {
                    person["url"] = json!(url);
                }
                person
            })
            .collect()
    };
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": a.url,
        "url": a.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": a.url},
        "headline": a.headline,
        "inLanguage": a.locale,
        "author": authors,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": site.name(),
            "url": format!("{}/", site.site()),
        },
        "isAccessibleForFree": true,
        "articleSection": a.section.name,
        "wordCount": a.word_count,
    });
    if let Some(p) = &a.published_at {
        doc["datePublished"] = json!(p);
        doc["dateModified"] = json!(a.updated_at.as_deref().unwrap_or(p));
    }
    if let Some(d) = a.seo.description.as_ref().or(a.summary.as_ref()) {
        doc["description"] = json!(d);
    }
    if let Some(d) = &a.dateline {
        doc["dateline"] = json!(d);
    }
    if !a.tags.is_empty() {
        doc["keywords"] = json!(a.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>());
    }
    if let Some(m) = a.main_media.as_ref().filter(|m| m.kind == "image") {
        // Google wants images of several aspect ratios and at least 1,200
        // pixels wide where there are: the original, then the renditions,
        // widest first (one format).
        let mut images = vec![image(m.file_url.as_str(), m.width, m.height, m, &rights)];
        let mut renditions: Vec<_> = m
            .renditions
            .iter()
            .filter(|r| r.mime_type == "image/jpeg" || r.mime_type == "image/webp")
            .collect();
        renditions.sort_by_key(|r| std::cmp::Reverse(r.width));
        if let Some(best) = renditions
            .iter()
            .find(|r| r.mime_type == "image/jpeg")
            .or(renditions.first())
        {
            images.push(image(
                &best.url,
                i32::try_from(best.width).ok(),
                i32::try_from(best.height).ok(),
                m,
                &rights,
            ));
        }
        doc["image"] = Value::Array(images);
    }
    doc
}

fn image(
    url: &str,
    width: Option<i32>,
    height: Option<i32>,
    m: &crate::articles::dto::MainMedia,
    (holder, notice): &(Option<String>, Option<String>),
) -> Value {
    let mut img = json!({"@type": "ImageObject", "url": urls::get().api(url)});
    if let (Some(w), Some(h)) = (width, height) {
        img["width"] = json!(w);
        img["height"] = json!(h);
    }
    if let Some(c) = &m.caption {
        img["caption"] = json!(c);
    }
    if let Some(credit) = &m.credit_line {
        img["creditText"] = json!(credit);
    }
    if let Some(n) = notice {
        img["copyrightNotice"] = json!(n);
    }
    if let Some(h) = holder {
        img["copyrightHolder"] = json!({"@type": "Organization", "name": h});
    }
    img
}

/// An article's schema.org `NewsArticle` (JSON-LD), for the page's
/// `<script type="application/ld+json">`.
///
/// Answers as a read of the article does: 404 for what the caller may not
/// see, 410 for a withdrawn article; staff read every status.
#[utoipa::path(
    tag = "distribution",
    params(("id" = String, Path, description = "Article id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article's NewsArticle", content((serde_json::Value = "application/ld+json")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such article, or not one the caller may read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 410, description = "Withdrawn by the editors", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{id}/jsonld")]
pub async fn article_jsonld(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let widths = state.media.widths.clone();
    let (doc, modified, private, keys) = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = article_queries::find_by_id(conn, &id)?.ok_or_else(access::not_found)?;
        let user = user.0.as_deref();
        access::may_read(conn, user, &row, now)?;
        let private = !row.is_visible(now);
        let rights = match &row.main_media_id {
            Some(m) => media_queries::find_by_id(conn, m)?
                .map(|m| (m.copyright_holder, m.copyright_notice))
                .unwrap_or_default(),
            None => Default::default(),
        };
        let modified = row.modified_at;
        let keys = format!("article:{} jsonld", row.id);
        let a = present::present(conn, row, BodyFormat::None, &widths, now, private)?;
        Ok((news_article(&a, rights), modified, private, keys))
    })
    .await?;
    let body = serde_json::to_vec(&doc).map_err(ApiError::internal)?;
    Ok(public_or_private(
        &req, body, JSON_LD, modified, keys, private,
    ))
}
