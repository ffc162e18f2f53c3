//! Article endpoints: create, edit, and the delivery reads. Handlers parse
//! and answer; `service` decides and writes, `reading` and `listing` read.

use actix_web::http::StatusCode;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};

use crate::articles::delivery::Document;
use crate::articles::dto::{
    ArticleDocument, ArticleList, ArticleListQuery, ArticleQuery, ArticleResponse, SlugQuery,
};
use crate::articles::gathered::Wanted;
use crate::articles::listing::{self, ListItem, ListRequest};
use crate::articles::present::{self, BodyFormat};
use crate::articles::reading::{self, Read};
use crate::articles::service;
use crate::auth::extract::{AuthUser, MaybeAuthUser};
use crate::db;
use crate::error::{ApiError, Problem};
use crate::http::encoding;
use crate::http::pagination::{list_json, list_json_written, Page, Paged, Total};
use crate::http::response::{public_json, read_json, Audience, CacheInfo};
use crate::http::{self, ApiJson, IfMatch, ListMeta};
use crate::state::AppState;

/// Runs a write of the article service, then answers with the article as
/// staff see it (`201` with `Location` for a new one).
pub async fn write_article(
    state: &AppState,
    created: bool,
    write: impl FnOnce(&mut db::DbConn, &str) -> Result<String, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let widths = state.media.widths.clone();
    let locale = state.default_locale.clone();
    let article = db::run(&state.pool, move |conn| {
        let id = write(conn, &locale)?;
        reading::for_staff(conn, &widths, &id)
    })
    .await?;
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    builder.insert_header(("ETag", http::version_etag(article.version)));
    if created {
        builder.insert_header(("Location", format!("/api/v1/articles/{}", article.id)));
    }
    Ok(http::private_json(&mut builder, &article))
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
    write_article(&state, true, move |conn, locale| {
        service::create(conn, &user, body.0, locale)
    })
    .await
}

/// Edit an article (JSON Merge Patch of its document).
///
/// `If-Match: "<version>"` is required: a save based on an old copy is 412,
/// so two editors never silently overwrite each other. Every save is a revision.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "Article id"),
        ("If-Match" = String, Header, pattern = r#"^(\*|(W/)?"[0-9]{1,18}")$"#, description = "`\"<version>\"` the change was based on"),
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
    if_match: IfMatch,
    body: ApiJson<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(crate::auth::role::Role::Contributor)?;
    // Checked in the service after who may edit: authorisation first.
    let expected = if_match.required();
    write_article(&state, false, move |conn, locale| {
        service::update(conn, &user, &id, &body.0, expected, locale)?;
        Ok(id.into_inner())
    })
    .await
}

fn body_format(format: Option<&str>) -> Result<BodyFormat, ApiError> {
    match format {
        Some("html") => Ok(BodyFormat::Html),
        Some("text") => Ok(BodyFormat::Text),
        None | Some("json") => Ok(BodyFormat::Blocks),
        Some(_) => Err(ApiError::bad_param("format", "must be html, text or json")),
    }
}

/// The answer from the article's delivery document, when `wanted` has a
/// current one.
async fn delivered(
    state: &AppState,
    req: &HttpRequest,
    wanted: Wanted,
) -> Result<Option<HttpResponse>, ApiError> {
    // Only the form the client accepts is read.
    let accepted = encoding::negotiate(req.headers());
    let doc = match &state.gathered {
        Some(gathered) => gathered.read(wanted, accepted).await?,
        None => {
            let key = state.delivery_key.clone();
            db::read_quick(&state.pool, move |conn| {
                Ok(wanted.find(conn, &key, accepted)?)
            })
            .await?
        }
    };
    Ok(doc.map(|doc| document_response(req, doc)))
}

/// A stored delivery document, answered as the full path would answer it,
/// compressed as stored when the client accepts it.
fn document_response(req: &HttpRequest, doc: Document) -> HttpResponse {
    let encoding = encoding::for_kept(req.headers(), doc.size);
    let (encoding, body) = match (encoding, doc.compressed) {
        (Some(encoding), Some(compressed)) => (Some(encoding), compressed),
        _ => (None, doc.body.into_bytes()),
    };
    let mut res = public_json(
        req,
        body,
        CacheInfo {
            etag: doc.etag,
            last_modified: Some(doc.modified_at),
            surrogate_keys: doc.surrogate_keys,
        },
    );
    if let Some(encoding) = encoding.filter(|_| res.status() == StatusCode::OK) {
        encoding::encoded_headers(res.headers_mut(), encoding);
    }
    res
}

/// The response of a read article.
fn article_response(
    req: &HttpRequest,
    article: &ArticleResponse,
    keys: String,
    fields: Option<&[String]>,
    private: bool,
) -> HttpResponse {
    // Serialised once.
    let body = match fields {
        None => http::to_json(article),
        Some(fields) => http::to_json(&present::trimmed(article, Some(fields))),
    };
    let audience = if private {
        Audience::Private {
            etag: Some(http::version_etag(article.version)),
        }
    } else {
        Audience::Public {
            last_modified: Some(article.modified_at),
            surrogate_keys: keys,
        }
    };
    read_json(req, body, audience)
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
    let query = query.into_inner();
    let format = body_format(query.format.as_deref())?;
    let fields = present::parse_fields(query.fields.as_deref())?;
    let preview = query
        .preview
        .map(|token| state.jwt.verify_preview(&token))
        .transpose()?;
    let private = preview.is_some() || user.0.as_ref().is_some_and(|u| u.is_staff());
    // An anonymous read of the whole article is its delivery document.
    let plain =
        user.0.is_none() && preview.is_none() && fields.is_none() && format == BodyFormat::Blocks;
    let format = present::format_for(fields.as_deref(), format);
    let widths = state.media.widths.clone();
    if plain {
        if let Some(res) = delivered(&state, &req, Wanted::Id(id.clone())).await? {
            return Ok(res);
        }
    }
    let (article, keys) = db::run(&state.pool, move |conn| {
        let user = user.0.as_deref();
        reading::by_id(conn, &id, preview.as_deref(), user, format, &widths)
    })
    .await?;
    Ok(article_response(
        &req,
        &article,
        keys,
        fields.as_deref(),
        private,
    ))
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
    let query = query.into_inner();
    let locale = query
        .locale
        .clone()
        .unwrap_or_else(|| state.default_locale.clone());
    let format = body_format(query.format.as_deref())?;
    let fields = present::parse_fields(query.fields.as_deref())?;
    let private = user.0.as_ref().is_some_and(|u| u.is_staff());
    // An anonymous read of the whole article is its delivery document.
    let plain = user.0.is_none() && fields.is_none() && format == BodyFormat::Blocks;
    let read_format = present::format_for(fields.as_deref(), format);
    let widths = state.media.widths.clone();
    if plain {
        let wanted = Wanted::Slug {
            locale: locale.clone(),
            slug: slug.clone(),
        };
        if let Some(res) = delivered(&state, &req, wanted).await? {
            return Ok(res);
        }
    }
    let read = db::run(&state.pool, move |conn| {
        let user = user.0.as_deref();
        reading::by_slug(conn, &locale, &slug, user, read_format, &widths)
    })
    .await?;
    let current = match read {
        Read::Article(article, keys) => {
            return Ok(article_response(
                &req,
                &article,
                keys,
                fields.as_deref(),
                private,
            ))
        }
        Read::Moved(current) => current,
    };
    let mut location = format!("/api/v1/articles/slug/{current}");
    let params: Vec<(&str, &String)> = [
        ("locale", &query.locale),
        ("format", &query.format),
        ("fields", &query.fields),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_ref().map(|v| (name, v)))
    .collect();
    if !params.is_empty() {
        location.push('?');
        location.push_str(&serde_urlencoded::to_string(&params).unwrap_or_default());
    }
    Ok(HttpResponse::MovedPermanently()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", http::PUBLIC_CACHE))
        .finish())
}

/// List articles, newest first.
///
/// The public sees published articles by publication time. Staff may ask for
/// a `status` (drafts, in review…), ordered by last change.
#[utoipa::path(
    tag = "articles",
    params(ArticleListQuery, Page, Total),
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
    query: Paged<ArticleListQuery, true>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let staff = user.0.as_ref().is_some_and(|u| u.is_staff());
    let fields = present::parse_fields(query.filter.fields.as_deref())?;
    let with_total = query.with_total;
    let request = ListRequest::new(
        query.filter,
        &query.page,
        with_total,
        fields.as_deref(),
        user.0.as_deref(),
    )?;
    let limit = request.limit();
    // A public section's first page on PostgreSQL: gathered with the
    // others waiting into one statement (`articles::gathered`).
    let gathered = match (&state.gathered, request.gathered_section()) {
        (Some(reads), Some((slug, rows))) => {
            request.gathered_page(reads.read_page(slug, rows).await?)
        }
        _ => None,
    };
    let widths = state.media.widths.clone();
    let key = state.delivery_key.clone();
    // A page or a search (at most 100 candidates) is a read of a fraction of
    // a millisecond: on SQLite it runs on the request's own worker, as reads
    // by slug do. Handed to the blocking pool and back, at 20,000 articles
    // random section pages cost 315 µs of CPU instead of 235, and random
    // searches 1,370 instead of 1,190. A total counts every match: it may
    // take long, and goes to the pool.
    let work = move |conn: &mut db::DbConn| listing::list(conn, request, &widths, &key);
    let page = if let Some(page) = gathered {
        page
    } else if with_total {
        db::run(&state.pool, work).await?
    } else {
        db::read_quick(&state.pool, work).await?
    };
    let mut keys = String::from("articles");
    for a in &page.items {
        keys.push_str(&format!(" article:{}", a.id()));
    }
    let last_modified = page.items.iter().map(|a| a.modified_at()).max();
    let meta = ListMeta {
        next_cursor: page.next_cursor,
        limit,
        total: page.total,
    };
    let audience = if staff {
        Audience::Private { etag: None }
    } else {
        Audience::Public {
            last_modified,
            surrogate_keys: keys,
        }
    };
    Ok(match fields {
        None => list_json_written(&req, &page.items, meta, audience)?,
        Some(fields) => {
            let data: Vec<serde_json::Value> = page
                .items
                .iter()
                .filter_map(ListItem::built)
                .map(|a| present::trimmed(a, Some(&fields)))
                .collect();
            list_json(&req, data, meta, audience)
        }
    })
}
