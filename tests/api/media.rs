//! Media: uploads with credits, bad files, serving, renditions, the library.

use std::io::Cursor;
use std::path::Path;

use diesel::prelude::*;
use image::{ImageFormat, RgbImage};
use newsdesk::auth::role::Role;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, error_fields, TestApp};

/// A real photo-like JPEG: a colour gradient with a block in it.
pub fn jpeg_bytes(width: u32, height: u32) -> Vec<u8> {
    encode(width, height, ImageFormat::Jpeg)
}

fn encode(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        let block = x > width / 3 && x < width / 2 && y > height / 3 && y < height / 2;
        if block {
            image::Rgb([20, 30, 200])
        } else {
            image::Rgb([
                (x * 255 / width.max(1)) as u8,
                (y * 255 / height.max(1)) as u8,
                128,
            ])
        }
    });
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// Puts an IPTC block (Photoshop APP13) into a JPEG, as agencies deliver them.
pub fn with_iptc(jpeg: &[u8], records: &[(u8, &str)]) -> Vec<u8> {
    let mut iim = Vec::new();
    for (dataset, value) in records {
        iim.extend([0x1C, 2, *dataset]);
        iim.extend((value.len() as u16).to_be_bytes());
        iim.extend(value.as_bytes());
    }
    let mut resource = b"8BIM\x04\x04\0\0".to_vec();
    resource.extend((iim.len() as u32).to_be_bytes());
    resource.extend(&iim);
    if iim.len() % 2 == 1 {
        resource.push(0);
    }
    let mut segment = b"Photoshop 3.0\0".to_vec();
    segment.extend(resource);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xED]);
    out.extend(((segment.len() + 2) as u16).to_be_bytes());
    out.extend(segment);
    out.extend(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A tiny PNG whose header declares an enormous image: a decompression bomb.
fn png_bomb() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    // A little compressed data, then the end: small on disk, huge in memory.
    let mut idat = b"IDAT".to_vec();
    idat.extend([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    out.extend(((idat.len() - 4) as u32).to_be_bytes());
    out.extend(&idat);
    out.extend(crc32(&idat).to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(b"IEND");
    out.extend(crc32(b"IEND").to_be_bytes());
    out
}

/// Uploads `bytes` as the `file` part.
pub async fn upload(
    app: &TestApp,
    token: &str,
    filename: &str,
    content_type: &str,
    bytes: Vec<u8>,
    metadata: Option<Value>,
) -> Response {
    let part = Part::bytes(bytes)
        .file_name(filename.to_string())
        .mime_str(content_type)
        .expect("mime");
    let mut form = Form::new().part("file", part);
    if let Some(m) = metadata {
        form = form.text("metadata", m.to_string());
    }
    app.request(Method::POST, "/api/v1/media", Some(token))
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

async fn media_rows(app: &TestApp) -> i64 {
    let pool = app.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        newsdesk::db::schema::media::table
            .count()
            .get_result::<i64>(&mut **conn)
            .expect("count")
    })
    .await
    .expect("join")
}

async fn jpeg_with_iptc_credit_renders(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let photo = with_iptc(
        &jpeg_bytes(1000, 600),
        &[
            (80, "Anna Lenz"),
            (110, "Northwire Photo"),
            (116, "© Northwire Photo"),
            (120, "Fog over the harbour"),
            (25, "harbour"),
        ],
    );
    let res = upload(
        app,
        &author.access_token,
        "harbour.jpg",
        "image/jpeg",
        photo,
        Some(json!({"alt_text": "Boats in fog"})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let asset: Value = res.json().await.expect("json");
    assert_eq!(asset["kind"], "image");
    assert_eq!(asset["mime_type"], "image/jpeg");
    assert_eq!(
        (asset["width"].as_i64(), asset["height"].as_i64()),
        (Some(1000), Some(600))
    );
    assert_eq!(asset["credit"]["creators"], json!(["Anna Lenz"]));
    assert_eq!(asset["credit"]["provider"], "Northwire Photo");
    assert_eq!(asset["credit_line"], "© Northwire Photo / Anna Lenz");
    assert_eq!(asset["caption"], "Fog over the harbour");
    assert_eq!(asset["alt_text"], "Boats in fog");
    assert_eq!(asset["keywords"], json!(["harbour"]));
    assert_eq!(asset["original_filename"], "harbour.jpg");
    assert_eq!(
        location,
        format!("/api/v1/media/{}", asset["id"].as_str().unwrap_or(""))
    );

    // Widths up to the original's, in WebP then JPEG.
    let renditions = asset["renditions"].as_array().cloned().unwrap_or_default();
    let widths: Vec<i64> = renditions
        .iter()
        .filter_map(|r| r["width"].as_i64())
        .collect();
    assert_eq!(widths, vec![320, 640, 960, 320, 640, 960]);
    assert_eq!(renditions[0]["height"], 192);
    let url = renditions[0]["url"].as_str().unwrap_or("").to_string();
    assert!(url.ends_with("/renditions/320.webp"), "{url}");

    let res = app.get(&url, None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/webp")
    );
    let etag = res
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let first = res.bytes().await.expect("bytes");
    let decoded =
        image::load_from_memory_with_format(&first, ImageFormat::WebP).expect("a real WebP");
    assert_eq!((decoded.width(), decoded.height()), (320, 192));
    // Made once, then served from the store: same bytes, 304 on revalidation.
    let again = app.get(&url, None).await.bytes().await.expect("bytes");
    assert_eq!(first, again);
    let res = app
        .request(Method::GET, &url, None)
        .header("if-none-match", etag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);
    assert_eq!(files_under(&app.media_dir.join("renditions")).len(), 1);

    // JPEG, cropped to 16:9 around the focal point.
    let res = app
        .get(&format!("{location}/renditions/640.jpeg?ratio=16:9"), None)
        .await;
    assert_eq!(res.status(), 200);
    let jpeg = res.bytes().await.expect("bytes");
    let decoded =
        image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg).expect("a real JPEG");
    assert_eq!((decoded.width(), decoded.height()), (640, 360));
    // Widths outside the set, wider than the original, or unknown formats do not exist.
    for path in [
        "/renditions/500.webp",
        "/renditions/1280.webp",
        "/renditions/320.gif",
        "/renditions/x.webp",
    ] {
        assert_problem(app.get(&format!("{location}{path}"), None).await, 404).await;
    }
    // A crop narrower than the width asked for would be upscaled (and a
    // 1:39 strip 640 wide would be taller than WebP can hold): no such rendition.
    assert_problem(
        app.get(&format!("{location}/renditions/640.webp?ratio=1:39"), None)
            .await,
        404,
    )
    .await;
    for ratio in ["wide", "01:9", "16:0", "+16:9", "101:9"] {
        assert_problem(
            app.get(
                &format!("{location}/renditions/320.webp?ratio={ratio}"),
                None,
            )
            .await,
            400,
        )
        .await;
    }

    // Explicit metadata wins over the embedded credit.
    let other = with_iptc(
        &jpeg_bytes(400, 300),
        &[(80, "Anna Lenz"), (110, "Northwire Photo")],
    );
    let res = upload(
        app,
        &author.access_token,
        "b.jpg",
        "image/jpeg",
        other,
        Some(json!({"credit": {"provider": "Staff"}})),
    )
    .await;
    let asset: Value = res.json().await.expect("json");
    assert_eq!(asset["credit"]["provider"], "Staff");
    assert_eq!(asset["credit"]["creators"], json!(["Anna Lenz"]));
    assert_eq!(asset["credit_line"], "© Staff / Anna Lenz");
}

async fn bad_files_are_refused_and_leave_nothing(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let token = author.access_token.as_str();
    let png = encode(64, 64, ImageFormat::Png);
    let jpeg = jpeg_bytes(200, 100);
    let truncated = jpeg[..jpeg.len() / 2].to_vec();
    let cases: Vec<(&str, &str, &str, Vec<u8>, u16)> = vec![
        ("zero bytes", "empty.jpg", "image/jpeg", Vec::new(), 422),
        ("truncated", "cut.jpg", "image/jpeg", truncated, 422),
        (
            "svg",
            "logo.svg",
            "image/svg+xml",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            415,
        ),
        (
            "html",
            "page.html",
            "application/octet-stream",
            b"<!doctype html><script>alert(1)</script>".to_vec(),
            415,
        ),
        (
            "png renamed jpg",
            "photo.jpg",
            "image/jpeg",
            png.clone(),
            415,
        ),
        ("png declared jpeg", "photo", "image/jpeg", png, 415),
        (
            "jpeg named png",
            "photo.png",
            "application/octet-stream",
            jpeg,
            415,
        ),
        (
            "text",
            "notes.txt",
            "text/plain",
            b"just some words".to_vec(),
            415,
        ),
        ("bomb", "bomb.png", "image/png", png_bomb(), 422),
        (
            "too large",
            "big.pdf",
            "application/pdf",
            [b"%PDF-1.7\n".to_vec(), vec![b'x'; 5 * 1024 * 1024 + 10]].concat(),
            413,
        ),
    ];
    for (name, filename, content_type, bytes, status) in cases {
        let res = upload(app, token, filename, content_type, bytes, None).await;
        assert_eq!(res.status().as_u16(), status, "{name}");
        assert_problem(res, status).await;
        assert_eq!(media_rows(app).await, 0, "{name}: no row");
        assert_eq!(
            files_under(&app.media_dir),
            Vec::<String>::new(),
            "{name}: no file"
        );
    }
    // Not multipart at all; no file part; bad metadata.
    let res = app
        .send_json(
            Method::POST,
            "/api/v1/media",
            Some(token),
            &json!({"file": "x"}),
        )
        .await;
    assert_problem(res, 415).await;
    let form = Form::new().text("metadata", "{}");
    let res = app
        .request(Method::POST, "/api/v1/media", Some(token))
        .multipart(form)
        .send()
        .await
        .expect("request");
    assert_eq!(error_fields(&assert_problem(res, 422).await), vec!["file"]);
    let res = upload(
        app,
        token,
        "a.jpg",
        "image/jpeg",
        jpeg_bytes(50, 50),
        Some(json!({"focal_point": {"x": 2, "y": 0}})),
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(res, 422).await),
        vec!["focal_point"]
    );
    let res = upload(
        app,
        token,
        "a.jpg",
        "image/jpeg",
        jpeg_bytes(50, 50),
        Some(json!({"colour": "red"})),
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(res, 422).await),
        vec!["colour"]
    );
    assert_eq!(media_rows(app).await, 0);
    assert_eq!(files_under(&app.media_dir), Vec::<String>::new());
}

async fn originals_stream_with_ranges_and_etags(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let mut audio = b"ID3\x04\0\0\0\0\0\0".to_vec();
    audio.extend((0..20_000u32).map(|i| (i % 251) as u8));
    let res = upload(
        app,
        &author.access_token,
        "Interview – Мэр.mp3",
        "audio/mpeg",
        audio.clone(),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let asset: Value = res.json().await.expect("json");
    assert_eq!(asset["kind"], "audio");
    assert_eq!(asset["renditions"], json!([]));
    let url = asset["file_url"].as_str().unwrap_or("").to_string();

    let res = app.get(&url, None).await;
    assert_eq!(res.status(), 200);
    let h = |res: &Response, name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h(&res, "content-type"), "audio/mpeg");
    assert_eq!(h(&res, "content-length"), audio.len().to_string());
    assert_eq!(
        h(&res, "etag"),
        format!("\"{}\"", asset["sha256"].as_str().unwrap_or(""))
    );
    assert_eq!(
        h(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h(&res, "x-content-type-options"), "nosniff");
    assert_eq!(h(&res, "accept-ranges"), "bytes");
    let disposition = h(&res, "content-disposition");
    assert!(
        disposition.starts_with("inline; filename=\"Interview  Mer.mp3\"")
            && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    let etag = h(&res, "etag");
    let id = asset["id"].as_str().unwrap_or("");
    assert_eq!(
        h(&res, "link"),
        format!("</api/v1/media/{id}>; rel=\"describedby\"")
    );
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), audio);

    let range = |spec: &'static str| {
        app.request(Method::GET, &url, None)
            .header("range", spec)
            .send()
    };
    let res = range("bytes=100-199").await.expect("request");
    assert_eq!(res.status(), 206);
    assert_eq!(
        h(&res, "content-range"),
        format!("bytes 100-199/{}", audio.len())
    );
    assert_eq!(
        res.bytes().await.expect("bytes").to_vec(),
        audio[100..200].to_vec()
    );
    let res = range("bytes=-50").await.expect("request");
    assert_eq!(
        res.bytes().await.expect("bytes").to_vec(),
        audio[audio.len() - 50..].to_vec()
    );
    let res = range("bytes=19990-").await.expect("request");
    assert_eq!(
        res.bytes().await.expect("bytes").to_vec(),
        audio[19990..].to_vec()
    );
    let res = range("bytes=999999-").await.expect("request");
    assert_eq!(res.status(), 416);
    assert_eq!(h(&res, "content-range"), format!("bytes */{}", audio.len()));
    // A stale If-Range gets the whole file.
    let res = app
        .request(Method::GET, &url, None)
        .header("range", "bytes=0-9")
        .header("if-range", "\"old\"")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let res = app
        .request(Method::GET, &url, None)
        .header("if-none-match", etag.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 304);

    // The same bytes again: the existing asset, no copy.
    let res = upload(
        app,
        &author.access_token,
        "again.mp3",
        "audio/mpeg",
        audio,
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let again: Value = res.json().await.expect("json");
    assert_eq!(again["id"], asset["id"]);
    assert_eq!(media_rows(app).await, 1);
}

async fn metadata_edits_roles_and_delete(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let other_author = app.user(Role::Author).await;
    let editor = app.user(Role::Editor).await;
    let contributor = app.user(Role::Contributor).await;
    let meta = json!({"credit": {"creators": ["Lena Brandt"], "provider": "Northwire", "usage_terms": "Editorial use only"}, "ed_note": "Paid, one use only"});
    assert_problem(
        upload(
            app,
            &contributor.access_token,
            "a.jpg",
            "image/jpeg",
            jpeg_bytes(80, 60),
            None,
        )
        .await,
        403,
    )
    .await;
    let res = upload(
        app,
        &author.access_token,
        "a.jpg",
        "image/jpeg",
        jpeg_bytes(800, 600),
        Some(meta),
    )
    .await;
    let asset: Value = res.json().await.expect("json");
    let path = format!("/api/v1/media/{}", asset["id"].as_str().unwrap_or(""));

    // The public sees no internal note; staff do.
    let public: Value = app.get(&path, None).await.json().await.expect("json");
    assert!(public.get("ed_note").is_none());
    assert_eq!(public["credit_line"], "© Northwire / Lena Brandt");
    let staff: Value = app
        .get(&path, Some(&contributor.access_token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(staff["ed_note"], "Paid, one use only");

    // Merge patch: nested null removes one credit field, the rest stays.
    let res = app
        .request(Method::PATCH, &path, Some(&author.access_token))
        .header("if-match", "\"1\"")
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"credit": {"provider": null, "copyright_notice": "© Lena Brandt"}, "credit_line": "Photo: Lena Brandt", "focal_point": {"x": 0.2, "y": 0.3}}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.expect("json");
    assert_eq!(edited["credit"]["provider"], Value::Null);
    assert_eq!(edited["credit"]["usage_terms"], "Editorial use only");
    assert_eq!(edited["credit_line"], "Photo: Lena Brandt");
    assert_eq!(edited["focal_point"], json!({"x": 0.2, "y": 0.3}));
    assert_eq!(edited["version"], 2);
    let res = app
        .request(Method::PATCH, &path, Some(&author.access_token))
        .header("if-match", "\"1\"")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .expect("request");
    assert_problem(res, 412).await;
    // Back to the derived line.
    let edited: Value = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&editor.access_token),
            &json!({"credit_line": null}),
        )
        .await
        .json()
        .await
        .expect("json");
    // The notice already names the creator, so the line does not repeat it.
    assert_eq!(edited["credit_line"], "© Lena Brandt");
    assert_problem(
        app.send_json(
            Method::PATCH,
            &path,
            Some(&other_author.access_token),
            &json!({"title": "mine"}),
        )
        .await,
        403,
    )
    .await;
    assert_problem(
        app.send_json(
            Method::PATCH,
            &path,
            Some(&author.access_token),
            &json!({"width": 5}),
        )
        .await,
        422,
    )
    .await;
    // A null for a field that does not exist is refused too, not ignored.
    for (patch, field) in [
        (json!({"bogus": null}), "bogus"),
        (json!({"credit": {"bogus": null}}), "credit.bogus"),
    ] {
        let res = app
            .send_json(Method::PATCH, &path, Some(&author.access_token), &patch)
            .await;
        assert_eq!(error_fields(&assert_problem(res, 422).await), [field]);
    }

    // A rendition, then delete: rows and files go.
    assert_eq!(
        app.get(&format!("{path}/renditions/320.jpeg"), None)
            .await
            .status(),
        200
    );
    assert!(!files_under(&app.media_dir.join("renditions")).is_empty());
    assert_problem(
        app.request(Method::DELETE, &path, Some(&other_author.access_token))
            .send()
            .await
            .expect("request"),
        403,
    )
    .await;
    let res = app
        .request(Method::DELETE, &path, Some(&editor.access_token))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert_problem(app.get(&path, None).await, 404).await;
    assert_problem(app.get(&format!("{path}/file"), None).await, 404).await;
    assert_eq!(
        files_under(&app.media_dir.join("originals")),
        Vec::<String>::new()
    );
    assert_eq!(
        files_under(&app.media_dir.join("renditions")),
        Vec::<String>::new()
    );
}

async fn library_filters_and_pages(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let reader = app.user(Role::Reader).await;
    let token = author.access_token.as_str();
    let uploads = [
        ("Northwire", "Anna Lenz", "Harbour at dawn"),
        ("Northwire", "Jo Park", "City council vote"),
        ("Eastline", "Anna Lenz", "Mountain pass closed"),
    ];
    for (i, (provider, creator, title)) in uploads.iter().enumerate() {
        let meta = json!({"title": title, "credit": {"provider": provider, "creators": [creator]}});
        let res = upload(
            app,
            token,
            "p.jpg",
            "image/jpeg",
            jpeg_bytes(40 + i as u32, 30),
            Some(meta),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let pdf = [b"%PDF-1.4\n".to_vec(), b"A report".to_vec()].concat();
    assert_eq!(
        upload(
            app,
            token,
            "report.pdf",
            "application/pdf",
            pdf,
            Some(json!({"title": "Budget report"}))
        )
        .await
        .status(),
        201
    );

    let titles = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["title"].as_str().map(str::to_string))
            .collect()
    };
    let list = |q: &'static str| async move {
        app.get(&format!("/api/v1/media?{q}"), Some(token))
            .await
            .json::<Value>()
            .await
            .expect("json")
    };
    assert_eq!(
        titles(&list("").await),
        vec![
            "Budget report",
            "Mountain pass closed",
            "City council vote",
            "Harbour at dawn"
        ]
    );
    assert_eq!(titles(&list("kind=document").await), vec!["Budget report"]);
    assert_eq!(
        titles(&list("provider=northwire").await),
        vec!["City council vote", "Harbour at dawn"]
    );
    assert_eq!(
        titles(&list("creator=lenz").await),
        vec!["Mountain pass closed", "Harbour at dawn"]
    );
    assert_eq!(titles(&list("q=HARBOUR").await), vec!["Harbour at dawn"]);
    assert_eq!(
        titles(&list("q=anna%20mountain").await),
        vec!["Mountain pass closed"]
    );
    assert_eq!(titles(&list("q=100%25").await), Vec::<String>::new());
    let page = list("limit=3&include_total=true").await;
    assert_eq!(page["meta"]["total"], 4);
    let cursor = page["meta"]["next_cursor"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let next: Value = app
        .get(
            &format!("/api/v1/media?limit=3&cursor={cursor}"),
            Some(token),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(titles(&next), vec!["Harbour at dawn"]);
    assert_problem(
        app.get("/api/v1/media?kind=hologram", Some(token)).await,
        400,
    )
    .await;
    assert_problem(
        app.get("/api/v1/media", Some(&reader.access_token)).await,
        403,
    )
    .await;
    assert_problem(app.get("/api/v1/media", None).await, 401).await;
}

/// A minimal MP4: `ftyp`, some `mdat`, then `moov` with a version-0 `mvhd`
/// of 12.5 seconds (timescale 1000), after the media data as cameras write it.
fn mp4_bytes() -> Vec<u8> {
    let boxed = |kind: &[u8; 4], body: &[u8]| {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(body);
        b
    };
    let mut mvhd = vec![0u8; 4]; // version 0, flags
    mvhd.extend(0u32.to_be_bytes()); // created
    mvhd.extend(0u32.to_be_bytes()); // modified
    mvhd.extend(1000u32.to_be_bytes()); // timescale
    mvhd.extend(12_500u32.to_be_bytes()); // duration
    mvhd.extend([0u8; 80]);
    let mut out = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    out.extend(boxed(b"mdat", &[7u8; 4096]));
    out.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    out
}

async fn video_duration_is_read(app: &TestApp) {
    let author = app.user(Role::Author).await;
    let res = upload(
        app,
        &author.access_token,
        "clip.mp4",
        "video/mp4",
        mp4_bytes(),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let asset: Value = res.json().await.expect("json");
    assert_eq!(asset["kind"], "video");
    assert_eq!(asset["duration_seconds"], 12.5);
    assert_eq!(asset["width"], Value::Null);
}

both_backends!(
    video_duration_is_read,
    jpeg_with_iptc_credit_renders,
    bad_files_are_refused_and_leave_nothing,
    originals_stream_with_ranges_and_etags,
    metadata_edits_roles_and_delete,
    library_filters_and_pages,
);

/// The keys under a prefix of the test bucket (the local S3-compatible test
/// server answers unsigned listings).
async fn s3_keys(app: &TestApp, bucket: &str, prefix: &str) -> Vec<String> {
    let endpoint = std::env::var("AWS_ENDPOINT").unwrap_or_default();
    let url = format!("{endpoint}/{bucket}?list-type=2&prefix={prefix}/");
    let xml = app
        .client
        .get(url)
        .send()
        .await
        .expect("list")
        .text()
        .await
        .unwrap_or_default();
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next().map(str::to_string))
        .collect()
}

/// The same media flow with originals and renditions in S3-compatible storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_in_s3_storage() {
    let Ok(bucket) = std::env::var("NEWSDESK_TEST_S3_BUCKET") else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: NEWSDESK_TEST_S3_BUCKET is not set: the S3 storage test was NOT run"
        );
        return;
    };
    let prefix = format!("test-{}", uuid::Uuid::now_v7().simple());
    let store = format!("s3://{bucket}/{prefix}");
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |s| {
        s.media_store = Some(store)
    })
    .await
    .expect("app");
    let author = app.user(Role::Author).await;
    let photo = with_iptc(
        &jpeg_bytes(700, 400),
        &[(80, "Anna Lenz"), (116, "© Northwire Photo")],
    );
    let res = upload(
        &app,
        &author.access_token,
        "s3.jpg",
        "image/jpeg",
        photo.clone(),
        None,
    )
    .await;
    assert_eq!(res.status(), 201);
    let asset: Value = res.json().await.expect("json");
    assert_eq!(asset["credit_line"], "© Northwire Photo / Anna Lenz");
    let path = format!("/api/v1/media/{}", asset["id"].as_str().unwrap_or(""));

    let full = app
        .get(&format!("{path}/file"), None)
        .await
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(full.to_vec(), photo);
    let res = app
        .request(Method::GET, &format!("{path}/file"), None)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.bytes().await.expect("bytes").to_vec(),
        photo[10..20].to_vec()
    );
    let webp = app
        .get(&format!("{path}/renditions/320.webp"), None)
        .await
        .bytes()
        .await
        .expect("bytes");
    let decoded = image::load_from_memory_with_format(&webp, ImageFormat::WebP).expect("webp");
    assert_eq!(decoded.width(), 320);
    let keys = s3_keys(&app, &bucket, &prefix).await;
    assert_eq!(keys.len(), 2, "original and one rendition: {keys:?}");
    assert!(
        keys.iter().any(|k| k.contains("/originals/"))
            && keys.iter().any(|k| k.ends_with("/320.webp"))
    );
    // Nothing is left behind locally either.
    assert_eq!(files_under(&app.media_dir), Vec::<String>::new());

    // A refused upload stores nothing; a delete removes everything.
    assert_problem(
        upload(
            &app,
            &author.access_token,
            "x.svg",
            "image/svg+xml",
            b"<svg/>".to_vec(),
            None,
        )
        .await,
        415,
    )
    .await;
    assert_eq!(s3_keys(&app, &bucket, &prefix).await.len(), 2);
    let res = app
        .request(Method::DELETE, &path, Some(&author.access_token))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 204);
    assert_eq!(s3_keys(&app, &bucket, &prefix).await, Vec::<String>::new());
}
