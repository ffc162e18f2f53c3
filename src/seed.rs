//! `newsdesk seed --articles N`: a realistic synthetic newsroom for tests and
//! benchmarks — articles across the sections, with tags, bylines, bodies and
//! publication times spread over two years. Deterministic for a given N.

use chrono::Duration;

use crate::articles::dto::ArticleDocument;
use crate::articles::service::{self, Import};
use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::{sections, users};

const SUBJECTS: &[&str] = &[
    "City council",
    "Regional parliament",
    "Central bank",
    "Port authority",
    "University researchers",
    "Farmers",
    "Transport ministry",
    "Health officials",
    "Local startup",
    "National team",
    "Rail operator",
    "Energy regulator",
    "Teachers' union",
    "Coast guard",
    "Museum directors",
    "Weather service",
];
const VERBS: &[&str] = &[
    "approves",
    "rejects",
    "delays",
    "announces",
    "questions",
    "unveils",
    "expands",
    "cuts",
    "reviews",
    "defends",
    "suspends",
    "launches",
];
const OBJECTS: &[&str] = &[
    "housing plan",
    "budget for next year",
    "night train service",
    "flood defences",
    "school meals programme",
    "wind farm expansion",
    "rate decision",
    "hospital merger",
    "cycle lanes",
    "harbour dredging",
    "stadium renovation",
    "heat warning measures",
    "research grant",
    "water prices",
    "bus fares",
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
const SENTENCES: &[&str] = &[
    "The decision followed months of consultation with residents and local businesses.",
    "Critics said the plan left important questions unanswered.",
    "Officials expect the first results to be visible by next spring.",
    "The measure passed with a comfortable majority after a long debate.",
    "Independent experts cautioned that costs could rise further.",
    "Supporters called it a practical answer to a long-standing problem.",
    "A final vote is scheduled for the end of the month.",
    "The figures were published on the authority's website on Tuesday.",
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
}

/// Fills the database with `count` published articles (plus the demo
/// sections and staff they need), calling `progress` after each.
pub fn seed(
    conn: &mut DbConn,
    count: u64,
    default_locale: &str,
    mut progress: impl FnMut(u64),
) -> Result<u64, ApiError> {
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
    let mut rng = Lcg(count);
    let now = db::now();
    let mut done = 0;
    // Batches of writes in one transaction each: fast on SQLite, gentle on PostgreSQL.
    while done < count {
        let batch = (count - done).min(500);
        let mut imports = Vec::new();
        for i in 0..batch {
            let n = done + i;
            let headline = format!(
                "{} {} {} ({})",
                rng.pick(SUBJECTS),
                rng.pick(VERBS),
                rng.pick(OBJECTS),
                n + 1
            );
            let paragraphs: Vec<serde_json::Value> = (0..3 + rng.next() % 5)
                .map(|_| {
                    let text = (0..2 + rng.next() % 3)
                        .map(|_| rng.pick(SENTENCES))
                        .collect::<Vec<_>>()
                        .join(" ");
                    serde_json::json!({"type": "paragraph", "text": text})
                })
                .collect();
            let tags: Vec<&str> = (0..1 + rng.next() % 3).map(|_| rng.pick(TAGS)).collect();
            let doc: ArticleDocument = serde_json::from_value(serde_json::json!({
                "headline": headline,
                "slug": format!("{}-{}", crate::slug::slugify(&headline), n + 1),
                "kicker": tags[0],
                "summary": rng.pick(SENTENCES),
                "dateline": rng.pick(PLACES),
                "source": if rng.next().is_multiple_of(3) { "Northwire" } else { "Staff" },
                "section_id": section_ids[rng.next() % section_ids.len()],
                "tags": tags,
                "bylines": [{"user_id": staff[rng.next() % staff.len()], "role": "reporting"}],
                "body": paragraphs,
            }))
            .map_err(ApiError::internal)?;
            let at = now - Duration::minutes((n as i64) * 7 + (rng.next() % 7) as i64);
            imports.push(Import {
                writer: actor.id.clone(),
                doc,
                published_at: at,
            });
        }
        // Delivery documents are rendered in batches below, not one by one.
        crate::articles::delivery::deferred(|| {
            service::import_published(conn, &actor, imports, default_locale)
        })?;
        while crate::articles::delivery::drain(conn, 500)? > 0 {}
        done += batch;
        progress(done);
    }
    // Fresh statistics, so that the query planner knows the new data.
    diesel::connection::SimpleConnection::batch_execute(conn, "ANALYZE")?;
    Ok(done)
}
