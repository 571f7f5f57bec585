//! TSDB blocks as a series store: each block answers matchers and time range from its own index
//! and its external labels (which its series carry, as a Thanos store gateway serves them);
//! series present in several blocks are merged, their chunks in time order.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_bucket::block::{Block, ChunkMeta};
use quiver_proto::chunkenc::RawChunk;
use quiver_proto::{Labels, Matcher, SeriesStore, StoreError, StoreFuture, StoreSeries, TimeRange};

/// Blocks opened from a directory or a bucket.
#[derive(Debug, Default)]
pub struct BlockStore {
    blocks: Vec<Arc<Block>>,
}

impl BlockStore {
    pub fn new(blocks: Vec<Arc<Block>>) -> Self {
        Self { blocks }
    }
}

impl SeriesStore for BlockStore {
    fn select<'a>(&'a self, matchers: &'a [Matcher], range: TimeRange) -> StoreFuture<'a, Vec<StoreSeries>> {
        Box::pin(async move {
            let mut merged: BTreeMap<Labels, Vec<RawChunk>> = BTreeMap::new();
            for b in &self.blocks {
                let m = b.meta();
                if !TimeRange::new(m.min_time, m.max_time - 1).overlaps(&range) {
                    continue;
                }
                let err = |e: quiver_bucket::Error| StoreError(e.to_string());
                let entries = b.select_external(matchers, range).await.map_err(err)?;
                // The chunks of all selected series in one call: the reader fetches nearby chunks
                // in one request, where a call per series pays a request (on local disk a file
                // open and a blocking-pool round trip) per series and block.
                let metas: Vec<ChunkMeta> = entries.iter().flat_map(|e| e.chunks.iter().copied()).collect();
                let mut chunks = b.chunk_reader().chunks(&metas).await.map_err(err)?.into_iter();
                for entry in entries {
                    let n = entry.chunks.len();
                    merged.entry(entry.labels).or_default().extend(chunks.by_ref().take(n));
                }
            }
            Ok(merged
                .into_iter()
                .map(|(labels, mut chunks)| {
                    chunks.sort_by_key(|c| (c.min_time, c.max_time));
                    StoreSeries { labels, chunks }
                })
                .collect())
        })
    }
}
