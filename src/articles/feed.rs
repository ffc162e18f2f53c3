//! The newsfeed: the latest published articles across sections, compact.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::articles::dto::SectionSummary;
use crate::articles::queries::{self, ArticleFilter};
use crate::articles::{present, relations};
use crate::db;
use crate::error::ApiError;
use crate::http::pagination::{list_json, NoFilters, Page, Paged};
use crate::http::response::Audience;
use crate::http::{self, ListMeta};
use crate::state::AppState;

/// One line of the newsfeed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    /// Article id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Small label above the headline.
    pub kicker: Option<String>,
    /// Headline.
    pub headline: String,
    /// Its page on the site: the canonical address.
    #[schema(example = "https://news.example/world/talks-resume")]
    pub url: String,
    /// Its section.
    pub section: SectionSummary,
    /// Publication time (RFC 3339, UTC).
    pub published_at: Option<String>,
    /// Update time shown to readers, if any.
    pub updated_at: Option<String>,
}

/// The newsfeed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    /// Newest first.
    pub data: Vec<FeedItem>,
    /// Paging.
    pub meta: ListMeta,
}

/// The latest published articles across all sections, for a "Newsfeed" column.
#[utoipa::path(
    tag = "articles",
    params(Page),
    responses(
        (status = 200, description = "The newsfeed", body = Feed, headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/feed")]
pub async fn get_feed(
    state: web::Data<AppState>,
    query: Paged<NoFilters>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = query.page.limit();
    let after: Option<(chrono::NaiveDateTime, String)> = query.page.after()?;
    let (items, next) = db::run(&state.pool, move |conn| {
        let now = db::now();
        let rows = queries::list_articles(
            conn,
            &ArticleFilter::default(),
            queries::ListOrder::Published,
            after.as_ref(),
            limit + 1,
            now,
        )?;
        let (rows, next) = http::split_page(rows, limit, |r| {
            (r.published_at.unwrap_or(r.modified_at), r.id.clone())
        });
        let ids: Vec<String> = rows.iter().map(|r| r.section_id.clone()).collect();
        let names = relations::section_names(conn, &ids)?;
        let items = rows
            .into_iter()
            .map(|r| {
                let (slug, name) = names.get(&r.section_id).cloned().unwrap_or_default();
                FeedItem {
                    url: present::article_url(&r, &slug),
                    section: SectionSummary::new(r.section_id, slug, name),
                    id: r.id,
                    slug: r.slug,
                    kicker: r.kicker,
                    headline: r.headline,
                    published_at: r.published_at.map(http::format_time),
                    updated_at: r.updated_at.map(http::format_time),
                }
            })
            .collect::<Vec<_>>();
        Ok((items, next))
    })
    .await?;
    let mut keys = String::from("articles feed");
    for item in &items {
        keys.push_str(&format!(" article:{}", item.id));
    }
    let meta = ListMeta {
        next_cursor: next,
        limit,
        total: None,
    };
    let audience = Audience::Public {
        last_modified: None,
        surrogate_keys: keys,
    };
    Ok(list_json(&req, items, meta, audience))
}
