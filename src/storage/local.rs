//! Media on the local disk, under `NEWSDESK_MEDIA_DIR`.

use std::io::{self, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use futures_util::future::LocalBoxFuture;
use futures_util::FutureExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::{is_safe_key, ByteStream, MediaStore};

/// Files under a root directory; uploads are written to `<root>/tmp` first.
pub struct LocalStore {
    root: PathBuf,
    scratch: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root`, creating it (and its scratch directory).
    pub fn open(root: &Path) -> io::Result<Self> {
        let scratch = root.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        super::scratch::clean(&scratch);
        Ok(Self {
            root: root.to_path_buf(),
            scratch,
        })
    }

    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if !is_safe_key(key) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "unsafe storage key",
            ));
        }
        Ok(self.root.join(key))
    }
}

async fn ensure_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => tokio::fs::create_dir_all(parent).await,
        None => Ok(()),
    }
}

impl MediaStore for LocalStore {
    fn put_file<'a>(&'a self, key: &'a str, file: &'a Path) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            let dest = self.path(key)?;
            ensure_parent(&dest).await?;
            tokio::fs::rename(file, &dest).await
        }
        .boxed_local()
    }

    fn put_bytes<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            let dest = self.path(key)?;
            ensure_parent(&dest).await?;
            // Write aside and rename, so a reader never sees half a file.
            let tmp = self
                .scratch
                .join(format!("{}.part", uuid::Uuid::now_v7().simple()));
            tokio::fs::write(&tmp, bytes).await?;
            tokio::fs::rename(&tmp, &dest).await
        }
        .boxed_local()
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> LocalBoxFuture<'a, io::Result<ByteStream>> {
        async move {
            let mut file = tokio::fs::File::open(self.path(key)?).await?;
            let stream: ByteStream = match range {
                Some(range) => {
                    file.seek(SeekFrom::Start(range.start)).await?;
                    let limited = file.take(range.end.saturating_sub(range.start));
                    Box::pin(ReaderStream::with_capacity(limited, 64 * 1024))
                }
                None => Box::pin(ReaderStream::with_capacity(file, 64 * 1024)),
            };
            Ok(stream)
        }
        .boxed_local()
    }

    fn read_all<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<Vec<u8>>> {
        async move { tokio::fs::read(self.path(key)?).await }.boxed_local()
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        }
        .boxed_local()
    }

    fn scratch_dir(&self) -> &Path {
        &self.scratch
    }
}
