//! The demo newsroom loaded by `serve --demo`: sections with descriptions
//! (one nested), an editor and an author. Loading it twice changes nothing.

use crate::auth::{random_token, Role};
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::sections::{model::SectionRow, queries as section_queries};
use crate::users::queries::{self as user_queries, CreateUser};

struct DemoSection {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    parent: Option<&'static str>,
    position: i32,
}

const SECTIONS: &[DemoSection] = &[
    DemoSection {
        slug: "world",
        name: "World",
        description: "Reporting from our correspondents and partner agencies on diplomacy, \
conflict and the lives of people far from home.",
        parent: None,
        position: 1,
    },
    DemoSection {
        slug: "europe",
        name: "Europe",
        description: "Elections, summits and the everyday politics of the continent, from the \
Atlantic coast to the Urals.",
        parent: Some("world"),
        position: 1,
    },
    DemoSection {
        slug: "politics",
        name: "Politics",
        description: "Parliament, parties and the decisions that shape public life at home.",
        parent: None,
        position: 2,
    },
    DemoSection {
        slug: "business",
        name: "Business",
        description: "Markets, companies, energy and the household budget.",
        parent: None,
        position: 3,
    },
    DemoSection {
        slug: "science",
        name: "Science",
        description: "Research, space, climate and health, explained without the jargon.",
        parent: None,
        position: 4,
    },
    DemoSection {
        slug: "sport",
        name: "Sport",
        description: "Results, transfers and the stories behind the scores.",
        parent: None,
        position: 5,
    },
];

const USERS: &[(&str, &str, Role)] = &[
    ("editor@demo.newsdesk.local", "Dana Whitfield", Role::Editor),
    ("author@demo.newsdesk.local", "Tomás Reyes", Role::Author),
];

/// Loads the demo content; returns the demo accounts created by this call
/// with their one-time passwords (none when they already existed).
pub fn load(conn: &mut DbConn) -> Result<Vec<(String, String)>, ApiError> {
    db::write_tx(conn, |conn| {
        for s in SECTIONS {
            if section_queries::find_by_slug(conn, s.slug)?.is_some() {
                continue;
            }
            let parent_id = match s.parent {
                Some(p) => section_queries::find_by_slug(conn, p)?.map(|r| r.id),
                None => None,
            };
            let now = db::now();
            section_queries::insert_section(
                conn,
                &SectionRow {
                    id: db::new_id(),
                    slug: s.slug.into(),
                    name: s.name.into(),
                    description: Some(s.description.into()),
                    parent_id,
                    position: s.position,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
        }
        let mut created = Vec::new();
        for (email, name, role) in USERS {
            if user_queries::find_by_email(conn, email)?.is_some() {
                continue;
            }
            // A random password, printed once: demo data must never ship a
            // known credential.
            let password = random_token(12);
            user_queries::create_user(
                conn,
                CreateUser {
                    email,
                    display_name: name,
                    password: &password,
                    role: *role,
                },
            )?;
            created.push(((*email).to_string(), password));
        }
        Ok(created)
    })
}

/// A demo photo: drawn by the program, credited like a wire photo.
struct DemoPhoto {
    title: &'static str,
    caption: &'static str,
    alt_text: &'static str,
    creator: &'static str,
    provider: Option<&'static str>,
    notice: &'static str,
    keywords: &'static [&'static str],
    /// Sky top, sky bottom, ground colours.
    palette: [[u8; 3]; 3],
    /// Height of the horizon as a share of the picture.
    horizon: f32,
}

const PHOTOS: &[DemoPhoto] = &[
    DemoPhoto {
        title: "Harbour at first light",
        caption:
            "Fishing boats wait at their moorings as the morning mist lifts over the old harbour.",
        alt_text: "A calm harbour at dawn with a low sun over the water",
        creator: "Lena Brandt",
        provider: Some("Northwire Photo"),
        notice: "© Northwire Photo",
        keywords: &["harbour", "fishing", "morning"],
        palette: [[255, 183, 120], [255, 226, 180], [40, 70, 110]],
        horizon: 0.58,
    },
    DemoPhoto {
        title: "Council chamber lights late into the night",
        caption:
            "The lights of the city hall stay on as councillors debate the budget past midnight.",
        alt_text: "City skyline at night under a dark blue sky",
        creator: "Jo Park",
        provider: Some("Eastline Agency"),
        notice: "© Eastline Agency",
        keywords: &["city", "politics", "night"],
        palette: [[10, 16, 48], [44, 60, 120], [24, 24, 30]],
        horizon: 0.7,
    },
    DemoPhoto {
        title: "Snow closes the mountain pass",
        caption: "Ploughs clear the road to the pass after the season's first heavy snowfall.",
        alt_text: "Snowy mountain slopes under a pale sky",
        creator: "Tomás Reyes",
        provider: None,
        notice: "© newsdesk demo newsroom",
        keywords: &["weather", "mountains", "snow"],
        palette: [[170, 200, 230], [225, 235, 245], [235, 240, 248]],
        horizon: 0.5,
    },
];

fn draw(photo: &DemoPhoto, width: u32, height: u32) -> Result<Vec<u8>, String> {
    let lerp = |a: u8, b: u8, t: f32| (f32::from(a) + (f32::from(b) - f32::from(a)) * t) as u8;
    let [top, bottom, ground] = photo.palette;
    let horizon = (height as f32 * photo.horizon) as u32;
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        // A sun or moon, a ridge line, and a gradient sky.
        let (dx, dy) = (
            x as f32 - width as f32 * 0.7,
            y as f32 - horizon as f32 * 0.55,
        );
        if dx * dx + dy * dy < (height as f32 * 0.07).powi(2) {
            return image::Rgb([255, 244, 214]);
        }
        let ridge =
            horizon as f32 - (x as f32 / width as f32 * 12.0).sin().abs() * height as f32 * 0.08;
        if y as f32 > ridge {
            let shade = ((y - horizon.min(y)) as f32 / height as f32 * 0.6).min(0.6);
            return image::Rgb(ground.map(|c| lerp(c, 0, shade)));
        }
        let t = y as f32 / horizon.max(1) as f32;
        image::Rgb([
            lerp(top[0], bottom[0], t),
            lerp(top[1], bottom[1], t),
            lerp(top[2], bottom[2], t),
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&image)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Adds the demo photos through the media store. Photos already there (same
/// bytes) are left alone.
pub async fn load_media(
    pool: &db::Pool,
    store: &dyn crate::storage::MediaStore,
) -> Result<usize, ApiError> {
    use crate::media::dto::{Credit, MediaMetadata};
    use crate::media::model::{MediaRow, StoredFile};
    use crate::media::queries as media_queries;
    use sha2::{Digest, Sha256};

    let uploader = db::run(pool, |conn| user_queries::find_by_email(conn, USERS[0].0))
        .await?
        .map(|u| u.id);
    let mut added = 0;
    for photo in PHOTOS {
        let (width, height) = (1600, 1000);
        let bytes = draw(photo, width, height).map_err(ApiError::internal)?;
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let sha = sha256.clone();
        if db::run(pool, move |conn| media_queries::find_by_sha256(conn, &sha))
            .await?
            .is_some()
        {
            continue;
        }
        let key = crate::storage::original_key(&sha256, "jpg");
        let len = bytes.len() as i64;
        store
            .put_bytes(&key, bytes)
            .await
            .map_err(ApiError::internal)?;
        let columns = MediaMetadata {
            title: Some(photo.title.into()),
            alt_text: Some(photo.alt_text.into()),
            caption: Some(photo.caption.into()),
            credit: Credit {
                creators: vec![photo.creator.into()],
                provider: photo.provider.map(str::to_string),
                copyright_notice: Some(photo.notice.into()),
                usage_terms: photo.provider.map(|_| "Editorial use only".to_string()),
                ..Credit::default()
            },
            focal_point: Some(crate::media::dto::FocalPoint { x: 0.7, y: 0.35 }),
            keywords: photo.keywords.iter().map(|k| k.to_string()).collect(),
            ..MediaMetadata::default()
        }
        .columns();
        let row = MediaRow::new(
            StoredFile {
                kind: "image".into(),
                mime_type: "image/jpeg".into(),
                bytes: len,
                sha256,
                storage_key: key,
                width: Some(width as i32),
                height: Some(height as i32),
                duration_seconds: None,
                original_filename: Some(format!("{}.jpg", crate::slug::slugify(photo.title))),
            },
            columns,
            uploader.clone(),
        );
        db::run(pool, move |conn| {
            media_queries::insert_media(conn, &row).map_err(ApiError::from)
        })
        .await?;
        added += 1;
    }
    Ok(added)
}
