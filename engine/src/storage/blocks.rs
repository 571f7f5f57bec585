//! TSDB blocks as one series store: each block is a source of its own (answering matchers and
//! time range from its index, with its external labels and tombstones; see
//! `quiver_bucket::block`), and their sorted merge is the store, series present in several
//! blocks merged with their chunks in time order.

use std::sync::Arc;

use quiver_bucket::block::Block;
use quiver_proto::{
    LabelsAnswer, LabelsRequest, MergeStore, SeriesRequest, SeriesStore, SeriesStream, StoreFuture, StoreInfo,
};

/// Blocks opened from a directory or a bucket.
#[derive(Debug)]
pub struct BlockStore {
    merged: Arc<MergeStore>,
    blocks: Vec<Arc<Block>>,
}

impl BlockStore {
    pub fn new(blocks: Vec<Arc<Block>>) -> Self {
        let stores = blocks.iter().map(|b| Arc::clone(b) as Arc<dyn SeriesStore>).collect();
        Self { merged: Arc::new(MergeStore::new("blocks", stores)), blocks }
    }

    pub fn blocks(&self) -> &[Arc<Block>] {
        &self.blocks
    }
}

impl SeriesStore for BlockStore {
    fn name(&self) -> &str {
        self.merged.name()
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        self.merged.info()
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        Arc::clone(&self.merged).series(req)
    }

    fn shards_exactly(&self) -> bool {
        self.merged.shards_exactly()
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.merged.label_names(req)
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.merged.label_values(name, req)
    }
}
