//! Delivery documents: the public JSON of every readable article, rendered
//! when it is written, so that an anonymous read of an article is one
//! indexed lookup and a copy of bytes instead of nine queries.
//!
//! A document is stored only while it is current. Every change that alters
//! it reaches [`changed`] inside the transaction that makes the change (the
//! event outbox is written from the same places): the article's own change
//! renders its document again at once; a change of something other articles
//! embed (a section's name, a media credit, a related article's teaser)
//! deletes their documents and queues them, and the background work renders
//! them again within a tick. A document also knows the first moment time
//! alone would change it (its expiry; a related article appearing or
//! expiring) and the settings it was rendered with (the rendition widths and
//! the program's version). A read that finds no current document takes the
//! full path, which is always right; the document only makes it cheap.

use std::cell::Cell;
use std::sync::OnceLock;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::articles::model::ArticleRow;
use crate::articles::present::{self, BodyFormat};
use crate::articles::{reading, relations};
use crate::db::schema::{
    article_deliveries, article_media, article_related, article_sections, articles, delivery_queue,
};
use crate::db::{self, cached, DbConn};
use crate::error::ApiError;
use crate::events::kind::EventKind;
use crate::http::conditional::content_etag;
use crate::http::encoding::{self, compress, Encoding};
use actix_web::web::Bytes;
use sha2::Digest;

/// What documents are rendered with, set once per process when a server (or
/// the seed) starts; until then changes only queue their articles.
struct Settings {
    widths: Vec<u32>,
    key: String,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The key of documents rendered with `widths` by this program.
pub fn render_key(widths: &[u32]) -> String {
    let widths: Vec<String> = widths.iter().map(u32::to_string).collect();
    // The public URLs are in every document: other settings, other key.
    // Hashed, so that a long site address does not make every lookup's key
    // long.
    // SHA-256, as the keys of stored documents have always been made: a
    // new key makes every stored document stale, to be rendered again.
    let urls: String = sha2::Sha256::digest(crate::urls::get().key().as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}/{}/{}",
        env!("CARGO_PKG_VERSION"),
        widths.join(","),
        urls
    )
}

/// Whether a stored document or list item whose embedded moments run out
/// at `valid_until` (never, for `None`) is still valid at `now`.
pub(crate) fn valid_at(valid_until: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    valid_until.is_none_or(|until| until > now)
}

/// Sets the rendering settings of this process (the first call wins: one
/// process serves one configuration; another key only makes lookups miss).
pub fn configure(widths: &[u32]) {
    let _ = SETTINGS.set(Settings {
        widths: widths.to_vec(),
        key: render_key(widths),
    });
}

thread_local! {
    /// Set by bulk loads: changes queue their articles instead of rendering
    /// one by one, and the loader renders the queue in batches.
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` with rendering deferred to the queue (bulk loads).
pub fn deferred<T>(work: impl FnOnce() -> T) -> T {
    let before = DEFERRED.with(|d| d.replace(true));
    let result = work();
    DEFERRED.with(|d| d.set(before));
    result
}

/// A stored document, as a read serves it: the JSON, and the compressed
/// form the client accepts when it accepts one.
#[derive(Clone)]
pub struct Document {
    /// The JSON body; read only when it may be sent (see [`fetch!`]):
    /// empty when a compressed form was read and the body is long enough
    /// to be sent compressed.
    pub body: String,
    /// The JSON body's length in bytes, whether or not it was read.
    pub size: usize,
    /// The body in the coding the read asked for, if it asked for one.
    pub compressed: Option<Vec<u8>>,
    /// Its strong ETag.
    pub etag: String,
    /// CDN purge keys.
    pub surrogate_keys: String,
    /// The article's last change.
    pub modified_at: NaiveDateTime,
}

/// The documents `$query` finds, each with the value of `$named` (its slug
/// or its id) that names it, and with only the form `$encoding` read: the
/// JSON body, or its compressed form and the body only when it is too short
/// to be sent compressed ([`encoding::MIN_SIZE`]). SQLite reads a row's
/// overflow pages only as far as the columns asked for, and PostgreSQL
/// fetches each long value from its TOAST table (a compressed read fetched
/// the body too: `pgbench`, random slugs at 100,000 articles, the statement
/// with the body ran 20,757 a second, without it 25,965). A macro, not a
/// function over a boxed query: diesel keeps a boxed query's statement
/// prepared for no longer than one use.
macro_rules! fetch {
    ($conn:expr, $query:expr, $named:expr, $encoding:expr, $now:expr) => {{
        use article_deliveries as d;
        type Head = (String, String, String, NaiveDateTime, Option<NaiveDateTime>);
        let head = (
            $named,
            d::etag,
            d::surrogate_keys,
            d::modified_at,
            d::valid_until,
        );
        let now: NaiveDateTime = $now;
        // Not past its `valid_until`: compared here rather than in the
        // statement, where SQLite's binding formatted `now` as text on every
        // read (chrono's formatting was about 2 % of a random read by slug's
        // samples; server CPU a read 46-49 -> 42-45 us, `bench-cpu`).
        let live = move |head: &Head| $crate::articles::delivery::valid_at(head.4, now);
        let document = |(named, etag, surrogate_keys, modified_at, _): Head,
                        body: String,
                        size: usize,
                        compressed| {
            (
                named,
                Document {
                    body,
                    size,
                    compressed,
                    etag,
                    surrogate_keys,
                    modified_at,
                },
            )
        };
        // A compressed read: the body only where it is sent as it is, and
        // its length.
        let short = cached::fixed::<Text>(SHORT_DOCUMENT);
        let size =
            cached::fixed::<BigInt>("CAST(octet_length(article_deliveries.document) AS BIGINT)");
        let size_of = |size: i64| usize::try_from(size).unwrap_or(0);
        QueryResult::<Vec<(String, Document)>>::Ok(match $encoding {
            None => $query
                .select((head, d::document))
                .load::<(Head, String)>($conn)?
                .into_iter()
                .filter(|(head, _)| live(head))
                .map(|(head, body)| {
                    let size = body.len();
                    document(head, body, size, None)
                })
                .collect(),
            Some(Encoding::Gzip) => $query
                .select((head, short, size, d::document_gzip))
                .load::<(Head, String, i64, Vec<u8>)>($conn)?
                .into_iter()
                .filter(|(head, ..)| live(head))
                .map(|(head, body, size, gzip)| document(head, body, size_of(size), Some(gzip)))
                .collect(),
            Some(Encoding::Brotli) => $query
                .select((head, short, size, d::document_br))
                .load::<(Head, String, i64, Vec<u8>)>($conn)?
                .into_iter()
                .filter(|(head, ..)| live(head))
                .map(|(head, body, size, br)| document(head, body, size_of(size), Some(br)))
                .collect(),
        })
    }};
}

/// A stored document's body where it is too short to be sent compressed
/// (under [`encoding::MIN_SIZE`] bytes), '' otherwise.
const SHORT_DOCUMENT: &str = "CASE WHEN octet_length(article_deliveries.document) < 512 \
     THEN article_deliveries.document ELSE '' END";
const _: () = assert!(encoding::MIN_SIZE == 512, "SHORT_DOCUMENT names MIN_SIZE");

/// Documents rendered with `key` (whether they are past their
/// `valid_until` is told by [`fetch!`]).
#[diesel::dsl::auto_type]
fn current<'a>(key: &'a str) -> _ {
    article_deliveries::render_key.eq(key)
}

/// The current document of a slug, if there is one, with the compressed
/// form `encoding`.
pub fn by_slug(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
    key: &str,
    encoding: Option<Encoding>,
) -> QueryResult<Option<Document>> {
    let query = article_deliveries::table
        .filter(article_deliveries::locale.eq(locale))
        .filter(article_deliveries::slug.eq(slug))
        .filter(current(key))
        .limit(1);
    let found = fetch!(conn, query, article_deliveries::slug, encoding, db::now())?;
    Ok(found.into_iter().next().map(|(_, doc)| doc))
}

/// The current document of an article id, if there is one, with the
/// compressed form `encoding`.
pub fn by_id(
    conn: &mut DbConn,
    id: &str,
    key: &str,
    encoding: Option<Encoding>,
) -> QueryResult<Option<Document>> {
    let query = article_deliveries::table
        .filter(article_deliveries::article_id.eq(id))
        .filter(current(key))
        .limit(1);
    let found = fetch!(
        conn,
        query,
        article_deliveries::article_id,
        encoding,
        db::now()
    )?;
    Ok(found.into_iter().next().map(|(_, doc)| doc))
}

/// The current documents of these slugs (those that have one), each with
/// its slug.
pub fn by_slugs(
    conn: &mut DbConn,
    locale: &str,
    slugs: &[String],
    key: &str,
    encoding: Option<Encoding>,
) -> QueryResult<Vec<(String, Document)>> {
    let query = article_deliveries::table
        .filter(article_deliveries::locale.eq(locale))
        .filter(article_deliveries::slug.eq_any(slugs))
        .filter(current(key));
    fetch!(conn, query, article_deliveries::slug, encoding, db::now())
}

/// The current documents of these articles (those that have one), each
/// with its article's id.
pub fn by_ids(
    conn: &mut DbConn,
    ids: &[String],
    key: &str,
    encoding: Option<Encoding>,
) -> QueryResult<Vec<(String, Document)>> {
    let query = article_deliveries::table
        .filter(article_deliveries::article_id.eq_any(ids))
        .filter(current(key));
    fetch!(
        conn,
        query,
        article_deliveries::article_id,
        encoding,
        db::now()
    )
}

/// The first moment after `now` at which the public's view of `row` changes
/// by time alone.
fn next_moment(row: &ArticleRow, now: NaiveDateTime) -> Option<NaiveDateTime> {
    if row.is_visible(now) {
        return row.expires_at;
    }
    let from = match (row.published_at, row.embargo_until) {
        (Some(p), Some(e)) => p.max(e),
        (Some(p), None) => p,
        _ => return None,
    };
    (from > now && row.expires_at.is_none_or(|e| e > from)).then_some(from)
}

/// Renders and stores the documents of these articles (those the public
/// may read now; the others' documents are deleted), in a fixed number of
/// queries per batch.
pub fn render(conn: &mut DbConn, ids: &[String]) -> Result<(), ApiError> {
    let Some(settings) = SETTINGS.get() else {
        return queue(conn, ids);
    };
    forget(conn, ids)?;
    for chunk in ids.chunks(1000) {
        diesel::delete(delivery_queue::table.filter(delivery_queue::article_id.eq_any(chunk)))
            .execute(conn)?;
    }
    let rendered = rendered(conn, ids, &settings.widths)?;
    let forms = compressed(&rendered, true);
    insert(conn, &rendered, &forms, &settings.key)
}

/// The documents of those of these articles that the public may read now,
/// rendered: what the database gives for them, before compression.
fn rendered(conn: &mut DbConn, ids: &[String], widths: &[u32]) -> Result<Vec<Rendered>, ApiError> {
    let now = db::now();
    let rows: Vec<ArticleRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleRow::as_select())
        .load(conn)?
        .into_iter()
        .filter(|r| r.is_visible(now))
        .collect();
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let related =
        relations::related_of_many(conn, &rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())?;
    let meta: Vec<(String, Option<NaiveDateTime>, String)> = rows
        .iter()
        .map(|row| {
            let until = related
                .get(&row.id)
                .into_iter()
                .flatten()
                .filter_map(|r| next_moment(r, now))
                .chain(next_moment(row, now))
                .min();
            (row.id.clone(), until, reading::surrogate_keys(row))
        })
        .collect();
    let articles = present::present_full(conn, rows, BodyFormat::Blocks, widths, now, false)?;
    let mut rendered = Vec::with_capacity(articles.len());
    for (mut article, (id, valid_until, keys)) in articles.into_iter().zip(meta) {
        let body = crate::http::to_json(&article);
        let document = String::from_utf8(body).map_err(ApiError::internal)?;
        // The list item: the same article without what lists leave out.
        article.body = None;
        article.body_html = None;
        article.body_text = None;
        article.corrections = None;
        article.related = None;
        let item = String::from_utf8(crate::http::to_json(&article)).map_err(ApiError::internal)?;
        rendered.push(Rendered {
            id,
            locale: article.locale,
            slug: article.slug,
            modified_at: article.modified_at,
            valid_until,
            keys,
            document,
            item,
        });
    }
    Ok(rendered)
}

/// Stores rendered documents with their compressed forms (`forms`, in the
/// same order).
fn insert(
    conn: &mut DbConn,
    rendered: &[Rendered],
    forms: &[(Bytes, Bytes)],
    key: &str,
) -> Result<(), ApiError> {
    let values: Vec<_> = rendered
        .iter()
        .zip(forms)
        .map(|(r, (gzip, br))| {
            (
                article_deliveries::article_id.eq(&r.id),
                article_deliveries::locale.eq(&r.locale),
                article_deliveries::slug.eq(&r.slug),
                article_deliveries::etag.eq(content_etag(r.document.as_bytes())),
                article_deliveries::document.eq(&r.document),
                article_deliveries::item.eq(&r.item),
                article_deliveries::document_gzip.eq(gzip.as_ref()),
                article_deliveries::document_br.eq(br.as_ref()),
                article_deliveries::surrogate_keys.eq(&r.keys),
                article_deliveries::modified_at.eq(r.modified_at),
                article_deliveries::valid_until.eq(r.valid_until),
                article_deliveries::render_key.eq(key),
            )
        })
        .collect();
    // A statement a hundred documents (twelve values each; the documents'
    // bytes are what a statement carries).
    for chunk in values.chunks(100) {
        db::each_backend!(conn, c => diesel::insert_into(article_deliveries::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// A document rendered and not yet stored.
struct Rendered {
    id: String,
    locale: String,
    slug: String,
    modified_at: NaiveDateTime,
    valid_until: Option<NaiveDateTime>,
    keys: String,
    document: String,
    item: String,
}

/// Queued documents rendered by [`take`], to be compressed ([`Taken::compress`],
/// on any thread) and stored ([`store`]) while the connection goes on with
/// other work: a bulk load on SQLite, whose one writer would otherwise wait
/// for the compression.
pub struct Taken {
    /// The queued articles taken, readable or not.
    ids: Vec<String>,
    rendered: Vec<Rendered>,
    forms: Vec<(Bytes, Bytes)>,
}

/// Renders up to `limit` queued documents, of articles after `after` (by
/// id) when given, and leaves them queued; `None` when there are none (or
/// nothing renders in this process).
pub fn take(conn: &mut DbConn, limit: i64, after: Option<&str>) -> Result<Option<Taken>, ApiError> {
    let Some(settings) = SETTINGS.get() else {
        return Ok(None);
    };
    db::write_tx(conn, |conn| {
        let mut queued = delivery_queue::table
            .select(delivery_queue::article_id)
            .order(delivery_queue::article_id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            queued = queued.filter(delivery_queue::article_id.gt(after));
        }
        let ids: Vec<String> = queued.load(conn)?;
        if ids.is_empty() {
            return Ok(None);
        }
        let rendered = rendered(conn, &ids, &settings.widths)?;
        Ok(Some(Taken {
            ids,
            rendered,
            forms: Vec::new(),
        }))
    })
}

impl Taken {
    /// The last (greatest) id taken.
    pub fn last(&self) -> Option<&str> {
        self.ids.last().map(String::as_str)
    }

    /// Compresses what [`take`] rendered, on the calling thread.
    pub fn compress(mut self) -> Self {
        self.forms = compressed(&self.rendered, false);
        self
    }
}

/// Stores the documents [`take`] rendered and [`Taken::compress`] compressed, of
/// the articles that are still queued: one rendered meanwhile by someone
/// else (a server beside the load) is no longer queued, and keeps the
/// document it has. How many articles left the queue.
pub fn store(conn: &mut DbConn, taken: Taken) -> Result<usize, ApiError> {
    let Some(settings) = SETTINGS.get() else {
        return Ok(0);
    };
    db::write_tx(conn, |conn| {
        let mut queued: Vec<String> = Vec::with_capacity(taken.ids.len());
        for chunk in taken.ids.chunks(1000) {
            queued.extend(
                delivery_queue::table
                    .filter(delivery_queue::article_id.eq_any(chunk))
                    .select(delivery_queue::article_id)
                    .load::<String>(conn)?,
            );
            diesel::delete(delivery_queue::table.filter(delivery_queue::article_id.eq_any(chunk)))
                .execute(conn)?;
        }
        let queued: std::collections::HashSet<String> = queued.into_iter().collect();
        let still: Vec<String> = taken
            .ids
            .iter()
            .filter(|id| queued.contains(*id))
            .cloned()
            .collect();
        forget(conn, &still)?;
        let (rendered, forms): (Vec<Rendered>, Vec<(Bytes, Bytes)>) = taken
            .rendered
            .into_iter()
            .zip(taken.forms)
            .filter(|(r, _)| queued.contains(&r.id))
            .unzip();
        insert(conn, &rendered, &forms, &settings.key)?;
        Ok(still.len())
    })
}

/// Documents rendered together in a batch this large or larger are
/// compressed on every core (when `parallel`): compression was a third of
/// a bulk load's time (`seed`), and a batch's documents do not depend on
/// each other.
const PARALLEL_FROM: usize = 16;

/// The gzip and brotli bytes of each document, in order.
fn compressed(rendered: &[Rendered], parallel: bool) -> Vec<(Bytes, Bytes)> {
    let both = |r: &Rendered| {
        (
            compress(Encoding::Gzip, r.document.as_bytes()),
            compress(Encoding::Brotli, r.document.as_bytes()),
        )
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    if !parallel || rendered.len() < PARALLEL_FROM || workers < 2 {
        return rendered.iter().map(both).collect();
    }
    let share = rendered.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = rendered
            .chunks(share)
            .map(|chunk| scope.spawn(move || chunk.iter().map(both).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(done) => done,
                // Compression does not panic; were it to, the panic goes on.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Deletes the documents of these articles. One article (every save) by
/// key: PostgreSQL planned `= ANY($1)` on this table as a scan while its
/// statistics were those of an empty table (a bulk load), 10-20 ms a
/// statement. Many in chunks: a section may hold more articles than a
/// statement may bind.
fn forget(conn: &mut DbConn, ids: &[String]) -> QueryResult<()> {
    if let [id] = ids {
        diesel::delete(article_deliveries::table.find(id)).execute(conn)?;
        return Ok(());
    }
    for chunk in ids.chunks(1000) {
        diesel::delete(
            article_deliveries::table.filter(article_deliveries::article_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Deletes the documents of these articles and queues them for rendering.
fn queue(conn: &mut DbConn, ids: &[String]) -> Result<(), ApiError> {
    forget(conn, ids)?;
    for chunk in ids.chunks(1000) {
        let queued: Vec<String> = match chunk {
            [id] => delivery_queue::table
                .find(id)
                .select(delivery_queue::article_id)
                .load(conn)?,
            _ => delivery_queue::table
                .filter(delivery_queue::article_id.eq_any(chunk))
                .select(delivery_queue::article_id)
                .load(conn)?,
        };
        // The others, skipped: the two backends share (through diesel) no
        // `ON CONFLICT DO NOTHING`.
        let new: Vec<_> = chunk
            .iter()
            .filter(|id| !queued.contains(id))
            .map(|id| delivery_queue::article_id.eq(id))
            .collect();
        if !new.is_empty() {
            db::each_backend!(conn, c => diesel::insert_into(delivery_queue::table)
                .values(&new)
                .execute(c))?;
        }
    }
    Ok(())
}

/// An article changed: its document renders again now (unless a bulk load
/// defers it), and the articles showing its teaser are queued.
pub fn article_changed(conn: &mut DbConn, id: &str) -> Result<(), ApiError> {
    articles_changed(conn, &[id.to_string()])
}

/// Several articles changed (an import): [`article_changed`] for all of
/// them at once.
pub fn articles_changed(conn: &mut DbConn, ids: &[String]) -> Result<(), ApiError> {
    if DEFERRED.with(Cell::get) {
        queue(conn, ids)?;
    } else {
        render(conn, ids)?;
    }
    let mut referrers: Vec<String> = Vec::new();
    for chunk in ids.chunks(1000) {
        let found: Vec<String> = match chunk {
            [id] => article_related::table
                .filter(article_related::related_id.eq(id))
                .select(article_related::article_id)
                .distinct()
                .load(conn)?,
            _ => article_related::table
                .filter(article_related::related_id.eq_any(chunk))
                .select(article_related::article_id)
                .distinct()
                .load(conn)?,
        };
        referrers.extend(found);
    }
    // Those of the batch are rendered (or queued) already.
    let changed: std::collections::HashSet<&String> = ids.iter().collect();
    referrers.retain(|r| !changed.contains(r));
    referrers.sort();
    referrers.dedup();
    queue(conn, &referrers)
}

/// The change an event records, applied to the documents it alters.
pub fn changed(conn: &mut DbConn, kind: EventKind, resource_id: &str) -> Result<(), ApiError> {
    let kind = kind.as_str();
    if kind.starts_with("article.") {
        return article_changed(conn, resource_id);
    }
    let mut users: Vec<String> = if kind.starts_with("section.") {
        let mut ids: Vec<String> = articles::table
            .filter(articles::section_id.eq(resource_id))
            .select(articles::id)
            .load(conn)?;
        ids.extend(
            article_sections::table
                .filter(article_sections::section_id.eq(resource_id))
                .select(article_sections::article_id)
                .load::<String>(conn)?,
        );
        ids
    } else if kind.starts_with("media.") {
        let mut ids: Vec<String> = articles::table
            .filter(articles::main_media_id.eq(resource_id))
            .select(articles::id)
            .load(conn)?;
        ids.extend(
            article_media::table
                .filter(article_media::media_id.eq(resource_id))
                .select(article_media::article_id)
                .load::<String>(conn)?,
        );
        ids
    } else {
        // Comments reach their article through its comment count.
        Vec::new()
    };
    users.sort();
    users.dedup();
    queue(conn, &users)
}

/// Renders up to `limit` queued documents; how many were taken.
pub fn drain(conn: &mut DbConn, limit: i64) -> Result<usize, ApiError> {
    if SETTINGS.get().is_none() {
        return Ok(0);
    }
    db::write_tx(conn, |conn| {
        let ids: Vec<String> = delivery_queue::table
            .select(delivery_queue::article_id)
            .order(delivery_queue::article_id.asc())
            .limit(limit)
            .load(conn)?;
        if !ids.is_empty() {
            render(conn, &ids)?;
        }
        Ok(ids.len())
    })
}

/// Queues the documents rendered with other settings (another version of
/// the program, other rendition widths); how many. (Articles from before
/// documents existed were queued by the migration that made them.)
pub fn queue_outdated(conn: &mut DbConn) -> Result<usize, ApiError> {
    let Some(settings) = SETTINGS.get() else {
        return Ok(0);
    };
    db::write_tx(conn, |conn| {
        let outdated: Vec<String> = article_deliveries::table
            .filter(article_deliveries::render_key.ne(&settings.key))
            .select(article_deliveries::article_id)
            .load(conn)?;
        queue(conn, &outdated)?;
        Ok(outdated.len())
    })
}
