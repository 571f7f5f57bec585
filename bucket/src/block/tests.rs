//! Write-then-read round trips through a local directory, and malformed-file cases.

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::path::Path;
use quiver_proto::{Labels, MatchOp, Matcher, Sample, TimeRange};

use super::*;
use crate::Error;

fn series(n: usize, samples: usize) -> Vec<(Labels, Vec<Sample>)> {
    (0..n)
        .map(|i| {
            let l = Labels::from_pairs([
                ("__name__", if i % 2 == 0 { "up" } else { "requests_total" }),
                ("instance", &format!("host-{i:03}")),
                ("job", if i % 3 == 0 { "api" } else { "db" }),
            ])
            .unwrap();
            let s =
                (0..samples).map(|k| Sample { t: 1_000 + k as i64 * 15_000, v: (i * k) as f64 }).collect();
            (l, s)
        })
        .collect()
}

/// Opens block `ulid` of the local directory `dir`, through the object store or (`in_place`)
/// reading its files in place as `quiver up` does.
async fn open_in(dir: &std::path::Path, ulid: &str, in_place: bool) -> Result<Block, Error> {
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(dir).unwrap());
    let opts = OpenOptions { local_dir: in_place.then(|| dir.to_path_buf()), ..Default::default() };
    Block::open_with(store, Path::from(ulid), &opts).await
}

async fn write_and_open(dir: &std::path::Path, input: Vec<(Labels, Vec<Sample>)>, in_place: bool) -> Block {
    let metas = write_float_blocks(dir, input, DEFAULT_BLOCK_DURATION_MS).unwrap();
    assert_eq!(metas.len(), 1);
    open_in(dir, &metas[0].ulid.to_string(), in_place).await.unwrap()
}

#[tokio::test]
async fn round_trips_series_and_samples() {
    round_trip(false).await;
}

#[tokio::test]
async fn round_trips_series_and_samples_read_in_place() {
    round_trip(true).await;
}

async fn round_trip(in_place: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let input = series(50, 300);
    let block = write_and_open(tmp.path(), input.clone(), in_place).await;
    assert_eq!(block.meta().stats.num_series, 50);
    assert_eq!(block.meta().stats.num_samples, 50 * 300);
    assert_eq!(block.index().label_names(), vec!["__name__", "instance", "job"]);

    let all = block.select(&[], TimeRange::ALL).await.unwrap();
    assert_eq!(all.len(), 50);
    let mut sorted = input.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (entry, (labels, samples)) in all.iter().zip(&sorted) {
        assert_eq!(&entry.labels, labels);
        assert_eq!(&block.float_samples(entry, TimeRange::ALL).await.unwrap(), samples);
    }

    let m = [
        Matcher::equal("__name__", "up"),
        Matcher::new(MatchOp::RegexMatch, "instance", "host-0[0-4].").unwrap(),
        Matcher::new(MatchOp::NotEqual, "job", "db").unwrap(),
    ];
    let got: Vec<String> =
        block.select(&m, TimeRange::ALL).await.unwrap().iter().map(|s| s.labels.to_string()).collect();
    let want: Vec<String> = sorted
        .iter()
        .filter(|(l, _)| m.iter().all(|m| m.matches_labels(l)))
        .map(|(l, _)| l.to_string())
        .collect();
    assert_eq!(got, want);
    assert!(!got.is_empty());

    // A matcher that accepts the empty value selects series without the label.
    let none = block.select(&[Matcher::equal("missing", "")], TimeRange::ALL).await.unwrap();
    assert_eq!(none.len(), 50);

    // Time range pruning keeps only overlapping chunks, and samples are cut to the range.
    let r = TimeRange::new(1_000 + 15_000 * 10, 1_000 + 15_000 * 20);
    let first = &block.select(&[], r).await.unwrap()[0];
    let s = block.float_samples(first, r).await.unwrap();
    assert_eq!(s.len(), 11);
}

#[tokio::test]
async fn index_bytes_match_promtool_layout() {
    // promtool 2.42 wrote exactly these bytes for one series {__name__="m"} with one chunk at
    // reference 8 spanning 1000..10000.
    let l = Labels::from_pairs([("__name__", "m")]).unwrap();
    let (bytes, _) =
        write_index(&[(l, vec![ChunkMeta { chunk_ref: 8, min_time: 1000, max_time: 10000 }])]).unwrap();
    let want = include_bytes!("testdata/promtool_single_series.index");
    assert_eq!(bytes.as_slice(), want.as_slice());
}

async fn open_err(dir: &std::path::Path, ulid: &str) -> Error {
    open_err_in(dir, ulid, false).await
}

async fn open_err_in(dir: &std::path::Path, ulid: &str, in_place: bool) -> Error {
    open_in(dir, ulid, in_place).await.unwrap_err()
}

#[tokio::test]
async fn corrupt_and_missing_files_are_named() {
    corrupt_and_missing(false).await;
}

#[tokio::test]
async fn corrupt_and_missing_files_are_named_when_read_in_place() {
    corrupt_and_missing(true).await;
}

async fn corrupt_and_missing(in_place: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let metas = write_float_blocks(tmp.path(), series(5, 50), DEFAULT_BLOCK_DURATION_MS).unwrap();
    let ulid = metas[0].ulid.to_string();
    let bdir = tmp.path().join(&ulid);
    let index = std::fs::read(bdir.join("index")).unwrap();

    // Every truncation of the index fails to open, naming block and file, never panicking.
    for cut in (0..index.len()).step_by(7) {
        std::fs::write(bdir.join("index"), &index[..cut]).unwrap();
        let e = open_err_in(tmp.path(), &ulid, in_place).await.to_string();
        assert!(e.contains(&ulid) && e.contains("index"), "cut {cut}: {e}");
    }
    // A flipped byte anywhere in the index is caught by a checksum when the index is read fully.
    for pos in (0..index.len()).step_by(3) {
        let mut bad = index.clone();
        bad[pos] ^= 0x5a;
        std::fs::write(bdir.join("index"), &bad).unwrap();
        let outcome = match open_in(tmp.path(), &ulid, in_place).await {
            Err(e) => Err(e),
            Ok(b) => match b.index().all_postings().await {
                Err(e) => Err(e),
                Ok(refs) => match b.index().series(&refs).await {
                    Err(e) => Err(e),
                    Ok(_) => b.index().verify_sections().await,
                },
            },
        };
        // Padding bytes between sections carry no data and no checksum.
        if outcome.is_ok() {
            assert_eq!(index[pos], 0, "flip at {pos} went unnoticed");
        }
    }
    std::fs::write(bdir.join("index"), &index).unwrap();

    // Chunks: a flipped data byte is a checksum error when the chunk is read.
    let seg = bdir.join("chunks").join("000001");
    let chunks = std::fs::read(&seg).unwrap();
    let mut bad = chunks.clone();
    bad[20] ^= 1;
    std::fs::write(&seg, &bad).unwrap();
    let b = open_in(tmp.path(), &ulid, in_place).await.unwrap();
    let s = b.select(&[], TimeRange::ALL).await.unwrap();
    let e = b.read_chunks(&s[0]).await.unwrap_err().to_string();
    assert!(e.contains(&ulid) && e.contains("chunks/000001") && e.contains("checksum"), "{e}");
    // Truncated segment: chunks past the end are an error, not a short read.
    std::fs::write(&seg, &chunks[..chunks.len() / 2]).unwrap();
    let b = open_in(tmp.path(), &ulid, in_place).await.unwrap();
    let mut failed = 0;
    for s in b.select(&[], TimeRange::ALL).await.unwrap() {
        if b.read_chunks(&s).await.is_err() {
            failed += 1;
        }
    }
    assert!(failed > 0);
    std::fs::write(&seg, &chunks).unwrap();

    // meta.json: garbage and missing.
    let meta = std::fs::read(bdir.join("meta.json")).unwrap();
    std::fs::write(bdir.join("meta.json"), &meta[..meta.len() / 2]).unwrap();
    let e = open_err_in(tmp.path(), &ulid, in_place).await.to_string();
    assert!(e.contains(&ulid) && e.contains("meta.json"), "{e}");
    std::fs::remove_file(bdir.join("meta.json")).unwrap();
    assert!(
        matches!(open_err_in(tmp.path(), &ulid, in_place).await, Error::MissingFile { ref file, .. } if file == "meta.json")
    );
    std::fs::write(bdir.join("meta.json"), &meta).unwrap();

    // Missing index and missing chunk directory.
    std::fs::remove_file(bdir.join("index")).unwrap();
    assert!(
        matches!(open_err_in(tmp.path(), &ulid, in_place).await, Error::MissingFile { ref file, .. } if file == "index")
    );
    std::fs::write(bdir.join("index"), &index).unwrap();

    // Corrupt tombstones.
    std::fs::write(bdir.join("tombstones"), b"\x01\x30\xba\x30\x01garbage").unwrap();
    let e = open_err_in(tmp.path(), &ulid, in_place).await.to_string();
    assert!(e.contains("tombstones"), "{e}");
}

#[tokio::test]
async fn huge_counts_do_not_allocate_or_panic() {
    // A symbol table that claims four billion symbols in a few bytes.
    let tmp = tempfile::tempdir().unwrap();
    let metas = write_float_blocks(tmp.path(), series(1, 5), DEFAULT_BLOCK_DURATION_MS).unwrap();
    let ulid = metas[0].ulid.to_string();
    let p = tmp.path().join(&ulid).join("index");
    let mut index = std::fs::read(&p).unwrap();
    index[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&p, &index).unwrap();
    let e = open_err(tmp.path(), &ulid).await.to_string();
    assert!(e.contains("index"), "{e}");
}

/// A block whose meta.json names external labels, as Thanos's sidecar uploads it.
async fn with_external_labels(dir: &std::path::Path, labels: &[(&str, &str)]) -> Block {
    let metas = write_float_blocks(dir, series(6, 10), DEFAULT_BLOCK_DURATION_MS).unwrap();
    let path = dir.join(metas[0].ulid.to_string()).join("meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ext: serde_json::Map<String, serde_json::Value> =
        labels.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect();
    meta["thanos"] = serde_json::json!({"labels": ext, "downsample": {"resolution": 0}, "source": "sidecar"});
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let store: Arc<dyn object_store::ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(dir).unwrap());
    Block::open(store, Path::from(metas[0].ulid.to_string())).await.unwrap()
}

#[tokio::test]
async fn external_labels_are_series_labels_answered_by_the_block() {
    let tmp = tempfile::tempdir().unwrap();
    // `job` is also a series label: the external value replaces it, as in Thanos.
    let block = with_external_labels(tmp.path(), &[("cluster", "eu-1"), ("job", "ext")]).await;
    let names = |v: Vec<SeriesEntry>| v.iter().map(|s| s.labels.to_string()).collect::<Vec<_>>();

    let all = names(block.select_external(&[], TimeRange::ALL).await.unwrap());
    assert_eq!(all.len(), 6);
    assert_eq!(all[0], r#"{__name__="requests_total", cluster="eu-1", instance="host-001", job="ext"}"#);

    let eu = [Matcher::equal("cluster", "eu-1"), Matcher::equal("__name__", "up")];
    assert_eq!(block.select_external(&eu, TimeRange::ALL).await.unwrap().len(), 3);
    // A matcher on an external label that rejects it rejects the whole block, whatever the
    // series labels of that name say.
    for rejecting in [
        Matcher::equal("cluster", "us-1"),
        Matcher::equal("job", "api"),
        Matcher::new(MatchOp::RegexNoMatch, "cluster", "eu.*").unwrap(),
        Matcher::equal("cluster", ""),
    ] {
        assert!(
            block.select_external(std::slice::from_ref(&rejecting), TimeRange::ALL).await.unwrap().is_empty(),
            "{rejecting}"
        );
    }
    assert_eq!(
        block.select_external(&[Matcher::equal("job", "ext")], TimeRange::ALL).await.unwrap().len(),
        6
    );

    assert_eq!(block.label_names(), vec!["__name__", "cluster", "instance", "job"]);
    assert_eq!(block.label_values("job"), vec!["ext"]);
    assert_eq!(block.label_values("cluster"), vec!["eu-1"]);
    let labels = block.series_labels(&[Matcher::equal("__name__", "up")]).await.unwrap();
    assert!(labels.iter().all(|l| l.get("cluster") == Some("eu-1") && l.get("job") == Some("ext")));

    // The raw view (tsdb dump, compaction) keeps the block's own labels.
    let raw = block.select(&[Matcher::equal("job", "api")], TimeRange::ALL).await.unwrap();
    assert_eq!(raw.len(), 2);
}

#[tokio::test]
async fn invalid_external_label_names_are_a_corrupt_meta() {
    let tmp = tempfile::tempdir().unwrap();
    let metas = write_float_blocks(tmp.path(), series(1, 1), DEFAULT_BLOCK_DURATION_MS).unwrap();
    let path = tmp.path().join(metas[0].ulid.to_string()).join("meta.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    meta["thanos"] =
        serde_json::json!({"labels": {"1bad": "x"}, "downsample": {"resolution": 0}, "source": "x"});
    std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let e = open_err(tmp.path(), &metas[0].ulid.to_string()).await;
    assert!(e.to_string().contains("meta.json is corrupt: external labels"), "{e}");
}

#[tokio::test]
async fn listing_a_local_directory_in_place_finds_what_the_store_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let mut want: Vec<ulid::Ulid> = Vec::new();
    for n in [3, 4] {
        want.extend(
            write_float_blocks(tmp.path(), series(n, 5), DEFAULT_BLOCK_DURATION_MS)
                .unwrap()
                .iter()
                .map(|m| m.ulid),
        );
    }
    want.sort();
    // Neither a directory that is not a ULID nor a file named like one is a block.
    std::fs::create_dir(tmp.path().join("wal")).unwrap();
    std::fs::write(tmp.path().join(ulid::Ulid::new().to_string()), b"x").unwrap();
    let store: Arc<dyn object_store::ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(tmp.path()).unwrap());
    assert_eq!(list_blocks(&store, None).await.unwrap(), want);
    assert_eq!(list_local_blocks(tmp.path()).unwrap(), want);
    assert!(matches!(list_local_blocks(&tmp.path().join("gone")), Err(Error::Io { .. })));
}

/// The labels of a block's answer to `req`, through the source interface.
async fn answer(block: &Arc<Block>, req: quiver_proto::SeriesRequest) -> Vec<Labels> {
    use futures::StreamExt;
    let frames: Vec<_> = quiver_proto::SeriesStore::series(Arc::clone(block), req).collect().await;
    frames
        .into_iter()
        .filter_map(|f| match f.unwrap() {
            quiver_proto::SeriesFrame::Series(s) => Some(s.labels),
            quiver_proto::SeriesFrame::Warning(_) => None,
        })
        .collect()
}

/// A sharded request returns exactly the series of the unsharded answer that the shard owns,
/// in the same order: placed from the index's label references (no external labels) or from
/// the served labels (with them).
#[tokio::test]
async fn shards_are_exactly_the_owned_series() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = Arc::new(write_and_open(tmp.path(), series(200, 5), true).await);
    let tmp2 = tempfile::tempdir().unwrap();
    let external = Arc::new(with_external_labels(tmp2.path(), &[("cluster", "eu-1")]).await);
    let by_job = quiver_proto::ShardInfo { index: 1, total: 2, by: true, labels: vec!["job".into()] };
    for block in [&plain, &external] {
        let req = quiver_proto::SeriesRequest::new(Vec::new(), TimeRange::ALL);
        let all = answer(block, req.clone()).await;
        let shards = [quiver_proto::ShardInfo::of(0, 2), quiver_proto::ShardInfo::of(1, 3), by_job.clone()];
        for shard in shards {
            let mut sharded = req.clone();
            sharded.shard = Some(shard.clone());
            let want: Vec<Labels> = all.iter().filter(|l| shard.owns(l)).cloned().collect();
            assert!(!want.is_empty() && want.len() < all.len(), "{shard:?}: {} of {}", want.len(), all.len());
            assert_eq!(answer(block, sharded).await, want, "{shard:?}");
        }
    }
}
