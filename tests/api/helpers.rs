//! Starting the app on a database of its own, and small request helpers.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};
use newsdesk::auth::role::Role;
use newsdesk::config::{Secret, Settings};
use newsdesk::db;
use newsdesk::startup::Application;
use newsdesk::users::service::{create as create_user, CreateUser};
use reqwest::{Method, Response};
use serde_json::Value;

/// The JWT secret every test app signs with, so tests can forge and check tokens.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
/// The password of every user a test creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum TestDb {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite => {}
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut conn) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    ))
                    .execute(&mut conn);
                }
            }
        }
    }
}

/// A running app on its own database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: db::Pool,
    /// The settings it runs with (its database URL among them).
    pub settings: Settings,
    /// Where this app keeps media files.
    pub media_dir: PathBuf,
    _db: TestDb,
    _dir: TempDir,
}

pub fn postgres_admin_url() -> Option<String> {
    static NOTICE: Once = Once::new();
    let url = std::env::var("NEWSDESK_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        NOTICE.call_once(|| {
            // Written past the test harness's capture, so it shows once per run.
            let _ = writeln!(
                std::io::stderr(),
                "NOTE: NEWSDESK_TEST_POSTGRES_URL is not set: the PostgreSQL variants of the tests were NOT run"
            );
        });
    }
    url
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

/// Settings for a test app on `url`.
pub fn test_settings(url: &str, media_dir: &std::path::Path) -> Settings {
    Settings {
        database_url: url.to_string(),
        db_pool_size: 4,
        bind: "127.0.0.1:0".into(),
        jwt_secret: Secret::new(TEST_SECRET),
        jwt_previous_secret: None,
        media_dir: media_dir.to_path_buf(),
        media_store: None,
        default_locale: "en".into(),
        read_cache_ttl: Duration::from_millis(1000),
        media: newsdesk::config::MediaSettings {
            max_upload: 5 * 1024 * 1024,
            widths: vec![320, 640, 960],
            max_pixels: 40_000_000,
        },
        access_ttl: Duration::from_secs(900),
        refresh_ttl: Duration::from_secs(3600),
        auth_rate_limit: 10_000,
        trust_proxy: Default::default(),
        workers: Some(2),
        comments: newsdesk::config::CommentSettings::default(),
        event_retention: chrono::Duration::days(30),
        scheduler: true,
        webhooks: newsdesk::config::WebhookSettings {
            allow_private: true,
            ..Default::default()
        },
        cors: Default::default(),
        login: Default::default(),
        metrics: Default::default(),
        sitemap_max_urls: 50_000,
    }
}

/// Starts the app on a fresh database; `None` for PostgreSQL when it is not configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with adjusted settings.
pub async fn spawn_app_with(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let dir = std::env::temp_dir().join(format!("newsdesk-test-{unique}"));
    let (url, test_db) = match backend {
        Backend::Sqlite => {
            std::fs::create_dir_all(&dir).expect("temp dir");
            let url = format!("sqlite://{}", dir.join("test.db").display());
            (url, TestDb::Sqlite)
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url()?;
            let name = format!("newsdesk_test_{unique}");
            let mut conn =
                PgConnection::establish(&admin_url).expect("connect to NEWSDESK_TEST_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create test database");
            (
                replace_database(&admin_url, &name),
                TestDb::Postgres { admin_url, name },
            )
        }
    };
    let dir = TempDir(dir);
    let media_dir = dir.0.join("media");
    let mut settings = test_settings(&url, &media_dir);
    adjust(&mut settings);
    let pool = db::pool(&url, settings.db_pool_size).expect("pool");
    db::migrate(&mut pool.get().expect("connection")).expect("migrations");
    let app = Application::build(&settings, pool.clone()).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(TestApp {
        address,
        client,
        pool,
        settings,
        media_dir,
        _db: test_db,
        _dir: dir,
    })
}

impl TestApp {
    /// Starts another server on this app's database, as a second instance
    /// behind a load balancer would run; its base address.
    pub fn another_server(&self) -> String {
        let pool = db::pool(&self.settings.database_url, self.settings.db_pool_size).expect("pool");
        let app = Application::build(&self.settings, pool).expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }
}

/// A logged-in user of a test.
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A request builder with an optional bearer token.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(t) => builder.bearer_auth(t),
            None => builder,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("request")
    }

    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.request(method, path, token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Creates a user directly in the database and logs them in over HTTP.
    pub async fn user(&self, role: Role) -> TestUser {
        let email = format!("{}-{}@example.com", role, uuid::Uuid::now_v7().simple());
        let pool = self.pool.clone();
        let e = email.clone();
        let row = tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("connection");
            create_user(
                &mut conn,
                CreateUser {
                    email: &e,
                    display_name: "Test User",
                    password: PASSWORD,
                    role,
                },
            )
            .expect("create user")
        })
        .await
        .expect("join");
        let tokens = self.login(&email, PASSWORD).await;
        assert_eq!(tokens.status(), 200, "login of a fresh user");
        let tokens: Value = tokens.json().await.expect("json");
        TestUser {
            id: row.id,
            email,
            access_token: tokens["access_token"].as_str().expect("access").to_string(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_string(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.send_json(
            Method::POST,
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }
}

/// Asserts a problem+json error with the status, `X-Request-Id` matching the
/// body's `request_id`, and returns the body.
pub async fn assert_problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(content_type, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("X-Request-Id")
        .to_string();
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["status"].as_u64(), Some(status as u64));
    assert_eq!(body["request_id"].as_str(), Some(header_id.as_str()));
    assert!(
        body["type"].as_str().is_some_and(|t| !t.is_empty()),
        "type: {body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "title: {body}"
    );
    assert!(
        body["instance"]
            .as_str()
            .is_some_and(|t| t.starts_with('/')),
        "instance: {body}"
    );
    body
}

/// The field names of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A response header's value, if present and text.
pub fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Runs each listed `async fn(&TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        super::$name(&app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(&app).await;
                    }
                }
            )*
        }
    };
}

/// A test on both backends with adjusted settings.
#[macro_export]
macro_rules! with_settings {
    ($module:ident, $test:ident, $adjust:expr) => {
        mod $module {
            use super::*;
            use $crate::helpers::{spawn_app_with, Backend};

            async fn run(backend: Backend) {
                if let Some(app) = spawn_app_with(backend, $adjust).await {
                    $test(&app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}
