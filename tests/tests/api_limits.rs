//! `quiver up`'s query API beyond what Prometheus 2.42 can be compared on: blocks uploaded while
//! it runs, `--query.timeout` and the `timeout` parameter, `--query.max-series`, `--query.max-concurrency`, queries stopped when their client
//! disconnects, `--enable-feature` gating, `explain=true`, and annotations as `infos`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use quiver_tests::bins::{gen_om, promtool, quiver, run_ok};
use quiver_tests::quiver_up::{QuiverUp, api_get};

/// promtool-made blocks in `dir/blocks`, and an empty bucket directory `dir/bucket`.
fn blocks(dir: &Path) -> (PathBuf, PathBuf) {
    let om = dir.join("in.om");
    gen_om(&om, 300, 5.0);
    let blocks = dir.join("blocks");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&blocks));
    let bucket = dir.join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    (blocks, bucket)
}

fn upload(blocks: &Path, bucket: &Path) {
    let config = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    run_ok(
        quiver()
            .args(["tools", "bucket", "upload-blocks", "--objstore.config", &config, "--path"])
            .arg(blocks),
    );
}

/// A quantile of every 2 s step's 5h window (1,200 samples sorted) over every series of the
/// test data: far more work than any limit below allows, at whatever speed (`rate` over the same
/// windows no longer is: it skips windows without counter resets).
const HEAVY: [(&str, &str); 4] = [
    ("query", "sum(quantile_over_time(0.5, http_requests_total[5h]))"),
    ("start", "1699981200"),
    ("end", "1699999200"),
    ("step", "2"),
];

#[tokio::test]
async fn blocks_uploaded_after_start_are_answered() {
    if quiver_tests::shared::testbench_or_skip("api_limits::blocks_uploaded_after_start_are_answered")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    let up = QuiverUp::start(&bucket, &[]).await;
    let params = [("query", "count(http_requests_total)"), ("time", "1699992345.7")];
    let (status, v) = api_get(&up.url(), "/api/v1/query", &params).await;
    assert_eq!((status, v["data"]["result"].as_array().map(Vec::len)), (200, Some(0)), "{v}");
    upload(&blocks, &bucket);
    let (status, v) = api_get(&up.url(), "/api/v1/query", &params).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["result"][0]["value"][1], "132", "{v}");
}

#[tokio::test]
async fn timeouts_answer_503_and_stop_the_query() {
    if quiver_tests::shared::testbench_or_skip("api_limits::timeouts_answer_503_and_stop_the_query").is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &["--query.timeout=200ms"]).await;
    let started = Instant::now();
    let (status, v) = api_get(&up.url(), "/api/v1/query_range", &HEAVY).await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["errorType"], "timeout");
    assert_eq!(v["error"], "query timed out in expression evaluation");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());

    // The request's own `timeout` is shorter still.
    let mut params = HEAVY.to_vec();
    params.push(("timeout", "50ms"));
    let (status, v) = api_get(&up.url(), "/api/v1/query_range", &params).await;
    assert_eq!((status, &v["errorType"]), (503, &serde_json::json!("timeout")), "{v}");

    // Queries within the limit still answer.
    let (status, v) = api_get(&up.url(), "/api/v1/query", &[("query", "1 + 1")]).await;
    assert_eq!((status, &v["data"]["result"][1]), (200, &serde_json::json!("2")), "{v}");
}

/// `--query.max-series`: a query whose selectors select more series fails with a 422 naming the
/// limit; one within it answers. The test data has 132 `http_requests_total` series. Selectors
/// stream, so the query fails at the first series past the limit, before the others are read.
#[tokio::test]
async fn series_limit_answers_422() {
    if quiver_tests::shared::testbench_or_skip("api_limits::series_limit_answers_422").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &["--query.max-series=200"]).await;
    let at = ("time", "1699992345.7");
    let (status, v) =
        api_get(&up.url(), "/api/v1/query", &[("query", "count(http_requests_total)"), at]).await;
    assert_eq!((status, &v["data"]["result"][0]["value"][1]), (200, &serde_json::json!("132")), "{v}");
    // Two selectors would select 264 series: the 201st fails the query.
    let q = "count(http_requests_total) + count(http_requests_total)";
    let (status, v) = api_get(&up.url(), "/api/v1/query", &[("query", q), at]).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["errorType"], "execution");
    assert_eq!(v["error"], "exceeded series limit: limit 200 violated (got 201)");
}

/// `--query.max-concurrency=1`: while the heavy query evaluates, another waits in the queue and
/// times out there, with Prometheus's text for that stage; once the slot is free it answers.
#[tokio::test]
async fn queries_over_the_concurrency_limit_wait_in_the_queue() {
    if quiver_tests::shared::testbench_or_skip(
        "api_limits::queries_over_the_concurrency_limit_wait_in_the_queue",
    )
    .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &["--query.max-concurrency=1"]).await;
    let url = up.url();
    let mut heavy = HEAVY.to_vec();
    heavy.push(("timeout", "3s"));
    let running = tokio::spawn(async move { api_get(&url, "/api/v1/query_range", &heavy).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let light = [("query", "1 + 1"), ("timeout", "200ms")];
    let (status, v) = api_get(&up.url(), "/api/v1/query", &light).await;
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["error"], "query timed out in query queue");
    let (status, v) = running.await.expect("heavy query task");
    assert_eq!((status, &v["errorType"]), (503, &serde_json::json!("timeout")), "{v}");
    let (status, v) = api_get(&up.url(), "/api/v1/query", &light).await;
    assert_eq!((status, &v["data"]["result"][1]), (200, &serde_json::json!("2")), "{v}");
}

/// Answers are gzipped for clients that accept it, as Prometheus's are, and decode to the plain
/// answer.
#[tokio::test]
async fn answers_are_gzipped_when_accepted() {
    if quiver_tests::shared::testbench_or_skip("api_limits::answers_are_gzipped_when_accepted").is_none() {
        return;
    }
    use std::io::Read;
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &[]).await;
    let params =
        [("query", "http_requests_total"), ("start", "1699990000"), ("end", "1699993600"), ("step", "15")];
    let url = format!("{}/api/v1/query_range", up.url());
    let client = reqwest::Client::new();
    let r =
        client.get(&url).query(&params).header("Accept-Encoding", "gzip").send().await.expect("gzip request");
    assert_eq!(r.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let compressed = r.bytes().await.expect("body");
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut plain).expect("gunzip");
    let (status, expected) = api_get(&up.url(), "/api/v1/query_range", &params).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&plain).expect("json"), expected);
    assert!(compressed.len() * 2 < plain.len(), "{} bytes gzipped from {}", compressed.len(), plain.len());
}

#[tokio::test]
async fn a_query_stops_when_its_client_disconnects() {
    if quiver_tests::shared::testbench_or_skip("api_limits::a_query_stops_when_its_client_disconnects")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &[]).await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().expect("client");
    let r = client.get(format!("{}/api/v1/query_range", up.url())).query(&HEAVY).send().await;
    assert!(r.is_err_and(|e| e.is_timeout()), "the heavy query answered within 500ms");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !up.log().contains("query canceled: the client went away") {
        assert!(Instant::now() < deadline, "the query did not stop:\n{}", up.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn enable_feature_gates_experimental_promql() {
    if quiver_tests::shared::testbench_or_skip("api_limits::enable_feature_gates_experimental_promql")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let plain = QuiverUp::start(&bucket, &[]).await;
    let enabled = QuiverUp::start(
        &bucket,
        &[
            "--enable-feature=promql-experimental-functions,no-such-feature",
            "--enable-feature=promql-extended-range-selectors,promql-duration-expr,promql-binop-fill-modifiers",
        ],
    )
    .await;
    for query in [
        "mad_over_time(node_memory_usage_bytes[10m])",
        "limitk(2, node_memory_usage_bytes)",
        "rate(http_requests_total[5m] anchored)",
        "node_memory_usage_bytes smoothed",
        "max_over_time(node_memory_usage_bytes[5m+5m])",
        "node_memory_usage_bytes + fill(0) node_memory_usage_bytes",
        r#"info(node_memory_usage_bytes, {data=~".*"})"#,
    ] {
        let params = [("query", query), ("time", "1699992345.7")];
        let (status, v) = api_get(&plain.url(), "/api/v1/query", &params).await;
        assert_eq!((status, &v["errorType"]), (400, &serde_json::json!("bad_data")), "{query}: {v}");
        let (status, v) = api_get(&enabled.url(), "/api/v1/query", &params).await;
        assert_eq!(status, 200, "{query}: {v}");
        assert!(!v["data"]["result"].as_array().is_none_or(Vec::is_empty), "{query}: {v}");
    }
    // An unknown feature is ignored with a warning, as Prometheus does.
    assert!(enabled.log().contains("Unknown option for --enable-feature"), "{}", enabled.log());
}

#[tokio::test]
async fn explain_and_infos() {
    if quiver_tests::shared::testbench_or_skip("api_limits::explain_and_infos").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (blocks, bucket) = blocks(tmp.path());
    upload(&blocks, &bucket);
    let up = QuiverUp::start(&bucket, &[]).await;
    let query = "sum by (job) (rate(http_requests_total[5m]))";
    let (status, v) = api_get(
        &up.url(),
        "/api/v1/query",
        &[("query", query), ("time", "1699992345.7"), ("explain", "true")],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let logical = v["data"]["logicalPlan"].as_str().unwrap_or_default();
    let physical = v["data"]["physicalPlan"].as_str().unwrap_or_default();
    assert!(logical.contains("Aggregate") && logical.contains("RangeCall"), "{v}");
    assert!(physical.contains("AggregateExec") && physical.contains("RangeCallExec"), "{v}");

    // Prometheus 3's annotations: an info, and no `warnings` key when there are none.
    let (status, v) = api_get(
        &up.url(),
        "/api/v1/query",
        &[("query", "rate(node_memory_usage_bytes[5m])"), ("time", "1699992345.7")],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert!(v.get("warnings").is_none(), "{v}");
    let infos = v["infos"].as_array().cloned().unwrap_or_default();
    assert_eq!(infos.len(), 1, "{v}");
    assert!(
        infos[0].as_str().unwrap_or_default().starts_with(
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"node_memory_usage_bytes\""
        ),
        "{v}"
    );
}
