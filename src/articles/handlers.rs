//! Article endpoints: create, edit, and the delivery reads.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use crate::articles::access::{self, not_found};
use crate::articles::document::{self, Prepared};
use crate::articles::dto::{
    ArticleDocument, ArticleList, ArticleListQuery, ArticleQuery, ArticleResponse,
};
use crate::articles::model::ArticleRow;
use crate::articles::present::{self, BodyFormat};
use crate::articles::queries::{self, ArticleFilter};
use crate::auth::{AuthUser, MaybeAuthUser, Role};
use crate::db::{self, DbConn};
use crate::error::{ApiError, Problem};
use crate::http::{self, ApiJson, ListMeta, DEFAULT_LIMIT};
use crate::startup::AppState;

/// Registers the article endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_articles)
        .service(create_article)
        .service(get_article_by_slug)
        .service(get_article)
        .service(update_article)
        .service(crate::articles::workflow::submit_article)
        .service(crate::articles::workflow::publish_article)
        .service(crate::articles::workflow::unpublish_article)
        .service(crate::articles::workflow::archive_article)
        .service(crate::articles::workflow::withdraw_article)
        .service(crate::articles::revisions::list_revisions)
        .service(crate::articles::revisions::get_revision)
        .service(crate::articles::revisions::restore_revision)
        .service(crate::articles::corrections::add_correction)
        .service(crate::articles::corrections::create_preview_link)
        .service(crate::articles::feed::get_feed)
        .service(crate::articles::tags::list_tags);
}

/// Stores a prepared article: row, bylines, media links and a revision.
pub fn store(
    conn: &mut DbConn,
    prepared: &Prepared,
    user: &AuthUser,
    note: &str,
    previous: Option<&ArticleRow>,
) -> Result<(), ApiError> {
    match previous {
        None => queries::insert_article(conn, &prepared.row)?,
        Some(old) => {
            if !queries::save_article(conn, &prepared.row, old.version)? {
                return Err(ApiError::PreconditionFailed(
                    "the article changed meanwhile".into(),
                ));
            }
            // A published article's old address keeps working: it redirects.
            let moved = old.slug != prepared.row.slug || old.locale != prepared.row.locale;
            if moved && old.first_published_at.is_some() {
                queries::remember_slug(conn, &old.locale, &old.slug, &old.id)?;
            }
        }
    }
    queries::forget_slug(conn, &prepared.row.locale, &prepared.row.slug)?;
    queries::replace_links(
        conn,
        &prepared.row.id,
        &prepared.bylines,
        &prepared.media_ids,
    )?;
    let blocks: Vec<crate::articles::body::Block> =
        serde_json::from_str(&prepared.row.body).unwrap_or_default();
    crate::articles::search::index(
        conn,
        &prepared.row.id,
        &prepared.row.headline,
        prepared.row.summary.as_deref().unwrap_or(""),
        &crate::articles::body::to_text(&blocks),
    )?;
    queries::replace_relations(
        conn,
        &prepared.row.id,
        &prepared.tags,
        &prepared.section_ids,
        &prepared.related,
    )?;
    queries::add_revision(
        conn,
        &prepared.row.id,
        Some(&user.id),
        note,
        &prepared.document,
    )?;
    Ok(())
}

/// The article as staff see it after a write.
pub fn load_for_staff(
    conn: &mut DbConn,
    widths: &[u32],
    id: &str,
) -> Result<ArticleResponse, ApiError> {
    let row = queries::find_by_id(conn, id)?.ok_or_else(not_found)?;
    present::present(conn, row, BodyFormat::Blocks, widths, db::now(), true)
}

/// The response of a staff write: the article, private, with its ETag.
pub fn staff_response(article: &ArticleResponse, created: bool) -> HttpResponse {
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header(("ETag", http::version_etag(article.version)));
    if created {
        builder.insert_header(("Location", format!("/api/v1/articles/{}", article.id)));
    }
    http::private_json(&mut builder, article)
}

/// Write an article (contributor and up). It starts as a draft.
#[utoipa::path(
    tag = "articles",
    request_body = ArticleDocument,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new draft", body = ArticleResponse,
         headers(("Location" = String, description = "URL of the article"), ("ETag" = String, description = "`\"<version>\"`"))),
        (status = 409, description = "The slug is taken in this locale", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/articles")]
pub async fn create_article(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ArticleDocument>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let doc = body.0;
    let st = state.clone();
    let article = db::run(&state.pool, move |conn| {
        let id = db::write_tx(conn, |conn| {
            let prepared = document::prepare(conn, doc, None, &st.default_locale, Some(&user.id))?;
            store(conn, &prepared, &user, "created", None)?;
            Ok(prepared.row.id)
        })?;
        load_for_staff(conn, &st.media.widths, &id)
    })
    .await?;
    Ok(staff_response(&article, true))
}

/// Edit an article (JSON Merge Patch of its document).
///
/// `If-Match: "<version>"` is required: a save based on an old copy is 412,
/// so two editors never silently overwrite each other. Every save is a revision.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id"),
        ("If-Match" = String, Header, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, description = "`\"<version>\"` the change was based on"),
    ),
    request_body(content = ArticleDocument, content_type = "application/merge-patch+json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The saved article", body = ArticleResponse, headers(("ETag" = String, description = "`\"<version>\"`"))),
        (status = 409, description = "The slug is taken in this locale", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names an older version", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match is missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/articles/{id}")]
pub async fn update_article(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    req: HttpRequest,
    body: ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Contributor)?;
    let expected = match http::if_match_version(&req)? {
        Some(v) => Some(v),
        None if req.headers().contains_key("if-match") => None,
        None => {
            return Err(ApiError::PreconditionRequired(
                "send If-Match: \"<version>\" of the copy you edited".into(),
            ))
        }
    };
    let patch = body.0;
    let id = id.into_inner();
    let st = state.clone();
    let article = db::run(&state.pool, move |conn| {
        db::write_tx(conn, |conn| {
            let current = queries::find_by_id(conn, &id)?.ok_or_else(not_found)?;
            access::may_edit(&user, &current)?;
            http::check_if_match(expected, current.version)?;
            let mut doc = current_document(conn, &current)?;
            http::merge_patch(&mut doc, &patch);
            let doc: ArticleDocument =
                http::parse_json(&serde_json::to_vec(&doc).map_err(ApiError::internal)?)?;
            let prepared = document::prepare(conn, doc, Some(&current), &st.default_locale, None)?;
            store(conn, &prepared, &user, "edited", Some(&current))
        })?;
        load_for_staff(conn, &st.media.widths, &id)
    })
    .await?;
    Ok(staff_response(&article, false))
}

/// The document of the latest revision (what the last save stored).
pub fn current_document(
    conn: &mut DbConn,
    row: &ArticleRow,
) -> Result<serde_json::Value, ApiError> {
    let latest = queries::revisions(conn, &row.id, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(format!("article {} has no revision", row.id)))?;
    serde_json::from_str(&latest.document).map_err(ApiError::internal)
}

fn body_format(query: &ArticleQuery) -> Result<BodyFormat, ApiError> {
    match query.format.as_deref() {
        Some("html") => Ok(BodyFormat::Html),
        Some("text") => Ok(BodyFormat::Text),
        None | Some("json") => Ok(BodyFormat::Blocks),
        Some(_) => Err(ApiError::bad_param("format", "must be html, text or json")),
    }
}

async fn respond_article(
    state: &AppState,
    req: &HttpRequest,
    user: Option<AuthUser>,
    preview: Option<String>,
    find: impl FnOnce(&mut DbConn) -> Result<Option<ArticleRow>, ApiError> + Send + 'static,
    format: BodyFormat,
    fields: Option<Vec<String>>,
) -> Result<HttpResponse, ApiError> {
    let format = present::format_for(fields.as_deref(), format);
    let widths = state.media.widths.clone();
    // A preview link reads one article whatever its status, without a login.
    let previewed = preview
        .map(|token| state.jwt.verify_preview(&token))
        .transpose()?;
    let is_staff = user.as_ref().is_some_and(|u| u.role >= Role::Contributor);
    let staff = previewed.is_some() || is_staff;
    let (article, keys) = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = find(conn)?.ok_or_else(not_found)?;
        match &previewed {
            Some(id) if *id == row.id => {}
            Some(_) => {
                return Err(ApiError::Unauthorized(
                    "the preview link is for another article".into(),
                ))
            }
            None => access::may_read(user.as_ref(), &row, now)?,
        }
        let mut keys = format!("article:{} section:{}", row.id, row.section_id);
        if let Some(m) = &row.main_media_id {
            keys.push_str(&format!(" media:{m}"));
        }
        Ok((
            present::present(conn, row, format, &widths, now, is_staff)?,
            keys,
        ))
    })
    .await?;
    // Serialised once.
    let body = match &fields {
        None => http::to_json(&article),
        Some(fields) => http::to_json(&present::trimmed(&article, Some(fields))),
    };
    if staff {
        let mut builder = HttpResponse::Ok();
        builder
            .insert_header(("ETag", http::version_etag(article.version)))
            .insert_header(("Vary", "Authorization"));
        return Ok(http::private_json_bytes(&mut builder, body));
    }
    Ok(http::public_json_hashed(
        req,
        body,
        Some(article.modified_at),
        keys,
    ))
}

/// Get an article: everything a page needs in one response.
///
/// Public for published articles (404 otherwise, 410 once withdrawn); staff
/// see every status. `?format=html` adds `body_html`, `?format=text` `body_text`.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "Article id"), ArticleQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleResponse,
         headers(("ETag" = String, description = "Strong validator"), ("Surrogate-Key" = String, description = "`article:<id> section:<id> media:<id>`"))),
        (status = 304, description = "Not modified"),
        (status = 410, description = "Withdrawn by the editors", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{id}")]
pub async fn get_article(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    query: web::Query<ArticleQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let format = body_format(&query)?;
    let query = query.into_inner();
    let fields = present::parse_fields(query.fields.as_deref())?;
    respond_article(
        &state,
        &req,
        user.0,
        query.preview,
        move |conn| queries::find_by_id(conn, &id),
        format,
        fields,
    )
    .await
}

/// Get an article by its slug (in the default locale, or `?locale=`).
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "Article slug"),
        ("locale" = Option<String>, Query, description = "Locale of the slug (default from configuration)"),
        ("format" = Option<String>, Query, pattern = "^(html|text|json)$", description = "`html` adds `body_html`; `text` adds `body_text`"),
        ("fields" = Option<String>, Query, pattern = r"^[a-z_]+(,[a-z_]+)*$", description = "Only these top-level fields, comma-separated"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article", body = ArticleResponse),
        (status = 301, description = "An old slug: `Location` names the current one",
         headers(("Location" = String, description = "The article's current URL"))),
        (status = 304, description = "Not modified"),
        (status = 410, description = "Withdrawn by the editors", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/slug/{slug}")]
pub async fn get_article_by_slug(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    slug: web::Path<String>,
    query: web::Query<SlugQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let slug = slug.into_inner();
    let query = query.into_inner();
    let locale = query
        .locale
        .clone()
        .unwrap_or_else(|| state.default_locale.clone());
    let format = body_format(&ArticleQuery {
        format: query.format.clone(),
        preview: None,
        fields: None,
    })?;
    let fields = present::parse_fields(query.fields.as_deref())?;
    let (l, s) = (locale.clone(), slug.clone());
    let found = respond_article(
        &state,
        &req,
        user.0.clone(),
        None,
        move |conn| queries::find_by_slug(conn, &l, &s),
        format,
        fields,
    )
    .await;
    if !matches!(found, Err(ApiError::NotFound(_))) {
        return found;
    }
    // Not a current slug: an old slug of a readable article answers with a
    // permanent redirect (looked up only here, off the common path).
    let u = user.0;
    let moved = db::run(&state.pool, move |conn| {
        Ok(queries::article_for_old_slug(conn, &locale, &slug)?
            .filter(|row| access::may_read(u.as_ref(), row, db::now()).is_ok())
            .map(|row| row.slug))
    })
    .await?;
    let Some(current) = moved else {
        return found;
    };
    let mut location = format!("/api/v1/articles/slug/{current}");
    let mut params = Vec::new();
    if let Some(l) = &query.locale {
        params.push(("locale", l.clone()));
    }
    if let Some(f) = &query.format {
        params.push(("format", f.clone()));
    }
    if let Some(f) = &query.fields {
        params.push(("fields", f.clone()));
    }
    if !params.is_empty() {
        location.push('?');
        location.push_str(&serde_urlencoded::to_string(&params).unwrap_or_default());
    }
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", http::PUBLIC_CACHE))
        .finish())
}

/// Query of an article by slug.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlugQuery {
    /// Locale of the slug.
    pub locale: Option<String>,
    /// Body format.
    pub format: Option<String>,
    /// Only these fields.
    pub fields: Option<String>,
}

/// List articles, newest first.
///
/// The public sees published articles by publication time. Staff may ask for
/// a `status` (drafts, in review…), ordered by last change.
#[utoipa::path(
    tag = "articles",
    params(ArticleListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of article summaries", body = ArticleList,
         headers(("ETag" = String, description = "Strong validator"), ("Link" = String, description = "`<…>; rel=\"next\"`"))),
        (status = 304, description = "Not modified"),
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    query: web::Query<ArticleListQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let staff = user.0.as_ref().is_some_and(|u| u.role >= Role::Contributor);
    if let Some(status) = &query.status {
        if ![
            "draft",
            "in_review",
            "scheduled",
            "published",
            "archived",
            "withdrawn",
        ]
        .contains(&status.as_str())
        {
            return Err(ApiError::bad_param(
                "status",
                "must be draft, in_review, scheduled, published, archived or withdrawn",
            ));
        }
        if status != "published" && !staff {
            // The public only ever sees published articles; asking for more is not an error to hide.
            return Err(ApiError::bad_param(
                "status",
                "only staff may list articles that are not published",
            ));
        }
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_string);
    let (by_relevance, order) = match query.sort.as_deref() {
        None => (search.is_some(), None),
        Some("-published_at") => (false, Some(queries::ListOrder::Published)),
        Some("-updated_at") => (false, Some(queries::ListOrder::Updated)),
        Some("relevance") if search.is_some() => (true, None),
        Some("relevance") => {
            return Err(ApiError::bad_param(
                "sort",
                "relevance needs a search (`q`)",
            ))
        }
        Some(_) => {
            return Err(ApiError::bad_param(
                "sort",
                "must be -published_at, -updated_at or relevance",
            ))
        }
    };
    let fields = present::parse_fields(query.fields.as_deref())?;
    let format = present::format_for(fields.as_deref(), BodyFormat::None);
    let cursor = query.cursor.as_deref().filter(|c| !c.is_empty());
    // Search results are ranked, so they page by position in the ranking.
    let (after, offset): (Option<(chrono::NaiveDateTime, String)>, usize) = match (&search, cursor)
    {
        (Some(_), Some(c)) => (None, http::decode_cursor::<usize>(c)?),
        (None, Some(c)) => (Some(http::decode_cursor(c)?), 0),
        (_, None) => (None, 0),
    };
    let with_total = query.include_total.unwrap_or(false);
    let widths = state.media.widths.clone();
    let section_key = query.section.clone();
    let time_param =
        |name: &str, value: &Option<String>| -> Result<Option<chrono::NaiveDateTime>, ApiError> {
            value
                .as_deref()
                .map(|v| {
                    chrono::DateTime::parse_from_rfc3339(v)
                        .map(|t| db::truncate(t.naive_utc()))
                        .map_err(|_| {
                            ApiError::bad_param(
                                name,
                                "must be an RFC 3339 time such as 2026-11-26T09:00:00Z",
                            )
                        })
                })
                .transpose()
        };
    let mut filter = ArticleFilter {
        section_ids: None,
        tag_id: None,
        author: query.author.clone(),
        source: query.source.clone(),
        published_after: time_param("published_after", &query.published_after)?,
        published_before: time_param("published_before", &query.published_before)?,
        locale: query.locale.clone(),
        status: query.status.clone(),
    };
    let tag_slug = query.tag.clone();
    let subsections = query.include_subsections.unwrap_or(false);
    let order = match order {
        Some(o) => o,
        None if queries::ordered_by_publication(filter.status.as_deref()) => {
            queries::ListOrder::Published
        }
        None => queries::ListOrder::Modified,
    };
    let (items, next_cursor, total) = db::run(&state.pool, move |conn| {
        let now = db::now();
        // An unknown section or tag matches nothing: an empty page, not an error.
        if let Some(key) = section_key {
            match crate::sections::queries::find_by_id_or_slug(conn, &key)? {
                Some(s) if subsections => {
                    filter.section_ids =
                        Some(crate::sections::queries::with_descendants(conn, &s.id)?)
                }
                Some(s) => filter.section_ids = Some(vec![s.id]),
                None => return Ok((Vec::new(), None, with_total.then_some(0))),
            }
        }
        if let Some(slug) = tag_slug {
            match crate::articles::tags::find_by_slug(conn, &slug)? {
                Some(t) => filter.tag_id = Some(t.id),
                None => return Ok((Vec::new(), None, with_total.then_some(0))),
            }
        }
        if let Some(q) = search {
            // Rank ids only, filter them, then load and excerpt just the page.
            let hits = crate::articles::search::search(conn, &q)?;
            let ids: Vec<String> = hits.iter().map(|h| h.article_id.clone()).collect();
            let rank: std::collections::HashMap<&str, usize> = ids
                .iter()
                .enumerate()
                .map(|(i, id)| (id.as_str(), i))
                .collect();
            let mut found = queries::filter_ids(conn, &filter, &ids, now)?;
            if by_relevance {
                found.sort_by_key(|t| rank.get(t.id.as_str()).copied().unwrap_or(usize::MAX));
            } else {
                found.sort_by(|a, b| order.key_of(b).cmp(&order.key_of(a)).then(b.id.cmp(&a.id)));
            }
            let total = found.len();
            let page: Vec<String> = found
                .into_iter()
                .skip(offset)
                .take(limit as usize)
                .map(|t| t.id)
                .collect();
            let next =
                (offset + page.len() < total).then(|| http::encode_cursor(&(offset + page.len())));
            let snippets = crate::articles::search::snippets(conn, &q, &page)?;
            let rows = queries::in_order(conn, &page)?;
            let mut items = present::present_list(conn, rows, format, &widths, now)?;
            for item in &mut items {
                item.snippet = snippets
                    .iter()
                    .find(|s| s.article_id == item.id)
                    .map(|s| crate::articles::search::snippet_html(&s.snippet));
            }
            return Ok((items, next, with_total.then_some(total as i64)));
        }
        let rows = queries::list_articles(conn, &filter, order, after.as_ref(), limit + 1, now)?;
        let (rows, next) = http::split_page(rows, limit, |r| (order.key(r), r.id.clone()));
        let total = if with_total {
            Some(queries::count_articles(conn, &filter, now)?)
        } else {
            None
        };
        Ok((
            present::present_list(conn, rows, format, &widths, now)?,
            next,
            total,
        ))
    })
    .await?;
    let mut keys = String::from("articles");
    for a in &items {
        keys.push_str(&format!(" article:{}", a.id));
    }
    let last_modified = items.iter().map(|a| a.modified_at).max();
    let list = ArticleList {
        data: items,
        meta: ListMeta {
            next_cursor: next_cursor.clone(),
            limit,
            total,
        },
    };
    let body = match &fields {
        None => http::to_json(&list),
        Some(fields) => http::to_json(&serde_json::json!({
            "data": list.data.iter().map(|a| present::trimmed(a, Some(fields))).collect::<Vec<_>>(),
            "meta": list.meta,
        })),
    };
    let mut response = if staff {
        let mut builder = HttpResponse::Ok();
        builder.insert_header(("Vary", "Authorization"));
        http::private_json_bytes(&mut builder, body)
    } else {
        http::public_json_hashed(&req, body, last_modified, keys)
    };
    http::add_next_link(&mut response, &req, next_cursor.as_deref());
    Ok(response)
}
