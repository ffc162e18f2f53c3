//! Users: the staff and readers who log in. Admins list and change them.

pub mod dto;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
