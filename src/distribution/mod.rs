//! Distribution: what carries a newsroom's articles beyond its own pages:
//! syndication feeds (RSS, Atom, JSON Feed), sitemaps, IPTC ninjs and
//! schema.org JSON-LD, with public URLs from
//! [`crate::urls`].

pub mod feeds;
pub mod jsonld;
pub mod ninjs;
pub mod sitemaps;
pub mod xml;

/// Registers the distribution routes.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(feeds::syndication_feed)
        .service(ninjs::article_ninjs)
        .service(jsonld::article_jsonld)
        .service(ninjs::media_ninjs)
        .service(sitemaps::sitemap_index)
        .service(sitemaps::sections_sitemap)
        .service(sitemaps::news_sitemap)
        .service(sitemaps::month_sitemap);
}
