//! Every change of an article happens here, and only here: creating, saving,
//! workflow transitions, restores and corrections. Each function takes the
//! actor (a user id and role), decides whether the change is allowed, and
//! runs it in one transaction, together with the event that tells
//! subscribers about it. Handlers, `seed`, `demo` and importers call these;
//! nothing else writes articles.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use crate::articles::access::{self, not_found};
use crate::articles::body;
use crate::articles::document::{self, Known, Prepared};
use crate::articles::dto::{ArticleDocument, CorrectionRequest};
use crate::articles::model::{ArticleRow, CorrectionRow};
use crate::articles::status::ArticleStatus;
use crate::articles::{bulk, queries, relations, search};
use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, FieldError};
use crate::events::kind::EventKind;
use crate::events::service as events;
use crate::http::conditional::check_if_match;
use crate::http::json::{check_patch_fields, merge_patch, parse_merged};
use crate::validation::checked_text;

/// Writes a new article as a draft (contributor and up); its id.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    doc: ArticleDocument,
    default_locale: &str,
) -> Result<String, ApiError> {
    actor.require(Role::Contributor)?;
    db::write_tx(conn, |conn| {
        insert(conn, actor, &actor.id, doc, default_locale)
    })
}

/// An article to import, published already.
pub struct Import {
    /// Who wrote it (a staff user id).
    pub writer: String,
    /// Its document.
    pub doc: ArticleDocument,
    /// When it was published.
    pub published_at: NaiveDateTime,
}

/// Imports published articles in one transaction (seed, demo, importers
/// from another CMS); their ids. Editors only. One transaction for the
/// batch, not one each (SQLite's full-text index flushes at every commit
/// and savepoint, which made a large import quadratic), and its rows
/// written together ([`bulk`]). Each article is validated as [`create`]
/// validates it; a slug that an earlier article of the batch took is
/// taken.
pub fn import_published(
    conn: &mut DbConn,
    actor: &Actor,
    imports: Vec<Import>,
    default_locale: &str,
) -> Result<Vec<String>, ApiError> {
    actor.require(Role::Editor)?;
    db::write_tx(conn, |conn| {
        let mut ids = Vec::with_capacity(imports.len());
        let mut pending: Vec<Prepared> = Vec::new();
        let mut slugs: HashSet<(String, String)> = HashSet::new();
        let mut known = Known::default();
        let wanted = imports
            .iter()
            .filter_map(|i| {
                let locale = i.doc.locale.as_deref().unwrap_or(default_locale);
                Some((locale.to_string(), i.doc.slug.clone()?))
            })
            .collect();
        known.check_slugs(conn, wanted)?;
        for import in imports {
            let writer = Some(import.writer.as_str());
            let mut prepare = |conn: &mut DbConn, doc| {
                document::prepare_known(conn, doc, None, default_locale, writer, &mut known)
            };
            let mut prepared = prepare(conn, import.doc.clone())?;
            let key = (prepared.row.locale.clone(), prepared.row.slug.clone());
            if slugs.contains(&key) {
                // Prepared against the stored articles only: the batch so
                // far is stored first, and the article prepared again.
                store_imported(conn, actor, &mut pending)?;
                slugs.clear();
                prepared = prepare(conn, import.doc)?;
            }
            let at = import.published_at;
            prepared.row.status = ArticleStatus::Published;
            prepared.row.published_at = Some(at);
            prepared.row.first_published_at = Some(at);
            prepared.row.created_at = at;
            slugs.insert((prepared.row.locale.clone(), prepared.row.slug.clone()));
            ids.push(prepared.row.id.clone());
            pending.push(prepared);
        }
        store_imported(conn, actor, &mut pending)?;
        Ok(ids)
    })
}

/// Stores the prepared imports and their events; empties `pending`.
fn store_imported(
    conn: &mut DbConn,
    actor: &Actor,
    pending: &mut Vec<Prepared>,
) -> Result<(), ApiError> {
    if pending.is_empty() {
        return Ok(());
    }
    bulk::store_new(conn, pending, &actor.id, "created")?;
    let rows: Vec<&ArticleRow> = pending.iter().map(|p| &p.row).collect();
    events::articles_added(conn, EventKind::ArticlePublished, &rows)?;
    pending.clear();
    Ok(())
}

/// Stores a new draft by `writer`, inside the caller's transaction.
fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    writer: &str,
    doc: ArticleDocument,
    default_locale: &str,
) -> Result<String, ApiError> {
    let prepared = document::prepare(conn, doc, None, default_locale, Some(writer))?;
    store(conn, &prepared, &actor.id, "created", None)?;
    events::article(conn, EventKind::ArticleCreated, None, &prepared.row)?;
    Ok(prepared.row.id)
}

/// Saves an edit: a JSON Merge Patch of the article's document, based on
/// version `expected` (`None`: `If-Match: *`).
///
/// `expected` is the version from `If-Match`, or why it is missing or
/// malformed: as RFC 9110 orders it, that is told only to a caller who may
/// edit the article (the others learn 403 or 404, not "send a header").
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    patch: &serde_json::Value,
    expected: Result<Option<i64>, ApiError>,
    default_locale: &str,
) -> Result<(), ApiError> {
    actor.require(Role::Contributor)?;
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        access::may_read(conn, Some(actor), &current, db::now())?;
        access::may_edit(actor, &current)?;
        check_if_match(expected?, current.version)?;
        check_patch_fields("ArticleDocumentPatch", patch)?;
        let mut doc = current_document(conn, &current)?;
        merge_patch(&mut doc, patch);
        let doc: ArticleDocument = parse_merged(&doc)?;
        let prepared = document::prepare(conn, doc, Some(&current), default_locale, None)?;
        store(conn, &prepared, &actor.id, "edited", Some(&current))?;
        events::article(
            conn,
            EventKind::ArticleUpdated,
            Some(&current),
            &prepared.row,
        )
    })
}

/// Restores revision `n`: its content becomes a new revision.
pub fn restore(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    n: i32,
    expected: Option<i64>,
    default_locale: &str,
) -> Result<(), ApiError> {
    actor.require(Role::Contributor)?;
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        access::may_read(conn, Some(actor), &current, db::now())?;
        access::may_edit(actor, &current)?;
        check_if_match(expected, current.version)?;
        let old = queries::revision(conn, id, n)?.ok_or_else(no_such_revision)?;
        let doc = serde_json::from_str(&old.document).map_err(ApiError::internal)?;
        let prepared = document::prepare(conn, doc, Some(&current), default_locale, None)?;
        store(
            conn,
            &prepared,
            &actor.id,
            &format!("restored from revision {n}"),
            Some(&current),
        )?;
        events::article(
            conn,
            EventKind::ArticleUpdated,
            Some(&current),
            &prepared.row,
        )
    })
}

/// The 404 of a revision.
pub fn no_such_revision() -> ApiError {
    ApiError::NotFound("no such revision".into())
}

/// Submits a draft for review (its writer, or an editor).
pub fn submit(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    transition(conn, actor, id, expected, |actor, row| {
        access::may_edit(actor, row)?;
        if row.status != ArticleStatus::Draft {
            return Err(conflict(row, "submitted"));
        }
        row.status = ArticleStatus::InReview;
        Ok(EventKind::ArticleSubmitted)
    })
}

/// Publishes now, or schedules for a future `at` (authors their own, editors any).
pub fn publish(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    at: Option<NaiveDateTime>,
) -> Result<(), ApiError> {
    transition(conn, actor, id, expected, |actor, row| {
        access::may_publish(actor, row)?;
        if row.status == ArticleStatus::Withdrawn {
            return Err(conflict(row, "published again"));
        }
        let now = db::now();
        let at = at.unwrap_or(now);
        row.status = if at > now {
            ArticleStatus::Scheduled
        } else {
            ArticleStatus::Published
        };
        row.published_at = Some(at);
        row.first_published_at = row.first_published_at.or(Some(at));
        // A scheduled article is published when its time comes; until then
        // the change is the newsroom's.
        Ok(if at > now {
            EventKind::ArticleUpdated
        } else {
            EventKind::ArticlePublished
        })
    })
}

/// Takes a published, scheduled or archived article back to draft.
pub fn unpublish(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    transition(conn, actor, id, expected, |actor, row| {
        access::may_publish(actor, row)?;
        if !matches!(
            row.status,
            ArticleStatus::Published | ArticleStatus::Scheduled | ArticleStatus::Archived
        ) {
            return Err(conflict(row, "unpublished"));
        }
        row.status = ArticleStatus::Draft;
        row.published_at = None;
        Ok(EventKind::ArticleUnpublished)
    })
}

/// Archives a published or scheduled article: readable at its URL, gone from lists.
pub fn archive(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    transition(conn, actor, id, expected, |actor, row| {
        access::may_publish(actor, row)?;
        if !matches!(
            row.status,
            ArticleStatus::Published | ArticleStatus::Scheduled
        ) {
            return Err(conflict(row, "archived"));
        }
        row.status = ArticleStatus::Archived;
        Ok(EventKind::ArticleArchived)
    })
}

/// Withdraws (kills) an article (editors): its URL answers 410 Gone.
pub fn withdraw(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    transition(conn, actor, id, expected, |actor, row| {
        actor.require(Role::Editor)?;
        if row.status == ArticleStatus::Withdrawn {
            return Err(conflict(row, "withdrawn again"));
        }
        row.status = ArticleStatus::Withdrawn;
        Ok(EventKind::ArticleWithdrawn)
    })
}

/// Appends to an article's public corrections log (authors their own,
/// editors any); the article gets a new version.
pub fn add_correction(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    request: CorrectionRequest,
) -> Result<CorrectionRow, ApiError> {
    actor.require(Role::Author)?;
    let mut errors = Vec::new();
    if !["correction", "clarification", "update"].contains(&request.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "must be correction, clarification or update",
        ));
    }
    let text = match checked_text("text", &request.text, 2000, &['\n']) {
        Ok(text) if !text.is_empty() => Some(text),
        _ => {
            errors.push(FieldError::new(
                "text",
                "must be 1 to 2000 characters of text",
            ));
            None
        }
    };
    let (Some(text), true) = (text, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    db::write_tx(conn, |conn| {
        let mut article = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        access::may_publish(actor, &article)?;
        let row = CorrectionRow {
            id: db::new_id(),
            article_id: id.to_string(),
            kind: request.kind,
            text,
            created_by: Some(actor.id.clone()),
            created_at: db::now(),
        };
        relations::add_correction(conn, &row)?;
        // The article changed for readers: new version, new validators.
        let before = article.clone();
        article.version += 1;
        article.modified_at = row.created_at;
        save(conn, &article, before.version)?;
        events::article(conn, EventKind::ArticleCorrected, Some(&before), &article)?;
        Ok(row)
    })
}

/// Runs one workflow transition in a transaction: role, existence, If-Match,
/// then the transition's own rule, which says what event it makes.
fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Option<i64>,
    apply: impl FnOnce(&Actor, &mut ArticleRow) -> Result<EventKind, ApiError>,
) -> Result<(), ApiError> {
    actor.require(Role::Contributor)?;
    db::write_tx(conn, |conn| {
        let mut row = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        // Who may, then which version, then whether the state allows it:
        // 404/403, then 412, then 409.
        access::may_read(conn, Some(actor), &row, db::now())?;
        let before = row.clone();
        let applied = apply(actor, &mut row);
        if let Err(ApiError::Forbidden(why)) = applied {
            return Err(ApiError::Forbidden(why));
        }
        check_if_match(expected, before.version)?;
        let kind = applied?;
        row.version = before.version + 1;
        row.modified_at = db::now();
        save(conn, &row, before.version)?;
        events::article(conn, kind, Some(&before), &row)
    })
}

fn conflict(row: &ArticleRow, action: &str) -> ApiError {
    ApiError::Conflict(format!(
        "a {} article cannot be {action}",
        row.status.as_str().replace('_', " ")
    ))
}

/// Writes the row if nobody saved it since `version`.
fn save(conn: &mut DbConn, row: &ArticleRow, version: i64) -> Result<(), ApiError> {
    if queries::save_article(conn, row, version)? {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed(
            "the article changed meanwhile".into(),
        ))
    }
}

/// Stores a prepared article: row, bylines, media links, search index,
/// relations and a revision.
fn store(
    conn: &mut DbConn,
    prepared: &Prepared,
    actor_id: &str,
    note: &str,
    previous: Option<&ArticleRow>,
) -> Result<(), ApiError> {
    match previous {
        None => queries::insert_article(conn, &prepared.row)?,
        Some(old) => {
            save(conn, &prepared.row, old.version)?;
            // A published article's old address keeps working: it redirects.
            let moved = old.slug != prepared.row.slug || old.locale != prepared.row.locale;
            if moved && old.first_published_at.is_some() {
                queries::remember_slug(conn, &old.locale, &old.slug, &old.id)?;
            }
        }
    }
    queries::forget_slug(conn, &prepared.row.locale, &prepared.row.slug)?;
    relations::replace_links(
        conn,
        &prepared.row.id,
        &prepared.bylines,
        &prepared.media_ids,
    )?;
    search::index(
        conn,
        &prepared.row.id,
        &prepared.row.headline,
        prepared.row.summary.as_deref().unwrap_or(""),
        &body::stored_text(&prepared.row.body),
    )?;
    relations::replace_relations(
        conn,
        &prepared.row.id,
        &prepared.tags,
        &prepared.section_ids,
        &prepared.related,
    )?;
    queries::add_revision(
        conn,
        &prepared.row.id,
        Some(actor_id),
        note,
        &prepared.document,
    )?;
    Ok(())
}

/// The document of the latest revision (what the last save stored).
fn current_document(conn: &mut DbConn, row: &ArticleRow) -> Result<serde_json::Value, ApiError> {
    let latest = queries::revisions(conn, &row.id, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(format!("article {} has no revision", row.id)))?;
    serde_json::from_str(&latest.document).map_err(ApiError::internal)
}
