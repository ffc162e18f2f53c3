//! Tags: free keywords with their own slug, made when an article first uses them.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{article_tags, tags};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::{self, ListMeta, DEFAULT_LIMIT};
use crate::startup::AppState;

/// A row of `tags`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
pub struct TagRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// A tag.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Tag {
    /// Id.
    pub id: String,
    /// URL name, e.g. `climate-policy`.
    pub slug: String,
    /// Display name, e.g. "Climate policy".
    pub name: String,
}

impl From<TagRow> for Tag {
    fn from(row: TagRow) -> Self {
        Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
        }
    }
}

/// The tag with this name's slug, made if it does not exist.
pub fn ensure_tag(conn: &mut DbConn, name: &str, slug: &str) -> Result<TagRow, ApiError> {
    if let Some(tag) = find_by_slug(conn, slug)? {
        return Ok(tag);
    }
    let row = TagRow {
        id: db::new_id(),
        slug: slug.to_string(),
        name: name.to_string(),
        created_at: db::now(),
    };
    diesel::insert_into(tags::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// A tag by slug.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> Result<Option<TagRow>, ApiError> {
    Ok(tags::table
        .filter(tags::slug.eq(slug))
        .select(TagRow::as_select())
        .first(conn)
        .optional()?)
}

/// The tags of several articles, in each article's order.
pub fn tags_of(
    conn: &mut DbConn,
    article_ids: &[String],
) -> Result<Vec<(String, TagRow)>, ApiError> {
    Ok(article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq_any(article_ids))
        .order((article_tags::article_id.asc(), article_tags::position.asc()))
        .select((article_tags::article_id, TagRow::as_select()))
        .load(conn)?)
}

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
        let mut q = tags::table.select(TagRow::as_select()).into_boxed();
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            // Slugs hold no LIKE wildcards, so the prefix needs no escaping.
            q = q.filter(tags::slug.like(format!("{p}%")));
        }
        if let Some(after) = after {
            q = q.filter(tags::slug.gt(after));
        }
        Ok(q.order(tags::slug.asc()).limit(limit + 1).load(conn)?)
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
