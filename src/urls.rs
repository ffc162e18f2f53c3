//! Public URLs: where the newsroom's own site shows each article, section,
//! tag and author. A headless CMS does not render those pages, but feeds,
//! sitemaps, syndication and structured data must name them, and frontends
//! link with them; the site's address and the shape of its paths are
//! settings (`NEWSDESK_SITE_URL`, `NEWSDESK_ARTICLE_PATH`…), never code.
//!
//! One process serves one site: the settings are fixed when it starts
//! ([`configure`]); until then (tests, tools) the defaults apply.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDateTime};

/// The placeholders an article path may use.
const ARTICLE_PLACEHOLDERS: &[&str] = &["slug", "id", "section", "locale", "yyyy", "mm", "dd"];

/// A path pattern such as `/{section}/{yyyy}/{mm}/{dd}/{slug}`, parsed.
#[derive(Debug, Clone, PartialEq)]
struct Pattern {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Placeholder(String),
}

impl Pattern {
    /// Parses `text`: a path starting with `/`, with placeholders among
    /// `allowed` in braces and at least one of `required`.
    fn parse(
        setting: &str,
        text: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            text.starts_with('/'),
            "{setting} must be a path starting with `/`, got `{text}`"
        );
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let (literal, after) = rest.split_at(open);
            let close = after
                .find('}')
                .ok_or_else(|| anyhow::anyhow!("{setting}: `{{` without `}}` in `{text}`"))?;
            let name = &after[1..close];
            anyhow::ensure!(
                allowed.contains(&name),
                "{setting}: unknown placeholder `{{{name}}}` in `{text}` (known: {})",
                allowed
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !literal.is_empty() {
                parts.push(Part::Literal(literal.to_string()));
            }
            parts.push(Part::Placeholder(name.to_string()));
            rest = &after[close + 1..];
        }
        anyhow::ensure!(
            !rest.contains('}'),
            "{setting}: `}}` without `{{` in `{text}`"
        );
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        anyhow::ensure!(
            parts
                .iter()
                .any(|p| matches!(p, Part::Placeholder(n) if required.contains(&n.as_str()))),
            "{setting} must hold one of {} (so that every page has its own address), got `{text}`",
            required
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(" or ")
        );
        Ok(Self {
            source: text.to_string(),
            parts,
        })
    }

    /// The path with each placeholder's value, percent-encoded.
    fn expand(&self, value: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(name) => encode_segment(&value(name), &mut out),
            }
        }
        out
    }
}

/// Appends `text` as one path segment: unreserved characters as they are,
/// everything else (`/`, spaces, Cyrillic…) percent-encoded as UTF-8.
fn encode_segment(text: &str, out: &mut String) {
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
}

/// Checks a setting that must be an absolute http(s) address without a
/// query or fragment (a site's or an API's root).
fn http_address(setting: &str, value: &str) -> anyhow::Result<()> {
    let parsed = url::Url::parse(value)
        .map_err(|e| anyhow::anyhow!("{setting} `{value}` is not a URL: {e}"))?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "http" | "https")
            && parsed.host_str().is_some()
            && parsed.query().is_none()
            && parsed.fragment().is_none(),
        "{setting} must be an http(s) address without query or fragment, got `{value}`"
    );
    Ok(())
}

/// The public address of everything, from the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicUrls {
    name: String,
    api: String,
    site: String,
    article: Pattern,
    section: Pattern,
    tag: Pattern,
    author: Pattern,
}

/// What an article's path may be made of.
pub struct ArticleParts<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its slug.
    pub slug: &'a str,
    /// Its primary section's slug.
    pub section: &'a str,
    /// Its locale.
    pub locale: &'a str,
    /// When it was first published (the date in its path never moves), or
    /// made, for an article never published.
    pub date: NaiveDateTime,
}

impl ArticleParts<'_> {
    /// The date an article's path carries: its first publication, else its
    /// publication, else (never published) its creation.
    pub fn path_date(
        first_published_at: Option<NaiveDateTime>,
        published_at: Option<NaiveDateTime>,
        created_at: NaiveDateTime,
    ) -> NaiveDateTime {
        first_published_at.or(published_at).unwrap_or(created_at)
    }
}

/// The defaults: a site at `http://localhost:3000` (a frontend's development
/// server) with the paths most news sites use.
pub const DEFAULT_SITE: &str = "http://localhost:3000";
/// Default public address of the API itself (media files in feeds).
pub const DEFAULT_API: &str = "http://localhost:8080";
/// Default publication name.
pub const DEFAULT_NAME: &str = "newsdesk";
/// Default article path.
pub const DEFAULT_ARTICLE_PATH: &str = "/{section}/{slug}";
/// Default section path.
pub const DEFAULT_SECTION_PATH: &str = "/{section}";
/// Default tag path.
pub const DEFAULT_TAG_PATH: &str = "/tags/{tag}";
/// Default author path.
pub const DEFAULT_AUTHOR_PATH: &str = "/authors/{id}";

impl PublicUrls {
    /// Checks the settings: an absolute `http(s)` site address without a
    /// query, and path patterns with known placeholders.
    pub fn new(
        site: &str,
        article: &str,
        section: &str,
        tag: &str,
        author: &str,
    ) -> anyhow::Result<Self> {
        http_address("NEWSDESK_SITE_URL", site)?;
        Ok(Self {
            name: DEFAULT_NAME.to_string(),
            api: DEFAULT_API.to_string(),
            site: site.trim_end_matches('/').to_string(),
            article: Pattern::parse(
                "NEWSDESK_ARTICLE_PATH",
                article,
                ARTICLE_PLACEHOLDERS,
                &["slug", "id"],
            )?,
            section: Pattern::parse("NEWSDESK_SECTION_PATH", section, &["section"], &["section"])?,
            tag: Pattern::parse("NEWSDESK_TAG_PATH", tag, &["tag"], &["tag"])?,
            author: Pattern::parse("NEWSDESK_AUTHOR_PATH", author, &["id"], &["id"])?,
        })
    }

    /// The site's address, without a trailing slash.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// The publication's name, as feeds and news sitemaps print it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An address of this API (`/api/v1/media/…`) as readers outside
    /// reach it: relative paths get the API's public address in front.
    pub fn api(&self, path: &str) -> String {
        if path.starts_with('/') {
            format!("{}{path}", self.api)
        } else {
            path.to_string()
        }
    }

    /// The same, with the API's public address (its CDN's, say): an
    /// absolute http(s) address. Feeds and syndication name media files by
    /// it; it is a setting rather than the request's `Host`, which a
    /// client could forge into a cached feed.
    pub fn with_api(mut self, api: &str) -> anyhow::Result<Self> {
        http_address("NEWSDESK_PUBLIC_API_URL", api)?;
        self.api = api.trim_end_matches('/').to_string();
        Ok(self)
    }

    /// The same, under another publication name (at most 200 characters,
    /// not blank).
    pub fn named(mut self, name: &str) -> anyhow::Result<Self> {
        let name = name.trim();
        anyhow::ensure!(
            !name.is_empty() && name.chars().count() <= 200,
            "NEWSDESK_PUBLICATION_NAME must be 1 to 200 characters"
        );
        self.name = name.to_string();
        Ok(self)
    }

    /// An article's address.
    /// An article's canonical address: the URL its editors set
    /// (`seo.canonical_url`) when there is one, else its path on the site.
    pub fn canonical_article(&self, canonical_url: Option<&str>, a: &ArticleParts<'_>) -> String {
        canonical_url.map_or_else(|| self.article(a), str::to_string)
    }

    pub fn article(&self, a: &ArticleParts<'_>) -> String {
        let path = self.article.expand(|name| match name {
            "slug" => a.slug.to_string(),
            "id" => a.id.to_string(),
            "section" => a.section.to_string(),
            "locale" => a.locale.to_string(),
            "yyyy" => format!("{:04}", a.date.year()),
            "mm" => format!("{:02}", a.date.month()),
            "dd" => format!("{:02}", a.date.day()),
            _ => String::new(),
        });
        format!("{}{path}", self.site)
    }

    /// A section's address.
    pub fn section(&self, slug: &str) -> String {
        format!("{}{}", self.site, self.section.expand(|_| slug.to_string()))
    }

    /// A tag's address.
    pub fn tag(&self, slug: &str) -> String {
        format!("{}{}", self.site, self.tag.expand(|_| slug.to_string()))
    }

    /// A staff author's address.
    pub fn author(&self, id: &str) -> String {
        format!("{}{}", self.site, self.author.expand(|_| id.to_string()))
    }

    /// What stored documents rendered with these settings are keyed by.
    pub fn key(&self) -> String {
        format!(
            "{} {} {} {} {} {} {}",
            self.name,
            self.api,
            self.site,
            self.article.source,
            self.section.source,
            self.tag.source,
            self.author.source
        )
    }
}

impl Default for PublicUrls {
    fn default() -> Self {
        // The defaults are valid patterns; should that ever break, every
        // test that reads a `url` says so.
        Self::new(
            DEFAULT_SITE,
            DEFAULT_ARTICLE_PATH,
            DEFAULT_SECTION_PATH,
            DEFAULT_TAG_PATH,
            DEFAULT_AUTHOR_PATH,
        )
        .unwrap_or_else(|e| panic!("default public URLs: {e}"))
    }
}

static URLS: OnceLock<PublicUrls> = OnceLock::new();

/// Sets this process's public URLs (the first call wins: one process serves
/// one site).
pub fn configure(urls: PublicUrls) {
    let _ = URLS.set(urls);
}

/// This process's public URLs.
pub fn get() -> &'static PublicUrls {
    URLS.get_or_init(PublicUrls::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(date: &str) -> ArticleParts<'static> {
        ArticleParts {
            id: "0193c5a2-7d1e-7cc0-9a35-0f1e2d3c4b00",
            slug: "talks-resume",
            section: "world",
            locale: "en",
            date: NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M:%S").expect("a time"),
        }
    }

    #[test]
    fn defaults_put_articles_under_their_section() {
        let urls = PublicUrls::default();
        assert_eq!(
            urls.article(&parts("2026-03-04 05:06:07")),
            "http://localhost:3000/world/talks-resume"
        );
        assert_eq!(urls.section("world"), "http://localhost:3000/world");
        assert_eq!(
            urls.tag("climate-policy"),
            "http://localhost:3000/tags/climate-policy"
        );
        assert_eq!(urls.author("u1"), "http://localhost:3000/authors/u1");
    }

    #[test]
    fn patterns_take_dates_and_encode_values() {
        let urls = PublicUrls::new(
            "https://news.example/",
            "/{locale}/{section}/{yyyy}/{mm}/{dd}/{slug}.html",
            "/rubrik/{section}",
            "/t/{tag}",
            "/by/{id}",
        )
        .expect("valid settings");
        assert_eq!(
            urls.article(&parts("2026-03-04 05:06:07")),
            "https://news.example/en/world/2026/03/04/talks-resume.html"
        );
        assert_eq!(
            urls.tag("wahl 2026/ß"),
            "https://news.example/t/wahl%202026%2F%C3%9F"
        );
        assert_eq!(urls.section("sport"), "https://news.example/rubrik/sport");
    }

    #[test]
    fn bad_settings_are_refused_with_the_setting_named() {
        let err = |site: &str, article: &str| {
            PublicUrls::new(site, article, "/{section}", "/tags/{tag}", "/a/{id}")
                .expect_err("refused")
                .to_string()
        };
        assert!(err("news.example", "/{slug}").contains("NEWSDESK_SITE_URL"));
        assert!(err("ftp://news.example", "/{slug}").contains("NEWSDESK_SITE_URL"));
        assert!(err("https://news.example?a=1", "/{slug}").contains("NEWSDESK_SITE_URL"));
        assert!(err("https://news.example", "{slug}").contains("starting with `/`"));
        assert!(err("https://news.example", "/{title}").contains("unknown placeholder"));
        assert!(err("https://news.example", "/{slug").contains("without"));
        assert!(err("https://news.example", "/{section}/{yyyy}").contains("{slug} or {id}"));
    }
}
