//! Articles: the editorial model, workflow, revisions and the delivery API.

pub mod access;
pub mod body;
pub mod bulk;
pub mod corrections;
pub mod delivery;
pub mod document;
pub mod dto;
pub mod feed;
pub mod gathered;
pub mod handlers;
pub mod listing;
pub mod model;
pub mod present;
pub mod queries;
pub mod reading;
pub mod relations;
pub mod revisions;
pub mod schedule;
pub mod search;
pub mod service;
pub mod status;
pub mod tags;
pub mod workflow;

/// Registers the article endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_articles)
        .service(handlers::create_article)
        .service(handlers::get_article_by_slug)
        .service(handlers::get_article)
        .service(handlers::update_article)
        .service(workflow::submit_article)
        .service(workflow::publish_article)
        .service(workflow::unpublish_article)
        .service(workflow::archive_article)
        .service(workflow::withdraw_article)
        .service(revisions::list_revisions)
        .service(revisions::get_revision)
        .service(revisions::restore_revision)
        .service(corrections::add_correction)
        .service(corrections::create_preview_link)
        .service(feed::get_feed)
        .service(tags::list_tags);
}
