//! `newsdesk seed --articles N`: a realistic synthetic newsroom for tests and
//! benchmarks — articles across the sections, with tags, bylines, bodies and
//! publication times spread over two years. Deterministic for a given N.

use std::sync::mpsc::Receiver;

use chrono::{Duration, NaiveDateTime};

use crate::articles::delivery::{self, Taken};
use crate::articles::dto::ArticleDocument;
use crate::articles::search;
use crate::articles::service::{self, Import};
use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::{sections, users};

/// The most frequent words of news English, most frequent first: the head
/// of the vocabulary's Zipf curve.
const COMMON: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "said",
    "on",
    "for",
    "that",
    "was",
    "is",
    "with",
    "by",
    "at",
    "it",
    "as",
    "from",
    "has",
    "have",
    "be",
    "will",
    "its",
    "after",
    "an",
    "were",
    "are",
    "not",
    "this",
    "but",
    "they",
    "their",
    "which",
    "who",
    "had",
    "year",
    "been",
    "more",
    "than",
    "would",
    "also",
    "new",
    "last",
    "two",
    "over",
    "up",
    "about",
    "people",
    "first",
    "into",
    "government",
    "could",
    "there",
    "three",
    "week",
    "minister",
    "some",
    "years",
    "million",
    "city",
    "other",
    "state",
    "police",
    "percent",
    "since",
    "against",
    "only",
    "when",
    "out",
    "before",
    "under",
    "time",
    "local",
    "officials",
    "president",
    "public",
    "country",
    "national",
    "while",
    "between",
    "report",
    "told",
    "day",
    "work",
    "plan",
    "next",
    "month",
    "council",
    "company",
    "law",
    "court",
    "support",
];

/// News words, the body of the curve.
const TOPICAL: &[&str] = &[
    "budget",
    "election",
    "housing",
    "transport",
    "energy",
    "climate",
    "school",
    "hospital",
    "river",
    "flood",
    "storm",
    "harbour",
    "railway",
    "airport",
    "bridge",
    "tunnel",
    "museum",
    "festival",
    "stadium",
    "tariff",
    "inflation",
    "wages",
    "strike",
    "union",
    "tenants",
    "rents",
    "mortgage",
    "bank",
    "rates",
    "exports",
    "imports",
    "farmers",
    "harvest",
    "drought",
    "wildfire",
    "heatwave",
    "glacier",
    "avalanche",
    "ferry",
    "cyclists",
    "pedestrians",
    "motorway",
    "tram",
    "metro",
    "bus",
    "fares",
    "pension",
    "doctors",
    "nurses",
    "patients",
    "vaccine",
    "research",
    "university",
    "students",
    "teachers",
    "exam",
    "curriculum",
    "library",
    "theatre",
    "orchestra",
    "exhibition",
    "gallery",
    "referendum",
    "parliament",
    "coalition",
    "opposition",
    "candidate",
    "ballot",
    "turnout",
    "mayor",
    "governor",
    "senator",
    "judge",
    "verdict",
    "appeal",
    "prosecutor",
    "trial",
    "fraud",
    "scandal",
    "inquiry",
    "audit",
    "deficit",
    "surplus",
    "subsidy",
    "grant",
    "investment",
    "startup",
    "factory",
    "jobs",
    "layoffs",
    "merger",
    "shares",
    "market",
    "prices",
    "fuel",
    "electricity",
    "gas",
    "solar",
    "wind",
    "turbines",
    "grid",
    "water",
    "sewage",
    "pollution",
    "emissions",
    "forest",
    "wildlife",
    "fisheries",
    "coast",
    "tourism",
    "hotels",
    "visitors",
    "border",
    "migration",
    "asylum",
    "refugees",
    "embassy",
    "summit",
    "treaty",
    "sanctions",
    "trade",
    "talks",
    "ceasefire",
    "protest",
    "march",
    "rally",
    "petition",
    "vote",
    "decision",
    "ruling",
    "ban",
    "reform",
    "scheme",
    "review",
    "warning",
    "delay",
    "closure",
    "opening",
    "record",
    "match",
    "league",
    "cup",
    "coach",
    "transfer",
    "final",
    "season",
    "goal",
    "injury",
    "championship",
    "marathon",
    "cycling",
];

/// Syllables of the long tail: made-up words, thousands of them, each rare.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mer", "vin", "tas", "rel", "bo", "nish", "qua", "dor", "fen", "gal", "hu", "jor",
    "lek", "mo", "nar", "pel", "ros", "sil", "tun", "vek", "wal", "yor", "zen",
];

/// Names, places and words in Cyrillic, as news copy mixes them in.
const NAMES: &[&str] = &[
    "Amara Okafor",
    "Lena Vogel",
    "Tomás Ferreira",
    "Ingrid Halvorsen",
    "Yusuf Demir",
    "Mei Tanaka",
    "Olivier Martin",
    "Priya Raman",
    "Jonas Berg",
    "Sofia Rossi",
    "Kwame Mensah",
    "Hanna Nowak",
    "Diego Alvarez",
    "Elif Kaya",
    "Marek Dvořák",
    "Anja Schmidt",
    "Ravi Patel",
    "Chloé Bernard",
    "Nils Andersson",
    "Leila Haddad",
];
const PLACES: &[&str] = &[
    "RIVERTON",
    "PORT ELLEN",
    "GENEVA",
    "VIENNA",
    "MUNICH",
    "SEVILLE",
    "LA PALMA",
    "ZERMATT",
    "LYON",
    "GDAŃSK",
    "TROMSØ",
    "PORTO",
    "BRNO",
    "GHENT",
    "KRAKÓW",
    "SPLIT",
];
const CYRILLIC: &[&str] = &[
    "Москва",
    "Киев",
    "выборы",
    "бюджет",
    "погода",
    "новости",
    "город",
    "школа",
    "больница",
    "река",
    "мост",
    "поезд",
    "цены",
    "налоги",
    "зарплата",
    "футбол",
    "театр",
    "выставка",
];
const TAGS: &[&str] = &[
    "Housing",
    "Transport",
    "Energy",
    "Climate",
    "Education",
    "Health",
    "Budget",
    "Elections",
    "Trade",
    "Weather",
    "Football",
    "Research",
    "Courts",
    "Tourism",
    "Agriculture",
    "Water",
    "Culture",
    "Technology",
    "Jobs",
    "Safety",
];

/// A small deterministic generator (no dependency; good enough for text).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() % (1 << 30)) as f64 / (1u64 << 30) as f64
    }
}

/// Words drawn by a Zipf law (the k-th most frequent word about 1/k as often
/// as the first), as words are in real text: a few thousand distinct words,
/// a handful very common, most rare.
struct Vocabulary {
    words: Vec<String>,
    /// Cumulative weights, for drawing by binary search.
    cumulative: Vec<f64>,
}

impl Vocabulary {
    fn new() -> Self {
        let mut words: Vec<String> = COMMON.iter().map(|w| w.to_string()).collect();
        let mut tail: Vec<String> = TOPICAL.iter().map(|w| w.to_string()).collect();
        tail.extend(CYRILLIC.iter().map(|w| w.to_lowercase()));
        // Made-up words: every two- and three-syllable combination.
        for a in SYLLABLES {
            for b in SYLLABLES {
                tail.push(format!("{a}{b}"));
                for c in SYLLABLES.iter().take(6) {
                    tail.push(format!("{a}{b}{c}"));
                }
            }
        }
        // Interleaved, so that real and made-up words share the curve.
        let mut rng = Lcg(7);
        while !tail.is_empty() {
            let i = rng.next() % tail.len().min(64);
            words.push(tail.remove(i));
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn word(&self, rng: &mut Lcg) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c < target);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// A sentence of `min..min+spread` words, with now and then a name, a
    /// place or a Cyrillic phrase, capitalised and ended.
    fn sentence(&self, rng: &mut Lcg, min: usize, spread: usize) -> String {
        let mut words: Vec<String> = (0..min + rng.next() % spread)
            .map(|_| self.word(rng).to_string())
            .collect();
        let at = rng.next() % words.len();
        match rng.next() % 10 {
            0..=2 => words.insert(at, rng.pick(NAMES).to_string()),
            3 => words.insert(at, title_case(rng.pick(PLACES))),
            4 => words.insert(at, rng.pick(CYRILLIC).to_string()),
            _ => {}
        }
        let mut text = words.join(" ");
        if let Some(first) = text.chars().next() {
            text.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
        }
        text
    }
}

/// The first words of a headline's slug (slugs stay short in URLs).
fn slug_base(headline: &str) -> String {
    let slug: String = crate::slug::slugify(headline).chars().take(60).collect();
    slug.trim_end_matches('-').to_string()
}

fn title_case(place: &str) -> String {
    place
        .split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |f| {
                f.to_string() + &chars.as_str().to_lowercase()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the seed writes articles from.
struct Newsroom<'a> {
    rng: Lcg,
    vocabulary: Vocabulary,
    /// The moment the newest article was published.
    now: NaiveDateTime,
    section_ids: &'a [String],
    staff: &'a [String],
    /// Who imports them.
    writer: &'a str,
}

impl Newsroom<'_> {
    /// The articles numbered `range` (0 the newest, seven minutes apart),
    /// highest first: oldest first, as a newsroom writes them, so that ids
    /// and search keys grow with time.
    fn articles(&mut self, range: std::ops::Range<u64>) -> Result<Vec<Import>, ApiError> {
        range.rev().map(|n| self.article(n)).collect()
    }

    fn article(&mut self, n: u64) -> Result<Import, ApiError> {
        let (rng, vocabulary) = (&mut self.rng, &self.vocabulary);
        let headline = vocabulary.sentence(rng, 5, 6);
        let paragraphs: Vec<serde_json::Value> = (0..3 + rng.next() % 5)
            .map(|_| {
                let text = (0..2 + rng.next() % 3)
                    .map(|_| vocabulary.sentence(rng, 8, 12) + ".")
                    .collect::<Vec<_>>()
                    .join(" ");
                serde_json::json!({"type": "paragraph", "text": text})
            })
            .collect();
        let tags: Vec<&str> = (0..1 + rng.next() % 3).map(|_| rng.pick(TAGS)).collect();
        let doc: ArticleDocument = serde_json::from_value(serde_json::json!({
            "headline": headline,
            "slug": format!("{}-{}", slug_base(&headline), n + 1),
            "kicker": tags[0],
            "summary": vocabulary.sentence(rng, 10, 10) + ".",
            "dateline": rng.pick(PLACES),
            "source": if rng.next().is_multiple_of(3) { "Northwire" } else { "Staff" },
            "section_id": self.section_ids[rng.next() % self.section_ids.len()],
            "tags": tags,
            "bylines": [{"user_id": self.staff[rng.next() % self.staff.len()], "role": "reporting"}],
            "body": paragraphs,
        }))
        .map_err(ApiError::internal)?;
        let at = self.now - Duration::minutes((n as i64) * 7 + (rng.next() % 7) as i64);
        Ok(Import {
            writer: self.writer.to_string(),
            doc,
            published_at: at,
        })
    }
}

/// Fills the database with `count` published articles (plus the demo
/// sections and staff they need), calling `progress` after each batch.
pub fn seed(
    pool: &db::Pool,
    count: u64,
    default_locale: &str,
    progress: impl FnMut(u64),
) -> Result<u64, ApiError> {
    seed_in_batches(pool, count, BATCH, default_locale, progress)
}

/// [`seed`], writing `batch` articles a transaction.
pub fn seed_in_batches(
    pool: &db::Pool,
    count: u64,
    batch: u64,
    default_locale: &str,
    mut progress: impl FnMut(u64),
) -> Result<u64, ApiError> {
    let batch_size = batch.max(1);
    let mut conn = pool.get().map_err(ApiError::internal)?;
    let conn: &mut DbConn = &mut conn;
    if let DbConn::Sqlite(_) = conn {
        // A bulk load touches the same pages batch after batch: a page cache
        // of 256 MiB for this connection (the server's keep 512 KiB each),
        // and the file mapped, save reading and writing them again each
        // time (at 100,000 articles, 64 MiB and no mapping spent a fifth of
        // the load copying pages in and out of the kernel: 50 s, now 45 s).
        // Nothing is lost but the seed itself if the machine stops meanwhile:
        // no sync at each commit.
        diesel::connection::SimpleConnection::batch_execute(
            conn,
            "PRAGMA cache_size = -262144; PRAGMA mmap_size = 4294967296; PRAGMA synchronous = OFF",
        )?;
    }
    crate::demo::load(conn)?;
    let section_ids: Vec<String> =
        sections::queries::list_sections(conn, &Default::default(), None, 100)?
            .into_iter()
            .map(|s| s.id)
            .collect();
    let staff: Vec<String> = users::queries::list_users(conn, Some(Role::Editor), None, 10)?
        .into_iter()
        .chain(users::queries::list_users(
            conn,
            Some(Role::Author),
            None,
            10,
        )?)
        .map(|u| u.id)
        .collect();
    let Some(editor) = staff.first().cloned() else {
        return Err(ApiError::internal("the demo staff is missing"));
    };
    let actor = Actor {
        id: editor,
        role: Role::Editor,
    };
    let mut newsroom = Newsroom {
        rng: Lcg(count),
        vocabulary: Vocabulary::new(),
        now: db::now(),
        section_ids: &section_ids,
        staff: &staff,
        writer: &actor.id,
    };
    let mut done = 0;
    // PostgreSQL's search indexes merge their pending lists at 64 kB for
    // the sake of searches (migration 000018): every few articles of a bulk
    // load. With 16 MB lists for the load, merged in large sorted runs (and
    // the rest by the closing VACUUM), 10,000 articles took 8.4 s instead
    // of 11.2. The limit goes back whatever happens to the load.
    // PostgreSQL's search window (the newest articles) is filled once after
    // the load, before the limits go back: saved one by one, nearly every
    // article would go in and out; filled into a 64 kB list, its 10,000
    // articles took 4.2 s, a quarter of a 20,000-article load (1.3 s with
    // the load's lists, the rest merged by the closing VACUUM).
    if let DbConn::Postgres(_) = conn {
        pending_lists(conn, 16384)?;
        search::close_window(conn)?;
    }
    // (A pool of one connection has none to spare: on PostgreSQL too the
    // documents are then rendered by the writer and compressed aside.)
    let beside = matches!(conn, DbConn::Postgres(_)) && pool.max_size() > 1;
    let loaded = std::thread::scope(|scope| {
        // The articles are made up on a thread of their own, a batch ahead
        // of the one being written.
        let (made, batches) = std::sync::mpsc::sync_channel::<Result<Vec<Import>, ApiError>>(1);
        scope.spawn(move || {
            let mut left = count;
            while left > 0 {
                let batch = left.min(batch_size);
                let imports = newsroom.articles(left - batch..left);
                let failed = imports.is_err();
                if made.send(imports).is_err() || failed {
                    break;
                }
                left -= batch;
            }
        });
        // On PostgreSQL the delivery documents of a batch are rendered on a
        // second connection while the next batch is written: rendering and
        // compressing them is most of this program's work in a load, and
        // the server's work for the next batch overlaps it (100,000
        // articles: 63-74 s one after the other, 46 s beside).
        let (written, queued) = std::sync::mpsc::sync_channel::<()>(1);
        let renderer = beside.then(|| {
            scope.spawn(move || -> Result<(), ApiError> {
                let mut conn = pool.get().map_err(ApiError::internal)?;
                while queued.recv().is_ok() {
                    while delivery::drain(&mut conn, 500)? > 0 {}
                }
                Ok(())
            })
        });
        // SQLite has one writer, and rendering needs the connection: there
        // a batch's documents are rendered after it is written, and
        // compressed on another thread while the next batch is written
        // (rendered beside the writer on a second connection, the load took
        // as long: the writer waited on the renderer).
        let (to_compress, compressing) = std::sync::mpsc::sync_channel::<Taken>(1);
        let (compressed, to_store) = std::sync::mpsc::sync_channel::<Taken>(1);
        if !beside {
            scope.spawn(move || {
                for taken in compressing {
                    if compressed.send(taken.compress()).is_err() {
                        break;
                    }
                }
            });
        }
        let loaded = (|| -> Result<(), ApiError> {
            // Batches of writes in one transaction each: fast on SQLite, gentle on PostgreSQL.
            let mut compressing = false;
            let mut after: Option<String> = None;
            while done < count {
                let imports = batches
                    .recv()
                    .map_err(|_| ApiError::internal("the articles stopped coming"))??;
                let batch = imports.len() as u64;
                // Delivery documents are rendered in batches below, not one by one.
                delivery::deferred(|| {
                    service::import_published(conn, &actor, imports, default_locale)
                })?;
                if renderer.is_some() {
                    if written.send(()).is_err() {
                        // The renderer stopped: its error is the load's.
                        break;
                    }
                } else {
                    // This batch's documents are rendered while the last
                    // one's are still being compressed, then the last one's
                    // stored (rendered after storing, the writer waited for
                    // the compression and then the compression for the
                    // rendering: 100,000 articles took 45.7-46.0 s, now
                    // 41.0-46.8). The last batch's articles are queued until
                    // they are stored: the ones after them are taken (any
                    // queued again before them, by the final drain).
                    let limit = i64::try_from(batch_size).unwrap_or(i64::MAX);
                    let taken = delivery::take(conn, limit, after.as_deref())?;
                    if std::mem::take(&mut compressing) {
                        store(conn, &to_store)?;
                    }
                    if let Some(taken) = taken {
                        after = taken.last().map(str::to_owned);
                        compressing = to_compress.send(taken).is_ok();
                    }
                }
                done += batch;
                progress(done);
            }
            if renderer.is_none() {
                if compressing {
                    store(conn, &to_store)?;
                }
                // Whatever else was queued (articles whose teasers changed).
                while delivery::drain(conn, 500)? > 0 {}
            }
            Ok(())
        })();
        drop((written, batches, to_compress, to_store));
        let rendered = match renderer.map(|r| r.join()) {
            None => Ok(()),
            Some(Ok(rendered)) => rendered,
            // Rendering does not panic; were it to, the panic goes on.
            Some(Err(panic)) => std::panic::resume_unwind(panic),
        };
        loaded.and(rendered)
    });
    if let DbConn::Postgres(_) = conn {
        let filled = search::keep_window(conn);
        pending_lists(conn, SEARCH_PENDING_LIST_KB)?;
        filled?;
    }
    loaded?;
    if let DbConn::Sqlite(_) = conn {
        // A bulk load leaves the full-text indexes in many segments, each
        // probed for every word of every search: merged into one, a search
        // at 100,000 articles reads half as much (3.6 s once).
        diesel::connection::SimpleConnection::batch_execute(
            conn,
            "INSERT INTO articles_fts (articles_fts) VALUES ('optimize'); \
             INSERT INTO article_headlines_fts (article_headlines_fts) VALUES ('optimize')",
        )?;
    }
    // Fresh statistics, so that the query planner knows the new data. On
    // PostgreSQL a VACUUM as well, as autovacuum would do a while later:
    // it merges what the full-text indexes still hold in their pending
    // lists, and marks the pages all-visible, so that index-only scans
    // need not visit the table.
    let analyze = match conn {
        DbConn::Sqlite(_) => "ANALYZE",
        DbConn::Postgres(_) => "VACUUM ANALYZE",
    };
    diesel::connection::SimpleConnection::batch_execute(conn, analyze)?;
    Ok(done)
}

/// Articles written in one transaction by [`seed`].
const BATCH: u64 = 2000;

/// Stores the next batch of compressed documents.
fn store(conn: &mut DbConn, compressed: &Receiver<Taken>) -> Result<(), ApiError> {
    let taken = compressed
        .recv()
        .map_err(|_| ApiError::internal("the compression stopped"))?;
    delivery::store(conn, taken)?;
    Ok(())
}

/// The pending-list limit (kB) that migrations 000018, 000021 and 000023
/// give PostgreSQL's search indexes, put back after a load.
const SEARCH_PENDING_LIST_KB: u32 = 64;

/// Sets the pending-list limit (kB) of PostgreSQL's search indexes: the
/// whole index's, the headlines' and the window's.
fn pending_lists(conn: &mut DbConn, kilobytes: u32) -> Result<(), ApiError> {
    diesel::connection::SimpleConnection::batch_execute(
        conn,
        &format!(
            "ALTER INDEX article_search_document_idx SET (gin_pending_list_limit = {kilobytes}); \
             ALTER INDEX article_search_headlines_idx SET (gin_pending_list_limit = {kilobytes}); \
             ALTER INDEX article_search_recent_idx SET (gin_pending_list_limit = {kilobytes})"
        ),
    )?;
    Ok(())
}
