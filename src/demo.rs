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
