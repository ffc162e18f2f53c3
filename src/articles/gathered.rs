//! Anonymous reads of delivery documents from PostgreSQL, gathered: the
//! reads waiting at a moment are answered by one statement (per locale and
//! content coding) instead of one round trip each.
//!
//! A read joins a queue and waits. A blocking thread takes everything
//! queued, reads it on one connection and answers every waiting read, then
//! looks again; at most [`READERS`] such threads run, and one starts when a
//! read finds fewer running. Nothing waits for company: a read that comes
//! alone is read alone, at once, as before. Under load, the reads that
//! arrive while one statement runs go together in the next, so a busy
//! server makes fewer, larger statements (and PostgreSQL's fixed cost per
//! statement, and the server's thread switches per round trip, are paid
//! once for many reads). SQLite, whose reads cost microseconds in the
//! process, reads each on the request's own worker ([`crate::db::read_quick`]).
//!
//! The public first pages of sections are gathered the same way (one
//! statement for the section pages of a batch, each page read by a
//! `LATERAL` subquery of its own: [`queries::section_pages`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::articles::delivery::{self, Document};
use crate::articles::queries;
use crate::db::{self, DbConn, Pool};
use crate::error::ApiError;
use crate::http::encoding::Encoding;

/// The most threads reading at once (each holds a connection while it
/// reads): two keep both of PostgreSQL's cores busy on this project's
/// machine and leave the pool's other connections to everything else.
const READERS: usize = 2;

/// The most reads one statement answers.
const MOST: usize = 128;

/// Which document a read wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// By its slug in a locale.
    Slug {
        /// The slug's locale.
        locale: String,
        /// The slug.
        slug: String,
    },
    /// By its article's id.
    Id(String),
}

impl Wanted {
    /// Reads this document alone.
    pub fn find(
        &self,
        conn: &mut DbConn,
        key: &str,
        encoding: Option<Encoding>,
    ) -> diesel::QueryResult<Option<Document>> {
        match self {
            Wanted::Slug { locale, slug } => delivery::by_slug(conn, locale, slug, key, encoding),
            Wanted::Id(id) => delivery::by_id(conn, id, key, encoding),
        }
    }

    /// What names it in its statement's answer.
    fn name(&self) -> &str {
        match self {
            Wanted::Slug { slug, .. } => slug,
            Wanted::Id(id) => id,
        }
    }
}

/// A public section's first page: its articles' keys and stored items,
/// and whether articles have the section as a secondary one (`None` when
/// the page is empty); see [`queries::section_keys`].
pub type SectionPage = (Vec<queries::Keyed>, Option<bool>);

/// What a read asks for.
enum Read {
    /// A delivery document, in a coding if there is one.
    Document(Wanted, Option<Encoding>),
    /// A section's first page by the section's slug, with this many rows.
    Page(String, i64),
}

/// What a read is answered with.
enum Found {
    Document(Option<Document>),
    Page(SectionPage),
}

type Answer = Result<Found, ApiError>;

/// A read waiting for its answer.
struct Waiting {
    read: Read,
    answer: oneshot::Sender<Answer>,
}

/// The statement a read can share with others: slugs of one locale (and
/// coding), ids (of one coding), or section pages.
#[derive(PartialEq)]
enum Group {
    Slugs(String, Option<Encoding>),
    Ids(Option<Encoding>),
    Pages,
}

impl Read {
    fn group(&self) -> Group {
        match self {
            Read::Document(Wanted::Slug { locale, .. }, encoding) => {
                Group::Slugs(locale.clone(), *encoding)
            }
            Read::Document(Wanted::Id(_), encoding) => Group::Ids(*encoding),
            Read::Page(..) => Group::Pages,
        }
    }
}

/// The queue of reads and the threads answering them; one per server.
pub struct Reads {
    pool: Pool,
    /// The render key of the documents served.
    key: String,
    queue: Mutex<Vec<Waiting>>,
    /// Threads reading now.
    running: AtomicUsize,
}

impl Reads {
    /// Reads of documents rendered with `key`, from `pool`.
    pub fn new(pool: Pool, key: String) -> Arc<Self> {
        Arc::new(Reads {
            pool,
            key,
            queue: Mutex::new(Vec::new()),
            running: AtomicUsize::new(0),
        })
    }

    /// The current document `wanted` names, in the coding `encoding` as
    /// well, if there is one.
    pub async fn read(
        self: &Arc<Self>,
        wanted: Wanted,
        encoding: Option<Encoding>,
    ) -> Result<Option<Document>, ApiError> {
        match self.ask(Read::Document(wanted, encoding)).await? {
            Found::Document(doc) => Ok(doc),
            Found::Page(_) => Err(ApiError::internal("a document read answered with a page")),
        }
    }

    /// The public first page of the section `slug`, `limit` rows of it
    /// (the page and one more), as [`queries::section_keys`] reads it.
    pub async fn read_page(
        self: &Arc<Self>,
        slug: String,
        limit: i64,
    ) -> Result<SectionPage, ApiError> {
        match self.ask(Read::Page(slug, limit)).await? {
            Found::Page(page) => Ok(page),
            Found::Document(_) => Err(ApiError::internal("a page read answered with a document")),
        }
    }

    /// Queues `read` and waits for its answer.
    async fn ask(self: &Arc<Self>, read: Read) -> Answer {
        let (answer, answered) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Waiting { read, answer });
        if self.start() {
            let reads = Arc::clone(self);
            // Not awaited: the thread answers through the channels.
            drop(actix_web::rt::task::spawn_blocking(move || reads.answer()));
        }
        answered
            .await
            .map_err(|_| ApiError::internal("a gathered read was dropped unanswered"))?
    }

    /// Counts one more reading thread, unless [`READERS`] run.
    fn start(&self) -> bool {
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < READERS).then_some(n + 1)
            })
            .is_ok()
    }

    /// Up to [`MOST`] waiting reads, those waiting longest.
    fn take(&self) -> Vec<Waiting> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let first = queue.len().min(MOST);
        queue.drain(..first).collect()
    }

    /// A reading thread: answers what is queued until nothing is.
    fn answer(&self) {
        // Should a read ever panic, the thread no longer counts as running
        // (its batch's reads fail as their answers are dropped).
        let _unwinding = Unwinding(&self.running);
        loop {
            let batch = self.take();
            if !batch.is_empty() {
                self.answer_batch(batch);
                continue;
            }
            self.running.fetch_sub(1, Ordering::SeqCst);
            // A read queued after the queue was found empty, while this
            // thread still counted as running, may have started none:
            // this thread goes on for it, if it can count itself again.
            let queued = !self
                .queue
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_empty();
            if !(queued && self.start()) {
                return;
            }
        }
    }

    /// Reads `batch` on one connection, a statement per locale and coding
    /// (and one for section pages), and answers every read in it.
    fn answer_batch(&self, batch: Vec<Waiting>) {
        // Grouped by the statement that reads them; few groups, mostly one.
        let mut groups: Vec<(Group, Vec<Waiting>)> = Vec::new();
        for waiting in batch {
            let group = waiting.read.group();
            match groups.iter_mut().find(|(g, _)| *g == group) {
                Some((_, members)) => members.push(waiting),
                None => groups.push((group, vec![waiting])),
            }
        }
        let found = db::run_here(&self.pool, |conn| {
            groups
                .iter()
                .map(|(group, members)| self.read_group(conn, group, members))
                .collect::<Result<Vec<Vec<Found>>, ApiError>>()
        });
        match found {
            Ok(found) => {
                for ((_, members), answers) in groups.into_iter().zip(found) {
                    for (m, answer) in members.into_iter().zip(answers) {
                        // A read that gave up (its client went away) is
                        // not waiting any more.
                        let _ = m.answer.send(Ok(answer));
                    }
                }
            }
            Err(err) => {
                // Every read of the batch fails as the statement did: the
                // last with the error itself, the others with its like.
                let mut members: Vec<Waiting> = groups
                    .into_iter()
                    .flat_map(|(_, members)| members)
                    .collect();
                let last = members.pop();
                for m in members {
                    let _ = m.answer.send(Err(like(&err)));
                }
                if let Some(m) = last {
                    let _ = m.answer.send(Err(err));
                }
            }
        }
    }

    /// The answers of one group's reads, in their order.
    fn read_group(
        &self,
        conn: &mut DbConn,
        group: &Group,
        members: &[Waiting],
    ) -> Result<Vec<Found>, ApiError> {
        let (locale, encoding) = match group {
            Group::Pages => return self.read_pages(conn, members),
            Group::Slugs(locale, encoding) => (Some(locale.as_str()), *encoding),
            Group::Ids(encoding) => (None, *encoding),
        };
        let wanted: Vec<&Wanted> = members
            .iter()
            .filter_map(|m| match &m.read {
                Read::Document(wanted, _) => Some(wanted),
                Read::Page(..) => None,
            })
            .collect();
        if let [alone] = wanted.as_slice() {
            // One read: the statement of a single read, kept prepared as it
            // always was.
            return Ok(vec![Found::Document(
                alone.find(conn, &self.key, encoding)?,
            )]);
        }
        let mut names: Vec<String> = wanted.iter().map(|w| w.name().to_string()).collect();
        names.sort_unstable();
        names.dedup();
        let docs: HashMap<String, Document> = match locale {
            Some(locale) => delivery::by_slugs(conn, locale, &names, &self.key, encoding)?,
            None => delivery::by_ids(conn, &names, &self.key, encoding)?,
        }
        .into_iter()
        .collect();
        Ok(wanted
            .iter()
            .map(|w| Found::Document(docs.get(w.name()).cloned()))
            .collect())
    }

    /// The section pages of a batch, in their order, by one statement.
    fn read_pages(&self, conn: &mut DbConn, members: &[Waiting]) -> Result<Vec<Found>, ApiError> {
        let pages: Vec<(String, i64)> = members
            .iter()
            .filter_map(|m| match &m.read {
                Read::Page(slug, limit) => Some((slug.clone(), *limit)),
                Read::Document(..) => None,
            })
            .collect();
        let DbConn::Postgres(c) = conn else {
            return Err(ApiError::internal("gathered section pages need PostgreSQL"));
        };
        Ok(queries::section_pages(c, &pages, &self.key, db::now())?
            .into_iter()
            .map(Found::Page)
            .collect())
    }
}

/// Uncounts a reading thread that panics.
struct Unwinding<'a>(&'a AtomicUsize);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// An error like `err`, for another read that failed with it: the same
/// 503 when the database is unavailable, otherwise a 500 with its message.
fn like(err: &ApiError) -> ApiError {
    match err {
        ApiError::Unavailable(message) => ApiError::Unavailable(message.clone()),
        other => ApiError::internal(other.to_string()),
    }
}
