//! Every change of a media asset's rows happens here: registering an
//! upload, changing its metadata, deleting it. The bytes live in the media
//! store; these functions say which stored files became garbage, and the
//! caller removes them after the transaction (a leftover file is harmless, a
//! row without its file is not).

use crate::auth::role::{Actor, Role};
use crate::db::constraints;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::events::kind::EventKind;
use crate::events::service as events;
use crate::http::conditional::check_if_match;
use crate::http::json::{check_patch_fields, merge_patch, parse_merged};
use crate::media::dto::MediaMetadata;
use crate::media::model::{MediaRow, RenditionRow};
use crate::media::queries;

/// The 404 of media.
pub fn not_found() -> ApiError {
    ApiError::NotFound("no such media asset".into())
}

/// Authors may change what they uploaded; editors change anything.
pub fn may_edit(actor: &Actor, row: &MediaRow) -> Result<(), ApiError> {
    if actor.role >= Role::Editor
        || (actor.role >= Role::Author && row.uploaded_by.as_deref() == Some(actor.id.as_str()))
    {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only editors and the uploader may change this asset".into(),
        ))
    }
}

/// Records an uploaded file whose bytes are stored already; the row, and
/// whether it is new (the same bytes uploaded at the same moment by someone
/// else give their row).
pub fn register(conn: &mut DbConn, row: &MediaRow) -> Result<(MediaRow, bool), ApiError> {
    db::write_tx(conn, |conn| match queries::insert_media(conn, row) {
        Ok(row) => {
            events::media(conn, EventKind::MediaCreated, &row)?;
            Ok((row, true))
        }
        Err(e) if constraints::violates(&e, "media_sha256_key") => {
            let existing = queries::find_by_sha256(conn, &row.sha256)?
                .ok_or_else(|| ApiError::internal("unique sha256 violated, yet no row has it"))?;
            Ok((existing, false))
        }
        Err(e) => Err(e.into()),
    })
}

/// Records a rendition made on first request (derived from the original:
/// the asset's version does not move); a twin made at the same moment is fine.
pub fn record_rendition(conn: &mut DbConn, row: &RenditionRow) -> Result<(), ApiError> {
    Ok(queries::insert_rendition(conn, row)?)
}

/// Changes an asset's metadata by a JSON Merge Patch, based on version
/// `expected`; the row, and the stored files that are stale now (cropped
/// renditions, when the focal point moved).
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Result<Option<i64>, ApiError>,
    patch: &serde_json::Value,
) -> Result<(MediaRow, Vec<String>), ApiError> {
    actor.require(Role::Author)?;
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        may_edit(actor, &current)?;
        // The If-Match header is judged only after the caller may write
        // (RFC 9110 §13.2.1): a malformed one is a 400 for them alone.
        check_if_match(expected?, current.version)?;
        let stored = MediaMetadata::from_row(&current);
        check_patch_fields("MediaMetadataPatch", patch)?;
        let mut document = serde_json::to_value(&stored).map_err(ApiError::internal)?;
        merge_patch(&mut document, patch);
        let metadata: MediaMetadata = parse_merged(&document)?;
        let metadata = metadata.validated()?;
        let row = queries::update_metadata(conn, id, current.version, &metadata.columns())?
            .ok_or_else(|| ApiError::PreconditionFailed("the asset changed meanwhile".into()))?;
        let stale = if metadata.focal_point != stored.focal_point {
            queries::delete_cropped_renditions(conn, id)?
        } else {
            Vec::new()
        };
        events::media(conn, EventKind::MediaUpdated, &row)?;
        Ok((row, stale))
    })
}

/// Deletes an asset no article uses, based on version `expected`; the
/// stored files to remove.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    expected: Result<Option<i64>, ApiError>,
) -> Result<Vec<String>, ApiError> {
    actor.require(Role::Author)?;
    db::write_tx(conn, |conn| {
        let current = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
        may_edit(actor, &current)?;
        // The If-Match header is judged only after the caller may write
        // (RFC 9110 §13.2.1): a malformed one is a 400 for them alone.
        check_if_match(expected?, current.version)?;
        let users = crate::articles::queries::using_media(conn, &current.id)?;
        if !users.is_empty() {
            let shown = users
                .iter()
                .take(3)
                .map(|(_, slug, _)| slug.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let more = if users.len() > 3 { ", …" } else { "" };
            return Err(ApiError::Conflict(format!(
                "the asset is used by {} article(s) ({shown}{more}); see GET /api/v1/media/{}/usage",
                users.len(),
                current.id
            )));
        }
        let keys = queries::delete_media(conn, &current)?
            .ok_or_else(|| ApiError::PreconditionFailed("the asset changed meanwhile".into()))?;
        events::media(conn, EventKind::MediaDeleted, &current)?;
        Ok(keys)
    })
}
