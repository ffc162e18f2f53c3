//! `GET /api/v1/tags`. Tags are free keywords with their own slug, made when
//! an article first uses them (see `relations::ensure_tag`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::articles::dto::Tag;
use crate::articles::relations;
use crate::db;
use crate::error::ApiError;
use crate::http::{self, ListMeta, DEFAULT_LIMIT};
use crate::state::AppState;

/// Query of `GET /api/v1/tags`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    /// Only tags whose slug starts with this (for autocompletion).
    pub prefix: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[serde(default, deserialize_with = "crate::http::de_limit")]
    #[param(minimum = 1, maximum = 100, value_type = Option<i64>)]
    pub limit: Option<i64>,
    /// `meta.next_cursor` of the previous page (opaque; empty means the first page).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// A page of tags.
#[derive(Debug, Serialize, ToSchema)]
pub struct TagList {
    /// Tags by slug.
    pub data: Vec<Tag>,
    /// Paging.
    pub meta: ListMeta,
}

/// List tags, alphabetically by slug.
#[utoipa::path(
    tag = "articles",
    params(TagListQuery),
    responses(
        (status = 200, description = "A page of tags", body = TagList, headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    query: web::Query<TagListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after: Option<String> = http::page_cursor(query.cursor.as_deref())?;
    let prefix = query.prefix.map(|p| crate::slug::slugify(&p));
    let rows = db::run(&state.pool, move |conn| {
        Ok(relations::list_tags(
            conn,
            prefix.as_deref(),
            after.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (rows, next) = http::split_page(rows, limit, |r| r.slug.clone());
    let body = http::to_json(&TagList {
        data: rows.into_iter().map(Tag::from).collect(),
        meta: ListMeta {
            next_cursor: next.clone(),
            limit,
            total: None,
        },
    });
    let mut response = http::public_json_hashed(&req, body, None, "tags".into());
    http::add_next_link(&mut response, &req, next.as_deref());
    Ok(response)
}
