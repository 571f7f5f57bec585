#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use quiver_proto::{CounterResetHint, FloatHistogram, Labels, Span};
use twox_hash::XxHash64;

use super::group::{GroupAcc, GroupOp};
use super::params::Params;
use super::select::{KOp, Selector, ratio_offset, stringlabels_bytes};
use super::*;
use crate::annotations::HistogramOperation;
use crate::test_support::{assert_script_passes, hist_val, xorshift};

fn custom_hist(bounds: &[f64]) -> Val {
    Val::H(Arc::new(FloatHistogram {
        schema: quiver_proto::CUSTOM_BUCKETS_SCHEMA,
        count: 1.0,
        sum: 1.0,
        positive_spans: vec![Span { offset: 0, length: 1 }],
        positive_buckets: vec![1.0],
        custom_values: bounds.to_vec(),
        ..FloatHistogram::default()
    }))
}

fn reduce(op: GroupOp, q: f64, samples: &[Val]) -> (Option<Val>, Vec<Annotation>) {
    let mut acc = GroupAcc::default();
    let mut annotations = Vec::new();
    for v in samples {
        acc.add(op, v, false, "m", &mut annotations).unwrap();
    }
    (acc.finish(op, q, &mut annotations).map(|(v, _)| v), annotations)
}

#[test]
fn sum_and_avg_add_histograms_and_track_counter_reset_hints() {
    use CounterResetHint::*;
    let (v, a) = reduce(
        GroupOp::Sum,
        0.0,
        &[hist_val(2.0, &[1.0, 1.0], NotCounterReset), hist_val(4.0, &[3.0, 1.0], NotCounterReset)],
    );
    let Some(Val::H(h)) = v else { panic!("{v:?}") };
    assert_eq!(
        (h.count, h.positive_buckets.clone(), h.counter_reset_hint),
        (6.0, vec![4.0, 2.0], NotCounterReset)
    );
    assert!(a.is_empty(), "{a:?}");

    let (v, a) = reduce(
        GroupOp::Avg,
        0.0,
        &[hist_val(2.0, &[1.0, 1.0], CounterReset), hist_val(4.0, &[3.0, 1.0], NotCounterReset)],
    );
    let Some(Val::H(h)) = v else { panic!("{v:?}") };
    assert_eq!((h.count, h.positive_buckets.clone()), (3.0, vec![2.0, 1.0]));
    assert_eq!(a, vec![Annotation::HistogramCounterResetCollision { operation: HistogramOperation::Agg }]);
}

#[test]
fn floats_and_histograms_do_not_mix() {
    for op in [GroupOp::Sum, GroupOp::Avg] {
        let (v, a) = reduce(op, 0.0, &[Val::F(1.0), hist_val(2.0, &[2.0], CounterResetHint::Unknown)]);
        assert_eq!(v, None);
        assert_eq!(a, vec![Annotation::MixedFloatsHistogramsAgg]);
    }
    let (v, a) =
        reduce(GroupOp::Count, 0.0, &[Val::F(1.0), hist_val(2.0, &[2.0], CounterResetHint::Unknown)]);
    assert_eq!((v, a), (Some(Val::F(2.0)), vec![]));
}

#[test]
fn exponential_and_custom_buckets_drop_the_group() {
    let (v, a) =
        reduce(GroupOp::Sum, 0.0, &[hist_val(2.0, &[2.0], CounterResetHint::Unknown), custom_hist(&[5.0])]);
    assert_eq!(v, None);
    assert_eq!(a, vec![Annotation::MixedExponentialCustomHistograms { metric_name: "m".into() }]);
    // Different custom bounds are added on the bounds both have, with an info.
    let (v, a) = reduce(GroupOp::Sum, 0.0, &[custom_hist(&[5.0, 10.0]), custom_hist(&[10.0])]);
    let Some(Val::H(h)) = v else { panic!("{v:?}") };
    assert_eq!((h.count, h.custom_values.clone()), (2.0, vec![10.0]));
    assert_eq!(a, vec![Annotation::MismatchedCustomBucketsHistograms { operation: HistogramOperation::Agg }]);
}

#[test]
fn ignoring_aggregations_skip_histograms_with_an_info() {
    let h = hist_val(2.0, &[2.0], CounterResetHint::Unknown);
    for (op, want) in [
        (GroupOp::Min, 1.0),
        (GroupOp::Max, 3.0),
        (GroupOp::Stddev, 1.0),
        (GroupOp::Stdvar, 1.0),
        (GroupOp::Quantile, 2.0),
    ] {
        let (v, a) = reduce(op, 0.5, &[h.clone(), Val::F(1.0), h.clone(), Val::F(3.0)]);
        assert_eq!(v, Some(Val::F(want)), "{op:?}");
        assert_eq!(a.len(), 2, "{op:?}: {a:?}");
        // Only histograms: no result, still the info.
        let (v, a) = reduce(op, 0.5, std::slice::from_ref(&h));
        assert_eq!((v, a.len()), (None, 1), "{op:?}");
    }
}

#[test]
fn avg_switches_to_the_incremental_mean_before_overflowing() {
    let big = 9.988_465_674_311_58e307;
    let (v, _) = reduce(GroupOp::Avg, 0.0, &vec![Val::F(big); 4]);
    assert_eq!(v, Some(Val::F(big)));
    let (v, _) = reduce(GroupOp::Avg, 0.0, &[Val::F(-big), Val::F(-big), Val::F(big), Val::F(big)]);
    assert_eq!(v, Some(Val::F(0.0)));
    // Histograms too: counts near f64::MAX average without turning infinite.
    let h = hist_val(1e308, &[1e308], CounterResetHint::Unknown);
    let (v, _) = reduce(GroupOp::Avg, 0.0, &[h.clone(), h.clone(), h]);
    let Some(Val::H(h)) = v else { panic!("{v:?}") };
    assert!((h.count / 1e308 - 1.0).abs() < 1e-12, "{}", h.count);
}

#[test]
fn stddev_of_an_infinite_first_sample_is_nan() {
    let (v, _) = reduce(GroupOp::Stddev, 0.0, &[Val::F(f64::INFINITY), Val::F(1.0)]);
    assert!(matches!(v, Some(Val::F(f)) if f.is_nan()));
}

fn select(op: KOp, k: f64, values: &[f64]) -> Vec<(usize, f64)> {
    let labels: Vec<Labels> =
        (0..values.len()).map(|i| Labels::from_pairs([("i", i.to_string())]).unwrap()).collect();
    let refs: Vec<&Labels> = labels.iter().collect();
    let s = Selector::new(op, &vec![0; values.len()], 1, &refs);
    let samples: Vec<(usize, Val)> = values.iter().map(|v| Val::F(*v)).enumerate().collect();
    let mut annotations = Vec::new();
    s.step(k, &samples, &mut annotations)
        .into_iter()
        .map(|(m, v)| (m, if let Val::F(f) = v { f } else { f64::NAN }))
        .collect()
}

#[test]
fn topk_and_bottomk_rank_with_nan_last() {
    let vals = [f64::NAN, 100.0, 200.0];
    let top: Vec<usize> = select(KOp::Topk, 3.0, &vals).into_iter().map(|s| s.0).collect();
    assert_eq!(top, vec![2, 1, 0]);
    let bottom: Vec<usize> = select(KOp::Bottomk, 3.0, &vals).into_iter().map(|s| s.0).collect();
    assert_eq!(bottom, vec![1, 2, 0]);
    // NaN is the first to go.
    let top: Vec<usize> = select(KOp::Topk, 2.0, &vals).into_iter().map(|s| s.0).collect();
    assert_eq!(top, vec![2, 1]);
}

#[test]
fn topk_keeps_the_k_largest_of_many() {
    // A deterministic shuffle of 0..40.
    let vals: Vec<f64> = (0..40).map(|i| ((i * 17) % 40) as f64).collect();
    for k in [1.0, 5.0, 12.0, 13.0, 40.0, 100.0] {
        let got: Vec<f64> = select(KOp::Topk, k, &vals).into_iter().map(|s| s.1).collect();
        let n = (k as usize).min(40);
        let want: Vec<f64> = (0..n).map(|i| (39 - i) as f64).collect();
        assert_eq!(got, want, "k={k}");
        let got: Vec<f64> = select(KOp::Bottomk, k, &vals).into_iter().map(|s| s.1).collect();
        let want: Vec<f64> = (0..n).map(|i| i as f64).collect();
        assert_eq!(got, want, "k={k}");
    }
    assert!(select(KOp::Topk, 0.9, &vals).is_empty());
}

#[test]
fn limitk_keeps_the_first_k_and_limit_ratio_complements() {
    let vals: Vec<f64> = (0..50).map(f64::from).collect();
    let mut got: Vec<usize> = select(KOp::Limitk, 3.0, &vals).into_iter().map(|s| s.0).collect();
    got.sort_unstable();
    assert_eq!(got, vec![0, 1, 2]);
    for r in [0.1, 0.5, 0.73] {
        let a: Vec<usize> = select(KOp::LimitRatio, r, &vals).into_iter().map(|s| s.0).collect();
        let b: Vec<usize> = select(KOp::LimitRatio, r - 1.0, &vals).into_iter().map(|s| s.0).collect();
        assert_eq!(a.len() + b.len(), 50, "r={r}");
        assert!(a.iter().all(|m| !b.contains(m)), "r={r}");
    }
    assert_eq!(select(KOp::LimitRatio, 1.0, &vals).len(), 50);
    assert_eq!(select(KOp::LimitRatio, -1.0, &vals).len(), 50);
    assert!(select(KOp::LimitRatio, 0.0, &vals).is_empty());
}

#[test]
fn limit_ratio_hashes_labels_as_prometheus() {
    // xxhash64 with seed 0, as Go's cespare/xxhash.
    assert_eq!(XxHash64::oneshot(0, b""), 0xef46db3751d8e999);
    assert_eq!(XxHash64::oneshot(0, b"abc"), 0x44bc2cf5ad770999);
    let l = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap();
    assert_eq!(stringlabels_bytes(&l), b"\x08__name__\x02up\x03job\x01a".to_vec());
    let long = "x".repeat(300);
    let l = Labels::from_pairs([("a", long.as_str())]).unwrap();
    assert_eq!(&stringlabels_bytes(&l)[..6], &[1, b'a', 255, 44, 1, 0]);
    assert_eq!(ratio_offset(&Labels::empty()), 0xef46db3751d8e999u64 as f64 / u64::MAX as f64);
}

#[test]
fn params_are_checked_over_the_whole_range() {
    let mut rows = Rows::default();
    for (t, v) in [(0, 2.0), (1, f64::NAN), (2, 0.5)] {
        rows.push(0, t, v);
    }
    let p = Params::new(None, Some(&rows));
    assert_eq!((p.at(0), p.at(2), p.at(7)), (2.0, 0.5, 0.0));
    assert!(
        matches!(p.check("topk", &mut Vec::new()), Err(EngineError::Eval(m)) if m == "Parameter value is NaN")
    );
    assert!(
        matches!(p.check("limit_ratio", &mut Vec::new()), Err(EngineError::Eval(m)) if m == "Ratio value is NaN")
    );
    let mut a = Vec::new();
    assert!(p.check("quantile", &mut a).unwrap());
    assert!(matches!(a.as_slice(), [Annotation::InvalidQuantile { q }] if q.is_nan()));

    assert!(!Params::new(Some(0.5), None).check("limitk", &mut Vec::new()).unwrap());
    assert!(!Params::new(Some(0.0), None).check("limit_ratio", &mut Vec::new()).unwrap());
    let mut a = Vec::new();
    assert!(Params::new(Some(-1.5), None).check("limit_ratio", &mut a).unwrap());
    assert_eq!(a, vec![Annotation::InvalidRatio { ratio: -1.5, capped_to: -1.0 }]);
    let e = Params::new(Some(1e19), None).check("topk", &mut Vec::new());
    assert!(matches!(e, Err(EngineError::Eval(m)) if m == "Scalar value 1e+19 overflows int64"));
}

#[test]
fn histogram_aggregations_end_to_end() {
    assert_script_passes(
        r#"
load 1m
  metric{group="floats", s="1"} 2
  metric{group="floats", s="2"} 3
  metric{group="hists", s="1"} {{sum:3 count:4 buckets:[1 2 1]}}
  metric{group="hists", s="2"} {{sum:2 count:3 buckets:[1 1 1]}}
  metric{group="mixed", s="1"} 2
  metric{group="mixed", s="2"} {{sum:2 count:3 buckets:[1 1 1]}}

eval instant at 0 sum by (group) (metric)
  expect warn msg: PromQL warning: encountered a mix of histograms and floats for aggregation (1:17)
  {group="floats"} 5
  {group="hists"} {{sum:5 count:7 buckets:[2 3 2]}}

eval instant at 0 avg by (group) (metric)
  expect warn
  {group="floats"} 2.5
  {group="hists"} {{sum:2.5 count:3.5 buckets:[1 1.5 1]}}

eval instant at 0 count by (group) (metric)
  expect no_info
  {group="floats"} 2
  {group="hists"} 2
  {group="mixed"} 2

eval instant at 0 max by (group) (metric)
  expect info msg: PromQL info: ignored histogram in max aggregation (1:17)
  {group="floats"} 3
  {group="mixed"} 2

eval instant at 0 count_values by (group) ("v", metric{group="hists"})
  {group="hists", v="{count:4, sum:3, (0.5,1]:1, (1,2]:2, (2,4]:1}"} 1
  {group="hists", v="{count:3, sum:2, (0.5,1]:1, (1,2]:1, (2,4]:1}"} 1
"#,
    );
}

#[test]
fn k_aggregations_end_to_end() {
    assert_script_passes(
        r#"
load 1m
  x{i="a"} 1 5
  x{i="b"} 2 4
  x{i="c"} 3 3
  x{i="h"} {{sum:2 count:3 buckets:[1 1 1]}}x1
  k 1 2

eval range from 0 to 1m step 1m topk(scalar(k), x)
  expect info msg: PromQL info: ignored histogram in topk aggregation (1:17)
  x{i="a"} _ 5
  x{i="b"} _ 4
  x{i="c"} 3 _

eval instant at 1m bottomk(2, x)
  expect ordered
  expect info
  x{i="c"} 3
  x{i="b"} 4

eval instant at 1m limitk(10, x{i=~"a|h"})
  x{i="a"} 5
  x{i="h"} {{sum:2 count:3 buckets:[1 1 1]}}

eval range from 0 to 1m step 1m count(limit_ratio(0.3, x{i!="h"}) or limit_ratio(-0.7, x{i!="h"}))
  {} 3 3

eval instant at 1m topk(NaN, x)
  expect fail msg: Parameter value is NaN

eval instant at 1m quantile(scalar(k), x)
  expect warn msg: PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)
  expect info
  {} +Inf
"#,
    );
}

#[test]
fn grouping_sees_the_name_before_it_is_dropped() {
    assert_script_passes(
        r#"
load 1m
  a_total{env="1"} 0+1x10
  b_total{env="1"} 0+2x10

eval instant at 10m sum by (__name__) (rate({env="1"}[10m]))
  expect fail msg: vector cannot contain metrics with the same labelset

eval instant at 10m sum by (__name__) (a_total)
  a_total 10

eval instant at 10m count_values("", a_total)
  expect fail msg: invalid label name ""
"#,
    );
}

#[test]
fn the_float_sum_fast_path_leaves_what_the_general_one_does() {
    let specials = [0.0, -0.0, 1e308, -1e308, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e-300, 3.5];
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    for round in 0..2000 {
        let n = 1 + (next() % 12) as usize;
        let xs: Vec<f64> = (0..n)
            .map(|_| match next() % 4 {
                0 => specials[(next() % specials.len() as u64) as usize],
                1 => f64::from_bits(next()),
                _ => (next() % 10_000) as f64 / 7.0 - 700.0,
            })
            .collect();
        let drops: Vec<bool> = (0..n).map(|_| next().is_multiple_of(5)).collect();
        let (mut general, mut fast) = (GroupAcc::default(), GroupAcc::default());
        let mut annotations = Vec::new();
        for (x, &d) in xs.iter().zip(&drops) {
            general.add(GroupOp::Sum, &Val::F(*x), d, "m", &mut annotations).unwrap();
            fast.add_float_sum(*x, d);
        }
        let g = general.finish(GroupOp::Sum, 0.0, &mut annotations);
        let f = fast.finish(GroupOp::Sum, 0.0, &mut annotations);
        let bits = |r: Option<(Val, bool)>| {
            r.map(|(v, d)| match v {
                Val::F(x) => (x.to_bits(), d),
                Val::H(_) => panic!("a float sum gave a histogram"),
            })
        };
        assert_eq!(bits(g), bits(f), "round {round}: {xs:?}");
        assert!(annotations.is_empty(), "{annotations:?}");
    }
}

/// Grouping a series whose name an operation dropped, from its stored labels with the metadata
/// hidden, gives the groups that the name-less label set (as `QueryContext::entry` builds it)
/// gives, for `by` and `without`, listing the name or not.
#[test]
fn grouping_with_metadata_hidden_matches_the_nameless_labels() {
    let raw = Labels::from_pairs([
        ("__name__", "http_requests_total"),
        ("__type__", "counter"),
        ("__unit__", "requests"),
        ("instance", "a:9090"),
        ("job", "api"),
    ])
    .unwrap();
    let nameless = crate::series_table::without_name(&raw);
    assert_eq!(nameless.len(), 2);
    let groupings: [&[&str]; 5] = [
        &[],
        &["job"],
        &["__name__", "job"],
        &["__type__", "instance"],
        &["__name__", "__unit__", "job", "x"],
    ];
    for grouping in groupings {
        let grouping: Vec<String> = grouping.iter().map(|s| s.to_string()).collect();
        for without in [false, true] {
            assert_eq!(
                group_labels_hiding(&raw, &grouping, without, true),
                group_labels(&nameless, &grouping, without),
                "{grouping:?} without={without}"
            );
        }
        assert_eq!(group_labels_hiding(&raw, &grouping, false, false), group_labels(&raw, &grouping, false));
    }
}

/// An aggregation holds one state per group and step: over floats, a state stays within a
/// cache line (histograms and quantile's values live behind one pointer).
#[test]
fn group_state_stays_small() {
    assert!(size_of::<GroupAcc>() <= 64, "{} bytes", size_of::<GroupAcc>());
}
