//! The Thanos read path end to end: two `quiver store` gateways, each over the bucket of one
//! replica of an HA pair (the same promtool blocks uploaded with `--label cluster=eu --label
//! replica=a|b`), behind one `quiver query --query.replica-label replica` speaking StoreAPI
//! over gRPC.
//!
//! - With identical replicas, every answer (instant and range queries, series, labels, label
//!   values) equals a Prometheus 2.42 over one copy labelled `cluster="eu"`: the replicas are
//!   deduplicated and the replica label is gone.
//! - With a gap in one replica, the raw samples the querier returns come from the replicas, as
//!   Thanos's penalty algorithm picks them: no gap longer than two scrape intervals remains.
//! - `dedup=false` shows both replicas; an endpoint that is down gives a warning naming it, or
//!   an error with `partial_response=false`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quiver_tests::bins::{create_blocks, gen_om, om_with_labels, quiver, run_ok};
use quiver_tests::cut_proxy::CutProxy;
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_proc::{QuiverProc, store_gateway};
use quiver_tests::quiver_up::api_get;
use quiver_tests::s3::S3Emulator;

const END: &str = "1699999200";

/// Uploads the blocks made from `om` to a new filesystem bucket with external labels; returns
/// its objstore config.
fn bucket_of(dir: &Path, name: &str, om: &Path, labels: &[&str]) -> String {
    let bucket = dir.join(format!("bucket-{name}"));
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    let config = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    upload(dir, name, om, labels, &config);
    config
}

/// Uploads the blocks promtool makes from `om` to the bucket `config`, with external labels.
fn upload(dir: &Path, name: &str, om: &Path, labels: &[&str], config: &str) {
    let raw = dir.join(format!("raw-{name}"));
    create_blocks(om, &raw);
    let mut cmd = quiver();
    cmd.args(["tools", "bucket", "upload-blocks", "--objstore.config", config, "--path"]).arg(&raw);
    for l in labels {
        cmd.args(["--label", l]);
    }
    run_ok(&mut cmd);
}

/// `om` without the samples whose timestamp (seconds) is in `[from, to)`.
fn without_window(om: &str, from: f64, to: f64) -> String {
    om.lines()
        .filter(|line| {
            if line.starts_with('#') {
                return true;
            }
            let t = line.rsplit(' ').next().and_then(|t| t.parse::<f64>().ok());
            !t.is_some_and(|t| t >= from && t < to)
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The test's directory and gen_om data of `series` series over 4 h in it; `None` (the test
/// prints SKIPPED) without the shared test bench.
fn setup(test: &str, series: usize) -> Option<(tempfile::TempDir, PathBuf)> {
    quiver_tests::shared::testbench_or_skip(&format!("read_path::{test}"))?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let om = tmp.path().join("in.om");
    gen_om(&om, series, 4.0);
    Some((tmp, om))
}

async fn store(config: &str, data: &Path) -> QuiverProc {
    store_gateway(config, data, &[]).await
}

const QUERIES: &[&str] = &[
    "sum by (job) (rate(http_requests_total[5m]))",
    r#"http_requests_total{job="api",method="GET"}"#,
    "count(node_memory_usage_bytes)",
    "max by (cluster) (node_memory_usage_bytes)",
    r#"histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"#,
    r#"count by (replica) (up{cluster="eu"} or node_memory_usage_bytes)"#,
    r#"irate(http_requests_total{status="500"}[2m])"#,
];

/// More of PromQL for the store over S3: rate and friends, aggregations, binary operators with
/// matching, histograms, subqueries, `offset` and `@`. Every range boundary stays off the 15 s
/// sample grid (a subquery's inner range is moved 7 s off its minute steps), and no `rate`
/// window holds the first sample of its series: Prometheus 3 (which Quiver follows) caps the
/// extrapolation to a counter's zero point after the half-interval rule, 2.42 before it, so
/// their rates differ there.
const MORE_QUERIES: &[&str] = &[
    r#"increase(http_requests_total{method="POST"}[10m])"#,
    "delta(node_memory_usage_bytes[15m])",
    "deriv(node_memory_usage_bytes[20m])",
    "predict_linear(node_memory_usage_bytes[30m], 3600)",
    "resets(http_requests_total[1h])",
    "changes(node_memory_usage_bytes[30m])",
    "stddev_over_time(node_memory_usage_bytes[1h])",
    "quantile by (job) (0.75, node_memory_usage_bytes)",
    "topk(3, node_memory_usage_bytes)",
    "count_values(\"status\", http_requests_total{method=\"GET\"} > 0)",
    r#"http_requests_total{status="500"} / ignoring (status) http_requests_total{status="200"}"#,
    r#"http_requests_total / on (job, instance, method) group_left sum by (job, instance, method) (http_requests_total)"#,
    "rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])",
    "histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[10m]))",
    "max_over_time(rate(http_requests_total[5m] offset 7s)[10m:1m])",
    "avg_over_time(node_memory_usage_bytes[20m:2m])",
    "node_memory_usage_bytes offset 17m",
    "sum(rate(http_requests_total[5m] offset 10m))",
    "node_memory_usage_bytes @ 1699990000.3",
    "sum by (method) (rate(http_requests_total[10m] @ 1699991000.7))",
    r#"label_replace(node_memory_usage_bytes, "host", "$1", "instance", "(.*):.*")"#,
    "absent(no_such_metric)",
];

/// Asks the querier and Prometheus the same: each query instant and ranged, then series, labels
/// and label values; every answer must agree. Returns how many were compared.
async fn agree_with_prometheus(
    query: &QuiverProc,
    prom: &Prometheus,
    queries: &[&str],
    tally: &mut Tally,
) -> usize {
    let mut compared = 0;
    let mut check = async |path: &str, params: &[(&str, &str)]| {
        let q = params.iter().find(|(k, _)| *k == "query").map(|(_, v)| *v).unwrap_or_default();
        let (s1, ours) = api_get(&query.url(), path, params).await;
        let (s2, theirs) = api_get(&prom.url(), path, params).await;
        assert_eq!(
            (s1, &ours["status"]),
            (s2, &theirs["status"]),
            "{path} {params:?}: ours {ours}, prometheus {theirs}"
        );
        assert!(ours.get("warnings").is_none(), "{path} {params:?}: {ours}");
        if let Err(e) = diff(&normalize(q, ours), &normalize(q, theirs), "", tally) {
            panic!("{path} {params:?}: {e}\nquerier log:\n{}", query.log());
        }
        compared += 1;
    };
    for q in queries {
        check("/api/v1/query", &[("query", q), ("time", "1699995432.1")]).await;
        let range = [("query", *q), ("start", "1699986012.5"), ("end", "1699998012.5"), ("step", "120")];
        check("/api/v1/query_range", &range).await;
    }
    check("/api/v1/series", &[("match[]", r#"node_memory_usage_bytes{job="api"}"#)]).await;
    check(
        "/api/v1/series",
        &[("match[]", "http_requests_total"), ("start", "1699990000.5"), ("end", "1699992000.5")],
    )
    .await;
    check("/api/v1/labels", &[]).await;
    check("/api/v1/labels", &[("match[]", "node_memory_usage_bytes")]).await;
    check("/api/v1/label/job/values", &[]).await;
    check("/api/v1/label/replica/values", &[]).await;
    check("/api/v1/label/cluster/values", &[("match[]", "node_memory_usage_bytes")]).await;
    check("/api/v1/label/method/values", &[("match[]", r#"http_requests_total{status="500"}"#)]).await;
    compared
}

#[tokio::test]
async fn querier_over_two_replica_stores_answers_as_prometheus_242_over_one() {
    let Some((tmp, om)) = setup("querier_over_two_replica_stores_answers_as_prometheus_242_over_one", 60)
    else {
        return;
    };
    let dir = tmp.path();
    let text = std::fs::read_to_string(&om).expect("read om");

    let prom_om = dir.join("prom.om");
    std::fs::write(&prom_om, om_with_labels(&text, r#"cluster="eu""#)).expect("write om");
    create_blocks(&prom_om, &dir.join("prometheus"));
    let a = store(&bucket_of(dir, "a", &om, &["cluster=eu", "replica=a"]), &dir.join("store-a")).await;
    let b = store(&bucket_of(dir, "b", &om, &["cluster=eu", "replica=b"]), &dir.join("store-b")).await;
    let query = QuiverProc::start(&[
        "query",
        "--endpoint",
        &a.grpc(),
        "--endpoint",
        &b.grpc(),
        "--query.replica-label=replica",
    ])
    .await;
    let prom = Prometheus::start(&dir.join("prometheus"), &[]).await;

    let mut tally = Tally::default();
    let compared = agree_with_prometheus(&query, &prom, QUERIES, &mut tally).await;
    assert_eq!(compared, QUERIES.len() * 2 + 8);
    assert!(tally.values > 500, "{tally:?}");

    // Without deduplication both replicas answer, each with its replica label.
    let (status, v) = api_get(
        &query.url(),
        "/api/v1/query",
        &[
            ("query", "count by (replica) (node_memory_usage_bytes)"),
            ("time", "1699995432.1"),
            ("dedup", "false"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let replicas: Vec<&str> = v["data"]["result"]
        .as_array()
        .expect("vector")
        .iter()
        .filter_map(|s| s["metric"]["replica"].as_str())
        .collect();
    assert_eq!(replicas, ["a", "b"], "{v}");

    // Thanos's endpoint listing shows both stores healthy with their label sets.
    let (status, v) = api_get(&query.url(), "/api/v1/stores", &[]).await;
    assert_eq!(status, 200);
    let stores = v["data"]["store"].as_array().expect("store group");
    assert_eq!(stores.len(), 2, "{v}");
    assert!(stores.iter().all(|s| s["healthy"] == true), "{v}");

    // Queriers stack: a querier over this one's StoreAPI (query -> query -> store) answers the
    // same, deduplicating with its own replica label.
    let top =
        QuiverProc::start(&["query", "--endpoint", &query.grpc(), "--query.replica-label=replica"]).await;
    for q in QUERIES {
        for (path, params) in [
            ("/api/v1/query", vec![("query", *q), ("time", "1699995432.1")]),
            (
                "/api/v1/query_range",
                vec![("query", *q), ("start", "1699986012.5"), ("end", "1699998012.5"), ("step", "120")],
            ),
        ] {
            let (s1, one) = api_get(&query.url(), path, &params).await;
            let (s2, two) = api_get(&top.url(), path, &params).await;
            assert_eq!((s1, &one["data"]), (s2, &two["data"]), "{path} {q}: stacked querier differs");
        }
    }
    eprintln!(
        "{compared} answers agree; {tally:?}; a stacked querier agrees on {} queries",
        QUERIES.len() * 2
    );
}

/// Raw samples of each series of a matrix answer, by their labels.
fn raw_samples(v: &serde_json::Value) -> BTreeMap<String, Vec<(f64, String)>> {
    let mut out = BTreeMap::new();
    for s in v["data"]["result"].as_array().expect("matrix") {
        let points = s["values"]
            .as_array()
            .expect("values")
            .iter()
            .map(|p| (p[0].as_f64().expect("time"), p[1].as_str().expect("value").to_string()))
            .collect();
        out.insert(s["metric"].to_string(), points);
    }
    out
}

#[tokio::test]
async fn penalty_dedup_fills_a_replica_gap_and_down_endpoints_warn() {
    let Some((tmp, om)) = setup("penalty_dedup_fills_a_replica_gap_and_down_endpoints_warn", 30) else {
        return;
    };
    let dir = tmp.path();
    let text = std::fs::read_to_string(&om).expect("read om");
    // Replica a misses an hour, replica b half an hour later on.
    let (start, end): (f64, f64) = (1699999200.0 - 4.0 * 3600.0, 1699999200.0);
    let a_om = dir.join("a.om");
    std::fs::write(&a_om, without_window(&text, start + 3600.0, start + 7200.0)).expect("write");
    let b_om = dir.join("b.om");
    std::fs::write(&b_om, without_window(&text, start + 10800.0, start + 12600.0)).expect("write");
    let a = store(&bucket_of(dir, "a", &a_om, &["replica=a"]), &dir.join("store-a")).await;
    let b = store(&bucket_of(dir, "b", &b_om, &["replica=b"]), &dir.join("store-b")).await;
    let dead = quiver_tests::ports::free_port().expect("port");
    let dead_addr = format!("127.0.0.1:{dead}");
    let query = QuiverProc::start(&[
        "query",
        "--endpoint",
        &a.grpc(),
        "--endpoint",
        &b.grpc(),
        "--endpoint",
        &dead_addr,
        "--query.replica-label=replica",
    ])
    .await;

    let selector = r#"node_memory_usage_bytes{job="api"}[4h]"#;
    let params = [("query", selector), ("time", END)];
    let (status, merged) = api_get(&query.url(), "/api/v1/query", &params).await;
    assert_eq!(status, 200, "{merged}");
    // The endpoint that is down is named in a warning; the others answered.
    let warnings = merged["warnings"].as_array().map(|w| w.iter().map(|w| w.to_string()).collect::<Vec<_>>());
    assert!(warnings.is_some_and(|w| w.iter().any(|w| w.contains(&dead_addr))), "{merged}");
    let merged = raw_samples(&merged);
    assert!(!merged.is_empty());
    let (_, a_only) = api_get(
        &query.url(),
        "/api/v1/query",
        &[
            ("query", &format!("{}{{replica=\"a\"}}[4h]", "node_memory_usage_bytes")),
            ("time", END),
            ("dedup", "false"),
        ],
    )
    .await;
    let (_, b_only) = api_get(
        &query.url(),
        "/api/v1/query",
        &[
            ("query", &format!("{}{{replica=\"b\"}}[4h]", "node_memory_usage_bytes")),
            ("time", END),
            ("dedup", "false"),
        ],
    )
    .await;
    let replicas: Vec<BTreeMap<(String, String), bool>> = [a_only, b_only]
        .iter()
        .map(|v| {
            let mut m = BTreeMap::new();
            for s in v["data"]["result"].as_array().expect("matrix") {
                let instance = s["metric"]["instance"].as_str().unwrap_or_default().to_string();
                for p in s["values"].as_array().expect("values") {
                    let (t, v) = (p[0].as_f64().expect("time"), p[1].as_str().expect("value"));
                    m.insert((instance.clone(), format!("{t}={v}")), true);
                }
            }
            m
        })
        .collect();
    for (series, points) in &merged {
        assert!(!series.contains("replica"), "{series}");
        let instance: serde_json::Value = serde_json::from_str(series).expect("labels");
        let instance = instance["instance"].as_str().unwrap_or_default().to_string();
        // Every sample comes from a replica...
        for (t, v) in points {
            let key = (instance.clone(), format!("{t}={v}"));
            assert!(replicas.iter().any(|r| r.contains_key(&key)), "{series}: {t} {v} is in no replica");
        }
        // ...and the gaps of each replica are filled by the other.
        let longest = points.windows(2).map(|w| w[1].0 - w[0].0).fold(0.0, f64::max);
        assert!(longest <= 60.0, "{series}: a gap of {longest}s remains");
        assert!(
            points.first().is_some_and(|p| p.0 < start + 60.0)
                && points.last().is_some_and(|p| p.0 > end - 60.0)
        );
    }

    // Without partial response the down endpoint fails the request.
    let (status, v) = api_get(
        &query.url(),
        "/api/v1/query",
        &[("query", selector), ("time", END), ("partial_response", "false")],
    )
    .await;
    assert!(status >= 400 && v["status"] == "error", "{status} {v}");
    assert!(v["error"].as_str().is_some_and(|e| e.contains(&dead_addr)), "{v}");
}

/// `quiver store` over a bucket on the S3 emulator (real S3 requests), behind `quiver query`,
/// answers the whole query set as Prometheus 2.42 over the same promtool blocks.
#[tokio::test]
async fn querier_over_a_store_on_s3_answers_as_prometheus_242() {
    let Some((tmp, om)) = setup("querier_over_a_store_on_s3_answers_as_prometheus_242", 60) else { return };
    let dir = tmp.path();
    let s3 = S3Emulator::start().expect("S3 emulator");
    let text = std::fs::read_to_string(&om).expect("read om");
    let prom_om = dir.join("prom.om");
    std::fs::write(&prom_om, om_with_labels(&text, r#"cluster="eu""#)).expect("write om");
    create_blocks(&prom_om, &dir.join("prometheus"));
    let objstore = s3.objstore_yaml(Some("blocks"));
    upload(dir, "s3", &om, &["cluster=eu"], &objstore);
    let store = store_gateway(&objstore, &dir.join("store"), &[]).await;
    let query = QuiverProc::start(&["query", "--endpoint", &store.grpc()]).await;
    let prom = Prometheus::start(&dir.join("prometheus"), &[]).await;

    let mut tally = Tally::default();
    let all: Vec<&str> = QUERIES.iter().chain(MORE_QUERIES).copied().collect();
    let compared = agree_with_prometheus(&query, &prom, &all, &mut tally).await;
    assert_eq!(compared, all.len() * 2 + 8);
    assert!(tally.values > 1000, "{tally:?}");
    eprintln!("store on S3: {compared} answers agree with Prometheus 2.42; {tally:?}");
}

/// One replica's store dies while its Series stream is half sent (a proxy forwards part of the
/// answer, then the store is killed by its PID): with partial response the querier answers from
/// the other replica with a warning naming the dead endpoint; without, the query fails naming it.
#[tokio::test]
async fn a_store_killed_mid_query_gives_a_warning_or_an_error() {
    let Some((tmp, om)) = setup("a_store_killed_mid_query_gives_a_warning_or_an_error", 600) else { return };
    let dir = tmp.path();
    let a = store(&bucket_of(dir, "a", &om, &["replica=a"]), &dir.join("store-a")).await;
    let b_config = bucket_of(dir, "b", &om, &["replica=b"]);
    let selector = "http_requests_total[4h]";

    for (i, partial) in [true, false].into_iter().enumerate() {
        let mut b = store(&b_config, &dir.join(format!("store-b{i}"))).await;
        let proxy = CutProxy::start(&b.grpc()).await.expect("proxy");
        let query = QuiverProc::start(&[
            "query",
            "--endpoint",
            &a.grpc(),
            "--endpoint",
            proxy.addr(),
            "--query.replica-label=replica",
        ])
        .await;
        let params = [("query", selector), ("time", END)];
        let (status, whole) = api_get(&query.url(), "/api/v1/query", &params).await;
        assert_eq!(status, 200, "{whole}");
        assert!(whole.get("warnings").is_none(), "{whole}");

        // Let 64 KiB of the next answers through (the Series stream of this selector is
        // about 400 KiB), then kill the store while the querier waits for the rest.
        proxy.arm(64 << 10);
        let url = query.url();
        let flag = if partial { "true" } else { "false" };
        let asked = tokio::spawn(async move {
            api_get(&url, "/api/v1/query", &[("query", selector), ("time", END), ("partial_response", flag)])
                .await
        });
        tokio::time::timeout(std::time::Duration::from_secs(30), proxy.held()).await.expect("answer held");
        b.kill();
        let (status, v) = asked.await.expect("query task");
        let dead = proxy.addr();
        if partial {
            assert_eq!(status, 200, "{v}");
            let warned =
                v["warnings"].as_array().is_some_and(|w| w.iter().any(|w| w.to_string().contains(dead)));
            assert!(warned, "no warning naming {dead}: {}", v["warnings"]);
            // The replicas hold the same samples: replica a alone gives the whole answer.
            assert_eq!(v["data"], whole["data"], "partial answer differs from the whole one");
        } else {
            assert!(status >= 400 && v["status"] == "error", "{status} {v}");
            assert!(v["error"].as_str().is_some_and(|e| e.contains(dead)), "{v}");
        }
    }
}
