//! newsdesk: a headless CMS for newsrooms.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library; tests start the
//! same application through [`startup::Application`].

pub mod alloc;
pub mod articles;
pub mod auth;
pub mod cache;
pub mod comments;
pub mod config;
pub mod db;
pub mod demo;
pub mod distribution;
pub mod error;
pub mod events;
pub mod http;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod sections;
pub mod seed;
pub mod slug;
pub mod startup;
pub mod state;
pub mod storage;
pub mod urls;
pub mod users;
pub mod validation;
pub mod webhooks;
