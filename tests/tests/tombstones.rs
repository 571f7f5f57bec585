//! Tombstones written by a real Prometheus: series deleted through its admin API
//! (`delete_series`, which writes a `tombstones` file into each block), the blocks uploaded to
//! Quiver's bucket, and the same queries over the deleted ranges (and the same series) answered by
//! both alike.

use std::path::Path;

use quiver_tests::bins::{gen_om, promtool, quiver, run_ok};
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_up::{QuiverUp, api_get};

/// Copies the block directories (ULID names) of Prometheus's storage `from` into `to`.
fn copy_blocks(from: &Path, to: &Path) -> usize {
    let mut with_tombstones = 0;
    for entry in std::fs::read_dir(from).expect("read storage") {
        let dir = entry.expect("dir entry").path();
        if !dir.join("meta.json").exists() {
            continue;
        }
        let target = to.join(dir.file_name().expect("block name"));
        std::fs::create_dir_all(target.join("chunks")).expect("create block dir");
        for file in ["meta.json", "index", "tombstones"] {
            if dir.join(file).exists() {
                std::fs::copy(dir.join(file), target.join(file)).expect("copy block file");
            }
        }
        for seg in std::fs::read_dir(dir.join("chunks")).expect("chunks dir") {
            let seg = seg.expect("segment").path();
            std::fs::copy(&seg, target.join("chunks").join(seg.file_name().expect("name"))).expect("copy");
        }
        // An empty tombstones file holds a header only (9 bytes).
        if std::fs::metadata(target.join("tombstones")).is_ok_and(|m| m.len() > 9) {
            with_tombstones += 1;
        }
    }
    with_tombstones
}

const QUERIES: &[&str] = &[
    r#"http_requests_total{job="api",method="GET"}"#,
    r#"sum by (status) (rate(http_requests_total{job="api"}[5m]))"#,
    r#"count_over_time(http_requests_total{job="api",status="500"}[30m])"#,
    "count(node_memory_usage_bytes)",
    r#"node_memory_usage_bytes{instance="10.0.0.1:9100"}"#,
    "sum by (job) (http_requests_total)",
];

#[tokio::test]
async fn prometheus_tombstones_delete_as_in_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip(
        "tombstones::prometheus_tombstones_delete_as_in_prometheus_242",
    )
    .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let om = dir.join("in.om");
    gen_om(&om, 60, 4.0);
    let storage = dir.join("prometheus");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&storage));
    let prom = Prometheus::start(&storage, &["--web.enable-admin-api"]).await;

    let client = reqwest::Client::new();
    for params in [
        // A window in the middle of one block's series, and one series deleted for all time.
        vec![
            ("match[]", r#"http_requests_total{job="api"}"#),
            ("start", "1699990000"),
            ("end", "1699992500"),
        ],
        vec![("match[]", r#"node_memory_usage_bytes{instance="10.0.0.1:9100"}"#)],
    ] {
        let r = client
            .post(format!("{}/api/v1/admin/tsdb/delete_series", prom.url()))
            .query(&params)
            .send()
            .await
            .expect("delete_series");
        assert_eq!(r.status().as_u16(), 204, "{params:?}: {}", r.text().await.unwrap_or_default());
    }

    let blocks = dir.join("copied");
    let with_tombstones = copy_blocks(&storage, &blocks);
    assert!(with_tombstones > 0, "Prometheus wrote no tombstones");
    let bucket = dir.join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    let config = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    run_ok(
        quiver()
            .args(["tools", "bucket", "upload-blocks", "--objstore.config", &config, "--path"])
            .arg(&blocks),
    );
    let ours = QuiverUp::start(&bucket, &[]).await;

    let mut tally = Tally::default();
    for query in QUERIES {
        for (path, params) in [
            ("/api/v1/query", vec![("query", *query), ("time", "1699991234.5")]),
            ("/api/v1/query", vec![("query", *query), ("time", "1699992600.5")]),
            (
                "/api/v1/query_range",
                vec![("query", *query), ("start", "1699988012.5"), ("end", "1699995012.5"), ("step", "120")],
            ),
        ] {
            let (s1, a) = api_get(&ours.url(), path, &params).await;
            let (s2, b) = api_get(&prom.url(), path, &params).await;
            assert_eq!(
                (s1, &a["status"]),
                (s2, &b["status"]),
                "{path} {params:?}: quiver {a}, prometheus {b}"
            );
            if let Err(e) = diff(&normalize(query, a), &normalize(query, b), "", &mut tally) {
                panic!("{path} {params:?}: {e}");
            }
        }
    }
    // A series whose every sample is deleted is no series any more; label values stay.
    for (path, params) in [
        ("/api/v1/series", vec![("match[]", "node_memory_usage_bytes")]),
        ("/api/v1/label/instance/values", vec![("match[]", "node_memory_usage_bytes")]),
    ] {
        let (a, b) = (api_get(&ours.url(), path, &params).await, api_get(&prom.url(), path, &params).await);
        assert_eq!(a, b, "{path} {params:?}");
        // Two instances' series; one deleted.
        let expected = if path.ends_with("series") { 1 } else { 2 };
        assert_eq!(a.1["data"].as_array().map(Vec::len), Some(expected), "{path}: {}", a.1);
    }
    assert!(tally.values > 500, "{tally:?}");
    eprintln!("{with_tombstones} blocks with tombstones; {tally:?}");
}
