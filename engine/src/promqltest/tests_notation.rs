//! The script notation: loads, value expansion, histogram literals and their expansion,
//! `load_with_nhcb`, eval blocks and their expectations, and errors with line numbers.

#![allow(clippy::unwrap_used)]

use quiver_proto::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, Labels, Span, is_stale_nan};

use super::*;
use crate::value::Point;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn floats(line: &str) -> Vec<Option<f64>> {
    let (_, vals) = parse_series_desc(line).unwrap();
    vals.iter()
        .map(|v| match v {
            SequenceValue::Omitted => None,
            SequenceValue::Float(f) => Some(*f),
            SequenceValue::Histogram { .. } => panic!("histogram in {line}"),
        })
        .collect()
}

fn hists(line: &str) -> Vec<(FloatHistogram, bool)> {
    let (_, vals) = parse_series_desc(line).unwrap();
    vals.into_iter()
        .map(|v| match v {
            SequenceValue::Histogram { histogram, counter_reset_hint_set } => {
                (histogram, counter_reset_hint_set)
            }
            other => panic!("not a histogram: {other:?}"),
        })
        .collect()
}

fn load_of(script: &str) -> LoadCmd {
    match &parse_script(script).unwrap().commands[0] {
        Command::Load(l) => l.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn format_md_load_example() {
    let l = load_of(
        "load 1m\n    my_metric{env=\"prod\"} 5 2+3x2 _ stale {{schema:1 sum:3 count:22 buckets:[5 10 7]}}\n",
    );
    assert_eq!((l.line, l.interval_ms, l.with_nhcb), (1, 60_000, false));
    let samples = l.samples().unwrap();
    assert_eq!(samples.len(), 1);
    let (lbls, pts) = &samples[0];
    assert_eq!(*lbls, labels(&[("__name__", "my_metric"), ("env", "prod")]));
    let ts: Vec<i64> = pts.iter().map(|(t, _)| *t).collect();
    assert_eq!(ts, vec![0, 60_000, 120_000, 180_000, 300_000, 360_000]);
    let fl: Vec<f64> =
        pts[..4].iter().map(|(_, p)| if let Point::Float(f) = p { *f } else { panic!() }).collect();
    assert_eq!(fl, vec![5.0, 2.0, 5.0, 8.0]);
    assert!(matches!(pts[4].1, Point::Float(f) if is_stale_nan(f)));
    let Point::Histogram(h) = &pts[5].1 else { panic!() };
    assert_eq!((h.schema, h.sum, h.count), (1, 3.0, 22.0));
    assert_eq!(h.positive_spans, vec![Span { offset: 0, length: 3 }]);
    assert_eq!(h.positive_buckets, vec![5.0, 10.0, 7.0]);
}

#[test]
fn expanding_float_notation() {
    assert_eq!(floats("m 1+2x3"), vec![Some(1.0), Some(3.0), Some(5.0), Some(7.0)]);
    assert_eq!(floats("m 1-2x3"), vec![Some(1.0), Some(-1.0), Some(-3.0), Some(-5.0)]);
    assert_eq!(floats("m -1+1x2"), vec![Some(-1.0), Some(0.0), Some(1.0)]);
    assert_eq!(floats("m 5x2 _x3 _"), vec![Some(5.0), Some(5.0), Some(5.0), None, None, None, None]);
    assert_eq!(floats("m 1x0 _x0"), vec![Some(1.0)]);
    assert_eq!(
        floats("m -2.5 .5 1e3 +4 010 1_000"),
        vec![Some(-2.5), Some(0.5), Some(1000.0), Some(4.0), Some(8.0), Some(1000.0)]
    );
    assert_eq!(
        floats("m Inf -Inf inf"),
        vec![Some(f64::INFINITY), Some(f64::NEG_INFINITY), Some(f64::INFINITY)]
    );
    let v = floats("m NaN stale Inf+0x1");
    assert!(v[0].unwrap().is_nan() && !is_stale_nan(v[0].unwrap()));
    assert!(is_stale_nan(v[1].unwrap()));
    assert_eq!(&v[2..], &[Some(f64::INFINITY), Some(f64::INFINITY)]);
    // Increments accumulate by addition, as in Go.
    assert_eq!(floats("m 0+0.1x3")[3], Some(0.1 + 0.1 + 0.1));
    assert!(floats("m").is_empty());
    assert!(floats("m  ").is_empty());
}

#[test]
fn series_labels() {
    let (l, _) = parse_series_desc(r#"{__name__="up", job="a\"b", x='y', z=`w\n`, empty=""}"#).unwrap();
    assert_eq!(l, labels(&[("__name__", "up"), ("job", "a\"b"), ("x", "y"), ("z", "w\\n")]));
    let (l, _) = parse_series_desc(r#"metric:sum{a="1",} 1"#).unwrap();
    assert_eq!(l, labels(&[("__name__", "metric:sum"), ("a", "1")]));
    let (l, _) = parse_series_desc(r#"{"quoted_name", a="1"} 1"#).unwrap();
    assert_eq!(l, labels(&[("__name__", "quoted_name"), ("a", "1")]));
    let (l, _) = parse_series_desc(r#"sum{__name__="other"} 1"#).unwrap();
    assert_eq!(l, labels(&[("__name__", "sum")]));
    let (l, v) = parse_series_desc("{} 3").unwrap();
    assert!(l.is_empty() && v == vec![SequenceValue::Float(3.0)]);
}

#[test]
fn histogram_literal_fields() {
    let h = hists(
        "m {{schema:-53 sum:-3.5 count:22 z_bucket:1 z_bucket_w:0.001 offset:2 buckets:[5 10 7] n_offset:-1 n_buckets:[1 Inf] custom_values:[1 2.5 5] counter_reset_hint:gauge}}",
    );
    let (h, set) = &h[0];
    assert!(*set);
    assert_eq!(h.schema, CUSTOM_BUCKETS_SCHEMA);
    assert_eq!((h.sum, h.count, h.zero_count, h.zero_threshold), (-3.5, 22.0, 1.0, 0.001));
    assert_eq!(h.positive_spans, vec![Span { offset: 2, length: 3 }]);
    assert_eq!(h.negative_spans, vec![Span { offset: -1, length: 2 }]);
    assert_eq!(h.negative_buckets, vec![1.0, f64::INFINITY]);
    assert_eq!(h.custom_values, vec![1.0, 2.5, 5.0]);
    assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
    let empty = hists("m {{}} {{ }} {{count:1 }}");
    assert_eq!(empty[0].0, FloatHistogram::default());
    assert!(!empty[0].1);
    assert_eq!(empty[1].0, FloatHistogram::default());
    assert_eq!(empty[2].0.count, 1.0);
    // An offset without buckets gives no span.
    assert!(hists("m {{offset:3}}")[0].0.positive_spans.is_empty());
    for (word, hint) in [
        ("unknown", CounterResetHint::Unknown),
        ("reset", CounterResetHint::CounterReset),
        ("not_reset", CounterResetHint::NotCounterReset),
    ] {
        let h = hists(&format!("m {{{{counter_reset_hint:{word}}}}}"));
        assert_eq!(h[0], (FloatHistogram { counter_reset_hint: hint, ..Default::default() }, true));
    }
}

#[test]
fn histogram_expansion() {
    let h = hists("m {{schema:0 sum:4 count:4 buckets:[1 2 1]}}+{{sum:2 count:1 buckets:[1] offset:1}}x2");
    assert_eq!(h.len(), 3);
    assert_eq!(h[1].0.positive_buckets, vec![1.0, 3.0, 1.0]);
    assert_eq!(h[2].0.positive_buckets, vec![1.0, 4.0, 1.0]);
    assert_eq!((h[2].0.sum, h[2].0.count), (8.0, 6.0));
    assert_eq!(h[2].0.positive_spans, vec![Span { offset: 0, length: 3 }]);
    assert!(h.iter().all(|(_, set)| !set));

    // A bucket outside the existing spans is inserted, spans adjusted.
    let h = hists("m {{buckets:[1] offset:2}}+{{buckets:[1 1] offset:-1}}x1");
    assert_eq!(h[1].0.positive_spans, vec![Span { offset: -1, length: 2 }, Span { offset: 1, length: 1 }]);
    assert_eq!(h[1].0.positive_buckets, vec![1.0, 1.0, 1.0]);

    // The increment's hint flag applies to the whole series; hints combine as in Add.
    let h = hists("m {{sum:2 count:2}}+{{sum:1 count:3 counter_reset_hint:gauge}}x2");
    assert!(h.iter().all(|(_, set)| *set));
    assert_eq!(h[0].0.counter_reset_hint, CounterResetHint::Unknown);
    assert_eq!(h[1].0.counter_reset_hint, CounterResetHint::Gauge);

    // Lower-resolution receiver: the increment is reduced to schema -1.
    let h = hists(
        "m {{schema:-1 sum:4 count:1 buckets:[1] offset:1}}+{{schema:0 sum:4 count:4 buckets:[2 2] offset:1}}x1",
    );
    assert_eq!((h[1].0.schema, h[1].0.count, h[1].0.sum), (-1, 5.0, 8.0));
    assert_eq!(h[1].0.positive_spans, vec![Span { offset: 1, length: 1 }]);
    assert_eq!(h[1].0.positive_buckets, vec![5.0]);
    assert!(parse_series_desc("m {{schema:1}}+{{schema:0}}x1").is_err());

    // Subtraction, repetition, and negative buckets.
    let h = hists(
        "m {{sum:10 count:10 buckets:[5 5] n_buckets:[2]}}-{{sum:1 count:2 buckets:[1 1] n_buckets:[1]}}x2",
    );
    assert_eq!(h[2].0.positive_buckets, vec![3.0, 3.0]);
    assert_eq!(h[2].0.negative_buckets, vec![0.0]);
    assert_eq!((h[2].0.sum, h[2].0.count), (8.0, 6.0));
    let h = hists("m {{count:1 counter_reset_hint:reset}}x2");
    assert_eq!(h.len(), 3);
    assert!(h.iter().all(|(x, set)| *set && x.counter_reset_hint == CounterResetHint::CounterReset));

    // Custom buckets: same bounds add bucket-wise, different bounds meet on the intersection.
    let h = hists(
        "m {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}+{{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}x2",
    );
    assert_eq!(h[2].0.positive_buckets, vec![3.0]);
    assert_eq!(h[2].0.custom_values, vec![5.0, 10.0]);
    let h = hists(
        "m {{schema:-53 custom_values:[1 2 3] buckets:[1 1 1 1]}}+{{schema:-53 custom_values:[2 4] buckets:[1 1 1]}}x1",
    );
    assert_eq!(h[1].0.custom_values, vec![2.0]);
    assert_eq!(h[1].0.positive_buckets, vec![3.0, 4.0]);
    assert!(parse_series_desc("m {{schema:-53 custom_values:[1] buckets:[1]}}+{{buckets:[1]}}x1").is_err());

    // Different zero thresholds are reconciled: the bucket (0.5, 1] falls into the zero bucket.
    let h = hists(
        "m {{schema:0 z_bucket_w:1 z_bucket:1 count:1}}+{{schema:0 z_bucket_w:0.5 z_bucket:1 buckets:[2 3] count:5}}x1",
    );
    assert_eq!((h[1].0.zero_threshold, h[1].0.zero_count), (1.0, 4.0));
    assert_eq!(h[1].0.positive_spans, vec![Span { offset: 1, length: 1 }]);
    assert_eq!(h[1].0.positive_buckets, vec![3.0]);
}

#[test]
fn load_with_nhcb_builds_custom_bucket_histograms() {
    let l = load_of(
        "load_with_nhcb 5m\n\th_bucket{le=\"0.1\", job=\"a\"} 0+1x2\n\th_bucket{le=\"1e0\", job=\"a\"} 0+3x2\n\th_bucket{le=\"+Inf\", job=\"a\"} 0+4x2\n\th_sum{job=\"a\"} 0+2x2\n\tother 1 2 3\n",
    );
    assert!(l.with_nhcb);
    let samples = l.samples().unwrap();
    assert_eq!(samples.len(), 6);
    let (lbls, pts) = &samples[5];
    assert_eq!(*lbls, labels(&[("__name__", "h"), ("job", "a")]));
    assert_eq!(pts.iter().map(|(t, _)| *t).collect::<Vec<_>>(), vec![0, 300_000, 600_000]);
    let h: Vec<&FloatHistogram> =
        pts.iter().map(|(_, p)| if let Point::Histogram(h) = p { h } else { panic!() }).collect();
    assert!(h.iter().all(|h| h.schema == CUSTOM_BUCKETS_SCHEMA && h.custom_values == vec![0.1, 1.0]));
    assert!(h[0].positive_spans.is_empty() && h[0].positive_buckets.is_empty() && h[0].count == 0.0);
    assert_eq!((h[2].count, h[2].sum), (8.0, 4.0));
    assert_eq!(h[2].positive_spans, vec![Span { offset: 0, length: 3 }]);
    assert_eq!(h[2].positive_buckets, vec![2.0, 4.0, 2.0]);

    // Integer counts are compacted keeping up to two empty buckets inside a span, float counts
    // drop them; without a +Inf bucket the count is the highest bucket's.
    let l = load_of(
        "load_with_nhcb 1m\n a_bucket{le=\"1\"} 1\n a_bucket{le=\"2\"} 1\n a_bucket{le=\"3\"} 2\n b_bucket{le=\"1\"} 0.5\n b_bucket{le=\"2\"} 0.5\n b_bucket{le=\"3\"} 2\n",
    );
    let samples = l.samples().unwrap();
    let hist = |name: &str| -> FloatHistogram {
        let (_, pts) = samples.iter().find(|(l, _)| l.metric_name() == Some(name)).unwrap();
        let Point::Histogram(h) = &pts[0].1 else { panic!() };
        h.clone()
    };
    let a = hist("a");
    assert_eq!(
        (a.positive_spans.clone(), a.positive_buckets.clone(), a.count),
        (vec![Span { offset: 0, length: 3 }], vec![1.0, 0.0, 1.0], 2.0)
    );
    assert_eq!(a.custom_values, vec![1.0, 2.0, 3.0]);
    let b = hist("b");
    assert_eq!(b.positive_spans, vec![Span { offset: 0, length: 1 }, Span { offset: 1, length: 1 }]);
    assert_eq!(b.positive_buckets, vec![0.5, 1.5]);

    let bad = load_of("load_with_nhcb 1m\n c_bucket{le=\"1\"} 5\n c_bucket{le=\"2\"} 3\n");
    assert!(bad.samples().unwrap_err().contains("not cumulative"));
    let no_le = load_of("load_with_nhcb 1m\n d_bucket 5\n");
    assert!(no_le.samples().is_err());
}

#[test]
fn load_details() {
    let l = load_of("load 30s\n a 1 2\n a 3\n b _ 1\n");
    let s = l.samples().unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].1, vec![(0, Point::Float(3.0))]);
    assert_eq!(s[1].1, vec![(30_000, Point::Float(1.0))]);
    let l =
        load_of("load 1m\n series@st  _ _ -1m -1s\n series 1 2 3 4\n c@st 0-1mx2 5s+1sx1\n c 1 1 1 1 1\n");
    assert_eq!(l.series[0].start_timestamps, Some(vec![None, None, Some(-60_000), Some(-1_000)]));
    assert_eq!(
        l.series[1].start_timestamps,
        Some(vec![Some(0), Some(-60_000), Some(-120_000), Some(5_000), Some(6_000)])
    );
    assert!(parse_script("load 1m\n a@st _\n b 1\n").is_err());
    assert!(parse_script("load 1m\n a@st _ _\n a 1\n").is_err());
    assert!(parse_script("load 1m\n a@st _\n").is_err());
}

#[test]
fn eval_commands_and_expectations() {
    let script = r#"
# comment
eval instant at 1m30s sum(x)
  expect warn msg: PromQL warning: something (1:5)
  expect info regex: PromQL info: .*
  expect no_warn_ish
{a="1"} 1

eval range from 0 to 2m step 1m rate(x[5m])
  expect no_info
  x{a="b"} 1 _ 3
  expect ordered

eval instant at 0 count(y)
  2

eval_fail instant at 1m foo
  expected_fail_message some error

eval_ordered instant at 5m topk(1, x)
  {a="2"} 1
  {a="1"} 2

eval instant at 50m "Foo"
  expect string `Foo`

eval instant at 1m x[1m]
  expect range vector from 10s to 1m step 10s
  x 1 2 3 4 5 6
"#;
    // `expect no_warn_ish` is not a valid expect line.
    let err = parse_script(script).unwrap_err();
    assert_eq!(err.line, 6, "{err}");
    let script = parse_script(&script.replace("  expect no_warn_ish\n", "")).unwrap();
    let evals: Vec<&EvalCmd> = script.evals().collect();
    assert_eq!(evals.len(), 7);
    let e = evals[0];
    assert_eq!((e.line, e.expr.as_str(), e.kind), (3, "sum(x)", EvalKind::Instant { at_ms: 90_000 }));
    assert_eq!(e.expects.len(), 2);
    assert!(e.expects[0].matcher.matches("PromQL warning: something (1:5)"));
    assert!(!e.expects[0].matcher.matches("PromQL warning: something (1:6)"));
    assert!(e.expects[1].matcher.matches("PromQL info: anything"));
    assert_eq!(e.expected_series[0].labels, labels(&[("a", "1")]));
    let e = evals[1];
    assert_eq!(e.kind, EvalKind::Range { start_ms: 0, end_ms: 120_000, step_ms: 60_000 });
    assert!(e.is_ordered() && e.has_expect(ExpectKind::NoInfo));
    assert_eq!(
        e.expected_series[0].values,
        vec![SequenceValue::Float(1.0), SequenceValue::Omitted, SequenceValue::Float(3.0)]
    );
    assert_eq!(evals[2].expected_scalar, Some(2.0));
    assert!(evals[3].is_fail() && evals[3].expected_fail_message.as_deref() == Some("some error"));
    let e = evals[4];
    assert!(e.is_ordered());
    assert_eq!(e.expected_series.iter().map(|s| s.pos).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(evals[5].expected_string.as_deref(), Some("Foo"));
    assert!(evals[5].exclude_from_range_query);
    let e = evals[6];
    assert_eq!(e.range_vector, Some((10_000, 60_000, 10_000)));
    assert_eq!((e.eval_time_ms(), e.window()), (60_000, (10_000, 60_000, 10_000)));
    assert!(matches!(script.commands.last(), Some(Command::Eval(_))));
}

#[test]
fn malformed_scripts_report_lines() {
    let cases: &[(&str, usize)] = &[
        ("load 1m\n  a 1\nfoo bar\n", 3),
        ("\n\nload xyz\n a 1\n", 3),
        ("load 1m\n a{b=\"c} 1\n", 2),
        ("load 1m\n a 1 2x\n", 2),
        ("load 1m\n a 1+x3\n", 2),
        ("load 1m\n a {{schema:1 foo:2}}\n", 2),
        ("load 1m\n a {{buckets:[]}}\n", 2),
        ("load 1m\n a {{sum:1 sum:2}}\n", 2),
        ("load 1m\n a 1e400\n", 2),
        ("load 1m\n a{b=~\"c\"} 1\n", 2),
        ("eval instant 5m foo\n", 1),
        ("eval instant at xx foo\n", 1),
        ("eval range from 5m to 1m step 1m foo\n", 1),
        ("eval instant at 1m foo\n  a 1 2\n", 2),
        ("eval instant at 1m foo\n  expect warn\n  expect no_warn\n", 3),
        ("eval instant at 1m foo\n  expect fail\n  expect fail\n", 3),
        ("eval instant at 1m foo\n  expect info regex: (\n", 2),
        ("eval instant at 1m foo\n  expect string Foo\n", 2),
        ("eval instant at 1m foo\n  expect range vector from 1m\n", 2),
        ("clear\neval_fail instant at 1m foo\n expected_fail_regexp (\n", 3),
    ];
    for (script, line) in cases {
        let err = parse_script(script).unwrap_err();
        assert_eq!(err.line, *line, "{script:?}: {err}");
    }
}
