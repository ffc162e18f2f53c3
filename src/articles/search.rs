//! Full-text search: FTS5 on SQLite, a weighted tsvector with a GIN index on
//! PostgreSQL. Raw SQL per backend; the index is written with every save.

use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::NaiveDateTime;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};

use diesel::pg::{Pg, PgConnection};
use diesel::sqlite::Sqlite;

use crate::db::{cached, DbConn};

/// How many matches a search returns before visibility and filters.
pub const MAX_CANDIDATES: i64 = 100;

// Private-use characters mark the highlighted words until the snippet is
// escaped, so article text can never forge markup.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// SQLite's smallest search key so far (2^40 when there is none): keys
/// fall with time (migration 000024), each new article's one below it.
pub(crate) const SMALLEST_KEY: &str =
    "(SELECT coalesce(min(rowid), 1099511627776) FROM article_search_keys)";

/// Indexes (or re-indexes) an article's text.
pub fn index(
    conn: &mut DbConn,
    id: &str,
    headline: &str,
    summary: &str,
    body: &str,
) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            #[derive(QueryableByName)]
            struct Key {
                #[diesel(sql_type = BigInt)]
                rowid: i64,
            }
            // Keys fall with time (migration 000024): a new article's is
            // one less than the smallest.
            diesel::sql_query(format!(
                "INSERT OR IGNORE INTO article_search_keys (rowid, article_id) \
                 VALUES ({SMALLEST_KEY} - 1, ?)"
            ))
            .bind::<Text, _>(id)
            .execute(c)?;
            let key =
                diesel::sql_query("SELECT rowid FROM article_search_keys WHERE article_id = ?")
                    .bind::<Text, _>(id)
                    .get_result::<Key>(c)?;
            diesel::sql_query("DELETE FROM articles_fts WHERE rowid = ?")
                .bind::<BigInt, _>(key.rowid)
                .execute(c)?;
            diesel::sql_query(
                "INSERT INTO articles_fts (rowid, article_id, headline, summary, body) VALUES (?, ?, ?, ?, ?)",
            )
            .bind::<BigInt, _>(key.rowid)
            .bind::<Text, _>(id)
            .bind::<Text, _>(headline)
            .bind::<Text, _>(summary)
            .bind::<Text, _>(body)
            .execute(c)?;
            diesel::sql_query("DELETE FROM article_headlines_fts WHERE rowid = ?")
                .bind::<BigInt, _>(key.rowid)
                .execute(c)?;
            diesel::sql_query("INSERT INTO article_headlines_fts (rowid, headline) VALUES (?, ?)")
                .bind::<BigInt, _>(key.rowid)
                .bind::<Text, _>(headline)
                .execute(c)?;
        }
        DbConn::Postgres(c) => {
            diesel::sql_query(
                "INSERT INTO article_search (article_id, headline, summary, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (article_id) DO UPDATE SET headline = $2, summary = $3, body = $4",
            )
            .bind::<Text, _>(id)
            .bind::<Text, _>(headline)
            .bind::<Text, _>(summary)
            .bind::<Text, _>(body)
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO article_search_headlines (article_id, document) \
                 VALUES ($1, to_tsvector('simple', $2)) \
                 ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document",
            )
            .bind::<Text, _>(id)
            .bind::<Text, _>(headline)
            .execute(c)?;
            diesel::sql_query(WINDOW_ADD)
                .bind::<Array<Text>, _>(vec![id])
                .execute(c)?;
        }
    }
    Ok(())
}

/// Adds the articles `$1` (ids) to PostgreSQL's search window when they
/// belong there, their ids being at or above its floor (see
/// [`keep_window`]), after their rows of `article_search` are written. The
/// floor's row is held shared until the save commits, so the floor cannot
/// move between this test and the commit.
pub(crate) const WINDOW_ADD: &str = "INSERT INTO article_search_recent (article_id, document) \
     SELECT s.article_id, strip(s.document) FROM article_search s \
     WHERE s.article_id = ANY($1) \
     AND s.article_id >= (SELECT floor FROM article_search_window FOR SHARE) \
     ON CONFLICT (article_id) DO UPDATE SET document = EXCLUDED.document";

/// A match: the article's id.
#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    article_id: String,
}

/// The words of a query (at most sixteen), as both the headline tier and
/// excerpts read it.
fn words(q: &str) -> impl Iterator<Item = &str> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
}

fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .take(16)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The ids of the best `limit` matches of `q` (at most [`MAX_CANDIDATES`]),
/// best first: the first `limit` of the ranking, whatever `limit` is.
/// Excerpts are made afterwards for the page shown.
///
/// Ranking is in two tiers and by recency within each, as news search
/// wants it: articles whose headline holds every word first, then those
/// holding them anywhere (summary, body), each newest first (by when the
/// article was first saved). Both tiers are read from the index in that
/// order, so a search stops after a page's worth of candidates whatever
/// the archive's size or how common the words are; scoring every match
/// (bm25 over all of them) cost hundreds of milliseconds for common words
/// at 100,000 articles.
pub fn search(conn: &mut DbConn, q: &str, limit: i64) -> QueryResult<Vec<String>> {
    let limit = limit.clamp(1, MAX_CANDIDATES);
    let mut hits: Vec<Hit> = Vec::new();
    match conn {
        DbConn::Sqlite(c) => {
            let query = fts5_query(q);
            if query.is_empty() {
                return Ok(Vec::new());
            }
            // Headlines have an index of their own (a column filter on the
            // whole index walks every article holding the words anywhere).
            for table in ["article_headlines_fts", "articles_fts"] {
                let found = cached::statement::<Sqlite>(format!(
                    "SELECT k.article_id FROM \
                     (SELECT rowid AS id FROM {table} WHERE {table} MATCH "
                ))
                .bind::<Text, _>(&query, " ORDER BY rowid LIMIT ")
                .bind::<BigInt, _>(
                    limit,
                    ") m JOIN article_search_keys k ON k.rowid = m.id ORDER BY m.id",
                )
                .load::<Hit>(c)?;
                hits.extend(found);
                // A full page of headline matches leaves no room for the
                // second tier: it is not read.
                if hits.len() >= limit as usize {
                    break;
                }
            }
        }
        DbConn::Postgres(c) => {
            // Ids are UUIDv7: their order is the order articles were made in.
            // The headline tier reads the headlines' own table, whose rows
            // are narrow (migration 000021).
            if words(q).next().is_none() {
                return Ok(Vec::new());
            }
            for table in ["article_search_headlines", "article_search"] {
                let newest = |c: &mut PgConnection, table: &str| {
                    cached::statement::<Pg>(format!(
                        "SELECT s.article_id FROM {table} s, plainto_tsquery('simple', "
                    ))
                    .bind::<Text, _>(
                        q,
                        ") q WHERE s.document @@ q ORDER BY s.article_id DESC LIMIT ",
                    )
                    .bind::<BigInt, _>(limit, "")
                    .load::<Hit>(c)
                };
                // Headlines are short and their table narrow: their tier is
                // read whole (a window there saved little, and cost a second
                // statement whenever the words were rare in headlines).
                // The all-words tier among the newest articles first (see
                // [`keep_window`]): when they hold a full tier, that tier
                // is the same as from all.
                let mut found = Vec::new();
                if table == "article_search" {
                    found = newest(c, "article_search_recent")?;
                }
                if (found.len() as i64) < limit {
                    found = newest(c, table)?;
                }
                hits.extend(found);
                if hits.len() >= limit as usize {
                    break;
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut ids: Vec<String> = hits
        .into_iter()
        .map(|h| h.article_id)
        .filter(|id| seen.insert(id.clone()))
        .collect();
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(ids)
}

/// How many of the newest articles PostgreSQL's search window holds.
static RECENT: AtomicI64 = AtomicI64::new(10_000);

/// Sets how many of the newest articles PostgreSQL's search window holds
/// from the next [`keep_window`] on (tests: results must not depend on it).
#[doc(hidden)]
pub fn set_search_window(articles: i64) {
    RECENT.store(articles.max(1), Ordering::Relaxed);
}

/// Moves PostgreSQL's search window to the [`RECENT`] newest articles of
/// the index (all of them when there are fewer). The
/// scheduler calls it once a minute; nothing to do on SQLite.
///
/// A GIN index cannot hand out its matches newest first: for words neither
/// rare nor everywhere PostgreSQL either read every match and sorted them,
/// or walked the table backwards testing each row, or (with `article_id >=`
/// the newest articles' floor) intersected the matches with a bitmap of
/// those articles' ids. The all-words tier is read from the window first,
/// a table of the newest articles with a GIN index of its own
/// (`article_search_recent`, migration 000023), and from all of them only
/// when the window holds less than a page's worth. The window holds
/// exactly the indexed articles whose id is at or above its floor (ids are
/// UUIDv7, in the order articles were made), so a window's full tier holds
/// the newest matches of all: every article newer than its oldest match is
/// in the window. How many articles it holds only decides how often it
/// suffices.
///
/// The floor's row is held exclusively here and shared by every save that
/// adds to the window ([`WINDOW_ADD`]), so an article is never left out
/// of the window above its floor, nor kept below it.
pub fn keep_window(conn: &mut DbConn) -> QueryResult<()> {
    #[derive(QueryableByName)]
    struct Floor {
        #[diesel(sql_type = Nullable<Text>)]
        floor: Option<String>,
    }
    let DbConn::Postgres(c) = conn else {
        return Ok(());
    };
    c.transaction(|c| {
        let old = diesel::sql_query("SELECT floor FROM article_search_window FOR UPDATE")
            .get_result::<Floor>(c)?
            .floor;
        // The oldest of the newest articles ('' when there are fewer: all).
        let floor = diesel::sql_query(
            "SELECT article_id AS floor FROM article_search_headlines \
             ORDER BY article_id DESC OFFSET $1 LIMIT 1",
        )
        .bind::<BigInt, _>(RECENT.load(Ordering::Relaxed) - 1)
        .get_result::<Floor>(c)
        .optional()?
        .and_then(|f| f.floor)
        .unwrap_or_default();
        if old.as_deref() == Some(floor.as_str()) {
            return Ok(());
        }
        diesel::sql_query("UPDATE article_search_window SET floor = $1")
            .bind::<Text, _>(&floor)
            .execute(c)?;
        diesel::sql_query("DELETE FROM article_search_recent WHERE article_id < $1")
            .bind::<Text, _>(&floor)
            .execute(c)?;
        // Those the window did not hold: between the new floor and the old
        // one (all at and above the new floor when it held none).
        diesel::sql_query(
            "INSERT INTO article_search_recent (article_id, document) \
             SELECT article_id, strip(document) FROM article_search \
             WHERE article_id >= $1 AND ($2::text IS NULL OR article_id < $2) \
             ON CONFLICT (article_id) DO NOTHING",
        )
        .bind::<Text, _>(&floor)
        .bind::<Nullable<Text>, _>(old)
        .execute(c)?;
        Ok(())
    })
}

/// Empties PostgreSQL's search window and stops saves adding to it (a NULL
/// floor: above every article), until [`keep_window`] fills it again: a
/// bulk load's articles would otherwise nearly all go in and out of it.
pub fn close_window(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Postgres(c) = conn {
        c.transaction(|c| {
            diesel::sql_query("UPDATE article_search_window SET floor = NULL").execute(c)?;
            diesel::sql_query("DELETE FROM article_search_recent").execute(c)?;
            QueryResult::Ok(())
        })?;
    }
    Ok(())
}

/// The text of an article as indexed: what excerpts are made from; and
/// its stored list item, when asked for.
#[derive(QueryableByName)]
pub struct Indexed {
    /// The article.
    #[diesel(sql_type = Text)]
    pub article_id: String,
    /// Its headline.
    #[diesel(sql_type = Text)]
    pub headline: String,
    /// Its summary ('' for none).
    #[diesel(sql_type = Text)]
    pub summary: String,
    /// Its body as plain text.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Its stored list item rendered with the key asked for, if any.
    #[diesel(sql_type = Nullable<Text>)]
    item: Option<String>,
    /// That item's article as it was (`modified_at`).
    #[diesel(sql_type = Nullable<Timestamp>)]
    item_modified_at: Option<NaiveDateTime>,
    /// When that item's embedded moments run out, if they do.
    #[diesel(sql_type = Nullable<Timestamp>)]
    item_valid_until: Option<NaiveDateTime>,
}

impl Indexed {
    /// The stored list item, when it is of the article as it is now
    /// (`modified_at`) and still valid at `now`.
    pub fn take_item(&mut self, modified_at: NaiveDateTime, now: NaiveDateTime) -> Option<String> {
        let current = self.item_modified_at == Some(modified_at)
            && crate::articles::delivery::valid_at(self.item_valid_until, now);
        self.item.take().filter(|_| current)
    }
}

/// The indexed text of these articles, by id: read from the index, which
/// keeps it as plain text already (parsing each body's stored blocks again
/// was a seventh of a search's time). With `items` (a render key), each
/// article's stored list item too, in the same statement: a search reads
/// the items of the page it shows only, not of every candidate (on
/// PostgreSQL, 28 items looked up beside the candidates' visibility cost
/// as much again as the visibility).
pub fn texts(
    conn: &mut DbConn,
    ids: &[String],
    items: Option<&str>,
) -> QueryResult<HashMap<String, Indexed>> {
    // A key no item has when none are wanted. The key is compared as an
    // expression, as lists compare it (`queries::stored_item`).
    let key = items.unwrap_or("");
    let found: Vec<Indexed> = match conn {
        DbConn::Sqlite(c) => {
            let array = serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_string());
            // Read from the index's own table of its text (FTS5 keeps a
            // full-text table's columns in `<table>_content`, as `c0`...,
            // by rowid): the same text without the virtual table's way
            // round (35 against 25 us for a page's twenty, in `sqlite3`).
            cached::statement::<Sqlite>(
                "SELECT k.article_id, c.c1 AS headline, c.c2 AS summary, c.c3 AS body, \
                 d.item, d.modified_at AS item_modified_at, d.valid_until AS item_valid_until \
                 FROM article_search_keys k JOIN articles_fts_content c ON c.id = k.rowid \
                 LEFT JOIN article_deliveries d ON d.render_key || '' = ",
            )
            .bind::<Text, _>(
                key,
                " AND d.article_id = k.article_id \
                 WHERE k.article_id IN (SELECT value FROM json_each(",
            )
            .bind::<Text, _>(array, "))")
            .load(c)?
        }
        DbConn::Postgres(c) => cached::statement::<Pg>(
            "SELECT s.article_id, s.headline, s.summary, s.body, \
             d.item, d.modified_at AS item_modified_at, d.valid_until AS item_valid_until \
             FROM article_search s LEFT JOIN article_deliveries d ON d.render_key || '' = ",
        )
        .bind::<Text, _>(
            key,
            " AND d.article_id = s.article_id WHERE s.article_id = ANY(",
        )
        .bind::<Array<Text>, _>(ids, ")")
        .load(c)?,
    };
    Ok(found
        .into_iter()
        .map(|t| (t.article_id.clone(), t))
        .collect())
}

/// Folds a word for matching as the index does (unicode61 with
/// diacritics removed): lower case, accents gone.
fn fold(word: &str) -> String {
    deunicode::deunicode(word).to_lowercase()
}

/// Which of the folded `terms` `word` is, if any: ASCII words are compared
/// without folding them (most words of most texts, and no allocation).
fn term_of(terms: &[String], word: &str) -> Option<usize> {
    if word.is_ascii() {
        terms.iter().position(|t| t.eq_ignore_ascii_case(word))
    } else {
        terms.iter().position(|t| folds_to(word, t))
    }
}

/// Whether `word` folded ([`fold`]) is `term`, compared piece by piece as
/// it is transliterated rather than folded into new strings (two for every
/// word with accents or Cyrillic). With the early stop of [`excerpt`], a
/// random search at 100,000 articles cost SQLite's server 5 % less CPU.
fn folds_to(word: &str, term: &str) -> bool {
    use deunicode::AsciiChars;
    let mut rest = term.as_bytes();
    for piece in word.ascii_chars() {
        // `deunicode` writes this for a character it cannot transliterate.
        let piece = piece.unwrap_or("[?]").as_bytes();
        match rest.split_at_checked(piece.len()) {
            Some((head, tail)) if head.eq_ignore_ascii_case(piece) => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// A highlighted excerpt of `q` in an article's text: about sixteen words
/// around the first place the most query words meet, with every query word
/// between the private-use marks and `…` where the text was cut. Made here
/// from the article's own text rather than by the search engine, which read
/// the index again for every excerpt (most of a search's cost); matching
/// folds case and accents as the index does.
pub fn snippet(q: &str, texts: &[&str]) -> Option<String> {
    let terms: Vec<String> = words(q).map(fold).collect();
    if terms.is_empty() {
        return None;
    }
    // The bits a window can hold at most: one per distinct query word (a
    // repeated word counts as its first).
    let all = (0..terms.len())
        .filter(|&t| !terms[..t].contains(&terms[t]))
        .fold(0u32, |all, t| all | 1 << t);
    texts.iter().find_map(|text| excerpt(text, &terms, all))
}

/// How many words an excerpt shows.
const WINDOW: usize = 16;

/// [`snippet`] in one text: `None` when no query word is in it.
fn excerpt(text: &str, terms: &[String], all: u32) -> Option<String> {
    // Where the query words can be, found before the words are read
    // (most of a text's words have no query word near them): which of them
    // the text can hold at all, and from where its words need to be read.
    let (from, words_before, all) = start(text, terms, all)?;
    // Words with their byte ranges and the bit of the query word each is
    // (0 for none; queries have at most sixteen words), read until the
    // first window that holds every query word is known, and one word past
    // it (the excerpt then ends in `…`): that window is the excerpt's, and
    // the rest of a long text need not be read.
    let mut words: Vec<(usize, usize, u32)> = Vec::with_capacity((text.len() - from) / 6 + 1);
    let mut full_from = None;
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() && full_from.is_none_or(|first| words.len() <= first + WINDOW) {
        let (start, end) = match next_word(text, at) {
            Some(range) => range,
            None => break,
        };
        at = end;
        let bit = term_of(terms, &text[start..end]).map_or(0, |t| 1u32 << t);
        words.push((start, end, bit));
        // The window starting WINDOW - 1 words back is complete now.
        if full_from.is_none() && words.len() >= WINDOW {
            let i = words.len() - WINDOW;
            if words[i].2 != 0 && window_bits(&words, i) == all {
                full_from = Some(i.saturating_sub(2));
            }
        }
    }
    // The window holding the most distinct query words, the first such.
    let best = (0..words.len())
        .filter(|&i| words[i].2 != 0)
        .max_by_key(|&i| (window_bits(&words, i).count_ones(), std::cmp::Reverse(i)))?;
    // A little context before the first match.
    let first = best.saturating_sub(2);
    let last = words.len().min(first + WINDOW);
    let mut out = String::new();
    if first > 0 || words_before {
        out.push('…');
    }
    let mut at = words[first].0;
    for &(s, e, bit) in &words[first..last] {
        out.push_str(&text[at..s]);
        if bit != 0 {
            out.push(OPEN);
            out.push_str(&text[s..e]);
            out.push(CLOSE);
        } else {
            out.push_str(&text[s..e]);
        }
        at = e;
    }
    if last < words.len() {
        out.push('…');
    } else {
        out.push_str(&text[at..]);
    }
    Some(out)
}

/// How many words with characters other than ASCII [`start`] looks at
/// (a text in Cyrillic is read word by word in any case).
const FOREIGN_WORDS: usize = 8;

/// Where [`excerpt`] starts reading the words of `text`, whether words
/// come before that, and the bits of the query words (`all`'s) that the
/// text can hold; `None` when it holds none. A query word (folded: ASCII,
/// lower case) is an ASCII word of the text only where it is a part of
/// the text, case aside; words with other characters are folded to be
/// compared (the first few; the others are taken to hold any query word).
/// None of the text's words before the first such place is a query word,
/// and the reading starts two words before it, as an excerpt's context
/// does. The first window holding every query word that the text can hold
/// is the best one, as it would be for every query word.
fn start(text: &str, terms: &[String], all: u32) -> Option<(usize, bool, u32)> {
    let lower = text.to_ascii_lowercase();
    let mut present = 0u32;
    let mut first = text.len();
    for (t, term) in terms.iter().enumerate() {
        if all & 1 << t == 0 {
            continue;
        }
        if let Some(found) = memchr::memmem::find(lower.as_bytes(), term.as_bytes()) {
            present |= 1 << t;
            first = first.min(found);
        }
    }
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut looked = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b >= 0x80) {
        let foreign = word_start(text, at + found);
        if looked == FOREIGN_WORDS {
            // Not looked at: any query word may be there or after it.
            present = all;
            first = first.min(foreign);
            break;
        }
        match next_word(text, foreign) {
            Some((s, e)) if s == foreign => {
                looked += 1;
                if let Some(t) = term_of(terms, &text[s..e]) {
                    present |= 1 << t;
                    first = first.min(s);
                }
                at = e;
            }
            // Not a letter (a dash, a quotation mark): past it.
            _ => at = at + found + text[at + found..].chars().next().map_or(1, char::len_utf8),
        }
    }
    if present == 0 {
        return None;
    }
    // Back to the start of the word around the first place, then two more.
    let mut from = word_start(text, first);
    for _ in 0..2 {
        if let Some((i, _)) = text[..from]
            .char_indices()
            .rev()
            .find(|&(_, c)| is_word_char(c))
        {
            from = word_start(text, i);
        }
    }
    let before = next_word(text, 0).is_some_and(|(s, _)| s < from);
    Some((from, before, present))
}

/// Whether `c` is part of a word, as [`next_word`] reads words.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        ASCII_WORD[usize::from(c as u8)]
    } else {
        is_letter(c)
    }
}

/// The start of the word that byte `at` of `text` (a character's first)
/// is in, or `at` when it is not in a word; as [`next_word`] reads words.
fn word_start(text: &str, at: usize) -> usize {
    if !text[at..].chars().next().is_some_and(is_word_char) {
        return at;
    }
    text[..at]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_word_char(c))
        .last()
        .map_or(at, |(i, _)| i)
}

/// The query words of the window of [`WINDOW`] words starting at `i`.
fn window_bits(words: &[(usize, usize, u32)], i: usize) -> u32 {
    words[i..words.len().min(i + WINDOW)]
        .iter()
        .fold(0u32, |seen, w| seen | w.2)
}

/// The byte range of the first word (a run of alphanumeric characters) of
/// `text` at or after byte `from`: ASCII bytes are told apart by a table,
/// without decoding them (most of most texts), and the letters of Latin
/// and Cyrillic scripts by their ranges (Unicode's tables otherwise: a
/// binary search for every character of a Cyrillic text).
fn next_word(text: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    // Whether the character starting at the non-ASCII byte `at` is
    // alphanumeric, and its width.
    let letter_at = |at: usize| -> (bool, usize) {
        let c = text[at..].chars().next().unwrap_or(' ');
        (is_letter(c), c.len_utf8())
    };
    let mut at = from;
    loop {
        // Separators, a run of ASCII at a time.
        while at < len && bytes[at] < 0x80 && !ASCII_WORD[usize::from(bytes[at])] {
            at += 1;
        }
        if at >= len {
            return None;
        }
        if bytes[at] < 0x80 {
            break;
        }
        let (word, width) = letter_at(at);
        if word {
            break;
        }
        at += width;
    }
    let start = at;
    loop {
        while at < len && bytes[at] < 0x80 && ASCII_WORD[usize::from(bytes[at])] {
            at += 1;
        }
        if at >= len || bytes[at] < 0x80 {
            break;
        }
        let (word, width) = letter_at(at);
        if !word {
            break;
        }
        at += width;
    }
    Some((start, at))
}

/// The ASCII bytes that are alphanumeric.
static ASCII_WORD: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// `c.is_alphanumeric()`, answered from ranges for the letters of Latin
/// (U+00C0-U+024F but × and ÷) and Cyrillic (U+0400-U+052F but the signs
/// and combining marks U+0482-U+0489) and from Unicode's tables otherwise.
fn is_letter(c: char) -> bool {
    match c {
        '\u{C0}'..='\u{D6}'
        | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{24F}'
        | '\u{400}'..='\u{481}'
        | '\u{48A}'..='\u{52F}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// The snippet as safe HTML: text escaped, matches in `<mark>`.
pub fn snippet_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            OPEN => out.push_str("<mark>"),
            CLOSE => out.push_str("</mark>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The excerpt as it was made before it stopped at the first window
    /// holding every word: every text read whole, every char decoded.
    fn reference_snippet(q: &str, texts: &[&str]) -> Option<String> {
        const WINDOW: usize = 16;
        let terms: Vec<String> = words(q).map(fold).collect();
        if terms.is_empty() {
            return None;
        }
        for text in texts {
            // Words with their byte ranges and the bit of the query word each
            // is (0 for none; queries have at most sixteen words).
            let mut words: Vec<(usize, usize, u32)> = Vec::new();
            let mut start = None;
            for (i, c) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                match (c.is_alphanumeric(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        let bit = terms
                            .iter()
                            .position(|t| *t == fold(&text[s..i]))
                            .map_or(0, |t| 1u32 << t);
                        words.push((s, i, bit));
                        start = None;
                    }
                    _ => {}
                }
            }
            // The window holding the most distinct query words, the first such.
            let Some(best) = (0..words.len())
                .filter(|&i| words[i].2 != 0)
                .max_by_key(|&i| {
                    let seen = words[i..words.len().min(i + WINDOW)]
                        .iter()
                        .fold(0u32, |seen, w| seen | w.2);
                    (seen.count_ones(), std::cmp::Reverse(i))
                })
            else {
                continue;
            };
            // A little context before the first match.
            let first = best.saturating_sub(2);
            let last = words.len().min(first + WINDOW);
            let mut out = String::new();
            if first > 0 {
                out.push('…');
            }
            let mut at = words[first].0;
            for &(s, e, bit) in &words[first..last] {
                out.push_str(&text[at..s]);
                if bit != 0 {
                    out.push(OPEN);
                    out.push_str(&text[s..e]);
                    out.push(CLOSE);
                } else {
                    out.push_str(&text[s..e]);
                }
                at = e;
            }
            if last < words.len() {
                out.push('…');
            } else {
                out.push_str(&text[at..]);
            }
            return Some(out);
        }
        None
    }

    #[test]
    fn letters_by_range_are_unicodes_alphanumerics() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn words_fold_as_the_index_folds_them() {
        for word in [
            "Café",
            "CAFÉ",
            "Tromsø",
            "бюджет",
            "Бюджет",
            "straße",
            "ÉTÉ",
            "東京",
            "🐶",
            "ǅ",
        ] {
            let folded = fold(word);
            assert!(folds_to(word, &folded), "{word} → {folded}");
            for other in ["cafe", "tromso", "biudzhet", "strasse", "ete", "", "x"] {
                assert_eq!(folds_to(word, other), folded == other, "{word} / {other}");
            }
            assert!(!folds_to(word, &format!("{folded}s")), "{word}");
        }
    }

    #[test]
    fn excerpts_stopping_early_are_the_excerpts_of_the_whole_text() {
        // Texts of common and rare words, accents and Cyrillic, in
        // sentences; queries of one to three words, repeated or not. Then
        // ASCII texts alone (read from their first query word on), with
        // words holding others ("the" in "there", "port" in "report").
        let vocabulary = [
            "the",
            "port",
            "ferry",
            "crane",
            "Café",
            "gare",
            "Tromsø",
            "бюджет",
            "rain",
            "on",
            "of",
            "x",
            "Ferry",
            "ÉTÉ",
            "été",
            "42",
        ];
        let ascii = [
            "the", "There", "port", "report", "PORT", "ferry", "crane", "cranes", "on", "one", "x",
            "42", "a", "rain", "train", "of",
        ];
        agree_with_reference(&vocabulary, &[" ", " ", ", ", ". ", " — ", "'"]);
        agree_with_reference(&ascii, &[" ", " ", ", ", ". ", " - ", "'"]);
    }

    /// Random texts of `vocabulary`'s words between `separators`, and
    /// queries of its words: [`snippet`] and [`reference_snippet`] agree.
    fn agree_with_reference(vocabulary: &[&str], separators: &[&str]) {
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for _ in 0..3000 {
            let length = next(120);
            let mut text = String::new();
            for w in 0..length {
                if w > 0 {
                    text.push_str(separators[next(separators.len())]);
                }
                text.push_str(vocabulary[next(vocabulary.len())]);
            }
            let q: Vec<&str> = (0..1 + next(3))
                .map(|_| vocabulary[next(vocabulary.len())])
                .collect();
            let q = q.join(" ");
            let other = "Ferry news";
            assert_eq!(
                snippet(&q, &[&text, other]),
                reference_snippet(&q, &[&text, other]),
                "{q:?} in {text:?}"
            );
        }
    }

    fn marked(raw: &str) -> String {
        raw.replace(OPEN, "[").replace(CLOSE, "]")
    }

    #[test]
    fn excerpts_mark_every_query_word_folding_case_and_accents() {
        let text = "Le Café de la Gare opened again; cafe owners said the café had waited.";
        let excerpt = snippet("CAFE gare", &[text]).map(|s| marked(&s));
        assert_eq!(
            excerpt.as_deref(),
            Some("Le [Café] de la [Gare] opened again; [cafe] owners said the [café] had waited.")
        );
    }

    #[test]
    fn excerpts_cut_around_the_best_window_and_fall_back_to_later_texts() {
        let words: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
        let mut text = words.join(" ");
        text.push_str(" harbour crane");
        let excerpt = marked(&snippet("harbour crane", &[&text]).expect("a match"));
        assert!(excerpt.starts_with('…'), "{excerpt}");
        assert!(excerpt.ends_with("[harbour] [crane]"), "{excerpt}");
        // Nothing in the body: the next text (the headline) is excerpted.
        let excerpt = snippet("crane", &["no match here", "New crane for the port"]);
        assert_eq!(
            excerpt.map(|s| marked(&s)).as_deref(),
            Some("New [crane] for the port")
        );
        assert_eq!(snippet("absent", &["nothing", "at all"]), None);
        // The first window with every word wins, however much text follows
        //; a lone word earlier does not.
        let text = format!(
            "crane {} harbour crane, then {} harbour crane again",
            words[..20].join(" "),
            words[20..].join(" ")
        );
        let excerpt = marked(&snippet("harbour crane", &[&text]).expect("a match"));
        assert!(
            excerpt.starts_with("…w18 w19 [harbour] [crane], then w20"),
            "{excerpt}"
        );
        assert!(excerpt.ends_with('…'), "{excerpt}");
        assert_eq!(excerpt.matches("[harbour]").count(), 1, "{excerpt}");
        assert_eq!(snippet("!!", &["anything"]), None);
    }
}
