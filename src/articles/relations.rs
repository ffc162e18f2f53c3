//! Queries of what an article links to and embeds: bylines, tags, secondary
//! sections, related articles, the media it uses, and its corrections log.
//! Reads take whole pages of articles at once, so a list costs a fixed number
//! of queries, never one per article.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::articles::body::Block;
use crate::articles::model::{ArticleRow, BylineRow, CorrectionRow, TagRow};
use crate::db::schema::{
    article_bylines, article_corrections, article_media, article_related, article_sections,
    article_tags, articles, media, sections, tags,
};
use crate::db::{self, DbConn};
use crate::media::model::MediaRow;
use crate::sections::model::SectionRow;

/// Everything that presenting a page of articles needs besides their rows.
#[derive(Default)]
pub struct Embedded {
    /// Primary and secondary sections, by id.
    pub sections: HashMap<String, SectionRow>,
    /// Lead media (and body images when asked), by id.
    pub media: HashMap<String, MediaRow>,
    /// Bylines by article id, in order.
    pub bylines: HashMap<String, Vec<BylineRow>>,
    /// Secondary section ids by article id.
    pub secondary: HashMap<String, Vec<String>>,
    /// Tags by article id, in order.
    pub tags: HashMap<String, Vec<TagRow>>,
}

/// Loads what `rows` embed, in five queries whatever their number.
pub fn embedded(
    conn: &mut DbConn,
    rows: &[ArticleRow],
    with_body_media: bool,
) -> QueryResult<Embedded> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut section_ids: Vec<String> = rows.iter().map(|r| r.section_id.clone()).collect();
    let secondary_rows: Vec<(String, String)> = article_sections::table
        .filter(article_sections::article_id.eq_any(&ids))
        .select((article_sections::article_id, article_sections::section_id))
        .load(conn)?;
    let mut secondary: HashMap<String, Vec<String>> = HashMap::new();
    for (article, section) in secondary_rows {
        section_ids.push(section.clone());
        secondary.entry(article).or_default().push(section);
    }
    let mut tags: HashMap<String, Vec<TagRow>> = HashMap::new();
    for (article, tag) in tags_of(conn, &ids)? {
        tags.entry(article).or_default().push(tag);
    }
    let mut media_ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r.main_media_id.clone())
        .collect();
    if with_body_media {
        for row in rows {
            for block in serde_json::from_str::<Vec<Block>>(&row.body).unwrap_or_default() {
                if let Block::Image { media_id, .. } = block {
                    media_ids.push(media_id);
                }
            }
        }
    }
    let sections: Vec<SectionRow> = sections::table
        .filter(sections::id.eq_any(&section_ids))
        .select(SectionRow::as_select())
        .load(conn)?;
    let media: Vec<MediaRow> = media::table
        .filter(media::id.eq_any(&media_ids))
        .select(MediaRow::as_select())
        .load(conn)?;
    let mut bylines: HashMap<String, Vec<BylineRow>> = HashMap::new();
    for b in bylines_of(conn, &ids)? {
        bylines.entry(b.article_id.clone()).or_default().push(b);
    }
    Ok(Embedded {
        sections: sections.into_iter().map(|s| (s.id.clone(), s)).collect(),
        media: media.into_iter().map(|m| (m.id.clone(), m)).collect(),
        bylines,
        secondary,
        tags,
    })
}

/// The related articles of each of `article_ids`, in the editor's order
/// (whatever their status), in two queries.
pub fn related_of_many(
    conn: &mut DbConn,
    article_ids: &[String],
) -> QueryResult<HashMap<String, Vec<ArticleRow>>> {
    let links: Vec<(String, String)> = article_related::table
        .filter(article_related::article_id.eq_any(article_ids))
        .order((
            article_related::article_id.asc(),
            article_related::position.asc(),
        ))
        .select((article_related::article_id, article_related::related_id))
        .load(conn)?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let mut wanted: Vec<&String> = links.iter().map(|(_, r)| r).collect();
    wanted.sort();
    wanted.dedup();
    let rows: HashMap<String, ArticleRow> = articles::table
        .filter(articles::id.eq_any(wanted))
        .select(ArticleRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut related: HashMap<String, Vec<ArticleRow>> = HashMap::new();
    for (article, other) in links {
        if let Some(row) = rows.get(&other) {
            related.entry(article).or_default().push(row.clone());
        }
    }
    Ok(related)
}

/// Whether any article has one of these sections as a secondary section.
pub fn have_secondary(conn: &mut DbConn, section_ids: &[String]) -> QueryResult<bool> {
    // One section with `=`, a statement diesel keeps prepared.
    match section_ids {
        [one] => diesel::select(diesel::dsl::exists(
            article_sections::table.filter(article_sections::section_id.eq(one)),
        ))
        .get_result(conn),
        many => diesel::select(diesel::dsl::exists(
            article_sections::table.filter(article_sections::section_id.eq_any(many)),
        ))
        .get_result(conn),
    }
}

/// The corrections logs of `article_ids`, each in order, in one query.
pub fn corrections_of_many(
    conn: &mut DbConn,
    article_ids: &[String],
) -> QueryResult<HashMap<String, Vec<CorrectionRow>>> {
    let rows: Vec<CorrectionRow> = article_corrections::table
        .filter(article_corrections::article_id.eq_any(article_ids))
        .order((
            article_corrections::article_id.asc(),
            article_corrections::created_at.asc(),
            article_corrections::id.asc(),
        ))
        .select(CorrectionRow::as_select())
        .load(conn)?;
    let mut by_article: HashMap<String, Vec<CorrectionRow>> = HashMap::new();
    for row in rows {
        by_article
            .entry(row.article_id.clone())
            .or_default()
            .push(row);
    }
    Ok(by_article)
}

/// Slug and name of these sections, by id (for compact lists such as the feed).
pub fn section_names(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<HashMap<String, (String, String)>> {
    let rows: Vec<(String, String, String)> = sections::table
        .filter(sections::id.eq_any(ids))
        .select((sections::id, sections::slug, sections::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name)| (id, (slug, name)))
        .collect())
}

/// A page of tags by slug after `after`, optionally only those starting with `prefix`.
pub fn list_tags(
    conn: &mut DbConn,
    prefix: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<TagRow>> {
    let mut q = tags::table.select(TagRow::as_select()).into_boxed();
    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
        // Slugs hold no LIKE wildcards, so the prefix needs no escaping.
        q = q.filter(tags::slug.like(format!("{p}%")));
    }
    if let Some(after) = after {
        q = q.filter(tags::slug.gt(after.to_string()));
    }
    q.order(tags::slug.asc()).limit(limit).load(conn)
}

/// The bylines of several articles at once (for lists: no N+1).
pub fn bylines_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<BylineRow>> {
    article_bylines::table
        .filter(article_bylines::article_id.eq_any(ids))
        .order((
            article_bylines::article_id.asc(),
            article_bylines::position.asc(),
        ))
        .select(BylineRow::as_select())
        .load(conn)
}

/// Replaces an article's tags, secondary sections and related articles.
pub fn replace_relations(
    conn: &mut DbConn,
    article_id: &str,
    tags: &[(String, String)],
    section_ids: &[String],
    related: &[String],
) -> QueryResult<()> {
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(article_id)))
        .execute(conn)?;
    for (position, (name, slug)) in tags.iter().enumerate() {
        let tag = ensure_tag(conn, name, slug)?;
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(article_id),
                article_tags::tag_id.eq(&tag.id),
                article_tags::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    diesel::delete(article_sections::table.filter(article_sections::article_id.eq(article_id)))
        .execute(conn)?;
    for section_id in section_ids {
        diesel::insert_into(article_sections::table)
            .values((
                article_sections::article_id.eq(article_id),
                article_sections::section_id.eq(section_id),
            ))
            .execute(conn)?;
    }
    diesel::delete(article_related::table.filter(article_related::article_id.eq(article_id)))
        .execute(conn)?;
    for (position, related_id) in related.iter().enumerate() {
        diesel::insert_into(article_related::table)
            .values((
                article_related::article_id.eq(article_id),
                article_related::position.eq(position as i32),
                article_related::related_id.eq(related_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces an article's bylines and the set of media it uses.
pub fn replace_links(
    conn: &mut DbConn,
    article_id: &str,
    bylines: &[BylineRow],
    media_ids: &[String],
) -> QueryResult<()> {
    diesel::delete(article_bylines::table.filter(article_bylines::article_id.eq(article_id)))
        .execute(conn)?;
    for b in bylines {
        diesel::insert_into(article_bylines::table)
            .values(b)
            .execute(conn)?;
    }
    diesel::delete(article_media::table.filter(article_media::article_id.eq(article_id)))
        .execute(conn)?;
    for media_id in media_ids {
        diesel::insert_into(article_media::table)
            .values((
                article_media::article_id.eq(article_id),
                article_media::media_id.eq(media_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Appends to the corrections log.
pub fn add_correction(conn: &mut DbConn, row: &CorrectionRow) -> QueryResult<()> {
    diesel::insert_into(crate::db::schema::article_corrections::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The tag with this name's slug, made if it does not exist.
pub fn ensure_tag(conn: &mut DbConn, name: &str, slug: &str) -> QueryResult<TagRow> {
    if let Some(tag) = find_tag_by_slug(conn, slug)? {
        return Ok(tag);
    }
    let row = TagRow {
        id: db::new_id(),
        slug: slug.to_string(),
        name: name.to_string(),
        created_at: db::now(),
    };
    diesel::insert_into(tags::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// A tag by slug.
pub fn find_tag_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<TagRow>> {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(TagRow::as_select())
        .first(conn)
        .optional()
}

/// The tags of several articles, in each article's order.
pub fn tags_of(conn: &mut DbConn, article_ids: &[String]) -> QueryResult<Vec<(String, TagRow)>> {
    article_tags::table
        .inner_join(tags::table)
        .filter(article_tags::article_id.eq_any(article_ids))
        .order((article_tags::article_id.asc(), article_tags::position.asc()))
        .select((article_tags::article_id, TagRow::as_select()))
        .load(conn)
}

/// Whether the user is among the article's bylines.
pub fn is_bylined(conn: &mut DbConn, article_id: &str, user_id: &str) -> QueryResult<bool> {
    use crate::db::schema::article_bylines;
    diesel::select(diesel::dsl::exists(
        article_bylines::table
            .filter(article_bylines::article_id.eq(article_id))
            .filter(article_bylines::user_id.eq(user_id)),
    ))
    .get_result(conn)
}
