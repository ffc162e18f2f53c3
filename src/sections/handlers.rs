//! Section endpoints: public reads, editor writes (through `service`).

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::auth::{extract::AuthUser, role::Role};
use crate::db::{self};
use crate::error::{ApiError, Problem};
use crate::http::pagination::{list_json, Page, Paged, Total};
use crate::http::response::Audience;
use crate::http::{self, ApiJson, CacheInfo, IfMatch, ListMeta};
use crate::sections::dto::{
    CreateSectionRequest, SectionList, SectionListQuery, SectionResponse, UpdateSectionRequest,
};
use crate::sections::queries::{self, SectionFilter, SectionKey};
use crate::sections::service;
use crate::state::AppState;

/// Registers the section endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_sections)
        .service(get_section)
        .service(create_section)
        .service(update_section)
        .service(delete_section);
}

/// List sections.
///
/// Public. Sorted by `position`, then `name`; keyset pagination.
#[utoipa::path(
    tag = "sections",
    params(
        SectionListQuery,
        Page,
        Total,
        ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client has"),
    ),
    responses(
        (status = 200, description = "A page of sections", body = SectionList,
         headers(
            ("ETag" = String, description = "Strong validator of this page"),
            ("Cache-Control" = String, description = "Public caching rules"),
            ("Surrogate-Key" = String, description = "CDN purge keys: `sections section:<id> …`"),
            ("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"),
         )),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/sections")]
pub async fn list_sections(
    state: web::Data<AppState>,
    query: Paged<SectionListQuery, true>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let with_total = query.with_total;
    let limit = query.page.limit();
    let after: Option<SectionKey> = query.page.after()?;
    let parent = query.filter.parent;
    let (rows, total) = db::run(&state.pool, move |conn| {
        let parent_id = match parent {
            Some(key) => match queries::find_by_id_or_slug(conn, &key)? {
                Some(p) => Some(p.id),
                // An unknown parent has no children: an empty page, not an error.
                None => return Ok((Vec::new(), with_total.then_some(0))),
            },
            None => None,
        };
        let filter = SectionFilter { parent_id };
        let rows = queries::list_sections(conn, &filter, after.as_ref(), limit + 1)?;
        let total = if with_total {
            Some(queries::count_sections(conn, &filter)?)
        } else {
            None
        };
        Ok((rows, total))
    })
    .await?;
    let (rows, next_cursor) = http::split_page(rows, limit, queries::key_of);
    let last_modified = rows.iter().map(|r| r.updated_at).max();
    let mut keys = String::from("sections");
    for row in &rows {
        keys.push_str(" section:");
        keys.push_str(&row.id);
    }
    let data: Vec<SectionResponse> = rows.into_iter().map(SectionResponse::from).collect();
    let meta = ListMeta {
        next_cursor,
        limit,
        total,
    };
    let audience = Audience::Public {
        last_modified,
        surrogate_keys: keys,
    };
    Ok(list_json(&req, data, meta, audience))
}

/// Get a section by id or slug.
#[utoipa::path(
    tag = "sections",
    params(
        ("id_or_slug" = String, Path, description = "Section id (UUID) or slug", example = "europe"),
        ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client has"),
    ),
    responses(
        (status = 200, description = "The section", body = SectionResponse,
         headers(
            ("ETag" = String, description = "`\"<version>\"`"),
            ("Cache-Control" = String, description = "Public caching rules"),
            ("Surrogate-Key" = String, description = "`section:<id>`"),
         )),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/sections/{id_or_slug}")]
pub async fn get_section(
    state: web::Data<AppState>,
    key: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let row = db::query(&state.pool, move |conn| {
        queries::find_by_id_or_slug(conn, &key)
    })
    .await?
    .ok_or_else(service::not_found)?;
    let cache = CacheInfo {
        etag: http::version_etag(row.version),
        last_modified: Some(row.updated_at),
        surrogate_keys: format!("section:{}", row.id),
    };
    Ok(http::public_json(
        &req,
        http::to_json(&SectionResponse::from(row)),
        cache,
    ))
}

/// Create a section (editor and up).
#[utoipa::path(
    tag = "sections",
    request_body = CreateSectionRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new section", body = SectionResponse,
         headers(
            ("Location" = String, description = "URL of the new section"),
            ("ETag" = String, description = "`\"<version>\"`"),
         )),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/sections")]
pub async fn create_section(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateSectionRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let row = db::run(&state.pool, move |conn| {
        service::create(conn, &user, body.0)
    })
    .await?;
    let mut builder = HttpResponse::Created();
    builder
        .insert_header(("Location", format!("/api/v1/sections/{}", row.id)))
        .insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(
        &mut builder,
        &SectionResponse::from(row),
    ))
}

/// Change a section (editor and up).
///
/// A JSON Merge Patch. Send `If-Match: "<version>"` so that a change based on
/// an old copy is refused (412) instead of overwriting someone else's.
#[utoipa::path(
    tag = "sections",
    params(
        ("id_or_slug" = String, Path, description = "Section id (UUID) or slug"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the change was based on"),
    ),
    request_body(content = UpdateSectionRequest, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed section", body = SectionResponse,
         headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/sections/{id_or_slug}")]
pub async fn update_section(
    state: web::Data<AppState>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateSectionRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let key = key.into_inner();
    let expected = if_match.version()?;
    let row = db::run(&state.pool, move |conn| {
        service::update(conn, &user, &key, expected, body.0)
    })
    .await?;
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("ETag", http::version_etag(row.version)));
    Ok(http::private_json(
        &mut builder,
        &SectionResponse::from(row),
    ))
}

/// Delete a section (editor and up).
///
/// Refused with 409 while the section has child sections or articles: move
/// or delete them first.
#[utoipa::path(
    tag = "sections",
    params(
        ("id_or_slug" = String, Path, description = "Section id (UUID) or slug"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the deletion was based on"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The section still has child sections or articles", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/sections/{id_or_slug}")]
pub async fn delete_section(
    state: web::Data<AppState>,
    user: AuthUser,
    key: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Editor)?;
    let key = key.into_inner();
    let expected = if_match.version()?;
    db::run(&state.pool, move |conn| {
        service::delete(conn, &user, &key, expected)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
