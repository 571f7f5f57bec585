//! The calls Grafana's Prometheus data source makes, replayed against `quiver query` (over a
//! `quiver store`) and a Prometheus 2.42 over the same promtool-made blocks: "Save & test" (a
//! POSTed `1+1`, then `status/buildinfo`), the metric browser (`label/__name__/values`, `labels`
//! and `series` with `match[]` and a time range, `metadata`), exemplars with millisecond times,
//! `rules` and `alerts`, and panels' `query_range` with fractional steps, POSTed as forms with
//! Thanos's `dedup` in the URL as Grafana sends it for a Thanos data source.

use quiver_tests::bins::{create_blocks, promtool_bucket};
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_proc::{QuiverProc, store_gateway};
use quiver_tests::quiver_up::{api_get, api_post};

const START: &str = "1699990012.5";
const END: &str = "1699993612.5";

#[tokio::test]
async fn grafana_calls_answer_as_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip("grafana_calls::grafana_calls_answer_as_prometheus_242")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let (om, _, objstore) = promtool_bucket(dir, 100, 4.0);
    create_blocks(&om, &dir.join("prometheus"));
    let store = store_gateway(&objstore, &dir.join("store"), &[]).await;
    let query = QuiverProc::start(&["query", "--endpoint", &store.grpc()]).await;
    let prom = Prometheus::start(&dir.join("prometheus"), &[]).await;
    let (q, p) = (query.url(), prom.url());

    let mut tally = Tally::default();
    let mut compared = 0;
    let mut same = async |post: bool, path: &str, params: &[(&str, &str)], tally: &mut Tally| {
        let expr = params.iter().find(|(k, _)| *k == "query").map(|(_, v)| *v).unwrap_or_default();
        let ((s1, a), (s2, b)) = if post {
            (api_post(&q, path, params).await, api_post(&p, path, params).await)
        } else {
            (api_get(&q, path, params).await, api_get(&p, path, params).await)
        };
        assert_eq!((s1, &a["status"]), (s2, &b["status"]), "{path} {params:?}: quiver {a}, prometheus {b}");
        if let Err(e) = diff(&normalize(expr, a), &normalize(expr, b), "", tally) {
            panic!("{path} {params:?}: {e}");
        }
        compared += 1;
    };

    // Save & test.
    same(true, "/api/v1/query", &[("query", "1+1"), ("time", "1699993612.345")], &mut tally).await;
    let (status, build) = api_get(&q, "/api/v1/status/buildinfo", &[]).await;
    assert_eq!(status, 200);
    let version = build["data"]["version"].as_str().expect("version");
    let parts: Vec<&str> = version.split(['.', '-', '+']).collect();
    assert!(parts.len() >= 3 && parts[..3].iter().all(|p| p.parse::<u64>().is_ok()), "semver: {version}");

    // The metric browser.
    let range = [("start", START), ("end", END)];
    same(false, "/api/v1/label/__name__/values", &range, &mut tally).await;
    same(
        false,
        "/api/v1/label/__name__/values",
        &[("match[]", r#"{job="api"}"#), range[0], range[1]],
        &mut tally,
    )
    .await;
    same(false, "/api/v1/labels", &range, &mut tally).await;
    same(true, "/api/v1/labels", &[("match[]", "http_requests_total"), range[0], range[1]], &mut tally).await;
    same(
        false,
        "/api/v1/label/instance/values",
        &[("match[]", "node_memory_usage_bytes"), range[0], range[1]],
        &mut tally,
    )
    .await;
    same(
        false,
        "/api/v1/series",
        &[("match[]", r#"http_requests_total{status="500"}"#), range[0], range[1]],
        &mut tally,
    )
    .await;
    same(false, "/api/v1/metadata", &[], &mut tally).await;
    same(false, "/api/v1/metadata", &[("metric", "http_requests_total"), ("limit", "1")], &mut tally).await;

    // Exemplars (Grafana sends milliseconds), rules, alerts.
    let ms = [("query", "http_requests_total"), ("start", "1699990012500"), ("end", "1699993612500")];
    same(false, "/api/v1/query_exemplars", &ms, &mut tally).await;
    same(false, "/api/v1/rules", &[], &mut tally).await;
    same(false, "/api/v1/alerts", &[], &mut tally).await;

    // Panels: range queries with fractional steps, POSTed as forms.
    for expr in [
        "sum by (job) (rate(http_requests_total[5m]))",
        r#"histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"#,
        "avg(node_memory_usage_bytes)",
    ] {
        let params = [("query", expr), ("start", START), ("end", END), ("step", "37.4")];
        same(true, "/api/v1/query_range", &params, &mut tally).await;
        same(false, "/api/v1/query_range", &params, &mut tally).await;
        // Thanos's `dedup` in the URL of a POST (Grafana's Thanos data source): merged with
        // the form, and answered as without it.
        let (s, with_dedup) =
            api_post(&format!("{q}/api/v1/query_range?dedup=true&partial_response=true"), "", &params).await;
        let (_, plain) = api_post(&q, "/api/v1/query_range", &params).await;
        assert_eq!((s, &with_dedup), (200, &plain), "{expr}");
    }
    // `limit` (Prometheus 2.49's, newer than 2.42) cuts label values short.
    let (_, limited) = api_get(&q, "/api/v1/label/__name__/values", &[("limit", "2")]).await;
    assert_eq!(limited["data"].as_array().map(Vec::len), Some(2), "{limited}");

    assert!(tally.values > 200, "{tally:?}");
    eprintln!("{compared} Grafana calls answer as Prometheus 2.42; {tally:?}");
}
