//! The sidecar's shipper over a TSDB directory of real blocks (written by the bucket crate's
//! Prometheus-compatible writer) and an in-memory bucket.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt};
use quiver_bucket::block::{BlockMeta, write_float_blocks};
use quiver_ingest::shipper::{SHIPPER_FILE, ShipOutcome, Shipper, ShipperConfig, ShipperRecord};
use quiver_proto::{Labels, Sample};
use ulid::Ulid;

const HOUR: i64 = 3_600_000;

/// One 2 h block per entry of `hours` (its start hour), of one series.
fn blocks(dir: &Path, hours: &[i64]) -> Vec<BlockMeta> {
    let labels = Labels::from_pairs([("__name__", "up"), ("job", "x")]).expect("labels");
    let samples: Vec<Sample> = hours
        .iter()
        .flat_map(|h| (0..10).map(move |i| Sample { t: h * HOUR + i * 60_000, v: i as f64 }))
        .collect();
    write_float_blocks(dir, vec![(labels, samples)], 2 * HOUR).expect("blocks")
}

fn set_level(dir: &Path, ulid: Ulid, level: u32) {
    let path = dir.join(ulid.to_string()).join("meta.json");
    let mut meta = BlockMeta::parse("b", &std::fs::read(&path).expect("meta")).expect("meta");
    meta.compaction.level = level;
    std::fs::write(&path, meta.to_json().expect("json")).expect("write meta");
}

fn shipper(dir: &Path, bucket: &Arc<dyn ObjectStore>, upload_compacted: bool) -> Shipper {
    let labels = BTreeMap::from([("cluster".to_string(), "eu".to_string())]);
    let config = ShipperConfig {
        tsdb_dir: dir.to_path_buf(),
        labels,
        source: "sidecar".to_string(),
        upload_compacted,
    };
    Shipper::new(config, Arc::clone(bucket))
}

async fn bucket_meta(bucket: &Arc<dyn ObjectStore>, ulid: Ulid) -> Option<BlockMeta> {
    let got = bucket.get(&ObjPath::from(format!("{ulid}/meta.json"))).await.ok()?;
    BlockMeta::parse("b", &got.bytes().await.ok()?).ok()
}

#[tokio::test]
async fn ships_each_new_level_one_block_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let metas = blocks(dir, &[0, 2, 4]);
    let (a, b, compacted) = (metas[0].ulid, metas[1].ulid, metas[2].ulid);
    set_level(dir, compacted, 2);
    // Prometheus writes a block under a temporary name first: not a block yet.
    std::fs::create_dir(dir.join(format!("{}.tmp-for-creation", Ulid::new()))).expect("tmp dir");
    let bucket: Arc<dyn ObjectStore> = Arc::new(InMemory::new());

    let s = shipper(dir, &bucket, false);
    let first = s.sync().await.expect("sync");
    assert_eq!(first, ShipOutcome { uploaded: vec![a, b], ..ShipOutcome::default() });
    let meta = bucket_meta(&bucket, a).await.expect("shipped meta.json");
    let thanos = meta.thanos.expect("thanos section");
    assert_eq!(thanos.source, "sidecar");
    assert_eq!(thanos.labels.get("cluster").map(String::as_str), Some("eu"));
    assert!(thanos.files.iter().any(|f| f.rel_path == "index" && f.size_bytes.is_some_and(|n| n > 0)));
    assert!(bucket_meta(&bucket, compacted).await.is_none(), "compacted blocks ship only when asked");
    let record = ShipperRecord::read(dir);
    assert_eq!(record, ShipperRecord { version: 1, uploaded: vec![a, b] });
    let raw = std::fs::read_to_string(dir.join(SHIPPER_FILE)).expect("record");
    assert!(raw.contains("\"uploaded\""), "{raw}");

    // Nothing twice: again, and with the record lost (the bucket's meta.json counts).
    assert_eq!(s.sync().await.expect("sync"), ShipOutcome::default());
    std::fs::remove_file(dir.join(SHIPPER_FILE)).expect("rm record");
    assert_eq!(s.sync().await.expect("sync"), ShipOutcome::default());
    assert_eq!(ShipperRecord::read(dir).uploaded, vec![a, b]);

    // A block Prometheus deleted drops out of the record.
    std::fs::remove_dir_all(dir.join(a.to_string())).expect("rm block");
    s.sync().await.expect("sync");
    assert_eq!(ShipperRecord::read(dir).uploaded, vec![b]);
}

#[tokio::test]
async fn compacted_blocks_ship_when_asked_unless_they_overlap() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let metas = blocks(dir, &[0, 2, 4]);
    let bucket: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    // Block 0 is already in the bucket, shipped by someone else.
    shipper(dir, &bucket, false).sync().await.expect("sync");
    std::fs::remove_file(dir.join(SHIPPER_FILE)).expect("rm record");
    for m in &metas[1..] {
        bucket.delete(&ObjPath::from(format!("{}/meta.json", m.ulid))).await.expect("rm");
    }
    // A compacted block over hours 0-4 overlaps it; one over hours 4-6 does not.
    let overlapping = blocks(&dir.join("staging"), &[0, 2]);
    let wide = overlapping[0].ulid;
    std::fs::rename(dir.join("staging").join(wide.to_string()), dir.join(wide.to_string())).expect("mv");
    let path = dir.join(wide.to_string()).join("meta.json");
    let mut meta = BlockMeta::parse("b", &std::fs::read(&path).expect("meta")).expect("meta");
    meta.compaction.level = 2;
    meta.max_time = 4 * HOUR;
    std::fs::write(&path, meta.to_json().expect("json")).expect("write");
    for m in &metas[1..] {
        set_level(dir, m.ulid, 2);
    }
    std::fs::remove_dir_all(dir.join(metas[1].ulid.to_string())).expect("rm");

    let got = shipper(dir, &bucket, true).sync().await.expect("sync");
    assert_eq!(got.overlapping, vec![wide]);
    assert_eq!(got.uploaded, vec![metas[2].ulid]);
}

#[tokio::test]
async fn a_failed_upload_leaves_no_meta_json_and_is_retried() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let ulid = blocks(dir, &[0])[0].ulid;
    let index = dir.join(ulid.to_string()).join("index");
    let saved = std::fs::read(&index).expect("index");
    std::fs::remove_file(&index).expect("rm index");
    let bucket: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let s = shipper(dir, &bucket, false);

    let got = s.sync().await.expect("sync");
    assert_eq!(got.failed.len(), 1, "{got:?}");
    assert!(bucket_meta(&bucket, ulid).await.is_none(), "no meta.json for a partial upload");
    assert!(ShipperRecord::read(dir).uploaded.is_empty());

    std::fs::write(&index, saved).expect("restore index");
    assert_eq!(s.sync().await.expect("sync").uploaded, vec![ulid]);
    assert!(bucket_meta(&bucket, ulid).await.is_some());
}
