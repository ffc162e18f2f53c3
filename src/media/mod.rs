//! Media assets with credits: upload, storage, serving, renditions, rights.
//! Field names follow IPTC ninjs / Arc ANS where they exist.

pub mod credit;
pub mod dto;
pub mod handlers;
pub mod inspect;
pub mod model;
pub mod queries;
pub mod render;
pub mod serve;
pub mod service;
pub mod sniff;
pub mod upload;
