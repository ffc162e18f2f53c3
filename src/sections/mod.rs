//! Sections: the newsroom's desks and site navigation ("World", "World › Europe").

pub mod dto;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
