//! Bucket iterators, `Display` and `validate` against Prometheus's test vectors
//! (TestFloatBucketIteratorTargetSchema, TestFloatCustomBucketsIterators,
//! TestReverseFloatBucketIterator, TestAllFloatBucketIterator, TestAllReverseFloatBucketIterator,
//! TestFloatHistogramString, TestHistogramString, TestCumulativeBucketIterator,
//! TestRegularBucketIterator, TestHistogramToFloat, TestHistogramValidation,
//! TestFloatHistogramValidateNegativeHistogram).

use super::testutil::{buckets, cases, fh, ih};
use super::{Bucket, CUSTOM_BUCKETS_SCHEMA, FloatHistogram, HistogramErrorKind};

#[test]
fn iterators_to_target_schema_prometheus_cases() {
    for case in cases(TARGET_SCHEMA) {
        let h = case.fh("h");
        for (positive, key) in [(true, "expPositiveBuckets"), (false, "expNegativeBuckets")] {
            let got: Vec<_> = h.bucket_iter_to_schema(positive, 0.0, -1).unwrap().collect();
            assert_eq!(got, buckets::<f64>(case.req(key)), "{} {key}", case.name);
        }
    }
    let h = fh("s:1 p:0/1 pb:1");
    assert!(h.bucket_iter_to_schema(true, 0.0, 2).is_err());
    assert!(h.bucket_iter_to_schema(true, 0.0, CUSTOM_BUCKETS_SCHEMA).is_err());
    assert!(fh("s:-53 cv:1").bucket_iter_to_schema(true, 0.0, 0).is_err());
}

#[test]
fn custom_bucket_iterators_prometheus_cases() {
    for case in cases(CUSTOM_ITER) {
        let h = case.fh("h");
        let want = buckets::<f64>(case.req("expPositiveBuckets"));
        let rev: Vec<_> = want.iter().rev().copied().collect();
        assert_eq!(h.all_bucket_iter().collect::<Vec<_>>(), want, "{}", case.name);
        assert_eq!(h.all_reverse_bucket_iter().collect::<Vec<_>>(), rev, "{}", case.name);
        assert_eq!(h.positive_bucket_iter().collect::<Vec<_>>(), want, "{}", case.name);
        assert_eq!(h.positive_reverse_bucket_iter().collect::<Vec<_>>(), rev, "{}", case.name);
        assert_eq!(h.negative_bucket_iter().count(), 0);
        assert_eq!(h.negative_reverse_bucket_iter().count(), 0);
        let target: Vec<_> = h.bucket_iter_to_schema(true, 0.0, CUSTOM_BUCKETS_SCHEMA).unwrap().collect();
        assert_eq!(target, want, "{}", case.name);
        assert_eq!(h.bucket_iter_to_schema(false, 0.0, CUSTOM_BUCKETS_SCHEMA).unwrap().count(), 0);
    }
}

#[test]
fn reverse_iterators_reverse_forward_ones() {
    // TestReverseFloatBucketIterator, with its empty spans.
    let h = fh("c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 \
                pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33");
    let mut fwd: Vec<_> = h.positive_bucket_iter().collect();
    fwd.reverse();
    assert_eq!(fwd.len(), 10);
    assert_eq!(h.positive_reverse_bucket_iter().collect::<Vec<_>>(), fwd);
    let mut fwd: Vec<_> = h.negative_bucket_iter().collect();
    fwd.reverse();
    assert_eq!(fwd.len(), 10);
    assert_eq!(h.negative_reverse_bucket_iter().collect::<Vec<_>>(), fwd);
}

fn zero_bucket(h: &FloatHistogram) -> Bucket<f64> {
    Bucket {
        lower: -h.zero_threshold,
        upper: h.zero_threshold,
        lower_inclusive: true,
        upper_inclusive: true,
        count: h.zero_count,
        index: 0,
    }
}

#[test]
fn all_iterators_prometheus_cases() {
    for (data, reverse) in [(ALL_ITER, false), (ALL_REVERSE_ITER, true)] {
        for case in cases(data) {
            let h = case.fh("h");
            let (neg, zero, pos) = (
                case.req("includeNeg") == "true",
                case.req("includeZero") == "true",
                case.req("includePos") == "true",
            );
            let zt = h.zero_threshold;
            let neg_buckets: Vec<_> = if reverse {
                h.negative_bucket_iter().collect()
            } else {
                h.negative_reverse_bucket_iter().collect()
            };
            let pos_buckets: Vec<_> = if reverse {
                h.positive_reverse_bucket_iter().collect()
            } else {
                h.positive_bucket_iter().collect()
            };
            let neg_part = neg_buckets.into_iter().filter(|_| neg).map(|mut b| {
                if zero && b.upper > -zt {
                    b.upper = -zt;
                }
                b
            });
            let pos_part = pos_buckets.into_iter().filter(|_| pos).map(|mut b| {
                if zero && b.lower < zt {
                    b.lower = zt;
                }
                b
            });
            let zero_part = zero.then(|| zero_bucket(&h));
            let want: Vec<_> = if reverse {
                pos_part.chain(zero_part).chain(neg_part).collect()
            } else {
                neg_part.chain(zero_part).chain(pos_part).collect()
            };
            let got: Vec<_> =
                if reverse { h.all_reverse_bucket_iter().collect() } else { h.all_bucket_iter().collect() };
            assert_eq!(got, want, "{} (reverse: {reverse})", case.name);
        }
    }
}

#[test]
fn float_display_prometheus_cases() {
    for case in cases(FLOAT_STRING) {
        let h = case.fh("fh");
        h.validate().unwrap();
        assert_eq!(h.to_string(), case.req("expected"), "{}", case.name);
    }
}

#[test]
fn int_display_prometheus_cases() {
    for case in cases(INT_STRING) {
        assert_eq!(ih(case.req("histogram")).to_string(), case.req("expectedString"), "{}", case.name);
    }
}

#[test]
fn display_of_promtool_dump_style_histograms() {
    // The example in Prometheus's docs of String(), plus float counts and odd values.
    let h = ih("c:4 sum:3.5 zt:0.001 zc:2 p:1/1 pb:1 n:1/1 nb:1");
    assert_eq!(h.to_string(), "{count:4, sum:3.5, [-2,-1):1, [-0.001,0.001]:2, (1,2]:1}");
    let f = fh("c:0.5 sum:NaN zt:0.001 zc:0.25 p:0/1 pb:0.25 s:3");
    assert_eq!(f.to_string(), "{count:0.5, sum:NaN, [-0.001,0.001]:0.25, (0.9170040432046711,1]:0.25}");
    let g = fh("c:1e21 sum:-inf p:1023/3 pb:1e21,0,NaN");
    assert_eq!(
        g.to_string(),
        "{count:1e+21, sum:-Inf, (4.49423283715579e+307,8.98846567431158e+307]:1e+21, \
                               (1.7976931348623157e+308,+Inf]:NaN}"
    );
    assert_eq!(FloatHistogram::default().to_string(), "{count:0, sum:0}");
    // Custom buckets whose spans reach past the custom values show NaN bounds instead of panicking.
    assert_eq!(fh("s:-53 c:1 p:5/1 pb:1 cv:1").to_string(), "{count:1, sum:0, (NaN,NaN]:1}");
}

#[test]
fn cumulative_iterator_prometheus_cases() {
    for case in cases(CUMULATIVE) {
        let h = ih(case.req("histogram"));
        let got: Vec<_> = h.cumulative_bucket_iter().unwrap().collect();
        assert_eq!(got, buckets::<u64>(case.req("expectedBuckets")), "{}", case.name);
    }
    assert!(ih("n:0/1 nb:1").cumulative_bucket_iter().is_err());
}

#[test]
fn regular_iterator_prometheus_cases() {
    for case in cases(REGULAR) {
        let h = ih(case.req("histogram"));
        let pos: Vec<_> = h.positive_bucket_iter().collect();
        let neg: Vec<_> = h.negative_bucket_iter().collect();
        assert_eq!(pos, buckets::<u64>(case.get("expectedPositiveBuckets").unwrap_or("")), "{}", case.name);
        assert_eq!(neg, buckets::<u64>(case.get("expectedNegativeBuckets").unwrap_or("")), "{}", case.name);
    }
}

#[test]
fn to_float_keeps_the_string_form() {
    // TestHistogramToFloat and TestCustomBucketsHistogramToFloat compare String() outputs.
    let h =
        ih("s:3 c:61 sum:2.7 zt:0.1 zc:42 p:0/4,0/0,0/3 pb:1,2,-2,1,-1,0,0 n:0/5,1/0,0/1 nb:1,2,-2,1,-1,0");
    assert_eq!(h.to_string(), h.to_float().to_string());
    let c = ih("s:-53 c:10 sum:2.7 p:0/4,0/0,0/3 pb:1,2,-2,1,-1,0,0 cv:1,2,3,4,5,6,7,8");
    assert_eq!(c.to_string(), c.to_float().to_string());
}

#[test]
fn int_validate_prometheus_cases() {
    for case in cases(INT_VALIDATE) {
        let h = ih(case.req("h"));
        let want = case.get("errMsg");
        assert_eq!(h.validate().err().map(|e| e.to_string()).as_deref(), want, "{}", case.name);
        if case.get("skipFloat").is_none() {
            assert_eq!(
                h.to_float().validate().err().map(|e| e.to_string()).as_deref(),
                want,
                "{} (float)",
                case.name
            );
        }
    }
}

#[test]
fn float_validate_negative_counts_prometheus_cases() {
    let all = cases(FLOAT_VALIDATE_NEGATIVE);
    assert_eq!(all.len(), 4);
    for case in all {
        let err = case.fh("fh").validate().unwrap_err();
        let kinds = [HistogramErrorKind::NegativeBucketCount, HistogramErrorKind::NegativeCount];
        assert!(kinds.contains(&err.kind()), "{}: {err}", case.name);
    }
    assert_eq!(
        fh("c:-1").validate().unwrap_err().to_string(),
        "observation count is  -1: histogram's observation count is negative"
    );
    assert_eq!(
        fh("s:9").validate().unwrap_err().to_string(),
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema 9"
    );
    assert_eq!(
        fh("zc:-0.5").validate().unwrap_err().to_string(),
        "zero bucket has observation count of -0.5: histogram has a bucket whose observation count is negative"
    );
    assert_eq!(
        fh("s:-53 p:0/1 pb:1 cv:2,1").validate().unwrap_err().to_string(),
        "custom buckets: previous bound is 2.000000 and current is 1.000000: histogram custom bounds must be in strictly increasing order"
    );
    assert_eq!(
        fh("s:-53 p:0/3 pb:1,1,1 cv:1").validate().unwrap_err().to_string(),
        "custom buckets: only 1 custom bounds defined which is insufficient to cover total span length of 3: histogram custom bounds are too few"
    );
    assert_eq!(
        fh("s:-53 cv:1,inf").validate().unwrap_err().kind(),
        HistogramErrorKind::CustomBucketsInfinite
    );
    assert_eq!(fh("s:-53 cv:NaN").validate().unwrap_err().kind(), HistogramErrorKind::CustomBucketsNaN);
    assert_eq!(fh("cv:1").validate().unwrap_err().kind(), HistogramErrorKind::ExpSchemaCustomBounds);
    assert_eq!(fh("s:-53 zt:1").validate().unwrap_err().kind(), HistogramErrorKind::CustomBucketsZeroThresh);
    fh("s:-53 c:3 p:0/2 pb:1,2 cv:1").validate().unwrap();
}

#[test]
fn iterators_survive_absurd_spans() {
    let absurd = [
        "p:2147483647/4294967295,2147483647/3 pb:1,2,3 n:-2147483648/1 nb:1",
        "p:0/0,0/0,0/0 pb:1,2",
        "p:-5/2 pb: n:0/4294967295 nb:1,2,3",
        "s:8 p:-2147483648/2,2147483647/2 pb:1,2,3,4 zt:NaN zc:1",
        "s:-4 p:2147483600/100 pb:1,1,1,1,1",
        "s:-53 p:3/2,1/1 pb:1,2,3 cv:1,2",
    ];
    for s in absurd {
        let h = fh(s);
        // Bounded: a valid histogram may span 2^31 empty buckets, which the cumulative
        // iterator walks one by one (as Prometheus's does).
        const N: usize = 10_000;
        let _ = h.positive_bucket_iter().take(N).count();
        let _ = h.negative_bucket_iter().take(N).count();
        let _ = h.positive_reverse_bucket_iter().take(N).count();
        let _ = h.negative_reverse_bucket_iter().take(N).count();
        let _ = h.all_bucket_iter().take(N).count();
        let _ = h.all_reverse_bucket_iter().take(N).count();
        let _ = h.to_string();
        for target in [h.schema, -4, -9] {
            if let Ok(it) = h.bucket_iter_to_schema(true, 0.5, target) {
                let _ = it.take(N).count();
            }
        }
        let i = ih(s.replace("NaN", "0").as_str());
        let _ = i.to_string();
        if let Ok(it) = i.cumulative_bucket_iter() {
            let _ = it.take(N).count();
        }
    }
}

const TARGET_SCHEMA: &str = r#"
== regular
h: c:405 sum:1008.4 s:1 p:0/4,1/3,2/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,7/4,1/3 nb:10,34,1230,54,67,63,2,554,235,33
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (4,16]:68#2 (16,64]:322#3
expNegativeBuckets: [-1,-0.25):10#0 [-4,-1):1264#1 [-64,-16):184#3 [-256,-64):791#4 [-1024,-256):33#5
== missing buckets
h: c:405 sum:1008.4 s:1 p:0/4,1/3,2/3 pb:100,344,123,55,3,63,2,54,235 n:0/3,7/4,1/3 nb:10,34,1230,54,67,63,2,554,235
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (4,16]:68#2 (16,64]:289#3
expNegativeBuckets: [-1,-0.25):10#0 [-4,-1):1264#1 [-64,-16):184#3 [-256,-64):791#4
== spurious bucket
h: c:405 sum:1008.4 s:1 p:0/4,1/3,2/3 pb:100,344,123,55,3,63,2,54,235,33,42 n:0/3,7/4,1/3 nb:10,34,1230,54,67,63,2,554,235,33,42
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (4,16]:68#2 (16,64]:322#3
expNegativeBuckets: [-1,-0.25):10#0 [-4,-1):1264#1 [-64,-16):184#3 [-256,-64):791#4 [-1024,-256):33#5
== no schema change
h: c:405 sum:1008.4 s:-1 p:0/2,1/2 pb:100,522,68,322 n:0/2,1/2 nb:100,522,68,322
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (16,64]:68#3 (64,256]:322#4
expNegativeBuckets: [-1,-0.25):100#0 [-4,-1):522#1 [-64,-16):68#3 [-256,-64):322#4
== no schema change, missing bucket
h: c:405 sum:1008.4 s:-1 p:0/2,1/2 pb:100,522,68 n:0/2,1/2 nb:100,522,68
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (16,64]:68#3
expNegativeBuckets: [-1,-0.25):100#0 [-4,-1):522#1 [-64,-16):68#3
== no schema change, spurious bucket
h: c:405 sum:1008.4 s:-1 p:0/2,1/2 pb:100,522,68,322,42 n:0/2,1/2 nb:100,522,68,322,42
expPositiveBuckets: (0.25,1]:100#0 (1,4]:522#1 (16,64]:68#3 (64,256]:322#4
expNegativeBuckets: [-1,-0.25):100#0 [-4,-1):522#1 [-64,-16):68#3 [-256,-64):322#4
"#;

const CUSTOM_ITER: &str = r#"
== 0
h: c:622 sum:10008.4 s:-53 p:0/2,1/1,1/1 pb:100,344,123,55 cv:10,25,50,100,500
expPositiveBuckets: [-Inf,10]:100#0 (10,25]:344#1 (50,100]:123#3 (500,Inf]:55#5
== 1
h: c:622 sum:10008.4 s:-53 p:0/2,1/1,1/1 pb:100,344,123,55 cv:-10,-5,0,10,25
expPositiveBuckets: [-Inf,-10]:100#0 (-10,-5]:344#1 (0,10]:123#3 (25,Inf]:55#5
"#;

const ALL_ITER: &str = r#"
== 0
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
== 1
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: false
== 2
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33
includeNeg: false
includeZero: true
includePos: true
== 3
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1
includeNeg: false
includeZero: true
includePos: false
== 4
h: c:405 zc:0 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: false
includePos: true
== 5
h: c:447 zc:42 zt:0.5 sum:1008.4 s:0 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
== 6
h: c:447 zc:42 zt:0.6 sum:1008.4 s:0 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
"#;

const ALL_REVERSE_ITER: &str = r#"
== 0
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
== 1
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: false
== 2
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33
includeNeg: false
includeZero: true
includePos: true
== 3
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1
includeNeg: false
includeZero: true
includePos: false
== 4
h: c:405 zc:0 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: false
includePos: true
== 5
h: c:447 zc:42 zt:0.5 sum:1008.4 s:0 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
== 6
h: c:447 zc:42 zt:0.6 sum:1008.4 s:0 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33
includeNeg: true
includeZero: true
includePos: true
== 7
h: c:405 zc:102 zt:0.001 sum:1008.4 s:1 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235
includeNeg: true
includeZero: true
includePos: true
== 8
h: c:447 zc:42 zt:0.6 sum:1008.4 s:0 p:0/4,1/0,3/3,3/0,2/0,5/3 pb:100,344,123,55,3,63,2,54,235,33,42 n:0/3,1/0,3/0,3/4,2/0,5/3 nb:10,34,1230,54,67,63,2,554,235,33,42
includeNeg: true
includeZero: true
includePos: true
"#;

const FLOAT_STRING: &str = r#"
== exponential histogram
fh: s:1 zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
expected: {count:3493.3, sum:2.349209324e+06, [-22.62741699796952,-16):1000, [-16,-11.31370849898476):123400, [-4,-2.82842712474619):3, [-2.82842712474619,-2):3.1, [-0.01,0.01]:5.5, (0.35355339059327373,0.5]:1, (1,1.414213562373095]:3.3, (1.414213562373095,2]:4.2, (2,2.82842712474619]:0.1}
== custom buckets histogram
fh: s:-53 c:3493.3 sum:2349209.324 p:0/1,2/4 pb:1,3.3,4.2,0.1,5 cv:1,2,5,10,15,20
expected: {count:3493.3, sum:2.349209324e+06, [-Inf,1]:1, (5,10]:3.3, (10,15]:4.2, (15,20]:0.1, (20,+Inf]:5}
"#;

const INT_STRING: &str = r#"
== 0
histogram: s:0
expectedString: {count:0, sum:0}
== 1
histogram: s:0 c:9 sum:-3.1415 zc:12 zt:0.001 n:0/5,1/1 nb:1,2,-2,1,-1,0
expectedString: {count:9, sum:-3.1415, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, [-0.001,0.001]:12}
== 2
histogram: s:0 c:19 sum:2.7 p:0/4,0/0,0/3 pb:1,2,-2,1,-1,0,0 n:0/5,1/0,0/1 nb:1,2,-2,1,-1,0
expectedString: {count:19, sum:2.7, [-64,-32):1, [-16,-8):1, [-8,-4):2, [-4,-2):1, [-2,-1):3, [-1,-0.5):1, (0.5,1]:1, (1,2]:3, (2,4]:1, (4,8]:2, (8,16]:1, (16,32]:1, (32,64]:1}
== 3
histogram: s:-53 c:19 sum:2.7 p:0/4,0/0,0/3 pb:1,2,-2,1,-1,0,0 cv:1,2,5,10,15,20,25,50
expectedString: {count:19, sum:2.7, [-Inf,1]:1, (1,2]:3, (2,5]:1, (5,10]:2, (10,15]:1, (15,20]:1, (20,25]:1}
"#;

const CUMULATIVE: &str = r#"
== 0
histogram: s:0 p:0/2,1/2 pb:1,1,-1,0
expectedBuckets: [-Inf,1]:1#0 [-Inf,2]:3#1 [-Inf,4]:3#2 [-Inf,8]:4#3 [-Inf,16]:5#4
== 1
histogram: s:0 p:0/5,1/1 pb:1,2,-2,1,-1,0
expectedBuckets: [-Inf,1]:1#0 [-Inf,2]:4#1 [-Inf,4]:5#2 [-Inf,8]:7#3 [-Inf,16]:8#4 [-Inf,32]:8#5 [-Inf,64]:9#6
== 2
histogram: s:0 p:0/7 pb:1,2,-2,1,-1,0,0
expectedBuckets: [-Inf,1]:1#0 [-Inf,2]:4#1 [-Inf,4]:5#2 [-Inf,8]:7#3 [-Inf,16]:8#4 [-Inf,32]:9#5 [-Inf,64]:10#6
== 3
histogram: s:3 p:-5/2,2/3,2/2 pb:1,2,-2,1,-1,0,3
expectedBuckets: [-Inf,0.6484197773255048]:1#-5 [-Inf,0.7071067811865475]:4#-4 [-Inf,0.7711054127039704]:4#-3 [-Inf,0.8408964152537144]:4#-2 [-Inf,0.9170040432046711]:5#-1 [-Inf,1]:7#0 [-Inf,1.0905077326652577]:8#1 [-Inf,1.189207115002721]:8#2 [-Inf,1.2968395546510096]:8#3 [-Inf,1.414213562373095]:9#4 [-Inf,1.5422108254079407]:13#5
== 4
histogram: s:-2 p:-2/4,2/2 pb:1,2,-2,1,-1,0
expectedBuckets: [-Inf,0.00390625]:1#-2 [-Inf,0.0625]:4#-1 [-Inf,1]:5#0 [-Inf,16]:7#1 [-Inf,256]:7#2 [-Inf,4096]:7#3 [-Inf,65536]:8#4 [-Inf,1048576]:9#5
== 5
histogram: s:-1 p:-2/5 pb:1,2,-2,1,-1
expectedBuckets: [-Inf,0.0625]:1#-2 [-Inf,0.25]:4#-1 [-Inf,1]:5#0 [-Inf,4]:7#1 [-Inf,16]:8#2
== 6
histogram: s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:5,10,20,50
expectedBuckets: [-Inf,5]:1#0 [-Inf,10]:3#1 [-Inf,20]:3#2 [-Inf,50]:4#3 [-Inf,Inf]:5#4
== 7
histogram: s:0 p:0/2,1/2 pb:1,1,-1,0,2
expectedBuckets: [-Inf,1]:1#0 [-Inf,2]:3#1 [-Inf,4]:3#2 [-Inf,8]:4#3 [-Inf,16]:5#4
== 8
histogram: s:0 p:0/2,1/3 pb:1,1,-1,0
expectedBuckets: [-Inf,1]:1#0 [-Inf,2]:3#1 [-Inf,4]:3#2 [-Inf,8]:4#3 [-Inf,16]:5#4
"#;

const REGULAR: &str = r#"
== 0
histogram: s:0
expectedPositiveBuckets:
expectedNegativeBuckets:
== 1
histogram: s:0 p:0/2,1/2 pb:1,1,-1,0
expectedPositiveBuckets: (0.5,1]:1#0 (1,2]:2#1 (4,8]:1#3 (8,16]:1#4
expectedNegativeBuckets:
== 2
histogram: s:0 n:0/5,1/1 nb:1,2,-2,1,-1,0
expectedPositiveBuckets:
expectedNegativeBuckets: [-1,-0.5):1#0 [-2,-1):3#1 [-4,-2):1#2 [-8,-4):2#3 [-16,-8):1#4 [-64,-32):1#6
== 3
histogram: s:0 p:0/4,0/0,0/3 pb:1,2,-2,1,-1,0,0 n:0/5,1/0,0/1 nb:1,2,-2,1,-1,0
expectedPositiveBuckets: (0.5,1]:1#0 (1,2]:3#1 (2,4]:1#2 (4,8]:2#3 (8,16]:1#4 (16,32]:1#5 (32,64]:1#6
expectedNegativeBuckets: [-1,-0.5):1#0 [-2,-1):3#1 [-4,-2):1#2 [-8,-4):2#3 [-16,-8):1#4 [-64,-32):1#6
== 4
histogram: s:3 p:-5/2,2/3,2/2 pb:1,2,-2,1,-1,0,3
expectedPositiveBuckets: (0.5946035575013605,0.6484197773255048]:1#-5 (0.6484197773255048,0.7071067811865475]:3#-4 (0.8408964152537144,0.9170040432046711]:1#-1 (0.9170040432046711,1]:2#0 (1,1.0905077326652577]:1#1 (1.2968395546510096,1.414213562373095]:1#4 (1.414213562373095,1.5422108254079407]:4#5
expectedNegativeBuckets:
== 5
histogram: s:-2 p:-2/4,2/2 pb:1,2,-2,1,-1,0
expectedPositiveBuckets: (0.000244140625,0.00390625]:1#-2 (0.00390625,0.0625]:3#-1 (0.0625,1]:1#0 (1,16]:2#1 (4096,65536]:1#4 (65536,1048576]:1#5
expectedNegativeBuckets:
== 6
histogram: s:-1 p:-2/5 pb:1,2,-2,1,-1
expectedPositiveBuckets: (0.015625,0.0625]:1#-2 (0.0625,0.25]:3#-1 (0.25,1]:1#0 (1,4]:2#1 (4,16]:1#2
expectedNegativeBuckets:
== 7
histogram: s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:5,10,20,50
expectedPositiveBuckets: [-Inf,5]:1#0 (5,10]:2#1 (20,50]:1#3 (50,Inf]:1#4
expectedNegativeBuckets:
== 8
histogram: s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:0,10,20,50
expectedPositiveBuckets: [-Inf,0]:1#0 (0,10]:2#1 (20,50]:1#3 (50,Inf]:1#4
expectedNegativeBuckets:
== 9
histogram: s:-53 p:0/5 pb:1,1,0,-1,0 cv:-5,0,20,50
expectedPositiveBuckets: [-Inf,-5]:1#0 (-5,0]:2#1 (0,20]:2#2 (20,50]:1#3 (50,Inf]:1#4
expectedNegativeBuckets:
== 10
histogram: s:0 n:0/5,1/1 nb:1,2,-2,1,-1,0,3
expectedPositiveBuckets:
expectedNegativeBuckets: [-1,-0.5):1#0 [-2,-1):3#1 [-4,-2):1#2 [-8,-4):2#3 [-16,-8):1#4 [-64,-32):1#6
== 11
histogram: s:0 n:0/5,1/1 nb:1,2,-2,1,-1
expectedPositiveBuckets:
expectedNegativeBuckets: [-1,-0.5):1#0 [-2,-1):3#1 [-4,-2):1#2 [-8,-4):2#3 [-16,-8):1#4
"#;

const INT_VALIDATE: &str = r#"
== valid histogram
h: c:12 zc:2 zt:0.001 sum:19.4 s:1 p:0/2,1/2 pb:1,1,-1,0 n:0/2,1/2 nb:1,1,-1,0
== valid histogram with NaN observations that has its Count (4) higher than the actual total of buckets (2 + 1)
h: zc:2 c:4 sum:NaN p:0/1 pb:1
== rejects histogram without NaN observations that has its Count (4) higher than the actual total of buckets (2 + 1)
h: zc:2 c:4 sum:333 p:0/1 pb:1
errMsg: 3 observations found in buckets, but the Count field is 4: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)
skipFloat: true
== rejects histogram that has too few negative buckets
h: n:0/1 nb:
errMsg: negative side: spans need 1 buckets, have 0 buckets: histogram spans specify different number of buckets than provided
== rejects histogram that has too few positive buckets
h: p:0/1 pb:
errMsg: positive side: spans need 1 buckets, have 0 buckets: histogram spans specify different number of buckets than provided
== rejects histogram that has too many negative buckets
h: n:0/1 nb:1,2
errMsg: negative side: spans need 1 buckets, have 2 buckets: histogram spans specify different number of buckets than provided
== rejects histogram that has too many positive buckets
h: p:0/1 pb:1,2
errMsg: positive side: spans need 1 buckets, have 2 buckets: histogram spans specify different number of buckets than provided
== rejects a histogram that has a negative span with a negative offset
h: n:-1/1,-1/1 nb:1,2
errMsg: negative side: span number 2 with offset -1: histogram has a span whose offset is negative
== rejects a histogram which has a positive span with a negative offset
h: p:-1/1,-1/1 pb:1,2
errMsg: positive side: span number 2 with offset -1: histogram has a span whose offset is negative
== rejects a histogram that has a negative bucket with a negative count
h: n:-1/1 nb:-1
errMsg: negative side: bucket number 1 has observation count of -1: histogram has a bucket whose observation count is negative
== rejects a histogram that has a positive bucket with a negative count
h: p:-1/1 pb:-1
errMsg: positive side: bucket number 1 has observation count of -1: histogram has a bucket whose observation count is negative
== rejects a histogram that has a lower count than count in buckets
h: c:0 n:-1/1 p:-1/1 nb:1 pb:1
errMsg: 2 observations found in buckets, but the Count field is 0: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)
skipFloat: true
== rejects a histogram that doesn't count the zero bucket in its count
h: c:2 zc:1 n:-1/1 p:-1/1 nb:1 pb:1
errMsg: 3 observations found in buckets, but the Count field is 2: histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)
skipFloat: true
== rejects an exponential histogram with custom buckets schema
h: c:12 zc:2 zt:0.001 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1,0 n:0/2,1/2 nb:1,1,-1,0
errMsg: custom buckets: only 0 custom bounds defined which is insufficient to cover total span length of 5: histogram custom bounds are too few
== rejects a custom buckets histogram with exponential schema
h: c:5 sum:19.4 s:0 p:0/2,1/2 pb:1,1,-1,0 cv:1,2,3,4
errMsg: histogram with exponential schema must not have custom bounds
skipFloat: true
== rejects a custom buckets histogram with zero/negative buckets
h: c:12 zc:2 zt:0.001 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1,0 n:0/2,1/2 nb:1,1,-1,0 cv:1,2,3,4
errMsg: custom buckets: must have zero count of 0
skipFloat: true
== rejects a custom buckets histogram with negative offset in first span
h: c:5 sum:19.4 s:-53 p:-1/2,1/2 pb:1,1,-1,0 cv:1,2,3,4
errMsg: custom buckets: span number 1 with offset -1: histogram has a span whose offset is negative
== rejects a custom buckets histogram with negative offset in subsequent spans
h: c:5 sum:19.4 s:-53 p:0/2,-1/2 pb:1,1,-1,0 cv:1,2,3,4
errMsg: custom buckets: span number 2 with offset -1: histogram has a span whose offset is negative
== rejects a custom buckets histogram with non-matching bucket counts
h: c:5 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1 cv:1,2,3,4
errMsg: custom buckets: spans need 4 buckets, have 3 buckets: histogram spans specify different number of buckets than provided
== rejects a custom buckets histogram with too few bounds
h: c:5 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:1,2,3
errMsg: custom buckets: only 3 custom bounds defined which is insufficient to cover total span length of 5: histogram custom bounds are too few
== valid custom buckets histogram
h: c:5 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:1,2,3,4
== valid custom buckets histogram with extra bounds
h: c:5 sum:19.4 s:-53 p:0/2,1/2 pb:1,1,-1,0 cv:1,2,3,4,5,6,7,8
== reject custom buckets histogram with non-increasing bound
h: s:-53 cv:0,0
errMsg: custom buckets: previous bound is 0.000000 and current is 0.000000: histogram custom bounds must be in strictly increasing order
== reject custom buckets histogram with explicit +Inf bound
h: s:-53 cv:1,inf
errMsg: custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite
== valid custom buckets histogram with explicit -Inf bound
h: s:-53 cv:-inf,1
== reject custom buckets histogram with NaN bound
h: s:-53 cv:1,NaN,3
errMsg: custom buckets: histogram custom bounds must not be NaN
== schema too high
h: s:10
errMsg: histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema 10
== schema too low
h: s:-10
errMsg: histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema -10
"#;

const FLOAT_VALIDATE_NEGATIVE: &str = r#"
== positive bucket with negative population
fh: s:1 zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,-4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
== negative bucket with negative population
fh: s:1 zt:0.01 zc:5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,-3,123400,1000
== negative count
fh: s:1 zt:0.01 zc:5.5 c:-3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
== zero bucket with negative population
fh: s:1 zt:0.01 zc:-5.5 c:3493.3 sum:2349209.324 p:-2/1,2/3 pb:1,3.3,4.2,0.1 n:3/2,3/2 nb:3.1,3,123400,1000
"#;
