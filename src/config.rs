//! Typed settings from flags and environment variables. Secrets never print:
//! [`Secret`] redacts itself in `Debug`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

/// A value that must never reach a log line.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

/// Where the database lives; the backend is chosen by the URL scheme.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (embedded, the default) or `postgres://…` (production).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://newsdesk.db",
        global = true
    )]
    pub database_url: String,
    /// Connections in the pool (default: 4 on SQLite, 8 on PostgreSQL).
    #[arg(long, env = "NEWSDESK_DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<u32>,
}

/// Where the newsroom's own site shows its content: the public URLs of
/// articles, sections, tags and authors (see [`crate::urls`]).
#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// The API's own public address (its CDN's, say): media files in feeds
    /// and syndication are named by it.
    #[arg(long, env = "NEWSDESK_PUBLIC_API_URL", default_value = crate::urls::DEFAULT_API, global = true)]
    pub public_api_url: String,
    /// The publication's name, as feeds and the Google News sitemap print it.
    #[arg(long, env = "NEWSDESK_PUBLICATION_NAME", default_value = crate::urls::DEFAULT_NAME, global = true)]
    pub publication_name: String,
    /// The site's address, e.g. `https://news.example`.
    #[arg(long, env = "NEWSDESK_SITE_URL", default_value = crate::urls::DEFAULT_SITE, global = true)]
    pub site_url: String,
    /// An article's path: `{section}`, `{slug}`, `{id}`, `{locale}`,
    /// `{yyyy}`, `{mm}` and `{dd}` (first publication), with `{slug}` or
    /// `{id}`, e.g. `/{section}/{yyyy}/{mm}/{dd}/{slug}`.
    #[arg(long, env = "NEWSDESK_ARTICLE_PATH", default_value = crate::urls::DEFAULT_ARTICLE_PATH, global = true)]
    pub article_path: String,
    /// A section's path, with `{section}` (its slug).
    #[arg(long, env = "NEWSDESK_SECTION_PATH", default_value = crate::urls::DEFAULT_SECTION_PATH, global = true)]
    pub section_path: String,
    /// A tag's path, with `{tag}` (its slug).
    #[arg(long, env = "NEWSDESK_TAG_PATH", default_value = crate::urls::DEFAULT_TAG_PATH, global = true)]
    pub tag_path: String,
    /// A staff author's path, with `{id}` (their user id).
    #[arg(long, env = "NEWSDESK_AUTHOR_PATH", default_value = crate::urls::DEFAULT_AUTHOR_PATH, global = true)]
    pub author_path: String,
}

impl SiteArgs {
    /// The public URLs these settings give, checked.
    pub fn resolve(&self) -> anyhow::Result<crate::urls::PublicUrls> {
        crate::urls::PublicUrls::new(
            &self.site_url,
            &self.article_path,
            &self.section_path,
            &self.tag_path,
            &self.author_path,
        )?
        .named(&self.publication_name)?
        .with_api(&self.public_api_url)
    }
}

impl DatabaseArgs {
    /// The pool size asked for, or the backend's default: SQLite reads run
    /// on this machine's cores and each connection keeps its own page
    /// cache (4 used 12 MiB less than 8 under random searches, and served
    /// no fewer); PostgreSQL connections mostly wait on the network.
    pub fn pool_size(&self) -> u32 {
        let default = if self.database_url.starts_with("sqlite:") {
            4
        } else {
            8
        };
        self.db_pool_size.unwrap_or(default).max(1)
    }
}

/// Everything `newsdesk serve` is configured by.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "NEWSDESK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Load the demo newsroom (idempotent) before serving.
    #[arg(long)]
    pub demo: bool,
    /// HMAC secret for access tokens (32 bytes or more). Unset on SQLite: one is
    /// generated and kept beside the database file. Required on PostgreSQL.
    #[arg(long, env = "NEWSDESK_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// The JWT secret before the last rotation: it no longer signs, but
    /// tokens it signed stay valid until they expire.
    #[arg(long, env = "NEWSDESK_JWT_PREVIOUS_SECRET", hide_env_values = true)]
    pub jwt_previous_secret: Option<String>,
    /// Directory for media files (local storage).
    #[arg(long, env = "NEWSDESK_MEDIA_DIR", default_value = "./media")]
    pub media_dir: PathBuf,
    /// Where media bytes are stored: unset for local disk under the media
    /// directory; `s3://bucket/prefix` for S3-compatible object storage.
    #[arg(long, env = "NEWSDESK_MEDIA_STORE")]
    pub media_store: Option<String>,
    /// Largest upload, in bytes.
    #[arg(long, env = "NEWSDESK_MAX_UPLOAD", default_value_t = 50 * 1024 * 1024)]
    pub max_upload: u64,
    #[command(flatten)]
    pub renditions: RenditionArgs,
    /// Largest image accepted, in pixels (width × height); larger ones are
    /// refused before decoding.
    #[arg(long, env = "NEWSDESK_MAX_IMAGE_PIXELS", default_value_t = 100_000_000)]
    pub max_image_pixels: u64,
    /// Locale (BCP 47) of articles that name none.
    #[arg(long, env = "NEWSDESK_DEFAULT_LOCALE", default_value = "en")]
    pub default_locale: String,
    /// How long an anonymous read of published content is answered from
    /// memory, in milliseconds (0 turns the cache off).
    #[arg(long, env = "NEWSDESK_READ_CACHE_MS", default_value_t = 1000)]
    pub read_cache_ms: u64,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "NEWSDESK_ACCESS_TTL", default_value_t = 900)]
    pub access_ttl: u64,
    /// Lifetime of a refresh token, in seconds.
    #[arg(long, env = "NEWSDESK_REFRESH_TTL", default_value_t = 30 * 24 * 3600)]
    pub refresh_ttl: u64,
    /// Login and register attempts allowed per client address per minute.
    #[arg(long, env = "NEWSDESK_AUTH_RATE_LIMIT", default_value_t = 10)]
    pub auth_rate_limit: u32,
    /// The proxies whose `X-Forwarded-For` names the client: addresses and
    /// networks (`10.0.0.0/8,192.0.2.7`), `true` for any peer (only when
    /// nothing but the proxy can reach the server), or `false`.
    #[arg(long, env = "NEWSDESK_TRUST_PROXY", default_value = "false")]
    pub trust_proxy: String,
    /// How deep replies nest (1 = replies to top-level comments only);
    /// deeper replies attach to the deepest allowed level.
    #[arg(long, env = "NEWSDESK_COMMENT_MAX_DEPTH", default_value_t = 3)]
    pub comment_max_depth: u32,
    /// Days after publication that an article takes comments (0: no limit).
    #[arg(long, env = "NEWSDESK_COMMENT_WINDOW_DAYS", default_value_t = 30)]
    pub comment_window_days: u32,
    /// Minutes during which authors may edit their comments.
    #[arg(long, env = "NEWSDESK_COMMENT_EDIT_MINUTES", default_value_t = 15)]
    pub comment_edit_minutes: u32,
    /// Reader flags that send an approved comment back to moderation.
    #[arg(long, env = "NEWSDESK_COMMENT_FLAG_THRESHOLD", default_value_t = 3)]
    pub comment_flag_threshold: u32,
    /// Comments a user may post per minute.
    #[arg(long, env = "NEWSDESK_COMMENT_RATE_LIMIT", default_value_t = 5)]
    pub comment_rate_limit: u32,
    /// Days the change feed keeps events; older cursors must resync.
    #[arg(long, env = "NEWSDESK_EVENT_RETENTION_DAYS", default_value_t = 30)]
    pub event_retention_days: u32,
    /// Run the background work in this server: the scheduler of time-driven
    /// events and webhook delivery (`false` when `newsdesk worker`
    /// processes do it).
    #[arg(long, env = "NEWSDESK_SCHEDULER", default_value_t = true, action = clap::ArgAction::Set)]
    pub scheduler: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "NEWSDESK_WORKERS")]
    pub workers: Option<usize>,
    /// Failed logins an account may have within 15 minutes before it is
    /// locked for a minute (doubling with each further failure, at most 15).
    #[arg(long, env = "NEWSDESK_LOGIN_ACCOUNT_FAILURES", default_value_t = 5)]
    pub login_account_failures: u32,
    /// Failed logins one client address may have within 15 minutes before
    /// it is locked the same way (successes never count).
    #[arg(long, env = "NEWSDESK_LOGIN_ADDRESS_FAILURES", default_value_t = 50)]
    pub login_address_failures: u32,
    /// Browser origins allowed to call the API (CORS), comma-separated:
    /// `*` lets any origin read public content; listed origins
    /// (`https://www.example.com`) may do anything, with a token.
    #[arg(long, env = "NEWSDESK_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// A bearer token that `GET /metrics` asks for (at least 16 bytes).
    /// Without it, and without `NEWSDESK_METRICS_BIND`, no metrics are served.
    #[arg(long, env = "NEWSDESK_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// A separate address that serves `GET /metrics` alone (an operations
    /// network's interface, say `10.0.0.5:9464`), without a token unless
    /// `NEWSDESK_METRICS_TOKEN` is set too.
    #[arg(long, env = "NEWSDESK_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// The most URLs in one monthly sitemap; a bigger month is split in
    /// parts (at most 50,000, the sitemaps.org limit).
    #[arg(long, env = "NEWSDESK_SITEMAP_MAX_URLS", default_value_t = 50_000)]
    pub sitemap_max_urls: usize,
    /// Webhook delivery.
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// Webhook delivery settings, shared by `serve` and `worker`.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookArgs {
    /// Let webhooks reach loopback, link-local and private addresses (an
    /// internal receiver, tests). Off by default: no SSRF through the CMS.
    #[arg(long, env = "NEWSDESK_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,
    /// Waits before each retry of a failed delivery, comma-separated, each a
    /// number with `ms`, `s`, `m`, `h` or `d`; after the last, the delivery
    /// has failed.
    #[arg(
        long,
        env = "NEWSDESK_WEBHOOK_RETRY_SCHEDULE",
        default_value = "5s,5m,30m,2h,5h,10h,10h"
    )]
    pub webhook_retry_schedule: String,
    /// Hours an endpoint may fail every attempt before it is disabled.
    #[arg(
        long,
        env = "NEWSDESK_WEBHOOK_DISABLE_AFTER_HOURS",
        default_value_t = 120
    )]
    pub webhook_disable_after_hours: u32,
    /// Seconds an attempt may take (connecting included) before it counts
    /// as failed.
    #[arg(long, env = "NEWSDESK_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,
}

impl WebhookArgs {
    /// The settings these arguments give.
    pub fn resolve(&self) -> anyhow::Result<WebhookSettings> {
        Ok(WebhookSettings {
            allow_private: self.webhook_allow_private,
            retry_schedule: parse_schedule(&self.webhook_retry_schedule)?,
            disable_after: chrono::Duration::hours(i64::from(
                self.webhook_disable_after_hours.max(1),
            )),
            timeout: Duration::from_secs(self.webhook_timeout_secs.clamp(1, 60)),
        })
    }
}

/// Parses `5s,5m,30m` into durations.
pub fn parse_schedule(text: &str) -> anyhow::Result<Vec<chrono::Duration>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let split = item
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(item.len());
            let (number, unit) = item.split_at(split);
            let n: i64 = number
                .parse()
                .map_err(|_| anyhow::anyhow!("`{item}` in the retry schedule is not a duration"))?;
            Ok(match unit {
                "ms" => chrono::Duration::milliseconds(n),
                "s" | "" => chrono::Duration::seconds(n),
                "m" => chrono::Duration::minutes(n),
                "h" => chrono::Duration::hours(n),
                "d" => chrono::Duration::days(n),
                _ => anyhow::bail!("`{item}` in the retry schedule has an unknown unit"),
            })
        })
        .collect()
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Whether private addresses may be reached.
    pub allow_private: bool,
    /// Waits before each retry.
    pub retry_schedule: Vec<chrono::Duration>,
    /// How long an endpoint may fail every attempt before it is disabled.
    pub disable_after: chrono::Duration,
    /// How long an attempt may take.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_schedule: parse_schedule("5s,5m,30m,2h,5h,10h,10h").unwrap_or_default(),
            disable_after: chrono::Duration::hours(120),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Settings of a running server, resolved from [`ServeArgs`] and [`DatabaseArgs`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL.
    pub database_url: String,
    /// Pool size.
    pub db_pool_size: u32,
    /// Listen address.
    pub bind: String,
    /// HMAC key for access tokens.
    pub jwt_secret: Secret,
    /// The key before the last rotation, still verifying.
    pub jwt_previous_secret: Option<Secret>,
    /// Media directory.
    pub media_dir: PathBuf,
    /// Locale of articles that name none.
    pub default_locale: String,
    /// Lifetime of cached public reads.
    pub read_cache_ttl: Duration,
    /// Object storage URL, if not local.
    pub media_store: Option<String>,
    /// Media limits and renditions.
    pub media: MediaSettings,
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh token lifetime.
    pub refresh_ttl: Duration,
    /// Auth attempts per client per minute.
    pub auth_rate_limit: u32,
    /// Whose forwarding headers name the client.
    pub trust_proxy: crate::auth::proxies::TrustedProxies,
    /// Worker threads.
    pub workers: Option<usize>,
    /// Reader comments.
    pub comments: CommentSettings,
    /// How long the change feed keeps events.
    pub event_retention: chrono::Duration,
    /// Whether this server runs the background work: the scheduler of
    /// time-driven events and webhook delivery.
    pub scheduler: bool,
    /// Webhook delivery.
    pub webhooks: WebhookSettings,
    /// Browser origins allowed to call the API.
    pub cors: crate::http::cors::CorsPolicy,
    /// Failed logins allowed per account and per address.
    pub login: LoginLimits,
    /// Who may read the metrics.
    pub metrics: crate::metrics::MetricsSettings,
    /// The most URLs in one monthly sitemap.
    pub sitemap_max_urls: usize,
}

/// Failed logins allowed within the throttle's window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Per account.
    pub account: u32,
    /// Per client address.
    pub address: u32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            account: 5,
            address: 50,
        }
    }
}

/// The shortest JWT secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

impl Settings {
    /// Resolves the settings, generating and storing a JWT secret on SQLite when
    /// none is configured.
    pub fn resolve(db: &DatabaseArgs, serve: &ServeArgs) -> anyhow::Result<Self> {
        let jwt_secret = match &serve.jwt_secret {
            Some(s) if s.len() >= MIN_SECRET_LEN => Secret::new(s.clone()),
            Some(_) => anyhow::bail!("NEWSDESK_JWT_SECRET must be at least {MIN_SECRET_LEN} bytes"),
            None => match crate::db::sqlite_path(&db.database_url) {
                Some(path) => Secret::new(load_or_create_secret(Path::new(path))?),
                None => anyhow::bail!(
                    "NEWSDESK_JWT_SECRET is required with PostgreSQL: every server behind a \
                     load balancer must share it (generate one with `openssl rand -hex 32`)"
                ),
            },
        };
        let jwt_previous_secret = serve
            .jwt_previous_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                anyhow::ensure!(
                    s.len() >= MIN_SECRET_LEN,
                    "NEWSDESK_JWT_PREVIOUS_SECRET must be at least {MIN_SECRET_LEN} bytes"
                );
                Ok(Secret::new(s))
            })
            .transpose()?;
        Ok(Self {
            jwt_previous_secret,
            database_url: db.database_url.clone(),
            db_pool_size: db.pool_size(),
            bind: serve.bind.clone(),
            jwt_secret,
            media_dir: serve.media_dir.clone(),
            media_store: serve.media_store.clone().filter(|s| !s.is_empty()),
            default_locale: serve.default_locale.clone(),
            read_cache_ttl: Duration::from_millis(serve.read_cache_ms),
            media: MediaSettings {
                max_upload: serve.max_upload.max(1),
                widths: serve.renditions.widths(),
                max_pixels: serve.max_image_pixels.max(1),
            },
            access_ttl: Duration::from_secs(serve.access_ttl.max(1)),
            refresh_ttl: Duration::from_secs(serve.refresh_ttl.max(1)),
            auth_rate_limit: serve.auth_rate_limit.max(1),
            trust_proxy: crate::auth::proxies::TrustedProxies::parse(&serve.trust_proxy)?,
            workers: serve.workers,
            comments: CommentSettings {
                max_depth: serve.comment_max_depth.clamp(1, 20),
                window: (serve.comment_window_days > 0)
                    .then(|| chrono::Duration::days(i64::from(serve.comment_window_days))),
                edit_window: chrono::Duration::minutes(i64::from(serve.comment_edit_minutes)),
                flag_threshold: serve.comment_flag_threshold.max(1),
                per_minute: serve.comment_rate_limit.max(1),
            },
            event_retention: chrono::Duration::days(i64::from(serve.event_retention_days.max(1))),
            scheduler: serve.scheduler,
            webhooks: serve.webhooks.resolve()?,
            cors: crate::http::cors::CorsPolicy::parse(&serve.cors_origins)?,
            login: LoginLimits {
                account: serve.login_account_failures.max(1),
                address: serve.login_address_failures.max(1),
            },
            metrics: crate::metrics::MetricsSettings {
                token: match serve.metrics_token.as_deref().filter(|t| !t.is_empty()) {
                    Some(t) if t.len() < 16 => {
                        anyhow::bail!("NEWSDESK_METRICS_TOKEN must be at least 16 bytes")
                    }
                    t => t.map(Secret::new),
                },
                bind: serve.metrics_bind.clone().filter(|b| !b.is_empty()),
            },
            sitemap_max_urls: serve
                .sitemap_max_urls
                .clamp(1, crate::distribution::sitemaps::MAX_URLS),
        })
    }
}

/// The secret file kept beside a SQLite database: `newsdesk.db` → `newsdesk.db.jwt-secret`.
fn secret_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.file_name().unwrap_or_default().to_os_string();
    name.push(".jwt-secret");
    db_path.with_file_name(name)
}

fn load_or_create_secret(db_path: &Path) -> anyhow::Result<String> {
    use std::io::Write;
    let path = secret_path(db_path);
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() >= MIN_SECRET_LEN {
            return Ok(existing);
        }
        anyhow::bail!(
            "{} holds a secret shorter than {MIN_SECRET_LEN} bytes",
            path.display()
        );
    }
    let secret = crate::auth::token::random_token(48);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    tracing::warn!(
        path = %path.display(),
        "NEWSDESK_JWT_SECRET is not set: generated a random one and stored it beside the database; \
         set NEWSDESK_JWT_SECRET to share it between servers"
    );
    Ok(secret)
}

/// Media settings of a running server.
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest upload in bytes.
    pub max_upload: u64,
    /// Rendition widths offered, ascending.
    pub widths: Vec<u32>,
    /// Largest image accepted, in pixels (width × height).
    pub max_pixels: u64,
}

/// How comments behave (see the `NEWSDESK_COMMENT_*` settings).
#[derive(Debug, Clone)]
pub struct CommentSettings {
    /// Deepest reply level (top-level comments are level 0).
    pub max_depth: u32,
    /// How long after publication an article takes comments (`None`: always).
    pub window: Option<chrono::Duration>,
    /// How long authors may edit a comment.
    pub edit_window: chrono::Duration,
    /// Flags that send an approved comment back to `pending`.
    pub flag_threshold: u32,
    /// Comments a user may post per minute.
    pub per_minute: u32,
}

impl Default for CommentSettings {
    fn default() -> Self {
        Self {
            max_depth: 3,
            window: Some(chrono::Duration::days(30)),
            edit_window: chrono::Duration::minutes(15),
            flag_threshold: 3,
            per_minute: 5,
        }
    }
}

/// The rendition widths, a setting of the server and of `seed` (articles'
/// delivery documents are rendered with them).
#[derive(Debug, Clone, Args)]
pub struct RenditionArgs {
    /// Rendition widths offered, comma-separated.
    #[arg(
        long,
        env = "NEWSDESK_RENDITION_WIDTHS",
        value_delimiter = ',',
        default_value = "320,640,960,1280,1920"
    )]
    pub rendition_widths: Vec<u32>,
}

impl RenditionArgs {
    /// The widths offered: 1 to 8192, ascending, each once.
    pub fn widths(&self) -> Vec<u32> {
        rendition_widths(&self.rendition_widths)
    }
}

fn rendition_widths(setting: &[u32]) -> Vec<u32> {
    let mut widths: Vec<u32> = setting
        .iter()
        .copied()
        .filter(|w| (1..=8192).contains(w))
        .collect();
    widths.sort_unstable();
    widths.dedup();
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_schedules_parse_with_units() {
        let parsed = parse_schedule("5s, 5m,30m,2h,1d,250ms").expect("parses");
        assert_eq!(
            parsed,
            [
                chrono::Duration::seconds(5),
                chrono::Duration::minutes(5),
                chrono::Duration::minutes(30),
                chrono::Duration::hours(2),
                chrono::Duration::days(1),
                chrono::Duration::milliseconds(250),
            ]
        );
        assert_eq!(WebhookSettings::default().retry_schedule.len(), 7);
        assert!(parse_schedule("5 fortnights").is_err());
        assert!(parse_schedule("soon").is_err());
    }

    #[test]
    fn pool_size_defaults_by_backend() {
        let args = |url: &str, size: Option<u32>| DatabaseArgs {
            database_url: url.into(),
            db_pool_size: size,
        };
        assert_eq!(args("sqlite://newsdesk.db", None).pool_size(), 4);
        assert_eq!(args("postgres://db/newsdesk", None).pool_size(), 8);
        assert_eq!(args("sqlite://newsdesk.db", Some(12)).pool_size(), 12);
        assert_eq!(args("postgres://db/newsdesk", Some(0)).pool_size(), 1);
    }
}
