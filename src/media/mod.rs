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
pub mod sniff;
pub mod upload;

pub use handlers::configure;

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
