//! Delivery documents: an anonymous read of a published article is served
//! from the document rendered at write time. It must be byte for byte what
//! the full path answers (a reader's token takes the full path and gets the
//! same public answer), and follow every change of what it embeds at once.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use newsdesk::auth::role::Role;
use newsdesk::db::schema::article_deliveries;

use crate::events::{draft, publish, section};
use crate::helpers::{header, TestApp};
use crate::media::{jpeg_bytes, upload};

/// The anonymous answer (a document) and a reader's (the full path) for
/// `path`: status, ETag and bytes must agree. The answer's JSON.
async fn delivered(app: &TestApp, path: &str, reader: &str) -> Value {
    let anonymous = read(app, path, None).await;
    let full = read(app, path, Some(reader)).await;
    assert_eq!(anonymous.0, 200, "{path}");
    assert_eq!(
        anonymous, full,
        "{path}: the document differs from the full path"
    );
    serde_json::from_slice(&anonymous.2).expect("json")
}

/// Status, ETag and bytes of a read.
async fn read(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
    let res = app.get(path, token).await;
    let status = res.status().as_u16();
    let etag = header(&res, "etag").unwrap_or_default();
    let body = res.bytes().await.expect("body").to_vec();
    (status, etag, body)
}

/// Which of these articles have a stored document.
async fn documents(app: &TestApp, ids: &[&str]) -> Vec<String> {
    let pool = app.pool.clone();
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let mut found: Vec<String> = article_deliveries::table
            .filter(article_deliveries::article_id.eq_any(&ids))
            .select(article_deliveries::article_id)
            .load(&mut **conn)
            .expect("documents");
        found.sort();
        found
    })
    .await
    .expect("join")
}

async fn patch(app: &TestApp, token: &str, path: &str, version: i64, body: Value) {
    let res = app
        .request(Method::PATCH, path, Some(token))
        .header("if-match", format!("\"{version}\""))
        .json(&body)
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 200, "PATCH {path}");
}

async fn documents_follow_what_articles_embed(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let reader = app.user(Role::Reader).await;
    let reader = reader.access_token.as_str();
    let harbour = section(app, token, "Harbour").await;
    let res = upload(
        app,
        token,
        "quay.jpg",
        "image/jpeg",
        jpeg_bytes(800, 600),
        Some(json!({"credit": {"provider": "Northwire"}})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let photo = res.json::<Value>().await.expect("json")["id"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let tides = draft(
        app,
        token,
        json!({"headline": "Tide tables for the winter", "section_id": harbour}),
    )
    .await;
    publish(app, token, &tides, json!({})).await;
    let ferry = draft(
        app,
        token,
        json!({"headline": "Ferry timetable changes", "section_id": harbour,
               "main_media": {"media_id": photo}, "related": [tides],
               "comments_policy": "open",
               "body": [{"type": "paragraph", "text": "The first boat leaves at six."}]}),
    )
    .await;
    publish(app, token, &ferry, json!({})).await;
    let mut both = [ferry.as_str(), tides.as_str()];
    both.sort();
    assert_eq!(
        documents(app, &both).await,
        both,
        "published articles have documents"
    );

    let by_id = format!("/api/v1/articles/{ferry}");
    let page = delivered(app, &by_id, reader).await;
    let slug = page["slug"].as_str().unwrap_or("").to_string();
    let by_slug = format!("/api/v1/articles/slug/{slug}");
    assert_eq!(delivered(app, &by_slug, reader).await, page);
    assert_eq!(page["section"]["name"], "Harbour");
    assert_eq!(page["related"][0]["headline"], "Tide tables for the winter");
    assert_eq!(page["comment_count"], 0);
    let credit = page["main_media"]["credit_line"].as_str().unwrap_or("");
    assert!(credit.contains("Northwire"), "{credit}");

    // A section renamed: every article in it shows the new name at once.
    patch(
        app,
        token,
        &format!("/api/v1/sections/{harbour}"),
        1,
        json!({"name": "Port"}),
    )
    .await;
    assert_eq!(
        delivered(app, &by_slug, reader).await["section"]["name"],
        "Port"
    );
    // A credit changed on the photo.
    patch(
        app,
        token,
        &format!("/api/v1/media/{photo}"),
        1,
        json!({"credit_line": "Photo: Lena Brandt / Northwire"}),
    )
    .await;
    assert_eq!(
        delivered(app, &by_slug, reader).await["main_media"]["credit_line"],
        "Photo: Lena Brandt / Northwire"
    );
    // The related article's headline: the teaser follows.
    let version = delivered(app, &format!("/api/v1/articles/{tides}"), reader).await["version"]
        .as_i64()
        .unwrap_or(0);
    patch(
        app,
        token,
        &format!("/api/v1/articles/{tides}"),
        version,
        json!({"headline": "Winter tide tables published"}),
    )
    .await;
    assert_eq!(
        delivered(app, &by_slug, reader).await["related"][0]["headline"],
        "Winter tide tables published"
    );
    // A comment: the count follows.
    let res = app
        .send_json(
            Method::POST,
            &format!("/api/v1/articles/{ferry}/comments"),
            Some(reader),
            &json!({"body": "Will the night boat stay?"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let comment: Value = res.json().await.expect("json");
    let expected = if comment["status"] == "approved" {
        1
    } else {
        0
    };
    assert_eq!(
        delivered(app, &by_slug, reader).await["comment_count"],
        expected
    );
    // After all that, documents are rendered again (the background work
    // renders what changes of embedded things queued).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while documents(app, &both).await != both {
        assert!(
            std::time::Instant::now() < deadline,
            "documents were not rendered again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        delivered(app, &by_slug, reader).await["section"]["name"],
        "Port"
    );

    // Withdrawn: no document, and the public hears 410.
    let res = app
        .request(
            Method::POST,
            &format!("/api/v1/articles/{ferry}/withdraw"),
            Some(token),
        )
        .send()
        .await
        .expect("withdraw");
    assert_eq!(res.status(), 200);
    assert_eq!(
        documents(app, &[ferry.as_str()]).await,
        Vec::<String>::new()
    );
    assert_eq!(app.get(&by_slug, None).await.status(), 410);
}

/// Time alone changes a document: its own expiry, and a related article
/// appearing at its scheduled time. A stored document is not served past
/// that moment.
async fn documents_expire_with_the_moments_they_embed(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let reader = app.user(Role::Reader).await;
    let reader = reader.access_token.as_str();
    let desk = section(app, token, "Desk").await;
    let soon = |seconds: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(seconds))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let later = draft(
        app,
        token,
        json!({"headline": "Results at noon", "section_id": desk}),
    )
    .await;
    publish(app, token, &later, json!({"at": soon(3)})).await;
    let brief = draft(
        app,
        token,
        json!({"headline": "Polls close", "section_id": desk, "related": [later],
               "expires_at": soon(6)}),
    )
    .await;
    publish(app, token, &brief, json!({})).await;
    let path = format!("/api/v1/articles/{brief}");
    assert_eq!(delivered(app, &path, reader).await["related"], json!([]));
    assert_eq!(documents(app, &[brief.as_str()]).await, vec![brief.clone()]);
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let related = delivered(app, &path, reader).await["related"].clone();
    assert_eq!(related[0]["headline"], "Results at noon", "{related}");
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    assert_eq!(app.get(&path, None).await.status(), 404);
}

/// `Accept-Encoding: br` / `gzip`: the same JSON compressed, with `Vary`
/// and the weak form of the ETag, which revalidates (304); from a document,
/// from the full path, and from the read cache.
async fn answers_are_compressed_when_accepted(app: &TestApp) {
    use std::io::Read;
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let desk = section(app, token, "Business").await;
    let paragraphs: Vec<Value> = (0..12)
        .map(|i| json!({"type": "paragraph", "text": format!("Paragraph {i} of a report on the port's new cranes and what they cost.")}))
        .collect();
    let id = draft(
        app,
        token,
        json!({"headline": "New cranes for the port", "section_id": desk, "body": paragraphs}),
    )
    .await;
    publish(app, token, &id, json!({})).await;
    let get = |path: String, encoding: &'static str, token: Option<String>| async move {
        let mut req = app.request(Method::GET, &path, token.as_deref());
        if !encoding.is_empty() {
            req = req.header("accept-encoding", encoding);
        }
        req.send().await.expect("request")
    };
    let text = |res: &reqwest::Response, name: &str| header(res, name).unwrap_or_default();
    // The document path, the full path (a list), and the cache (the third
    // anonymous request for a key is a hit).
    for path in [
        format!("/api/v1/articles/{id}"),
        format!("/api/v1/articles?section={desk}"),
    ] {
        let plain = get(path.clone(), "", None).await;
        assert_eq!(plain.status(), 200);
        assert!(text(&plain, "vary").contains("Accept-Encoding"), "{path}");
        assert_eq!(text(&plain, "content-encoding"), "");
        let etag = text(&plain, "etag");
        let identity = plain.bytes().await.expect("body").to_vec();
        for round in 0..3 {
            for coding in ["gzip", "br", "gzip, deflate, br"] {
                let res = get(path.clone(), coding, None).await;
                assert_eq!(res.status(), 200);
                let expected = if coding == "gzip" { "gzip" } else { "br" };
                assert_eq!(text(&res, "content-encoding"), expected, "{path} {coding}");
                assert!(text(&res, "vary").contains("Accept-Encoding"));
                assert_eq!(
                    text(&res, "etag"),
                    format!("W/{etag}"),
                    "{path} round {round}"
                );
                let compressed = res.bytes().await.expect("body").to_vec();
                assert!(compressed.len() < identity.len(), "{path}: not smaller");
                let mut back = Vec::new();
                if expected == "gzip" {
                    flate2::read::GzDecoder::new(&compressed[..])
                        .read_to_end(&mut back)
                        .expect("gunzip");
                } else {
                    brotli::Decompressor::new(&compressed[..], 4096)
                        .read_to_end(&mut back)
                        .expect("unbrotli");
                }
                assert_eq!(back, identity, "{path} {coding}: other bytes");
            }
        }
        // The weak ETag revalidates, compressed or not.
        let res = app
            .request(Method::GET, &path, None)
            .header("accept-encoding", "gzip")
            .header("if-none-match", format!("W/{etag}"))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 304, "{path}");
        assert_eq!(text(&res, "etag"), format!("W/{etag}"));
        // Private answers are compressed too.
        let staff = get(path.clone(), "gzip", Some(token.to_string())).await;
        assert_eq!(text(&staff, "content-encoding"), "gzip", "{path}");
        // Their version ETag stays strong: it is what If-Match sends back.
        assert!(!text(&staff, "etag").starts_with("W/"), "{path}");
    }
}

/// Many anonymous reads at once (on PostgreSQL gathered into shared
/// statements): each gets its own article's document, by id or by slug, in
/// the coding it accepts, and a slug nobody has its 404; and each section
/// page its own section's articles.
async fn reads_at_once_each_get_their_own_document(app: &TestApp) {
    use futures_util::future::join_all;
    use std::io::Read;

    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let desk = section(app, token, "Crowd desk").await;
    // (id, slug, the document's bytes)
    let mut articles: Vec<(String, String, Vec<u8>)> = Vec::new();
    for n in 0..4 {
        let id = draft(
            app,
            token,
            json!({"headline": format!("Crowd story number {n}"), "section_id": desk,
                   "body": [{"type": "paragraph", "text": format!("Paragraph of story {n}.")}]}),
        )
        .await;
        publish(app, token, &id, json!({})).await;
        let (status, _, body) = read(app, &format!("/api/v1/articles/{id}"), None).await;
        assert_eq!(status, 200);
        let doc: Value = serde_json::from_slice(&body).expect("json");
        let slug = doc["slug"].as_str().unwrap_or_default().to_string();
        articles.push((id, slug, body));
    }
    // Each article by id and by slug, in each coding, twice over; and a
    // slug nobody has.
    let mut asks: Vec<(String, &str, Option<usize>)> = Vec::new();
    for _ in 0..2 {
        for (i, (id, slug, _)) in articles.iter().enumerate() {
            for coding in ["", "gzip", "br"] {
                asks.push((format!("/api/v1/articles/{id}"), coding, Some(i)));
                asks.push((format!("/api/v1/articles/slug/{slug}"), coding, Some(i)));
            }
        }
        asks.push((
            "/api/v1/articles/slug/crowd-story-nobody-wrote".into(),
            "",
            None,
        ));
    }
    for burst in 0..3 {
        let answers = join_all(asks.iter().map(|(path, coding, _)| async move {
            let mut req = app.request(Method::GET, path, None);
            if !coding.is_empty() {
                req = req.header("accept-encoding", *coding);
            }
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            let encoding = header(&res, "content-encoding").unwrap_or_default();
            let body = res.bytes().await.expect("body").to_vec();
            (status, encoding, body)
        }))
        .await;
        for ((path, coding, which), (status, encoding, body)) in asks.iter().zip(answers) {
            let Some(i) = which else {
                assert_eq!(status, 404, "{path}");
                continue;
            };
            assert_eq!(status, 200, "{path} burst {burst}");
            assert_eq!(encoding, *coding, "{path} burst {burst}");
            let mut plain = Vec::new();
            match *coding {
                "gzip" => {
                    flate2::read::GzDecoder::new(&body[..])
                        .read_to_end(&mut plain)
                        .expect("gunzip");
                }
                "br" => {
                    brotli::Decompressor::new(&body[..], 4096)
                        .read_to_end(&mut plain)
                        .expect("unbrotli");
                }
                _ => plain = body,
            }
            assert!(
                plain == articles[*i].2,
                "{path} {coding} burst {burst}: not its article's document"
            );
        }
    }
    // Section pages at once (on PostgreSQL gathered into one statement,
    // each page read on its own): each its own section's newest articles,
    // as many as it asks for, a cursor when there are more; a section
    // nobody made an empty page. Each URL is asked once a burst.
    let quiet = section(app, token, "Quiet desk").await;
    let lone = draft(
        app,
        token,
        json!({"headline": "Nothing happened today", "section_id": quiet}),
    )
    .await;
    publish(app, token, &lone, json!({})).await;
    let newest: Vec<String> = (0..4)
        .rev()
        .map(|n| format!("Crowd story number {n}"))
        .collect();
    let mut pages: Vec<(String, Vec<String>, bool)> = Vec::new();
    for limit in 1..=5 {
        let shown = newest.iter().take(limit).cloned().collect();
        pages.push((
            format!("/api/v1/articles?section=crowd-desk&limit={limit}"),
            shown,
            limit < newest.len(),
        ));
    }
    for limit in 1..=2 {
        pages.push((
            format!("/api/v1/articles?section=quiet-desk&limit={limit}"),
            vec!["Nothing happened today".to_string()],
            false,
        ));
    }
    pages.push((
        "/api/v1/articles?section=desk-nobody-made".to_string(),
        Vec::new(),
        false,
    ));
    for burst in 0..3 {
        let answers = join_all(pages.iter().map(|(path, _, _)| async move {
            let res = app.get(path, None).await;
            let status = res.status().as_u16();
            let page: Value = res.json().await.expect("json");
            (status, page)
        }))
        .await;
        for ((path, shown, more), (status, page)) in pages.iter().zip(answers) {
            assert_eq!(status, 200, "{path} burst {burst}");
            let headlines: Vec<String> = page["data"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["headline"].as_str().map(str::to_string))
                .collect();
            assert_eq!(&headlines, shown, "{path} burst {burst}: {page}");
            assert_eq!(
                page["meta"]["next_cursor"].is_string(),
                *more,
                "{path} burst {burst}: {page}"
            );
        }
    }
}

/// A compressed read of a stored document reads the body only when it is
/// too short to be sent compressed: such a body (here one put in place in
/// the database) is sent as it is, whatever the client accepts; a long one
/// compressed. Each path is asked twice, both reads from the database (the
/// read cache keeps a key from its second request).
async fn short_documents_are_sent_as_they_are(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let desk = section(app, token, "Weather").await;
    let long = draft(
        app,
        token,
        json!({"headline": "Storm warning for the coast", "section_id": desk}),
    )
    .await;
    let short = draft(
        app,
        token,
        json!({"headline": "Fog at dawn", "section_id": desk}),
    )
    .await;
    let mut paths = Vec::new();
    for id in [&long, &short] {
        publish(app, token, id, json!({})).await;
        let doc: Value = app
            .get(&format!("/api/v1/articles/{id}"), Some(token))
            .await
            .json()
            .await
            .expect("json");
        let slug = doc["slug"].as_str().unwrap_or_default().to_string();
        paths.push((
            id == &short,
            [
                format!("/api/v1/articles/{id}"),
                format!("/api/v1/articles/slug/{slug}"),
            ],
        ));
    }
    tamper(app, &short, |_| {}, Some("document = '{\"short\":true}'")).await;
    for (is_short, [by_id, by_slug]) in &paths {
        for (path, coding) in [
            (by_id, "gzip"),
            (by_id, "br"),
            (by_slug, "gzip, br"),
            (by_slug, "gzip"),
        ] {
            let res = app
                .request(Method::GET, path, None)
                .header("accept-encoding", coding)
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), 200, "{path} {coding}");
            let encoding = header(&res, "content-encoding").unwrap_or_default();
            let body = res.bytes().await.expect("body").to_vec();
            if *is_short {
                assert_eq!(encoding, "", "{path} {coding}");
                assert_eq!(body, b"{\"short\":true}", "{path} {coding}");
            } else {
                let sent = if coding == "gzip" { "gzip" } else { "br" };
                assert_eq!(encoding, sent, "{path} {coding}");
                assert!(body.len() > 20, "{path} {coding}");
            }
        }
    }
}

/// Changes an article's stored row in the database: `change` edits its
/// list item (parsed), `set` runs on the row after.
async fn tamper(app: &TestApp, id: &str, change: fn(&mut Value), set: Option<&'static str>) {
    let pool = app.pool.clone();
    let id = id.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let conn: &mut newsdesk::db::DbConn = &mut conn;
        let row = article_deliveries::table.find(&id);
        let item: String = row
            .select(article_deliveries::item)
            .first(conn)
            .expect("stored item");
        let mut item: Value = serde_json::from_str(&item).expect("item json");
        change(&mut item);
        diesel::update(row)
            .set(article_deliveries::item.eq(item.to_string()))
            .execute(conn)
            .expect("update");
        if let Some(set) = set {
            diesel::sql_query(format!(
                "UPDATE article_deliveries SET {set} WHERE article_id = '{id}'"
            ))
            .execute(conn)
            .expect("update");
        }
    })
    .await
    .expect("join")
}

/// A list page splices each article's stored list item (read with the
/// page's keys) only while it is current: rendered with this server's
/// settings, and of the article as it is now.
async fn lists_splice_only_current_stored_items(app: &TestApp) {
    let editor = app.user(Role::Editor).await;
    let token = editor.access_token.as_str();
    let section_id = section(app, token, "Canal desk").await;
    let id = draft(
        app,
        token,
        json!({"headline": "Lock gates repaired", "section_id": section_id}),
    )
    .await;
    publish(app, token, &id, json!({})).await;
    // Each read its own URL: the read cache answers none of them. A
    // search's page splices the same items (read with its texts).
    let headline = |n: u32, key: &str| {
        let path = if key == "search" {
            format!("/api/v1/articles?q=lock%20gates&limit={n}")
        } else {
            format!("/api/v1/articles?section={key}&limit={n}")
        };
        async move {
            let page: Value = app.get(&path, None).await.json().await.expect("json");
            assert_eq!(
                page["data"].as_array().map(Vec::len),
                Some(1),
                "{path}: {page}"
            );
            page["data"][0]["headline"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    assert_eq!(headline(1, &section_id).await, "Lock gates repaired");
    // The stored item is what pages serve (by the section's id or slug).
    tamper(app, &id, |item| item["headline"] = json!("Stored"), None).await;
    assert_eq!(headline(2, &section_id).await, "Stored");
    assert_eq!(headline(3, "canal-desk").await, "Stored");
    assert_eq!(headline(3, "search").await, "Stored");
    // Each condition of "current" in turn, then undone: the stored item
    // is served again.
    for (n, (spoil, undo)) in [
        // Rendered with other settings.
        (
            "render_key = render_key || '+'",
            "render_key = substr(render_key, 1, length(render_key) - 1)",
        ),
        // Past its validity.
        ("valid_until = '2000-01-01 00:00:00'", "valid_until = NULL"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = 4 + 2 * n as u32;
        tamper(app, &id, |_| {}, Some(spoil)).await;
        // By slug too: on PostgreSQL a gathered page, which takes the
        // usual way when an item is not current.
        for key in [section_id.as_str(), "canal-desk", "search"] {
            assert_eq!(
                headline(n, key).await,
                "Lock gates repaired",
                "{key}: {spoil}"
            );
        }
        tamper(app, &id, |_| {}, Some(undo)).await;
        for key in [section_id.as_str(), "canal-desk", "search"] {
            assert_eq!(headline(n + 1, key).await, "Stored", "{key}: {undo}");
        }
    }
    // Of an older state of the article.
    tamper(
        app,
        &id,
        |_| {},
        Some("modified_at = '2000-01-01 00:00:00'"),
    )
    .await;
    assert_eq!(headline(8, &section_id).await, "Lock gates repaired");
    assert_eq!(headline(8, "canal-desk").await, "Lock gates repaired");
    assert_eq!(headline(8, "search").await, "Lock gates repaired");
}

crate::both_backends!(
    documents_follow_what_articles_embed,
    lists_splice_only_current_stored_items,
    documents_expire_with_the_moments_they_embed,
    answers_are_compressed_when_accepted,
    short_documents_are_sent_as_they_are,
    reads_at_once_each_get_their_own_document
);
