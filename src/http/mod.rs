//! HTTP plumbing shared by every resource, one concern a file: JSON bodies,
//! query strings and pagination, conditional requests, and responses with the
//! caching headers of API.md. The most used items are re-exported here.

pub mod conditional;
pub mod cors;
pub mod encoding;
pub mod json;
pub mod limits;
pub mod pagination;
pub mod response;

pub use conditional::{check_if_match, content_etag, not_modified, version_etag, IfMatch};
pub use json::{check_patch_fields, double_option, merge_patch, parse_json, ApiJson, JSON_LIMIT};
pub use pagination::{
    add_next_link, de_include_subsections, de_include_total, de_limit, decode_cursor,
    encode_cursor, next_link, page_cursor, query_error, split_page, ListMeta, DEFAULT_LIMIT,
};
pub use response::{
    format_time, private_json, private_json_bytes, public_json, public_json_hashed, rfc3339,
    to_json, CacheInfo, PRIVATE_CACHE, PUBLIC_CACHE,
};
