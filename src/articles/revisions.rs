//! Revision endpoints: every save is kept; restoring makes a new revision
//! and never rewrites history.

use actix_web::{get, post, web, HttpResponse};

use crate::articles::access::{self, not_found};
use crate::articles::dto::{ArticleResponse, RevisionList, RevisionResponse};
use crate::articles::handlers::write_article;
use crate::articles::model::RevisionRow;
use crate::articles::{queries, service};
use crate::auth::extract::AuthUser;
use crate::auth::role::Role;
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::{self, IfMatch, ListMeta};
use crate::state::AppState;

fn response(row: RevisionRow, with_document: bool) -> RevisionResponse {
    RevisionResponse {
        number: row.number,
        created_by: row.created_by,
        created_at: row.created_at,
        note: row.note,
        document: if with_document {
            serde_json::from_str(&row.document).ok()
        } else {
            None
        },
    }
}

/// List an article's revisions, newest first (staff).
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The latest 100 revisions", body = RevisionList)),
)]
#[get("/articles/{id}/revisions")]
pub async fn list_revisions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let id = id.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        let article = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
        if !access::sees_unpublished(conn, Some(&user), &article)? {
            return Err(not_found());
        }
        Ok(queries::revisions(conn, &id, 100)?)
    })
    .await?;
    let list = RevisionList {
        data: rows.into_iter().map(|r| response(r, false)).collect(),
        meta: ListMeta {
            next_cursor: None,
            limit: 100,
            total: None,
        },
    };
    Ok(http::private_json(&mut HttpResponse::Ok(), &list))
}

/// Get one revision with the article as it was saved (staff).
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id"), ("n" = i32, Path, description = "Revision number")),
    security(("bearer" = [])),
    responses((status = 200, description = "The revision", body = RevisionResponse)),
)]
#[get("/articles/{id}/revisions/{n}")]
pub async fn get_revision(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let (id, n) = path.into_inner();
    let n: i32 = n.parse().map_err(|_| service::no_such_revision())?;
    let row = db::run(&state.pool, move |conn| {
        let article = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
        if !access::sees_unpublished(conn, Some(&user), &article)? {
            return Err(not_found());
        }
        Ok(queries::revision(conn, &id, n)?)
    })
    .await?
    .ok_or_else(service::no_such_revision)?;
    Ok(http::private_json(
        &mut HttpResponse::Ok(),
        &response(row, true),
    ))
}

/// Restore a revision: its content becomes a new revision (history is kept).
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id"),
        ("n" = i32, Path, description = "Revision number"),
        ("If-Match" = Option<String>, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` of the article"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The article with the restored content", body = ArticleResponse),
        (status = 409, description = "The old slug is now used by another article", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles/{id}/revisions/{n}/restore")]
pub async fn restore_revision(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let expected = if_match.version()?;
    let (id, n) = path.into_inner();
    let n: i32 = n.parse().map_err(|_| service::no_such_revision())?;
    write_article(&state, false, move |conn, locale| {
        service::restore(conn, &user, &id, n, expected, locale)?;
        Ok(id)
    })
    .await
}
