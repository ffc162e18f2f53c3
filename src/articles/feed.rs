//! The newsfeed: the latest published articles across sections, compact.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::articles::dto::SectionSummary;
use crate::articles::queries::{self, ArticleFilter};
use crate::articles::relations;
use crate::db;
use crate::error::ApiError;
use crate::http::{self, ListMeta, DEFAULT_LIMIT};
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

/// Query of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Page size, 1 to 100 (default 20).
    #[serde(default, deserialize_with = "crate::http::de_limit")]
    #[param(minimum = 1, maximum = 100, value_type = Option<i64>)]
    pub limit: Option<i64>,
    /// `meta.next_cursor` of the previous page (opaque; empty means the first page).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// The latest published articles across all sections, for a "Newsfeed" column.
#[utoipa::path(
    tag = "articles",
    params(FeedQuery),
    responses(
        (status = 200, description = "The newsfeed", body = Feed, headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/feed")]
pub async fn get_feed(
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after: Option<(chrono::NaiveDateTime, String)> =
        http::page_cursor(query.cursor.as_deref())?;
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
                    section: SectionSummary {
                        id: r.section_id,
                        slug,
                        name,
                    },
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
    let body = http::to_json(&Feed {
        data: items,
        meta: ListMeta {
            next_cursor: next.clone(),
            limit,
            total: None,
        },
    });
    let mut response = http::public_json_hashed(&req, body, None, keys);
    http::add_next_link(&mut response, &req, next.as_deref());
    Ok(response)
}
