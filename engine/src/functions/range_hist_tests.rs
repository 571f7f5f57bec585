//! Tests of the native histogram range functions, with vectors from Prometheus's
//! `functions.test` and `experimental/extended_vectors.test`.

use quiver_proto::{CounterResetHint, FloatHistogram, Span};

use crate::annotations::{Annotation, HistogramOperation};
use crate::functions::range::{RangeFunction, RangeModifier, RangeResult, RangeValue, Window, eval_range};

use CounterResetHint::{CounterReset, Gauge, NotCounterReset, Unknown};

const MIN: i64 = 60_000;
const LOOKBACK: i64 = 5 * MIN;

/// A schema-0 histogram with consecutive positive buckets from index `offset`.
fn fh(count: f64, sum: f64, buckets: &[f64], offset: i32, hint: CounterResetHint) -> FloatHistogram {
    FloatHistogram {
        counter_reset_hint: hint,
        schema: 0,
        count,
        sum,
        positive_spans: if buckets.is_empty() {
            vec![]
        } else {
            vec![Span { offset, length: buckets.len() as u32 }]
        },
        positive_buckets: buckets.to_vec(),
        ..Default::default()
    }
}

fn custom(count: f64, bounds: &[f64], buckets: &[f64], hint: CounterResetHint) -> FloatHistogram {
    FloatHistogram {
        schema: quiver_proto::CUSTOM_BUCKETS_SCHEMA,
        custom_values: bounds.to_vec(),
        ..fh(count, count, buckets, 0, hint)
    }
}

fn eval_h(
    f: RangeFunction,
    floats: &[(i64, f64)],
    hists: &[(i64, FloatHistogram)],
    range: i64,
    at: i64,
    modifier: RangeModifier,
) -> RangeResult {
    let (start, end) = (at - range, at);
    let (lo, hi) = match modifier {
        RangeModifier::None => (start, end),
        RangeModifier::Anchored => (start - LOOKBACK, end),
        RangeModifier::Smoothed => (start - LOOKBACK, end + LOOKBACK),
    };
    let fl: Vec<(i64, f64)> = floats.iter().copied().filter(|(t, _)| *t > lo && *t <= hi).collect();
    let hs: Vec<(i64, &FloatHistogram)> =
        hists.iter().filter(|(t, _)| *t > lo && *t <= hi).map(|(t, h)| (*t, h)).collect();
    let mut w = Window::new(&fl, &hs, start, end);
    w.modifier = modifier;
    w.metric_name = Some("h");
    eval_range(f, &w, &[]).unwrap()
}

fn hist(r: &RangeResult) -> &FloatHistogram {
    match &r.value {
        Some(RangeValue::Histogram(h)) => h,
        other => panic!("want a histogram, got {other:?}"),
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || ((a - b) / b).abs() < 1e-9
}

/// `start + inc * i` for i in 0..n at `step` intervals.
fn counter_series(step: i64, n: usize, f: impl Fn(f64) -> FloatHistogram) -> Vec<(i64, FloatHistogram)> {
    (0..n).map(|i| (i as i64 * step, f(i as f64))).collect()
}

#[test]
fn range_hist_irate_idelta_corpus() {
    use RangeFunction::{Idelta, Irate};
    let a = counter_series(5 * MIN, 6, |i| fh(2. + 3. * i, 2. + 3. * i, &[], 0, Unknown));
    let r = eval_h(Irate, &[], &a, 20 * MIN, 20 * MIN, RangeModifier::None);
    let h = hist(&r);
    assert!(close(h.sum, 0.01) && close(h.count, 0.01) && h.counter_reset_hint == Gauge);
    assert!(r.annotations.is_empty());
    // Floats then a gauge histogram: irate warns that it is not a counter.
    let floats = [(0, 0.0), (5 * MIN, 0.0)];
    let c = [(10 * MIN, fh(1., 1., &[], 0, Unknown)), (15 * MIN, fh(4., 4., &[], 0, Gauge))];
    let r = eval_h(Irate, &floats, &c, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert!(close(hist(&r).count, 0.01));
    assert_eq!(r.annotations, vec![Annotation::NativeHistogramNotCounter { metric_name: "h".into() }]);
    let r = eval_h(Irate, &floats, &c, 6 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(r, RangeResult::default());
    // A float and a histogram as the last two samples.
    let floats = [(0, 0.0), (5 * MIN, 1.0), (10 * MIN, 2.0)];
    let e = [(15 * MIN, fh(4., 4., &[], 0, Unknown))];
    let r = eval_h(Irate, &floats, &e, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(r.value, None);
    assert_eq!(r.annotations, vec![Annotation::MixedFloatsHistograms { metric_name: "h".into() }]);
    // Exponential then custom buckets: a reset for irate, no subtraction.
    let f = [(10 * MIN, fh(1., 1., &[], 0, Unknown)), (15 * MIN, custom(3., &[5., 10.], &[3.], Unknown))];
    let r = eval_h(Irate, &[], &f, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert!(r.annotations.is_empty());
    assert!(close(hist(&r).count, 0.01) && close(hist(&r).positive_buckets[0], 0.01));
    // ... but a warning for idelta.
    let f = [(10 * MIN, fh(1., 1., &[], 0, Gauge)), (15 * MIN, custom(1., &[5., 10.], &[1.], Gauge))];
    let r = eval_h(Idelta, &[], &f, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(r.value, None);
    assert_eq!(r.annotations, vec![Annotation::MixedExponentialCustomHistograms { metric_name: "h".into() }]);
    // idelta on gauges; on counters with a not-a-gauge warning.
    let g = counter_series(5 * MIN, 6, |i| fh(2. + 3. * i, 2. + i, &[], 0, Gauge));
    let r = eval_h(Idelta, &[], &g, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert!(r.annotations.is_empty());
    assert_eq!((hist(&r).sum, hist(&r).count), (1.0, 3.0));
    let d = [(10 * MIN, fh(1., 1., &[], 0, Gauge)), (15 * MIN, fh(2., 2., &[], 0, Unknown))];
    let r = eval_h(Idelta, &[], &d, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(r.annotations, vec![Annotation::NativeHistogramNotGauge { metric_name: "h".into() }]);
    assert_eq!(hist(&r).count, 1.0);
}

#[test]
fn range_hist_delta_rate_corpus() {
    use RangeFunction::{Delta, Increase, Rate};
    let gauge = counter_series(5 * MIN, 6, |i| fh(2. * i, i, &[i, i, i], 0, Gauge));
    let r = eval_h(Delta, &[], &gauge, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert!(r.annotations.is_empty());
    let h = hist(&r);
    assert!(close(h.sum, 4.) && close(h.count, 8.));
    assert!(h.positive_buckets.iter().all(|b| close(*b, 4.)), "{h:?}");
    let counter = counter_series(5 * MIN, 6, |i| fh(2. * i, i, &[i, i, i], 0, Unknown));
    let r = eval_h(Delta, &[], &counter, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(r.annotations, vec![Annotation::NativeHistogramNotGauge { metric_name: "h".into() }]);
    assert!(close(hist(&r).count, 8.));
    // A mix of floats and histograms in the window.
    let floats = [(0, 0.0), (5 * MIN, 50.0), (10 * MIN, 100.0)];
    let mix =
        [(15 * MIN, fh(0., 0., &[0., 0., 0.], 0, Gauge)), (20 * MIN, fh(2., 1., &[1., 1., 1.], 0, Gauge))];
    let r = eval_h(Delta, &floats, &mix, 20 * MIN, 20 * MIN, RangeModifier::None);
    assert_eq!(
        r,
        RangeResult {
            value: None,
            annotations: vec![Annotation::MixedFloatsHistograms { metric_name: "h".into() }]
        }
    );
    // hist_counter (load 15s): count = sum = bucket[1] = i + 1.
    let hc = counter_series(15_000, 8, |i| fh(i + 1., i + 1., &[i + 1.], 1, Unknown));
    let r = eval_h(Rate, &[], &hc, MIN, 50_000, RangeModifier::None);
    assert!(close(hist(&r).count, 0.06666666666666667));
    // Histogram rates never get the "might not be a counter" info.
    assert!(r.annotations.is_empty());
    let r = eval_h(Increase, &[], &hc, MIN, 50_000, RangeModifier::None);
    assert!(close(hist(&r).count, 4.));
    // Counter resets are added back; a gauge in a counter range warns.
    let reset = [
        (MIN, fh(5., 5., &[5.], 0, Unknown)),
        (2 * MIN, fh(10., 10., &[10.], 0, Unknown)),
        (3 * MIN, fh(2., 2., &[2.], 0, Unknown)),
        (4 * MIN, fh(6., 6., &[6.], 0, Gauge)),
    ];
    let r = eval_h(Increase, &[], &reset, 4 * MIN, 4 * MIN, RangeModifier::None);
    // 6 - 5 + 10 = 11 over 3m of samples, extrapolated by 1m at the start.
    assert_eq!(r.annotations, vec![Annotation::NativeHistogramNotCounter { metric_name: "h".into() }]);
    assert!(close(hist(&r).count, 11. * 4. / 3.), "{:?}", hist(&r));
    assert_eq!(hist(&r).counter_reset_hint, Gauge);
    // Exponential and custom buckets mixed.
    let mixed = [(MIN, fh(1., 1., &[1.], 0, Unknown)), (2 * MIN, custom(2., &[5.], &[2.], Unknown))];
    let r = eval_h(Delta, &[], &mixed, 2 * MIN, 2 * MIN, RangeModifier::None);
    assert_eq!(r.value, None);
    assert!(
        r.annotations.contains(&Annotation::MixedExponentialCustomHistograms { metric_name: "h".into() })
    );
}

#[test]
fn range_hist_anchored_smoothed_corpus() {
    use RangeFunction::{Delta, Increase, Rate};
    let hc = counter_series(15_000, 8, |i| fh(i + 1., i + 1., &[i + 1.], 1, Unknown));
    let count = |f, at, m| hist(&eval_h(f, &[], &hc, MIN, at, m)).count;
    assert!(close(count(Increase, 50_000, RangeModifier::Anchored), 3.));
    assert!(close(count(Increase, 50_000, RangeModifier::Smoothed), 3.333333333333333));
    assert!(close(count(Increase, 5_000, RangeModifier::Smoothed), 0.3333333333333333));
    assert!(close(count(Rate, 50_000, RangeModifier::Smoothed), 0.05555555555555555));
    assert_eq!(count(Increase, 5_000, RangeModifier::Anchored), 0.);
    assert!(close(count(Rate, 50_000, RangeModifier::Anchored), 0.05));
    let r = eval_h(Delta, &[], &hc, MIN, 50_000, RangeModifier::Smoothed);
    assert!(close(hist(&r).count, 3.333333333333333));
    assert_eq!(r.annotations, vec![Annotation::NativeHistogramNotGauge { metric_name: "h".into() }]);
    for (i, want) in [0., 1. / 60., 2. / 60., 3. / 60., 4. / 60.].into_iter().enumerate() {
        let got = count(Rate, i as i64 * 15_000, RangeModifier::Smoothed);
        assert!(got == want || close(got, want), "step {i}: {got}");
    }
    // A mix of bucket kinds in an anchored range.
    let mixed = vec![
        (0, fh(1., 1., &[1.], 0, Unknown)),
        (30_000, custom(1., &[5., 10.], &[1.], Unknown)),
        (60_000, fh(4., 5., &[1., 2., 1.], 0, Unknown)),
        (90_000, custom(1., &[5., 10.], &[1.], Unknown)),
    ];
    let r = eval_h(Rate, &[], &mixed, MIN, MIN, RangeModifier::Anchored);
    assert_eq!(
        r,
        RangeResult::warn_only(Annotation::MixedExponentialCustomHistograms { metric_name: "h".into() })
    );
    // Resets next to the boundaries.
    let boundary = vec![
        (10_000, fh(396., 396., &[396.], 0, NotCounterReset)),
        (20_000, fh(110., 110., &[110.], 0, CounterReset)),
        (30_000, fh(194., 194., &[194.], 0, NotCounterReset)),
    ];
    let r = eval_h(Rate, &[], &boundary, 1_000, 20_500, RangeModifier::Smoothed);
    assert!(close(hist(&r).count, 9.7), "{:?}", hist(&r));
    let at_end = vec![
        (0, fh(5., 5., &[5.], 0, Unknown)),
        (30_000, fh(10., 10., &[10.], 0, Unknown)),
        (60_000, fh(3., 3., &[3.], 0, CounterReset)),
    ];
    assert!(close(hist(&eval_h(Increase, &[], &at_end, 70_000, 70_000, RangeModifier::Anchored)).count, 8.));
    let two = vec![(0, fh(5., 5., &[5.], 0, Unknown)), (30_000, fh(3., 3., &[3.], 0, CounterReset))];
    assert!(close(hist(&eval_h(Increase, &[], &two, 30_000, 30_000, RangeModifier::Anchored)).count, 3.));
    let double = vec![
        (0, fh(10., 10., &[10.], 0, Unknown)),
        (10_000, fh(5., 5., &[5.], 0, CounterReset)),
        (20_000, fh(2., 2., &[2.], 0, CounterReset)),
        (30_000, fh(4., 4., &[4.], 0, Unknown)),
    ];
    assert!(close(hist(&eval_h(Increase, &[], &double, 14_000, 15_000, RangeModifier::Smoothed)).count, 5.5));
    let both = vec![(0, fh(10., 10., &[10.], 0, Unknown)), (20_000, fh(5., 5., &[5.], 0, CounterReset))];
    assert!(close(hist(&eval_h(Increase, &[], &both, 10_000, 15_000, RangeModifier::Smoothed)).count, 2.5));
}

#[test]
fn range_hist_sum_avg_over_time_corpus() {
    use RangeFunction::{AvgOverTime, SumOverTime};
    let m13 = counter_series(10_000, 6, |_| fh(1., 1., &[], 0, Unknown));
    let r = eval_h(SumOverTime, &[], &m13, MIN, 55_000, RangeModifier::None);
    assert_eq!((hist(&r).sum, hist(&r).count), (6., 6.));
    let r = eval_h(AvgOverTime, &[], &m13, MIN, 55_000, RangeModifier::None);
    assert_eq!((hist(&r).sum, hist(&r).count), (1., 1.));
    assert!(r.annotations.is_empty());
    // Buckets, and the counter reset hint collision warning.
    let hs = vec![
        (10_000, fh(2., 3., &[1., 1.], 0, CounterReset)),
        (20_000, fh(4., 5., &[2., 2.], 0, NotCounterReset)),
        (30_000, fh(6., 7., &[3., 3.], 0, Unknown)),
    ];
    let r = eval_h(SumOverTime, &[], &hs, MIN, 30_000, RangeModifier::None);
    assert_eq!(hist(&r).positive_buckets, vec![6., 6.]);
    assert_eq!(hist(&r).count, 12.);
    assert_eq!(
        r.annotations,
        vec![Annotation::HistogramCounterResetCollision { operation: HistogramOperation::Agg }]
    );
    let r = eval_h(AvgOverTime, &[], &hs, MIN, 30_000, RangeModifier::None);
    assert_eq!((hist(&r).count, hist(&r).sum), (4., 5.));
    assert_eq!(hist(&r).positive_buckets, vec![2., 2.]);
    // Overflowing sums switch to the incremental mean.
    let big = vec![
        (10_000, fh(1e308, 1e308, &[1e308], 0, Unknown)),
        (20_000, fh(1e308, 1e308, &[1e308], 0, Unknown)),
    ];
    let r = eval_h(AvgOverTime, &[], &big, MIN, 30_000, RangeModifier::None);
    assert_eq!((hist(&r).count, hist(&r).positive_buckets[0]), (1e308, 1e308));
    // Floats and histograms mixed: warning, no value.
    let r = eval_h(SumOverTime, &[(5_000, 1.0)], &m13, MIN, 55_000, RangeModifier::None);
    assert_eq!(r, RangeResult::warn_only(Annotation::MixedFloatsHistograms { metric_name: "h".into() }));
    let mixed = vec![(10_000, fh(1., 1., &[1.], 0, Unknown)), (20_000, custom(2., &[5.], &[2.], Unknown))];
    let r = eval_h(AvgOverTime, &[], &mixed, MIN, 30_000, RangeModifier::None);
    assert_eq!(
        r,
        RangeResult::warn_only(Annotation::MixedExponentialCustomHistograms { metric_name: "h".into() })
    );
}

#[test]
fn range_hist_changes_resets_first_last_corpus() {
    use RangeFunction::*;
    // http_requests_histogram{path="/biz"}: 0 1 0 2 0 3 0 and three histograms (load 5m).
    let floats: Vec<(i64, f64)> =
        [0., 1., 0., 2., 0., 3., 0.].iter().enumerate().map(|(i, v)| (i as i64 * 5 * MIN, *v)).collect();
    let zb = |count: f64, zero: f64| FloatHistogram {
        zero_threshold: 0.001,
        zero_count: zero,
        ..fh(count, count, &[], 0, Unknown)
    };
    let hs = vec![(35 * MIN, zb(1., 2.)), (40 * MIN, zb(2., 1.)), (45 * MIN, zb(1., 2.))];
    let at = 50 * MIN;
    let one = |f| eval_h(f, &floats, &hs, 60 * MIN, at, RangeModifier::None).as_float();
    assert_eq!(one(Resets), Some(6.));
    assert_eq!(one(Changes), Some(9.));
    assert_eq!(one(CountOverTime), Some(10.));
    assert_eq!(one(TsOfLastOverTime), Some(2700.));
    assert_eq!(one(TsOfFirstOverTime), Some(0.));
    // Only histograms in a window of 6m: nothing changed.
    assert_eq!(eval_h(Resets, &floats, &hs, 6 * MIN, at, RangeModifier::None).as_float(), Some(0.));
    assert_eq!(eval_h(Changes, &floats, &hs, 6 * MIN, at, RangeModifier::None).as_float(), Some(0.));
    // first / last pick by time across floats and histograms.
    let r = eval_h(LastOverTime, &floats, &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!(hist(&r).zero_count, 2.);
    let r = eval_h(FirstOverTime, &floats, &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!(r.as_float(), Some(0.));
    let r = eval_h(FirstOverTime, &[], &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!(hist(&r).count, 1.);
    // Float functions ignore histograms, with an info when there are also floats.
    let info = Annotation::HistogramIgnoredInMixedRange { metric_name: "h".into() };
    let r = eval_h(MaxOverTime, &floats, &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!((r.as_float(), r.annotations), (Some(3.), vec![info.clone()]));
    assert_eq!(eval_h(MaxOverTime, &[], &hs, 60 * MIN, at, RangeModifier::None), RangeResult::default());
    let r = eval_h(StddevOverTime, &[(44 * MIN, 1.0)], &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!((r.as_float(), r.annotations), (Some(0.), vec![info.clone()]));
    let r = eval_h(Deriv, &[(44 * MIN, 1.0)], &hs, 60 * MIN, at, RangeModifier::None);
    assert_eq!(r, RangeResult::warn_only(info));
    assert_eq!(eval_h(Deriv, &[], &hs, 60 * MIN, at, RangeModifier::None), RangeResult::default());
}
