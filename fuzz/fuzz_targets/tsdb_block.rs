//! A block whose index, chunk segment, tombstones and meta.json come from the fuzzer: opening it
//! and reading every series and chunk returns errors, never panics.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use quiver_bucket::block::Block;
use quiver_proto::TimeRange;

const META: &str = r#"{"ulid":"01M89YT77G2NWPDE0HMPH4E34Y","minTime":0,"maxTime":100000,"stats":{},"compaction":{"level":1},"version":1}"#;

fuzz_target!(|data: &[u8]| {
    // Split the input into index | chunks | tombstones at two positions taken from its head.
    if data.len() < 4 {
        return;
    }
    let a = usize::from(u16::from_le_bytes([data[0], data[1]])) % data.len();
    let b = usize::from(u16::from_le_bytes([data[2], data[3]])) % data.len();
    let (a, b) = (a.min(b), a.max(b));
    let rest = &data[4..];
    let (index, tail) = rest.split_at(a.min(rest.len()));
    let (chunks, tombstones) = tail.split_at((b - a).min(tail.len()));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    rt.block_on(async {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let dir = Path::from("b");
        for (name, bytes) in [
            ("b/meta.json", META.as_bytes().to_vec()),
            ("b/index", index.to_vec()),
            ("b/chunks/000001", chunks.to_vec()),
            ("b/tombstones", tombstones.to_vec()),
        ] {
            store.put(&Path::from(name), PutPayload::from(bytes)).await.expect("put");
        }
        let Ok(block) = Block::open(store, dir).await else { return };
        let _ = block.index().verify_sections().await;
        if let Ok(series) = block.select(&[], TimeRange::ALL).await {
            for s in &series {
                let _ = block.float_samples(s, TimeRange::ALL).await;
            }
        }
    });
});
