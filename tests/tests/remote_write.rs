//! Remote write from a real Prometheus 2.42 into `quiver up`: Prometheus scrapes itself every
//! second and writes to Quiver's `/api/v1/receive`; Quiver then returns exactly the raw samples
//! Prometheus's own TSDB holds for the same series and time range (each with the receiver's
//! tenant label, `tenant_id="default-tenant"`, as Thanos receive adds it), and still does after
//! a `kill -9` and a restart on the same data directory (the WAL is replayed).

use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_proc::QuiverProc;
use quiver_tests::quiver_up::{QuiverUp, api_get};
use quiver_tests::remote_write::receive_blocks;
use quiver_tests::samples::{agree, by_series};

const TENANT: &[(&str, &str)] = &[("tenant_id", "default-tenant")];

/// A Prometheus scraping itself every second and remote-writing to `url`.
async fn prometheus_writing_to(dir: &std::path::Path, url: String) -> Prometheus {
    let config = move |port: u16| {
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n\
             remote_write:\n  - url: {url}\n    queue_config:\n      batch_send_deadline: 500ms\n      min_backoff: 50ms\n      max_backoff: 500ms\n"
        )
    };
    Prometheus::start_with_config(dir, config, &[]).await
}

const SELECTOR: &str = r#"{job="self"}[8s]"#;

#[tokio::test]
async fn prometheus_remote_write_lands_sample_for_sample() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("quiver");
    // Blocks of 10 s, so that some are cut from the head and uploaded while the test runs.
    let args = ["--tsdb.block-duration=10s"];
    let mut quiver = QuiverUp::start(&data, &args).await;
    let prom =
        prometheus_writing_to(&tmp.path().join("prometheus"), format!("{}/api/v1/receive", quiver.url()))
            .await;
    let (t, expected) =
        agree(&prom, &quiver.url(), SELECTOR, TENANT, || !receive_blocks(&data).is_empty()).await;
    let samples: usize = expected.values().map(Vec::len).sum();
    assert!(samples > 500, "{samples} samples");

    let blocks = receive_blocks(&data);
    for meta in &blocks {
        assert_eq!(meta["thanos"]["labels"]["tenant_id"], "default-tenant", "{meta}");
        assert!(meta["stats"]["numSamples"].as_u64().is_some_and(|n| n > 0), "{meta}");
    }

    // kill -9 and restart: every acknowledged sample is replayed from the WAL or in a block.
    drop(quiver);
    quiver = QuiverUp::start(&data, &args).await;
    let (status, ours) = api_get(&quiver.url(), "/api/v1/query", &[("query", SELECTOR), ("time", &t)]).await;
    assert_eq!(status, 200);
    assert_eq!(by_series(&ours, TENANT), expected, "after a restart");
    eprintln!(
        "{} series, {samples} samples agree, before and after a kill -9; {} blocks cut and uploaded",
        expected.len(),
        blocks.len()
    );
}

/// `quiver receive` (its own component, with an external label) behind `quiver query` over
/// StoreAPI: the querier answers as Prometheus's own TSDB, across the receiver's cut blocks
/// (kept and served locally, and uploaded to a bucket) and its head.
#[tokio::test]
async fn receive_behind_query_answers_as_prometheus() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tsdb = tmp.path().join("receive");
    let bucket = tmp.path().join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    let objstore = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    let write_port = quiver_tests::ports::free_port().expect("port");
    let write_addr = format!("--remote-write.address=127.0.0.1:{write_port}");
    let receive = QuiverProc::start(&[
        "receive",
        &write_addr,
        "--tsdb.path",
        tsdb.to_str().expect("utf-8"),
        "--objstore.config",
        &objstore,
        "--label",
        r#"receiver="r1""#,
        "--tsdb.block-duration=10s",
    ])
    .await;
    let query = QuiverProc::start(&["query", "--endpoint", &receive.grpc()]).await;
    let prom = prometheus_writing_to(
        &tmp.path().join("prometheus"),
        format!("http://127.0.0.1:{write_port}/api/v1/receive"),
    )
    .await;
    let external = [("receiver", "r1"), ("tenant_id", "default-tenant")];
    let (_, expected) =
        agree(&prom, &query.url(), SELECTOR, &external, || !receive_blocks(&bucket).is_empty()).await;
    let local = receive_blocks(&tsdb);
    assert!(!local.is_empty(), "the receiver keeps its blocks");
    for meta in receive_blocks(&bucket) {
        assert_eq!(meta["thanos"]["labels"]["receiver"], "r1", "{meta}");
    }
    eprintln!("{} series agree through quiver receive and quiver query", expected.len());
}
