//! Differential test of the HTTP API: `quiver up` over a bucket and a real Prometheus 2.42 over
//! the same promtool-made blocks must give the same JSON for instant and range queries, series,
//! label names and values, and the same error types and status codes for bad requests.
//!
//! JSON is compared whole with [`quiver_tests::json_diff`].
//! Evaluation times are off the 15 s sample grid so that Prometheus 3's left-open ranges, which
//! Quiver implements, select the same samples as 2.42's closed ones.

use std::path::Path;

use quiver_tests::bins::{gen_om, promtool, quiver, run_ok};
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_up::{QuiverUp, api_get, api_post};

/// Blocks made by promtool; `blocks` is Prometheus's storage, `bucket` Quiver's (the blocks
/// uploaded with `quiver tools bucket upload-blocks`, as an operator would).
struct Data {
    tmp: tempfile::TempDir,
}

impl Data {
    fn new() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let om = tmp.path().join("in.om");
        gen_om(&om, 300, 5.0);
        run_ok(
            promtool()
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(&om)
                .arg(tmp.path().join("blocks")),
        );
        let bucket = tmp.path().join("bucket");
        std::fs::create_dir_all(&bucket).expect("bucket dir");
        let config = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
        run_ok(
            quiver()
                .args(["tools", "bucket", "upload-blocks", "--objstore.config", &config, "--path"])
                .arg(tmp.path().join("blocks")),
        );
        Self { tmp }
    }

    fn blocks(&self) -> &Path {
        // Prometheus may compact its storage; Quiver reads its own copy in `bucket`.
        self.tmp.path()
    }
}

const INSTANT: &[&str] = &[
    r#"http_requests_total{job="api",method="GET"}"#,
    "sum by (job) (rate(http_requests_total[5m]))",
    "sum(increase(http_requests_total[10m]))",
    "avg by (instance) (node_memory_usage_bytes)",
    "max_over_time(node_memory_usage_bytes[10m])",
    "count(http_requests_total) by (status)",
    "topk(3, rate(http_requests_total[5m]))",
    "sort_desc(sum by (instance) (rate(http_requests_total[5m])))",
    r#"rate(http_requests_total{status="500"}[5m]) / on(instance, method) rate(http_requests_total{status="200"}[5m])"#,
    "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "quantile(0.9, node_memory_usage_bytes)",
    "sum without (instance) (http_requests_total offset 30m)",
    r#"label_replace(node_memory_usage_bytes, "host", "$1", "instance", "(.*):.*")"#,
    // Without delayed name removal (Prometheus 3's default, 2.42's only way) the name is gone
    // once `rate` or arithmetic drops it: relabelling and grouping no longer see it.
    r#"label_replace(rate(http_requests_total{job="api",method="GET"}[5m]), "was", "$1", "__name__", "(.+)")"#,
    "sum by (__name__, job) (rate(http_requests_total[5m]))",
    r#"count by (__name__) (node_memory_usage_bytes * 2 or node_memory_usage_bytes)"#,
    // A range vector as the result of an instant query.
    r#"http_requests_total{job="api",method="GET",status="200"}[2m]"#,
    // A subquery without a step takes the default evaluation interval, 1m. Its steps are whole
    // minutes, on the sample grid, where 2.42's closed ranges differ from Prometheus 3's: the
    // inner offset moves the windows off the grid.
    r#"max_over_time(rate(http_requests_total{job="api",method="GET"}[5m] offset 1s)[20m:])"#,
    "scalar(sum(node_memory_usage_bytes))",
    "1 + 2 * 3",
    r#""a string""#,
    "time()",
    "absent(no_such_metric)",
    "no_such_metric",
];

const RANGE: &[&str] = &[
    "sum by (job) (rate(http_requests_total[5m]))",
    r#"http_requests_total{job="api",method="GET",status="200"}"#,
    "avg(node_memory_usage_bytes) + 1",
    "topk(2, node_memory_usage_bytes)",
    "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    "1 + 1",
    "time()",
    "no_such_metric",
];

#[tokio::test]
async fn api_answers_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("api_vs_prometheus::api_answers_as_prometheus_242").is_none() {
        return;
    }
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &[]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &[]).await;
    let (q, p) = (ours.url(), prom.url());
    let mut tally = Tally::default();
    let mut compared = 0;
    let mut check = async |path: &str, params: &[(&str, &str)], tally: &mut Tally| {
        let query = params.iter().find(|(k, _)| *k == "query").map(|(_, v)| *v).unwrap_or_default();
        let (s1, a) = api_get(&q, path, params).await;
        let (s2, b) = api_get(&p, path, params).await;
        assert_eq!((s1, &a["status"]), (s2, &b["status"]), "{path} {params:?}: quiver {a}, prometheus {b}");
        let (a, b) = (normalize(query, a), normalize(query, b));
        if let Err(e) = diff(&a, &b, "", tally) {
            panic!("{path} {params:?}: {e}");
        }
        compared += 1;
    };

    for query in INSTANT {
        for t in ["1699988777.3", "1699992345.7", "1699996999.9"] {
            check("/api/v1/query", &[("query", query), ("time", t)], &mut tally).await;
        }
    }
    for query in RANGE {
        let params = [("query", *query), ("start", "1699990012.5"), ("end", "1699993612.5"), ("step", "60")];
        check("/api/v1/query_range", &params, &mut tally).await;
        check(
            "/api/v1/query_range",
            &[("query", query), ("start", "1699995001"), ("end", "1700001001"), ("step", "5m")],
            &mut tally,
        )
        .await;
    }
    for params in [
        vec![
            ("match[]", r#"http_requests_total{instance="10.0.0.0:9100"}"#),
            ("match[]", "node_memory_usage_bytes"),
        ],
        vec![("match[]", r#"{__name__=~"http_request_duration.*",le="+Inf"}"#)],
        vec![("match[]", "http_requests_total"), ("start", "1600000000"), ("end", "1600001000")],
    ] {
        check("/api/v1/series", &params, &mut tally).await;
    }
    check("/api/v1/labels", &[], &mut tally).await;
    check("/api/v1/labels", &[("match[]", "node_memory_usage_bytes")], &mut tally).await;
    check("/api/v1/label/job/values", &[], &mut tally).await;
    check("/api/v1/label/__name__/values", &[], &mut tally).await;
    check("/api/v1/label/no_such_label/values", &[], &mut tally).await;
    check("/api/v1/label/status/values", &[("match[]", r#"http_requests_total{job="api"}"#)], &mut tally)
        .await;
    assert_eq!(compared, INSTANT.len() * 3 + RANGE.len() * 2 + 3 + 6);
    assert!(tally.values > 1500, "{tally:?}");
    eprintln!("{compared} answers agree; {tally:?}");

    // POST forms answer as GET.
    let params = [("query", "sum by (job) (rate(http_requests_total[5m]))"), ("time", "1699992345.7")];
    let (status, posted) = api_post(&q, "/api/v1/query", &params).await;
    assert_eq!((status, posted), api_get(&q, "/api/v1/query", &params).await);
}

/// How an error's text compares with 2.42's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Same,
    /// Prometheus 3 (and Quiver) name the parameter where 2.42 does not.
    QueryParamPrefix,
    /// Worded differently (parser messages, capitalisation changed since 2.42).
    Differs,
}

/// A request path, its parameters, and how its error text compares.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Text);

/// Bad requests: the same status and error type as Prometheus, and the same text where the
/// versions agree.
#[tokio::test]
async fn api_errors_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("api_vs_prometheus::api_errors_as_prometheus_242").is_none() {
        return;
    }
    use Text::*;
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &[]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &[]).await;
    let range = |q| [("query", q), ("start", "1699990000"), ("end", "1699990600"), ("step", "60")];
    let cases: Vec<Case<'_>> = vec![
        ("/api/v1/query", vec![("query", "sum(")], Differs),
        ("/api/v1/query", vec![("query", "rate(http_requests_total)")], Differs),
        ("/api/v1/query", vec![("query", "up"), ("time", "yesterday")], Differs),
        ("/api/v1/query", vec![("query", "up"), ("timeout", "soon")], Same),
        (
            "/api/v1/query",
            vec![
                ("query", r#"label_replace(http_requests_total, "status", "x", "", "")"#),
                ("time", "1699992345.7"),
            ],
            Same,
        ),
        ("/api/v1/query_range", range("http_requests_total[5m]").to_vec(), QueryParamPrefix),
        ("/api/v1/query_range", range(r#""text""#).to_vec(), QueryParamPrefix),
        (
            "/api/v1/query_range",
            vec![("query", "up"), ("start", "1699990000"), ("end", "1699980000"), ("step", "60")],
            Same,
        ),
        (
            "/api/v1/query_range",
            vec![("query", "up"), ("start", "1699990000"), ("end", "1699990600"), ("step", "0")],
            Same,
        ),
        (
            "/api/v1/query_range",
            vec![("query", "up"), ("start", "1699990000"), ("end", "1699990600"), ("step", "-5")],
            Same,
        ),
        (
            "/api/v1/query_range",
            vec![("query", "up"), ("start", "0"), ("end", "1699990600"), ("step", "60")],
            Same,
        ),
        ("/api/v1/query_range", vec![("query", "up"), ("end", "1699990600"), ("step", "60")], Same),
        ("/api/v1/series", vec![], Same),
        ("/api/v1/series", vec![("match[]", "{job=~\".*\"}")], Differs),
        ("/api/v1/series", vec![("match[]", "up{")], Differs),
    ];
    for (path, params, text) in &cases {
        let (s1, a) = api_get(&ours.url(), path, params).await;
        let (s2, b) = api_get(&prom.url(), path, params).await;
        let what = format!("{path} {params:?}: quiver {a}, prometheus {b}");
        assert_eq!(s1, s2, "{what}");
        assert_eq!(a["status"], "error", "{what}");
        assert_eq!(a["errorType"], b["errorType"], "{what}");
        let (a, b) = (a["error"].as_str().unwrap_or_default(), b["error"].as_str().unwrap_or_default());
        match text {
            Same => assert_eq!(a, b, "{what}"),
            QueryParamPrefix => assert_eq!(a, format!("invalid parameter \"query\": {b}"), "{what}"),
            Differs => assert!(!a.is_empty(), "{what}"),
        }
    }
}

/// `--query.max-samples` on both: the same 422 `execution` error with Prometheus's text. The
/// two count samples held at once alike but not identically (Quiver counts what its selectors
/// hold), so the queries are far on either side of the limit.
#[tokio::test]
async fn max_samples_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("api_vs_prometheus::max_samples_as_prometheus_242").is_none() {
        return;
    }
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &["--query.max-samples=1000"]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &["--query.max-samples=1000"]).await;
    // A range vector result holds all its samples at once in Prometheus too.
    let over = [("query", "http_requests_total[30m]"), ("time", "1699992345.7")];
    let (s1, a) = api_get(&ours.url(), "/api/v1/query", &over).await;
    let (s2, b) = api_get(&prom.url(), "/api/v1/query", &over).await;
    assert_eq!((s1, &a), (s2, &b));
    assert_eq!(s1, 422);
    assert_eq!(a["errorType"], "execution");
    assert_eq!(a["error"], "query processing would load too many samples into memory in query execution");
    let under = [
        ("query", r#"http_requests_total{instance="10.0.0.0:9100",method="GET",status="200"}"#),
        ("time", "1699992345.7"),
    ];
    let (s1, a) = api_get(&ours.url(), "/api/v1/query", &under).await;
    let (s2, b) = api_get(&prom.url(), "/api/v1/query", &under).await;
    assert_eq!((s1, s2), (200, 200), "quiver {a}, prometheus {b}");
    assert_eq!(a, b);
}

/// The limit counts samples held at once, as Prometheus's does, not every sample decoded: a
/// 4.8 h `sum(rate(...))` at 1 m steps decodes about 154,000 samples but holds about 38,000
/// (the rates at every step), so both answer it under a limit of 60,000; the raw series at 15 s
/// steps hold about 151,000 points, and both refuse them.
#[tokio::test]
async fn max_samples_counts_samples_held_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip(
        "api_vs_prometheus::max_samples_counts_samples_held_as_prometheus_242",
    )
    .is_none()
    {
        return;
    }
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &["--query.max-samples=60000"]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &["--query.max-samples=60000"]).await;
    // From 13 minutes in: where a series starts inside a window, 2.42 extrapolates differently.
    let range = |q, step| [("query", q), ("start", "1699982000.5"), ("end", "1699999200"), ("step", step)];
    let under = range("sum(rate(http_requests_total[5m]))", "60");
    let (s1, a) = api_get(&ours.url(), "/api/v1/query_range", &under).await;
    let (s2, b) = api_get(&prom.url(), "/api/v1/query_range", &under).await;
    assert_eq!((s1, s2), (200, 200), "quiver {a}, prometheus {b}");
    let mut tally = Tally::default();
    if let Err(e) = diff(&a, &b, "", &mut tally) {
        panic!("{e}");
    }
    assert!(tally.values > 250, "{tally:?}");
    let over = range("http_requests_total", "15");
    let (s1, a) = api_get(&ours.url(), "/api/v1/query_range", &over).await;
    let (s2, b) = api_get(&prom.url(), "/api/v1/query_range", &over).await;
    assert_eq!((s1, &a), (s2, &b));
    assert_eq!(s1, 422);
}

/// A query over its deadline (the request's `timeout`): both answer 503 `timeout` with the same
/// text, the deadline having passed while the expression was evaluated.
#[tokio::test]
async fn timeout_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("api_vs_prometheus::timeout_as_prometheus_242").is_none() {
        return;
    }
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &[]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &[]).await;
    // A quantile of every step's 5h window (1,200 samples sorted) over 132 series: seconds of
    // work for either.
    let params = [
        ("query", "sum(quantile_over_time(0.5, http_requests_total[5h]))"),
        ("start", "1699981200"),
        ("end", "1699999200"),
        ("step", "2"),
        ("timeout", "100ms"),
    ];
    let (s1, a) = api_get(&ours.url(), "/api/v1/query_range", &params).await;
    let (s2, b) = api_get(&prom.url(), "/api/v1/query_range", &params).await;
    assert_eq!((s1, &a), (s2, &b));
    assert_eq!((s1, &a["errorType"]), (503, &serde_json::json!("timeout")));
    assert_eq!(a["error"], "query timed out in expression evaluation");
}

/// The endpoints clients call beside queries (Grafana: metadata for autocompletion, exemplars,
/// rules and alerts): the same answers as a Prometheus that scrapes nothing and has no rules.
#[tokio::test]
async fn status_endpoints_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("api_vs_prometheus::status_endpoints_as_prometheus_242")
        .is_none()
    {
        return;
    }
    let data = Data::new();
    let prom = Prometheus::start(&data.blocks().join("blocks"), &[]).await;
    let ours = QuiverUp::start(&data.blocks().join("bucket"), &[]).await;
    let exemplars = |q| vec![("query", q), ("start", "1699990000"), ("end", "1699993600")];
    let same_answer: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/api/v1/metadata", vec![]),
        ("/api/v1/metadata", vec![("metric", "http_requests_total"), ("limit", "5")]),
        ("/api/v1/query_exemplars", exemplars("http_requests_total")),
        ("/api/v1/query_exemplars", exemplars("rate(a[5m]) / b")),
        ("/api/v1/query_exemplars", vec![("query", "up"), ("start", "1699990000"), ("end", "1699980000")]),
        ("/api/v1/metadata", vec![("limit", "x")]),
        ("/api/v1/rules", vec![]),
        ("/api/v1/rules", vec![("type", "alert")]),
        ("/api/v1/alerts", vec![]),
        ("/api/v1/targets", vec![]),
    ];
    for (path, params) in &same_answer {
        let (a, b) = (api_get(&ours.url(), path, params).await, api_get(&prom.url(), path, params).await);
        assert_eq!(a, b, "{path} {params:?}");
    }
    // No selectors: no result at all, which Prometheus answers with 204 and no body.
    let client = reqwest::Client::new();
    for base in [ours.url(), prom.url()] {
        let r = client.get(format!("{base}/api/v1/query_exemplars")).query(&exemplars("1 + 1")).send().await;
        let r = r.expect("query_exemplars");
        assert_eq!(r.status().as_u16(), 204, "{base}");
        assert_eq!(r.text().await.expect("body"), "", "{base}");
    }
    // Parse errors: the same status and type; promql-parser words the message differently.
    let bad = exemplars("sum(");
    let (a, b) = (
        api_get(&ours.url(), "/api/v1/query_exemplars", &bad).await,
        api_get(&prom.url(), "/api/v1/query_exemplars", &bad).await,
    );
    assert_eq!((a.0, &a.1["errorType"]), (b.0, &b.1["errorType"]), "quiver {a:?}, prometheus {b:?}");
    assert_eq!(a.0, 400);
}
