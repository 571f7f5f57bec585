//! External labels, differentially: two copies of the same promtool blocks uploaded to Quiver's
//! bucket with `upload-blocks --label cluster=eu --label replica=a|b` (as two Thanos sidecars of
//! an HA pair would upload them) must answer every query as a Prometheus 2.42 whose series carry
//! those labels themselves. Quiver serves them as a Thanos store gateway does: added to each
//! series, matched by the block as a whole, and listed by `labels` and `label/<n>/values`.

use quiver_tests::bins::{create_blocks, gen_om, om_with_labels, quiver, run_ok};
use quiver_tests::json_diff::{Tally, diff, normalize};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::quiver_up::{QuiverUp, api_get};

const QUERIES: &[&str] = &[
    "count by (replica) (http_requests_total)",
    "sum by (cluster, replica, job) (rate(http_requests_total[5m]))",
    r#"http_requests_total{replica="b",job="api",method="GET"}"#,
    "max without (replica) (node_memory_usage_bytes)",
    r#"{replica="a", __name__="node_memory_usage_bytes"}"#,
    r#"count({cluster=~"e.*", __name__=~"node_.*"})"#,
    r#"count(node_memory_usage_bytes{replica!="a"})"#,
    r#"node_memory_usage_bytes{cluster="us"}"#,
    r#"node_memory_usage_bytes{replica=""}"#,
    r#"rate(http_requests_total{replica="a",status="500"}[5m]) - on(instance, method, status) rate(http_requests_total{replica="b",status="500"}[5m])"#,
];

#[tokio::test]
async fn external_labels_answer_as_series_labels_in_prometheus_242() {
    if quiver_tests::shared::testbench_or_skip(
        "external_labels::external_labels_answer_as_series_labels_in_prometheus_242",
    )
    .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let om = dir.join("in.om");
    gen_om(&om, 60, 4.0);
    let text = std::fs::read_to_string(&om).expect("read om");

    let bucket = dir.join("bucket");
    std::fs::create_dir_all(&bucket).expect("bucket dir");
    let config = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display());
    for replica in ["a", "b"] {
        // Prometheus: the labels in the series, in overlapping blocks of its own storage.
        let labelled = dir.join(format!("{replica}.om"));
        std::fs::write(&labelled, om_with_labels(&text, &format!(r#"cluster="eu",replica="{replica}""#)))
            .expect("write om");
        create_blocks(&labelled, &dir.join("prometheus"));
        // Quiver: the unlabelled blocks, uploaded with external labels.
        let raw = dir.join(format!("raw-{replica}"));
        create_blocks(&om, &raw);
        let label = format!("replica={replica}");
        run_ok(
            quiver()
                .args(["tools", "bucket", "upload-blocks", "--objstore.config", &config])
                .args(["--label", "cluster=eu", "--label", &label, "--path"])
                .arg(&raw),
        );
    }
    let prom = Prometheus::start(&dir.join("prometheus"), &[]).await;
    let ours = QuiverUp::start(&bucket, &[]).await;

    let mut tally = Tally::default();
    let mut compared = 0;
    let mut check = async |path: &str, params: &[(&str, &str)]| {
        let query = params.iter().find(|(k, _)| *k == "query").map(|(_, v)| *v).unwrap_or_default();
        let (s1, a) = api_get(&ours.url(), path, params).await;
        let (s2, b) = api_get(&prom.url(), path, params).await;
        assert_eq!((s1, &a["status"]), (s2, &b["status"]), "{path} {params:?}: quiver {a}, prometheus {b}");
        if let Err(e) = diff(&normalize(query, a), &normalize(query, b), "", &mut tally) {
            panic!("{path} {params:?}: {e}");
        }
        compared += 1;
    };
    for query in QUERIES {
        check("/api/v1/query", &[("query", query), ("time", "1699995432.1")]).await;
        let range = [("query", *query), ("start", "1699990012.5"), ("end", "1699996012.5"), ("step", "300")];
        check("/api/v1/query_range", &range).await;
    }
    check("/api/v1/series", &[("match[]", r#"{replica="b", __name__="node_memory_usage_bytes"}"#)]).await;
    check("/api/v1/series", &[("match[]", r#"node_memory_usage_bytes{cluster!="eu"}"#)]).await;
    check("/api/v1/labels", &[]).await;
    check("/api/v1/labels", &[("match[]", r#"{replica="a", __name__="node_memory_usage_bytes"}"#)]).await;
    check("/api/v1/label/replica/values", &[]).await;
    check("/api/v1/label/replica/values", &[("match[]", r#"up{replica="a"}"#)]).await;
    check("/api/v1/label/replica/values", &[("match[]", r#"node_memory_usage_bytes{replica=~"a|c"}"#)]).await;
    check("/api/v1/label/cluster/values", &[("match[]", "node_memory_usage_bytes")]).await;
    assert_eq!(compared, QUERIES.len() * 2 + 8);
    assert!(tally.values > 300, "{tally:?}");
    eprintln!("{compared} answers agree; {tally:?}");
}
