//! Compact and ReduceResolution against Prometheus's test vectors (TestFloatHistogramCompact,
//! TestHistogramCompact, TestFloatHistogramReduceResolution, TestHistogramReduceResolution,
//! TestReduceResolutionHistogram, TestReduceResolutionFloatHistogram).

use super::compact::reduce_resolution;
use super::testutil::{assert_fh, cases, fh, ih};
use super::{FloatHistogram, Span};

#[test]
fn float_compact_prometheus_cases() {
    let all = cases(FLOAT_COMPACT);
    assert_eq!(all.len(), 24);
    for case in &all {
        let mut h = case.fh("in");
        h.compact(case.req("max").parse().unwrap());
        assert_fh(&h, &case.fh("expected"), &case.name);
    }
}

#[test]
fn int_compact_prometheus_cases() {
    let all = cases(INT_COMPACT);
    assert!(all.len() >= 20);
    for case in &all {
        let mut h = ih(case.req("in"));
        let valid = h.validate().is_ok();
        h.compact(case.req("max").parse().unwrap());
        assert_eq!(h, ih(case.req("expected")), "{}", case.name);
        if valid {
            h.validate().unwrap_or_else(|e| panic!("{}: compact made it invalid: {e}", case.name));
        }
    }
}

#[test]
fn compact_to_one_span_and_odd_input() {
    let mut h = fh("p:-2/1,3/2,1/1 pb:1,2,3,4 n:0/1,0/1 nb:1,2");
    h.compact(usize::MAX);
    assert_eq!(h.positive_spans, vec![Span { offset: -2, length: 8 }]);
    assert_eq!(h.positive_buckets, vec![1.0, 0.0, 0.0, 0.0, 2.0, 3.0, 0.0, 4.0]);
    assert_eq!(h.negative_spans, vec![Span { offset: 0, length: 2 }]);
    // Spans that do not fit the buckets: no panic (Prometheus trims what it can, too).
    for bad in
        ["p:0/3 pb:1,2", "p:0/1,-5/2 pb:0,1,0", "p:0/4294967295 pb:0", "p:3/1,0/2 pb:", "p:-2/2,1/0 pb:0,0,5"]
    {
        for max in [0, 1, 3, usize::MAX] {
            fh(bad).compact(max);
            ih(bad).compact(max);
        }
    }
    let mut spurious = fh("p:0/0,2/0 pb:1,3");
    spurious.compact(0);
    assert!(spurious.positive_buckets.is_empty() && spurious.positive_spans.is_empty());
    // NaN counts are not empty.
    let mut n = fh("p:0/3 pb:NaN,0,1");
    n.compact(0);
    assert_eq!(n.positive_spans, vec![Span { offset: 0, length: 1 }, Span { offset: 1, length: 1 }]);
    assert!(n.positive_buckets[0].is_nan());
    // All buckets empty.
    let mut e = fh("p:0/2,3/1 pb:0,0,0 n:0/0 nb:");
    e.compact(0);
    assert!(e.positive_spans.is_empty() && e.positive_buckets.is_empty() && e.negative_spans.is_empty());
}

#[test]
fn float_reduce_resolution_prometheus_cases() {
    for case in cases(FLOAT_REDUCE) {
        let mut h = case.fh("origin");
        let before = h.clone();
        let res = h.try_reduce_resolution(case.req("targetSchema").parse().unwrap());
        match case.get("errorMsg") {
            Some(msg) => {
                assert_eq!(res.unwrap_err().to_string(), msg, "{}", case.name);
                assert_eq!(h, before);
            }
            None => {
                res.unwrap();
                assert_fh(&h, &case.fh("target"), &case.name);
            }
        }
    }
}

#[test]
fn int_reduce_resolution_prometheus_cases() {
    for case in cases(INT_REDUCE) {
        let mut h = ih(case.req("origin"));
        let res = h.try_reduce_resolution(case.req("targetSchema").parse().unwrap());
        match case.get("errorMsg") {
            Some(msg) => assert_eq!(res.unwrap_err().to_string(), msg, "{}", case.name),
            None => {
                res.unwrap();
                assert_eq!(h, ih(case.req("target")), "{}", case.name);
            }
        }
    }
}

#[test]
fn reduce_resolution_generic_prometheus_cases() {
    // TestReduceResolutionHistogram and TestReduceResolutionFloatHistogram.
    let spans = [Span { offset: 0, length: 4 }, Span { offset: 0, length: 0 }, Span { offset: 3, length: 2 }];
    let want_spans = vec![Span { offset: 0, length: 3 }, Span { offset: 1, length: 1 }];
    let (s, b) = reduce_resolution(&spans, &[1i64, 2, -2, 1, -1, 0], 0, -1, true).unwrap();
    assert_eq!((s.clone(), b), (want_spans.clone(), vec![1, 3, -2, 0]));
    let (s, b) = reduce_resolution(&spans, &[1.0, 3.0, 1.0, 2.0, 1.0, 1.0], 0, -1, false).unwrap();
    assert_eq!((s, b), (want_spans, vec![1.0, 4.0, 2.0, 2.0]));
}

#[test]
fn reduce_resolution_refusals() {
    let mut h = fh("s:1 c:10 p:1/4 pb:1,2,3,4");
    assert!(h.reduce_resolution(1).is_none());
    assert!(h.reduce_resolution(2).is_none());
    assert!(h.try_reduce_resolution(super::CUSTOM_BUCKETS_SCHEMA).is_err());
    assert!(fh("s:-53 cv:1").try_reduce_resolution(-1).is_err());
    h.reduce_resolution(0).unwrap();
    assert_eq!(h.positive_spans, vec![Span { offset: 1, length: 2 }]);
    assert_eq!(h.positive_buckets, vec![3.0, 7.0]);
    // Reducing from a reserved high schema by more than 31 steps does not overflow the shift.
    let mut far = FloatHistogram { schema: 52, ..fh("p:-5/3,1000/2 pb:1,1,1,1,1") };
    far.reduce_resolution(-9).unwrap();
    assert_eq!(far.positive_buckets.iter().sum::<f64>(), 5.0);
    // The existing integer test: schema 1 buckets 1..=4 go to schema 0 buckets 1 and 2.
    let mut i = ih("s:1 c:10 p:1/4 pb:1,1,1,1");
    i.reduce_resolution(0).unwrap();
    assert_eq!(i.positive_spans, vec![Span { offset: 1, length: 2 }]);
    assert_eq!(i.positive_buckets, vec![3, 4]);
}

const FLOAT_COMPACT: &str = r#"
== empty histogram
in: -
max: 0
expected: -
== nothing should happen
in: p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
max: 0
expected: p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
== eliminate zero offsets
in: p:-2/1,0/3,0/1 pb:1,3.3,4.2,0.1,3.3 n:0/2,0/2,2/1,0/1 nb:3.1,3,123400,1000,3,4
max: 0
expected: p:-2/5 pb:1,3.3,4.2,0.1,3.3 n:0/4,2/2 nb:3.1,3,123400,1000,3,4
== eliminate zero length
in: p:-2/2,2/0,3/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,0/0,2/0,1/4 nb:3.1,3,123400,1000,3,4
max: 0
expected: p:-2/2,5/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,3/4 nb:3.1,3,123400,1000,3,4
== eliminate multiple zero length spans
in: p:-2/2,2/0,2/0,2/0,3/3 pb:1,3.3,4.2,0.1,3.3
max: 0
expected: p:-2/2,9/3 pb:1,3.3,4.2,0.1,3.3
== cut empty buckets at start or end
in: p:-4/4,5/3 pb:0,0,1,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,3,4,0
max: 0
expected: p:-2/2,5/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,3/4 nb:3.1,3,123400,1000,3,4
== cut empty buckets at start and end
in: p:-4/4,5/6 pb:0,0,1,3.3,4.2,0.1,3.3,0,0,0 n:-2/4,3/5 nb:0,0,3.1,3,123400,1000,3,4,0
max: 0
expected: p:-2/2,5/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,3/4 nb:3.1,3,123400,1000,3,4
== cut empty buckets in the middle
in: p:5/4 pb:1,3,0,2
max: 0
expected: p:5/2,1/1 pb:1,3,2
== cut empty buckets at start or end of spans, even in the middle
in: p:-4/6,3/6 pb:0,0,1,3.3,0,0,4.2,0.1,3.3,0,0,0 n:0/2,2/6 nb:3.1,3,0,123400,1000,3,4,0
max: 0
expected: p:-2/2,5/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,3/4 nb:3.1,3,123400,1000,3,4
== cut empty buckets at start and end - also merge spans due to maxEmptyBuckets
in: p:-4/4,5/3 pb:0,0,1,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,3,4,0
max: 10
expected: p:-2/10 pb:1,3.3,0,0,0,0,0,4.2,0.1,3.3 n:0/9 nb:3.1,3,0,0,0,123400,1000,3,4
== cut empty buckets from the middle of a span
in: p:-4/6,3/3 pb:0,0,1,0,0,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
max: 0
expected: p:-2/1,2/1,3/3 pb:1,3.3,4.2,0.1,3.3 n:0/2,3/2,1/2 nb:3.1,3,123400,1000,3,4
== cut out a span containing only empty buckets
in: p:-4/3,2/2,3/4 pb:0,0,1,0,0,3.3,4.2,0.1,3.3
max: 0
expected: p:-2/1,7/4 pb:1,3.3,4.2,0.1,3.3
== cut empty buckets from the middle of a span, avoiding none due to maxEmptyBuckets
in: p:-2/4 pb:1,0,0,3.3
max: 1
expected: p:-2/1,2/1 pb:1,3.3
== cut empty buckets and merge spans due to maxEmptyBuckets
in: p:-2/4,3/1 pb:1,0,0,3.3,4.2
max: 1
expected: p:-2/1,2/1,3/1 pb:1,3.3,4.2
== cut empty buckets from the middle of a span, avoiding some due to maxEmptyBuckets
in: p:-4/6,3/3,10/2 pb:0,0,1,0,0,3.3,4.2,0.1,3.3,2,3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
max: 1
expected: p:-2/1,2/1,3/3,10/2 pb:1,3.3,4.2,0.1,3.3,2,3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
== avoiding all cutting of empty buckets from the middle of a chunk due to maxEmptyBuckets
in: p:-4/6,3/3 pb:0,0,1,0,0,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
max: 2
expected: p:-2/4,3/3 pb:1,0,0,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
== everything merged into one span due to maxEmptyBuckets
in: p:-4/6,3/3 pb:0,0,1,0,0,3.3,4.2,0.1,3.3 n:0/2,3/5 nb:3.1,3,123400,1000,0,3,4
max: 3
expected: p:-2/10 pb:1,0,0,3.3,0,0,0,4.2,0.1,3.3 n:0/10 nb:3.1,3,0,0,0,123400,1000,0,3,4
== more than one span merged in the same pass
in: p:-2/2,2/2,2/2 pb:1,3.3,4.2,0.1,3.3,2 n:0/1,1/1,1/1 nb:3.1,1000,4
max: 3
expected: p:-2/10 pb:1,3.3,0,0,4.2,0.1,0,0,3.3,2 n:0/5 nb:3.1,0,1000,0,4
== only empty buckets and maxEmptyBuckets greater zero
in: p:-4/6,3/3 pb:0,0,0,0,0,0,0,0,0 n:0/7 nb:0,0,0,0,0,0,0
max: 3
expected: p: pb: n: nb:
== multiple spans of only empty buckets
in: p:-10/2,2/1,3/3 pb:0,0,0,0,2,3 n:-10/2,2/1,3/3 nb:2,3,0,0,0,0
max: 0
expected: p:-1/2 pb:2,3 n:-10/2 nb:2,3
== nothing should happen with custom buckets
in: s:-53 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
max: 0
expected: s:-53 p:0/1,2/3 pb:1,3.3,4.2,0.1 cv:1,2,3
== eliminate zero offsets with custom buckets
in: s:-53 p:0/1,0/3,0/1 pb:1,3.3,4.2,0.1,3.3 cv:1,2,3,4
max: 0
expected: s:-53 p:0/5 pb:1,3.3,4.2,0.1,3.3 cv:1,2,3,4
== eliminate multiple zero length spans with custom buckets
in: s:-53 p:0/2,2/0,2/0,2/0,3/3 pb:1,3.3,4.2,0.1,3.3 cv:1,2,3,4
max: 0
expected: s:-53 p:0/2,9/3 pb:1,3.3,4.2,0.1,3.3 cv:1,2,3,4
== cut empty buckets at start and end with custom buckets
in: s:-53 p:0/4,5/6 pb:0,0,1,3.3,4.2,0.1,3.3,0,0,0 cv:1,2,3,4,5,6,7,8,9
max: 0
expected: s:-53 p:2/2,5/3 pb:1,3.3,4.2,0.1,3.3 cv:1,2,3,4,5,6,7,8,9
"#;

const INT_COMPACT: &str = r#"
== empty histogram
in: -
max: 0
expected: -
== nothing should happen
in: p:-2/1,2/3 pb:1,3,-3,42 n:3/2,3/2 nb:5,3,123400,1000
max: 0
expected: p:-2/1,2/3 pb:1,3,-3,42 n:3/2,3/2 nb:5,3,123400,1000
== eliminate zero offsets
in: p:-2/1,0/3,0/1 pb:1,3,-3,42,3 n:0/2,0/2,2/1,0/1 nb:5,3,123400,1000,3,4
max: 0
expected: p:-2/5 pb:1,3,-3,42,3 n:0/4,2/2 nb:5,3,123400,1000,3,4
== eliminate zero length
in: p:-2/2,2/0,3/3 pb:1,3,-3,42,3 n:0/2,0/0,2/0,1/4 nb:5,3,123400,1000,3,4
max: 0
expected: p:-2/2,5/3 pb:1,3,-3,42,3 n:0/2,3/4 nb:5,3,123400,1000,3,4
== eliminate multiple zero length spans
in: p:-2/2,2/0,2/0,2/0,3/3 pb:1,3,-3,42,3
max: 0
expected: p:-2/2,9/3 pb:1,3,-3,42,3
== cut empty buckets at start or end
in: p:-4/4,5/3 pb:0,0,1,3,-3,42,3 n:0/2,3/5 nb:5,3,-4,-2,3,4,-9
max: 0
expected: p:-2/2,5/3 pb:1,3,-3,42,3 n:0/2,3/4 nb:5,3,-4,-2,3,4
== cut empty buckets at start and end
in: p:-4/4,5/6 pb:0,0,1,3,-3,42,3,-46,0,0 n:-2/4,3/5 nb:0,0,5,3,-4,-2,3,4,-9
max: 0
expected: p:-2/2,5/3 pb:1,3,-3,42,3 n:0/2,3/4 nb:5,3,-4,-2,3,4
== cut empty buckets at start or end of spans, even in the middle
in: p:-4/6,3/6 pb:0,0,1,3,-4,0,1,42,3,-46,0,0 n:0/2,2/6 nb:5,3,-8,4,-2,3,4,-9
max: 0
expected: p:-2/2,5/3 pb:1,3,-3,42,3 n:0/2,3/4 nb:5,3,-4,-2,3,4
== cut empty buckets at start or end but merge spans due to maxEmptyBuckets
in: p:-4/4,5/3 pb:0,0,1,3,-3,42,3 n:0/2,3/5 nb:5,3,-4,-2,3,4,-9
max: 10
expected: p:-2/10 pb:1,3,-4,0,0,0,0,1,42,3 n:0/9 nb:5,3,-8,0,0,4,-2,3,4
== cut empty buckets from the middle of a span
in: p:-4/6,3/3 pb:0,0,1,-1,0,3,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
max: 0
expected: p:-2/1,2/1,3/3 pb:1,2,-2,42,3 n:0/2,3/2,1/2 nb:5,3,-4,-2,1,4
== cut out a span containing only empty buckets
in: p:-4/3,2/2,3/4 pb:0,0,1,-1,0,3,-2,42,3
max: 0
expected: p:-2/1,7/4 pb:1,2,-2,42,3
== cut empty buckets from the middle of a span, avoiding some due to maxEmptyBuckets
in: p:-4/6,3/3 pb:0,0,1,-1,0,3,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
max: 1
expected: p:-2/1,2/1,3/3 pb:1,2,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
== avoiding all cutting of empty buckets from the middle of a chunk due to maxEmptyBuckets
in: p:-4/6,3/3 pb:0,0,1,-1,0,3,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
max: 2
expected: p:-2/4,3/3 pb:1,-1,0,3,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
== everything merged into one span due to maxEmptyBuckets
in: p:-4/6,3/3 pb:0,0,1,-1,0,3,-2,42,3 n:0/2,3/5 nb:5,3,-4,-2,-2,3,4
max: 3
expected: p:-2/10 pb:1,-1,0,3,-3,0,0,1,42,3 n:0/10 nb:5,3,-8,0,0,4,-2,-2,3,4
== more than one span merged in the same pass
in: c:30 p:0/2,2/2,2/2 pb:1,1,1,1,1,1 n:0/1,1/1,1/1 nb:2,1,1
max: 3
expected: c:30 p:0/10 pb:1,1,-2,0,3,1,-4,0,5,1 n:0/5 nb:2,-2,3,-3,4
== only empty buckets and maxEmptyBuckets greater zero
in: p:-4/6,3/3 pb:0,0,0,0,0,0,0,0,0 n:0/7 nb:0,0,0,0,0,0,0
max: 3
expected: p: pb: n: nb:
== multiple spans of only empty buckets
in: p:-10/2,2/1,3/3 pb:0,0,0,0,2,3 n:-10/2,2/1,3/3 nb:2,3,-5,0,0,0
max: 0
expected: p:-1/2 pb:2,3 n:-10/2 nb:2,3
== nothing should happen with custom buckets
in: s:-53 p:-2/1,2/3 pb:1,3,-3,42 cv:5,10,15
max: 0
expected: s:-53 p:-2/1,2/3 pb:1,3,-3,42 cv:5,10,15
== eliminate zero offsets with custom buckets
in: s:-53 p:-2/1,0/3,0/1 pb:1,3,-3,42,3 cv:5,10,15,20
max: 0
expected: s:-53 p:-2/5 pb:1,3,-3,42,3 cv:5,10,15,20
== eliminate zero length with custom buckets
in: s:-53 p:-2/2,2/0,3/3 pb:1,3,-3,42,3 cv:5,10,15,20
max: 0
expected: s:-53 p:-2/2,5/3 pb:1,3,-3,42,3 cv:5,10,15,20
== all zero-length spans with non-empty buckets
in: p:0/0,2/0 pb:1,3 n:1/0 nb:2
max: 0
expected: p: pb: n: nb:
== more buckets than spans account for
in: p:0/1,2/1 pb:1,2,3,4 n:0/1 nb:5,6
max: 0
expected: p:0/1,2/1 pb:1,2,3,4 n:0/1 nb:5,6
== eliminate multiple zero length spans with custom buckets
in: s:-53 p:-2/2,2/0,2/0,2/0,3/3 pb:1,3,-3,42,3 cv:5,10,15,20
max: 0
expected: s:-53 p:-2/2,9/3 pb:1,3,-3,42,3 cv:5,10,15,20
== cut empty buckets at start or end of spans, even in the middle, with custom buckets
in: s:-53 p:-4/6,3/6 pb:0,0,1,3,-4,0,1,42,3,-46,0,0 cv:5,10,15,20
max: 0
expected: s:-53 p:-2/2,5/3 pb:1,3,-3,42,3 cv:5,10,15,20
"#;

const FLOAT_REDUCE: &str = r#"
== valid float histogram
origin: s:0 p:-2/4,0/0,3/2 pb:1,3,1,2,1,1 n:0/4,0/0,3/2 nb:1,3,1,2,1,1
targetSchema: -1
target: s:-1 p:-1/3,1/1 pb:1,4,2,2 n:0/3,1/1 nb:1,4,2,2
== not enough buckets
origin: s:0 p:-2/4,0/0,3/2 pb:1,3,1,2,1
targetSchema: -1
errorMsg: have 5 buckets but spans need more: histogram spans specify different number of buckets than provided
== too many buckets
origin: s:0 p:-2/4,0/0,3/2 pb:1,3,1,2,1,1,5
targetSchema: -1
errorMsg: spans need 6 buckets, have 7 buckets: histogram spans specify different number of buckets than provided
== negative offset
origin: s:0 p:-2/4,-1/0,3/2 pb:1,3,1,2,1,1
targetSchema: -1
errorMsg: span number 2 with offset -1: histogram has a span whose offset is negative
"#;

const INT_REDUCE: &str = r#"
== valid histogram
origin: s:0 p:-2/4,0/0,3/2 pb:1,2,-2,1,-1,0 n:0/4,0/0,3/2 nb:1,2,-2,1,-1,0
targetSchema: -1
target: s:-1 p:-1/3,1/1 pb:1,3,-2,0 n:0/3,1/1 nb:1,3,-2,0
== not enough buckets
origin: s:0 p:-2/4,0/0,3/2 pb:1,2,-2,1,-1
targetSchema: -1
errorMsg: have 5 buckets but spans need more: histogram spans specify different number of buckets than provided
== too many buckets
origin: s:0 p:-2/4,0/0,3/2 pb:1,2,-2,1,-1,0,3
targetSchema: -1
errorMsg: spans need 6 buckets, have 7 buckets: histogram spans specify different number of buckets than provided
== negative offset
origin: s:0 p:-2/4,-1/0,3/2 pb:1,2,-2,1,-1,0
targetSchema: -1
errorMsg: span number 2 with offset -1: histogram has a span whose offset is negative
"#;
