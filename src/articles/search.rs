//! Full-text search: FTS5 on SQLite, a weighted tsvector with a GIN index on
//! PostgreSQL. Raw SQL per backend; the index is written with every save.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use crate::db::DbConn;

/// How many ranked matches a search returns before visibility and filters.
pub const MAX_CANDIDATES: i64 = 500;

/// How many of the newest matches a search ranks. News readers want recent
/// results, and a common word matches most of the archive: scoring every
/// match made a two-word search cost hundreds of milliseconds at 100,000
/// articles. The newest matches (by when each article was first saved) are
/// found in index order, which lets the engine stop early, and only they
/// are scored; older ones are found with a narrower query or a
/// `published_before` filter.
pub const RECENT_MATCHES: i64 = 2000;

// Private-use characters mark the highlighted words until the snippet is
// escaped, so article text can never forge markup.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

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
            diesel::sql_query("INSERT OR IGNORE INTO article_search_keys (article_id) VALUES (?)")
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
        }
    }
    Ok(())
}

/// A ranked match.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    /// The article.
    #[diesel(sql_type = Text)]
    pub article_id: String,
    /// Higher is better.
    #[diesel(sql_type = Double)]
    pub score: f64,
}

/// A highlighted excerpt of a match.
#[derive(Debug, Clone, QueryableByName)]
pub struct Snippet {
    /// The article.
    #[diesel(sql_type = Text)]
    pub article_id: String,
    /// Text with the matches between the private-use marks.
    #[diesel(sql_type = Text)]
    pub snippet: String,
}

fn fts5_query(q: &str) -> String {
    q.split_whitespace()
        .take(16)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The best matches of `q` (at most [`MAX_CANDIDATES`]), best first. Only
/// ids and scores: excerpts are made afterwards for the page shown.
pub fn search(conn: &mut DbConn, q: &str) -> QueryResult<Vec<Hit>> {
    let hits = match conn {
        DbConn::Sqlite(c) => {
            let query = fts5_query(q);
            if query.is_empty() {
                return Ok(Vec::new());
            }
            // FTS5 walks the index from the newest rowid down and stops
            // after the newest matches; bm25 scores only those.
            diesel::sql_query(
                "SELECT article_id, score FROM \
                 (SELECT article_id, -bm25(articles_fts, 0.0, 10.0, 4.0, 1.0) AS score \
                  FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT ?) \
                 ORDER BY score DESC, article_id DESC LIMIT ?",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(RECENT_MATCHES)
            .bind::<BigInt, _>(MAX_CANDIDATES)
            .load::<Hit>(c)?
        }
        // Ids are UUIDv7: their order is the order articles were made in.
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT m.article_id, ts_rank(m.document, q)::float8 AS score \
             FROM plainto_tsquery('simple', $1) q, \
             LATERAL (SELECT s.article_id, s.document FROM article_search s \
                      WHERE s.document @@ q ORDER BY s.article_id DESC LIMIT $2) m \
             ORDER BY score DESC, m.article_id DESC LIMIT $3",
        )
        .bind::<Text, _>(q)
        .bind::<BigInt, _>(RECENT_MATCHES)
        .bind::<BigInt, _>(MAX_CANDIDATES)
        .load::<Hit>(c)?,
    };
    Ok(hits)
}

/// Highlighted excerpts of `q` in these articles.
pub fn snippets(conn: &mut DbConn, q: &str, ids: &[String]) -> QueryResult<Vec<Snippet>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let snippets = match conn {
        DbConn::Sqlite(c) => {
            let query = fts5_query(q);
            if query.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; ids.len()].join(", ");
            let mut statement = diesel::sql_query(format!(
                "SELECT article_id, snippet(articles_fts, -1, '{OPEN}', '{CLOSE}', '…', 16) AS snippet \
                 FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN \
                 (SELECT rowid FROM article_search_keys WHERE article_id IN ({marks}))"
            ))
            .into_boxed()
            .bind::<Text, _>(query);
            for id in ids {
                statement = statement.bind::<Text, _>(id.clone());
            }
            statement.load::<Snippet>(c)?
        }
        DbConn::Postgres(c) => diesel::sql_query(format!(
            "SELECT s.article_id, \
             ts_headline('simple', s.headline || ' — ' || s.body, q, 'StartSel={OPEN},StopSel={CLOSE},MaxWords=24,MinWords=8') AS snippet \
             FROM article_search s, plainto_tsquery('simple', $1) q \
             WHERE s.article_id = ANY($2)"
        ))
        .bind::<Text, _>(q)
        .bind::<diesel::sql_types::Array<Text>, _>(ids)
        .load::<Snippet>(c)?,
    };
    Ok(snippets)
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
