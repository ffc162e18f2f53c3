//! Media in S3-compatible object storage (`NEWSDESK_MEDIA_STORE=s3://bucket/prefix`).
//! Endpoint, region and keys come from the usual AWS variables
//! (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ALLOW_HTTP` for a plain-HTTP endpoint on a private network).

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use futures_util::future::LocalBoxFuture;
use futures_util::{FutureExt, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use super::{is_safe_key, ByteStream, MediaStore};

/// Part size of multipart uploads: S3's minimum is 5 MiB.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// A bucket, under a key prefix. Uploads are still received into a local
/// scratch directory first, then sent in parts.
pub struct S3Store {
    store: AmazonS3,
    prefix: String,
    scratch: PathBuf,
}

fn to_io(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => {
            io::Error::new(io::ErrorKind::NotFound, e.to_string())
        }
        other => io::Error::other(other.to_string()),
    }
}

impl S3Store {
    /// Opens `s3://bucket/prefix`, with a local scratch directory for uploads.
    pub fn open(url: &str, scratch_root: &Path) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            anyhow::anyhow!("NEWSDESK_MEDIA_STORE must look like s3://bucket/prefix")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        anyhow::ensure!(!bucket.is_empty(), "NEWSDESK_MEDIA_STORE names no bucket");
        let prefix = prefix.trim_matches('/').to_string();
        anyhow::ensure!(
            prefix.is_empty() || is_safe_key(&prefix),
            "the prefix in NEWSDESK_MEDIA_STORE must be lower-case path words"
        );
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| anyhow::anyhow!("cannot configure S3 storage: {e}"))?;
        let scratch = scratch_root.join("tmp");
        std::fs::create_dir_all(&scratch)?;
        super::scratch::clean(&scratch);
        Ok(Self {
            store,
            prefix,
            scratch,
        })
    }

    fn location(&self, key: &str) -> io::Result<ObjectPath> {
        if !is_safe_key(key) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "unsafe storage key",
            ));
        }
        Ok(if self.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.prefix))
        })
    }
}

impl MediaStore for S3Store {
    fn put_file<'a>(&'a self, key: &'a str, file: &'a Path) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            let location = self.location(key)?;
            let upload = self.store.put_multipart(&location).await.map_err(to_io)?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut source = tokio::fs::File::open(file).await?;
            let mut buf = vec![0u8; 1024 * 1024];
            loop {
                // At most two parts in flight: memory stays bounded by the part size.
                writer.wait_for_capacity(2).await.map_err(to_io)?;
                let n = source.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                writer.write(&buf[..n]);
            }
            writer.finish().await.map_err(to_io)?;
            tokio::fs::remove_file(file).await
        }
        .boxed_local()
    }

    fn put_bytes<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            let location = self.location(key)?;
            self.store
                .put(&location, PutPayload::from(bytes))
                .await
                .map_err(to_io)?;
            Ok(())
        }
        .boxed_local()
    }

    fn get<'a>(
        &'a self,
        key: &'a str,
        range: Option<Range<u64>>,
    ) -> LocalBoxFuture<'a, io::Result<ByteStream>> {
        async move {
            let location = self.location(key)?;
            let options = GetOptions {
                range: range.map(GetRange::Bounded),
                ..GetOptions::default()
            };
            let result = self
                .store
                .get_opts(&location, options)
                .await
                .map_err(to_io)?;
            let stream: ByteStream = Box::pin(result.into_stream().map_err(to_io).boxed());
            Ok(stream)
        }
        .boxed_local()
    }

    fn read_all<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<Vec<u8>>> {
        async move {
            let location = self.location(key)?;
            let bytes = self
                .store
                .get(&location)
                .await
                .map_err(to_io)?
                .bytes()
                .await
                .map_err(to_io)?;
            Ok(bytes.to_vec())
        }
        .boxed_local()
    }

    fn delete<'a>(&'a self, key: &'a str) -> LocalBoxFuture<'a, io::Result<()>> {
        async move {
            let location = self.location(key)?;
            match self.store.delete(&location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(to_io(e)),
            }
        }
        .boxed_local()
    }

    fn scratch_dir(&self) -> &Path {
        &self.scratch
    }
}
