//! Lists of articles: one function owns the filters, the order, full-text
//! search and paging, so that the handler only parses and answers.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::articles::dto::{ArticleListQuery, ArticleResponse};
use crate::articles::present::{self, BodyFormat};
use crate::articles::queries::{self, ArticleFilter, ListOrder, SectionMatch, TagPlan};
use crate::articles::status::ArticleStatus;
use crate::articles::{relations, search};
use crate::auth::role::{Actor, Role};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::http::pagination::{decode_cursor, encode_cursor, split_page, Page, WriteJson};
use crate::sections;

/// A list request, checked: what to show, in which order, which page.
pub struct ListRequest {
    filter: ArticleFilter,
    section: Option<String>,
    include_subsections: bool,
    tag: Option<String>,
    search: Option<String>,
    by_relevance: bool,
    order: ListOrder,
    position: Position,
    limit: i64,
    with_total: bool,
    format: BodyFormat,
    /// Whole list items (no `fields`): stored items may be spliced in.
    whole: bool,
}

/// Where a page starts: after a keyset position, or (ranked search) at an
/// offset within the ranking.
enum Position {
    After(Option<(NaiveDateTime, String)>),
    Offset(usize),
}

/// An article in a list: presented now, or its stored item (see
/// `delivery`), spliced into the page as it is.
pub enum ListItem {
    /// Presented for this request.
    Built(Box<ArticleResponse>),
    /// The stored JSON of a published article's list item.
    Stored {
        /// Its id.
        id: String,
        /// Its last change.
        modified_at: NaiveDateTime,
        /// The item's JSON, as rendered when the article was saved.
        json: String,
    },
}

impl ListItem {
    /// The article's id.
    pub fn id(&self) -> &str {
        match self {
            ListItem::Built(a) => &a.id,
            ListItem::Stored { id, .. } => id,
        }
    }

    /// The article's last change.
    pub fn modified_at(&self) -> NaiveDateTime {
        match self {
            ListItem::Built(a) => a.modified_at,
            ListItem::Stored { modified_at, .. } => *modified_at,
        }
    }

    /// The item with a search excerpt: a presented article carries it in
    /// its place; a stored item's JSON gets it as its last member.
    pub fn with_snippet(self, snippet: Option<String>) -> Result<Self, ApiError> {
        let Some(snippet) = snippet else {
            return Ok(self);
        };
        Ok(match self {
            ListItem::Built(mut a) => {
                a.snippet = Some(snippet);
                ListItem::Built(a)
            }
            ListItem::Stored {
                id,
                modified_at,
                json,
            } => {
                let open = json.strip_suffix('}').ok_or_else(|| {
                    ApiError::internal(format!("stored item of {id} is not an object"))
                })?;
                let value = serde_json::to_string(&snippet).map_err(ApiError::internal)?;
                let comma = if open.trim_end().ends_with('{') {
                    ""
                } else {
                    ","
                };
                let json = format!("{open}{comma}\"snippet\":{value}}}");
                ListItem::Stored {
                    id,
                    modified_at,
                    json,
                }
            }
        })
    }

    /// The presented article, owned (see [`ListItem::built`]).
    pub fn into_built(self) -> Option<ArticleResponse> {
        match self {
            ListItem::Built(a) => Some(*a),
            ListItem::Stored { .. } => None,
        }
    }

    /// The presented article (`fields=` trims those; stored items are only
    /// used for whole items).
    pub fn built(&self) -> Option<&ArticleResponse> {
        match self {
            ListItem::Built(a) => Some(a),
            ListItem::Stored { .. } => None,
        }
    }
}

impl WriteJson for ListItem {
    /// A stored item is copied as it is: this server wrote it, and
    /// validating it again was a twentieth of a section page's time.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            ListItem::Built(a) => serde_json::to_writer(out, a),
            ListItem::Stored { json, .. } => {
                out.extend_from_slice(json.as_bytes());
                Ok(())
            }
        }
    }
}

/// One page of a list.
pub struct ListPage {
    /// The articles.
    pub items: Vec<ListItem>,
    /// The cursor of the next page.
    pub next_cursor: Option<String>,
    /// How many match, when asked.
    pub total: Option<i64>,
}

impl ListRequest {
    /// Checks a list query: 400 naming the parameter that is wrong. Staff
    /// may ask for statuses the public never sees (contributors get only
    /// their own and their bylines' then).
    pub fn new(
        query: ArticleListQuery,
        page: &Page,
        with_total: bool,
        fields: Option<&[String]>,
        viewer: Option<&Actor>,
    ) -> Result<Self, ApiError> {
        let staff = viewer.is_some_and(Actor::is_staff);
        let status = query
            .status
            .as_deref()
            .map(|s| {
                s.parse::<ArticleStatus>().map_err(|_| {
                    ApiError::bad_param(
                        "status",
                        "must be draft, in_review, scheduled, published, archived or withdrawn",
                    )
                })
            })
            .transpose()?;
        if status.is_some_and(|s| s != ArticleStatus::Published) && !staff {
            // The public only ever sees published articles; asking for more is not an error to hide.
            return Err(ApiError::bad_param(
                "status",
                "only staff may list articles that are not published",
            ));
        }
        let search = query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_string);
        let (by_relevance, order) = match query.sort.as_deref() {
            None => (search.is_some(), None),
            Some("-published_at") => (false, Some(ListOrder::Published)),
            Some("-updated_at") => (false, Some(ListOrder::Updated)),
            // Without a search every article is as relevant as the next:
            // the default order, newest first.
            Some("relevance") => (search.is_some(), None),
            Some(_) => {
                return Err(ApiError::bad_param(
                    "sort",
                    "must be -published_at, -updated_at or relevance",
                ))
            }
        };
        let cursor = page.cursor.as_deref().filter(|c| !c.is_empty());
        // Search results are ranked, so they page by position in the ranking.
        let position = match (&search, cursor) {
            (Some(_), Some(c)) => Position::Offset(decode_cursor::<usize>(c)?),
            (None, Some(c)) => Position::After(Some(decode_cursor(c)?)),
            (_, None) => Position::After(None),
        };
        let order = order.unwrap_or(if queries::ordered_by_publication(status) {
            ListOrder::Published
        } else {
            ListOrder::Modified
        });
        Ok(Self {
            filter: ArticleFilter {
                section_ids: None,
                section_match: SectionMatch::Either,
                section_key: None,
                tag_id: None,
                tag_plan: TagPlan::Among,
                author: query.author,
                source: query.source,
                published_after: time_param("published_after", query.published_after)?,
                published_before: time_param("published_before", query.published_before)?,
                locale: query.locale,
                status,
                unpublished_of: viewer
                    .filter(|v| v.role == Role::Contributor)
                    .map(|v| v.id.clone()),
            },
            section: query.section,
            include_subsections: query.include_subsections.unwrap_or(false),
            tag: query.tag,
            search,
            by_relevance,
            order,
            position,
            limit: page.limit(),
            with_total,
            format: present::format_for(fields, BodyFormat::None),
            whole: fields.is_none(),
        })
    }

    /// The section slug and the rows (the page and one more) of a public
    /// section's first page that PostgreSQL's gathered reads can answer
    /// ([`crate::articles::gathered`]): a section by slug and nothing else
    /// (no other filter, no cursor, the default order, whole items, no
    /// total). `None` for any other list.
    pub fn gathered_section(&self) -> Option<(String, i64)> {
        // The public listing with no filter (a filter added later is one
        // more reason not to gather, without a word here).
        let plain = self.filter == ArticleFilter::default()
            && !self.include_subsections
            && self.tag.is_none()
            && self.search.is_none()
            && matches!(self.position, Position::After(None))
            && self.order == ListOrder::Published
            && self.whole
            && !self.with_total;
        let slug = self.section.as_ref().filter(|_| plain)?;
        // A section named by its id takes the usual way.
        if uuid::Uuid::parse_str(slug).is_ok() {
            return None;
        }
        Some((slug.clone(), self.limit + 1))
    }

    /// The page [`Self::gathered_section`]'s read makes, as [`list`] makes
    /// it from the same rows: when no article has the section as a
    /// secondary one and every item of the page is stored (`None` otherwise, and for an
    /// empty page, which [`list`] reads again to tell an unknown section).
    pub fn gathered_page(
        &self,
        (keys, secondary): (Vec<queries::Keyed>, Option<bool>),
    ) -> Option<ListPage> {
        if secondary != Some(false) {
            return None;
        }
        let order = self.order;
        let (keys, next_cursor) =
            split_page(keys, self.limit, |(t, _)| (order.key_of(t), t.id.clone()));
        let (slots, missing) = stored(keys);
        if !missing.is_empty() {
            return None;
        }
        Some(ListPage {
            items: slots.into_iter().flatten().collect(),
            next_cursor,
            total: None,
        })
    }

    /// The page size asked for.
    pub fn limit(&self) -> i64 {
        self.limit
    }
}

fn time_param(name: &str, value: Option<String>) -> Result<Option<NaiveDateTime>, ApiError> {
    value
        .as_deref()
        .map(|v| {
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|t| db::truncate(t.naive_utc()))
                .map_err(|_| {
                    ApiError::bad_param(
                        name,
                        "must be an RFC 3339 time such as 2026-11-26T09:00:00Z",
                    )
                })
        })
        .transpose()
}

/// The page a list request asks for; `key` is the render key of the
/// stored items this server splices in.
pub fn list(
    conn: &mut DbConn,
    mut request: ListRequest,
    widths: &[u32],
    key: &str,
) -> Result<ListPage, ApiError> {
    let now = db::now();
    let empty = ListPage {
        items: Vec::new(),
        next_cursor: None,
        total: request.with_total.then_some(0),
    };
    // An unknown section or tag matches nothing: an empty page, not an error.
    // Whether articles have the section as a secondary one, when known.
    let mut secondary = None;
    // A section's page (not a search, not with its subsections), the
    // common read, is one statement: the section is looked up by the
    // page's own statement, below.
    let by_key = request.section.is_some()
        && !request.include_subsections
        && request.search.is_none()
        && matches!(request.position, Position::After(_));
    if let Some(key) = request.section.as_ref().filter(|_| !by_key) {
        if request.include_subsections {
            match sections::queries::find_by_id_or_slug(conn, key)? {
                Some(s) => {
                    request.filter.section_ids =
                        Some(sections::queries::with_descendants(conn, &s.id)?)
                }
                None => return Ok(empty),
            }
        } else {
            match sections::queries::find_with_secondary(conn, key)? {
                Some((s, has)) => {
                    request.filter.section_ids = Some(vec![s.id]);
                    secondary = Some(has);
                }
                None => return Ok(empty),
            }
        }
    }
    if let Some(slug) = &request.tag {
        match relations::find_tag_by_slug(conn, slug)? {
            Some(t) => request.filter.tag_id = Some(t.id),
            None => return Ok(empty),
        }
    }
    if let Some(q) = request.search.take() {
        return ranked(conn, &request, &q, widths, key, now);
    }
    let Position::After(after) = &request.position else {
        return Ok(empty);
    };
    let limit = request.limit;
    let order = request.order;
    // The page's ids and sort times first (no bodies read), with the stored
    // items of whole ones: most items are stored ready, and only the
    // others' rows are loaded.
    let items = request.whole.then_some(key);
    // A section's page by the section's key, the same statement telling
    // whether articles have the section as a secondary one. Only when they
    // do (or the page is empty, which tells nothing, not even whether the
    // section exists) is the section looked up and the rest read as below.
    let mut whole_page = None;
    let mut primary = None;
    if let Some(section) = request.section.as_ref().filter(|_| by_key) {
        request.filter.section_key = Some(section.clone());
        let (keys, has_secondary) = queries::section_keys(
            conn,
            &request.filter,
            order,
            after.as_ref(),
            limit + 1,
            now,
            items,
        )?;
        if has_secondary == Some(false) {
            whole_page = Some(keys);
        } else {
            request.filter.section_key = None;
            match sections::queries::find_with_secondary(conn, section)? {
                Some((s, has)) => {
                    request.filter.section_ids = Some(vec![s.id]);
                    secondary = Some(has);
                }
                None => return Ok(empty),
            }
            if !keys.is_empty() {
                primary = Some(keys);
            }
        }
    }
    let keys = if let Some(keys) = whole_page {
        keys
    } else if let Some(sections) = &request.filter.section_ids {
        // Articles in the section, and those with it as a secondary
        // section: each half read in index order, then merged. Few articles
        // have secondary sections: when none has these, the second half is
        // not asked for (SQLite would walk the whole publication index
        // looking for them).
        let mut halves = Vec::new();
        let mut matches = Vec::new();
        match primary.take() {
            Some(keys) => halves.extend(keys),
            None => matches.push(SectionMatch::Primary),
        }
        let has_secondary = match secondary {
            Some(known) => known,
            None => relations::have_secondary(conn, sections)?,
        };
        if has_secondary {
            matches.push(SectionMatch::Secondary);
        }
        for half in matches {
            let filter = ArticleFilter {
                section_match: half,
                ..request.filter.clone()
            };
            halves.extend(queries::list_keys(
                conn,
                &filter,
                order,
                after.as_ref(),
                limit + 1,
                now,
                items,
            )?);
        }
        halves.sort_by(|(a, _), (b, _)| {
            (order.key_of(b), b.id.as_str()).cmp(&(order.key_of(a), a.id.as_str()))
        });
        halves.dedup_by(|(a, _), (b, _)| a.id == b.id);
        halves.truncate(usize::try_from(limit + 1).unwrap_or(0));
        halves
    } else if request.filter.tag_id.is_some()
        && order == ListOrder::Published
        && matches!(conn, DbConn::Sqlite(_))
    {
        tagged_keys(conn, &request.filter, after.as_ref(), limit + 1, now, items)?
    } else {
        queries::list_keys(
            conn,
            &request.filter,
            order,
            after.as_ref(),
            limit + 1,
            now,
            items,
        )?
    };
    let (keys, next_cursor) = split_page(keys, limit, |(t, _)| (order.key_of(t), t.id.clone()));
    let total = if request.with_total {
        Some(queries::count_articles(conn, &request.filter, now)?)
    } else {
        None
    };
    let items = page_items(conn, &request, keys, widths, now)?;
    Ok(ListPage {
        items,
        next_cursor,
        total,
    })
}

/// How far a tag's page walks the publication order before it looks the
/// tag's articles up instead: a tag on one article in forty fills a page
/// of fifty within the walk.
static TAG_WALK: AtomicI64 = AtomicI64::new(2000);

/// Sets how far a tag's page walks (tests: a page must not depend on it).
#[doc(hidden)]
pub fn set_tag_walk(articles: i64) {
    TAG_WALK.store(articles.max(1), Ordering::Relaxed);
}

/// The keys of a tag's page in publication order. Looking the tag's
/// articles up reads every one of them before the sort (a tag on 9,500 of
/// 100,000 articles: 16 ms, most of a random feed's time); walking the
/// publication order and testing each article stops after a page when the
/// tag is common (0.3 ms for that tag). The walk goes at most
/// [`TAG_WALK`] articles (those published by now, whatever they are); a
/// tag too rare to fill the page within them is looked up after all.
/// SQLite only: on PostgreSQL at 5,000 articles the
/// walk answered random feeds 12 % slower (620-690 req/s against 760-780),
/// and it has not been measured larger there.
fn tagged_keys(
    conn: &mut DbConn,
    filter: &ArticleFilter,
    after: Option<&(NaiveDateTime, String)>,
    limit: i64,
    now: NaiveDateTime,
    items: Option<&str>,
) -> Result<Vec<queries::Keyed>, ApiError> {
    let order = ListOrder::Published;
    let walk_length = TAG_WALK.load(Ordering::Relaxed);
    let down_to = queries::nth_published(conn, after, walk_length, now)?;
    let walk = ArticleFilter {
        tag_plan: TagPlan::Walk { down_to },
        ..filter.clone()
    };
    let walked = queries::list_keys(conn, &walk, order, after, limit, now, items)?;
    // A full page, or a walk that went to the oldest article: that is the
    // page.
    if walked.len() as i64 >= limit || down_to.is_none() {
        return Ok(walked);
    }
    Ok(queries::list_keys(
        conn, filter, order, after, limit, now, items,
    )?)
}

/// A page of search results: rank ids only, filter them, then load and
/// excerpt just the page.
fn ranked(
    conn: &mut DbConn,
    request: &ListRequest,
    q: &str,
    widths: &[u32],
    key: &str,
    now: NaiveDateTime,
) -> Result<ListPage, ApiError> {
    let offset = match request.position {
        Position::Offset(offset) => offset,
        Position::After(_) => 0,
    };
    let limit = usize::try_from(request.limit).unwrap_or(0);
    // The candidates a page needs: its own, those before it and one more (is
    // there a next page?), with room for a few the caller may not see (a
    // quarter more: twice as many cost 12 % more CPU per random search, as
    // each candidate is looked up, and readers see nearly all of them).
    // Relevance ranks the candidates' prefix alike whatever their number, so
    // a page read from fewer is the page read from all; all are read when a
    // total is asked for, another order, or too few were visible.
    let needed = offset.saturating_add(limit).saturating_add(1);
    let fewer = i64::try_from(needed.saturating_add(needed / 4).saturating_add(2))
        .unwrap_or(search::MAX_CANDIDATES)
        .min(search::MAX_CANDIDATES);
    let mut candidates = if request.by_relevance && !request.with_total {
        fewer
    } else {
        search::MAX_CANDIDATES
    };
    let mut found = loop {
        let ids = search::search(conn, q, candidates)?;
        let rank: HashMap<&str, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect();
        // Visibility only: the stored items of the page shown are read
        // with its texts below.
        let mut found = queries::filter_ids(conn, &request.filter, &ids, now, None)?;
        found.sort_by_key(|(t, _)| rank.get(t.id.as_str()).copied().unwrap_or(usize::MAX));
        // Fewer ids than asked for: every candidate there is.
        let complete = (ids.len() as i64) < candidates || candidates == search::MAX_CANDIDATES;
        if complete || found.len() >= needed {
            break found;
        }
        candidates = search::MAX_CANDIDATES;
    };
    if !request.by_relevance {
        let order = request.order;
        found.sort_by(|(a, _), (b, _)| order.key_of(b).cmp(&order.key_of(a)).then(b.id.cmp(&a.id)));
    }
    let total = found.len();
    let page: Vec<queries::Keyed> = found.into_iter().skip(offset).take(limit).collect();
    let ids: Vec<String> = page.iter().map(|(t, _)| t.id.clone()).collect();
    let next_cursor = (offset + page.len() < total).then(|| encode_cursor(&(offset + page.len())));
    let mut texts = search::texts(conn, &ids, request.whole.then_some(key))?;
    let page: Vec<queries::Keyed> = page
        .into_iter()
        .map(|(times, _)| {
            let item = texts
                .get_mut(&times.id)
                .and_then(|t| t.take_item(times.modified_at, now));
            (times, item)
        })
        .collect();
    let mut snippets: HashMap<String, String> = ids
        .iter()
        .filter_map(|id| {
            let found = texts.remove(id)?;
            let snippet = search::snippet(q, &[&found.body, &found.summary, &found.headline])?;
            Some((id.clone(), search::snippet_html(&snippet)))
        })
        .collect();
    let items = page_items(conn, request, page, widths, now)?;
    let items = items
        .into_iter()
        .map(|item| {
            let snippet = snippets.remove(item.id());
            item.with_snippet(snippet)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(ListPage {
        items,
        next_cursor,
        total: request.with_total.then_some(total as i64),
    })
}

/// The items of a page's articles, in its order: whole items are the
/// stored ones where current (see [`spliced`]); trimmed ones are presented.
fn page_items(
    conn: &mut DbConn,
    request: &ListRequest,
    keys: Vec<queries::Keyed>,
    widths: &[u32],
    now: NaiveDateTime,
) -> Result<Vec<ListItem>, ApiError> {
    if request.whole {
        return spliced(conn, keys, widths, now);
    }
    let ids: Vec<String> = keys.into_iter().map(|(t, _)| t.id).collect();
    let rows = queries::in_order(conn, &ids)?;
    Ok(built(present::present_list(
        conn,
        rows,
        request.format,
        widths,
        now,
    )?))
}

fn built(items: Vec<ArticleResponse>) -> Vec<ListItem> {
    items
        .into_iter()
        .map(|a| ListItem::Built(Box::new(a)))
        .collect()
}

/// In page order, each article's stored item, or `None` for its place
/// among those to present; and the ids of those (in order).
fn stored(keys: Vec<queries::Keyed>) -> (Vec<Option<ListItem>>, Vec<String>) {
    let mut slots = Vec::with_capacity(keys.len());
    let mut missing = Vec::new();
    for (times, item) in keys {
        match item {
            Some(json) => slots.push(Some(ListItem::Stored {
                json,
                id: times.id,
                modified_at: times.modified_at,
            })),
            None => {
                slots.push(None);
                missing.push(times.id);
            }
        }
    }
    (slots, missing)
}

/// Whole list items: the stored ones where current (read with the page's
/// keys), the others presented now (with the same fixed number of queries
/// for the page).
fn spliced(
    conn: &mut DbConn,
    keys: Vec<queries::Keyed>,
    widths: &[u32],
    now: NaiveDateTime,
) -> Result<Vec<ListItem>, ApiError> {
    let (slots, missing) = stored(keys);
    let missing = if missing.is_empty() {
        Vec::new()
    } else {
        queries::in_order(conn, &missing)?
    };
    let mut presented = present::present_list(conn, missing, BodyFormat::None, widths, now)?
        .into_iter()
        .map(|a| ListItem::Built(Box::new(a)));
    Ok(slots
        .into_iter()
        .filter_map(|slot| slot.or_else(|| presented.next()))
        .collect())
}
