//! Webhooks: endpoints that admins register, and the delivery of every
//! event to them, signed by the Standard Webhooks specification, retried
//! with backoff, in event order per endpoint, and at least once.

pub mod address;
pub mod deliver;
pub mod dto;
pub mod handlers;
pub mod model;
pub mod queries;
pub mod service;
pub mod signing;
