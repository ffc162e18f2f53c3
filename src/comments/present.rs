//! Comments as readers and moderators see them: threads with placeholders,
//! and the names shown beside each comment.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::comments::dto::{CommentAuthor, CommentResponse, ModeratedComment};
use crate::comments::model::CommentRow;
use crate::comments::queries;
use crate::comments::status::ShownStatus;
use crate::comments::text;
use crate::db::DbConn;
use crate::error::ApiError;
use crate::http::format_time;
use crate::http::pagination::split_page;

/// A page of an article's discussion as `viewer` sees it: top-level
/// comments (keyset-paged) with their replies nested, and the next cursor.
pub fn discussion(
    conn: &mut DbConn,
    article_id: &str,
    viewer: Option<&str>,
    newest: bool,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> Result<(Vec<CommentResponse>, Option<String>), ApiError> {
    let tops = queries::threads(conn, article_id, viewer, newest, after, limit + 1)?;
    let (tops, next) = split_page(tops, limit, |c| (c.created_at, c.id.clone()));
    let thread_ids: Vec<String> = tops.iter().map(|t| t.id.clone()).collect();
    let replies = queries::replies(conn, &thread_ids)?;
    let names = names_of(
        conn,
        tops.iter().chain(replies.iter()).map(|c| c.user_id.clone()),
    )?;
    let mut children: HashMap<&str, Vec<&CommentRow>> = HashMap::new();
    for reply in &replies {
        if let Some(parent) = reply.parent_id.as_deref() {
            children.entry(parent).or_default().push(reply);
        }
    }
    let data = tops
        .iter()
        .filter_map(|top| {
            let mut shown = 0;
            let mut thread = node(top, &children, &names, viewer, &mut shown)?;
            thread.reply_count = Some(shown);
            Some(thread)
        })
        .collect();
    Ok((data, next))
}

/// A comment in full, as readers see it.
pub fn present(row: &CommentRow, names: &HashMap<String, String>) -> CommentResponse {
    CommentResponse {
        id: row.id.clone(),
        article_id: row.article_id.clone(),
        parent_id: row.parent_id.clone(),
        reply_to_id: row.reply_to_id.clone(),
        depth: row.depth,
        status: row.status.into(),
        author: Some(CommentAuthor {
            id: row.user_id.clone(),
            display_name: names.get(&row.user_id).cloned().unwrap_or_default(),
        }),
        body: Some(row.body.clone()),
        body_html: Some(text::to_html(&row.body)),
        created_at: format_time(row.created_at),
        edited_at: row.edited_at.map(format_time),
        version: row.version,
        reply_count: None,
        replies: Vec::new(),
    }
}

/// The stand-in of a comment the viewer may not read that has replies they may.
fn placeholder(row: &CommentRow) -> CommentResponse {
    CommentResponse {
        status: if row.deleted_at.is_some() {
            ShownStatus::Deleted
        } else {
            ShownStatus::Removed
        },
        author: None,
        body: None,
        body_html: None,
        edited_at: None,
        ..present(row, &HashMap::new())
    }
}

/// Builds the tree under `row`; `None` when nothing in it is for the viewer.
/// Counts the real (non-placeholder) replies into `shown`.
pub fn node(
    row: &CommentRow,
    children: &HashMap<&str, Vec<&CommentRow>>,
    names: &HashMap<String, String>,
    viewer: Option<&str>,
    shown: &mut i64,
) -> Option<CommentResponse> {
    let replies: Vec<CommentResponse> = children
        .get(row.id.as_str())
        .map(|kids| {
            kids.iter()
                .filter_map(|kid| node(kid, children, names, viewer, shown))
                .collect()
        })
        .unwrap_or_default();
    let mut out = if row.visible_to(viewer) {
        if row.depth > 0 {
            *shown += 1;
        }
        present(row, names)
    } else if !replies.is_empty() {
        placeholder(row)
    } else {
        return None;
    };
    out.replies = replies;
    Some(out)
}

/// A comment as moderators see it.
pub fn moderated(row: CommentRow, names: &HashMap<String, String>) -> ModeratedComment {
    ModeratedComment {
        author: CommentAuthor {
            display_name: names.get(&row.user_id).cloned().unwrap_or_default(),
            id: row.user_id,
        },
        body_html: text::to_html(&row.body),
        body: row.body,
        id: row.id,
        article_id: row.article_id,
        parent_id: row.parent_id,
        depth: row.depth,
        status: row.status,
        hidden: row.hidden,
        flag_count: row.flag_count,
        created_at: format_time(row.created_at),
        edited_at: row.edited_at.map(format_time),
        deleted_at: row.deleted_at.map(format_time),
        version: row.version,
    }
}

/// Display names of these users (each once), by id.
pub fn names_of(
    conn: &mut DbConn,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, ApiError> {
    let mut ids: Vec<String> = ids.collect();
    ids.sort();
    ids.dedup();
    Ok(queries::names(conn, &ids)?.into_iter().collect())
}
