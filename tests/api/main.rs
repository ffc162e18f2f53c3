//! One integration binary: every test starts the real application on a fresh
//! database and talks to it over HTTP. Tests written once run on SQLite and,
//! when `NEWSDESK_TEST_POSTGRES_URL` is set, on PostgreSQL too.

mod helpers;

mod media;
mod metrics;

mod articles;
mod auth;
mod comments;
mod contract;
mod cors;
mod crash;
mod delivery;
mod distribution;
mod errors;
mod events;
mod openapi;
mod outage;
mod receiver;
mod sections;
mod slow;
mod stream;
mod users;
mod webhooks;
