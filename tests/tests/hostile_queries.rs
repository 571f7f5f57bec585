//! No request takes the server down: expressions of any length or nesting either evaluate or
//! fail with a clear error, subqueries with an astronomical number of steps fail before they
//! allocate, a query over the memory limit fails alone, and after each the same `quiver up`
//! process keeps answering.

use std::path::Path;

use quiver_proto::{Labels, Sample};
use quiver_tests::quiver_up::{QuiverUp, api_get, api_post};

/// 200 `up` series of 480 samples (15 s apart), in one block written by Quiver's writer.
fn write_data(bucket: &Path) {
    let series = (0..200)
        .map(|i| {
            let labels = Labels::from_pairs([
                ("__name__", "up".to_string()),
                ("job", format!("j{}", i % 7)),
                ("i", i.to_string()),
            ])
            .expect("labels");
            (labels, (0..480).map(|k| Sample { t: k * 15_000, v: (i + k) as f64 }).collect())
        })
        .collect();
    quiver_bucket::block::write_float_blocks(bucket, series, 7_200_000).expect("block");
}

/// The server still answers an ordinary query correctly.
async fn still_answers(up: &QuiverUp) {
    let (status, v) = api_get(&up.url(), "/api/v1/query", &[("query", "count(up)"), ("time", "3600")]).await;
    assert_eq!((status, &v["data"]["result"][0]["value"][1]), (200, &serde_json::json!("200")), "{v}");
    let health = reqwest::get(format!("{}/-/healthy", up.url())).await.expect("health check");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn hostile_queries_fail_alone_and_the_server_stays_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write_data(tmp.path());
    let up = QuiverUp::start(tmp.path(), &["--query.max-memory=1MiB"]).await;
    still_answers(&up).await;
    let at = ("time", "3600");

    // A thousand binary operators evaluate, as in Prometheus; so do a thousand nested parentheses
    // around a selector.
    let chain = vec!["1"; 1001].join(" + ");
    let (status, v) = api_post(&up.url(), "/api/v1/query", &[("query", &chain), at]).await;
    assert_eq!((status, &v["data"]["result"][1]), (200, &serde_json::json!("1001")), "{v}");
    let nested = format!("{}count(up){}", "(".repeat(1000), ")".repeat(1000));
    let (status, v) = api_post(&up.url(), "/api/v1/query", &[("query", &nested), at]).await;
    assert_eq!((status, &v["data"]["result"][0]["value"][1]), (200, &serde_json::json!("200")), "{v}");
    let selectors = vec!["count(up)"; 500].join(" + ");
    let (status, v) = api_post(&up.url(), "/api/v1/query", &[("query", &selectors), at]).await;
    assert_eq!((status, &v["data"]["result"][0]["value"][1]), (200, &serde_json::json!("100000")), "{v}");
    still_answers(&up).await;

    // Deeper than Quiver evaluates: a clear error for the query alone, by operators or brackets.
    for q in [vec!["1"; 20_001].join("+"), format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000))] {
        let (status, v) = api_post(&up.url(), "/api/v1/query", &[("query", &q), at]).await;
        assert_eq!((status, &v["errorType"]), (400, &serde_json::json!("bad_data")), "{v}");
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(msg.contains("levels deep, more than the 5000 Quiver evaluates"), "{msg}");
        still_answers(&up).await;
    }
    // Longer than Quiver plans.
    let long = format!("up{{job=\"{}\"}}", "x".repeat(1_100_000));
    let (status, v) = api_post(&up.url(), "/api/v1/query", &[("query", &long), at]).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"].as_str().unwrap_or_default().contains("bytes long"), "{v}");
    still_answers(&up).await;

    // Subqueries whose steps could never be held: Prometheus's too-many-samples error, before
    // anything is allocated.
    for q in [
        "max_over_time(up[100000000w:1ms])",
        "sum_over_time(rate(up[5m])[1000000d:1ms])",
        "count_over_time(vector(1)[1y:1ms])",
    ] {
        let (status, v) = api_get(&up.url(), "/api/v1/query", &[("query", q), at]).await;
        assert_eq!((status, &v["errorType"]), (422, &serde_json::json!("execution")), "{q}: {v}");
        assert_eq!(
            v["error"], "query processing would load too many samples into memory in query execution",
            "{q}"
        );
        still_answers(&up).await;
    }

    // Over --query.max-memory (1 MiB): every sample of every series as the answer, and a join of
    // two such selections. Each fails alone; the aggregations over the same data still answer.
    let range = [("start", "0"), ("end", "7185"), ("step", "15")];
    for q in ["up", "up * on(i) group_left up"] {
        let params: Vec<(&str, &str)> = std::iter::once(("query", q)).chain(range).collect();
        let (status, v) = api_get(&up.url(), "/api/v1/query_range", &params).await;
        assert_eq!((status, &v["errorType"]), (422, &serde_json::json!("execution")), "{q}: {v}");
        let msg = v["error"].as_str().unwrap_or_default();
        assert!(
            msg.starts_with("query processing would use too much memory in query execution"),
            "{q}: {msg}"
        );
        still_answers(&up).await;
    }
    let params: Vec<(&str, &str)> =
        std::iter::once(("query", "sum by (job) (rate(up[5m]))")).chain(range).collect();
    let (status, v) = api_get(&up.url(), "/api/v1/query_range", &params).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["data"]["result"].as_array().map(Vec::len), Some(7), "{v}");
}
