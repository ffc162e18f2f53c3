//! Queries on article rows: by id and slug, writes with a version check,
//! revisions, old slugs, and the filtered, keyset-paged lists.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::articles::model::{ArticleRow, RevisionRow};
use crate::articles::status::ArticleStatus;
use crate::db::schema::{article_bylines, article_media, article_revisions, articles};
use crate::db::{self, DbConn};

/// An article by id.
pub fn find_by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .find(id)
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// An article by locale and slug.
pub fn find_by_slug(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::locale.eq(locale))
        .filter(articles::slug.eq(slug))
        .select(ArticleRow::as_select())
        .first(conn)
        .optional()
}

/// Whether a slug is used in a locale by an article other than `except`.
pub fn slug_taken(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
    except: Option<&str>,
) -> QueryResult<bool> {
    let mut query = articles::table
        .filter(articles::locale.eq(locale))
        .filter(articles::slug.eq(slug))
        .select(articles::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(articles::id.ne(id.to_string()));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// Which of these slugs articles of `locale` have.
pub fn slugs_taken(conn: &mut DbConn, locale: &str, slugs: &[String]) -> QueryResult<Vec<String>> {
    articles::table
        .filter(articles::locale.eq(locale))
        .filter(articles::slug.eq_any(slugs))
        .select(articles::slug)
        .load(conn)
}

/// Inserts a new article.
pub fn insert_article(conn: &mut DbConn, row: &ArticleRow) -> QueryResult<()> {
    diesel::insert_into(articles::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Writes a whole article row if it is still at `version` (the row carries
/// the next version); whether it was written.
pub fn save_article(conn: &mut DbConn, row: &ArticleRow, version: i64) -> QueryResult<bool> {
    let n = diesel::update(
        articles::table
            .filter(articles::id.eq(&row.id))
            .filter(articles::version.eq(version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// Stores the next revision of an article.
pub fn add_revision(
    conn: &mut DbConn,
    article_id: &str,
    created_by: Option<&str>,
    note: &str,
    document: &str,
) -> QueryResult<i32> {
    let last: Option<i32> = article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .select(diesel::dsl::max(article_revisions::number))
        .first(conn)?;
    let number = last.unwrap_or(0) + 1;
    diesel::insert_into(article_revisions::table)
        .values(&RevisionRow {
            article_id: article_id.to_string(),
            number,
            created_by: created_by.map(str::to_string),
            created_at: db::now(),
            note: note.to_string(),
            document: document.to_string(),
        })
        .execute(conn)?;
    Ok(number)
}

/// An article's revisions, newest first (at most `limit`).
pub fn revisions(conn: &mut DbConn, article_id: &str, limit: i64) -> QueryResult<Vec<RevisionRow>> {
    article_revisions::table
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::number.desc())
        .limit(limit)
        .select(RevisionRow::as_select())
        .load(conn)
}

/// One revision.
pub fn revision(
    conn: &mut DbConn,
    article_id: &str,
    number: i32,
) -> QueryResult<Option<RevisionRow>> {
    article_revisions::table
        .find((article_id, number))
        .select(RevisionRow::as_select())
        .first(conn)
        .optional()
}

/// Whether a section filter matches primary sections, secondary ones or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SectionMatch {
    /// An article's section or one of its secondary sections.
    #[default]
    Either,
    /// An article's own section.
    Primary,
    /// One of its secondary sections.
    Secondary,
}

/// How a tag narrows a listing: its articles looked up (and then sorted),
/// or the publication order walked and each article tested for the tag,
/// which stops after a page when the tag is common.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagPlan {
    /// The tag's articles, looked up.
    #[default]
    Among,
    /// The publication order walked, down to this publication time
    /// (inclusive) when there is one.
    Walk {
        /// Where the walk stops.
        down_to: Option<NaiveDateTime>,
    },
}

/// Which articles a listing shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArticleFilter {
    /// Only these sections (primary or secondary).
    pub section_ids: Option<Vec<String>>,
    /// How `section_ids` matches: either way, or (a listing's two halves,
    /// each read in index order and merged) only one.
    pub section_match: SectionMatch,
    /// Only articles whose primary section is this one, by id or slug,
    /// looked up in the listing's own statement (a section's page in one
    /// statement rather than two). An unknown section matches nothing.
    pub section_key: Option<String>,
    /// Only with this tag id.
    pub tag_id: Option<String>,
    /// How the tag is tested.
    pub tag_plan: TagPlan,
    /// Only by this user (writer or byline).
    pub author: Option<String>,
    /// Only from this source.
    pub source: Option<String>,
    /// Published at or after.
    pub published_after: Option<NaiveDateTime>,
    /// Published before.
    pub published_before: Option<NaiveDateTime>,
    /// Only this locale.
    pub locale: Option<String>,
    /// Staff listing by stored status; `None` is the public listing.
    pub status: Option<ArticleStatus>,
    /// A contributor's listing of what the public does not see: only what
    /// this user wrote or is bylined on.
    pub unpublished_of: Option<String>,
}

/// The statuses the public may see, tested on the row (see [`filtered`]).
const PUBLIC_STATUS: &str = "(articles.status || '') IN ('published', 'scheduled')";

/// Whether articles have `articles`' section as a secondary one.
const SECONDARY: &str =
    "EXISTS (SELECT 1 FROM article_sections x WHERE x.section_id = articles.section_id)";

/// The start of [`stored_item`]'s column, up to its bound render key.
const STORED_ITEM: &str =
    "(SELECT d.item FROM article_deliveries d WHERE d.article_id = articles.id \
     AND d.modified_at = articles.modified_at AND (d.render_key || '', TRUE) = (";

type Boxed<'a> = articles::BoxedQuery<'a, db::MultiBackend>;

fn filtered<'a>(filter: &ArticleFilter, now: NaiveDateTime) -> Boxed<'a> {
    filtered_as_of(filter, now, true)
}

/// [`filtered`]; `up_to_now` false leaves out the test that publication is
/// not after `now`, for a caller whose other conditions imply it.
fn filtered_as_of<'a>(filter: &ArticleFilter, now: NaiveDateTime, up_to_now: bool) -> Boxed<'a> {
    use crate::db::schema::{article_sections, article_tags, sections};
    let mut query = articles::table.into_boxed();
    if let Some(sections) = &filter.section_ids {
        // Literal lists, not one bound array (`db::json_among`): with the
        // array SQLite's planner walks the whole publication order for the
        // page, however small the section. One section (the usual page) is
        // compared with `=`: diesel prepares a statement with a list anew at
        // every use (11% of a section page's time).
        query = match (sections.as_slice(), filter.section_match) {
            ([one], SectionMatch::Primary) => query.filter(articles::section_id.eq(one.clone())),
            ([one], either_or_secondary) => {
                let secondary = article_sections::table
                    .filter(article_sections::section_id.eq(one.clone()))
                    .select(article_sections::article_id);
                if either_or_secondary == SectionMatch::Either {
                    query.filter(
                        articles::section_id
                            .eq(one.clone())
                            .or(articles::id.eq_any(secondary)),
                    )
                } else {
                    query.filter(articles::id.eq_any(secondary))
                }
            }
            (many, section_match) => {
                let secondary = article_sections::table
                    .filter(article_sections::section_id.eq_any(many.to_vec()))
                    .select(article_sections::article_id);
                match section_match {
                    SectionMatch::Either => query.filter(
                        articles::section_id
                            .eq_any(many.to_vec())
                            .or(articles::id.eq_any(secondary)),
                    ),
                    SectionMatch::Primary => {
                        query.filter(articles::section_id.eq_any(many.to_vec()))
                    }
                    SectionMatch::Secondary => query.filter(articles::id.eq_any(secondary)),
                }
            }
        };
    }
    if let Some(key) = &filter.section_key {
        query = match uuid::Uuid::parse_str(key) {
            Ok(id) => query.filter(articles::section_id.eq(id.to_string())),
            Err(_) => query.filter(
                articles::section_id.nullable().eq(sections::table
                    .filter(sections::slug.eq(key.clone()))
                    .select(sections::id)
                    .single_value()),
            ),
        };
    }
    if let Some(tag) = &filter.tag_id {
        query = match filter.tag_plan {
            TagPlan::Among => {
                let tagged = article_tags::table
                    .filter(article_tags::tag_id.eq(tag.clone()))
                    .select(article_tags::article_id);
                query.filter(articles::id.eq_any(tagged))
            }
            TagPlan::Walk { down_to } => {
                let query = query.filter(diesel::dsl::exists(
                    article_tags::table
                        .filter(article_tags::article_id.eq(articles::id))
                        .filter(article_tags::tag_id.eq(tag.clone())),
                ));
                match down_to {
                    Some(t) => query.filter(articles::published_at.ge(t)),
                    None => query,
                }
            }
        };
    }
    if let Some(author) = &filter.author {
        let bylined = article_bylines::table
            .filter(article_bylines::user_id.eq(author.clone()))
            .select(article_bylines::article_id);
        query = query.filter(
            articles::created_by
                .eq(author.clone())
                .or(articles::id.eq_any(bylined).nullable()),
        );
    }
    if let Some(source) = &filter.source {
        query = query.filter(articles::source.eq(source.clone()));
    }
    if let Some(t) = filter.published_after {
        query = query.filter(articles::published_at.ge(t));
    }
    if let Some(t) = filter.published_before {
        query = query.filter(articles::published_at.lt(t));
    }
    if let Some(locale) = &filter.locale {
        query = query.filter(articles::locale.eq(locale.clone()));
    }
    match filter.status {
        // What the public sees, decided now: lists leave archived ones out.
        // The status is tested on the row, not through an index: with two
        // statuses, an index on it returns two runs that must be sorted,
        // which made SQLite sort a whole section for every first page; the
        // (section, publication) and publication indexes read in order and
        // stop after a page.
        None | Some(ArticleStatus::Published) => {
            let query = query.filter(db::cached::fixed::<diesel::sql_types::Bool>(PUBLIC_STATUS));
            if up_to_now {
                query.filter(articles::published_at.le(now))
            } else {
                query
            }
            .filter(
                articles::embargo_until
                    .is_null()
                    .or(articles::embargo_until.le(now)),
            )
            .filter(
                articles::expires_at
                    .is_null()
                    .or(articles::expires_at.gt(now)),
            )
        }
        Some(status) => {
            let query = if status == ArticleStatus::Scheduled {
                query
                    .filter(articles::status.eq(ArticleStatus::Scheduled))
                    .filter(articles::published_at.gt(now))
            } else {
                query.filter(articles::status.eq(status))
            };
            match &filter.unpublished_of {
                Some(user) => {
                    let bylined = article_bylines::table
                        .filter(article_bylines::user_id.eq(user.clone()))
                        .select(article_bylines::article_id);
                    query.filter(
                        articles::created_by
                            .eq(user.clone())
                            .or(articles::id.eq_any(bylined).nullable()),
                    )
                }
                None => query,
            }
        }
    }
}

/// Whether a listing of this status is ordered by publication (else by last change).
pub fn ordered_by_publication(status: Option<ArticleStatus>) -> bool {
    matches!(
        status,
        None | Some(ArticleStatus::Published) | Some(ArticleStatus::Scheduled)
    )
}

/// How a list of articles is ordered (newest first, ties by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// By publication time.
    Published,
    /// By the update time shown to readers, or publication when never updated
    /// (last change for articles never published).
    Updated,
    /// By last change of any kind (staff listings of drafts and the like).
    Modified,
}

/// The sort key of `Updated`, also indexed (see the `sort_updated` migration).
const UPDATED_KEY: &str =
    "COALESCE(articles.updated_at, articles.published_at, articles.modified_at)";

impl ListOrder {
    /// The key of a row under this order, for cursors.
    pub fn key(self, row: &ArticleRow) -> NaiveDateTime {
        self.key_of(&SortTimes {
            id: String::new(),
            published_at: row.published_at,
            updated_at: row.updated_at,
            modified_at: row.modified_at,
        })
    }

    /// The key of an article's times under this order.
    pub fn key_of(self, t: &SortTimes) -> NaiveDateTime {
        match self {
            ListOrder::Published => t.published_at.unwrap_or(t.modified_at),
            ListOrder::Updated => t.updated_at.or(t.published_at).unwrap_or(t.modified_at),
            ListOrder::Modified => t.modified_at,
        }
    }
}

/// A page of articles after `after` (sort key, id), newest first.
pub fn list_articles(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    order: ListOrder,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<ArticleRow>> {
    page(filter, order, after, limit, now)
        .select(ArticleRow::as_select())
        .load(conn)
}

/// What a sitemap entry needs of an article: its address's parts, its
/// last change, its headline (news sitemaps) and its lead media.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct SitemapRow {
    pub id: String,
    pub slug: String,
    pub locale: String,
    pub section_id: String,
    pub canonical_url: Option<String>,
    pub headline: String,
    pub first_published_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub modified_at: NaiveDateTime,
    pub main_media_id: Option<String>,
}

/// Public articles of a listing for sitemaps, newest published first,
/// `skip` rows past `after` (no body read).
pub fn sitemap_rows(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    after: Option<&(NaiveDateTime, String)>,
    skip: i64,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<SitemapRow>> {
    page(filter, ListOrder::Published, after, limit, now)
        .offset(skip)
        .select(SitemapRow::as_select())
        .load(conn)
}

/// The oldest publication time among public articles.
pub fn first_publication(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    filtered(&ArticleFilter::default(), now)
        .order((articles::published_at.asc(), articles::id.asc()))
        .select(articles::published_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

/// [`list_articles`] reading only ids and times: for pages whose items are
/// mostly stored, whose rows (bodies included) need not be read.
/// With `items` (a render key), each article's stored list item as well.
pub fn list_keys(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    order: ListOrder,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
    items: Option<&str>,
) -> QueryResult<Vec<Keyed>> {
    keyed(conn, page(filter, order, after, limit, now), items, now)
}

/// [`list_keys`] for a filter by [`ArticleFilter::section_key`], with
/// whether any article has that section as a secondary one, read in the
/// same statement. `None` when the page is empty: then neither that nor
/// whether the section exists is known.
pub fn section_keys(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    order: ListOrder,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
    items: Option<&str>,
) -> QueryResult<(Vec<Keyed>, Option<bool>)> {
    let query = page(filter, order, after, limit, now);
    // Every row's section is the page's: each row's flag is the section's.
    let secondary = db::cached::fixed::<diesel::sql_types::Bool>(SECONDARY);
    let rows: Vec<(SortTimes, Option<String>, bool)> = match items {
        Some(key) => query
            .select((SortTimes::as_select(), stored_item(key, now), secondary))
            .load(conn)?,
        None => query
            .select((SortTimes::as_select(), secondary))
            .load::<(SortTimes, bool)>(conn)?
            .into_iter()
            .map(|(times, secondary)| (times, None, secondary))
            .collect(),
    };
    let secondary = rows.first().map(|(_, _, secondary)| *secondary);
    Ok((
        rows.into_iter()
            .map(|(times, item, _)| (times, item))
            .collect(),
        secondary,
    ))
}

/// An article of a list: its id and sort times, and its stored list item
/// when the list asked for items and a current one is stored.
pub type Keyed = (SortTimes, Option<String>);

/// The public first pages of sections by slug, each `(slug, rows)` read
/// as [`section_keys`] reads it for a filter of the slug alone, newest
/// first with the stored items rendered with `key`: on PostgreSQL, in one
/// statement for all (each page still read on its own, by a `LATERAL`
/// subquery per page asked for, the same page twice if asked twice).
/// Gathered reads of section pages ([`crate::articles::gathered`]) use it;
/// the conditions are [`filtered`]'s for the public listing.
pub fn section_pages(
    conn: &mut diesel::PgConnection,
    pages: &[(String, i64)],
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Vec<(Vec<Keyed>, Option<bool>)>> {
    use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = Nullable<Timestamp>)]
        published_at: Option<NaiveDateTime>,
        #[diesel(sql_type = Nullable<Timestamp>)]
        updated_at: Option<NaiveDateTime>,
        #[diesel(sql_type = Timestamp)]
        modified_at: NaiveDateTime,
        #[diesel(sql_type = Nullable<Text>)]
        item: Option<String>,
        #[diesel(sql_type = Bool)]
        secondary: bool,
    }
    let slugs: Vec<&str> = pages.iter().map(|(slug, _)| slug.as_str()).collect();
    let limits: Vec<i64> = pages.iter().map(|(_, limit)| *limit).collect();
    // Kept prepared (`sql_query` would parse and plan it at every use).
    let rows: Vec<Row> = db::cached::statement::<diesel::pg::Pg>("SELECT k.n, a.* FROM unnest(")
        .bind::<Array<Text>, _>(slugs, "::text[], ")
        .bind::<Array<BigInt>, _>(
            limits,
            format!(
                "::bigint[]) WITH ORDINALITY AS k(slug, lim, n) \
                 CROSS JOIN LATERAL (SELECT articles.id, articles.published_at, \
                 articles.updated_at, articles.modified_at, {STORED_ITEM}"
            ),
        )
        .bind::<Text, _>(key, ", coalesce(d.valid_until > ")
        .bind::<Timestamp, _>(
            now,
            format!(
                ", TRUE))) AS item, {SECONDARY} AS secondary FROM articles \
                 WHERE articles.section_id = \
                 (SELECT sections.id FROM sections WHERE sections.slug = k.slug LIMIT 1) \
                 AND {PUBLIC_STATUS} AND articles.published_at <= "
            ),
        )
        .bind::<Timestamp, _>(
            now,
            " AND (articles.embargo_until IS NULL OR articles.embargo_until <= ",
        )
        .bind::<Timestamp, _>(
            now,
            ") AND (articles.expires_at IS NULL OR articles.expires_at > ",
        )
        .bind::<Timestamp, _>(
            now,
            ") ORDER BY articles.published_at DESC, articles.id DESC LIMIT k.lim) a \
             ORDER BY k.n, a.published_at DESC, a.id DESC",
        )
        .load(conn)?;
    let mut found: Vec<(Vec<Keyed>, Option<bool>)> = vec![(Vec::new(), None); pages.len()];
    for row in rows {
        let Some((keys, secondary)) = usize::try_from(row.n - 1)
            .ok()
            .and_then(|i| found.get_mut(i))
        else {
            continue;
        };
        *secondary = Some(row.secondary);
        keys.push((
            SortTimes {
                id: row.id,
                published_at: row.published_at,
                updated_at: row.updated_at,
                modified_at: row.modified_at,
            },
            row.item,
        ));
    }
    Ok(found)
}

/// The [`Keyed`] rows of `query`.
fn keyed(
    conn: &mut DbConn,
    query: Boxed<'_>,
    items: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Vec<Keyed>> {
    match items {
        Some(key) => query
            .select((SortTimes::as_select(), stored_item(key, now)))
            .load(conn),
        None => Ok(query
            .select(SortTimes::as_select())
            .load::<SortTimes>(conn)?
            .into_iter()
            .map(|times| (times, None))
            .collect()),
    }
}

/// The SQL of [`stored_item`].
type StoredItem = crate::db::cached::Wrapped<
    diesel::sql_types::Nullable<diesel::sql_types::Text>,
    (
        diesel::dsl::AsExprOf<String, diesel::sql_types::Text>,
        crate::db::cached::Wrapped<
            diesel::sql_types::Bool,
            diesel::dsl::AsExprOf<NaiveDateTime, diesel::sql_types::Timestamp>,
        >,
    ),
>;

/// `articles.id`'s stored list item, as a column (SQL `NULL` when none is
/// current): rendered with `key`, not past its `valid_until` at `now`, and
/// of the article as it is (its `modified_at`). Read in the list's own
/// statement rather than by a second one: a round trip fewer per page on
/// PostgreSQL.
fn stored_item(key: &str, now: NaiveDateTime) -> StoredItem {
    use crate::db::cached::wrapped;
    use diesel::sql_types::{Text, Timestamp};
    // `wrapped` writes a tuple's values apart by commas: the two are
    // compared as a row, `(render_key, TRUE) = ($1, valid at $2)`. The
    // key as an expression (`|| ''`, which no index holds), so that
    // PostgreSQL finds the row by its primary key (the article's id) and
    // tests the key on it: by the index of render keys and ids, as it did,
    // every comparison on the way down went through the same 60-character
    // key before the id (search's twenty texts and items, `EXECUTE` in
    // `psycopg2`, 300 random pages at 100,000 articles: 552-599 against
    // 596-679 us a page). Search's texts compare it the same way.
    wrapped(
        STORED_ITEM,
        (
            key.to_string().into_sql::<Text>(),
            wrapped(
                "coalesce(d.valid_until > ",
                now.into_sql::<Timestamp>(),
                ", TRUE)",
            ),
        ),
        "))",
    )
}

/// A cursor's `(key, id) < (…)` test, as [`before_cursor`] makes it.
type BeforeCursor = crate::db::cached::Wrapped<
    diesel::sql_types::Bool,
    (
        diesel::dsl::AsExprOf<NaiveDateTime, diesel::sql_types::Timestamp>,
        diesel::dsl::AsExprOf<String, diesel::sql_types::Text>,
    ),
>;

/// `row < (key, id)`, `row` opening the comparison (`"(a, b) < ("`): row
/// values, which both backends compare in index order.
fn before_cursor(row: impl Into<String>, key: &NaiveDateTime, id: &str) -> BeforeCursor {
    use diesel::sql_types::{Text, Timestamp};
    crate::db::cached::wrapped(
        row,
        (
            (*key).into_sql::<Timestamp>(),
            id.to_string().into_sql::<Text>(),
        ),
        ")",
    )
}

fn page<'a>(
    filter: &ArticleFilter,
    order: ListOrder,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
) -> Boxed<'a> {
    use crate::db::cached::wrapped;
    use diesel::sql_types::Timestamp;
    // Past a cursor in publication order, that cursor bounds the
    // publication time: testing `published_at <= now` as well made SQLite
    // seek the (section, publication) index to now and walk the section
    // from its newest article down to the cursor (page 450 of a section:
    // 3.7 ms, against 0.14 ms seeking to the cursor, at 100,000 articles).
    // A cursor that names a later time than now (made up) keeps the test.
    let bounded = order == ListOrder::Published && after.is_some_and(|(key, _)| *key <= now);
    let mut query = filtered_as_of(filter, now, !bounded);
    if let Some((key, id)) = after {
        query = match order {
            ListOrder::Published => query.filter(before_cursor(
                "(articles.published_at, articles.id) < (",
                key,
                id,
            )),
            ListOrder::Updated => query.filter(before_cursor(
                format!("({UPDATED_KEY}, articles.id) < ("),
                key,
                id,
            )),
            ListOrder::Modified => query.filter(before_cursor(
                "(articles.modified_at, articles.id) < (",
                key,
                id,
            )),
        };
    }
    query = match order {
        ListOrder::Published => query.order((articles::published_at.desc(), articles::id.desc())),
        ListOrder::Updated => query.order(wrapped::<Timestamp, _>(
            format!("{UPDATED_KEY} DESC, articles.id DESC"),
            (),
            "",
        )),
        ListOrder::Modified => query.order((articles::modified_at.desc(), articles::id.desc())),
    };
    query.limit(limit)
}

/// The publication time of the `n`th article (from 1) in publication order
/// published by `now` and past the cursor `after`: where a walk of `n`
/// articles ends (`None`: there are fewer). Read from the publication index
/// alone.
pub fn nth_published(
    conn: &mut DbConn,
    after: Option<&(NaiveDateTime, String)>,
    n: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let mut query = articles::table
        .filter(articles::published_at.le(now))
        .into_boxed();
    if let Some((key, id)) = after {
        query = query.filter(before_cursor(
            "(articles.published_at, articles.id) < (",
            key,
            id,
        ));
    }
    Ok(query
        .order((articles::published_at.desc(), articles::id.desc()))
        .select(articles::published_at)
        .offset(n.max(1) - 1)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()?
        .flatten())
}

/// The articles among `ids` that a listing shows (in no particular order).
/// With `items` (a render key), each article's stored list item as well.
pub fn filter_ids(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    ids: &[String],
    now: NaiveDateTime,
    items: Option<&str>,
) -> QueryResult<Vec<Keyed>> {
    let query = filtered(filter, now);
    let query = match db::json_among(conn, "articles.id", ids) {
        Some(among) => query.filter(among),
        None => query.filter(articles::id.eq_any(ids)),
    };
    keyed(conn, query, items, now)
}

/// An article's id and the times lists sort by.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct SortTimes {
    pub id: String,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
    pub modified_at: NaiveDateTime,
}

/// These articles, in this order (ids that do not exist are left out).
pub fn in_order(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<ArticleRow>> {
    let mut rows: Vec<ArticleRow> = articles::table
        .filter(articles::id.eq_any(ids))
        .select(ArticleRow::as_select())
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// How many articles a listing matches.
pub fn count_articles(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    filtered(filter, now).count().get_result(conn)
}

/// Headlines of (at most `limit`) articles in a section, for a 409's message.
pub fn headlines_in_section(
    conn: &mut DbConn,
    section_id: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    articles::table
        .filter(articles::section_id.eq(section_id))
        .order(articles::id.asc())
        .limit(limit)
        .select(articles::headline)
        .load(conn)
}

/// The articles that use a media asset (lead media or body image): id, slug, headline.
pub fn using_media(
    conn: &mut DbConn,
    media_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    articles::table
        .inner_join(article_media::table)
        .filter(article_media::media_id.eq(media_id))
        .order(articles::id.asc())
        .select((articles::id, articles::slug, articles::headline))
        .load(conn)
}

/// Keeps an old slug pointing at its article (a later article may take it over).
pub fn remember_slug(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
    article_id: &str,
) -> QueryResult<()> {
    use crate::db::schema::article_slugs as s;
    diesel::delete(
        s::table
            .filter(s::locale.eq(locale))
            .filter(s::slug.eq(slug)),
    )
    .execute(conn)?;
    diesel::insert_into(s::table)
        .values((
            s::locale.eq(locale),
            s::slug.eq(slug),
            s::article_id.eq(article_id),
            s::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Forgets an old slug (it is an article's current slug again).
pub fn forget_slug(conn: &mut DbConn, locale: &str, slug: &str) -> QueryResult<()> {
    use crate::db::schema::article_slugs as s;
    diesel::delete(
        s::table
            .filter(s::locale.eq(locale))
            .filter(s::slug.eq(slug)),
    )
    .execute(conn)?;
    Ok(())
}

/// The article an old slug used to name.
pub fn article_for_old_slug(
    conn: &mut DbConn,
    locale: &str,
    slug: &str,
) -> QueryResult<Option<ArticleRow>> {
    use crate::db::schema::article_slugs as s;
    let id: Option<String> = s::table
        .filter(s::locale.eq(locale))
        .filter(s::slug.eq(slug))
        .select(s::article_id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => find_by_id(conn, &id),
        None => Ok(None),
    }
}
