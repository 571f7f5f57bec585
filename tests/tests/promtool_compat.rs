//! Block compatibility with the real promtool and Prometheus 2.42, both ways:
//! Quiver reads promtool-made blocks sample for sample, promtool reads Quiver-written blocks
//! sample for sample, and a real Prometheus serves queries from a Quiver-written block.

use std::path::Path;

use quiver_tests::bins::{assert_same_text, gen_om, promtool, promtool_dump, quiver, run_ok, stdout_of};
use quiver_tests::prometheus::Prometheus;

/// gen_om.py data: counters, a gauge and classic histogram series (`_bucket`, `_sum`, `_count`)
/// over 5 hours, so the samples span three 2h blocks.
fn make_blocks(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let om = dir.join("in.om");
    gen_om(&om, 100, 5.0);
    let p = dir.join("promtool");
    let q = dir.join("quiver");
    run_ok(promtool().args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&p));
    run_ok(quiver().args(["tools", "tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&q));
    (p, q)
}

fn quiver_dump(dir: &Path, extra: &[&str]) -> String {
    stdout_of(quiver().args(["tools", "tsdb", "dump"]).args(extra).arg(dir))
}

fn block_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("meta.json").exists())
        .collect();
    v.sort();
    v
}

#[test]
fn dumps_agree_both_ways() {
    if quiver_tests::shared::testbench_or_skip("promtool_compat::dumps_agree_both_ways").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, q) = make_blocks(tmp.path());
    assert_eq!(block_dirs(&p).len(), 3);
    assert_eq!(block_dirs(&q).len(), 3, "Quiver cuts the same epoch-aligned 2h blocks");

    let reference = promtool_dump(&p, &[]);
    let lines = reference.lines().count();
    assert!(lines > 100_000, "{lines} samples");
    assert!(
        reference.contains("http_request_duration_seconds_bucket"),
        "classic histogram series are present"
    );
    assert!(reference.contains("le=\"+Inf\""));

    // Quiver reads promtool's blocks sample for sample, formatted as promtool prints them.
    assert_same_text(&quiver_dump(&p, &[]), &reference, "quiver dump of promtool blocks");
    // promtool reads Quiver's blocks sample for sample.
    assert_same_text(&promtool_dump(&q, &[]), &reference, "promtool dump of quiver blocks");
    assert_same_text(&quiver_dump(&q, &[]), &reference, "quiver dump of quiver blocks");

    // Matchers and time bounds behave as promtool's.
    let cases: [&[&str]; 4] = [
        &["--match", r#"{__name__="http_requests_total",method=~"GET|PUT",status!="500"}"#],
        &[
            "--match",
            r#"http_request_duration_seconds_bucket{le="+Inf"}"#,
            "--min-time",
            "1699990000000",
            "--max-time",
            "1699995000000",
        ],
        &["--match", r#"{job=~"a.*"}"#, "--min-time", "1699992000000"],
        &["--match", r#"{__name__=~"node_.*"}"#, "--max-time", "1699985000123"],
    ];
    for args in cases {
        let want = promtool_dump(&p, args);
        assert!(!want.is_empty(), "{args:?} selects something");
        assert_same_text(&quiver_dump(&p, args), &want, &format!("dump {args:?}"));
    }
}

#[test]
fn promtool_analyzes_quiver_blocks() {
    if quiver_tests::shared::testbench_or_skip("promtool_compat::promtool_analyzes_quiver_blocks").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, q) = make_blocks(tmp.path());
    for (pb, qb) in block_dirs(&p).iter().zip(block_dirs(&q)) {
        let parent = qb.parent().expect("parent");
        let id = qb.file_name().and_then(|n| n.to_str()).expect("name");
        let out = stdout_of(promtool().args(["tsdb", "analyze"]).arg(parent).arg(id));
        let pid = pb.file_name().and_then(|n| n.to_str()).expect("name");
        let reference =
            stdout_of(promtool().args(["tsdb", "analyze"]).arg(pb.parent().expect("parent")).arg(pid));
        // The summary lines; the top-20 lists below them break ties in Go map order (randomly).
        let summary = |s: &str| -> Vec<String> {
            let keys = ["Duration:", "Series:", "Label names:", "Postings (unique", "Postings entries"];
            s.lines().filter(|l| keys.iter().any(|k| l.starts_with(k))).map(str::to_string).collect()
        };
        assert_eq!(summary(&out).len(), 5, "{out}");
        assert_eq!(summary(&out), summary(&reference));
    }
}

#[tokio::test]
async fn prometheus_serves_a_quiver_block() {
    if quiver_tests::shared::testbench_or_skip("promtool_compat::prometheus_serves_a_quiver_block").is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (p, q) = make_blocks(tmp.path());
    let reference = promtool_dump(&p, &[]);
    let prom = Prometheus::start(&q, &[]).await;

    // Every counter series is there, at a time inside the middle block.
    let t = 1_699_990_000.5;
    let count_total = reference
        .lines()
        .filter(|l| l.starts_with("{__name__=\"http_requests_total\""))
        .map(|l| l.rsplit_once("} ").map(|(labels, _)| labels.to_string()).unwrap_or_default())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let data = prom.query("count(http_requests_total)", t).await;
    assert_eq!(data["result"][0]["value"][1], count_total.to_string());

    // One series' value at an off-grid time is the last sample at or before it in the dump.
    let series = r#"{__name__="http_requests_total", instance="10.0.0.0:9100", job="api", method="GET", status="200"}"#;
    let t_ms = 1_699_993_333_333i64;
    let want = reference
        .lines()
        .filter_map(|l| l.strip_prefix(series))
        .filter_map(|rest| {
            let mut it = rest.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse::<i64>().ok()?))
        })
        .filter(|(_, ts)| *ts <= t_ms)
        .max_by_key(|(_, ts)| *ts)
        .expect("a sample before t");
    let data = prom
        .query(
            r#"http_requests_total{instance="10.0.0.0:9100",job="api",method="GET",status="200"}"#,
            t_ms as f64 / 1000.0,
        )
        .await;
    assert_eq!(data["result"][0]["value"][1], want.0);

    // A classic histogram computed by Prometheus over Quiver's block.
    let data = prom
        .query("histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", t)
        .await;
    let v: f64 = data["result"][0]["value"][1].as_str().and_then(|s| s.parse().ok()).expect("a number");
    assert!(v > 0.0 && v <= 10.0, "{v}");
}
