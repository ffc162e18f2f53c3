//! What every handler shares. It sits low in the house: handlers and
//! extractors import it, and it imports nothing that handles requests.

use std::time::Duration;

use crate::auth::jwt::JwtKeys;
use crate::auth::ratelimit::RateLimiter;
use crate::config::{CommentSettings, MediaSettings};
use crate::db::Pool;
use crate::storage::MediaStore;
use crate::webhooks::deliver::Sender;

/// What every handler shares.
pub struct AppState {
    /// Database pool.
    pub pool: Pool,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// Login and register limiter.
    pub limiter: RateLimiter,
    /// Whether forwarded headers name the client.
    pub trust_proxy: crate::auth::proxies::TrustedProxies,
    /// Refresh-token lifetime.
    pub refresh_ttl: Duration,
    /// Media bytes.
    pub store: Box<dyn MediaStore>,
    /// Media limits and renditions.
    pub media: MediaSettings,
    /// Locale of articles that name none.
    pub default_locale: String,
    /// Comment rules.
    pub comments: CommentSettings,
    /// Failed logins allowed per account and per address.
    pub login: crate::config::LoginLimits,
    /// Sends webhook pings and replays (and knows the webhook settings).
    pub webhooks: Sender,
    /// The render key of the delivery documents this server serves.
    pub delivery_key: String,
    /// The most URLs in one monthly sitemap.
    pub sitemap_max_urls: usize,
    /// Anonymous reads of delivery documents, gathered into shared
    /// statements: on PostgreSQL (SQLite reads each on its worker).
    pub gathered: Option<std::sync::Arc<crate::articles::gathered::Reads>>,
}
