//! Full-text search: FTS5 on SQLite, a weighted tsvector with a GIN index on
//! PostgreSQL. Raw SQL per backend; the index is written with every save.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

use crate::db::DbConn;

/// How many ranked matches a search considers before visibility and filters.
pub const MAX_CANDIDATES: i64 = 500;

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
            diesel::sql_query(
                "SELECT article_id, -bm25(articles_fts, 0.0, 10.0, 4.0, 1.0) AS score \
                 FROM articles_fts WHERE articles_fts MATCH ? ORDER BY score DESC LIMIT ?",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(MAX_CANDIDATES)
            .load::<Hit>(c)?
        }
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT s.article_id, ts_rank(s.document, q)::float8 AS score \
             FROM article_search s, plainto_tsquery('simple', $1) q \
             WHERE s.document @@ q ORDER BY score DESC, s.article_id LIMIT $2",
        )
        .bind::<Text, _>(q)
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
