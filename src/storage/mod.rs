//! Where media bytes live. Everything goes through [`MediaStore`], so local
//! disk (the default) and object storage are interchangeable. Keys are made
//! by the server (content hashes and ids); no client string reaches a path.

mod local;
mod s3;
pub mod scratch;

use std::io;
use std::ops::Range;
use std::path::Path;
use std::pin::Pin;

use actix_web::web::Bytes;
use futures_util::future::LocalBoxFuture;
use futures_util::Stream;

pub use local::LocalStore;
pub use s3::S3Store;

/// A stream of an object's bytes.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>>>>;

/// A byte store for originals and renditions.
pub trait MediaStore: Send + Sync + 'static {
    /// Moves a complete file (written under [`MediaStore::scratch_dir`]) into
    /// the store under `key`. The file is gone afterwards.
    fn put_file<'a>(&'a self, key: &'a str, file: &'a Path) -> LocalBoxFuture<'a, io::Result<()>>;

    /// Stores bytes under `key`, replacing what was there.
    fn put_bytes<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> LocalBoxFuture<'a, io::Result<()>>;

    /// Streams an object, or the byte range of it.
    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> LocalBoxFuture<'a, io::Result<ByteStream>>;

    /// Reads a whole object into memory (for making renditions of images).
    fn read_all<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<Vec<u8>>>;

    /// Deletes an object; deleting a missing one is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<()>>;

    /// A local directory for files being uploaded, on the same file system as
    /// the store when it is local, so that `put_file` is a rename.
    fn scratch_dir(&self) -> &Path;
}

/// Whether a key is one the server could have made: lower-case ASCII words,
/// digits, `-`, `_`, `.` and `/`, without `..` or a leading `/`.
pub fn is_safe_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && !key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        && key.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.' | b'/')
        })
}

/// The key of an original: content-addressed, so equal bytes share one object.
pub fn original_key(sha256: &str, extension: &str) -> String {
    format!(
        "originals/{}/{}/{sha256}.{extension}",
        &sha256[..2],
        &sha256[2..4]
    )
}

/// Opens the configured media store: S3-compatible object storage for an
/// `s3://bucket/prefix` URL, else local disk under `media_dir` (which also
/// holds uploads in progress either way).
pub fn open(media_store: Option<&str>, media_dir: &Path) -> anyhow::Result<Box<dyn MediaStore>> {
    match media_store {
        None => Ok(Box::new(LocalStore::open(media_dir).map_err(|e| {
            anyhow::anyhow!("cannot use media directory {}: {e}", media_dir.display())
        })?)),
        Some(url) if url.starts_with("s3://") => Ok(Box::new(S3Store::open(url, media_dir)?)),
        Some(other) => anyhow::bail!(
            "NEWSDESK_MEDIA_STORE={other}: use s3://bucket/prefix, or leave it unset for local disk"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe() {
        assert!(is_safe_key("originals/ab/cd/abcd.jpg"));
        assert!(!is_safe_key("../etc/passwd"));
        assert!(!is_safe_key("/abs"));
        assert!(!is_safe_key("a//b"));
        assert!(!is_safe_key("A.jpg"));
        let sha = "ab".repeat(32);
        assert!(is_safe_key(&original_key(&sha, "jpg")));
    }
}
