//! IPTC ninjs 2.2 ("news in JSON") for syndication partners: each article
//! at `GET /api/v1/articles/{id}/ninjs` and each media asset at
//! `GET /api/v1/media/{id}/ninjs`, as `application/ninjs+json`.
//!
//! A withdrawn article is not a 404 here: partners who took it must learn
//! that it is cancelled, so it answers with `pubstatus: canceled` and only
//! what identifies it. Staff (with a token) read every status: what the
//! public cannot see yet is `withheld`, with `embargoed` when it waits on an
//! embargo.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Datelike;
use serde::Serialize;

use crate::articles::access::{self, Visibility};
use crate::articles::dto::ArticleResponse;
use crate::articles::present::{self, BodyFormat};
use crate::articles::status::{ArticleStatus, SourceCategory};
use crate::articles::{body, queries as article_queries};
use crate::auth::extract::MaybeAuthUser;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::format_time;
use crate::http::response::{public_hashed, public_or_private};
use crate::media::dto::MediaResponse;
use crate::media::queries as media_queries;
use crate::state::AppState;
use crate::urls;

/// The media type of ninjs documents.
pub const NINJS: &str = "application/ninjs+json; charset=utf-8";
/// The schema every document names (and the tests validate against).
pub const SCHEMA: &str = "http://www.iptc.org/std/ninjs/ninjs-schema_2.2.json";

/// A ninjs 2.2 news object (the properties newsdesk fills).
#[derive(Debug, Default, Serialize)]
pub struct Ninjs {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    representationtype: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    standard: Option<Standard>,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    firstcreated: Option<String>,
    versioncreated: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    embargoed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    pubstatus: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    headlines: Vec<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    descriptions: Vec<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    bodies: Vec<Body>,
    #[serde(skip_serializing_if = "Option::is_none")]
    by: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    people: Vec<Entity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    located: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subjects: Vec<Entity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    infosources: Vec<Source>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyrightholder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copyrightnotice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usageterms: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    renditions: Vec<Rendition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    associations: Vec<Ninjs>,
}

#[derive(Debug, Serialize)]
struct Standard {
    name: &'static str,
    version: &'static str,
    schema: &'static str,
}

fn standard() -> Option<Standard> {
    Some(Standard {
        name: "ninjs",
        version: "2.2",
        schema: SCHEMA,
    })
}

#[derive(Debug, Serialize)]
struct Text {
    role: &'static str,
    contenttype: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct Body {
    role: &'static str,
    contenttype: &'static str,
    wordcount: i32,
    value: String,
}

#[derive(Debug, Serialize)]
struct Entity {
    name: String,
    rel: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    literal: Option<String>,
}

#[derive(Debug, Serialize)]
struct Source {
    name: String,
    role: &'static str,
}

#[derive(Debug, Serialize)]
struct Rendition {
    name: String,
    href: String,
    contenttype: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
}

fn plain(role: &'static str, value: &str) -> Text {
    Text {
        role,
        contenttype: "text/plain",
        value: value.to_string(),
    }
}

/// The ninjs of a media asset: a picture (or video, audio, document) with
/// its renditions, credit line (`by`) and rights.
pub fn media(asset: &MediaResponse) -> Ninjs {
    let site = urls::get();
    let kind = match asset.kind.as_str() {
        "image" => "picture",
        "video" => "video",
        "audio" => "audio",
        _ => "component",
    };
    let mut renditions = vec![Rendition {
        name: "original".into(),
        href: site.api(&asset.file_url),
        contenttype: asset.mime_type.clone(),
        width: asset.width.and_then(|w| u32::try_from(w).ok()),
        height: asset.height.and_then(|h| u32::try_from(h).ok()),
    }];
    renditions.extend(asset.renditions.iter().map(|r| Rendition {
        name: format!("{}-{}", r.width, r.mime_type.trim_start_matches("image/")),
        href: site.api(&r.url),
        contenttype: r.mime_type.clone(),
        width: Some(r.width),
        height: Some(r.height),
    }));
    let credit = &asset.credit;
    Ninjs {
        uri: format!("urn:uuid:{}", asset.id),
        kind,
        representationtype: "full",
        standard: standard(),
        version: asset.version.to_string(),
        firstcreated: Some(format_time(asset.created_at)),
        versioncreated: format_time(asset.updated_at),
        pubstatus: "usable",
        headlines: asset.title.iter().map(|t| plain("main", t)).collect(),
        descriptions: asset
            .caption
            .iter()
            .map(|c| plain("caption", c))
            .chain(asset.alt_text.iter().map(|a| plain("alternative", a)))
            .collect(),
        by: asset.credit_line.clone(),
        people: credit
            .creators
            .iter()
            .map(|c| Entity {
                name: c.clone(),
                rel: "creator",
                uri: None,
                literal: None,
            })
            .collect(),
        infosources: credit
            .provider
            .iter()
            .map(|p| Source {
                name: p.clone(),
                role: "provider",
            })
            .chain(credit.source.iter().map(|s| Source {
                name: s.clone(),
                role: "source",
            }))
            .collect(),
        copyrightholder: credit.copyright_holder.clone(),
        copyrightnotice: credit.copyright_notice.clone(),
        usageterms: credit.usage_terms.clone(),
        renditions,
        ..Ninjs::default()
    }
}

/// The ninjs of an article the caller may read (`pubstatus` from its state
/// as of now), with its lead media as an association.
fn article(a: &ArticleResponse, lead: Option<&MediaResponse>, visible: bool) -> Ninjs {
    let site = urls::get();
    let blocks = a.body.as_deref().unwrap_or_default();
    let text = body::to_text(blocks);
    let mut headlines = vec![plain("main", &a.headline)];
    if let Some(sub) = &a.subheadline {
        headlines.push(plain("sub", sub));
    }
    let mut descriptions: Vec<Text> = a.summary.iter().map(|s| plain("summary", s)).collect();
    if let Some(seo) = &a.seo.description {
        descriptions.push(plain("seo", seo));
    }
    let mut bodies = Vec::new();
    if let Some(html) = &a.body_html {
        bodies.push(Body {
            role: "main",
            contenttype: "text/html",
            wordcount: a.word_count,
            value: html.clone(),
        });
    }
    bodies.push(Body {
        role: "main",
        contenttype: "text/plain",
        wordcount: a.word_count,
        value: text,
    });
    let by = (!a.bylines.is_empty()).then(|| {
        a.bylines
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let wire = a.source_category == Some(SourceCategory::Wire);
    let holder = match (&a.source, wire) {
        (Some(agency), true) => agency.clone(),
        _ => site.name().to_string(),
    };
    let year = a
        .first_published_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(|| a.created_at.year(), |t| t.year());
    let pubstatus = if visible { "usable" } else { "withheld" };
    let mut associations = Vec::new();
    if let (Some(m), Some(asset)) = (&a.main_media, lead) {
        let mut picture = media(asset);
        picture.name = Some("featuremedia".into());
        // The caption and credit of this use, which may differ from the asset's.
        picture.descriptions = m
            .caption
            .iter()
            .map(|c| plain("caption", c))
            .chain(m.alt_text.iter().map(|t| plain("alternative", t)))
            .collect();
        picture.by = m.credit_line.clone().or(picture.by);
        picture.standard = None;
        associations.push(picture);
    }
    Ninjs {
        uri: format!("urn:uuid:{}", a.id),
        kind: "text",
        representationtype: "full",
        standard: standard(),
        version: a.version.to_string(),
        firstcreated: Some(format_time(a.created_at)),
        versioncreated: format_time(a.modified_at),
        embargoed: a.embargo_until.clone(),
        expires: a.expires_at.clone(),
        pubstatus,
        language: Some(a.locale.clone()),
        headlines,
        descriptions,
        bodies,
        by,
        people: a
            .bylines
            .iter()
            .map(|b| Entity {
                name: b.name.clone(),
                rel: "author",
                uri: b.url.clone(),
                literal: b.user_id.clone(),
            })
            .collect(),
        located: a.dateline.clone(),
        subjects: std::iter::once(Entity {
            name: a.section.name.clone(),
            rel: "section",
            uri: Some(a.section.url.clone()),
            literal: Some(a.section.slug.clone()),
        })
        .chain(a.tags.iter().map(|t| Entity {
            name: t.name.clone(),
            rel: "tag",
            uri: Some(t.url.clone()),
            literal: Some(t.slug.clone()),
        }))
        .collect(),
        infosources: a
            .source
            .iter()
            .map(|s| Source {
                name: s.clone(),
                role: "source",
            })
            .collect(),
        copyrightnotice: Some(format!("© {year} {holder}")),
        copyrightholder: Some(holder),
        renditions: vec![Rendition {
            name: "web".into(),
            href: a.url.clone(),
            contenttype: "text/html".into(),
            width: None,
            height: None,
        }],
        associations,
        ..Ninjs::default()
    }
}

/// A withdrawn article as partners must see it: cancelled, identified, and
/// nothing of its content.
fn canceled(row: &crate::articles::model::ArticleRow) -> Ninjs {
    Ninjs {
        uri: format!("urn:uuid:{}", row.id),
        kind: "text",
        representationtype: "partial",
        standard: standard(),
        version: row.version.to_string(),
        firstcreated: Some(format_time(row.created_at)),
        versioncreated: format_time(row.modified_at),
        pubstatus: "canceled",
        language: Some(row.locale.clone()),
        ..Ninjs::default()
    }
}

/// The ninjs of an article, its purge keys, its last change, and whether
/// only the caller may see it.
fn load_article(
    conn: &mut DbConn,
    id: &str,
    user: Option<&crate::auth::role::Actor>,
    widths: &[u32],
) -> Result<(Ninjs, String, chrono::NaiveDateTime, bool), ApiError> {
    let now = db::now();
    let row = article_queries::find_by_id(conn, id)?.ok_or_else(access::not_found)?;
    let keys = format!("article:{} ninjs", row.id);
    let modified = row.modified_at;
    let visible = row.is_visible(now);
    match access::visibility(conn, user, &row, now)? {
        Visibility::Hidden => Err(access::not_found()),
        // Withdrawn and not for this caller's eyes: cancelled.
        Visibility::Gone => Ok((canceled(&row), keys, modified, false)),
        Visibility::Readable if row.status == ArticleStatus::Withdrawn => {
            Ok((canceled(&row), keys, modified, !visible))
        }
        Visibility::Readable => {
            let lead = match &row.main_media_id {
                Some(m) => media_queries::find_by_id(conn, m)?,
                None => None,
            }
            .map(|m| MediaResponse::from_row(m, widths, false));
            let staff = !visible;
            let a = present::present(conn, row, BodyFormat::Html, widths, now, staff)?;
            Ok((
                article(&a, lead.as_ref(), visible),
                keys,
                modified,
                !visible,
            ))
        }
    }
}

/// An article as IPTC ninjs 2.2, for syndication.
///
/// `pubstatus` is `usable` for what the public reads, `canceled` for a
/// withdrawn article (answered, not 404: partners must learn it was
/// withdrawn; nothing but its identity is in it) and, for staff, `withheld`
/// for what is not public yet. The lead media is an association
/// (`featuremedia`) with its renditions, credit line (`by`) and rights.
#[utoipa::path(
    tag = "distribution",
    params(("id" = String, Path, description = "Article id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article as ninjs 2.2", content((serde_json::Value = "application/ninjs+json")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such article, or not one the caller may read", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/articles/{id}/ninjs")]
pub async fn article_ninjs(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let widths = state.media.widths.clone();
    let (doc, keys, modified, private) = db::run(&state.pool, move |conn| {
        load_article(conn, &id, user.0.as_deref(), &widths)
    })
    .await?;
    let body = serde_json::to_vec(&doc).map_err(ApiError::internal)?;
    Ok(public_or_private(
        &req, body, NINJS, modified, keys, private,
    ))
}

/// A media asset as IPTC ninjs 2.2: a picture (video, audio) with its
/// renditions, credit line (`by`), creators, provider and rights.
#[utoipa::path(
    tag = "distribution",
    params(("id" = String, Path, description = "Media asset id")),
    responses(
        (status = 200, description = "The asset as ninjs 2.2", content((serde_json::Value = "application/ninjs+json")),
         headers(("ETag" = String, description = "Strong validator"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "No such media asset", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/media/{id}/ninjs")]
pub async fn media_ninjs(
    state: web::Data<AppState>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let widths = state.media.widths.clone();
    let asset = db::run(&state.pool, move |conn| {
        media_queries::find_by_id(conn, &id)?
            .map(|row| MediaResponse::from_row(row, &widths, false))
            .ok_or_else(crate::media::service::not_found)
    })
    .await?;
    let keys = format!("media:{} ninjs", asset.id);
    let modified = asset.updated_at;
    let body = serde_json::to_vec(&media(&asset)).map_err(ApiError::internal)?;
    Ok(public_hashed(&req, body, NINJS, Some(modified), keys))
}
