//! The physical plans queries run as, pinned by snapshots of their EXPLAIN output: which
//! operators, how many partitions each runs on. EXPLAIN ANALYZE is pinned too, its times
//! masked (never its rows, series or samples).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use quiver_planner::EvalSteps;
use quiver_proto::Labels;

use crate::storage::MemoryStore;
use crate::value::Point;
use crate::{EngineOptions, QueryControl, QueryEngine};

/// 20 counters `x_total{job="a"|"b", i}` over an hour at 15 s, and a gauge `g` per job.
fn engine(partitions: usize) -> QueryEngine {
    let mut store = MemoryStore::new();
    for i in 0..20 {
        let job = if i % 2 == 0 { "a" } else { "b" };
        let labels = Labels::from_pairs([
            ("__name__", "x_total".to_string()),
            ("job", job.into()),
            ("i", i.to_string()),
        ])
        .unwrap();
        store.append(labels, (0..240).map(|k| (k * 15_000, Point::Float((k * (i + 1)) as f64))).collect());
    }
    for job in ["a", "b"] {
        let labels = Labels::from_pairs([("__name__", "g"), ("job", job)]).unwrap();
        store.append(labels, (0..240).map(|k| (k * 15_000, Point::Float(k as f64))).collect());
    }
    QueryEngine::new(Arc::new(store), EngineOptions { partitions, ..EngineOptions::default() })
}

const STEPS: EvalSteps = EvalSteps { start: 600_000, end: 3_000_000, step: 60_000 };

#[tokio::test]
async fn physical_plans_partition_selectors_and_fold_aggregations() {
    let e = engine(2);
    for (name, q) in [
        ("sum_rate", "sum by (job) (rate(x_total[5m]))"),
        ("raw", "x_total"),
        ("vector_scalar", "abs(x_total - 3) * 2"),
        ("vector_vector", "rate(x_total[5m]) / on(job) group_left g"),
        ("topk_subquery", "topk(2, max_over_time(rate(x_total[5m])[10m:1m]))"),
        ("range_param", "quantile_over_time(scalar(sum(g)) / 1000, x_total[5m])"),
    ] {
        let plans = e.explain_plans(q, STEPS).await.unwrap();
        insta::assert_snapshot!(name, plans.physical);
    }
}

#[tokio::test]
async fn explain_analyze_shows_rows_series_and_samples_per_operator() {
    let e = engine(2);
    let control = QueryControl::default();
    let (plans, out) = e.explain_analyze("sum by (job) (rate(x_total[5m]))", STEPS, &control).await.unwrap();
    assert_eq!(out.stats.series_selected, 20);
    insta::with_settings!({filters => vec![(r"(elapsed_compute|source_time)=[0-9.]+[a-zµ]+", "$1=[TIME]")]}, {
        insta::assert_snapshot!(plans.physical);
    });
}

/// The series of a matrix, each with its points (to 12 significant digits: partitions fold their
/// sums apart and merge them, which may change the last bits).
fn rounded(v: &crate::value::Value) -> Vec<(String, Vec<(i64, String)>)> {
    let crate::value::Value::Matrix(series) = v else { panic!("a matrix: {v:?}") };
    series
        .iter()
        .map(|s| (s.labels.to_string(), s.floats.iter().map(|(t, f)| (*t, format!("{f:.12e}"))).collect()))
        .collect()
}

/// The same answers on one partition and on several.
#[tokio::test]
async fn partitions_do_not_change_answers() {
    let (one, three) = (engine(1), engine(3));
    for q in [
        "sum by (job) (rate(x_total[5m]))",
        "avg(x_total)",
        "stddev by (job) (x_total)",
        "quantile(0.3, x_total)",
        "count_values(\"v\", x_total % 7)",
        "topk(3, x_total)",
        "x_total / on(job) group_left g",
        "max_over_time(rate(x_total[5m])[10m:1m])",
    ] {
        let a = one.range(q, STEPS.start, STEPS.end, STEPS.step).await.unwrap();
        let b = three.range(q, STEPS.start, STEPS.end, STEPS.step).await.unwrap();
        assert_eq!(rounded(&a.value), rounded(&b.value), "{q}");
    }
}
