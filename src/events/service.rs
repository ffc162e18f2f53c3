//! Writing events: the services call these inside their transactions, so an
//! event exists exactly when its change does. Whether anonymous readers may
//! see an event is decided here: a change of public content is public; the
//! life of a draft is for staff alone.

use chrono::NaiveDateTime;

use crate::articles::model::ArticleRow;
use crate::comments::model::CommentRow;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::events::dto::EventData;
use crate::events::kind::EventKind;
use crate::events::model::NewEvent;
use crate::events::queries;
use crate::media::model::MediaRow;
use crate::sections::model::SectionRow;

fn emit(
    conn: &mut DbConn,
    kind: EventKind,
    resource_id: &str,
    public: bool,
    data: &EventData,
) -> Result<(), ApiError> {
    let event = new_event(kind, resource_id, public, data, db::now())?;
    queries::insert(conn, &event)?;
    // The delivery documents follow every change the outbox records.
    crate::articles::delivery::changed(conn, kind, resource_id)
}

/// The row of an event.
fn new_event(
    kind: EventKind,
    resource_id: &str,
    public: bool,
    data: &EventData,
    at: NaiveDateTime,
) -> Result<NewEvent, ApiError> {
    Ok(NewEvent {
        id: db::new_id(),
        kind,
        resource_id: resource_id.to_string(),
        public,
        data: serde_json::to_string(data).map_err(ApiError::internal)?,
        created_at: at,
    })
}

/// An article's change. Public when the public could read the article before
/// it or can after it (an edit of a published article, its withdrawal),
/// never for the life of a draft.
pub fn article(
    conn: &mut DbConn,
    kind: EventKind,
    before: Option<&ArticleRow>,
    after: &ArticleRow,
) -> Result<(), ApiError> {
    let now = db::now();
    let public = before.is_some_and(|b| b.is_visible(now)) || after.is_visible(now);
    emit(conn, kind, &after.id, public, &article_data(after, now))
}

/// What an article's event tells about it.
fn article_data(row: &ArticleRow, now: NaiveDateTime) -> EventData {
    EventData {
        article_id: Some(row.id.clone()),
        slug: Some(row.slug.clone()),
        locale: Some(row.locale.clone()),
        section_id: Some(row.section_id.clone()),
        version: Some(row.version),
        status: Some(row.effective_status(now).to_string()),
        surrogate_keys: format!("article:{} section:{} articles", row.id, row.section_id),
    }
}

/// New articles (an import): the event [`article`] records for each, all
/// written together, in the order given.
pub fn articles_added(
    conn: &mut DbConn,
    kind: EventKind,
    rows: &[&ArticleRow],
) -> Result<(), ApiError> {
    let now = db::now();
    let events = rows
        .iter()
        .map(|row| {
            new_event(
                kind,
                &row.id,
                row.is_visible(now),
                &article_data(row, now),
                now,
            )
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    queries::insert_many(conn, &events)?;
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    crate::articles::delivery::articles_changed(conn, &ids)
}

/// A moment of an article's public life that no write made: its scheduled
/// time or embargo came (published), or its expiry (expired). Always public.
pub fn article_moment(
    conn: &mut DbConn,
    kind: EventKind,
    row: &ArticleRow,
) -> Result<(), ApiError> {
    emit(conn, kind, &row.id, true, &article_data(row, db::now()))
}

/// A media asset's change (asset metadata is public).
pub fn media(conn: &mut DbConn, kind: EventKind, row: &MediaRow) -> Result<(), ApiError> {
    let data = EventData {
        version: Some(row.version),
        surrogate_keys: format!("media:{}", row.id),
        ..EventData::default()
    };
    emit(conn, kind, &row.id, true, &data)
}

/// A section's change (sections are public).
pub fn section(conn: &mut DbConn, kind: EventKind, row: &SectionRow) -> Result<(), ApiError> {
    let data = EventData {
        slug: Some(row.slug.clone()),
        version: Some(row.version),
        surrogate_keys: format!("section:{} sections", row.id),
        ..EventData::default()
    };
    emit(conn, kind, &row.id, true, &data)
}

/// A comment's change. Public when readers saw the comment before or see it
/// after (an approval, the removal of an approved comment).
pub fn comment(
    conn: &mut DbConn,
    kind: EventKind,
    was_public: bool,
    row: &CommentRow,
) -> Result<(), ApiError> {
    let data = EventData {
        article_id: Some(row.article_id.clone()),
        version: Some(row.version),
        status: Some(row.status.to_string()),
        surrogate_keys: format!("comment:{} comments:{}", row.id, row.article_id),
        ..EventData::default()
    };
    emit(conn, kind, &row.id, was_public || row.is_public(), &data)
}

/// How many events one run prunes at most (a short transaction).
const PRUNE_BATCH: i64 = 10_000;

/// Deletes events older than `cutoff` (a batch per call) and records the
/// last pruned position, so that a cursor from before it is told to resync.
pub fn prune(conn: &mut DbConn, cutoff: chrono::NaiveDateTime) -> Result<usize, ApiError> {
    db::write_tx(conn, |conn| {
        let Some(through) = queries::oldest_before(conn, cutoff, PRUNE_BATCH)? else {
            return Ok(0);
        };
        let pruned = queries::prune_through(conn, through)?;
        Ok(pruned)
    })
}
