//! TSDB blocks as a series store: each block answers matchers and time range from its own index;
//! series present in several blocks are merged, their chunks in time order.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_bucket::block::Block;
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
            let mut merged: BTreeMap<Labels, StoreSeries> = BTreeMap::new();
            for b in &self.blocks {
                let m = b.meta();
                if !TimeRange::new(m.min_time, m.max_time - 1).overlaps(&range) {
                    continue;
                }
                let err = |e: quiver_bucket::Error| StoreError(e.to_string());
                for entry in b.select(matchers, range).await.map_err(err)? {
                    let chunks = b.read_chunks(&entry).await.map_err(err)?;
                    let s = merged
                        .entry(entry.labels.clone())
                        .or_insert_with(|| StoreSeries { labels: entry.labels.clone(), chunks: Vec::new() });
                    s.chunks.extend(chunks);
                }
            }
            let mut out: Vec<StoreSeries> = merged.into_values().collect();
            for s in &mut out {
                s.chunks.sort_by_key(|c| (c.min_time, c.max_time));
            }
            Ok(out)
        })
    }
}
