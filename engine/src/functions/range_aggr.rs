//! The `*_over_time` functions, `changes`, `resets`, `deriv`, `predict_linear` and
//! `double_exponential_smoothing` over float samples, as Prometheus computes them. The native
//! histogram variants of `sum_over_time` and `avg_over_time` are in `range_hist`.

use std::sync::Arc;

use crate::annotations::Annotation;
use crate::functions::FunctionError;
use crate::functions::range::{RangeModifier, RangeResult, RangeValue, Window};
use crate::functions::range_hist;
use crate::functions::range_rate::search;
use crate::functions::stats::{kahan_sum_inc, quantile};

fn ignored_histograms(w: &Window<'_>) -> Option<Annotation> {
    (!w.histograms.is_empty()).then(|| Annotation::HistogramIgnoredInMixedRange { metric_name: w.name() })
}

/// A float result with the "ignored histograms" info when the window also had histograms.
fn float_ignoring_histograms(w: &Window<'_>, v: f64) -> RangeResult {
    let mut r = RangeResult::float(v);
    r.annotations.extend(ignored_histograms(w));
    r
}

pub(crate) fn avg_over_time(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    if !w.floats.is_empty() && !w.histograms.is_empty() {
        return Ok(RangeResult::warn_only(Annotation::MixedFloatsHistograms { metric_name: w.name() }));
    }
    if w.floats.is_empty() {
        return range_hist::avg_over_time(w);
    }
    // Direct mean with Kahan summation while the sum stays finite, then incremental mean.
    let f = w.floats;
    let (mut sum, mut count) = (f[0].1, 1.0);
    let (mut mean, mut c) = (0.0, 0.0);
    let mut incremental = false;
    for (i, &(_, v)) in f[1..].iter().enumerate() {
        count = (i + 2) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_sum_inc(v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_sum_inc(v / count, q * mean, q * c);
    }
    Ok(RangeResult::float(if incremental { mean + c } else { sum / count + c / count }))
}

/// Prefix sums of the values of `floats` into `prefix` (one entry more than samples, starting at
/// 0), when every value is an integer and the sum of their magnitudes stays below 2^53; `false`
/// (and `prefix` unspecified) otherwise.
///
/// Under that bound every partial sum, in any order, is an exactly representable integer, so the
/// sum of a window is the difference of two prefixes, and equals bit for bit what the Kahan
/// summation of [`sum_over_time`] and [`avg_over_time`] gives for it: their running sums are
/// exact and the compensation stays +0. Integer-valued series (byte and event counts) are most
/// of what `*_over_time` meets, and for them a step costs one subtraction instead of a pass
/// over its window.
pub(crate) fn exact_prefix_sums(floats: &[(i64, f64)], prefix: &mut Vec<f64>) -> bool {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    prefix.clear();
    prefix.reserve(floats.len() + 1);
    prefix.push(0.0);
    let (mut sum, mut magnitude) = (0.0, 0.0);
    for &(_, v) in floats {
        magnitude += v.abs();
        // Rounding is monotonic, so a true magnitude of 2^53 or more never rounds below it.
        if !(v.is_finite() && v == v.trunc() && magnitude < EXACT) {
            return false;
        }
        sum += v;
        prefix.push(sum);
    }
    true
}

/// `sum_over_time` (or with `avg`, `avg_over_time`) of the samples `lo..hi` from
/// [`exact_prefix_sums`], as the Kahan summation computes it.
pub(crate) fn exact_window_sum(prefix: &[f64], lo: usize, hi: usize, avg: bool) -> f64 {
    let sum = prefix[hi] - prefix[lo];
    // `+ 0.0` is the zero compensation the Kahan path adds (it turns a sum of -0 into +0).
    if avg { sum / (hi - lo) as f64 + 0.0 } else { sum + 0.0 }
}

pub(crate) fn sum_over_time(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    if !w.floats.is_empty() && !w.histograms.is_empty() {
        return Ok(RangeResult::warn_only(Annotation::MixedFloatsHistograms { metric_name: w.name() }));
    }
    if w.floats.is_empty() {
        return range_hist::sum_over_time(w);
    }
    let (mut sum, mut c) = (0.0, 0.0);
    for &(_, v) in w.floats {
        (sum, c) = kahan_sum_inc(v, sum, c);
    }
    Ok(RangeResult::float(if sum.is_infinite() { sum } else { sum + c }))
}

/// `min_over_time`, `max_over_time` and (with `return_timestamp`) `ts_of_min_over_time`,
/// `ts_of_max_over_time`: the sample for which `replace(current, best)` last held.
pub(crate) fn compare_over_time(
    w: &Window<'_>,
    replace: impl Fn(f64, f64) -> bool,
    return_timestamp: bool,
) -> RangeResult {
    let Some(&(t0, v0)) = w.floats.first() else { return RangeResult::none() };
    let (mut best, mut best_t) = (v0, t0);
    for &(t, v) in w.floats {
        if replace(v, best) {
            best = v;
            best_t = t;
        }
    }
    float_ignoring_histograms(w, if return_timestamp { best_t as f64 / 1000.0 } else { best })
}

pub(crate) fn quantile_over_time(w: &Window<'_>, q: f64) -> RangeResult {
    if w.floats.is_empty() {
        return RangeResult::none();
    }
    let mut values: Vec<f64> = w.floats.iter().map(|s| s.1).collect();
    let mut r = RangeResult::float(quantile(q, &mut values));
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        r.annotations.push(Annotation::InvalidQuantile { q });
    }
    r.annotations.extend(ignored_histograms(w));
    r
}

/// `stddev_over_time` (`sqrt`) and `stdvar_over_time`.
pub(crate) fn variance_over_time(w: &Window<'_>, sqrt: bool) -> RangeResult {
    if w.floats.is_empty() {
        return RangeResult::none();
    }
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(_, v) in w.floats {
        count += 1.0;
        let delta = v - (mean + c_mean);
        (mean, c_mean) = kahan_sum_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_sum_inc(delta * (v - (mean + c_mean)), aux, c_aux);
    }
    let variance = (aux + c_aux) / count;
    float_ignoring_histograms(w, if sqrt { variance.sqrt() } else { variance })
}

pub(crate) fn mad_over_time(w: &Window<'_>) -> RangeResult {
    if w.floats.is_empty() {
        return RangeResult::none();
    }
    let mut values: Vec<f64> = w.floats.iter().map(|s| s.1).collect();
    let v = if values.iter().any(|v| v.is_nan()) {
        f64::NAN
    } else {
        let median = quantile(0.5, &mut values);
        for v in &mut values {
            *v = (*v - median).abs();
        }
        quantile(0.5, &mut values)
    };
    float_ignoring_histograms(w, v)
}

pub(crate) fn first_over_time(w: &Window<'_>) -> RangeResult {
    match (w.floats.first(), w.histograms.first()) {
        (Some(&(_, v)), None) => RangeResult::float(v),
        (Some(&(tf, v)), Some(&(th, _))) if tf < th => RangeResult::float(v),
        (_, Some(&(_, h))) => {
            RangeResult { value: Some(RangeValue::Histogram(Arc::new(h.clone()))), annotations: vec![] }
        }
        (None, None) => RangeResult::none(),
    }
}

pub(crate) fn last_over_time(w: &Window<'_>) -> RangeResult {
    match (w.floats.last(), w.histograms.last()) {
        (Some(&(_, v)), None) => RangeResult::float(v),
        (Some(&(tf, v)), Some(&(th, _))) if th < tf => RangeResult::float(v),
        (_, Some(&(_, h))) => {
            RangeResult { value: Some(RangeValue::Histogram(Arc::new(h.clone()))), annotations: vec![] }
        }
        (None, None) => RangeResult::none(),
    }
}

pub(crate) fn ts_of_first_over_time(w: &Window<'_>) -> RangeResult {
    let tf = w.floats.first().map_or(i64::MAX, |s| s.0);
    let th = w.histograms.first().map_or(i64::MAX, |s| s.0);
    RangeResult::float(tf.min(th) as f64 / 1000.0)
}

pub(crate) fn ts_of_last_over_time(w: &Window<'_>) -> RangeResult {
    let tf = w.floats.last().map_or(0, |s| s.0);
    let th = w.histograms.last().map_or(0, |s| s.0);
    RangeResult::float(tf.max(th) as f64 / 1000.0)
}

/// A float or histogram sample, for the functions that walk both in time order.
#[derive(Clone, Copy)]
enum Point<'h> {
    F(f64),
    H(&'h quiver_proto::FloatHistogram),
}

/// The samples of the window in time order, starting at the anchor for `anchored` windows
/// (Prometheus's `pickFirstSampleIndices`); `None` when an anchored window has no sample after
/// the range start.
fn merged_points<'h>(w: &Window<'h>) -> Option<Vec<Point<'h>>> {
    let (fl, hs) = (w.floats, w.histograms);
    let (mut i_f, mut i_h) = (0, 0);
    if w.modifier == RangeModifier::Anchored {
        let start = w.range_start_ms;
        let last_f_le = search(fl, fl.len(), |t| t > start) as isize - 1;
        let last_h_le = search(hs, hs.len(), |t| t > start) as isize - 1;
        if last_f_le + 1 >= fl.len() as isize && last_h_le + 1 >= hs.len() as isize {
            return None;
        }
        (i_f, i_h) = if last_f_le < 0 && last_h_le < 0 {
            (0, 0)
        } else if last_h_le < 0 || (last_f_le >= 0 && fl[last_f_le as usize].0 >= hs[last_h_le as usize].0) {
            (last_f_le as usize, (last_h_le + 1) as usize)
        } else {
            ((last_f_le + 1) as usize, last_h_le as usize)
        };
    }
    let mut out = Vec::with_capacity(fl.len() - i_f + hs.len() - i_h);
    while i_f < fl.len() || i_h < hs.len() {
        if i_h >= hs.len() || (i_f < fl.len() && fl[i_f].0 <= hs[i_h].0) {
            out.push(Point::F(fl[i_f].1));
            i_f += 1;
        } else {
            out.push(Point::H(hs[i_h].1));
            i_h += 1;
        }
    }
    Some(out)
}

pub(crate) fn changes(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    let Some(points) = merged_points(w) else { return Ok(RangeResult::none()) };
    let mut changes = 0usize;
    for p in points.windows(2) {
        let changed = match (p[0], p[1]) {
            (Point::F(prev), Point::F(cur)) => cur != prev && !(cur.is_nan() && prev.is_nan()),
            (Point::H(prev), Point::H(cur)) => !range_hist::equals(cur, prev),
            _ => true,
        };
        changes += usize::from(changed);
    }
    Ok(RangeResult::float(changes as f64))
}

pub(crate) fn resets(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    let Some(points) = merged_points(w) else { return Ok(RangeResult::none()) };
    let mut resets = 0usize;
    for p in points.windows(2) {
        let reset = match (p[0], p[1]) {
            (Point::F(prev), Point::F(cur)) => cur < prev,
            (Point::H(prev), Point::H(cur)) => range_hist::detect_reset(cur, prev)?,
            _ => true,
        };
        resets += usize::from(reset);
    }
    Ok(RangeResult::float(resets as f64))
}

/// Least-squares fit over the samples, with x in seconds relative to `intercept_time_ms`:
/// returns (slope, intercept at that time), as Prometheus's `linearRegression`.
fn linear_regression(samples: &[(i64, f64)], intercept_time_ms: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = samples[0].1;
    let mut const_y = true;
    for (i, &(t, v)) in samples.iter().enumerate() {
        if const_y && i > 0 && v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_time_ms) as f64 / 1e3;
        (sum_x, c_x) = kahan_sum_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_sum_inc(v, sum_y, c_y);
        (sum_xy, c_xy) = kahan_sum_inc(x * v, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_sum_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sum_x += c_x;
    sum_y += c_y;
    sum_xy += c_xy;
    sum_x2 += c_x2;
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

/// Fewer than two floats: nothing, with the "ignored histograms" info if there was exactly one
/// float beside histograms.
fn too_few_floats(w: &Window<'_>) -> RangeResult {
    let mut r = RangeResult::none();
    if w.floats.len() == 1 {
        r.annotations.extend(ignored_histograms(w));
    }
    r
}

pub(crate) fn deriv(w: &Window<'_>) -> RangeResult {
    if w.floats.len() < 2 {
        return too_few_floats(w);
    }
    // An intercept time near the samples avoids losing precision.
    let (slope, _) = linear_regression(w.floats, w.floats[0].0);
    float_ignoring_histograms(w, slope)
}

pub(crate) fn predict_linear(w: &Window<'_>, duration_seconds: f64) -> RangeResult {
    if w.floats.len() < 2 {
        return too_few_floats(w);
    }
    let (slope, intercept) = linear_regression(w.floats, w.eval_ts_ms);
    float_ignoring_histograms(w, slope * duration_seconds + intercept)
}

/// Go's `%f`: six decimals, `NaN`, `+Inf`, `-Inf`.
fn go_fixed6(v: f64) -> String {
    match v {
        v if v.is_nan() => "NaN".into(),
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v => format!("{v:.6}"),
    }
}

pub(crate) fn double_exponential_smoothing(
    w: &Window<'_>,
    sf: f64,
    tf: f64,
) -> Result<RangeResult, FunctionError> {
    if sf <= 0.0 || sf >= 1.0 {
        return Err(FunctionError(format!(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
            go_fixed6(sf)
        )));
    }
    if tf <= 0.0 || tf >= 1.0 {
        return Err(FunctionError(format!(
            "invalid trend factor. Expected: 0 < tf < 1, got: {}",
            go_fixed6(tf)
        )));
    }
    let f = w.floats;
    if f.len() < 2 {
        return Ok(too_few_floats(w));
    }
    let (mut s0, mut s1) = (0.0, f[0].1);
    let mut b = f[1].1 - f[0].1;
    for (i, &(_, v)) in f.iter().enumerate().skip(1) {
        let x = sf * v;
        // The trend at this point (Prometheus's calcTrendValue(i-1, ...)).
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, x + y);
    }
    Ok(float_ignoring_histograms(w, s1))
}
