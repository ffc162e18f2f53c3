//! Users' credentials and tokens: roles, password hashing, JWT access tokens,
//! rotating refresh tokens, the extractors handlers use, and rate limits.

pub mod dto;
pub mod extract;
pub mod handlers;
pub mod jwt;
pub mod password;
pub mod proxies;
pub mod queries;
pub mod ratelimit;
pub mod role;
pub mod throttle;
pub mod token;
