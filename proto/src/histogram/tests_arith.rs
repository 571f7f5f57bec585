//! Add, Sub, KahanAdd, Mul and Div against Prometheus's own test vectors
//! (model/histogram/float_histogram_test.go: TestFloatHistogramAdd, TestFloatHistogramSub,
//! TestKahanAddWithCompHistogram, TestFloatHistogramMul, TestFloatHistogramDiv).

use super::testutil::{Case, assert_fh, cases, fh};
use super::{CounterResetHint, FloatHistogram, HistogramErrorKind, Span};

/// Prometheus's `testHistogramAdd` (and `testFloatHistogramSub` with `sub`).
fn check_add(case: &Case, a: &FloatHistogram, b: &FloatHistogram, want: Option<&FloatHistogram>, sub: bool) {
    let ctx = format!("{} ({})", case.name, if sub { "sub" } else { "add" });
    a.validate().unwrap();
    b.validate().unwrap();
    let mut x = a.go_copy();
    let y = b.go_copy();
    let res = if sub { x.sub(&y) } else { x.add(&y) };
    match case.get("err") {
        Some(msg) => assert_eq!(res.unwrap_err().to_string(), msg, "{ctx}"),
        None => {
            let outcome = res.unwrap();
            assert_eq!(outcome.counter_reset_collision, case.flag("collision"), "{ctx}");
            assert_eq!(outcome.nhcb_bounds_reconciled, case.flag("reconciled"), "{ctx}");
        }
    }
    if let Some(want) = want {
        x.compact(0);
        let mut want = want.go_copy();
        want.compact(0);
        assert_fh(&x, &want, &ctx);
        assert_fh(&y, &b.go_copy(), &ctx);
    }
}

/// Prometheus's `testHistogramKahanAdd`: KahanAdd, then Add of the compensation.
fn check_kahan_add(case: &Case, a: &FloatHistogram, c: Option<&FloatHistogram>, b: &FloatHistogram) {
    let ctx = format!("{} (kahan)", case.name);
    let mut x = a.go_copy();
    let y = b.go_copy();
    let mut comp = c.map_or_else(|| x.new_compensation(), FloatHistogram::go_copy);
    match x.kahan_add(&y, &mut comp) {
        Err(e) => assert_eq!(Some(e.to_string().as_str()), case.get("err"), "{ctx}"),
        Ok(outcome) => {
            assert_eq!(case.get("err"), None, "{ctx}");
            assert_eq!(outcome.counter_reset_collision, case.flag("collision"), "{ctx}");
            assert_eq!(outcome.nhcb_bounds_reconciled, case.flag("reconciled"), "{ctx}");
            assert_eq!(x.schema, comp.schema, "{ctx}");
            assert_eq!(x.zero_threshold, comp.zero_threshold, "{ctx}");
            assert_eq!(x.positive_spans, comp.positive_spans, "{ctx}");
            assert_eq!(x.negative_spans, comp.negative_spans, "{ctx}");
            assert_eq!(x.custom_values.len(), comp.custom_values.len(), "{ctx}");
            assert_eq!(x.positive_buckets.len(), comp.positive_buckets.len(), "{ctx}");
            assert_eq!(x.negative_buckets.len(), comp.negative_buckets.len(), "{ctx}");
            x.add(&comp).unwrap();
        }
    }
    if let Some(want) = case.get("expected") {
        x.compact(0);
        let mut want = fh(want).go_copy();
        want.compact(0);
        assert_fh(&x, &want, &ctx);
    }
}

#[test]
fn add_prometheus_cases() {
    let all = cases(ADD);
    assert_eq!(all.len(), 24);
    for case in &all {
        let (in1, in2) = (case.fh("in1"), case.fh("in2"));
        let want = case.get("expected").map(fh);
        check_add(case, &in1, &in2, want.as_ref(), false);
        check_add(case, &in2, &in1, want.as_ref(), false);
        check_kahan_add(case, &in1, None, &in2);
        check_kahan_add(case, &in2, None, &in1);
    }
}

#[test]
fn sub_prometheus_cases() {
    let all = cases(SUB);
    assert_eq!(all.len(), 6);
    for case in &all {
        let (in1, in2) = (case.fh("in1"), case.fh("in2"));
        let want = case.get("expected").map(fh);
        check_add(case, &in1, &in2, want.as_ref(), true);
        let negated = want.map(|w| {
            let mut n = w.go_copy();
            n.mul(-1.0);
            n.counter_reset_hint = w.counter_reset_hint;
            n
        });
        check_add(case, &in2, &in1, negated.as_ref(), true);
    }
}

#[test]
fn kahan_add_with_compensation_prometheus_cases() {
    let all = cases(KAHAN_ADD_WITH_COMP);
    assert_eq!(all.len(), 6);
    for case in &all {
        let comp = case.get("comp").map(fh);
        check_kahan_add(case, &case.fh("in1"), comp.as_ref(), &case.fh("in2"));
    }
}

#[test]
fn mul_prometheus_cases() {
    for case in cases(MUL) {
        let mut h = case.fh("in");
        h.mul(case.req("scale").parse().unwrap());
        assert_fh(&h, &case.fh("expected"), &case.name);
    }
}

#[test]
fn div_prometheus_cases() {
    for case in cases(DIV) {
        let mut h = case.fh("in");
        h.div(case.req("scale").replace("Inf", "inf").parse().unwrap());
        assert_fh(&h, &case.fh("expected"), &case.name);
    }
}

#[test]
fn kahan_sum_is_more_accurate_than_plain_sum() {
    // Summing 1e16 + 1 + 1 + ... - 1e16 loses the ones without compensation.
    let big = fh("c:1e16 sum:1e16 p:0/1 pb:1e16");
    let one = fh("c:1 sum:1 p:0/1 pb:1");
    let neg = fh("c:-1e16 sum:-1e16 p:0/1 pb:-1e16 hint:gauge");
    let mut plain = big.clone();
    let mut kahan = big.clone();
    let mut comp = kahan.new_compensation();
    for _ in 0..10 {
        plain.add(&one).unwrap();
        kahan.kahan_add(&one, &mut comp).unwrap();
    }
    plain.add(&neg).unwrap();
    kahan.kahan_add(&neg, &mut comp).unwrap();
    kahan.add(&comp).unwrap();
    assert_eq!(kahan.count, 10.0);
    assert_eq!(kahan.positive_buckets, vec![10.0]);
    assert_ne!(plain.count, 10.0);
}

#[test]
fn add_errors_instead_of_panicking() {
    let good = fh("c:3 sum:1 p:0/2 pb:1,2");
    // Spans needing more buckets than there are, and a negative offset after the first span.
    for bad in ["c:3 p:0/3 pb:1,2", "c:3 p:0/1,-2/1 pb:1,2", "c:1 p:0/4294967295 pb:1"] {
        let bad = fh(bad);
        for (mut x, y) in [(good.clone(), bad.clone()), (bad.clone(), good.clone())] {
            let before = x.clone();
            let err = x.add(&y).unwrap_err();
            assert_eq!(err.kind(), HistogramErrorKind::SpansBucketsMismatch);
            assert_eq!(x, before, "unchanged on error");
            assert!(x.sub(&y).is_err());
            let mut c = x.new_compensation();
            assert!(x.kahan_add(&y, &mut c).is_err());
        }
    }
    // A compensation histogram of the wrong shape.
    let mut x = good.clone();
    let mut c = FloatHistogram::default();
    assert!(x.kahan_add(&good, &mut c).is_err());
    // Exponential and custom buckets do not mix.
    let mut x = good.clone();
    let err = x.add(&fh("s:-53 c:1 p:0/1 pb:1 cv:1")).unwrap_err();
    assert_eq!(err.kind(), HistogramErrorKind::IncompatibleSchema);
}

#[test]
fn add_with_nan_and_inf() {
    let mut a = fh("zt:0.001 c:2 sum:NaN p:0/1 pb:2");
    a.add(&fh("zt:0.001 c:1 sum:inf p:0/1 pb:1")).unwrap();
    assert!(a.sum.is_nan());
    assert_eq!(a.count, 3.0);
    let mut b = fh("c:1 sum:inf p:0/1 pb:1");
    b.add(&fh("c:1 sum:inf p:0/1 pb:1")).unwrap();
    assert_eq!(b.sum, f64::INFINITY);
    b.sub(&fh("c:1 sum:inf p:0/1 pb:1")).unwrap();
    assert!(b.sum.is_nan());
    // NaN zero thresholds must not hang the zero bucket reconciliation.
    let mut c = fh("zt:NaN zc:1 c:2 p:0/1 pb:1");
    c.add(&fh("zt:0.5 zc:1 c:2 p:0/1 pb:1")).unwrap();
    assert!(c.zero_threshold.is_nan());
    // Adding to an empty schema-0 histogram reduces the other one to schema 0: its buckets
    // -1 and 0 of schema 2, (0.71,0.84] and (0.84,1], both fall into bucket 0, (0.5,1].
    let mut e = FloatHistogram::default();
    let other = fh("s:2 zt:0.01 zc:1 c:4 sum:3 p:-1/2 pb:1,2");
    e.add(&other).unwrap();
    assert_eq!(e.positive_buckets, vec![3.0]);
    assert_eq!(e.positive_spans, vec![Span { offset: 0, length: 1 }]);
    assert_eq!(e.zero_threshold, 0.01);
    assert_eq!((e.schema, e.count, e.zero_count), (0, 4.0, 1.0));
    // Adding an empty histogram of the same schema changes nothing.
    let mut o = other.clone();
    o.add(&fh("s:2")).unwrap();
    assert_eq!(o, other);
}

#[test]
fn mul_div_set_gauge_hint() {
    let mut h = fh("c:2 sum:2 p:0/1 pb:2 hint:reset");
    h.mul(2.0);
    assert_eq!(h.counter_reset_hint, CounterResetHint::CounterReset);
    h.div(-2.0);
    assert_eq!(h.counter_reset_hint, CounterResetHint::Gauge);
    let mut z = fh("zc:1 c:2 sum:-2 p:0/1 pb:2");
    z.div(0.0);
    assert_eq!((z.count, z.sum, z.zero_count), (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY));
    assert!(z.positive_buckets.is_empty() && z.positive_spans.is_empty());
}

const ADD: &str = r#"
== same bucket layout
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.01 zc:8 c:21 sum:1.234 p:-2/2,1/3 pb:0,0,2,3,6 n:3/2,3/2 nb:1,1,4,4
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/2,1/3 pb:1,0,5,7,13 n:3/2,3/2 nb:4,2,9,10
== same bucket layout, defined differently
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,1/1,0/2 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.01 zc:8 c:21 sum:1.234 p:-2/2,1/2,0/1 pb:0,0,2,3,6 n:3/7 nb:1,1,0,0,0,4,4
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/2,1/1,0/2 pb:1,0,5,7,13 n:3/5,0/2 nb:4,2,0,0,0,9,10
== non-overlapping spans
in1: zt:0.001 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.001 zc:8 c:21 sum:1.234 p:0/2,3/3 pb:5,4,2,3,6 n:-9/2,3/2 nb:1,1,4,4
expected: zt:0.001 zc:19 c:51 sum:3.579 p:-2/4,0/6 pb:1,0,5,4,3,4,7,2,3,6 n:-9/2,3/2,5/2,3/2 nb:1,1,4,4,3,1,5,6
== non-overlapping spans inverted order
in1: zt:0.01 zc:8 c:21 sum:1.234 p:0/2,3/3 pb:5,4,2,3,6 n:-6/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/2,0/5,0/3 pb:1,0,5,4,3,4,7,2,3,6 n:-6/2,1/2,4/2,3/2 nb:1,1,4,4,3,1,5,6
== overlapping spans
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.01 zc:8 c:21 sum:1.234 p:-1/4,0/3 pb:5,4,2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/4,0/4 pb:1,5,4,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== overlapping spans inverted order
in1: zt:0.01 zc:8 c:21 sum:1.234 p:-1/4,0/3 pb:5,4,2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/5,0/3 pb:1,5,4,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== schema change
in1: zt:0.01 zc:8 c:21 sum:1.234 s:0 p:-1/4,0/3 pb:5,4,2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 s:1 p:-4/3,5/5 pb:1,0,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.01 zc:19 c:51 sum:3.579 p:-2/5,0/3 pb:1,5,4,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== larger zero bucket in first histogram
in1: zt:1 zc:17 c:21 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
expected: zt:1 zc:29 c:51 sum:3.579 p:1/2,0/3 pb:2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== larger zero bucket in second histogram
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:1 zc:17 c:21 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
expected: zt:1 zc:29 c:51 sum:3.579 p:1/5 pb:2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== larger zero threshold in first histogram ends up inside a populated bucket of second histogram
in1: zt:0.2 zc:17 c:21 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
expected: zt:0.25 zc:29 c:51 sum:3.579 p:-1/1,1/5 pb:0,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== larger zero threshold in second histogram ends up inside a populated bucket of first histogram
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.2 zc:17 c:21 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
expected: zt:0.25 zc:29 c:51 sum:3.579 p:1/5 pb:2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== schema change combined with larger zero bucket in second histogram
in1: zt:0.01 zc:8 c:21 sum:1.234 s:0 p:-2/5,0/3 pb:2,5,4,2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.25 zc:12 c:30 sum:2.345 s:1 p:-3/2,5/5 pb:1,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.25 zc:22 c:51 sum:3.579 p:-1/7 pb:6,4,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== schema change combined with larger zero bucket in first histogram
in1: zt:0.25 zc:8 c:21 sum:1.234 s:0 p:-1/4,0/3 pb:5,4,2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 s:1 p:-4/3,5/5 pb:1,0,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.25 zc:20 c:51 sum:3.579 p:-1/4,0/3 pb:5,4,2,6,10,9,5 n:3/3,1/3 nb:3,2,1,4,9,6
== same custom bucket layout
in1: s:-53 c:15 sum:2.345 p:0/2,1/3 pb:1,0,3,4,7 cv:1,2,3,4,5
in2: s:-53 c:11 sum:1.234 p:0/2,1/3 pb:0,0,2,3,6 cv:1,2,3,4,5
expected: s:-53 c:26 sum:3.579 p:0/2,1/3 pb:1,0,5,7,13 cv:1,2,3,4,5
== same custom bucket layout, defined differently
in1: s:-53 c:15 sum:2.345 p:0/2,1/1,0/2 pb:1,0,3,4,7 cv:1,2,3,4,5
in2: s:-53 c:11 sum:1.234 p:0/2,1/2,0/1 pb:0,0,2,3,6 cv:1,2,3,4,5
expected: s:-53 c:26 sum:3.579 p:0/2,1/1,0/2 pb:1,0,5,7,13 cv:1,2,3,4,5
== non-overlapping spans with custom buckets
in1: s:-53 c:15 sum:2.345 p:0/2,2/3 pb:1,0,3,4,7 cv:1,2,3,4,5,6,7,8,9
in2: s:-53 c:20 sum:1.234 p:2/2,3/3 pb:5,4,2,3,6 cv:1,2,3,4,5,6,7,8,9
expected: s:-53 c:35 sum:3.579 p:0/4,0/6 pb:1,0,5,4,3,4,7,2,3,6 cv:1,2,3,4,5,6,7,8,9
== non-overlapping spans inverted order with custom buckets
in1: s:-53 c:20 sum:1.234 p:2/2,3/3 pb:5,4,2,3,6 cv:1,2,3,4,5,6,7,8,9
in2: s:-53 c:15 sum:2.345 p:0/2,2/3 pb:1,0,3,4,7 cv:1,2,3,4,5,6,7,8,9
expected: s:-53 c:35 sum:3.579 p:0/4,0/6 pb:1,0,5,4,3,4,7,2,3,6 cv:1,2,3,4,5,6,7,8,9
== overlapping spans with custom buckets
in1: s:-53 c:15 sum:2.345 p:0/2,2/3 pb:1,0,3,4,7 cv:1,2,3,4,5,6,7
in2: s:-53 c:27 sum:1.234 p:1/4,0/3 pb:5,4,2,3,6,2,5 cv:1,2,3,4,5,6,7
expected: s:-53 c:42 sum:3.579 p:0/4,0/4 pb:1,5,4,2,6,10,9,5 cv:1,2,3,4,5,6,7
== overlapping spans inverted order with custom buckets
in1: s:-53 c:27 sum:1.234 p:1/4,0/3 pb:5,4,2,3,6,2,5 cv:1,2,3,4,5,6,7
in2: s:-53 c:15 sum:2.345 p:0/2,2/3 pb:1,0,3,4,7 cv:1,2,3,4,5,6,7
expected: s:-53 c:42 sum:3.579 p:0/4,0/4 pb:1,5,4,2,6,10,9,5 cv:1,2,3,4,5,6,7
== custom buckets with partial intersection
in1: s:-53 c:10 sum:100 p:0/3 pb:2,3,5 cv:1,2.5
in2: s:-53 c:8 sum:80 p:0/4 pb:1,2,3,2 cv:1,2,3
expected: s:-53 c:18 sum:180 p:0/2 pb:3,15 cv:1
flags: reconciled
== different custom bucket layout - intersection and rollup
in1: s:-53 c:6 sum:2.345 p:0/1,1/1 pb:1,5 cv:2,4
in2: s:-53 c:220 sum:1.234 p:0/2,1/1,0/2 pb:10,20,40,50,100 cv:1,2,3,4,5
expected: s:-53 c:226 sum:3.579 p:0/3 pb:31,40,155 cv:2,4
flags: reconciled
== custom buckets with no common boundaries except +Inf
in1: s:-53 c:3 sum:50 p:0/2 pb:1,2 cv:1.5
in2: s:-53 c:30 sum:40 p:0/2 pb:10,20 cv:2.5
expected: s:-53 c:33 sum:90 p:0/1 pb:33
flags: reconciled
== mix exponential and custom buckets histograms
in1: zt:0.01 zc:8 c:59 sum:1.234 s:0 p:-2/5,0/3 pb:2,5,4,2,3,6,7,5 n:3/3,1/3 nb:4,10,1,4,14,7
in2: s:-53 c:11 sum:12 p:0/2,1/3 pb:0,0,2,3,6 cv:1,2,3,4,5
err: cannot apply this operation on histograms with a mix of exponential and custom bucket schemas
== warn on counter reset hint collision
in1: s:-53 hint:reset
in2: s:-53 hint:notreset
flags: collision
"#;

const SUB: &str = r#"
== same bucket layout
in1: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:0.01 zc:8 c:21 sum:12 p:-2/2,1/3 pb:0,0,2,3,6 n:3/2,3/2 nb:1,1,4,4
expected: zt:0.01 zc:3 c:9 sum:11 p:-2/2,1/3 pb:1,0,1,1,1 n:3/2,3/2 nb:2,0,1,2
== schema change
in1: zt:0.01 zc:8 c:59 sum:1.234 s:0 p:-2/5,0/3 pb:2,5,4,2,3,6,7,5 n:3/3,1/3 nb:4,10,1,4,14,7
in2: zt:0.01 zc:2 c:19 sum:0.345 s:1 p:-4/3,5/5 pb:1,0,0,1,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.01 zc:6 c:40 sum:0.889 p:-2/5,0/3 pb:1,5,4,2,2,2,0,5 n:3/3,1/3 nb:1,9,1,4,9,1
== same custom bucket layout
in1: s:-53 c:15 sum:23 p:0/2,1/3 pb:1,0,3,4,7 cv:1,2,3,4,5
in2: s:-53 c:11 sum:12 p:0/2,1/3 pb:0,0,2,3,6 cv:1,2,3,4,5
expected: s:-53 c:4 sum:11 p:0/2,1/3 pb:1,0,1,1,1 cv:1,2,3,4,5
== different custom bucket layout - with intersection and rollup
in1: s:-53 c:220 sum:9.9 p:0/2,1/1,0/2 pb:10,20,40,50,100 cv:1,2,3,4,5 hint:gauge
in2: s:-53 c:6 sum:4.4 p:0/1,1/1 pb:1,5 cv:2,4 hint:gauge
expected: s:-53 c:214 sum:5.5 p:0/3 pb:29,40,145 cv:2,4 hint:gauge
flags: reconciled
== mix exponential and custom buckets histograms
in1: zt:0.01 zc:8 c:59 sum:1.234 s:0 p:-2/5,0/3 pb:2,5,4,2,3,6,7,5 n:3/3,1/3 nb:4,10,1,4,14,7
in2: s:-53 c:11 sum:12 p:0/2,1/3 pb:0,0,2,3,6 cv:1,2,3,4,5,6
err: cannot apply this operation on histograms with a mix of exponential and custom bucket schemas
== warn on counter reset hint collision
in1: s:-53 hint:reset
in2: s:-53 hint:notreset
flags: collision
"#;

const KAHAN_ADD_WITH_COMP: &str = r#"
== larger zero bucket in first histogram
in1: zt:1 zc:17 c:21 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
in2: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
comp: zt:1 p:1/2,0/3 pb:0.02,0.03,0.06,0.02,0.05 n:4/2,1/2 nb:0.01,0.01,0.04,0.04
expected: zt:1 zc:29 c:51 sum:3.579 p:1/2,0/3 pb:2.02,6.03,10.06,9.02,5.05 n:3/3,1/3 nb:3,2.01,1.01,4.04,9.04,6
== smaller zero bucket in first histogram
in1: zt:0.01 zc:11 c:40 sum:2.345 p:-2/2,2/3 pb:1,2,3,4,7 n:3/2,3/2 nb:3,1,5,6
in2: zt:1 zc:17 c:11 sum:1.234 p:1/2,0/3 pb:2,3,6,2,5 n:4/2,1/2 nb:1,1,4,4
comp: zt:0.01 zc:0 p:-2/2,2/3 pb:0.02,0.03,0.06,0.07,0.05 n:3/2,3/2 nb:0.01,0.01,0.04,0.04
expected: zt:1 zc:31.05 c:51 sum:3.579 p:1/5 pb:2,6.06,10.07,9.05,5 n:3/3,1/3 nb:3.01,2.01,1,4,9.04,6.04
== first histogram contains zero buckets and Compact is called
in1: zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,1/1,1/3 pb:1,3,3,0,7,-6
in2: zt:1 zc:17 c:21 sum:1.234 p:1/2,1/2 pb:2,3,2,5
comp: zt:0.01 p:-2/2,1/1,1/3 pb:7,2,0.03,0,0.05,0.06
expected: zt:1 zc:41 c:51 sum:3.579 p:1/2,1/2 pb:5.03,3,9.05,-0.94
== reduce resolution
in1: s:2 zt:0.01 zc:11 c:30 sum:2.345 p:-2/2,1/1,1/3 pb:1,3,1e+100,0,7,-6
in2: s:1 zt:1 zc:17 c:21 sum:1.234 p:1/2,1/2 pb:-1e+100,3,2,5
comp: s:2 zt:0.01 zc:1 p:-2/2,1/1,1/3 pb:7,2,0.03,0,0.05,0.06
expected: s:1 zt:1 zc:42 c:51 sum:3.579 p:1/5 pb:0.03,10.05,-5.94,2,5
== reduce resolution of 'other' histogram
in1: s:0 zt:1 zc:17 c:21 sum:1.234 p:1/2,1/2 pb:2,3,2,5
in2: s:2 zt:0.01 zc:11 c:30 sum:2.345 p:-2/3,1/1,1/3 pb:1e+100,4.1,-1e+100,2.1,0,7,-6
comp: s:0 zt:1 zc:1 p:1/2,1/2 pb:17,2,0.03,0
expected: s:0 zt:1 zc:33.1 c:51 sum:3.579 p:1/2,1/2 pb:21.1,6,2.03,5
== warn on counter reset hint collision
in1: s:-53 hint:reset
in2: s:-53 hint:notreset
flags: collision
"#;

const MUL: &str = r#"
== zero value
in: -
scale: 3.1415
expected: -
== zero multiplier
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: 0
expected: zt:0.01 zc:0 c:0 sum:0 p:-2/1,2/3 pb:0,0,0,0 n:3/2,3/2 nb:0,0,0,0
== no-op
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: 1
expected: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
== double
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: 2
expected: zt:0.01 zc:11 c:6986.6 sum:4698418.648 p:-2/1,2/3 pb:2,6.6,8.4,0.2 n:3/2,3/2 nb:6.2,6,246800,2000
== triple
in: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
scale: 3
expected: zt:0.01 zc:33 c:90 sum:69 p:-2/2,1/3 pb:3,0,9,12,21 n:3/2,3/2 nb:9,3,15,18
== negation
in: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
scale: -1
expected: zt:0.01 zc:-11 c:-30 sum:-23 p:-2/2,1/3 pb:-1,0,-3,-4,-7 n:3/2,3/2 nb:-3,-1,-5,-6 hint:gauge
== negative multiplier
in: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
scale: -2
expected: zt:0.01 zc:-22 c:-60 sum:-46 p:-2/2,1/3 pb:-2,0,-6,-8,-14 n:3/2,3/2 nb:-6,-2,-10,-12 hint:gauge
== no-op with custom buckets
in: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
scale: 1
expected: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
== triple with custom buckets
in: s:-53 c:30 sum:23 p:0/2,1/3 pb:1,0,3,4,7 cv:1,2,3,4
scale: 3
expected: s:-53 c:90 sum:69 p:0/2,1/3 pb:3,0,9,12,21 cv:1,2,3,4
"#;

const DIV: &str = r#"
== zero value
in: -
scale: 3.1415
expected: -
== zero divisor
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: 0
expected: zt:0.01 c:inf sum:inf zc:inf
== no-op
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: 1
expected: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
== half
in: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
scale: 2
expected: zt:0.01 zc:5.5 c:15 sum:11.5 p:-2/2,1/3 pb:0.5,0,1.5,2,3.5 n:3/2,3/2 nb:1.5,0.5,2.5,3
== negation
in: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
scale: -1
expected: zt:0.01 zc:-5.5 c:-3493.3 sum:-2349209.324 p:-2/1,2/3 pb:-1,-3.3,-4.2,-0.1 n:3/2,3/2 nb:-3.1,-3,-123400,-1000 hint:gauge
== negative half
in: zt:0.01 zc:11 c:30 sum:23 p:-2/2,1/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
scale: -2
expected: zt:0.01 zc:-5.5 c:-15 sum:-11.5 p:-2/2,1/3 pb:-0.5,0,-1.5,-2,-3.5 n:3/2,3/2 nb:-1.5,-0.5,-2.5,-3 hint:gauge
== no-op with custom buckets
in: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
scale: 1
expected: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
== half with custom buckets
in: s:-53 c:30 sum:23 p:0/2,1/3 pb:1,0,3,4,7 cv:1,2,3,4
scale: 2
expected: s:-53 c:15 sum:11.5 p:0/2,1/3 pb:0.5,0,1.5,2,3.5 cv:1,2,3,4
"#;
