//! Tests of the float range functions, with vectors from Prometheus's `functions.test` and
//! `experimental/extended_vectors.test` (the corpus in /work/shared/conformance/promql).

use crate::annotations::Annotation;
use crate::functions::FunctionError;
use crate::functions::range::{RangeFunction, RangeModifier, RangeResult, RangeValue, Window, eval_range};

const MIN: i64 = 60_000;
const LOOKBACK: i64 = 5 * MIN;

/// `load <step>` samples: `values[i]` at `i * step_ms` (NaN-free `None` entries are gaps).
fn load(step_ms: i64, values: &[Option<f64>]) -> Vec<(i64, f64)> {
    values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i as i64 * step_ms, v))).collect()
}

fn vals(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().map(|v| Some(*v)).collect()
}

/// `start+incxN`: N+1 values.
fn series(start: f64, inc: f64, n: usize) -> Vec<f64> {
    (0..=n).map(|i| start + inc * i as f64).collect()
}

/// Evaluates `f(x[range] offset)` at `at` over the samples, selecting the window as the engine
/// does (with the lookback delta for the anchored and smoothed modifiers).
fn eval_mod(
    f: RangeFunction,
    samples: &[(i64, f64)],
    range: i64,
    at: i64,
    modifier: RangeModifier,
    params: &[f64],
) -> Result<RangeResult, FunctionError> {
    let (start, end) = (at - range, at);
    let (lo, hi) = match modifier {
        RangeModifier::None => (start, end),
        RangeModifier::Anchored => (start - LOOKBACK, end),
        RangeModifier::Smoothed => (start - LOOKBACK, end + LOOKBACK),
    };
    let w_samples: Vec<(i64, f64)> = samples.iter().copied().filter(|(t, _)| *t > lo && *t <= hi).collect();
    let mut w = Window::new(&w_samples, &[], start, end);
    w.modifier = modifier;
    w.metric_name = Some("metric_total");
    eval_range(f, &w, params)
}

fn eval(f: RangeFunction, samples: &[(i64, f64)], range: i64, at: i64) -> Option<f64> {
    eval_mod(f, samples, range, at, RangeModifier::None, &[]).unwrap().as_float()
}

fn eval_p(f: RangeFunction, samples: &[(i64, f64)], range: i64, at: i64, params: &[f64]) -> Option<f64> {
    eval_mod(f, samples, range, at, RangeModifier::None, params).unwrap().as_float()
}

/// Prometheus's test tolerance: relative 1e-6 (NaN equals NaN).
fn assert_close(got: Option<f64>, want: f64) {
    let got = got.unwrap_or_else(|| panic!("no value, want {want}"));
    let ok = (got.is_nan() && want.is_nan())
        || got == want
        || (want != 0.0 && ((got - want) / want).abs() < 1e-6)
        || (want == 0.0 && got.abs() < 1e-300);
    assert!(ok, "got {got}, want {want}");
}

#[test]
fn range_resets_and_changes_corpus() {
    use RangeFunction::{Changes, Resets};
    let foo = load(5 * MIN, &vals(&[1., 2., 3., 0., 1., 0., 0., 1., 2., 0.]));
    let bar = load(5 * MIN, &vals(&[1., 2., 3., 4., 5., 1., 2., 3., 4., 5.]));
    let biz = load(5 * MIN, &vals(&[0., 0., 0., 0., 0., 1., 1., 1., 1., 1.]));
    let at = 50 * MIN;
    assert_eq!(eval(Resets, &foo, 5 * MIN, at), None);
    for (range, want) in [
        (10 * MIN, [0., 0., 0.]),
        (20 * MIN, [1., 0., 0.]),
        (32 * MIN, [2., 1., 0.]),
        (50 * MIN, [3., 1., 0.]),
    ] {
        for (s, w) in [&foo, &bar, &biz].into_iter().zip(want) {
            assert_eq!(eval(Resets, s, range, at), Some(w), "resets[{range}]");
        }
    }
    assert_eq!(eval(Changes, &foo, 5 * MIN, at), None);
    for (range, want) in [
        (6 * MIN, [0., 0., 0.]),
        (20 * MIN, [2., 2., 0.]),
        (30 * MIN, [3., 4., 0.]),
        (50 * MIN, [7., 8., 1.]),
    ] {
        for (s, w) in [&foo, &bar, &biz].into_iter().zip(want) {
            assert_eq!(eval(Changes, s, range, at), Some(w), "changes[{range}]");
        }
    }
    let nan_b = load(5 * MIN, &vals(&[f64::NAN, f64::NAN, f64::NAN]));
    let nan_c = load(5 * MIN, &vals(&[0., f64::NAN, 0.]));
    assert_eq!(eval(Changes, &nan_b, 20 * MIN, 15 * MIN), Some(0.0));
    assert_eq!(eval(Changes, &nan_c, 20 * MIN, 15 * MIN), Some(2.0));
}

#[test]
fn range_increase_extrapolation_corpus() {
    use RangeFunction::Increase;
    let foo = load(5 * MIN, &vals(&series(0., 10., 10)));
    let mut bar_v = series(0., 18., 5);
    bar_v.extend(series(0., 18., 5));
    let bar = load(5 * MIN, &vals(&bar_v));
    let dings = load(5 * MIN, &vals(&series(10., 10., 10)));
    let bumms = load(5 * MIN, &vals(&series(1., 10., 10)));
    for (s, w50, w100) in [(&foo, 100., 100.), (&bar, 160., 162.), (&dings, 100., 105.), (&bumms, 100., 101.)]
    {
        assert_close(eval(Increase, s, 50 * MIN, 50 * MIN), w50);
        assert_close(eval(Increase, s, 100 * MIN, 50 * MIN), w100);
    }
    let reset = load(5 * MIN, &vals(&[0., 1., 2., 3., 2., 3., 4.]));
    assert_close(eval(Increase, &reset, 30 * MIN, 30 * MIN), 7.0);
}

#[test]
fn range_rate_corpus() {
    use RangeFunction::Rate;
    let mut v = series(0., 27., 4);
    v.extend(series(0., 27., 5));
    let middle = load(5 * MIN, &vals(&v));
    assert_close(eval(Rate, &middle, 50 * MIN, 50 * MIN), 0.08);
    let mut v = series(0., 10., 9);
    v.extend([0., 10.]);
    let end = load(5 * MIN, &vals(&v));
    assert_eq!(eval(Rate, &end, 5 * MIN, 50 * MIN), None);
    assert_eq!(eval(Rate, &end, 6 * MIN, 50 * MIN), Some(0.0));
    let window = load(5 * MIN, &vals(&series(0., 80., 10)));
    assert_close(eval(Rate, &window, 50 * MIN, 50 * MIN), 0.26666666666666666);
    // rate(x[10m] offset 5m) at 50m is the window (35m, 45m].
    let a = load(5 * MIN, &vals(&series(0., 10., 10)));
    let b = load(5 * MIN, &vals(&series(0., 20., 10)));
    assert_close(eval(Rate, &a, 10 * MIN, 45 * MIN), 0.03333333333333333);
    assert_close(eval(Rate, &b, 10 * MIN, 45 * MIN), 0.06666666666666667);
    // Zero cutoff of the left extrapolation (load 4m).
    for (start, w10, w50) in [
        (0., 0.5, 0.6),
        (60., 0.55, 0.6),
        (120., 0.6, 0.6),
        (180., 0.6, 0.6),
        (240., 0.6, 0.6),
        (300., 0.6, 0.6),
    ] {
        let s = load(4 * MIN, &vals(&series(start, 240., 10)));
        assert_close(eval(Rate, &s, 20 * MIN, 10 * MIN), w10);
        assert_close(eval(Rate, &s, 20 * MIN, 50 * MIN), w50);
    }
}

#[test]
fn range_rate_annotations() {
    let s = load(MIN, &vals(&[1., 2., 3.]));
    let mut w = Window::new(&s, &[], 0, 3 * MIN);
    w.metric_name = Some("requests");
    let r = eval_range(RangeFunction::Rate, &w, &[]).unwrap();
    assert_eq!(r.annotations, vec![Annotation::PossibleNonCounter { metric_name: "requests".into() }]);
    let r = eval_range(RangeFunction::Delta, &w, &[]).unwrap();
    assert!(r.annotations.is_empty());
    w.metric_name = Some("requests_total");
    assert!(eval_range(RangeFunction::Increase, &w, &[]).unwrap().annotations.is_empty());
    w.metric_name = None;
    assert!(eval_range(RangeFunction::Increase, &w, &[]).unwrap().annotations.is_empty());
    // With type-and-unit labels, the __type__ label decides.
    w.metric_name = Some("requests_total");
    w.type_label = Some("gauge");
    let r = eval_range(RangeFunction::Rate, &w, &[]).unwrap();
    assert_eq!(
        r.annotations,
        vec![Annotation::PossibleNonCounterLabel {
            metric_name: "requests_total".into(),
            type_label: "gauge".into()
        }]
    );
    w.type_label = Some("counter");
    assert!(eval_range(RangeFunction::Rate, &w, &[]).unwrap().annotations.is_empty());
    // No value, no info.
    let one = [(MIN, 1.0)];
    let mut w = Window::new(&one, &[], 0, 3 * MIN);
    w.metric_name = Some("requests");
    let r = eval_range(RangeFunction::Rate, &w, &[]).unwrap();
    assert_eq!(r, RangeResult::default());
    // An empty window gives nothing at all.
    let w = Window::new(&[], &[], 0, MIN);
    assert_eq!(eval_range(RangeFunction::CountOverTime, &w, &[]).unwrap(), RangeResult::default());
}

#[test]
fn range_irate_idelta_delta_corpus() {
    use RangeFunction::{Delta, Idelta, Irate};
    let foo = load(5 * MIN, &vals(&series(0., 10., 10)));
    let mut v = series(0., 10., 5);
    v.extend(series(0., 10., 5));
    let bar = load(5 * MIN, &vals(&v));
    assert_close(eval(Irate, &foo, 50 * MIN, 50 * MIN), 0.03333333333333333);
    assert_close(eval(Irate, &bar, 50 * MIN, 50 * MIN), 0.03333333333333333);
    assert_close(eval(Irate, &foo, 50 * MIN, 30 * MIN), 0.03333333333333333);
    assert_eq!(eval(Irate, &bar, 50 * MIN, 30 * MIN), Some(0.0));
    // irate / idelta over 1 NaN NaN 5 11 with range 15m1s, steps 0..20m.
    let nan = load(5 * MIN, &vals(&[1., f64::NAN, f64::NAN, 5., 11.]));
    let range = 15 * MIN + 1000;
    assert_eq!(eval(Irate, &nan, range, 0), None);
    for at in [5, 10, 15] {
        assert!(eval(Irate, &nan, range, at * MIN).unwrap().is_nan());
        assert!(eval(Idelta, &nan, range, at * MIN).unwrap().is_nan());
    }
    assert_close(eval(Irate, &nan, range, 20 * MIN), 0.02);
    assert_close(eval(Idelta, &nan, range, 20 * MIN), 6.0);
    let up = load(5 * MIN, &vals(&[0., 50., 100., 150., 200.]));
    let down = load(5 * MIN, &vals(&[200., 150., 100., 50., 0.]));
    assert_close(eval(Delta, &up, 20 * MIN, 20 * MIN), 200.0);
    assert_close(eval(Delta, &down, 20 * MIN, 20 * MIN), -200.0);
    let foo = load(5 * MIN, &vals(&[0., 50., 100., 150.]));
    let bar = load(5 * MIN, &vals(&[0., 50., 100., 50.]));
    assert_eq!(eval(Idelta, &foo, 20 * MIN, 20 * MIN), Some(50.0));
    assert_eq!(eval(Idelta, &bar, 20 * MIN, 20 * MIN), Some(-50.0));
    // One sample: nothing.
    assert_eq!(eval(Idelta, &foo, MIN, 15 * MIN), None);
}

#[test]
fn range_deriv_predict_linear_corpus() {
    use RangeFunction::{Deriv, PredictLinear};
    let total = load(5 * MIN, &vals(&series(0., 80., 10)));
    assert_close(eval(Deriv, &total, 50 * MIN, 50 * MIN), 0.26666666666666666);
    let mut v = series(0., 10., 4);
    v.extend(series(0., 10., 5));
    let middle = load(5 * MIN, &vals(&v));
    assert_close(eval(Deriv, &middle, 100 * MIN, 50 * MIN), 0.010606060606060607);
    assert_close(eval_p(PredictLinear, &middle, 50 * MIN, 50 * MIN, &[3600.]), 70.0);
    // predict_linear(x[55m] @ 3000, 3600) evaluated at 50m, 10m and 70m: same window, the
    // prediction counts from the evaluation time.
    for (at, want) in [(50, 76.81818181818181), (10, 51.36363636363637), (70, 89.54545454545455)] {
        let sel: Vec<(i64, f64)> =
            middle.iter().copied().filter(|s| s.0 > -5 * MIN && s.0 <= 50 * MIN).collect();
        let mut w = Window::new(&sel, &[], -5 * MIN, 50 * MIN);
        w.eval_ts_ms = at * MIN;
        assert_close(eval_range(PredictLinear, &w, &[3600.]).unwrap().as_float(), want);
    }
    let mut v = vec![f64::NEG_INFINITY];
    v.extend(series(0., 80., 10));
    v.push(f64::INFINITY);
    let inf = load(5 * MIN, &vals(&v));
    assert!(eval(Deriv, &inf, 100 * MIN, 100 * MIN).unwrap().is_nan());
    assert!(eval_p(PredictLinear, &inf, 100 * MIN, 100 * MIN, &[6000.]).unwrap().is_nan());
    // Constant series: slope 0; constant infinite series: NaN.
    let c = load(MIN, &vals(&[3., 3., 3.]));
    assert_eq!(eval(Deriv, &c, 5 * MIN, 3 * MIN), Some(0.0));
    assert_eq!(eval_p(PredictLinear, &c, 5 * MIN, 3 * MIN, &[100.]), Some(3.0));
    let c = load(MIN, &vals(&[f64::INFINITY, f64::INFINITY]));
    assert!(eval(Deriv, &c, 5 * MIN, 3 * MIN).unwrap().is_nan());
    assert_eq!(eval(Deriv, &c[..1], 5 * MIN, 3 * MIN), None);
}

#[test]
fn range_double_exponential_smoothing_corpus() {
    use RangeFunction::DoubleExponentialSmoothing as Des;
    let ten_s = 10_000;
    for (inc, want) in [(10., 8000.), (20., 16000.), (30., 24000.), (40., 32000.)] {
        let s = load(ten_s, &vals(&series(0., inc, 1000)));
        assert_close(eval_p(Des, &s, MIN, 8_000_000, &[0.01, 0.1]), want);
    }
    let s = load(ten_s, &vals(&series(8000., -10., 1000)));
    assert_close(eval_p(Des, &s, MIN, 8_000_000, &[0.01, 0.1]), 0.0);
    let s = load(ten_s, &vals(&series(0., -20., 1000)));
    assert_close(eval_p(Des, &s, MIN, 8_000_000, &[0.01, 0.1]), -16000.0);
    let err = eval_mod(Des, &s, MIN, 8_000_000, RangeModifier::None, &[1.0, 0.1]).unwrap_err();
    assert_eq!(err.0, "invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000");
    let err = eval_mod(Des, &s, MIN, 8_000_000, RangeModifier::None, &[0.5, 0.0]).unwrap_err();
    assert_eq!(err.0, "invalid trend factor. Expected: 0 < tf < 1, got: 0.000000");
    assert_eq!(eval_p(Des, &s, 10_000, 8_000_000, &[0.5, 0.5]), None);
}

#[test]
#[allow(clippy::excessive_precision)]
fn range_avg_sum_over_time_corpus() {
    use RangeFunction::{AvgOverTime, CountOverTime, SumOverTime};
    let at = 55_000;
    let s = load(10_000, &vals(&[1., 2., 3., 4., 5.]));
    assert_eq!(eval(AvgOverTime, &s, 10_000, at), None);
    assert_eq!(eval(AvgOverTime, &s, 20_000, at), Some(5.0));
    assert_eq!(eval(AvgOverTime, &s, MIN, at), Some(3.0));
    let (inf, ninf, nan) = (f64::INFINITY, f64::NEG_INFINITY, f64::NAN);
    let big = 9.988465674311579e+307;
    let cases: &[(&[f64], f64, f64)] = &[
        (&[1., 2., 3., 4., inf], inf, inf),
        (&[1., 2., 3., 4., ninf], ninf, ninf),
        (&[1., 2., 3., inf, ninf], nan, nan),
        (&[inf, 0., inf], inf, inf),
        (&[inf, inf, inf, ninf], nan, nan),
        (&[1., 2., 3., ninf, ninf], ninf, ninf),
        (&[ninf, 0., ninf], ninf, ninf),
        (&[ninf, ninf, ninf, inf], nan, nan),
        (&[1., 2., ninf, ninf, inf], nan, nan),
        (&[big, big], big, inf),
        (&[-big, -big, -big], -big, ninf),
        (&[-big, big], 0., 0.),
        (&[1., 2., 3., nan, nan], nan, nan),
    ];
    for (v, avg, sum_div_count) in cases {
        let s = load(10_000, &vals(v));
        assert_close(eval(AvgOverTime, &s, MIN, at), *avg);
        let sum = eval(SumOverTime, &s, MIN, at).unwrap();
        let count = eval(CountOverTime, &s, MIN, at).unwrap();
        assert_close(Some(sum / count), *sum_div_count);
    }
    let s = load(10_000, &vals(&[1., 2., 3., nan, nan]));
    assert_eq!(eval(AvgOverTime, &s, MIN, 20_000), Some(2.0));
    assert!(eval(AvgOverTime, &s, MIN, 30_000).unwrap().is_nan());
    let s = load(10_000, &vals(&[1., 1e100, 1., -1e100]));
    assert_eq!(eval(SumOverTime, &s, 2 * MIN, MIN), Some(2.0));
    assert_eq!(eval(AvgOverTime, &s, 2 * MIN, MIN), Some(0.5));
    // Extreme values (load 5s, evaluated at 55s over 1m).
    let extreme: &[(&[f64], f64)] = &[
        (&[1e10, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6], 1.6666666666666675e+09),
        (
            &[
                5.30921651659898,
                0.961118537914768,
                1.62091361305318,
                0.865089463758091,
                0.323055185914577,
                0.951811357687154,
            ],
            1.67186744582113,
        ),
        (&[1.78264e50, 0.76342771, 1.9592258, 7.69805412, 458.90154], 3.56528E+49),
        (&[0.76342771, 1.9592258, 7.69805412, 1.78264e50, 458.90154], 3.56528E+49),
        (&[1.78264E+50, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 458.90154], 3.76333333333333E+219),
        (&[-1.78264E+50, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, -458.90154], 3.76333333333333E+219),
        (&[-1.78264E+50, 0.76342771, 1.9592258, -2.258E+220, 7.69805412, -458.90154], -3.76333333333333E+219),
        (&[-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, -458.90154], 3.76330362266667E+219),
        (
            &[-1.78264E+215, 0.76342771, 1.9592258, 2.258E+220, 7.69805412, 1.78264E+215, -458.90154],
            3.225714285714286e+219,
        ),
        (
            &[
                -1.78264E+219,
                0.76342771,
                1.9592258,
                2.3757689E+217,
                -2.3757689E+217,
                2.258E+220,
                7.69805412,
                1.78264E+219,
                -458.90154,
            ],
            2.5088888888888888e+219,
        ),
        (
            &[
                -2.258E+220,
                -1.78264E+219,
                0.76342771,
                1.9592258,
                2.3757689E+217,
                -2.3757689E+217,
                2.258E+220,
                7.69805412,
                1.78264E+219,
                -458.90154,
            ],
            0.0,
        ),
    ];
    for (v, want) in extreme {
        let s = load(5_000, &vals(v));
        assert_close(eval(AvgOverTime, &s, MIN, at), *want);
    }
    // Direct mean is exact for constant series: avg == 52 exactly.
    let foo = load(10_000, &vals(&series(52., 0., 100)));
    for range in [100_000, 110_000, 120_000, 130_000] {
        assert_eq!(eval(AvgOverTime, &foo, range, 10 * MIN), Some(52.0));
    }
    // Dense samples (load 1ms).
    let dense = load(1, &vals(&series(1., 0., 4000)));
    for n in [1000, 1001, 1002, 1003, 2000, 2001, 2002, 2003, 3000, 3001, 3002, 3003] {
        assert_eq!(eval(SumOverTime, &dense, n, 4000), Some(n as f64));
    }
}

#[test]
fn range_variance_mad_corpus() {
    use RangeFunction::{MadOverTime, StddevOverTime, StdvarOverTime};
    let s = load(10_000, &vals(&[0., 8., 8., 2., 3.]));
    assert_close(eval(StdvarOverTime, &s, 2 * MIN, MIN), 10.56);
    assert_close(eval(StddevOverTime, &s, 2 * MIN, MIN), 3.249615);
    let c = load(10_000, &vals(&[1.5990505637277868; 3]));
    assert_eq!(eval(StdvarOverTime, &c, MIN, 55_000), Some(0.0));
    assert_eq!(eval(StddevOverTime, &c, MIN, 55_000), Some(0.0));
    let m = load(10_000, &vals(&[4., 6., 2., 1., 999., 1., 2.]));
    assert_eq!(eval(MadOverTime, &m, 70_000, 70_000), Some(1.0));
    let odd = load(10_000, &vals(&[1., 2., 3., 4., 5.]));
    assert_eq!(eval(MadOverTime, &odd, 50_000, 40_000), Some(1.0));
    let eq = load(10_000, &vals(&[7.; 5]));
    assert_eq!(eval(MadOverTime, &eq, 50_000, 40_000), Some(0.0));
    assert_eq!(eval(MadOverTime, &[(0, 5.0)], 10_000, 0), Some(0.0));
    let nan = load(10_000, &vals(&[1., 2., f64::NAN, 4.]));
    assert!(eval(MadOverTime, &nan, 40_000, 30_000).unwrap().is_nan());
}

#[test]
fn range_min_max_ts_corpus() {
    use RangeFunction::*;
    let step = 10_053;
    let m = load(step, &vals(&[1., 2., 3., 0., 5., 6., 2., 1., 4.]));
    assert_eq!(eval(TsOfMinOverTime, &m, 90_000, 90_000), Some(30.159));
    assert_eq!(eval(TsOfMaxOverTime, &m, 90_000, 90_000), Some(50.265));
    let m = load(step, &[Some(1.), Some(2.), Some(3.), None, None]);
    assert_eq!(eval(TsOfLastOverTime, &m, 90_000, 90_000), Some(20.106));
    assert_eq!(eval(TsOfLastOverTime, &m, 90_000, 95_000), Some(20.106));
    let m = load(step, &[None, None, Some(1.), Some(2.), Some(3.), None, None]);
    assert_eq!(eval(TsOfFirstOverTime, &m, 90_000, 90_000), Some(20.106));
    assert_eq!(eval(TsOfFirstOverTime, &m, 90_000, 15_000), None);
    // min/max with NaN (load 10s, at 1m over 2m).
    let nan = f64::NAN;
    let cases: &[(&[f64], f64, f64)] = &[
        (&[2., 0., 3.], 0., 3.),
        (&[2., 0., nan], 0., 2.),
        (&[2., nan, 1.], 1., 2.),
        (&[nan, 0., 1.], 0., 1.),
        (&[nan, nan, nan], nan, nan),
    ];
    for (v, min, max) in cases {
        let s = load(10_000, &vals(v));
        assert_close(eval(MinOverTime, &s, 2 * MIN, MIN), *min);
        assert_close(eval(MaxOverTime, &s, 2 * MIN, MIN), *max);
    }
    let sparse = load(10_000, &[None, Some(5.), Some(2.), None, Some(4.), None]);
    assert_eq!(eval(MinOverTime, &sparse, 2 * MIN, MIN), Some(2.0));
    assert_eq!(eval(MaxOverTime, &sparse, 2 * MIN, MIN), Some(5.0));
    assert_eq!(eval(LastOverTime, &sparse, 2 * MIN, MIN), Some(4.0));
    assert_eq!(eval(FirstOverTime, &sparse, 2 * MIN, MIN), Some(5.0));
    assert_eq!(eval(CountOverTime, &sparse, 2 * MIN, MIN), Some(3.0));
    assert_eq!(eval(PresentOverTime, &sparse, 2 * MIN, MIN), Some(1.0));
    assert_eq!(eval(AbsentOverTime, &sparse, 2 * MIN, MIN), Some(1.0));
    assert_eq!(eval(PresentOverTime, &sparse, 5_000, MIN), None);
}

#[test]
fn range_quantile_over_time_corpus() {
    use RangeFunction::QuantileOverTime as Q;
    let two = load(10_000, &vals(&[0., 1.]));
    let three = load(10_000, &vals(&[0., 1., 2.]));
    let uneven = load(10_000, &vals(&[0., 1., 4.]));
    let table: &[(f64, [f64; 3])] = &[
        (0., [0., 0., 0.]),
        (0.5, [0.5, 1., 1.]),
        (0.75, [0.75, 1.5, 2.5]),
        (0.8, [0.8, 1.6, 2.8]),
        (1., [1., 2., 4.]),
        (-1., [f64::NEG_INFINITY; 3]),
        (2., [f64::INFINITY; 3]),
    ];
    for (q, want) in table {
        for (s, w) in [&two, &three, &uneven].into_iter().zip(want) {
            let r = eval_mod(Q, s, 2 * MIN, MIN, RangeModifier::None, &[*q]).unwrap();
            assert_close(r.as_float(), *w);
            let warned = r.annotations.contains(&Annotation::InvalidQuantile { q: *q });
            assert_eq!(warned, !(0.0..=1.0).contains(q));
        }
    }
    // Missing parameter: nothing.
    assert_eq!(eval(Q, &two, 2 * MIN, MIN), None);
}

#[test]
fn range_anchored_smoothed_corpus() {
    use RangeFunction::{Changes, Increase, Resets};
    let mut v = series(1., 1., 4);
    v.extend(series(9., 1., 4));
    let complete = load(15_000, &vals(&v));
    let ats = [5, 20, 35, 50, 65, 80, 95, 110, 125];
    let plain = [
        None,
        Some(1.833333333),
        Some(2.833333333),
        Some(4.),
        Some(4.),
        Some(8.),
        Some(8.),
        Some(8.),
        Some(4.),
    ];
    let anchored = [0., 1., 2., 3., 4., 7., 7., 7., 7.];
    let smoothed = [0.333333333, 1.333333333, 2.333333333, 3.333333333, 5., 7., 7., 7., 6.];
    for (i, at) in ats.iter().map(|s| s * 1000).enumerate() {
        let p = eval(Increase, &complete, MIN, at);
        match plain[i] {
            None => assert_eq!(p, None),
            Some(w) => assert_close(p, w),
        }
        let a = eval_mod(Increase, &complete, MIN, at, RangeModifier::Anchored, &[]).unwrap();
        assert_close(a.as_float(), anchored[i]);
        let s = eval_mod(Increase, &complete, MIN, at, RangeModifier::Smoothed, &[]).unwrap();
        assert_close(s.as_float(), smoothed[i]);
    }
    let partial = load(
        15_000,
        &[Some(1.), Some(2.), Some(3.), None, None, Some(9.), Some(10.), Some(11.), Some(12.), Some(13.)],
    );
    let anchored = [0., 1., 2., 2., 2., 7., 7., 8., 9.];
    let smoothed = [
        0.333333333,
        1.333333333,
        2.666666666,
        4.666666666,
        6.333333333,
        7.,
        6.666666666,
        5.666666666,
        4.666666666,
    ];
    for (i, at) in ats.iter().map(|s| s * 1000).enumerate() {
        let a = eval_mod(Increase, &partial, MIN, at, RangeModifier::Anchored, &[]).unwrap();
        assert_close(a.as_float(), anchored[i]);
        let s = eval_mod(Increase, &partial, MIN, at, RangeModifier::Smoothed, &[]).unwrap();
        assert_close(s.as_float(), smoothed[i]);
    }
    // The range is left-open.
    let gap = load(MIN, &[Some(1.), Some(2.), None, Some(4.), Some(5.)]);
    assert_close(
        eval_mod(Increase, &gap, MIN, 2 * MIN, RangeModifier::Smoothed, &[]).unwrap().as_float(),
        1.0,
    );
    assert_eq!(eval_mod(Increase, &gap, MIN, 2 * MIN, RangeModifier::Anchored, &[]).unwrap().value, None);
    // Counter resets at 1m30s over 1m.
    let mut v = series(1., 1., 4);
    v.extend(series(1., 1., 4));
    let id1 = load(MIN, &vals(&v));
    let mut v = vec![3.];
    v.extend(series(2., 2., 9));
    let id2 = load(MIN, &vals(&v));
    let mut v = series(5., 3., 2);
    v.extend(series(3., 3., 6));
    let id3 = load(MIN, &vals(&v));
    for (s, want) in [(&id1, 1.), (&id2, 2.), (&id3, 3.)] {
        assert_eq!(eval(Increase, s, MIN, 90_000), None);
        let r = eval_mod(Increase, s, MIN, 90_000, RangeModifier::Smoothed, &[]).unwrap();
        assert_close(r.as_float(), want);
    }
    // Anchored changes and resets count from the last sample at or before the range start.
    let s = load(MIN, &vals(&[1., 0., 0., 2.]));
    let r = eval_mod(Resets, &s, MIN, 2 * MIN, RangeModifier::Anchored, &[]).unwrap();
    assert_eq!(r.as_float(), Some(0.0));
    let r = eval_mod(Resets, &s, 2 * MIN, 2 * MIN, RangeModifier::Anchored, &[]).unwrap();
    assert_eq!(r.as_float(), Some(1.0));
    let r = eval_mod(Changes, &s, MIN, 3 * MIN, RangeModifier::Anchored, &[]).unwrap();
    assert_eq!(r.as_float(), Some(1.0));
    let r = eval_mod(Changes, &s, MIN, 5 * MIN, RangeModifier::Anchored, &[]).unwrap();
    assert_eq!(r.value, None);
}

#[test]
fn range_function_names() {
    for name in ["rate", "quantile_over_time", "double_exponential_smoothing", "ts_of_first_over_time"] {
        assert_eq!(RangeFunction::from_name(name).unwrap().name(), name);
    }
    assert!(RangeFunction::from_name("holt_winters").is_none());
    assert_eq!(RangeFunction::QuantileOverTime.matrix_arg_index(), 1);
    assert_eq!(RangeFunction::DoubleExponentialSmoothing.param_count(), 2);
    assert!(RangeFunction::LastOverTime.keeps_metric_name());
    let one_sec = Window::new(&[], &[], 0, 1_500);
    assert_eq!(one_sec.range_seconds(), 1.5);
    let _ = RangeValue::Float(0.0);
}

/// Every window of `samples` summed from prefixes, against the Kahan kernels, bit for bit.
fn assert_prefix_sums_match_kahan(samples: &[(i64, f64)], max_window: usize) {
    use crate::functions::range_aggr::{exact_prefix_sums, exact_window_sum};
    let mut prefix = Vec::new();
    assert!(exact_prefix_sums(samples, &mut prefix), "{samples:?}");
    for lo in 0..samples.len() {
        for hi in lo + 1..=samples.len().min(lo + max_window) {
            let w = Window::new(&samples[lo..hi], &[], samples[lo].0 - 1, samples[hi - 1].0);
            for (f, avg) in [(RangeFunction::SumOverTime, false), (RangeFunction::AvgOverTime, true)] {
                let want = eval_range(f, &w, &[]).unwrap().as_float().unwrap();
                let got = exact_window_sum(&prefix, lo, hi, avg);
                assert_eq!(got.to_bits(), want.to_bits(), "{f:?} of {:?}: {got} != {want}", &samples[lo..hi]);
            }
        }
    }
}

#[test]
fn range_sum_avg_over_time_from_prefixes_equal_kahan_bit_for_bit() {
    // Deterministic integers of several magnitudes, up to 200 x 2^45 < 2^53 in all.
    let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15);
    for scale in [1u64, 1000, 1 << 40, 1 << 45] {
        let samples: Vec<(i64, f64)> = (0..200)
            .map(|i| (i * 15_000, ((next() % (2 * scale + 1)) as i64 - scale as i64) as f64))
            .collect();
        assert_prefix_sums_match_kahan(&samples, 40);
    }
    // Signed zeros: Kahan's -0 sums and the prefixes' +0 both end as +0.
    assert_prefix_sums_match_kahan(&load(1, &vals(&[-0.0, -0.0, 0.0, 3.0, -3.0, -0.0])), 6);
}

#[test]
fn range_prefix_sums_decline_what_they_cannot_sum_exactly() {
    use crate::functions::range_aggr::exact_prefix_sums;
    let two52 = 4_503_599_627_370_496.0;
    let mut prefix = Vec::new();
    for bad in [1.5, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e300] {
        assert!(!exact_prefix_sums(&load(1, &vals(&[1.0, bad])), &mut prefix), "{bad}");
    }
    // The magnitudes, not the sum, must stay below 2^53: partial sums in any order are exact.
    assert!(!exact_prefix_sums(&load(1, &vals(&[two52, -two52, two52])), &mut prefix));
    assert!(exact_prefix_sums(&load(1, &vals(&[two52, two52 - 1.0])), &mut prefix));
    assert_eq!(prefix, [0.0, two52, 2.0 * two52 - 1.0]);
}
