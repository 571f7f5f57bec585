//! The blocks of a bucket as queries see them, opened once and kept open (meta, index header,
//! segment headers). Two ways to follow the bucket:
//!
//! - [`BucketBlocks::current`] lists it again for every request, so blocks uploaded while the
//!   server runs are answered at once and deleted ones drop out (`quiver up` over a directory);
//! - [`BucketBlocks::sync`], run every `--sync-block-duration` by a store gateway, lists it once
//!   per interval and applies the gateway's filters (time window, deletion marks older than
//!   their delay); requests read the last [`BucketBlocks::synced`] set and never list.
//!
//! A block without `meta.json` is still being uploaded (meta.json goes last) and is not a block
//! yet; one that does not open is reported once and left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use object_store::ObjectStore;
use object_store::path::Path;
use quiver_bucket::block::{Block, BlockSource, OpenOptions, list_blocks, list_local_blocks};
use quiver_bucket::index_cache::IndexCache;
use quiver_bucket::selector::BlockSelector;
use quiver_engine::storage::BlockStore;
use quiver_proto::SeriesStore;
use tokio::sync::Mutex;
use ulid::Ulid;

use crate::api::{ApiError, ReadOptions, Sources};

/// Which blocks a store gateway serves.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockFilter {
    /// Only blocks overlapping `[min_time, max_time]` (milliseconds).
    pub(crate) min_time: Option<i64>,
    pub(crate) max_time: Option<i64>,
    /// Blocks marked for deletion longer ago than this are left out
    /// (`--ignore-deletion-marks-delay`); `None` ignores marks.
    pub(crate) deletion_delay: Option<Duration>,
    /// `--selector.relabel-config`: which blocks, by external labels and ULID.
    pub(crate) selector: BlockSelector,
}

#[derive(Debug)]
pub(crate) struct BucketBlocks {
    bucket: Arc<dyn ObjectStore>,
    /// How blocks are opened: index headers on local disk, an index cache.
    open: OpenOptions,
    state: Mutex<Opened>,
    synced: RwLock<Option<Arc<Vec<Arc<Block>>>>>,
}

#[derive(Debug, Default)]
struct Opened {
    blocks: BTreeMap<Ulid, Arc<Block>>,
    /// Blocks that failed to open, reported once and then left alone.
    broken: BTreeSet<Ulid>,
}

/// `deletion-mark.json`, as Thanos writes it.
#[derive(Debug, serde::Deserialize)]
struct DeletionMark {
    deletion_time: i64,
}

impl BucketBlocks {
    pub(crate) fn new(bucket: Arc<dyn ObjectStore>) -> Self {
        let open = OpenOptions::default();
        Self { bucket, open, state: Mutex::new(Opened::default()), synced: RwLock::new(None) }
    }

    /// Keeps each block's index header under `dir`.
    pub(crate) fn with_index_headers(mut self, dir: std::path::PathBuf) -> Self {
        self.open.headers = Some(dir);
        self
    }

    /// The bucket is the local directory `dir`: block files are read from it in place.
    pub(crate) fn with_local_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.open.local_dir = Some(dir);
        self
    }

    /// Reads indexes through `cache` and counts the bytes read from the bucket in `fetched`.
    pub(crate) fn with_index_cache(
        mut self,
        cache: Option<Arc<dyn IndexCache>>,
        fetched: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        self.open.cache = cache;
        self.open.fetched = Some(fetched);
        self
    }

    pub(crate) fn bucket(&self) -> &Arc<dyn ObjectStore> {
        &self.bucket
    }

    /// The blocks in the bucket now, oldest ULID first.
    pub(crate) async fn current(&self) -> Result<Vec<Arc<Block>>, quiver_bucket::Error> {
        self.open_listed(&BlockFilter::default()).await
    }

    /// Lists the bucket, opens new blocks, drops gone or filtered ones, and keeps the result for
    /// [`BucketBlocks::synced`].
    pub(crate) async fn sync(&self, filter: &BlockFilter) -> Result<usize, quiver_bucket::Error> {
        let blocks = self.open_listed(filter).await?;
        let n = blocks.len();
        if let Ok(mut s) = self.synced.write() {
            *s = Some(Arc::new(blocks));
        }
        Ok(n)
    }

    /// The blocks of the last sync; `None` before the first.
    pub(crate) fn synced(&self) -> Option<Arc<Vec<Arc<Block>>>> {
        self.synced.read().ok().and_then(|s| s.clone())
    }

    async fn open_listed(&self, filter: &BlockFilter) -> Result<Vec<Arc<Block>>, quiver_bucket::Error> {
        let listed = match &self.open.local_dir {
            Some(dir) => list_local_blocks(dir)?,
            None => list_blocks(&self.bucket, None).await?,
        };
        let mut state = self.state.lock().await;
        let present: BTreeSet<Ulid> = listed.iter().copied().collect();
        state.blocks.retain(|u, _| present.contains(u));
        for u in listed {
            if state.blocks.contains_key(&u) || state.broken.contains(&u) {
                continue;
            }
            let dir = Path::from(u.to_string());
            match Block::open_with(Arc::clone(&self.bucket), dir, &self.open).await {
                Ok(b) => {
                    tracing::info!(block = %u, "serving block");
                    state.blocks.insert(u, Arc::new(b));
                }
                // Uploads write meta.json last: without it the block is still arriving.
                Err(quiver_bucket::Error::MissingFile { file, .. }) if file == "meta.json" => {}
                Err(e) => {
                    tracing::warn!(block = %u, "skipping a block that does not open: {e}");
                    state.broken.insert(u);
                }
            }
        }
        let mut out = Vec::with_capacity(state.blocks.len());
        for b in state.blocks.values() {
            if self.keeps(filter, b).await {
                out.push(Arc::clone(b));
            }
        }
        Ok(out)
    }

    async fn keeps(&self, filter: &BlockFilter, b: &Block) -> bool {
        let meta = b.meta();
        if !filter.selector.keeps(b.external_labels(), &b.ulid().to_string()) {
            return false;
        }
        if filter.min_time.is_some_and(|t| meta.max_time <= t)
            || filter.max_time.is_some_and(|t| meta.min_time > t)
        {
            return false;
        }
        let Some(delay) = filter.deletion_delay else { return true };
        let src = BlockSource::new(Arc::clone(&self.bucket), Path::from(b.ulid().to_string()), b.name());
        let Ok(raw) = src.get("deletion-mark.json").await else { return true };
        match serde_json::from_slice::<DeletionMark>(&raw) {
            Ok(m) => {
                let now =
                    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
                now - m.deletion_time <= delay.as_secs() as i64
            }
            Err(e) => {
                tracing::warn!(block = %b.ulid(), "unreadable deletion-mark.json: {e}");
                true
            }
        }
    }
}

/// `quiver up` reads the bucket as it is at each request.
impl Sources for BucketBlocks {
    fn store<'a>(&'a self, _: &'a ReadOptions) -> BoxFuture<'a, Result<Arc<dyn SeriesStore>, ApiError>> {
        Box::pin(async move { Ok(Arc::new(BlockStore::new(self.current().await?)) as Arc<dyn SeriesStore>) })
    }
}
