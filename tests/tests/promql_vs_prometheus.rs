//! Differential test: the same PromQL over the same promtool-made blocks, answered by Quiver and
//! by a real Prometheus 2.42, must agree. Evaluation times are off the 15 s sample grid so that
//! Prometheus 3's left-open ranges and 2.42's closed ones select the same samples.

use std::collections::BTreeMap;

use quiver_tests::bins::{gen_om, promtool, quiver, run_ok, stdout_of};
use quiver_tests::prometheus::Prometheus;

/// `{labels} -> value` of an instant vector in Prometheus's API JSON.
fn vector(data: &serde_json::Value) -> BTreeMap<String, f64> {
    let result = data["result"].as_array().cloned().unwrap_or_default();
    result
        .iter()
        .map(|s| {
            let v: f64 = s["value"][1].as_str().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            (s["metric"].to_string(), v)
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[tokio::test]
async fn quiver_agrees_with_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("promql_vs_prometheus::quiver_agrees_with_prometheus_242")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let om = tmp.path().join("in.om");
    gen_om(&om, 300, 5.0);
    let blocks = tmp.path().join("blocks");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&blocks));
    let prom = Prometheus::start(&blocks, &[]).await;

    let queries = [
        r#"http_requests_total{job="api",method="GET"}"#,
        "sum by (job) (rate(http_requests_total[5m]))",
        "sum(increase(http_requests_total[10m]))",
        "avg by (instance) (node_memory_usage_bytes)",
        "max_over_time(node_memory_usage_bytes[10m])",
        "min_over_time(node_memory_usage_bytes[7m]) - avg_over_time(node_memory_usage_bytes[7m])",
        "count(http_requests_total) by (status)",
        "topk(3, rate(http_requests_total[5m]))",
        r#"rate(http_requests_total{status="500"}[5m]) / on(instance, method) rate(http_requests_total{status="200"}[5m])"#,
        "http_requests_total > 100000",
        "sum by (le) (rate(http_request_duration_seconds_bucket[5m]))",
        "stddev(node_memory_usage_bytes)",
        "quantile(0.9, node_memory_usage_bytes)",
        "delta(node_memory_usage_bytes[15m])",
        "irate(http_requests_total[5m]) * 60",
        "sum without (instance) (http_requests_total offset 30m)",
        "node_memory_usage_bytes and on(instance) (node_memory_usage_bytes > 40)",
        // Subqueries, absent, timestamps, classic histogram quantiles, relabelling. A subquery's
        // steps are multiples of its step: one that never meets the 15 s sample grid keeps the
        // inner range windows off it too.
        "max_over_time(rate(http_requests_total[5m])[30m:61s301ms])",
        "avg_over_time(sum by (job) (http_requests_total)[17m:2m] offset 3m)",
        r#"absent(nonexistent{job="x", instance=~"y"})"#,
        "absent_over_time(nonexistent[5m])",
        "timestamp(node_memory_usage_bytes)",
        "time() - timestamp(node_memory_usage_bytes)",
        "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        r#"label_replace(http_requests_total, "svc", "$1", "job", "(.*)")"#,
        "predict_linear(node_memory_usage_bytes[30m], 600)",
        "clamp_min(-node_memory_usage_bytes, -50)",
        r#"count_values("bucket", floor(node_memory_usage_bytes / 10))"#,
        // Range function parameters that are expressions, read at each step.
        "quantile_over_time(scalar(min(node_memory_usage_bytes)) / scalar(max(node_memory_usage_bytes)), node_memory_usage_bytes[10m])",
        "predict_linear(node_memory_usage_bytes[30m], scalar(count(node_memory_usage_bytes)) * 60)",
        "quantile_over_time(time() % 1, rate(http_requests_total[5m])[20m:61s301ms])",
    ];
    let times = [1_699_988_777.3, 1_699_992_345.7, 1_699_996_999.9];
    let mut compared = 0;
    for q in queries {
        for t in times {
            let theirs = vector(&prom.query(q, t).await);
            let out = stdout_of(
                quiver().args(["tools", "promql-query", q, "--time", &t.to_string(), "--path"]).arg(&blocks),
            );
            let json: serde_json::Value = serde_json::from_str(&out).expect("json");
            let ours = vector(&json["data"]);
            assert_eq!(
                ours.keys().collect::<Vec<_>>(),
                theirs.keys().collect::<Vec<_>>(),
                "{q} at {t}: different series"
            );
            for (k, v) in &ours {
                assert!(close(*v, theirs[k]), "{q} at {t}: {k}: quiver {v}, prometheus {}", theirs[k]);
            }
            compared += ours.len();
        }
    }
    assert!(compared > 500, "compared {compared} samples");

    // Malformed queries: both refuse them, and say the same place.
    let malformed = [
        "sum(x",
        "rate(http_requests_total[5m]",
        r#"x{a="b""#,
        "1 +",
        "x + on(a) bool y",
        "sum(x) by",
        "rate(x)",
        "abc(x)",
        "x $ y",
        "sum(rate(x[5m])) / )",
        "sum(\n  rate(x[5m]) $\n)",
    ];
    let position = |msg: &str| {
        let at = msg.find(": parse error").unwrap_or_else(|| panic!("no parse error position in {msg:?}"));
        msg[..at].rsplit(' ').next().unwrap_or_default().to_string()
    };
    for q in malformed {
        let theirs = prom.query_error(q, times[0]).await;
        let out = quiver()
            .args(["tools", "promql-query", q, "--time", "0", "--path"])
            .arg(&blocks)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{q}: quiver accepted it");
        let ours = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(position(&ours), position(&theirs), "{q}: quiver {ours:?}, prometheus {theirs:?}");
    }
}
