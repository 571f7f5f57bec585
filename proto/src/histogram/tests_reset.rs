//! Counter reset detection, Equals and CopyToSchema against Prometheus's test vectors
//! (TestFloatHistogramDetectReset, TestFloatHistogramEquals, TestHistogramEquals,
//! TestFloatHistogramCopyToSchema).

use super::testutil::{assert_fh, cases, fh, ih};
use super::{CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, Span};
use crate::STALE_NAN_BITS;

#[test]
fn detect_reset_prometheus_cases() {
    let all = cases(DETECT_RESET);
    assert_eq!(all.len(), 42);
    for case in &all {
        let (previous, current) = (case.fh("previous"), case.fh("current"));
        let want = case.req("reset") == "true";
        assert_eq!(current.detect_reset(&previous), want, "{}", case.name);
    }
}

#[test]
fn detect_reset_hints_decide() {
    let prev = fh("c:10 p:0/1 pb:10");
    let mut cur = fh("c:1 p:0/1 pb:1");
    assert!(cur.detect_reset(&prev));
    cur.counter_reset_hint = super::CounterResetHint::NotCounterReset;
    assert!(!cur.detect_reset(&prev));
    let mut grown = fh("c:20 p:0/1 pb:20 hint:reset");
    assert!(grown.detect_reset(&prev));
    grown.counter_reset_hint = super::CounterResetHint::Gauge;
    assert!(!grown.detect_reset(&prev));
    // Exponential after custom buckets is a reset, and the other way round.
    let custom = fh("s:-53 c:20 p:0/1 pb:20 cv:1");
    assert!(custom.detect_reset(&prev));
    assert!(fh("c:20 p:0/1 pb:20").detect_reset(&custom));
}

#[test]
fn copy_to_schema_prometheus_cases() {
    for case in cases(COPY_TO_SCHEMA) {
        let input = case.fh("in");
        let got = input.copy_to_schema(case.req("target").parse().unwrap()).unwrap();
        assert_fh(&got, &case.fh("expected"), &case.name);
        assert_fh(&input, &case.fh("in"), "input unchanged");
    }
    let h = fh("s:1 c:1 p:0/1 pb:1");
    assert!(h.copy_to_schema(2).is_err());
    assert!(h.copy_to_schema(CUSTOM_BUCKETS_SCHEMA).is_err());
    assert!(fh("s:-53 cv:1").copy_to_schema(0).is_err());
    assert!(fh("s:1 p:0/2 pb:1").copy_to_schema(0).is_err());
}

fn float_equals(a: &FloatHistogram, b: &FloatHistogram, want: bool) {
    assert_eq!(a.equals(b), want, "{a:?} vs {b:?}");
    assert_eq!(b.equals(a), want, "{b:?} vs {a:?}");
}

#[test]
fn float_equals_like_prometheus() {
    // TestFloatHistogramEquals.
    let h1 = fh("s:3 c:2.2 sum:9.7 zt:0.1 zc:1.1 pb:3 nb:4");
    float_equals(&h1, &h1.clone(), true);
    let variants: [fn(&mut FloatHistogram); 4] = [
        |h| h.count = f64::NAN,
        |h| h.zero_count = f64::NAN,
        |h| h.positive_buckets[0] = f64::NAN,
        |h| h.negative_buckets[0] = f64::NAN,
    ];
    for f in variants {
        let mut h = h1.clone();
        f(&mut h);
        float_equals(&h1, &h, false);
        float_equals(&h, &h, true);
    }
    let mut custom_on_exponential = h1.clone();
    custom_on_exponential.custom_values = vec![1.0, 2.0, 3.0];
    float_equals(&h1, &custom_on_exponential, true);

    let cbh1 = fh("s:-53 c:2.2 sum:9.7 p:0/1 pb:3 cv:1,2,3");
    cbh1.validate().unwrap();
    float_equals(&cbh1, &cbh1.clone(), true);
    let mut cbh2 = cbh1.clone();
    cbh2.custom_values.push(4.0);
    float_equals(&cbh1, &cbh2, false);
    let mut cbh2 = cbh1.clone();
    cbh2.negative_spans = vec![Span { offset: 0, length: 1 }];
    cbh2.negative_buckets = vec![1.0];
    float_equals(&cbh1, &cbh2, false);
    let mut cbh2 = cbh1.clone();
    cbh2.zero_threshold = 0.1;
    cbh2.zero_count = 10.0;
    float_equals(&cbh1, &cbh2, false);
}

/// `equals`, `notEquals` and `notEqualsUntilFloatConv` of TestHistogramEquals.
fn int_equals(a: &Histogram, b: &Histogram, want: bool, want_float: bool) {
    assert_eq!(a.equals(b), want, "{a:?} vs {b:?}");
    assert_eq!(b.equals(a), want);
    float_equals(&a.to_float(), &b.to_float(), want_float);
}

#[test]
fn int_equals_like_prometheus() {
    let h1 = ih("s:3 c:62 sum:2.7 zt:0.1 zc:42 p:0/4,10/3 pb:1,2,-2,1,-1,0,0 n:0/4,10/3 nb:1,2,-2,1,-1,0,0");
    h1.validate().unwrap();
    let mut h2 = h1.clone();
    int_equals(&h1, &h2, true, true);
    // Changed spans but the same layout, then empty spans in between.
    h2.positive_spans.push(Span { offset: 5, length: 0 });
    h2.negative_spans.push(Span { offset: 2, length: 0 });
    int_equals(&h1, &h2, true, true);
    h2.positive_spans = vec![
        Span { offset: 0, length: 4 },
        Span { offset: 1, length: 0 },
        Span { offset: 3, length: 0 },
        Span { offset: 6, length: 3 },
        Span { offset: 5, length: 0 },
    ];
    h2.negative_spans = vec![
        Span { offset: 0, length: 4 },
        Span { offset: 2, length: 0 },
        Span { offset: 3, length: 0 },
        Span { offset: 5, length: 3 },
        Span { offset: 2, length: 0 },
    ];
    int_equals(&h1, &h2, true, true);
    int_equals(&h1, &Histogram::default(), false, false);
    h2.schema = 1;
    int_equals(&h1, &h2, false, false);
    let changes: [fn(&mut Histogram); 12] = [
        |h| h.count += 1,
        |h| h.sum += 1.0,
        |h| h.zero_threshold += 1.0,
        |h| h.zero_count += 1,
        |h| *h.positive_buckets.last_mut().unwrap() += 1,
        |h| *h.negative_buckets.last_mut().unwrap() += 1,
        |h| h.positive_spans[1].offset += 1,
        |h| h.negative_spans[1].offset += 1,
        |h| {
            h.positive_spans[0].offset -= 1;
            h.positive_spans[0].length += 1;
            h.positive_buckets.insert(0, 0);
        },
        |h| {
            h.negative_spans[0].offset -= 1;
            h.negative_spans[0].length += 1;
            h.negative_buckets.insert(0, 0);
        },
        |h| {
            h.positive_spans.push(Span { offset: 1, length: 1 });
            h.positive_buckets.push(1);
        },
        |h| {
            h.negative_spans.push(Span { offset: 1, length: 1 });
            h.negative_buckets.push(1);
        },
    ];
    for change in changes {
        let mut h2 = h1.clone();
        change(&mut h2);
        int_equals(&h1, &h2, false, false);
    }
    // Stale NaN and plain NaN sums.
    let mut stale = h1.clone();
    stale.sum = f64::from_bits(STALE_NAN_BITS);
    int_equals(&h1, &stale, false, false);
    int_equals(&stale, &stale, true, true);
    let mut nan = h1.clone();
    nan.sum = f64::NAN;
    int_equals(&h1, &nan, false, false);
    int_equals(&nan, &nan, true, true);
    int_equals(&stale, &nan, false, false);
    let mut custom_on_exponential = h1.clone();
    custom_on_exponential.custom_values = vec![1.0, 2.0, 3.0];
    int_equals(&h1, &custom_on_exponential, true, true);

    let cbh1 = ih("s:-53 c:10 sum:2.7 p:0/4,10/3 pb:1,2,-2,1,-1,0,0 \
                   cv:0.1,0.2,0.5,1,2,5,10,15,20,25,50,75,100,200,250,500,1000");
    cbh1.validate().unwrap();
    int_equals(&cbh1, &cbh1.clone(), true, true);
    let mut cbh2 = cbh1.clone();
    cbh2.custom_values = vec![0.1, 0.2, 0.5];
    int_equals(&cbh1, &cbh2, false, false);
    let mut cbh2 = cbh1.clone();
    cbh2.negative_spans = vec![Span { offset: 0, length: 1 }];
    cbh2.negative_buckets = vec![1];
    int_equals(&cbh1, &cbh2, false, true);
    let mut cbh2 = cbh1.clone();
    cbh2.zero_threshold = 0.1;
    cbh2.zero_count = 10;
    int_equals(&cbh1, &cbh2, false, true);
}

const DETECT_RESET: &str = r#"
== zero values
previous: -
current: -
reset: false
== no buckets to some buckets
previous: -
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== some buckets to no buckets
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: -
reset: true
== one bucket appears, nothing else changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== one bucket disappears, nothing else changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== an unpopulated bucket disappears, nothing else changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== an unpopulated bucket at the end disappears, nothing else changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,1/3 pb:1,3.3,4.2,0 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,1/2 pb:1,3.3,4.2 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== an unpopulated bucket disappears in a histogram with nothing else
previous: p:23/1 pb:0
current: -
reset: false
== zero count goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.6 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== zero count goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.4 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== count goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.4 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== count goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.2 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== sum goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349210 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== sum goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349200 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== one positive bucket goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.3,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== one positive bucket goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.1,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== one negative bucket goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3.1,123400,1000
reset: false
== one negative bucket goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,0,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,2.9,123400,1000
reset: true
== zero threshold decreases
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.009 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== zero threshold increases without touching any existing buckets
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.011 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== zero threshold increases enough to cover existing buckets
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:1 zc:7.73 c:3493.3 sum:2349209.324 p:1/3 pb:3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== zero threshold increases into the middle of an existing buckets
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.3 zc:5.5 c:3493.3 sum:2349209.324 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== schema increases without any other changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:0 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:1 p:-5/4,2/6 pb:0.4,0.6,1,0.23,2,1.3,1.2,3,0.05,0.05 n:5/4,6/4 nb:2,1.1,2,1,23400,100000,500,500
reset: true
== schema decreases without any other changes
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:1 p:-5/4,2/6 pb:0.4,0.6,1,0.23,2,1.3,1.2,3,0.05,0.05 n:5/4,6/4 nb:2,1.1,2,1,23400,100000,500,500
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:0 p:-2/2,1/3 pb:1,1.23,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== schema decreases and a bucket goes up
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:1 p:-5/4,2/6 pb:0.4,0.6,1,0.23,2,1.3,1.2,3,0.05,0.05 n:5/4,6/4 nb:2,1.1,2,1,23400,100000,500,500
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:0 p:-2/2,1/3 pb:1,1.23,4.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: false
== schema decreases and a bucket goes down
previous: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:1 p:-5/4,2/6 pb:0.4,0.6,1,0.23,2,1.3,1.2,3,0.05,0.05 n:5/4,6/4 nb:2,1.1,2,1,23400,100000,500,500
current: zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 s:0 p:-2/2,1/3 pb:1,1.23,2.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
reset: true
== no buckets to some buckets with custom bounds
previous: s:-53 cv:1,2,3
current: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
reset: false
== some buckets to no buckets with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
current: s:-53 cv:1,2,3
reset: true
== one bucket appears, nothing else changes with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3,4
current: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,1.23,3.3,4.2,0.1 cv:1,2,3,4
reset: false
== one bucket disappears, nothing else changes with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,1.23,3.3,4.2,0.1 cv:1,2,3,4
current: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3,4
reset: true
== an unpopulated bucket disappears, nothing else changes with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,0,3.3,4.2,0.1 cv:1,2,3,4
current: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3,4
reset: false
== one positive bucket goes up with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,0,3.3,4.2,0.1 cv:1,2,3,4
current: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,0,3.3,4.3,0.1 cv:1,2,3,4
reset: false
== one positive bucket goes down with custom bounds
previous: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,0,3.3,4.2,0.1 cv:1,2,3,4
current: s:-53 c:3493.3 sum:2349209.324 p:0/2,1/3 pb:1,0,3.3,4.1,0.1 cv:1,2,3,4
reset: true
== mismatched custom bounds - no reset when all buckets increase
previous: s:-53 c:200 sum:1000 p:0/4 pb:20,35,40,50 cv:0,1,2,3
current: s:-53 c:200 sum:1000 p:0/5 pb:25,15,40,50,70 cv:0,0.5,1,2,3
reset: false
== mismatched custom bounds - reset in middle bucket
previous: s:-53 c:100 sum:500 p:1/4 pb:10,15,20,25 cv:0,1,3,5
current: s:-53 c:100 sum:500 p:1/5 pb:10,16,10,5,25 cv:0,1,2,3,5
reset: true
== mismatched custom bounds - reset in last bucket
previous: s:-53 c:100 sum:500 p:1/3 pb:10,20,20 cv:0,1,2
current: s:-53 c:100 sum:500 p:1/4 pb:100,200,8,7 cv:0,1,2,3
reset: true
== mismatched custom bounds - no common bounds
previous: s:-53 c:100 sum:500 p:1/3 pb:10,20,30 cv:4,5,6
current: s:-53 c:100 sum:500 p:1/3 pb:15,25,35 cv:1,2,3
reset: false
== mismatched custom bounds - sparse common bounds
previous: s:-53 c:200 sum:1000 p:0/4 pb:10,20,30,40 cv:0,1,3,5
current: s:-53 c:200 sum:1000 p:0/5 pb:15,25,70,50,100 cv:0,2,3,4,5
reset: false
== reset detected with mismatched custom bounds and split bucket spans
previous: s:-53 c:200 sum:1000 p:0/2,1/3 pb:10,20,30,40,50 cv:0,1,2,3,4,5
current: s:-53 c:200 sum:1000 p:0/3,1/2 pb:15,25,35,25,60 cv:0,1,3,4,5,7
reset: true
== no reset with mismatched custom bounds and split bucket spans
previous: s:-53 c:300 sum:1500 p:0/2,2/3 pb:10,20,30,40,50 cv:0,1,2,3,4,5,6
current: s:-53 c:300 sum:1500 p:0/3,1/2 pb:12,25,45,75,95 cv:0,0.5,1,3,5,7
reset: false
== reset when a populated bucket following an empty one disappears
previous: zt:0.001 c:10 p:0/1 pb:5 n:1/2 nb:0,5
current: zt:0.001 c:20 p:0/1 pb:20
reset: true
== reset when current ends before a later populated previous bucket
previous: zt:0.001 c:7 p:0/3 pb:2,0,5
current: zt:0.001 c:100 p:0/1 pb:100
reset: true
"#;

const COPY_TO_SCHEMA: &str = r#"
== no schema change
target: 1
in: zt:0.01 zc:11 c:30 sum:2.345 s:1 p:-4/3,5/5 pb:1,0,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.01 zc:11 c:30 sum:2.345 s:1 p:-4/3,5/5 pb:1,0,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
== schema change
target: 0
in: zt:0.01 zc:11 c:30 sum:2.345 s:1 p:-4/3,5/5 pb:1,0,0,3,2,2,3,4 n:6/3,6/4 nb:3,0.5,0.5,2,3,2,4
expected: zt:0.01 zc:11 c:30 sum:2.345 s:0 p:-2/2,2/3 pb:1,0,3,4,7 n:3/2,3/2 nb:3,1,5,6
== no schema change for custom buckets
target: -53
in: c:30 sum:2.345 s:-53 p:0/3,5/5 pb:1,0,0,3,2,2,3,4 cv:1,2,3,4,5,6,7
expected: c:30 sum:2.345 s:-53 p:0/3,5/5 pb:1,0,0,3,2,2,3,4 cv:1,2,3,4,5,6,7
"#;
