//! Reader comments: threads under articles, moderation with an audit log,
//! bans, reader flags, an edit window and soft deletion. The approved count
//! is kept on the article, exact under concurrent writes.

pub mod access;
pub mod dto;
pub mod handlers;
pub mod model;
pub mod moderation;
pub mod present;
pub mod queries;
pub mod service;
pub mod status;
pub mod text;

/// Registers the comment endpoints.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(handlers::list_comments)
        .service(handlers::post_comment)
        .service(moderation::list_queue)
        .service(handlers::get_comment)
        .service(handlers::update_comment)
        .service(handlers::delete_comment)
        .service(handlers::flag_comment)
        .service(moderation::moderate)
        .service(moderation::moderation_log);
}
