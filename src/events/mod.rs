//! Events: every change a frontend, a CDN or a search index may need to
//! follow, written to an outbox in the same transaction as the change (so a
//! rolled-back write leaves no event, and no event exists without its
//! change), and offered to clients as a change feed they can resume.

pub mod dto;
pub mod follow;
pub mod handlers;
pub mod kind;
pub mod model;
pub mod queries;
pub mod service;
pub mod stream;
