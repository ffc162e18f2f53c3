//! Distribution: public URLs in the API, and RSS, Atom and JSON Feed read
//! back with a real feed parser (feed-rs): only public articles, newest
//! first, with bylines, categories, the lead image's credit and copyright,
//! hostile text escaped, and 304 on a repeated request.

use newsdesk::auth::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::crash::{free_port, start_binary, Running};
use crate::events::{created_id, draft, publish, section};
use crate::helpers::{assert_problem, header, TestApp};
use crate::media::{jpeg_bytes, upload};
use crate::{both_backends, with_settings};

/// Text that breaks naive XML: markup, an ampersand, quotes, Cyrillic and
/// an emoji (control characters never get in: the API refuses them).
const HOSTILE: &str = "Мир & <b>\"war\"</b> 'talks' 🌍 ]]>";

struct Newsroom {
    token: String,
    sub: String,
    /// Published, in the section, with a photo: the newest.
    lead: String,
    /// Published, in the subsection.
    second: String,
    /// A draft, an embargoed and a withdrawn article: never in a feed.
    hidden: Vec<String>,
    author: String,
}

async fn newsroom(app: &TestApp) -> Newsroom {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.clone();
    let section_id = section(app, &token, "World").await;
    let sub = created_id(
        app.send_json(
            Method::POST,
            "/api/v1/sections",
            Some(&token),
            &json!({"name": "Europe", "parent_id": section_id}),
        )
        .await,
    )
    .await;
    let res = upload(
        app,
        &token,
        "harbour.jpg",
        "image/jpeg",
        jpeg_bytes(400, 300),
        Some(json!({"caption": "The harbour at dawn", "credit": {
            "creators": ["Lena Brandt"], "provider": "Northwire Photo",
            "copyright_holder": "Northwire Photo", "copyright_notice": "© Northwire Photo 2026"
        }})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let media: Value = res.json().await.expect("json");
    let media_id = media["id"].as_str().expect("media id").to_string();

    let second = draft(
        app,
        &token,
        json!({"headline": "Ferry timetable changes", "section_id": sub,
               "summary": "Fewer crossings in winter.",
               "body": [{"type": "paragraph", "text": "The ferry runs less often."}]}),
    )
    .await;
    publish(app, &token, &second, json!({})).await;
    let lead = draft(
        app,
        &token,
        json!({"headline": HOSTILE, "section_id": section_id, "slug": "talks-resume",
               "summary": "Both sides & <i>their</i> hopes.", "tags": ["Diplomacy"],
               "bylines": [{"user_id": editor.id}, {"name": "Guest Writer"}],
               "main_media": {"media_id": media_id},
               "body": [{"type": "paragraph", "text": "Talks resumed on Saturday."}]}),
    )
    .await;
    publish(app, &token, &lead, json!({})).await;

    let mut hidden = Vec::new();
    let unpublished = draft(
        app,
        &token,
        json!({"headline": "Draft only", "section_id": section_id}),
    )
    .await;
    hidden.push(unpublished);
    let embargoed = draft(
        app,
        &token,
        json!({"headline": "Embargoed report", "section_id": section_id,
               "embargo_until": "2099-01-01T00:00:00Z"}),
    )
    .await;
    publish(app, &token, &embargoed, json!({})).await;
    hidden.push(embargoed);
    let withdrawn = draft(
        app,
        &token,
        json!({"headline": "Withdrawn story", "section_id": section_id}),
    )
    .await;
    publish(app, &token, &withdrawn, json!({})).await;
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{withdrawn}/withdraw"),
            Some(&token),
        )
        .send()
        .await
        .expect("withdraw");
    assert_eq!(res.status(), 200, "withdraw");
    hidden.push(withdrawn);
    Newsroom {
        token,
        sub,
        lead,
        second,
        hidden,
        author: editor.id.clone(),
    }
}

/// A feed, fetched and parsed; its raw text too.
async fn fetch(app: &TestApp, path: &str, media_type: &str) -> (feed_rs::model::Feed, String) {
    let res = app.get(path, None).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some(format!("{media_type}; charset=utf-8").as_str())
    );
    assert!(header(&res, "cache-control")
        .unwrap_or_default()
        .starts_with("public"));
    assert!(header(&res, "surrogate-key")
        .unwrap_or_default()
        .contains("feeds"));
    let text = res.text().await.expect("body");
    if media_type == "application/feed+json" {
        check_json_feed(&serde_json::from_str(&text).expect("JSON"));
    }
    let feed = feed_rs::parser::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{text}"));
    (feed, text)
}

/// Validates a JSON Feed against the JSON Schema of JSON Feed 1.1
/// (`tests/schemas/jsonfeed-1.1.json`, from the `jsonfeed-schema` package;
/// jsonfeed.org publishes none of its own). It is strict: no property
/// outside the specification but `_`-prefixed extensions.
fn check_json_feed(doc: &Value) {
    let errors = schema_errors("jsonfeed-1.1.json", doc);
    assert!(errors.is_empty(), "not JSON Feed 1.1: {errors:#?}\n{doc:#}");
}

fn ids(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| e.id.trim_start_matches("urn:uuid:").to_string())
        .collect()
}

async fn article_json(app: &TestApp, id: &str) -> Value {
    let res = app.get(&format!("/api/v1/articles/{id}"), None).await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn every_format_lists_public_articles_with_credits(app: &TestApp) {
    let room = newsroom(app).await;
    let lead = article_json(app, &room.lead).await;
    let url = lead["url"].as_str().expect("url");
    assert_eq!(url, "http://localhost:3000/world/talks-resume");
    assert_eq!(lead["section"]["url"], "http://localhost:3000/world");
    assert_eq!(
        lead["tags"][0]["url"],
        "http://localhost:3000/tags/diplomacy"
    );
    assert_eq!(
        lead["bylines"][0]["url"],
        format!("http://localhost:3000/authors/{}", room.author)
    );
    assert_eq!(lead["bylines"][1]["url"], Value::Null);

    for (format, media_type) in [
        ("rss", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ] {
        let (feed, text) = fetch(app, &format!("/api/v1/feeds/{format}"), media_type).await;
        // Newest first; nothing unpublished, embargoed or withdrawn.
        assert_eq!(
            ids(&feed),
            vec![room.lead.clone(), room.second.clone()],
            "{format}"
        );
        for hidden in &room.hidden {
            assert!(!text.contains(hidden.as_str()), "{format} shows {hidden}");
        }
        let entry = &feed.entries[0];
        assert_eq!(
            entry.title.as_ref().map(|t| t.content.as_str()),
            Some(HOSTILE),
            "{format}: the hostile headline survives escaping"
        );
        assert_eq!(
            entry.links.first().map(|l| l.href.as_str()),
            Some(url),
            "{format}"
        );
        assert!(entry.published.is_some(), "{format}");
        let authors: Vec<&str> = entry
            .authors
            .iter()
            .filter_map(|a| a.name.as_deref())
            .collect();
        assert_eq!(authors.len(), 2, "{format}: {authors:?}");
        assert!(authors.contains(&"Guest Writer"), "{format}");
        assert!(text.contains("Northwire Photo 2026"), "{format}: copyright");
        assert!(text.contains("Lena Brandt"), "{format}: credit");
        if format == "json" {
            let doc: Value = serde_json::from_str(&text).expect("json");
            assert_eq!(doc["version"], "https://jsonfeed.org/version/1.1");
            let item = &doc["items"][0];
            assert_eq!(item["tags"], json!(["World", "Diplomacy"]));
            assert!(item["image"].as_str().unwrap_or("").starts_with("http"));
            assert_eq!(
                item["_newsdesk"]["image_copyright"],
                "© Northwire Photo 2026"
            );
            assert_eq!(
                item["_newsdesk"]["image_credit"],
                lead["main_media"]["credit_line"]
            );
        } else {
            let terms: Vec<String> = entry
                .categories
                .iter()
                .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
                .collect();
            assert!(terms.contains(&"World".to_string()), "{format}: {terms:?}");
            assert!(
                terms.contains(&"Diplomacy".to_string()),
                "{format}: {terms:?}"
            );
            let media = entry.media.first().expect("media:content");
            let credits: Vec<&str> = media.credits.iter().map(|c| c.entity.as_str()).collect();
            assert_eq!(
                credits,
                vec![lead["main_media"]["credit_line"].as_str().unwrap_or("")],
                "{format}"
            );
            assert!(media
                .content
                .first()
                .and_then(|c| c.url.as_ref())
                .is_some_and(|u| u.as_str().starts_with("http")));
            assert!(text.contains("<media:copyright>© Northwire Photo 2026</media:copyright>"));
        }
    }

    // Full bodies on request; summaries by default.
    let (_, text) = fetch(app, "/api/v1/feeds/rss?content=full", "application/rss+xml").await;
    assert!(text.contains("content:encoded"));
    assert!(text.contains("Talks resumed on Saturday."));
    let (_, text) = fetch(app, "/api/v1/feeds/rss", "application/rss+xml").await;
    assert!(!text.contains("content:encoded"));
}

async fn feeds_narrow_to_a_section_tag_author_or_locale(app: &TestApp) {
    let room = newsroom(app).await;
    let path = |query: &str| format!("/api/v1/feeds/atom?{query}");
    // The section with its subsection; the subsection alone.
    let (feed, _) = fetch(app, &path("section=world"), "application/atom+xml").await;
    assert_eq!(ids(&feed), vec![room.lead.clone(), room.second.clone()]);
    let (feed, _) = fetch(
        app,
        &path(&format!("section={}", room.sub)),
        "application/atom+xml",
    )
    .await;
    assert_eq!(ids(&feed), vec![room.second.clone()]);
    let (feed, _) = fetch(app, &path("tag=diplomacy"), "application/atom+xml").await;
    assert_eq!(ids(&feed), vec![room.lead.clone()]);
    let (feed, _) = fetch(
        app,
        &path(&format!("author={}", room.author)),
        "application/atom+xml",
    )
    .await;
    assert!(ids(&feed).contains(&room.lead));
    let (feed, _) = fetch(app, &path("locale=en&limit=1"), "application/atom+xml").await;
    assert_eq!(ids(&feed), vec![room.lead.clone()]);
    let (feed, _) = fetch(app, &path("locale=de"), "application/atom+xml").await;
    assert!(feed.entries.is_empty());
    let (feed, _) = fetch(
        app,
        &path("section=no-such-section"),
        "application/atom+xml",
    )
    .await;
    assert!(feed.entries.is_empty());

    // Bad parameters are problems.
    for bad in [
        "/api/v1/feeds/rss?limit=0",
        "/api/v1/feeds/rss?limit=101",
        "/api/v1/feeds/rss?content=everything",
        "/api/v1/feeds/rss?colour=red",
    ] {
        assert_problem(app.get(bad, None).await, 400).await;
    }
}

async fn feeds_answer_304_and_change_with_content(app: &TestApp) {
    let room = newsroom(app).await;
    let res = app.get("/api/v1/feeds/rss", None).await;
    let etag = header(&res, "etag").expect("etag");
    assert!(header(&res, "last-modified").is_some());
    let conditional = |name: &'static str, value: String| {
        app.request(Method::GET, "/api/v1/feeds/rss", None)
            .header(name, value)
            .send()
    };
    let res = conditional("If-None-Match", etag.clone())
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    assert_eq!(res.text().await.expect("body"), "");
    // Sitemaps and ninjs documents are validated the same way.
    let room_ninjs = format!("/api/v1/articles/{}/ninjs", room.lead);
    for path in [
        "/api/v1/sitemaps/news.xml",
        "/api/v1/sitemaps/index.xml",
        room_ninjs.as_str(),
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        let etag = header(&res, "etag").expect("etag");
        let res = app
            .request(Method::GET, path, None)
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 304, "{path}");
    }
    // A correction of the headline changes the feed.
    let version = article_json(app, &room.second).await["version"]
        .as_i64()
        .expect("version");
    let res = app
        .request(
            Method::PATCH,
            &format!("/api/v1/articles/{}", room.second),
            Some(&room.token),
        )
        .header("Content-Type", "application/merge-patch+json")
        .header("If-Match", format!("\"{version}\""))
        .body(json!({"headline": "Ferry timetable changed"}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200, "patch");
    let res = app
        .request(Method::GET, "/api/v1/feeds/rss", None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let held = header(&res, "last-modified").expect("last-modified");
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("Ferry timetable changed"));
    // Withdrawing the story changed last takes the feed's newest change
    // back in time: a reader that sends only If-Modified-Since with the
    // date it holds gets the feed without it, never a 304 that would keep
    // it (only the ETag is exact).
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{}/withdraw", room.second),
            Some(&room.token),
        )
        .send()
        .await
        .expect("withdraw");
    assert_eq!(res.status(), 200, "withdraw");
    let res = conditional("If-Modified-Since", held)
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let text = res.text().await.expect("body");
    assert!(text.contains(room.lead.as_str()));
    assert!(!text.contains(room.second.as_str()));
}

/// The path on the test server of an address the API names with its
/// public address (`NEWSDESK_PUBLIC_API_URL`, the default in tests).
fn api_path(loc: &str) -> String {
    loc.strip_prefix(newsdesk::urls::DEFAULT_API)
        .unwrap_or_else(|| panic!("{loc} is not an address of this API"))
        .to_string()
}

/// Checks a sitemap or sitemap index: well-formed (a real XML parser),
/// its root in the sitemaps.org namespace, and, when
/// `NEWSDESK_TEST_SITEMAP_XSD` names the folder holding the official
/// `sitemap.xsd` (CI takes it from the npm registry), valid by xmllint
/// against that schema (a urlset, with the image and news extensions'
/// schemas of `tests/schemas/`) or against the sitemap index's.
fn check_sitemap(xml: &str, root: &str) {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not XML: {e}\n{xml}"));
    assert_eq!(doc.root_element().tag_name().name(), root);
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let Some(official) = std::env::var_os("NEWSDESK_TEST_SITEMAP_XSD") else {
        eprintln!(
            "NEWSDESK_TEST_SITEMAP_XSD is not set: sitemaps were parsed, not validated by XSD"
        );
        return;
    };
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas");
    let dir = std::env::temp_dir().join(format!("newsdesk-xsd-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let schema = if root == "sitemapindex" {
        ours.join("siteindex.xsd")
    } else {
        let wrapper = dir.join("all.xsd");
        let imports = [
            (
                "http://www.sitemaps.org/schemas/sitemap/0.9",
                std::path::PathBuf::from(&official).join("sitemap.xsd"),
            ),
            (
                "http://www.google.com/schemas/sitemap-image/1.1",
                ours.join("sitemap-image.xsd"),
            ),
            (
                "http://www.google.com/schemas/sitemap-news/0.9",
                ours.join("sitemap-news.xsd"),
            ),
        ];
        let mut text = String::from(
            "<?xml version=\"1.0\"?>\n<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n",
        );
        for (namespace, path) in imports {
            assert!(path.exists(), "{} is missing", path.display());
            text.push_str(&format!(
                "<xsd:import namespace=\"{namespace}\" schemaLocation=\"{}\"/>\n",
                path.display()
            ));
        }
        text.push_str("</xsd:schema>\n");
        std::fs::write(&wrapper, text).expect("wrapper schema");
        wrapper
    };
    let file = dir.join("sitemap.xml");
    std::fs::write(&file, xml).expect("sitemap file");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint runs (apt-get install libxml2-utils)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "xmllint refuses the {root}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn xml(app: &TestApp, path: &str) -> String {
    let res = app.get(path, None).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/xml; charset=utf-8"),
        "{path}"
    );
    res.text().await.expect("body")
}

/// The texts of every element named `name`, of the sitemap or the news
/// namespace (an image's `image:loc` is not a page's `loc`).
fn texts(xml: &str, name: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("XML");
    doc.descendants()
        .filter(|n| {
            n.tag_name().name() == name
                && n.tag_name().namespace()
                    != Some("http://www.google.com/schemas/sitemap-image/1.1")
        })
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

async fn sitemaps_list_public_articles_sections_and_news(app: &TestApp) {
    let room = newsroom(app).await;
    let lead = article_json(app, &room.lead).await;
    let second = article_json(app, &room.second).await;
    let index = xml(app, "/api/v1/sitemaps/index.xml").await;
    check_sitemap(&index, "sitemapindex");
    let locs = texts(&index, "loc");
    assert!(locs
        .iter()
        .any(|l| l.ends_with("/api/v1/sitemaps/sections.xml")));
    assert!(locs
        .iter()
        .any(|l| l.ends_with("/api/v1/sitemaps/news.xml")));
    let months: Vec<&String> = locs
        .iter()
        .filter(|l| l.contains("/sitemaps/articles/"))
        .collect();
    assert_eq!(months.len(), 1, "{locs:?}");

    // This month: the two public articles, nothing unpublished, embargoed
    // or withdrawn; the lead's photo.
    let month = xml(app, &api_path(months[0])).await;
    check_sitemap(&month, "urlset");
    let mut urls = texts(&month, "loc");
    urls.sort();
    let mut expected = vec![
        lead["url"].as_str().unwrap_or("").to_string(),
        second["url"].as_str().unwrap_or("").to_string(),
    ];
    expected.sort();
    assert_eq!(urls, expected);
    assert_eq!(texts(&month, "lastmod").len(), 2);
    assert!(month.contains(&format!(
        "<image:loc>http://localhost:8080/api/v1/media/{}/file</image:loc>",
        lead["main_media"]["media_id"].as_str().unwrap_or("")
    )));
    for hidden in &room.hidden {
        assert!(!month.contains(hidden.as_str()));
    }

    let news = xml(app, "/api/v1/sitemaps/news.xml").await;
    check_sitemap(&news, "urlset");
    assert_eq!(
        texts(&news, "title").first().map(String::as_str),
        Some(HOSTILE)
    );
    assert_eq!(texts(&news, "name"), vec!["newsdesk", "newsdesk"]);
    assert_eq!(texts(&news, "language"), vec!["en", "en"]);
    assert_eq!(texts(&news, "publication_date").len(), 2);

    let sections = xml(app, "/api/v1/sitemaps/sections.xml").await;
    check_sitemap(&sections, "urlset");
    let locs = texts(&sections, "loc");
    assert!(
        locs.contains(&"http://localhost:3000/world".to_string()),
        "{locs:?}"
    );
    assert!(
        locs.contains(&"http://localhost:3000/europe".to_string()),
        "{locs:?}"
    );

    // Conditional GET on the built ones; months that hold nothing are 404.
    let res = app.get("/api/v1/sitemaps/news.xml", None).await;
    let etag = header(&res, "etag").expect("etag");
    let res = app
        .request(Method::GET, "/api/v1/sitemaps/news.xml", None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    for missing in [
        "/api/v1/sitemaps/articles/1999-01.xml",
        "/api/v1/sitemaps/articles/2026-13.xml",
    ] {
        assert_problem(app.get(missing, None).await, 404).await;
    }
}

/// Runs SQL on the test's database.
async fn sql(app: &TestApp, statement: String) {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        use diesel::connection::SimpleConnection;
        let mut conn = pool.get().expect("connection");
        conn.batch_execute(&statement).expect("sql");
    })
    .await
    .expect("join");
}

async fn seeded(app: &TestApp, count: u64) {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        newsdesk::seed::seed(&pool, count, "en", |_| {}).expect("seed");
    })
    .await
    .expect("join");
}

async fn public_total(app: &TestApp) -> usize {
    let res = app
        .get("/api/v1/articles?limit=1&include_total=true", None)
        .await;
    let page: Value = res.json().await.expect("json");
    page["meta"]["total"].as_u64().expect("total") as usize
}

/// Big months split in parts of the configured size (here 400, 50,000 by
/// default), every public article in exactly one part; the news sitemap
/// holds the last 48 hours, at most 1,000.
async fn big_months_split_and_news_keeps_48_hours_and_1000(app: &TestApp) {
    seeded(app, 1_100).await;
    let total = public_total(app).await;
    assert!(total >= 1_100);
    let index = xml(app, "/api/v1/sitemaps/index.xml").await;
    check_sitemap(&index, "sitemapindex");
    let mut seen = std::collections::HashSet::new();
    let parts: Vec<String> = texts(&index, "loc")
        .into_iter()
        .filter(|l| l.contains("/sitemaps/articles/"))
        .collect();
    assert!(parts.len() >= 3, "{parts:?}");
    for part in &parts {
        let text = xml(app, &api_path(part)).await;
        let urls = texts(&text, "loc");
        assert!(
            !urls.is_empty() && urls.len() <= 400,
            "{part}: {}",
            urls.len()
        );
        for url in urls {
            assert!(seen.insert(url.clone()), "{url} twice");
        }
    }
    check_sitemap(&xml(app, &api_path(&parts[0])).await, "urlset");
    assert_eq!(seen.len(), total);
    // A part past the month's end is not there.
    let last = parts.last().expect("a part");
    let month = last
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".xml");
    let month = &month[..7];
    assert_problem(
        app.get(&format!("/api/v1/sitemaps/articles/{month}-99.xml"), None)
            .await,
        404,
    )
    .await;

    // Seeded articles are seven minutes apart: 48 hours hold about 411,
    // as many as the list of articles published since then (one may cross
    // the edge between the two requests).
    let since = (chrono::Utc::now() - chrono::Duration::hours(48))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let res = app
        .get(
            &format!("/api/v1/articles?limit=1&include_total=true&published_after={since}"),
            None,
        )
        .await;
    let listed = res.json::<Value>().await.expect("json")["meta"]["total"]
        .as_u64()
        .expect("total") as usize;
    let news = xml(app, "/api/v1/sitemaps/news.xml").await;
    let in_window = texts(&news, "title").len();
    assert!((400..=430).contains(&in_window), "{in_window}");
    assert!(
        in_window.abs_diff(listed) <= 1,
        "{in_window} in the news sitemap, {listed} listed"
    );
    // Every article published within the hour: the news sitemap holds 1,000.
    sql(
        app,
        "UPDATE articles SET published_at = modified_at WHERE published_at IS NOT NULL".into(),
    )
    .await;
    let news = xml(app, "/api/v1/sitemaps/news.xml").await;
    check_sitemap(&news, "urlset");
    assert_eq!(texts(&news, "title").len(), 1_000);
}

/// The one external schema ninjs 2.2 names: GeoJSON, for the geometry of
/// `places`, which newsdesk never writes. It cannot be fetched here, so it
/// stands as a schema that takes anything; every other reference is refused.
struct GeoJson;

impl jsonschema::Retrieve for GeoJson {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == "https://geojson.org/schema/GeoJSON.json" {
            Ok(json!({}))
        } else {
            Err(format!("no external schema {uri}").into())
        }
    }
}

/// Validates a ninjs document against the IPTC's ninjs 2.2 schema
/// (`tests/schemas/`, copied from the official file).
fn check_ninjs(doc: &Value) {
    let errors = schema_errors("ninjs-schema_2.2.json", doc);
    assert!(errors.is_empty(), "not ninjs 2.2: {errors:#?}\n{doc:#}");
}

/// What `doc` breaks of the JSON Schema `tests/schemas/{file}`, formats
/// included.
fn schema_errors(file: &str, doc: &Value) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas")
        .join(file);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the schema")).expect("JSON");
    let validator = jsonschema::options()
        .with_retriever(GeoJson)
        .should_validate_formats(true)
        .build(&schema)
        .expect("a valid schema");
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The checks above can fail: each schema refuses what its specification
/// does, and takes a minimal valid document.
#[test]
fn the_schemas_refuse_what_their_specifications_do() {
    let feed = |item: Value| json!({"version": "https://jsonfeed.org/version/1.1", "title": "News", "items": [item]});
    let errors = |file: &str, doc: Value| schema_errors(file, &doc).len();
    assert_eq!(
        errors(
            "jsonfeed-1.1.json",
            feed(json!({"id": "1", "content_text": "x"}))
        ),
        0
    );
    assert!(errors("jsonfeed-1.1.json", feed(json!({"content_text": "x"}))) > 0);
    assert!(errors("jsonfeed-1.1.json", feed(json!({"id": "1"}))) > 0);
    assert!(
        errors(
            "jsonfeed-1.1.json",
            feed(json!({"id": "1", "content_text": "x", "colour": "red"}))
        ) > 0
    );
    assert!(
        errors(
            "jsonfeed-1.1.json",
            feed(json!({"id": "1", "content_text": "x", "url": "not a url"}))
        ) > 0
    );
    let ninjs = json!({"uri": "urn:uuid:1", "type": "text", "version": "1"});
    assert_eq!(errors("ninjs-schema_2.2.json", ninjs.clone()), 0);
    let mut bad = ninjs.clone();
    bad["pubstatus"] = json!("withdrawn");
    assert!(errors("ninjs-schema_2.2.json", bad) > 0);
    assert!(errors("ninjs-schema_2.2.json", json!({"type": "text"})) > 0);
}

async fn ninjs(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let res = app.get(path, token).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/ninjs+json; charset=utf-8")
    );
    let doc: Value = res.json().await.expect("json");
    check_ninjs(&doc);
    doc
}

async fn ninjs_syndicates_articles_media_and_withdrawals(app: &TestApp) {
    let room = newsroom(app).await;
    let lead = article_json(app, &room.lead).await;
    let doc = ninjs(app, &format!("/api/v1/articles/{}/ninjs", room.lead), None).await;
    assert_eq!(doc["uri"], format!("urn:uuid:{}", room.lead));
    assert_eq!(doc["type"], "text");
    assert_eq!(doc["pubstatus"], "usable");
    assert_eq!(doc["language"], "en");
    assert_eq!(doc["version"], lead["version"].to_string());
    assert_eq!(doc["headlines"][0]["value"], HOSTILE);
    assert_eq!(
        doc["descriptions"][0]["value"],
        "Both sides & <i>their</i> hopes."
    );
    let bodies = doc["bodies"].as_array().expect("bodies");
    assert!(bodies.iter().any(|b| b["contenttype"] == "text/html"
        && b["value"]
            .as_str()
            .unwrap_or("")
            .contains("<p>Talks resumed on Saturday.</p>")));
    assert!(bodies
        .iter()
        .any(|b| b["contenttype"] == "text/plain" && b["value"] == "Talks resumed on Saturday."));
    assert!(doc["by"].as_str().unwrap_or("").contains("Guest Writer"));
    let subjects: Vec<&str> = doc["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(subjects, vec!["World", "Diplomacy"]);
    assert_eq!(doc["copyrightholder"], "newsdesk");
    let picture = &doc["associations"][0];
    assert_eq!(picture["type"], "picture");
    assert_eq!(picture["name"], "featuremedia");
    assert_eq!(picture["by"], lead["main_media"]["credit_line"]);
    assert_eq!(picture["copyrightnotice"], "© Northwire Photo 2026");
    assert!(picture["renditions"]
        .as_array()
        .is_some_and(|r| r.len() > 1));
    assert_eq!(doc["renditions"][0]["href"], lead["url"]);

    // The photo on its own.
    let media_id = lead["main_media"]["media_id"].as_str().expect("media id");
    let photo = ninjs(app, &format!("/api/v1/media/{media_id}/ninjs"), None).await;
    assert_eq!(photo["type"], "picture");
    assert_eq!(photo["copyrightholder"], "Northwire Photo");
    assert_eq!(photo["people"][0]["name"], "Lena Brandt");

    // Withdrawn: cancelled, with nothing of its text, to anyone.
    let withdrawn = &room.hidden[2];
    let doc = ninjs(app, &format!("/api/v1/articles/{withdrawn}/ninjs"), None).await;
    assert_eq!(doc["pubstatus"], "canceled");
    assert!(doc.get("headlines").is_none() && doc.get("bodies").is_none());
    // A draft and an embargoed article: 404 to the public, withheld for
    // staff, the embargo named.
    for hidden in &room.hidden[..2] {
        assert_problem(
            app.get(&format!("/api/v1/articles/{hidden}/ninjs"), None)
                .await,
            404,
        )
        .await;
        let doc = ninjs(
            app,
            &format!("/api/v1/articles/{hidden}/ninjs"),
            Some(&room.token),
        )
        .await;
        assert_eq!(doc["pubstatus"], "withheld");
    }
    let embargoed = ninjs(
        app,
        &format!("/api/v1/articles/{}/ninjs", room.hidden[1]),
        Some(&room.token),
    )
    .await;
    assert_eq!(embargoed["embargoed"], "2099-01-01T00:00:00Z");
    assert_problem(
        app.get("/api/v1/articles/no-such-article/ninjs", None)
            .await,
        404,
    )
    .await;
    assert_problem(
        app.get("/api/v1/media/no-such-media/ninjs", None).await,
        404,
    )
    .await;

    // Cacheable and conditional for the public.
    let path = format!("/api/v1/articles/{}/ninjs", room.lead);
    let res = app.get(&path, None).await;
    let etag = header(&res, "etag").expect("etag");
    let res = app
        .request(Method::GET, &path, None)
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
}

/// What Google's article rich results take, checked on the lead article:
/// every property the frontend needs, as schema.org spells it.
async fn json_ld_describes_a_news_article(app: &TestApp) {
    let room = newsroom(app).await;
    let lead = article_json(app, &room.lead).await;
    let path = format!("/api/v1/articles/{}/jsonld", room.lead);
    let res = app.get(&path, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/ld+json; charset=utf-8")
    );
    let doc: Value = res.json().await.expect("json");
    assert_eq!(doc["@context"], "https://schema.org");
    assert_eq!(doc["@type"], "NewsArticle");
    assert_eq!(doc["headline"], HOSTILE);
    assert_eq!(doc["mainEntityOfPage"]["@id"], lead["url"]);
    assert_eq!(doc["datePublished"], lead["published_at"]);
    assert!(doc["dateModified"].is_string());
    assert_eq!(doc["isAccessibleForFree"], true);
    assert_eq!(doc["publisher"]["name"], "newsdesk");
    assert_eq!(doc["inLanguage"], "en");
    let authors = doc["author"].as_array().expect("authors");
    assert_eq!(authors.len(), 2);
    assert_eq!(authors[0]["@type"], "Person");
    assert_eq!(authors[0]["url"], lead["bylines"][0]["url"]);
    assert_eq!(authors[1]["name"], "Guest Writer");
    let images = doc["image"].as_array().expect("images");
    assert!(!images.is_empty());
    for image in images {
        assert!(image["url"]
            .as_str()
            .unwrap_or("")
            .starts_with("http://localhost:8080/api/v1/media/"));
        assert_eq!(image["creditText"], lead["main_media"]["credit_line"]);
        assert_eq!(image["copyrightNotice"], "© Northwire Photo 2026");
        assert_eq!(image["copyrightHolder"]["name"], "Northwire Photo");
    }
    assert_eq!(doc["keywords"], json!(["Diplomacy"]));
    // As a read: the withdrawn one is gone, a draft is not there (to the
    // public), staff read it.
    assert_problem(
        app.get(&format!("/api/v1/articles/{}/jsonld", room.hidden[2]), None)
            .await,
        410,
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/articles/{}/jsonld", room.hidden[0]), None)
            .await,
        404,
    )
    .await;
    let res = app
        .get(
            &format!("/api/v1/articles/{}/jsonld", room.hidden[0]),
            Some(&room.token),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, "cache-control").as_deref(),
        Some("private, no-store")
    );
}

/// The demo newsroom, syndicated: its Russian agency story with a credited
/// photo comes out right in every format.
async fn the_demo_story_in_russian_comes_out_in_every_format(app: &TestApp) {
    let pool = app.pool.clone();
    let dir = app.media_dir.clone();
    let store = newsdesk::storage::open(None, &dir).expect("store");
    newsdesk::demo::load_media(&pool, store.as_ref())
        .await
        .expect("demo media");
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        newsdesk::demo::load(&mut conn).expect("demo");
        newsdesk::demo::load_articles(&mut conn, "en").expect("demo articles");
    })
    .await
    .expect("join");
    const HEADLINE: &str = "Министры иностранных дел договорились о новой встрече в Вене";
    let (feed, text) = fetch(app, "/api/v1/feeds/rss?locale=ru", "application/rss+xml").await;
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(
        entry.title.as_ref().map(|t| t.content.as_str()),
        Some(HEADLINE)
    );
    assert!(text.contains("<language>ru</language>"));
    let id = entry.id.trim_start_matches("urn:uuid:").to_string();
    let article = article_json(app, &id).await;
    assert_eq!(article["source"], "Northwire");
    let credit = article["main_media"]["credit_line"]
        .as_str()
        .expect("a credited photo");
    assert!(text.contains(&format!(
        "<media:credit role=\"photographer\">{credit}</media:credit>"
    )));
    assert!(article["url"]
        .as_str()
        .unwrap_or("")
        .starts_with("http://localhost:3000/world/"));

    let (feed, _) = fetch(app, "/api/v1/feeds/atom?locale=ru", "application/atom+xml").await;
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.content.as_str()),
        Some(HEADLINE)
    );
    let (feed, _) = fetch(app, "/api/v1/feeds/json?locale=ru", "application/feed+json").await;
    assert_eq!(
        feed.entries[0].title.as_ref().map(|t| t.content.as_str()),
        Some(HEADLINE)
    );

    let doc = ninjs(app, &format!("/api/v1/articles/{id}/ninjs"), None).await;
    assert_eq!(doc["language"], "ru");
    assert_eq!(doc["located"], "ВЕНА");
    assert_eq!(doc["copyrightholder"], "Northwire");
    assert_eq!(doc["infosources"][0]["name"], "Northwire");
    assert_eq!(doc["associations"][0]["by"], credit);

    let res = app
        .get(&format!("/api/v1/articles/{id}/jsonld"), None)
        .await;
    let ld: Value = res.json().await.expect("json");
    assert_eq!(ld["headline"], HEADLINE);
    assert_eq!(ld["image"][0]["creditText"], credit);

    let news = xml(app, "/api/v1/sitemaps/news.xml").await;
    check_sitemap(&news, "urlset");
    assert!(texts(&news, "title").contains(&HEADLINE.to_string()));
    assert!(texts(&news, "language").contains(&"ru".to_string()));
    let index = xml(app, "/api/v1/sitemaps/index.xml").await;
    for loc in texts(&index, "loc") {
        let body = xml(app, &api_path(&loc)).await;
        check_sitemap(&body, "urlset");
    }
}

/// The real binary under other public-URL settings, on the same database:
/// every format names things by the configured patterns, a canonical URL
/// set by editors wins, and what was rendered under the other settings is
/// rendered anew, both ways.
async fn addresses_follow_the_url_settings(app: &TestApp) {
    let room = newsroom(app).await;
    let here = article_json(app, &room.lead).await;
    assert_eq!(here["url"], "http://localhost:3000/world/talks-resume");
    let port = free_port();
    let _server = Running(
        start_binary(
            &app.client,
            &app.settings.database_url,
            &app.media_dir,
            port,
            &[
                ("NEWSDESK_SITE_URL", "https://news.example/"),
                (
                    "NEWSDESK_ARTICLE_PATH",
                    "/{section}/{yyyy}/{mm}/{dd}/{slug}.html",
                ),
                ("NEWSDESK_SECTION_PATH", "/rubrik/{section}"),
                ("NEWSDESK_TAG_PATH", "/t/{tag}"),
                ("NEWSDESK_AUTHOR_PATH", "/by/{id}"),
                ("NEWSDESK_PUBLICATION_NAME", "Harbour Times"),
                ("NEWSDESK_PUBLIC_API_URL", "https://api.news.example"),
            ],
        )
        .await,
    );
    let base = format!("http://127.0.0.1:{port}");
    let get = |path: String| {
        let request = app.client.get(format!("{base}{path}"));
        async move {
            let res = request.send().await.expect("request");
            assert_eq!(res.status(), 200);
            res.text().await.expect("body")
        }
    };
    let there: Value =
        serde_json::from_str(&get(format!("/api/v1/articles/{}", room.lead)).await).expect("json");
    let day = there["published_at"].as_str().expect("published")[..10].replace('-', "/");
    let url = format!("https://news.example/world/{day}/talks-resume.html");
    assert_eq!(there["url"], url.as_str());
    assert_eq!(there["section"]["url"], "https://news.example/rubrik/world");
    assert_eq!(there["tags"][0]["url"], "https://news.example/t/diplomacy");
    assert_eq!(
        there["bylines"][0]["url"],
        format!("https://news.example/by/{}", room.author)
    );

    let rss = get("/api/v1/feeds/rss".to_string()).await;
    let feed = feed_rs::parser::parse(rss.as_bytes()).expect("rss");
    assert_eq!(
        feed.entries[0].links.first().map(|l| l.href.as_str()),
        Some(url.as_str())
    );
    assert!(feed.title.is_some_and(|t| t.content == "Harbour Times"));
    let image = feed.entries[0].media[0].content[0]
        .url
        .as_ref()
        .map(|u| u.to_string())
        .unwrap_or_default();
    assert!(
        image.starts_with("https://api.news.example/api/v1/media/"),
        "{image}"
    );
    let news = get("/api/v1/sitemaps/news.xml".to_string()).await;
    check_sitemap(&news, "urlset");
    assert!(texts(&news, "loc").contains(&url));
    assert_eq!(texts(&news, "name"), vec!["Harbour Times".to_string(); 2]);
    let index = get("/api/v1/sitemaps/index.xml".to_string()).await;
    for loc in texts(&index, "loc") {
        assert!(
            loc.starts_with("https://api.news.example/api/v1/sitemaps/"),
            "{loc}"
        );
    }
    let ld: Value =
        serde_json::from_str(&get(format!("/api/v1/articles/{}/jsonld", room.lead)).await)
            .expect("json");
    assert_eq!(ld["mainEntityOfPage"]["@id"], url.as_str());
    assert_eq!(ld["publisher"]["name"], "Harbour Times");
    let ninjs: Value =
        serde_json::from_str(&get(format!("/api/v1/articles/{}/ninjs", room.lead)).await)
            .expect("json");
    check_ninjs(&ninjs);
    assert_eq!(
        ninjs["subjects"][0]["uri"],
        "https://news.example/rubrik/world"
    );

    // The canonical URL editors set is the address everywhere.
    let canonical = "https://partner.example/ferries";
    let version = article_json(app, &room.second).await["version"]
        .as_i64()
        .expect("version");
    let res = app
        .client
        .patch(format!("{base}/api/v1/articles/{}", room.second))
        .bearer_auth(&room.token)
        .header("Content-Type", "application/merge-patch+json")
        .header("If-Match", format!("\"{version}\""))
        .body(json!({"seo": {"canonical_url": canonical}}).to_string())
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200);
    let rss = get("/api/v1/feeds/rss".to_string()).await;
    let feed = feed_rs::parser::parse(rss.as_bytes()).expect("rss");
    assert_eq!(
        feed.entries[1].links.first().map(|l| l.href.as_str()),
        Some(canonical)
    );
    assert_eq!(article_json(app, &room.second).await["url"], canonical);
    // And the server under the defaults, its micro-cache expired, renders
    // the lead its own way again rather than take the other's document.
    tokio::time::sleep(app.settings.read_cache_ttl + std::time::Duration::from_millis(100)).await;
    let res = app
        .get(&format!("/api/v1/articles/{}", room.lead), None)
        .await;
    assert_eq!(header(&res, "x-cache").as_deref(), Some("miss"));
    let again: Value = res.json().await.expect("json");
    assert_eq!(again["url"], "http://localhost:3000/world/talks-resume");
}

/// At the protocol's own limit, with the default settings: a month of
/// 50,001 public articles (copies of one seeded article, made in SQL) is
/// two sitemaps of 50,000 URLs and 1, each valid by the official XSD and
/// the first within the protocol's 50 MB.
async fn a_month_past_50000_urls_is_split_at_the_limit(app: &TestApp) {
    seeded(app, 1).await;
    let (series, id, at) = if app.settings.database_url.starts_with("postgres") {
        (
            "SELECT a.*, i AS bulk_n FROM articles a, generate_series(1, 50001) AS i",
            "'00000000-0000-7000-8000-' || lpad(bulk_n::text, 12, '0')",
            "timestamp '2020-02-01' + bulk_n * interval '40 seconds'",
        )
    } else {
        (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50001) \
             SELECT a.*, i AS bulk_n FROM articles a, n",
            "printf('00000000-0000-7000-8000-%012d', bulk_n)",
            "datetime('2020-02-01', '+' || (bulk_n * 40) || ' seconds')",
        )
    };
    sql(
        app,
        format!(
            "CREATE TEMP TABLE bulk AS {series} \
               WHERE a.id = (SELECT id FROM articles WHERE status = 'published' LIMIT 1); \
             UPDATE bulk SET id = {id}, slug = 'bulk-' || bulk_n, body = '[]', \
               published_at = {at}, first_published_at = {at}, modified_at = {at}, \
               canonical_url = NULL, embargo_until = NULL, expires_at = NULL; \
             ALTER TABLE bulk DROP COLUMN bulk_n; \
             INSERT INTO articles SELECT * FROM bulk; \
             DROP TABLE bulk;"
        ),
    )
    .await;
    let index = xml(app, "/api/v1/sitemaps/index.xml").await;
    let parts: Vec<String> = texts(&index, "loc")
        .into_iter()
        .filter(|l| l.contains("/sitemaps/articles/2020-"))
        .collect();
    assert_eq!(
        parts,
        vec![
            "http://localhost:8080/api/v1/sitemaps/articles/2020-02.xml".to_string(),
            "http://localhost:8080/api/v1/sitemaps/articles/2020-02-2.xml".to_string(),
        ]
    );
    let first = xml(app, "/api/v1/sitemaps/articles/2020-02.xml").await;
    assert!(first.len() < 50 * 1024 * 1024, "{} bytes", first.len());
    check_sitemap(&first, "urlset");
    let first = texts(&first, "loc");
    assert_eq!(first.len(), 50_000);
    let second = xml(app, "/api/v1/sitemaps/articles/2020-02-2.xml").await;
    check_sitemap(&second, "urlset");
    let second = texts(&second, "loc");
    assert_eq!(second.len(), 1);
    assert!(!first.contains(&second[0]));
    assert_problem(
        app.get("/api/v1/sitemaps/articles/2020-02-3.xml", None)
            .await,
        404,
    )
    .await;
}

with_settings!(
    sitemap_parts,
    big_months_split_and_news_keeps_48_hours_and_1000,
    |s: &mut newsdesk::config::Settings| s.sitemap_max_urls = 400
);

both_backends!(
    the_demo_story_in_russian_comes_out_in_every_format,
    json_ld_describes_a_news_article,
    ninjs_syndicates_articles_media_and_withdrawals,
    sitemaps_list_public_articles_sections_and_news,
    every_format_lists_public_articles_with_credits,
    feeds_narrow_to_a_section_tag_author_or_locale,
    feeds_answer_304_and_change_with_content,
    addresses_follow_the_url_settings,
    a_month_past_50000_urls_is_split_at_the_limit,
);
