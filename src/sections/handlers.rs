//! Section endpoints: public reads, editor writes.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

use crate::auth::{extract::AuthUser, role::Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError, Problem};
use crate::http::{self, ApiJson, CacheInfo, IfMatch, ListMeta, DEFAULT_LIMIT};
use crate::sections::dto::{
    CreateSectionRequest, SectionList, SectionListQuery, SectionResponse, UpdateSectionRequest,
};
use crate::sections::model::{SectionChanges, SectionRow};
use crate::sections::queries::{self, SectionFilter, SectionKey};
use crate::slug;
use crate::state::AppState;

/// Registers the section endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_sections)
        .service(get_section)
        .service(create_section)
        .service(update_section)
        .service(delete_section);
}

const MAX_NAME_CHARS: usize = 120;
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// List sections.
///
/// Public. Sorted by `position`, then `name`; keyset pagination.
#[utoipa::path(
    tag = "sections",
    params(
        SectionListQuery,
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
    query: web::Query<SectionListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let after: Option<SectionKey> = http::page_cursor(query.cursor.as_deref())?;
    let with_total = query.include_total.unwrap_or(false);
    let parent = query.parent;
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
    let body = http::to_json(&SectionList {
        data: rows.into_iter().map(SectionResponse::from).collect(),
        meta: ListMeta {
            next_cursor: next_cursor.clone(),
            limit,
            total,
        },
    });
    let mut response = http::public_json_hashed(&req, body, last_modified, keys);
    http::add_next_link(&mut response, &req, next_cursor.as_deref());
    Ok(response)
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
    let row = db::run(&state.pool, move |conn| {
        queries::find_by_id_or_slug(conn, &key)
    })
    .await?
    .ok_or_else(not_found)?;
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
    let input = body.0;
    let mut errors = Vec::new();
    let name = check_name(&input.name).map_err(|e| errors.push(e)).ok();
    let slug = match &input.slug {
        Some(s) => check_slug(s).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    let description = check_description(input.description)
        .map_err(|e| errors.push(e))
        .ok();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (Some(name), Some(description)) = (name, description) else {
        return Err(ApiError::internal("validation passed without values"));
    };
    let row = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let slug = match slug {
                Some(s) => {
                    if queries::slug_taken(conn, &s, None)? {
                        return Err(slug_conflict(&s));
                    }
                    s
                }
                None => generated_slug(conn, &name, None)?,
            };
            if let Some(parent) = &input.parent_id {
                check_parent_exists(conn, parent)?;
            }
            let now = db::now();
            queries::insert_section(
                conn,
                &SectionRow {
                    id: db::new_id(),
                    slug,
                    name,
                    description,
                    parent_id: input.parent_id,
                    position: input.position.unwrap_or(0),
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )
        })
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
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"` the change was based on"),
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
    let patch = body.0;
    let mut errors = Vec::new();
    let mut changes = SectionChanges::default();
    match patch.name {
        Some(Some(name)) => changes.name = check_name(&name).map_err(|e| errors.push(e)).ok(),
        Some(None) => errors.push(FieldError::new("name", "must not be null")),
        None => {}
    }
    match patch.slug {
        Some(Some(s)) => changes.slug = check_slug(&s).map_err(|e| errors.push(e)).ok(),
        Some(None) => errors.push(FieldError::new("slug", "must not be null")),
        None => {}
    }
    match patch.position {
        Some(Some(p)) => changes.position = Some(p),
        Some(None) => errors.push(FieldError::new("position", "must not be null")),
        None => {}
    }
    if let Some(description) = patch.description {
        changes.description = check_description(description)
            .map_err(|e| errors.push(e))
            .ok();
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    changes.parent_id = patch.parent_id;
    let row = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let current = queries::find_by_id_or_slug(conn, &key)?.ok_or_else(not_found)?;
            http::check_if_match(expected, current.version)?;
            if let Some(s) = &changes.slug {
                if queries::slug_taken(conn, s, Some(&current.id))? {
                    return Err(slug_conflict(s));
                }
            }
            if let Some(Some(parent)) = &changes.parent_id {
                check_parent_exists(conn, parent)?;
                if queries::would_cycle(conn, &current.id, parent)? {
                    return Err(ApiError::invalid(
                        "parent_id",
                        "would make the section its own ancestor",
                    ));
                }
            }
            queries::update_section(conn, &current.id, current.version, changes)?
                .ok_or_else(|| ApiError::PreconditionFailed("the section changed meanwhile".into()))
        })
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
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"` the deletion was based on"),
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
        db::write_tx(conn, |conn| {
            let current = queries::find_by_id_or_slug(conn, &key)?.ok_or_else(not_found)?;
            http::check_if_match(expected, current.version)?;
            let children = queries::child_slugs(conn, &current.id, 6)?;
            if !children.is_empty() {
                let shown = children.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
                let more = if children.len() > 5 { ", …" } else { "" };
                return Err(ApiError::Conflict(format!(
                    "section `{}` still has child sections ({shown}{more}); move or delete them first",
                    current.slug
                )));
            }
            let articles = crate::articles::queries::headlines_in_section(conn, &current.id, 4)?;
            if !articles.is_empty() {
                let shown = articles.iter().take(3).map(|h| format!("“{h}”")).collect::<Vec<_>>().join(", ");
                let more = if articles.len() > 3 { ", …" } else { "" };
                return Err(ApiError::Conflict(format!(
                    "section `{}` still has articles ({shown}{more}); move them to another section first",
                    current.slug
                )));
            }
            if !queries::delete_section(conn, &current.id, current.version)? {
                return Err(ApiError::PreconditionFailed("the section changed meanwhile".into()));
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such section".into())
}

fn slug_conflict(slug: &str) -> ApiError {
    ApiError::Conflict(format!("the slug `{slug}` is taken by another section"))
}

fn check_name(name: &str) -> Result<String, FieldError> {
    let name = crate::validation::checked_text("name", name, MAX_NAME_CHARS, &[])?;
    if name.is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    Ok(name)
}

fn check_slug(s: &str) -> Result<String, FieldError> {
    if slug::is_valid(s) {
        Ok(s.to_string())
    } else {
        Err(FieldError::new(
            "slug",
            "must be lower-case letters and digits in words joined by single hyphens (at most 100)",
        ))
    }
}

fn check_description(d: Option<String>) -> Result<Option<String>, FieldError> {
    match d {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => Err(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

/// A slug made from the name, with `-2`, `-3`… when taken.
fn generated_slug(conn: &mut DbConn, name: &str, except: Option<&str>) -> Result<String, ApiError> {
    let base = slug::slugify(name);
    if base.is_empty() {
        return Err(ApiError::invalid(
            "slug",
            "cannot be made from this name; give a slug",
        ));
    }
    slug::first_free(&base, |candidate| {
        queries::slug_taken(conn, candidate, except)
    })
}

fn check_parent_exists(conn: &mut DbConn, parent: &str) -> Result<(), ApiError> {
    if queries::find_by_id(conn, parent)?.is_none() {
        return Err(ApiError::invalid("parent_id", "no section has this id"));
    }
    Ok(())
}
