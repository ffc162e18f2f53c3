//! Every change of a section happens here: creating, changing and deleting,
//! each checked and run in one transaction. Handlers and the demo call these.

use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::events::kind::EventKind;
use crate::events::service as events;
use crate::http::conditional::check_if_match;
use crate::sections::dto::{CreateSectionRequest, UpdateSectionRequest};
use crate::sections::model::{SectionChanges, SectionRow};
use crate::sections::queries;
use crate::slug;
use crate::validation::required_text;

const MAX_NAME_CHARS: usize = 120;
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// Creates a section (editors and up).
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    input: CreateSectionRequest,
) -> Result<SectionRow, ApiError> {
    actor.require(Role::Editor)?;
    let mut errors = Vec::new();
    let name = check_name(&input.name).map_err(|e| errors.push(e)).ok();
    let slug = match &input.slug {
        Some(s) => check_slug(s).map_err(|e| errors.push(e)).ok(),
        None => None,
    };
    let description = check_description(input.description)
        .map_err(|e| errors.push(e))
        .ok();
    let (Some(name), Some(description), true) = (name, description, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
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
        let row = queries::insert_section(
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
        )?;
        events::section(conn, EventKind::SectionCreated, &row)?;
        Ok(row)
    })
}

/// Changes a section (editors and up), found by id or slug, based on
/// version `expected`.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Option<i64>,
    patch: UpdateSectionRequest,
) -> Result<SectionRow, ApiError> {
    actor.require(Role::Editor)?;
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
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id_or_slug(conn, key)?.ok_or_else(not_found)?;
        check_if_match(expected, current.version)?;
        if let Some(s) = &changes.slug {
            if queries::slug_taken(conn, s, Some(&current.id))? {
                return Err(slug_conflict(s));
            }
        }
        if let Some(Some(parent)) = &changes.parent_id {
            check_parent_exists(conn, parent)?;
            if queries::would_cycle(conn, &current.id, parent)? {
                return Err(ApiError::state_conflict(
                    "parent_id",
                    "would make the section its own ancestor",
                ));
            }
        }
        let row = queries::update_section(conn, &current.id, current.version, changes)?
            .ok_or_else(|| ApiError::PreconditionFailed("the section changed meanwhile".into()))?;
        events::section(conn, EventKind::SectionUpdated, &row)?;
        Ok(row)
    })
}

/// Deletes a section (editors and up); 409 while it has child sections or
/// articles.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    key: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    actor.require(Role::Editor)?;
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id_or_slug(conn, key)?.ok_or_else(not_found)?;
        check_if_match(expected, current.version)?;
        let children = queries::child_slugs(conn, &current.id, 6)?;
        if !children.is_empty() {
            let shown = children
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if children.len() > 5 { ", …" } else { "" };
            return Err(ApiError::Conflict(format!(
                "section `{}` still has child sections ({shown}{more}); move or delete them first",
                current.slug
            )));
        }
        let articles = crate::articles::queries::headlines_in_section(conn, &current.id, 4)?;
        if !articles.is_empty() {
            let shown = articles
                .iter()
                .take(3)
                .map(|h| format!("“{h}”"))
                .collect::<Vec<_>>()
                .join(", ");
            let more = if articles.len() > 3 { ", …" } else { "" };
            return Err(ApiError::Conflict(format!(
                "section `{}` still has articles ({shown}{more}); move them to another section first",
                current.slug
            )));
        }
        if !queries::delete_section(conn, &current.id, current.version)? {
            return Err(ApiError::PreconditionFailed(
                "the section changed meanwhile".into(),
            ));
        }
        Ok(())
    })
}

/// The 404 of sections.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such section".into())
}

fn slug_conflict(slug: &str) -> ApiError {
    ApiError::Conflict(format!("the slug `{slug}` is taken by another section"))
}

fn check_name(name: &str) -> Result<String, FieldError> {
    required_text("name", name, MAX_NAME_CHARS, &[])
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
        Ok(queries::slug_taken(conn, candidate, except)?)
    })
}

fn check_parent_exists(conn: &mut DbConn, parent: &str) -> Result<(), ApiError> {
    if queries::find_by_id(conn, parent)?.is_none() {
        return Err(ApiError::unknown("parent_id", "no section has this id"));
    }
    Ok(())
}
