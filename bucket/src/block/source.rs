//! Ranged reads of one block's files through `object_store`, with errors that name the block
//! and file. A local directory is an `object_store::local::LocalFileSystem` like any bucket;
//! when the caller says where that directory is ([`BlockSource::with_local_dir`]), the block's
//! immutable files (`index`, `chunks/*`) are read in place instead.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use prometheus_client::metrics::counter::Counter;

use crate::error::{Error, Result};
use crate::index_cache::IndexCache;

/// One block directory in a store.
#[derive(Debug, Clone)]
pub struct BlockSource {
    store: Arc<dyn ObjectStore>,
    dir: Path,
    /// How the block is named in errors: its ULID or directory.
    name: String,
    /// Where ranges of the `index` file are looked up before the store (a store gateway's).
    cache: Option<Arc<dyn IndexCache>>,
    /// Bytes read from the store, counted for the reader's metrics.
    fetched: Option<Counter>,
    /// The block's directory on local disk, when the store is a local directory.
    local: Option<Arc<std::path::PathBuf>>,
}

/// The file the index cache holds ranges of.
const CACHED_FILE: &str = "index";

/// The files of a block that never change once it is written (meta.json may be rewritten by
/// tools, tombstones by deletions).
fn is_immutable(file: &str) -> bool {
    file == "index" || file.starts_with("chunks/")
}

impl BlockSource {
    pub fn new(store: Arc<dyn ObjectStore>, dir: Path, name: impl Into<String>) -> Self {
        Self { store, dir, name: name.into(), cache: None, fetched: None, local: None }
    }

    /// Reads ranges of the block's `index` and chunk segments straight from `dir`, the block's
    /// directory on local disk, where the store would hand each call to its blocking pool (a
    /// file open and a thread hop per call, a large share of a small query's time). The reads
    /// are positional reads on the calling thread: from the page cache they take microseconds,
    /// as a Prometheus reading its own memory-mapped blocks would. Block files never change once
    /// written, so nothing read can go stale; other files still go through the store.
    pub fn with_local_dir(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.local = dir.map(Arc::new);
        self
    }

    /// Reads of the index go through `cache`; bytes read from the store are added to `fetched`.
    pub fn with_cache(mut self, cache: Option<Arc<dyn IndexCache>>, fetched: Option<Counter>) -> Self {
        self.cache = cache;
        self.fetched = fetched;
        self
    }

    fn count(&self, bytes: usize) {
        if let Some(c) = &self.fetched {
            c.inc_by(bytes as u64);
        }
    }

    fn cache_key(&self, file: &str, r: &Range<u64>) -> String {
        format!("{}/{file}:{}-{}", self.name, r.start, r.end)
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
        let b = r.bytes().await.map_err(|e| self.map_err(file, e))?;
        self.count(b.len());
        Ok(b)
    }

    /// Reads `range` of `file`; a range past the end is an error naming the file, never a short read.
    pub async fn get_range(&self, file: &str, range: Range<u64>) -> Result<Bytes> {
        if range.start >= range.end {
            return Ok(Bytes::new());
        }
        if (file == CACHED_FILE && self.cache.is_some()) || (self.local.is_some() && is_immutable(file)) {
            let mut got = self.get_ranges(file, std::slice::from_ref(&range)).await?;
            return Ok(got.pop().unwrap_or_default());
        }
        let want = range.end - range.start;
        let b =
            self.store.get_range(&self.path(file), range.clone()).await.map_err(|e| self.map_err(file, e))?;
        self.count(b.len());
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
        match &self.cache {
            Some(cache) if file == CACHED_FILE => self.get_ranges_cached(cache, file, ranges).await,
            _ => self.fetch_ranges(file, ranges).await,
        }
    }

    /// Cached ranges from the cache, the rest from the store in one call (and then cached).
    async fn get_ranges_cached(
        &self,
        cache: &Arc<dyn IndexCache>,
        file: &str,
        ranges: &[Range<u64>],
    ) -> Result<Vec<Bytes>> {
        let keys: Vec<String> = ranges.iter().map(|r| self.cache_key(file, r)).collect();
        let mut got = cache.get_multi(&keys).await;
        // A cached value of the wrong length (a foreign or damaged entry) counts as a miss.
        for (g, r) in got.iter_mut().zip(ranges) {
            if g.as_ref().is_some_and(|b| b.len() as u64 != r.end - r.start) {
                *g = None;
            }
        }
        let missing: Vec<usize> = (0..ranges.len()).filter(|&i| got[i].is_none()).collect();
        if !missing.is_empty() {
            let want: Vec<Range<u64>> = missing.iter().map(|&i| ranges[i].clone()).collect();
            let fetched = self.fetch_ranges(file, &want).await?;
            for (i, b) in missing.into_iter().zip(fetched) {
                cache.put(keys[i].clone(), b.clone());
                got[i] = Some(b);
            }
        }
        Ok(got.into_iter().map(Option::unwrap_or_default).collect())
    }

    async fn fetch_ranges(&self, file: &str, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        let got = match &self.local {
            Some(dir) if is_immutable(file) => self.read_local(dir, file, ranges)?,
            _ => self.store.get_ranges(&self.path(file), ranges).await.map_err(|e| self.map_err(file, e))?,
        };
        self.count(got.iter().map(Bytes::len).sum());
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

    /// `ranges` of `file` under the local `dir`, one open for all; a range past the end of the
    /// file comes back short, for the caller's check to name.
    fn read_local(&self, dir: &std::path::Path, file: &str, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        use std::io::{Read, Seek, SeekFrom};
        let path = dir.join(file);
        let io_err = |e: std::io::Error| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::MissingFile { block: self.name.clone(), file: file.to_string() }
            } else {
                Error::Io { path: path.display().to_string(), source: e }
            }
        };
        let mut f = std::fs::File::open(&path).map_err(io_err)?;
        // A range from a damaged index may claim far more than the file holds: read only what is there.
        let size = f.metadata().map_err(io_err)?.len();
        let mut out = Vec::with_capacity(ranges.len());
        for r in ranges {
            let want = usize::try_from(r.end.min(size).saturating_sub(r.start)).map_err(|_| {
                Error::corrupt(&self.name, file, format!("range {}..{} too large", r.start, r.end))
            })?;
            // `read_to_end` fills spare capacity without zeroing it first.
            let mut buf = Vec::with_capacity(want);
            if want > 0 {
                f.seek(SeekFrom::Start(r.start)).map_err(io_err)?;
                (&mut f).take(want as u64).read_to_end(&mut buf).map_err(io_err)?;
            }
            out.push(Bytes::from(buf));
        }
        Ok(out)
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
