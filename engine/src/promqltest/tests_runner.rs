//! The runner and the comparison logic, against a fake engine with canned results.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use quiver_proto::{CounterResetHint, FloatHistogram, Labels, STALE_NAN_BITS, Span};

use super::*;
use crate::value::{Annotations, Point, QueryOutput, QueryStats, RangeSeries, Value, VectorSample};

type Loaded = Vec<(Labels, Vec<(i64, Point)>)>;

#[derive(Default)]
struct FakeEngine {
    loaded: Loaded,
    clears: usize,
    load_error: Option<String>,
    instant: HashMap<(String, i64), Result<QueryOutput, String>>,
    range: HashMap<(String, i64, i64, i64), Result<QueryOutput, String>>,
    calls: Vec<String>,
}

impl TestEngine for FakeEngine {
    fn clear(&mut self) {
        self.clears += 1;
        self.loaded.clear();
    }
    fn load(&mut self, series: Loaded) -> Result<(), String> {
        if let Some(e) = &self.load_error {
            return Err(e.clone());
        }
        self.loaded.extend(series);
        Ok(())
    }
    fn instant(&mut self, query: &str, t_ms: i64) -> Result<QueryOutput, String> {
        self.calls.push(format!("instant {query} @{t_ms}"));
        self.instant
            .get(&(query.to_string(), t_ms))
            .cloned()
            .unwrap_or_else(|| Err("no canned result".into()))
    }
    fn range(
        &mut self,
        query: &str,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<QueryOutput, String> {
        self.calls.push(format!("range {query} {start_ms}..{end_ms}/{step_ms}"));
        self.range
            .get(&(query.to_string(), start_ms, end_ms, step_ms))
            .cloned()
            .unwrap_or_else(|| Err("no canned result".into()))
    }
}

fn lbl(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn out(value: Value) -> Result<QueryOutput, String> {
    Ok(QueryOutput { value, annotations: Annotations::default(), stats: QueryStats::default() })
}

fn out_with(value: Value, warnings: &[&str], infos: &[&str]) -> Result<QueryOutput, String> {
    Ok(QueryOutput {
        value,
        annotations: Annotations {
            warnings: warnings.iter().map(|s| s.to_string()).collect(),
            infos: infos.iter().map(|s| s.to_string()).collect(),
        },
        stats: QueryStats::default(),
    })
}

fn vector(samples: &[(&[(&str, &str)], f64)]) -> Value {
    Value::Vector(
        samples.iter().map(|(l, v)| VectorSample { labels: lbl(l), t: 0, point: Point::Float(*v) }).collect(),
    )
}

fn no_range_check() -> RunOptions {
    RunOptions { check_range_mode: false, at_modifier_rewriter: None }
}

/// The fake engine only knows the queries it was given, not their `@` rewrites.
fn range_check_only() -> RunOptions {
    RunOptions { check_range_mode: true, at_modifier_rewriter: None }
}

/// Runs a one-eval script whose query `q` at time 0 returns `result`.
fn instant_outcome(script: &str, result: Result<QueryOutput, String>) -> Outcome {
    let mut e = FakeEngine::default();
    e.instant.insert(("q".into(), 0), result);
    let script = parse_script(script).unwrap();
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &no_range_check());
    assert_eq!(r.results.len(), 1);
    r.results[0].outcome.clone()
}

fn passes(script: &str, result: Result<QueryOutput, String>) -> bool {
    match instant_outcome(script, result) {
        Outcome::Passed => true,
        Outcome::Failed(_) => false,
        Outcome::Skipped(r) => panic!("skipped: {r}"),
    }
}

#[test]
fn float_tolerance_nan_and_stale() {
    let s = "eval instant at 0 q\n  {a=\"1\"} 1\n";
    assert!(passes(s, out(vector(&[(&[("a", "1")], 1.0000001)]))));
    assert!(!passes(s, out(vector(&[(&[("a", "1")], 1.001)]))));
    assert!(!passes(s, out(vector(&[(&[("a", "1")], f64::NAN)]))));
    let nan = "eval instant at 0 q\n  {a=\"1\"} NaN\n";
    assert!(passes(nan, out(vector(&[(&[("a", "1")], f64::NAN)]))));
    assert!(!passes(nan, out(vector(&[(&[("a", "1")], f64::from_bits(STALE_NAN_BITS))]))));
    let stale = "eval instant at 0 q\n  {a=\"1\"} stale\n";
    assert!(passes(stale, out(vector(&[(&[("a", "1")], f64::from_bits(STALE_NAN_BITS))]))));
    let zero = "eval instant at 0 q\n  {a=\"1\"} 0\n";
    assert!(passes(zero, out(vector(&[(&[("a", "1")], -0.0)]))));
    assert!(passes(zero, out(vector(&[(&[("a", "1")], 1e-320)]))));
    assert!(!passes(zero, out(vector(&[(&[("a", "1")], 1e-300)]))));
    assert!(almost_equal(f64::INFINITY, f64::INFINITY, DEFAULT_EPSILON));
    assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY, DEFAULT_EPSILON));
}

#[test]
fn label_sets_and_ordering() {
    let s = "eval instant at 0 q\n  {a=\"1\"} 1\n  {a=\"2\"} 2\n";
    let both = [(&[("a", "1")][..], 1.0), (&[("a", "2")][..], 2.0)];
    let reversed = [(&[("a", "2")][..], 2.0), (&[("a", "1")][..], 1.0)];
    assert!(passes(s, out(vector(&both))));
    assert!(passes(s, out(vector(&reversed))));
    assert!(!passes(s, out(vector(&both[..1]))));
    assert!(!passes(s, out(vector(&[(&[("a", "1"), ("b", "x")], 1.0), (&[("a", "2")], 2.0)]))));
    let ordered = "eval instant at 0 q\n  expect ordered\n  {a=\"1\"} 1\n  {a=\"2\"} 2\n";
    assert!(passes(ordered, out(vector(&both))));
    assert!(!passes(ordered, out(vector(&reversed))));
    let legacy = "eval_ordered instant at 0 q\n  {a=\"2\"} 2\n  {a=\"1\"} 1\n";
    assert!(passes(legacy, out(vector(&reversed))));
    // Nothing expected: an empty vector passes, anything else fails.
    assert!(passes("eval instant at 0 q\n", out(Value::Vector(vec![]))));
    assert!(!passes("eval instant at 0 q\n", out(vector(&both[..1]))));
}

#[test]
fn scalars_strings_and_result_types() {
    let s = "eval instant at 0 q\n  3.5\n";
    assert!(passes(s, out(Value::Scalar { t: 0, v: 3.5 })));
    assert!(!passes(s, out(Value::Scalar { t: 0, v: 3.6 })));
    assert!(!passes(s, out(vector(&[(&[], 3.5)]))));
    assert!(!passes("eval instant at 0 q\n  {} 3.5\n", out(Value::Scalar { t: 0, v: 3.5 })));
    let st = "eval instant at 0 q\n  expect string \"Foo\"\n";
    assert!(passes(st, out(Value::String { t: 0, s: "Foo".into() })));
    assert!(!passes(st, out(Value::String { t: 0, s: "foo".into() })));
}

#[test]
fn annotations() {
    let v = || vector(&[(&[("a", "1")], 1.0)]);
    let body = "  {a=\"1\"} 1\n";
    let w = "PromQL warning: careful (1:5)";
    // No expect lines: annotations are not checked.
    assert!(passes(&format!("eval instant at 0 q\n{body}"), out_with(v(), &[w], &["PromQL info: x"])));
    assert!(!passes(&format!("eval instant at 0 q\n  expect no_warn\n{body}"), out_with(v(), &[w], &[])));
    assert!(passes(
        &format!("eval instant at 0 q\n  expect no_warn\n{body}"),
        out_with(v(), &[], &["PromQL info: x"])
    ));
    assert!(!passes(
        &format!("eval instant at 0 q\n  expect no_info\n{body}"),
        out_with(v(), &[], &["PromQL info: x"])
    ));
    let exact = format!("eval instant at 0 q\n  expect warn msg: {w}\n{body}");
    assert!(passes(&exact, out_with(v(), &[w], &[])));
    assert!(!passes(&exact, out_with(v(), &["PromQL warning: careful (1:6)"], &[])));
    assert!(!passes(&exact, out_with(v(), &[], &[])));
    // Every annotation of a type with expect lines must be matched by one.
    assert!(!passes(&exact, out_with(v(), &[w, "PromQL warning: other (1:1)"], &[])));
    let any = format!("eval instant at 0 q\n  expect warn\n{body}");
    assert!(passes(&any, out_with(v(), &[w, "PromQL warning: other (1:1)"], &[])));
    assert!(!passes(&any, out_with(v(), &[], &[])));
    let re =
        format!("eval instant at 0 q\n  expect info regex: needed to be fixed .* \\(1:[0-9]+\\)\n{body}");
    assert!(passes(&re, out_with(v(), &[], &["PromQL info: input needed to be fixed for x (1:21)"])));
    assert!(!passes(&re, out_with(v(), &[], &["PromQL info: something else (1:21)"])));
    assert!(!passes(&format!("eval_warn instant at 0 q\n{body}"), out(v())));
    assert!(passes(&format!("eval_info instant at 0 q\n{body}"), out_with(v(), &[], &["PromQL info: x"])));
}

#[test]
fn expected_failures() {
    let err = || Err::<QueryOutput, String>("vector cannot contain metrics with the same labelset".into());
    assert!(passes("eval instant at 0 q\n  expect fail\n", err()));
    assert!(passes(
        "eval instant at 0 q\n  expect fail msg: vector cannot contain metrics with the same labelset\n",
        err()
    ));
    assert!(!passes("eval instant at 0 q\n  expect fail msg: vector cannot contain\n", err()));
    assert!(passes("eval instant at 0 q\n  expect fail regex: cannot contain\n", err()));
    assert!(!passes("eval instant at 0 q\n  expect fail regex: ^cannot\n", err()));
    assert!(!passes("eval instant at 0 q\n  expect fail\n", out(Value::Vector(vec![]))));
    assert!(passes("eval_fail instant at 0 q\n", err()));
    assert!(!passes("eval_fail instant at 0 q\n  expected_fail_message nope\n", err()));
    assert!(passes("eval_fail instant at 0 q\n  expected_fail_regexp same label.et\n", err()));
    match instant_outcome("eval instant at 0 q\n", err()) {
        Outcome::Failed(m) => assert!(m.contains("vector cannot contain"), "{m}"),
        other => panic!("{other:?}"),
    }
}

fn hist(buckets: &[f64], hint: CounterResetHint) -> FloatHistogram {
    FloatHistogram {
        counter_reset_hint: hint,
        count: buckets.iter().sum(),
        sum: 1.0,
        positive_spans: vec![Span { offset: 0, length: buckets.len() as u32 }],
        positive_buckets: buckets.to_vec(),
        ..Default::default()
    }
}

#[test]
fn histograms_compare_compacted_with_optional_hint() {
    let v = |h: FloatHistogram| {
        Value::Vector(vec![VectorSample { labels: lbl(&[]), t: 0, point: Point::Histogram(h) }])
    };
    let s = "eval instant at 0 q\n  {} {{count:3 sum:1 buckets:[1 2]}}\n";
    assert!(passes(s, out(v(hist(&[1.0, 2.0], CounterResetHint::Gauge)))));
    // Empty buckets and split spans compact to the same layout.
    let mut split = hist(&[1.0, 0.0, 2.0], CounterResetHint::Unknown);
    split.positive_spans = vec![Span { offset: 0, length: 2 }, Span { offset: 0, length: 1 }];
    assert!(!passes(s, out(v(split.clone()))));
    let s2 = "eval instant at 0 q\n  {} {{count:3 sum:1 buckets:[1 0 2]}}\n";
    assert!(passes(s2, out(v(split))));
    assert!(!passes(s, out(v(hist(&[1.0, 2.1], CounterResetHint::Unknown)))));
    assert!(!passes(s, out(vector(&[(&[], 3.0)]))));
    let hinted = "eval instant at 0 q\n  {} {{count:3 sum:1 buckets:[1 2] counter_reset_hint:not_reset}}\n";
    assert!(passes(hinted, out(v(hist(&[1.0, 2.0], CounterResetHint::NotCounterReset)))));
    assert!(!passes(hinted, out(v(hist(&[1.0, 2.0], CounterResetHint::Unknown)))));
    assert!(!passes("eval instant at 0 q\n  {} 3\n", out(v(hist(&[1.0, 2.0], CounterResetHint::Unknown)))));
    assert_eq!(
        test_expression(&hist(&[1.0, 2.0], CounterResetHint::Gauge)),
        "{{count:3 sum:1 counter_reset_hint:gauge buckets:[1 2]}}"
    );
}

fn series(l: &[(&str, &str)], floats: &[(i64, f64)]) -> RangeSeries {
    RangeSeries { labels: lbl(l), floats: floats.to_vec(), histograms: vec![] }
}

#[test]
fn range_queries_compare_every_point() {
    let script =
        parse_script("eval range from 0 to 2m step 1m q\n  x{a=\"1\"} 1 _ 3\n  x{a=\"2\"} 1+1x2\n").unwrap();
    let run = |m: Vec<RangeSeries>| {
        let mut e = FakeEngine::default();
        e.range.insert(("q".into(), 0, 120_000, 60_000), out(Value::Matrix(m)));
        let r = run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
        r.results[0].outcome.clone()
    };
    let a = || series(&[("__name__", "x"), ("a", "1")], &[(0, 1.0), (120_000, 3.0)]);
    let b = || series(&[("__name__", "x"), ("a", "2")], &[(0, 1.0), (60_000, 2.0), (120_000, 3.0)]);
    assert_eq!(run(vec![a(), b()]), Outcome::Passed);
    // Unsorted matrices fail.
    assert!(matches!(run(vec![b(), a()]), Outcome::Failed(m) if m.contains("sorted")));
    assert!(matches!(run(vec![a()]), Outcome::Failed(m) if m.contains("not found")));
    let mut wrong_t = a();
    wrong_t.floats[1].0 = 60_000;
    assert!(matches!(run(vec![wrong_t, b()]), Outcome::Failed(m) if m.contains("timestamp")));
    let mut extra = b();
    extra.floats.push((180_000, 4.0));
    assert!(matches!(run(vec![a(), extra]), Outcome::Failed(_)));
    // Ordered expectations cannot be met by a matrix.
    let ordered = parse_script("eval range from 0 to 2m step 1m q\n  expect ordered\n").unwrap();
    let mut e = FakeEngine::default();
    e.range.insert(("q".into(), 0, 120_000, 60_000), out(Value::Matrix(vec![])));
    let r = run_script("t.test", &ordered, &mut e, &SkipList::default(), &range_check_only());
    assert!(matches!(&r.results[0].outcome, Outcome::Failed(m) if m.contains("ordered")));
}

#[test]
fn instant_range_vector_and_range_mode_cross_check() {
    let script =
        parse_script("eval instant at 1m x[1m]\n  expect range vector from 20s to 1m step 20s\n  x 2 3 4\n")
            .unwrap();
    let mut e = FakeEngine::default();
    let m = vec![series(&[("__name__", "x")], &[(20_000, 2.0), (40_000, 3.0), (60_000, 4.0)])];
    e.instant.insert(("x[1m]".into(), 60_000), out(Value::Matrix(m)));
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
    assert_eq!(r.results[0].outcome, Outcome::Passed);
    assert_eq!(e.calls, vec!["instant x[1m] @60000"]);

    let script = parse_script("eval instant at 2m q\n  {a=\"1\"} 5\n").unwrap();
    let mut e = FakeEngine::default();
    e.instant.insert(("q".into(), 120_000), out(vector(&[(&[("a", "1")], 5.0)])));
    let good = vec![series(&[("a", "1")], &[(60_000, 1.0), (120_000, 5.0), (180_000, 9.0)])];
    e.range.insert(("q".into(), 60_000, 180_000, 60_000), out(Value::Matrix(good)));
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
    assert_eq!(r.results[0].outcome, Outcome::Passed);
    let bad = vec![series(&[("a", "1")], &[(60_000, 1.0), (120_000, 6.0)])];
    e.range.insert(("q".into(), 60_000, 180_000, 60_000), out(Value::Matrix(bad)));
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
    assert!(matches!(&r.results[0].outcome, Outcome::Failed(m) if m.contains("range mode")));
    // Queries depending on the query context skip the cross-check.
    let script = parse_script("eval instant at 0 step()\n  0\n").unwrap();
    let mut e = FakeEngine::default();
    e.instant.insert(("step()".into(), 0), out(Value::Scalar { t: 0, v: 0.0 }));
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
    assert_eq!(r.results[0].outcome, Outcome::Passed);
}

#[test]
fn at_modifier_rewriter_runs_more_times() {
    let script = parse_script("eval instant at 10s q\n  {} 1\n").unwrap();
    let mut e = FakeEngine::default();
    for t in [10_000, -100_000, 0, 2_000, 100_000] {
        let q = if t == 10_000 { "q" } else { "q @ 10" };
        e.instant.insert((q.into(), t), out(vector(&[(&[], 1.0)])));
    }
    e.instant.insert(("q @ 10".into(), 10_000), out(vector(&[(&[], 1.0)])));
    let opts = RunOptions {
        check_range_mode: false,
        at_modifier_rewriter: Some(Box::new(|q: &str, t: i64| Ok(Some(format!("{q} @ {}", t / 1000))))),
    };
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &opts);
    assert_eq!(r.results[0].outcome, Outcome::Passed, "{:?}", e.calls);
    assert_eq!(e.calls.len(), 6);
    assert_eq!(at_modifier_eval_times(0), vec![-1000, 0, 1000]);
    assert!(RunOptions::default().at_modifier_rewriter.is_some() && RunOptions::default().check_range_mode);
}

#[test]
fn loads_clears_skips_and_summary() {
    let text = "load 1m\n  a 1 2\n\neval instant at 0 q\n  {} 1\n\neval instant at 0 r\n  {} 1\n\nclear\n\neval instant at 0 q\n  {} 1\n";
    let script = parse_script(text).unwrap();
    let skips = SkipList::parse("# why\nt.test:7   r is not implemented\n").unwrap();
    skips.check(&[("t.test", &script)]).unwrap();
    assert_eq!(skips.reason("t.test", 7), Some("r is not implemented"));
    let mut e = FakeEngine::default();
    e.instant.insert(("q".into(), 0), out(vector(&[(&[], 1.0)])));
    let r = run_script("t.test", &script, &mut e, &skips, &no_range_check());
    assert_eq!(e.clears, 2);
    assert_eq!(e.loaded, Vec::new());
    let outcomes: Vec<_> = r.results.iter().map(|r| (r.line, r.outcome.clone())).collect();
    assert_eq!(
        outcomes,
        vec![
            (4, Outcome::Passed),
            (7, Outcome::Skipped("r is not implemented".into())),
            (12, Outcome::Passed)
        ]
    );

    // A failed load fails the evals after it, up to the next clear, and counts as an error.
    let mut e = FakeEngine { load_error: Some("bad data".into()), ..Default::default() };
    e.instant.insert(("q".into(), 0), out(vector(&[(&[], 1.0)])));
    let r = run_script("t.test", &script, &mut e, &SkipList::default(), &no_range_check());
    assert!(matches!(&r.results[0].outcome, Outcome::Failed(m) if m.contains("bad data")));
    assert_eq!(r.results[2].outcome, Outcome::Passed);
    let summary = Summary { files: vec![r] };
    assert_eq!((summary.passed(), summary.failed(), summary.skipped()), (1, 3, 0));
    let text = summary.to_string();
    assert!(text.ends_with("\n1 passed, 3 failed, 0 skipped"), "{text}");
    assert!(text.contains("ERROR t.test: load at line 1 failed: bad data"), "{text}");
    assert!(text.contains("FAIL t.test:4: q: data not loaded"), "{text}");

    assert!(skips.check(&[("t.test", &parse_script("eval instant at 0 q\n").unwrap())]).is_err());
    assert!(SkipList::parse("t.test:7").is_err());
    assert!(SkipList::parse("t.test  reason").is_err());
    assert!(SkipList::parse("t.test:x  reason").is_err());
    assert!(SkipList::parse("t.test:7  a\nt.test:7  b").is_err());
    assert_eq!(SkipList::parse("t.test:*  all").unwrap().reason("t.test", 99), Some("all"));
}

#[test]
fn loaded_samples_reach_the_engine() {
    let script = parse_script("load 10s\n  a{b=\"c\"} 1 _ stale\n").unwrap();
    let mut e = FakeEngine::default();
    run_script("t.test", &script, &mut e, &SkipList::default(), &range_check_only());
    assert_eq!(e.loaded.len(), 1);
    let (l, pts) = &e.loaded[0];
    assert_eq!(*l, lbl(&[("__name__", "a"), ("b", "c")]));
    assert_eq!(pts[0], (0, Point::Float(1.0)));
    assert!(matches!(pts[1], (20_000, Point::Float(f)) if f.to_bits() == STALE_NAN_BITS));
}
