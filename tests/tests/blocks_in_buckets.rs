//! The same block tests over a FILESYSTEM bucket and an S3 bucket (a real S3 emulator): promtool's
//! blocks uploaded to the bucket are read by Quiver sample for sample, and the bucket tools list,
//! inspect and verify them, naming a broken block.

use std::path::Path;
use std::sync::Arc;

use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use quiver_tests::bins::{assert_same_text, gen_om, promtool, promtool_dump, quiver, run_ok, stdout_of};
use quiver_tests::counting_store::CountingStore;
use quiver_tests::s3::S3Emulator;

/// Runs the bucket checks against one bucket configuration.
async fn check_bucket(yaml: &str, local_blocks: &Path) {
    let store = quiver_bucket::objstore::object_store_from_yaml(yaml).expect("bucket from yaml");
    let cfg = ["--objstore.config", yaml];
    let uploaded = stdout_of(
        quiver()
            .args([
                "tools",
                "bucket",
                "upload-blocks",
                "--label",
                "cluster=\"eu-1\"",
                "--label",
                "replica=a",
                "--path",
            ])
            .arg(local_blocks)
            .args(cfg),
    );
    let mut ulids: Vec<String> =
        uploaded.lines().filter_map(|l| l.strip_prefix("uploaded ")).map(str::to_string).collect();
    ulids.sort();
    assert_eq!(ulids.len(), 3);
    // meta.json in the bucket carries Thanos's section: labels, source, files with sizes.
    for u in &ulids {
        let raw = store
            .get(&ObjPath::from(format!("{u}/meta.json")))
            .await
            .expect("meta")
            .bytes()
            .await
            .expect("bytes");
        let meta: serde_json::Value = serde_json::from_slice(&raw).expect("json");
        assert_eq!(meta["thanos"]["labels"]["cluster"], "eu-1");
        assert_eq!(meta["thanos"]["source"], "bucket.upload-blocks");
        assert_eq!(meta["thanos"]["downsample"]["resolution"], 0);
        let index_size = std::fs::metadata(local_blocks.join(u).join("index")).expect("index").len();
        let files = meta["thanos"]["files"].as_array().expect("files");
        assert!(files.iter().any(|f| f["rel_path"] == "index" && f["size_bytes"] == index_size), "{meta}");
        assert!(files.iter().any(|f| f["rel_path"] == "chunks/000001"), "{meta}");
    }
    let reference = promtool_dump(local_blocks, &[]);
    let dumped = stdout_of(quiver().args(["tools", "tsdb", "dump"]).args(cfg));
    assert_same_text(&dumped, &reference, "dump through the bucket");

    let ls = stdout_of(quiver().args(["tools", "bucket", "ls"]).args(cfg));
    assert_eq!(ls.lines().collect::<Vec<_>>(), ulids);

    let inspect = stdout_of(quiver().args(["tools", "bucket", "inspect"]).args(cfg));
    let header = inspect.lines().next().expect("header");
    for col in
        ["ULID", "FROM", "UNTIL", "SERIES", "SAMPLES", "CHUNKS", "LEVEL", "RESOLUTION", "LABELS", "SIZE"]
    {
        assert!(header.contains(col), "{header}");
    }
    for u in &ulids {
        let row = inspect.lines().find(|l| l.starts_with(u.as_str())).expect("a row per block");
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(local_blocks.join(u).join("meta.json")).expect("meta"))
                .expect("json");
        let samples = meta["stats"]["numSamples"].to_string();
        assert!(row.split_whitespace().any(|c| c == samples), "{row} lacks {samples}");
        assert!(row.contains("cluster=eu-1,replica=a"), "{row}");
    }

    let verify = stdout_of(quiver().args(["tools", "bucket", "verify"]).args(cfg));
    assert_eq!(verify.lines().filter(|l| l.ends_with(" ok")).count(), 3, "{verify}");

    // Break one block's index and one block's chunks: verify fails and names exactly those.
    let (broken_index, broken_chunks) = (&ulids[0], &ulids[2]);
    let index = std::fs::read(local_blocks.join(broken_index).join("index")).expect("index");
    store
        .put(
            &ObjPath::from(format!("{broken_index}/index")),
            PutPayload::from(index[..index.len() - 100].to_vec()),
        )
        .await
        .expect("put");
    let seg = std::fs::read(local_blocks.join(broken_chunks).join("chunks").join("000001")).expect("segment");
    let mut bad = seg.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    store
        .put(&ObjPath::from(format!("{broken_chunks}/chunks/000001")), PutPayload::from(bad))
        .await
        .expect("put");
    let out = quiver().args(["tools", "bucket", "verify"]).args(cfg).output().expect("run");
    assert!(!out.status.success(), "verify must fail on broken blocks");
    let text = String::from_utf8_lossy(&out.stdout);
    let broken: Vec<&str> = text.lines().filter(|l| l.contains("BROKEN")).collect();
    assert_eq!(broken.len(), 2, "{text}");
    assert!(broken.iter().any(|l| l.starts_with(broken_index.as_str()) && l.contains("index")), "{text}");
    assert!(
        broken.iter().any(|l| l.starts_with(broken_chunks.as_str()) && l.contains("chunks/000001")),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 of 3 blocks are broken"));
}

fn promtool_blocks(dir: &Path) -> std::path::PathBuf {
    let om = dir.join("in.om");
    gen_om(&om, 60, 5.0);
    let out = dir.join("blocks");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&out));
    out
}

#[tokio::test]
async fn filesystem_bucket() {
    if quiver_tests::shared::testbench_or_skip("blocks_in_buckets::filesystem_bucket").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let blocks = promtool_blocks(tmp.path());
    let bucket = tmp.path().join("bucket");
    let yaml = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    check_bucket(&yaml, &blocks).await;
}

#[tokio::test]
async fn filesystem_bucket_with_prefix() {
    if quiver_tests::shared::testbench_or_skip("blocks_in_buckets::filesystem_bucket_with_prefix").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let blocks = promtool_blocks(tmp.path());
    let bucket = tmp.path().join("bucket");
    let yaml =
        format!("type: FILESYSTEM\nprefix: tenant-a/blocks\nconfig:\n  directory: {}\n", bucket.display());
    check_bucket(&yaml, &blocks).await;
    assert!(bucket.join("tenant-a").join("blocks").is_dir());
}

#[tokio::test]
async fn s3_bucket() {
    if quiver_tests::shared::testbench_or_skip("blocks_in_buckets::s3_bucket").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let blocks = promtool_blocks(tmp.path());
    let s3 = S3Emulator::start().expect("start S3 emulator");
    check_bucket(&s3.objstore_yaml(None), &blocks).await;
}

#[tokio::test]
async fn s3_bucket_with_prefix() {
    if quiver_tests::shared::testbench_or_skip("blocks_in_buckets::s3_bucket_with_prefix").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let blocks = promtool_blocks(tmp.path());
    let s3 = S3Emulator::start().expect("start S3 emulator");
    check_bucket(&s3.objstore_yaml(Some("some/prefix")), &blocks).await;
}

/// Opening a block and reading one series fetches byte ranges of the index and chunk files, never
/// whole files, and far less than the index holds.
#[tokio::test]
async fn index_and_chunks_are_read_with_ranges() {
    if quiver_tests::shared::testbench_or_skip("blocks_in_buckets::index_and_chunks_are_read_with_ranges")
        .is_none()
    {
        return;
    }
    use quiver_bucket::block::Block;
    use quiver_proto::{Matcher, TimeRange};

    let tmp = tempfile::tempdir().expect("tempdir");
    let Counted { blocks, ulid, counting, store } = counted_block(tmp.path(), 2000);
    let index_size = std::fs::metadata(blocks.join(&ulid).join("index")).expect("index").len();

    let block = Block::open(store, ObjPath::from(ulid.as_str())).await.expect("open");
    let m = [Matcher::equal("__name__", "http_requests_total"), Matcher::equal("instance", "10.0.0.7:9100")];
    let series = block.select(&m, TimeRange::ALL).await.expect("select");
    assert_eq!(series.len(), 12);
    let mut n = 0;
    for s in &series {
        n += block.float_samples(s, TimeRange::ALL).await.expect("samples").len();
    }
    assert_eq!(n, 12 * 480);

    let reads = counting.reads();
    let mut index_bytes = 0u64;
    for r in &reads {
        let data_file = r.path.ends_with("/index") || r.path.contains("/chunks/");
        if data_file && !r.head {
            match &r.range {
                Some(object_store::GetRange::Bounded(range)) => {
                    if r.path.ends_with("/index") {
                        index_bytes += range.end - range.start;
                    }
                }
                other => panic!("{} read without a bounded range: {other:?}", r.path),
            }
        }
    }
    assert!(index_bytes * 4 < index_size, "read {index_bytes} of {index_size} index bytes for 12 series");
}

/// With index headers on local disk, a block opened a second time (a store gateway restarting)
/// reads nothing of its index from the bucket to open, and answers the same.
#[tokio::test]
async fn index_headers_on_disk_spare_the_bucket_on_reopen() {
    if quiver_tests::shared::testbench_or_skip(
        "blocks_in_buckets::index_headers_on_disk_spare_the_bucket_on_reopen",
    )
    .is_none()
    {
        return;
    }
    use quiver_bucket::block::{Block, INDEX_HEADER_FILE};
    use quiver_proto::{Matcher, TimeRange};

    let tmp = tempfile::tempdir().expect("tempdir");
    let Counted { ulid, counting, store, .. } = counted_block(tmp.path(), 300);
    let headers = tmp.path().join("headers");
    let m = [Matcher::equal("__name__", "node_memory_usage_bytes")];

    let first = Block::open_with_headers(Arc::clone(&store), ObjPath::from(ulid.as_str()), Some(&headers))
        .await
        .expect("open");
    assert!(headers.join(&ulid).join(INDEX_HEADER_FILE).is_file());
    let want = first.select(&m, TimeRange::ALL).await.expect("select");
    assert!(!want.is_empty());
    counting.clear();

    let again =
        Block::open_with_headers(store, ObjPath::from(ulid.as_str()), Some(&headers)).await.expect("reopen");
    let index_reads = counting.reads().iter().filter(|r| r.path.ends_with("/index")).count();
    assert_eq!(index_reads, 0, "{:?}", counting.reads());
    assert_eq!(again.select(&m, TimeRange::ALL).await.expect("select"), want);
    assert_eq!(again.index().label_names(), first.index().label_names());
}

/// A promtool block in a directory read through a store that records every read.
struct Counted {
    blocks: std::path::PathBuf,
    ulid: String,
    counting: Arc<CountingStore>,
    store: Arc<dyn ObjectStore>,
}

/// A promtool block of about `series` series over 2 h in `dir/blocks`.
fn counted_block(dir: &Path, series: usize) -> Counted {
    let om = dir.join("in.om");
    gen_om(&om, series, 2.0);
    let blocks = dir.join("blocks");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&blocks));
    let ulid = std::fs::read_dir(&blocks)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .find(|n| n.len() == 26)
        .expect("a block");
    let fs: Arc<dyn ObjectStore> =
        Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&blocks).expect("fs"));
    let counting = Arc::new(CountingStore::new(fs));
    let store: Arc<dyn ObjectStore> = Arc::clone(&counting) as Arc<dyn ObjectStore>;
    Counted { blocks, ulid, counting, store }
}
