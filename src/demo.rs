//! The demo newsroom loaded by `serve --demo`: sections with descriptions
//! (one nested), an editor and an author. Loading it twice changes nothing.

use crate::auth::role::{Actor, Role};
use crate::auth::token::random_token;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::sections::dto::CreateSectionRequest;
use crate::sections::{queries as section_queries, service as section_service};
use crate::users::queries as user_queries;
use crate::users::service::{self as user_service, CreateUser};

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
    ("lena@demo.newsdesk.local", "Lena Brandt", Role::Reader),
    ("omar@demo.newsdesk.local", "Omar Haddad", Role::Reader),
    ("priya@demo.newsdesk.local", "Priya Nair", Role::Reader),
];

/// Demo discussions: (article headline, [(reader index in USERS, answers
/// comment n of this list, text, approved)]).
type DemoThread = (
    &'static str,
    &'static [(usize, Option<usize>, &'static str, bool)],
);

const COMMENTS: &[DemoThread] = &[
    (
        "Council passes budget after a debate that ran past midnight",
        &[
            (2, None, "Does the budget say anything about the library branches that were due to close?", true),
            (3, Some(0), "Page 14 of the draft: two branches stay open with shorter hours.", true),
            (2, Some(1), "Thanks. Shorter hours beat no library at all.", true),
            (4, Some(2), "Evening hours would help people who work days, though.\nWorth writing to the council.", true),
            (4, None, "Half the night spent on the parking fees again. Priorities!", true),
            (3, None, "Who voted against? The article lists only the final tally.", false),
        ],
    ),
    (
        "Night trains return to the Alpine route after a decade",
        &[
            (4, None, "Took the old night train as a student. Glad it is back.", true),
            (2, Some(0), "Same here. Hoping the couchettes are more comfortable this time.", true),
        ],
    ),
];

/// Loads the demo content; returns the demo accounts created by this call
/// with their one-time passwords (none when they already existed).
pub fn load(conn: &mut DbConn) -> Result<Vec<(String, String)>, ApiError> {
    db::write_tx(conn, |conn| {
        let mut created = Vec::new();
        for (email, name, role) in USERS {
            if user_queries::find_by_email(conn, email)?.is_some() {
                continue;
            }
            // A random password, printed once: demo data must never ship a
            // known credential.
            let password = random_token(12);
            user_service::create(
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
        // The sections are the demo editor's work.
        let editor = user_queries::find_by_email(conn, USERS[0].0)?
            .ok_or_else(|| ApiError::internal("the demo editor is missing"))?;
        let desk = Actor {
            id: editor.id,
            role: editor.role,
        };
        for s in SECTIONS {
            if section_queries::find_by_slug(conn, s.slug)?.is_some() {
                continue;
            }
            let parent_id = match s.parent {
                Some(p) => section_queries::find_by_slug(conn, p)?.map(|r| r.id),
                None => None,
            };
            section_service::create(
                conn,
                &desk,
                CreateSectionRequest {
                    name: s.name.into(),
                    slug: Some(s.slug.into()),
                    description: Some(s.description.into()),
                    parent_id,
                    position: Some(s.position),
                },
            )?;
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

    let uploader = db::query(pool, |conn| user_queries::find_by_email(conn, USERS[0].0))
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
        if db::query(pool, move |conn| media_queries::find_by_sha256(conn, &sha))
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
            crate::media::service::register(conn, &row)
        })
        .await?;
        added += 1;
    }
    Ok(added)
}

/// A demo article (all text written for the demo).
struct DemoArticle {
    section: &'static str,
    kicker: &'static str,
    headline: &'static str,
    summary: &'static str,
    dateline: &'static str,
    source: &'static str,
    category: &'static str,
    paragraphs: &'static [&'static str],
    quote: (&'static str, &'static str),
    photo: Option<usize>,
    hours_ago: i64,
    /// Its locale, when not the server's default.
    locale: Option<&'static str>,
}

const ARTICLES: &[DemoArticle] = &[
    DemoArticle {
        section: "world", kicker: "Diplomacy", headline: "Foreign ministers agree to meet again before the spring summit",
        summary: "After six hours of talks the delegations said they had narrowed their differences on trade and transit.",
        dateline: "GENEVA", source: "Northwire", category: "wire",
        paragraphs: &["The ministers met behind closed doors in a lakeside hotel and emerged late in the evening.", "Officials said a working group would draft a joint statement within a month."],
        quote: ("We did not solve everything today, but we now speak the same language.", "The host country's foreign minister"),
        photo: None, hours_ago: 2, locale: None,
    },
    DemoArticle {
        section: "europe", kicker: "Elections", headline: "Turnout rises in regional elections as polling stations stay open late",
        summary: "Election officials extended voting by two hours after long queues formed in three cities.",
        dateline: "VIENNA", source: "Eastline Agency", category: "wire",
        paragraphs: &["Turnout reached 61 percent, the highest in two decades, according to preliminary figures.", "Results are expected after midnight, once postal ballots have been counted."],
        quote: ("People waited in the rain for an hour; that tells you how much this vote matters to them.", "A polling station chair"),
        photo: None, hours_ago: 5, locale: None,
    },
    DemoArticle {
        section: "politics", kicker: "City hall", headline: "Council passes budget after a debate that ran past midnight",
        summary: "The spending plan funds new bus routes and school repairs but delays the stadium renovation.",
        dateline: "RIVERTON", source: "Staff", category: "staff",
        paragraphs: &["The vote was 27 to 18, with two councillors abstaining.", "Opposition members said the plan relied on optimistic tax forecasts."],
        quote: ("This budget puts buses and classrooms ahead of grandstands.", "The council's finance chair"),
        photo: Some(1), hours_ago: 7, locale: None,
    },
    DemoArticle {
        section: "politics", kicker: "Parliament", headline: "Committee opens hearings on the new housing bill",
        summary: "Tenant groups and builders will testify over three days on rent caps and planning rules.",
        dateline: "RIVERTON", source: "Staff", category: "staff",
        paragraphs: &["The bill would cap annual rent increases and shorten planning approvals for small projects.", "A vote in the full chamber is not expected before the summer recess."],
        quote: ("We want to hear from the people who will live with this law.", "The committee chair"),
        photo: None, hours_ago: 9, locale: None,
    },
    DemoArticle {
        section: "business", kicker: "Markets", headline: "Shares in regional lenders climb as rate cut expectations grow",
        summary: "Bank stocks led a broad rally after inflation data came in below forecasts.",
        dateline: "FRANKFURT", source: "Northwire", category: "wire",
        paragraphs: &["The banking index rose 2.4 percent, its best day in three months.", "Bond yields fell as traders priced in a cut at the next policy meeting."],
        quote: ("The data gave the market the excuse it was looking for.", "A fund manager at a regional investment firm"),
        photo: None, hours_ago: 3, locale: None,
    },
    DemoArticle {
        section: "business", kicker: "Energy", headline: "Harbour wind farm delivers first power to the grid",
        summary: "The first twelve turbines are running; the remaining thirty will follow by the end of the year.",
        dateline: "PORT ELLEN", source: "Staff", category: "staff",
        paragraphs: &["At full capacity the farm will supply about a fifth of the region's households.", "Fishermen's groups said they were still negotiating compensation for lost grounds."],
        quote: ("Today the harbour starts exporting something other than fish.", "The project director"),
        photo: Some(0), hours_ago: 11, locale: None,
    },
    DemoArticle {
        section: "science", kicker: "Space", headline: "Amateur astronomers spot a comet brightening faster than expected",
        summary: "The comet could be visible to the naked eye from dark sites next week, observers say.",
        dateline: "LA PALMA", source: "Staff", category: "staff",
        paragraphs: &["Its brightness has doubled every two days since it was discovered in October.", "Astronomers caution that comets often fade as quickly as they flare."],
        quote: ("Comets are like cats: they have tails and they do exactly what they want.", "An observatory spokesperson"),
        photo: None, hours_ago: 14, locale: None,
    },
    DemoArticle {
        section: "science", kicker: "Climate", headline: "Glacier retreat measured with drones shows a record summer loss",
        summary: "A survey team recorded the largest single-season loss since measurements began in 1950.",
        dateline: "ZERMATT", source: "Eastline Agency", category: "wire",
        paragraphs: &["The tongue of the glacier pulled back 47 metres, compared with an average of 18.", "Researchers plan to repeat the survey each month through the winter."],
        quote: ("The numbers were so large we flew the route twice to be sure.", "The survey's lead scientist"),
        photo: Some(2), hours_ago: 20, locale: None,
    },
    DemoArticle {
        section: "sport", kicker: "Football", headline: "Late header sends the home side into the cup semi-finals",
        summary: "A stoppage-time goal settled a tense quarter-final in front of a sold-out stadium.",
        dateline: "RIVERTON", source: "Staff", category: "staff",
        paragraphs: &["The visitors had equalised with ten minutes left and looked the stronger side.", "The semi-final draw takes place on Monday."],
        quote: ("I closed my eyes and the ball found my head.", "The match-winning defender"),
        photo: None, hours_ago: 4, locale: None,
    },
    DemoArticle {
        section: "sport", kicker: "Athletics", headline: "Marathon organisers move the start earlier to beat the heat",
        summary: "Runners will set off at 7 a.m., an hour earlier than planned, after a heat warning.",
        dateline: "SEVILLE", source: "Northwire", category: "wire",
        paragraphs: &["Extra water stations will be added every five kilometres.", "Organisers said the course and the cut-off times were unchanged."],
        quote: ("Safety comes before television schedules.", "The race director"),
        photo: None, hours_ago: 26, locale: None,
    },
    DemoArticle {
        section: "world", kicker: "Aid", headline: "Relief convoy reaches flooded villages after roads reopen",
        summary: "Trucks carrying food, water filters and tents arrived two days after the water began to recede.",
        dateline: "DHAKA", source: "Eastline Agency", category: "wire",
        paragraphs: &["Volunteers unloaded supplies in the school yard, the only dry ground for miles.", "Health workers are testing wells for contamination."],
        quote: ("The water took our fields, but not our neighbours.", "A village elder"),
        photo: None, hours_ago: 30, locale: None,
    },
    DemoArticle {
        section: "europe", kicker: "Transport", headline: "Night trains return to the Alpine route after a decade",
        summary: "Sleeper services will run three times a week between the capital and the coast from December.",
        dateline: "MUNICH", source: "Staff", category: "staff",
        paragraphs: &["Tickets sold out within hours for the first weekend of service.", "The operator said it would add a fourth weekly train if demand held."],
        quote: ("You fall asleep in the snow and wake up by the sea.", "The operator's chief executive"),
        photo: None, hours_ago: 36, locale: None,
    },
    DemoArticle {
        section: "world", kicker: "Дипломатия", headline: "Министры иностранных дел договорились о новой встрече в Вене",
        summary: "После шести часов переговоров стороны заявили, что сблизили позиции по транзиту и торговле.",
        dateline: "ВЕНА", source: "Northwire", category: "wire",
        paragraphs: &["Делегации встретились в субботу в здании бывшего дворца на берегу Дуная и работали до позднего вечера.", "По словам участников, рабочая группа подготовит проект совместного заявления в течение месяца."],
        quote: ("Мы не решили всех вопросов, но теперь говорим на одном языке.", "Министр иностранных дел страны-хозяйки"),
        photo: Some(0), hours_ago: 1, locale: Some("ru"),
    },
];

/// Adds the demo articles (published at staggered times in the past), and one
/// draft; articles whose slug exists are left alone.
pub fn load_articles(conn: &mut DbConn, default_locale: &str) -> Result<usize, ApiError> {
    use crate::articles::service::{self, Import};
    use crate::articles::{dto::ArticleDocument, queries as article_queries};

    let Some(editor) = user_queries::find_by_email(conn, USERS[0].0)? else {
        return Ok(0);
    };
    let author = user_queries::find_by_email(conn, USERS[1].0)?;
    let staff = Actor {
        id: editor.id.clone(),
        role: Role::Editor,
    };
    let photos: Vec<Option<String>> = PHOTOS
        .iter()
        .map(|p| {
            use crate::db::schema::media;
            use diesel::prelude::*;
            media::table
                .filter(media::title.eq(p.title))
                .select(media::id)
                .first::<String>(conn)
                .optional()
                .map_err(ApiError::from)
        })
        .collect::<Result<_, _>>()?;
    let mut added = 0;
    for (i, a) in ARTICLES.iter().enumerate() {
        let locale = a.locale.unwrap_or(default_locale);
        if article_queries::find_by_slug(conn, locale, &crate::slug::slugify(a.headline))?.is_some()
        {
            continue;
        }
        let Some(section) = section_queries::find_by_slug(conn, a.section)? else {
            continue;
        };
        let writer = if i % 2 == 0 {
            &editor
        } else {
            author.as_ref().unwrap_or(&editor)
        };
        let mut body = Vec::new();
        for (n, p) in a.paragraphs.iter().enumerate() {
            body.push(serde_json::json!({"type": "paragraph", "text": p}));
            if n == 0 {
                body.push(serde_json::json!({"type": "quote", "text": a.quote.0, "attribution": a.quote.1}));
            }
        }
        let main_media = a
            .photo
            .and_then(|p| photos.get(p).cloned().flatten())
            .map(|id| serde_json::json!({"media_id": id}));
        let doc: ArticleDocument = serde_json::from_value(serde_json::json!({
            "kicker": a.kicker, "headline": a.headline, "summary": a.summary, "dateline": a.dateline,
            "source": a.source, "source_category": a.category, "section_id": section.id, "locale": locale,
            "bylines": [{"user_id": writer.id, "role": "reporting"}], "body": body, "main_media": main_media,
            "comments_policy": "moderated",
        }))
        .map_err(ApiError::internal)?;
        let import = Import {
            writer: writer.id.clone(),
            doc,
            published_at: db::now() - chrono::Duration::hours(a.hours_ago),
        };
        service::import_published(conn, &staff, vec![import], default_locale)?;
        added += 1;
    }
    if article_queries::find_by_slug(
        conn,
        default_locale,
        "draft-reader-letters-on-the-bus-routes",
    )?
    .is_none()
    {
        if let Some(section) = section_queries::find_by_slug(conn, "politics")? {
            let doc: ArticleDocument = serde_json::from_value(serde_json::json!({
                "headline": "Draft: reader letters on the bus routes", "slug": "draft-reader-letters-on-the-bus-routes",
                "section_id": section.id, "body": [{"type": "paragraph", "text": "Collect the best letters before Friday."}],
            }))
            .map_err(ApiError::internal)?;
            service::create(conn, &staff, doc, default_locale)?;
        }
    }
    Ok(added)
}

/// Comment threads on two demo articles: a reply chain, a second thread and
/// one comment still waiting for moderation. Skipped for an article that
/// already has comments.
pub fn load_comments(conn: &mut DbConn, default_locale: &str) -> Result<usize, ApiError> {
    use crate::articles::queries as article_queries;
    use crate::comments::model::CommentRow;
    use crate::comments::service as comment_service;
    use crate::comments::status::CommentStatus;
    use crate::db::schema::comments;
    use diesel::prelude::*;

    let mut readers = Vec::new();
    for (email, _, _) in USERS {
        readers.push(user_queries::find_by_email(conn, email)?.map(|u| u.id));
    }
    let mut added = 0;
    for (headline, thread) in COMMENTS {
        let slug = crate::slug::slugify(headline);
        let Some(article) = article_queries::find_by_slug(conn, default_locale, &slug)? else {
            continue;
        };
        let existing: i64 = comments::table
            .filter(comments::article_id.eq(&article.id))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            continue;
        }
        let start = article.published_at.unwrap_or_else(db::now);
        db::write_tx(conn, |conn| {
            let mut rows: Vec<CommentRow> = Vec::new();
            for (n, (reader, answers, text, approved)) in thread.iter().enumerate() {
                let Some(Some(user_id)) = readers.get(*reader) else {
                    continue;
                };
                let parent = answers.and_then(|a| rows.get(a)).cloned();
                let id = db::new_id();
                let row = CommentRow {
                    thread_id: parent
                        .as_ref()
                        .map_or_else(|| id.clone(), |p| p.thread_id.clone()),
                    parent_id: parent.as_ref().map(|p| p.id.clone()),
                    reply_to_id: parent.as_ref().map(|p| p.id.clone()),
                    depth: parent.as_ref().map_or(0, |p| p.depth + 1),
                    id,
                    article_id: article.id.clone(),
                    user_id: user_id.clone(),
                    body: (*text).to_string(),
                    status: if *approved {
                        CommentStatus::Approved
                    } else {
                        CommentStatus::Pending
                    },
                    hidden: false,
                    flag_count: 0,
                    version: 1,
                    created_at: start + chrono::Duration::minutes(17 * (n as i64 + 1)),
                    edited_at: None,
                    deleted_at: None,
                };
                comment_service::store(conn, &row)?;
                rows.push(row);
                added += 1;
            }
            Ok(())
        })?;
    }
    Ok(added)
}
