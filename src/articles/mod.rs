//! Articles: the editorial model, workflow, revisions and the delivery API.

pub mod access;
pub mod body;
pub mod corrections;
pub mod document;
pub mod dto;
pub mod feed;
pub mod handlers;
pub mod model;
pub mod present;
pub mod queries;
pub mod revisions;
pub mod search;
pub mod tags;
pub mod workflow;

pub use handlers::configure;
