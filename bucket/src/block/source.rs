//! Ranged reads of one block's files through `object_store`, with errors that name the block
//! and file. A local directory is an `object_store::local::LocalFileSystem` like any bucket.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};

/// One block directory in a store.
#[derive(Debug, Clone)]
pub struct BlockSource {
    store: Arc<dyn ObjectStore>,
    dir: Path,
    /// How the block is named in errors: its ULID or directory.
    name: String,
}

impl BlockSource {
    pub fn new(store: Arc<dyn ObjectStore>, dir: Path, name: impl Into<String>) -> Self {
        Self { store, dir, name: name.into() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, file: &str) -> Path {
        file.split('/').fold(self.dir.clone(), |p, part| p.join(part))
    }

    fn map_err(&self, file: &str, e: object_store::Error) -> Error {
        match e {
            object_store::Error::NotFound { .. } => {
                Error::MissingFile { block: self.name.clone(), file: file.to_string() }
            }
            source => Error::ObjectStore { path: self.path(file).to_string(), source },
        }
    }

    pub async fn size(&self, file: &str) -> Result<u64> {
        let meta = self.store.head(&self.path(file)).await.map_err(|e| self.map_err(file, e))?;
        Ok(meta.size)
    }

    pub async fn get(&self, file: &str) -> Result<Bytes> {
        let r = self.store.get(&self.path(file)).await.map_err(|e| self.map_err(file, e))?;
        r.bytes().await.map_err(|e| self.map_err(file, e))
    }

    /// Reads `range` of `file`; a range past the end is an error naming the file, never a short read.
    pub async fn get_range(&self, file: &str, range: Range<u64>) -> Result<Bytes> {
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        let want = range.end - range.start;
        let b =
            self.store.get_range(&self.path(file), range.clone()).await.map_err(|e| self.map_err(file, e))?;
        if b.len() as u64 != want {
            return Err(Error::corrupt(
                &self.name,
                file,
                format!("short read of bytes {}..{}: got {}", range.start, range.end, b.len()),
            ));
        }
        Ok(b)
    }

    /// Reads several ranges of `file` in one call: one file open and one blocking-pool trip on a
    /// local disk, coalesced concurrent requests on a bucket. Each range must come back whole.
    pub async fn get_ranges(&self, file: &str, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        if ranges.is_empty() {
            return Ok(Vec::new());
        }
        let got = self.store.get_ranges(&self.path(file), ranges).await.map_err(|e| self.map_err(file, e))?;
        for (b, r) in got.iter().zip(ranges) {
            if b.len() as u64 != r.end - r.start {
                return Err(Error::corrupt(
                    &self.name,
                    file,
                    format!("short read of bytes {}..{}: got {}", r.start, r.end, b.len()),
                ));
            }
        }
        Ok(got)
    }

    pub async fn list(&self, sub: &str) -> Result<Vec<(String, u64)>> {
        use futures::TryStreamExt;
        let prefix = self.path(sub);
        let metas: Vec<_> =
            self.store.list(Some(&prefix)).try_collect().await.map_err(|e| self.map_err(sub, e))?;
        let mut out: Vec<(String, u64)> = metas
            .into_iter()
            .filter_map(|m| {
                let rel = m.location.prefix_match(&prefix)?.map(|p| p.as_ref().to_string());
                Some((rel.collect::<Vec<_>>().join("/"), m.size))
            })
            .collect();
        out.sort();
        Ok(out)
    }
}
