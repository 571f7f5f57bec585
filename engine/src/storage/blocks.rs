//! TSDB blocks as a series store: each block answers matchers and time range from its own index
//! and its external labels (which its series carry, as a Thanos store gateway serves them);
//! series present in several blocks are merged, their chunks in time order. Samples deleted by
//! a block's tombstones are left out, as Prometheus leaves them out.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_bucket::block::{Block, ChunkMeta};
use quiver_proto::chunkenc::RawChunk;
use quiver_proto::{
    FloatHistogram, Labels, Matcher, SeriesStore, StoreError, StoreFuture, StoreSeries, TimeRange,
};

use super::MemoryStore;
use crate::exec::decode_samples;
use crate::value::Point;

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
                if !b.overlaps(&range) {
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
                    let mut own: Vec<RawChunk> = chunks.by_ref().take(n).collect();
                    let deleted = b.deleted(entry.series_ref);
                    if !deleted.is_empty() {
                        own = without_deleted(&entry.labels, own, &deleted)?;
                    }
                    merged.entry(entry.labels).or_default().extend(own);
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

/// `chunks` without the samples in the `deleted` ranges: chunks that hold none are kept as
/// they are, the others decoded and encoded again without them (as Prometheus re-encodes chunks
/// with deletions for its chunk queriers).
fn without_deleted(
    labels: &Labels,
    chunks: Vec<RawChunk>,
    deleted: &[TimeRange],
) -> Result<Vec<RawChunk>, StoreError> {
    let touched = |c: &RawChunk| deleted.iter().any(|d| d.overlaps(&TimeRange::new(c.min_time, c.max_time)));
    let (rewrite, mut kept): (Vec<RawChunk>, Vec<RawChunk>) = chunks.into_iter().partition(touched);
    if rewrite.is_empty() {
        return Ok(kept);
    }
    let series = StoreSeries { labels: labels.clone(), chunks: rewrite };
    let samples = decode_samples(&series).map_err(|e| StoreError(e.to_string()))?;
    let points: Vec<(i64, Point)> = (0..samples.len())
        .filter(|&i| !deleted.iter().any(|d| d.contains(samples.ts[i])))
        .map(|i| {
            let p = match samples.hist(i) {
                Some(h) => Point::Histogram(FloatHistogram::clone(h)),
                None => Point::Float(samples.values[i]),
            };
            (samples.ts[i], p)
        })
        .collect();
    kept.extend(MemoryStore::encode(&points, TimeRange::ALL)?);
    kept.sort_by_key(|c| (c.min_time, c.max_time));
    Ok(kept)
}
