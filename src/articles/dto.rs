//! Wire types of articles.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::articles::body::Block;
use crate::articles::model::{CorrectionRow, TagRow};
use crate::articles::status::{ArticleStatus, CommentsPolicy, SourceCategory};
use crate::http::ListMeta;
use crate::media::dto::RenditionResponse;

/// A byline: a staff user, or a free-text name, with an optional role.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BylineInput {
    /// A staff user's id; their display name is used unless `name` is given.
    pub user_id: Option<String>,
    /// A name, for contributors without an account.
    pub name: Option<String>,
    /// What they did: "reporting", "photos", "additional reporting"…
    pub role: Option<String>,
}

/// The lead photo or video, with a caption and credit for this use.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MainMediaInput {
    /// Media asset id.
    pub media_id: String,
    /// Caption for this article, instead of the asset's.
    pub caption: Option<String>,
    /// Credit line for this article, instead of the asset's.
    pub credit: Option<String>,
}

/// Search-engine metadata.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Seo {
    /// `<title>`, if not the headline.
    pub title: Option<String>,
    /// Meta description, if not the summary.
    pub description: Option<String>,
    /// Canonical URL, when the story first ran elsewhere.
    pub canonical_url: Option<String>,
}

/// What editors write: the body of `POST /api/v1/articles`, and the document
/// a PATCH (JSON Merge Patch) applies to. Every save is kept as a revision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "headline": "Talks resume as ministers meet in Vienna", "kicker": "Diplomacy",
    "summary": "Both sides said they hoped for progress after a year without contact.",
    "dateline": "VIENNA", "source": "Northwire", "source_category": "wire", "section_id": "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b00",
    "bylines": [{"name": "Mara Keller", "role": "reporting"}],
    "body": [
        {"type": "paragraph", "text": "Talks resumed on Saturday.", "marks": [{"type": "bold", "start": 0, "end": 5}]},
        {"type": "quote", "text": "This is an important step.", "attribution": "The foreign minister"}
    ],
    "comments_policy": "moderated"
}))]
pub struct ArticleDocument {
    /// The headline (1 to 300 characters).
    pub headline: String,
    /// URL name, unique per locale; made from the headline when absent.
    pub slug: Option<String>,
    /// BCP 47 language tag (default from configuration).
    pub locale: Option<String>,
    /// Line under the headline.
    pub subheadline: Option<String>,
    /// Small label above the headline.
    pub kicker: Option<String>,
    /// Teaser for lists and the lead.
    pub summary: Option<String>,
    /// The body, as typed blocks.
    #[serde(default)]
    pub body: Vec<Block>,
    /// Place of reporting, e.g. "MUNICH".
    pub dateline: Option<String>,
    /// Agency or wire, e.g. "Northwire".
    pub source: Option<String>,
    /// `staff`, `wire`, `freelance` or `handout`.
    pub source_category: Option<SourceCategory>,
    /// Primary section id.
    pub section_id: String,
    /// Further sections the article also appears in.
    #[serde(default)]
    pub section_ids: Vec<String>,
    /// Tag names (at most 20); new ones are created.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Related article ids, in order (at most 10).
    #[serde(default)]
    pub related: Vec<String>,
    /// Ordered bylines.
    #[serde(default)]
    pub bylines: Vec<BylineInput>,
    /// Lead media.
    pub main_media: Option<MainMediaInput>,
    /// Search-engine metadata.
    #[serde(default)]
    pub seo: Seo,
    /// `open`, `moderated` (default) or `closed`.
    pub comments_policy: Option<CommentsPolicy>,
    /// The update time shown to readers; set it on a significant edit.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Not visible before this time, even when published.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_until: Option<DateTime<Utc>>,
    /// Hidden from this time on.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The section an article belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SectionSummary {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// The section's page on the site (`NEWSDESK_SECTION_PATH`).
    #[schema(example = "https://news.example/world")]
    pub url: String,
}

impl SectionSummary {
    /// The summary of a section, with its public address.
    pub fn new(id: String, slug: String, name: String) -> Self {
        let url = crate::urls::get().section(&slug);
        Self {
            id,
            slug,
            name,
            url,
        }
    }
}

/// A related article, as a teaser.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedArticle {
    /// Id.
    pub id: String,
    /// Slug.
    pub slug: String,
    /// Kicker.
    pub kicker: Option<String>,
    /// Headline.
    pub headline: String,
    /// Its page on the site: the canonical address.
    #[schema(example = "https://news.example/world/talks-resume")]
    pub url: String,
    /// Publication time.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<String>,
}

/// A byline as readers see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Byline {
    /// The name to print.
    pub name: String,
    /// What they did.
    pub role: Option<String>,
    /// Staff user id, if a staff member.
    pub user_id: Option<String>,
    /// A staff member's author page on the site (`NEWSDESK_AUTHOR_PATH`).
    pub url: Option<String>,
}

/// The lead media with everything a frontend prints under it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MainMedia {
    /// Asset id.
    pub media_id: String,
    /// `image`, `video`…
    pub kind: String,
    /// Caption for this use (the article's, else the asset's).
    pub caption: Option<String>,
    /// The line to print: the article's override, else the asset's.
    #[schema(example = "© Northwire Photo / Lena Brandt")]
    pub credit_line: Option<String>,
    /// Text alternative.
    pub alt_text: Option<String>,
    /// Pixel width.
    pub width: Option<i32>,
    /// Pixel height.
    pub height: Option<i32>,
    /// The original file.
    pub file_url: String,
    /// Resized copies for `srcset`.
    pub renditions: Vec<RenditionResponse>,
}

/// An article, ready to render a page from.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleResponse {
    /// UUIDv7.
    pub id: String,
    /// URL name.
    pub slug: String,
    /// The article's page on the site: `seo.canonical_url` when the story
    /// first ran elsewhere, else its address by `NEWSDESK_SITE_URL` and
    /// `NEWSDESK_ARTICLE_PATH`. Feeds, sitemaps and syndication link here.
    #[schema(example = "https://news.example/world/talks-resume")]
    pub url: String,
    /// BCP 47 language tag.
    pub locale: String,
    /// `draft`, `in_review`, `scheduled`, `published`, `archived` or `withdrawn`.
    pub status: ArticleStatus,
    /// Small label above the headline.
    pub kicker: Option<String>,
    /// Headline.
    pub headline: String,
    /// Line under the headline.
    pub subheadline: Option<String>,
    /// Teaser.
    pub summary: Option<String>,
    /// Place of reporting.
    pub dateline: Option<String>,
    /// Agency or wire.
    pub source: Option<String>,
    /// `staff`, `wire`, `freelance` or `handout`.
    pub source_category: Option<SourceCategory>,
    /// Primary section.
    pub section: SectionSummary,
    /// Further sections.
    pub secondary_sections: Vec<SectionSummary>,
    /// Tags, in the editor's order.
    pub tags: Vec<Tag>,
    /// Related articles the caller may see (absent from list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<RelatedArticle>>,
    /// Ordered bylines.
    pub bylines: Vec<Byline>,
    /// Lead media with credit line and renditions.
    pub main_media: Option<MainMedia>,
    /// For search results: where the words matched, as HTML with `<mark>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// Body blocks (absent from list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Vec<Block>>,
    /// The body as sanitised HTML, with `?format=html`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// The body as plain text, with `?format=text`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_text: Option<String>,
    /// Search-engine metadata.
    pub seo: Seo,
    /// `open`, `moderated` or `closed`.
    pub comments_policy: CommentsPolicy,
    /// The public corrections log, oldest first (absent from list items).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrections: Option<Vec<Correction>>,
    /// Approved reader comments.
    pub comment_count: i64,
    /// Words in the body.
    pub word_count: i32,
    /// Minutes to read at 200 words a minute.
    pub reading_minutes: i32,
    /// Concurrency version; `If-Match: "<version>"` on writes.
    pub version: i64,
    /// Created.
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// Any change.
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub modified_at: NaiveDateTime,
    /// First publication.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_published_at: Option<String>,
    /// The time shown as publication.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<String>,
    /// The update time shown to readers.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<String>,
    /// Embargoed until.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub embargo_until: Option<String>,
    /// Hidden from.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
}

/// A page of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    /// Summaries (no body), newest first.
    pub data: Vec<ArticleResponse>,
    /// Paging.
    pub meta: ListMeta,
}

/// Query of `GET /api/v1/articles`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    /// Only this section (id or slug), as primary or secondary section.
    pub section: Option<String>,
    /// With `section`: its subsections too.
    #[serde(default, deserialize_with = "crate::http::de_include_subsections")]
    #[param(value_type = Option<bool>)]
    pub include_subsections: Option<bool>,
    /// Only articles with this tag (slug).
    pub tag: Option<String>,
    /// Only articles by this staff user (byline or writer), by id.
    pub author: Option<String>,
    /// Only articles from this source (agency), exactly.
    pub source: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_after: Option<String>,
    /// Only articles published before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub published_before: Option<String>,
    /// Only this workflow status (staff only; the public sees published articles).
    #[param(pattern = "^(draft|in_review|scheduled|published|archived|withdrawn)$")]
    pub status: Option<String>,
    /// Only this locale.
    pub locale: Option<String>,
    /// Full-text search over headline, summary and body; results are ranked
    /// and carry a highlighted `snippet`.
    pub q: Option<String>,
    /// `-published_at` (newest first, the default), `-updated_at` (latest
    /// update shown to readers first; never-updated articles by publication)
    /// or `relevance` (with `q`, its default).
    #[param(pattern = "^(-published_at|-updated_at|relevance)$")]
    pub sort: Option<String>,
    /// Only these top-level fields of each article, comma-separated (e.g.
    /// `id,slug,headline,main_media`); naming `body`, `body_html` or
    /// `body_text` adds the body, which lists otherwise leave out.
    #[param(pattern = r"^[a-z_]+(,[a-z_]+)*$")]
    pub fields: Option<String>,
}

/// Query of a single article.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// `html` adds `body_html`; `text` adds `body_text`.
    #[param(pattern = "^(html|text|json)$")]
    pub format: Option<String>,
    /// A preview token from `POST /api/v1/articles/{id}/preview-link`: reads
    /// the article in any status, without a login, until it expires.
    pub preview: Option<String>,
    /// Only these top-level fields, comma-separated (e.g. `id,headline,body_html`).
    #[param(pattern = r"^[a-z_]+(,[a-z_]+)*$")]
    pub fields: Option<String>,
}

/// Query of an article by slug.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlugQuery {
    /// Locale of the slug.
    pub locale: Option<String>,
    /// Body format.
    pub format: Option<String>,
    /// Only these fields.
    pub fields: Option<String>,
}

/// The body of `POST /api/v1/articles/{id}/publish`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// When it goes public; in the future, the article is scheduled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// One saved revision.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionResponse {
    /// 1, 2, 3… in order of saving.
    pub number: i32,
    /// Who saved it.
    pub created_by: Option<String>,
    /// When.
    #[serde(serialize_with = "crate::http::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// `created`, `edited` or `restored from revision N`.
    pub note: String,
    /// The article as saved (absent from lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<ArticleDocument>,
}

/// A page of revisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevisionList {
    /// Revisions.
    pub data: Vec<RevisionResponse>,
    /// Paging (all revisions come in one page of up to 100).
    pub meta: ListMeta,
}

/// A tag.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Tag {
    /// Id.
    pub id: String,
    /// URL name, e.g. `climate-policy`.
    pub slug: String,
    /// Display name, e.g. "Climate policy".
    pub name: String,
    /// The tag's page on the site (`NEWSDESK_TAG_PATH`).
    #[schema(example = "https://news.example/tags/climate-policy")]
    pub url: String,
}

impl From<TagRow> for Tag {
    fn from(row: TagRow) -> Self {
        Self {
            url: crate::urls::get().tag(&row.slug),
            id: row.id,
            slug: row.slug,
            name: row.name,
        }
    }
}

/// A correction, clarification or update, shown with the article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Correction {
    /// Id.
    pub id: String,
    /// `correction`, `clarification` or `update`.
    pub kind: String,
    /// What was wrong, and what is right.
    pub text: String,
    /// When it was appended (RFC 3339, UTC).
    pub created_at: String,
}

impl From<CorrectionRow> for Correction {
    fn from(row: CorrectionRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            text: row.text,
            created_at: crate::http::format_time(row.created_at),
        }
    }
}

/// A new entry of the corrections log.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "correction", "text": "An earlier version gave the wrong date of the meeting."}))]
pub struct CorrectionRequest {
    /// `correction`, `clarification` or `update`.
    pub kind: String,
    /// The notice readers see (1 to 2000 characters).
    pub text: String,
}

/// A signed link to read an unpublished article without logging in.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewLink {
    /// Pass as `?preview=` to `GET /api/v1/articles/{id}`.
    pub token: String,
    /// The API URL that reads the article with the token.
    pub url: String,
    /// When the link stops working (RFC 3339, UTC).
    pub expires_at: String,
}
