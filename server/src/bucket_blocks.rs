//! The blocks of a bucket as queries see them: the bucket is listed again for every request,
//! so blocks uploaded while the server runs are answered at once and deleted ones drop out,
//! while blocks already opened (meta, index header, segment headers) are kept open.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use quiver_bucket::block::{Block, list_blocks};
use tokio::sync::Mutex;
use ulid::Ulid;

#[derive(Debug)]
pub(crate) struct BucketBlocks {
    bucket: Arc<dyn ObjectStore>,
    state: Mutex<Opened>,
}

#[derive(Debug, Default)]
struct Opened {
    blocks: BTreeMap<Ulid, Arc<Block>>,
    /// Blocks that failed to open, reported once and then left alone.
    broken: BTreeSet<Ulid>,
}

impl BucketBlocks {
    pub(crate) fn new(bucket: Arc<dyn ObjectStore>) -> Self {
        Self { bucket, state: Mutex::new(Opened::default()) }
    }

    pub(crate) fn bucket(&self) -> &Arc<dyn ObjectStore> {
        &self.bucket
    }

    /// The blocks in the bucket now, oldest ULID first.
    pub(crate) async fn current(&self) -> Result<Vec<Arc<Block>>, quiver_bucket::Error> {
        let listed = list_blocks(&self.bucket, None).await?;
        let mut state = self.state.lock().await;
        let present: BTreeSet<Ulid> = listed.iter().copied().collect();
        state.blocks.retain(|u, _| present.contains(u));
        for u in listed {
            if state.blocks.contains_key(&u) || state.broken.contains(&u) {
                continue;
            }
            match Block::open(Arc::clone(&self.bucket), Path::from(u.to_string())).await {
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
        Ok(state.blocks.values().cloned().collect())
    }
}
