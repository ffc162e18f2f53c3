//! `GET /api/v1/tags`. Tags are free keywords with their own slug, made when
//! an article first uses them (see `relations::ensure_tag`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::articles::dto::Tag;
use crate::articles::relations;
use crate::db;
use crate::error::ApiError;
use crate::http::pagination::{list_json, split_page, Page, Paged};
use crate::http::response::Audience;
use crate::http::ListMeta;
use crate::state::AppState;

/// Query of `GET /api/v1/tags`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TagListQuery {
    /// Only tags whose slug starts with this (for autocompletion).
    pub prefix: Option<String>,
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
    params(TagListQuery, Page),
    responses(
        (status = 200, description = "A page of tags", body = TagList, headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    query: Paged<TagListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = query.page.limit();
    let after: Option<String> = query.page.after()?;
    let prefix = query.filter.prefix.map(|p| crate::slug::slugify(&p));
    let rows = db::run(&state.pool, move |conn| {
        Ok(relations::list_tags(
            conn,
            prefix.as_deref(),
            after.as_deref(),
            limit + 1,
        )?)
    })
    .await?;
    let (rows, next_cursor) = split_page(rows, limit, |r| r.slug.clone());
    let data: Vec<Tag> = rows.into_iter().map(Tag::from).collect();
    let meta = ListMeta {
        next_cursor,
        limit,
        total: None,
    };
    let audience = Audience::Public {
        last_modified: None,
        surrogate_keys: "tags".into(),
    };
    Ok(list_json(&req, data, meta, audience))
}
