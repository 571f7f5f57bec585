//! Native histogram variants of the range functions, on `quiver_proto::FloatHistogram`'s
//! arithmetic: `rate`, `increase`, `delta` (Prometheus's `histogramRate` inside
//! `extrapolatedRate`, and `extendedHistogramRate` for the anchored and smoothed modifiers),
//! `irate` / `idelta`, `sum_over_time`, `avg_over_time` and the reset / equality tests of
//! `resets` / `changes`.
//!
//! Where Prometheus would panic on a malformed histogram (spans that do not fit the buckets) the
//! kernels fail with a [`FunctionError`].

use std::sync::Arc;

use quiver_proto::{CounterResetHint, FloatHistogram, HistogramError, HistogramErrorKind};

use crate::annotations::{Annotation, HistogramOperation};
use crate::functions::FunctionError;
use crate::functions::range::{RangeModifier, RangeResult, RangeValue, Window};
use crate::functions::range_rate::{extrapolation_factor, search};

type Anns = Vec<Annotation>;

fn is_gauge(h: &FloatHistogram) -> bool {
    h.counter_reset_hint == CounterResetHint::Gauge
}

fn incompatible(e: &HistogramError) -> bool {
    e.kind() == HistogramErrorKind::IncompatibleSchema
}

fn failed(e: HistogramError) -> FunctionError {
    FunctionError(format!("native histogram arithmetic failed: {e}"))
}

fn mixed_exp_custom(w: &Window<'_>) -> Annotation {
    Annotation::MixedExponentialCustomHistograms { metric_name: w.name() }
}

fn histogram_result(h: FloatHistogram, annotations: Anns) -> RangeResult {
    RangeResult { value: Some(RangeValue::Histogram(Arc::new(h))), annotations }
}

/// `base += other` (or `-=`), with Prometheus's annotations; `Ok(false)` for a mix of exponential
/// and custom buckets (warned).
fn add_sub(
    w: &Window<'_>,
    base: &mut FloatHistogram,
    other: &FloatHistogram,
    sub: bool,
    annos: &mut Anns,
) -> Result<bool, FunctionError> {
    let res = if sub { base.sub(other) } else { base.add(other) };
    match res {
        Ok(o) => {
            if o.nhcb_bounds_reconciled {
                let operation = if sub { HistogramOperation::Sub } else { HistogramOperation::Add };
                annos.push(Annotation::MismatchedCustomBucketsHistograms { operation });
            }
            Ok(true)
        }
        Err(e) if incompatible(&e) => {
            annos.push(mixed_exp_custom(w));
            Ok(false)
        }
        Err(e) => Err(failed(e)),
    }
}

/// `rate`, `increase`, `delta` over histograms without modifier (Prometheus's `extrapolatedRate`).
pub(crate) fn histogram_extrapolated_rate(
    w: &Window<'_>,
    is_counter: bool,
    is_rate: bool,
) -> Result<RangeResult, FunctionError> {
    let hs = w.histograms;
    if hs.len() < 2 {
        // Without start timestamps a single sample gives no rate.
        return Ok(RangeResult::none());
    }
    let (result, annos) = histogram_rate(w, is_counter)?;
    let Some(mut result) = result else { return Ok(RangeResult { value: None, annotations: annos }) };
    let (first_t, last_t, first_count, result_count) =
        (hs[0].0, hs[hs.len() - 1].0, hs[0].1.count, result.count);
    let factor =
        extrapolation_factor(w, first_t, last_t, hs.len() - 1, is_counter, is_rate, |sampled, start| {
            if result_count > 0.0 && first_count >= 0.0 {
                sampled * (first_count / result_count)
            } else {
                start
            }
        });
    result.mul(factor);
    Ok(histogram_result(result, annos))
}

/// Prometheus's `histogramRate`: the last histogram minus the first, corrected for counter
/// resets, as a gauge histogram; `None` (with a warning) when the histograms do not combine.
fn histogram_rate(w: &Window<'_>, is_counter: bool) -> Result<(Option<FloatHistogram>, Anns), FunctionError> {
    let points = w.histograms;
    let mut annos = Anns::new();
    let empty;
    let mut prev: &FloatHistogram = points[0].1;
    let mut using_custom = prev.uses_custom_buckets();
    let last = points[points.len() - 1].1;
    if is_counter && (is_gauge(prev) || is_gauge(last)) {
        annos.push(Annotation::NativeHistogramNotCounter { metric_name: w.name() });
    }
    if is_counter {
        // A reset between the first two samples: ignore the first sample's layout.
        let second = points[1].1;
        if second.detect_reset(prev) {
            empty = FloatHistogram {
                schema: second.schema,
                custom_values: second.custom_values.clone(),
                ..Default::default()
            };
            prev = &empty;
            using_custom = second.uses_custom_buckets();
        }
    }
    if last.uses_custom_buckets() != using_custom {
        annos.push(mixed_exp_custom(w));
        return Ok((None, annos));
    }
    let mut min_schema = last.schema.min(prev.schema);
    for &(_, curr) in &points[1..points.len() - 1] {
        if !is_counter {
            continue;
        }
        if is_gauge(curr) {
            annos.push(Annotation::NativeHistogramNotCounter { metric_name: w.name() });
        }
        min_schema = min_schema.min(curr.schema);
        if curr.uses_custom_buckets() != using_custom {
            return Ok((None, vec![mixed_exp_custom(w)]));
        }
    }
    let mut h = last.copy_to_schema(min_schema).map_err(failed)?;
    if !add_sub(w, &mut h, prev, true, &mut annos)? {
        return Ok((None, vec![mixed_exp_custom(w)]));
    }
    if is_counter {
        for &(_, curr) in &points[1..] {
            if curr.detect_reset(prev) && !add_sub(w, &mut h, prev, false, &mut annos)? {
                return Ok((None, vec![mixed_exp_custom(w)]));
            }
            prev = curr;
        }
    } else if !is_gauge(points[0].1) || !is_gauge(last) {
        annos.push(Annotation::NativeHistogramNotGauge { metric_name: w.name() });
    }
    h.counter_reset_hint = CounterResetHint::Gauge;
    h.compact(0);
    Ok((Some(h), annos))
}

/// Linear interpolation between two histograms at `t` (Prometheus's `interpolateHistograms`);
/// for counters a reset between them is modelled as a restart from zero.
fn interpolate(
    w: &Window<'_>,
    (t1, h1): (i64, &FloatHistogram),
    (t2, h2): (i64, &FloatHistogram),
    t: i64,
    is_counter: bool,
    annos: &mut Anns,
) -> Result<Option<FloatHistogram>, FunctionError> {
    if t == t1 {
        return Ok(Some(h1.go_copy()));
    }
    if t == t2 {
        return Ok(Some(h2.go_copy()));
    }
    let fraction = (t - t1) as f64 / (t2 - t1) as f64;
    let mut result = h2.go_copy();
    if is_counter && h2.detect_reset(h1) {
        result.mul(fraction);
        return Ok(Some(result));
    }
    if !add_sub(w, &mut result, h1, true, annos)? {
        return Ok(None);
    }
    result.mul(fraction);
    if !add_sub(w, &mut result, h1, false, annos)? {
        return Ok(None);
    }
    Ok(Some(result))
}

/// The histogram between two samples at `t`, as `x smoothed` reads it (Prometheus's
/// `smoothSeries` calling `interpolateHistograms`); `None`, with a warning, when their buckets
/// cannot be combined.
pub(crate) fn interpolate_between(
    metric_name: &str,
    p1: (i64, &FloatHistogram),
    p2: (i64, &FloatHistogram),
    t: i64,
    is_counter: bool,
) -> Result<(Option<FloatHistogram>, Anns), FunctionError> {
    let mut w = Window::new(&[], &[], t, t);
    w.metric_name = Some(metric_name);
    let mut annos = Anns::new();
    let h = interpolate(&w, p1, p2, t, is_counter, &mut annos)?;
    Ok((h, annos))
}

/// `rate`, `increase`, `delta` over histograms with the anchored or smoothed modifier
/// (Prometheus's `extendedHistogramRate`).
pub(crate) fn extended_histogram_rate(
    w: &Window<'_>,
    is_counter: bool,
    is_rate: bool,
) -> Result<RangeResult, FunctionError> {
    let h = w.histograms;
    let smoothed = w.modifier == RangeModifier::Smoothed;
    let (range_start, range_end) = (w.range_start_ms, w.range_end_ms);
    let mut annos = Anns::new();
    let mut last = h.len() - 1;
    let first = search(h, last, |t| t > range_start).saturating_sub(1);
    if smoothed {
        last = search(h, last, |t| t >= range_end);
    }
    if h[last].0 <= range_start || (smoothed && h[first].0 > range_end) {
        return Ok(RangeResult::none());
    }
    // Validate the samples in use: no mix of bucket kinds; counters should not be gauges.
    let using_custom = h[first].1.uses_custom_buckets();
    for &(_, p) in &h[first..=last] {
        if p.uses_custom_buckets() != using_custom {
            annos.push(mixed_exp_custom(w));
            return Ok(RangeResult { value: None, annotations: annos });
        }
        if is_counter && is_gauge(p) {
            annos.push(Annotation::NativeHistogramNotCounter { metric_name: w.name() });
        }
    }
    let left = if smoothed && h[first].0 < range_start {
        interpolate(w, h[first], h[first + 1], range_start, is_counter, &mut annos)?
    } else {
        Some(h[first].1.go_copy())
    };
    let right = if smoothed && last > 0 && h[last].0 > range_end {
        interpolate(w, h[last - 1], h[last], range_end, is_counter, &mut annos)?
    } else {
        Some(h[last].1.go_copy())
    };
    let (Some(left), Some(right)) = (left, right) else {
        return Ok(RangeResult { value: None, annotations: annos });
    };
    if !is_counter && (!is_gauge(&left) || !is_gauge(&right)) {
        annos.push(Annotation::NativeHistogramNotGauge { metric_name: w.name() });
    }
    let mut result = right.go_copy();
    if !add_sub(w, &mut result, &left, true, &mut annos)? {
        return Ok(RangeResult { value: None, annotations: annos });
    }
    if is_counter {
        // Resets between the boundary values (Prometheus's correctForCounterResetsHistogram).
        let mut next = first + 1;
        let mut prev: &FloatHistogram = &left;
        if smoothed && h[first].0 < range_start && h[first + 1].1.detect_reset(h[first].1) {
            // The left interpolation already spans this reset.
            prev = h[first + 1].1;
            next += 1;
        }
        let mut correction: Option<FloatHistogram> = None;
        let mut inner_annos = Anns::new();
        let mut add_correction = |c: &FloatHistogram, annos: &mut Anns| -> Result<bool, FunctionError> {
            match correction.as_mut() {
                None => {
                    correction = Some(c.go_copy());
                    Ok(true)
                }
                Some(sum) => add_sub(w, sum, c, false, annos),
            }
        };
        // h[last] is represented by `right`, so the loop stops before it.
        if next < last + 1 {
            for &(_, p) in &h[next..last] {
                if p.detect_reset(prev) && !add_correction(prev, &mut inner_annos)? {
                    annos.append(&mut inner_annos);
                    return Ok(RangeResult { value: None, annotations: annos });
                }
                prev = p;
            }
            if right.detect_reset(prev) && !add_correction(prev, &mut inner_annos)? {
                annos.append(&mut inner_annos);
                return Ok(RangeResult { value: None, annotations: annos });
            }
        }
        annos.append(&mut inner_annos);
        if let Some(c) = correction
            && !add_sub(w, &mut result, &c, false, &mut annos)?
        {
            return Ok(RangeResult { value: None, annotations: annos });
        }
    }
    if is_rate {
        result.div(w.range_seconds());
    }
    result.counter_reset_hint = CounterResetHint::Gauge;
    result.compact(0);
    Ok(histogram_result(result, annos))
}

/// `irate` / `idelta` over the last two samples, both histograms (Prometheus's `instantValue`).
pub(crate) fn instant_value(
    w: &Window<'_>,
    prev: &FloatHistogram,
    cur: &FloatHistogram,
    sampled_interval_ms: i64,
    is_rate: bool,
) -> Result<RangeResult, FunctionError> {
    let mut annos = Anns::new();
    let mut result = cur.go_copy();
    if is_rate && (is_gauge(cur) || is_gauge(prev)) {
        annos.push(Annotation::NativeHistogramNotCounter { metric_name: w.name() });
    }
    if !is_rate && (!is_gauge(cur) || !is_gauge(prev)) {
        annos.push(Annotation::NativeHistogramNotGauge { metric_name: w.name() });
    }
    if (!is_rate || !cur.detect_reset(prev)) && !add_sub(w, &mut result, prev, true, &mut annos)? {
        return Ok(RangeResult { value: None, annotations: annos });
    }
    result.counter_reset_hint = CounterResetHint::Gauge;
    result.compact(0);
    if is_rate {
        result.div(sampled_interval_ms as f64 / 1000.0);
    }
    Ok(histogram_result(result, annos))
}

/// Counter reset hints seen among summed histograms: a CounterReset next to a NotCounterReset
/// gives the collision warning.
#[derive(Default)]
struct HintTracker {
    reset: bool,
    not_reset: bool,
    reconciled: bool,
}

impl HintTracker {
    fn track(&mut self, h: &FloatHistogram) {
        match h.counter_reset_hint {
            CounterResetHint::CounterReset => self.reset = true,
            CounterResetHint::NotCounterReset => self.not_reset = true,
            _ => {}
        }
    }

    fn annotations(&self) -> Anns {
        let mut a = Anns::new();
        if self.reset && self.not_reset {
            a.push(Annotation::HistogramCounterResetCollision { operation: HistogramOperation::Agg });
        }
        if self.reconciled {
            a.push(Annotation::MismatchedCustomBucketsHistograms { operation: HistogramOperation::Agg });
        }
        a
    }
}

/// Go's `h.KahanAdd(other, c)` where a missing compensation is created from `h` (with the hint
/// `h` has after the addition adjusted it).
fn kahan_add(
    h: &mut FloatHistogram,
    other: &FloatHistogram,
    c: &mut Option<FloatHistogram>,
    t: &mut HintTracker,
) -> Result<(), HistogramError> {
    let fresh = c.is_none();
    let comp = c.get_or_insert_with(|| h.new_compensation());
    let o = h.kahan_add(other, comp)?;
    if fresh {
        comp.counter_reset_hint = h.counter_reset_hint;
    }
    t.reconciled |= o.nhcb_bounds_reconciled;
    Ok(())
}

fn aggregation_result(
    w: &Window<'_>,
    r: Result<FloatHistogram, HistogramError>,
    t: &HintTracker,
) -> Result<RangeResult, FunctionError> {
    match r {
        Ok(h) => Ok(histogram_result(h, t.annotations())),
        Err(e) if incompatible(&e) => Ok(RangeResult::warn_only(mixed_exp_custom(w))),
        Err(e) => Err(failed(e)),
    }
}

pub(crate) fn sum_over_time(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    let mut t = HintTracker::default();
    let r: Result<FloatHistogram, HistogramError> = (|| {
        let mut sum = w.histograms[0].1.go_copy();
        t.track(&sum);
        let mut comp = None;
        for &(_, h) in &w.histograms[1..] {
            t.track(h);
            kahan_add(&mut sum, h, &mut comp, &mut t)?;
        }
        if let Some(c) = comp {
            t.reconciled |= sum.add(&c)?.nhcb_bounds_reconciled;
        }
        Ok(sum)
    })();
    aggregation_result(w, r, &t)
}

pub(crate) fn avg_over_time(w: &Window<'_>) -> Result<RangeResult, FunctionError> {
    let mut t = HintTracker::default();
    let r: Result<FloatHistogram, HistogramError> = (|| {
        let mut sum = w.histograms[0].1.go_copy();
        t.track(&sum);
        let mut mean: Option<FloatHistogram> = None;
        let mut kahan_c: Option<FloatHistogram> = None;
        let mut count = 1.0;
        for (i, &(_, h)) in w.histograms[1..].iter().enumerate() {
            t.track(h);
            count = (i + 2) as f64;
            if mean.is_none() {
                // Direct mean while the sum does not overflow, then incremental mean.
                let mut sum_copy = sum.go_copy();
                let mut c_copy = kahan_c.as_ref().map(FloatHistogram::go_copy);
                kahan_add(&mut sum_copy, h, &mut c_copy, &mut t)?;
                if !sum_copy.has_overflow() {
                    (sum, kahan_c) = (sum_copy, c_copy);
                    continue;
                }
                let mut m = sum.go_copy();
                m.div(count - 1.0);
                if let Some(c) = kahan_c.as_mut() {
                    c.div(count - 1.0);
                }
                mean = Some(m);
            }
            let Some(m) = mean.as_mut() else { continue };
            let q = (count - 1.0) / count;
            if let Some(c) = kahan_c.as_mut() {
                c.mul(q);
            }
            let mut to_add = h.go_copy();
            to_add.div(count);
            m.mul(q);
            kahan_add(m, &to_add, &mut kahan_c, &mut t)?;
        }
        match (mean, kahan_c) {
            (Some(mut m), Some(c)) => {
                m.add(&c)?;
                Ok(m)
            }
            (Some(m), None) => Ok(m),
            (None, Some(mut c)) => {
                sum.div(count);
                c.div(count);
                sum.add(&c)?;
                Ok(sum)
            }
            (None, None) => {
                sum.div(count);
                Ok(sum)
            }
        }
    })();
    aggregation_result(w, r, &t)
}

/// Prometheus's `DetectReset` of `cur` following `prev`, for `resets`.
pub(crate) fn detect_reset(cur: &FloatHistogram, prev: &FloatHistogram) -> Result<bool, FunctionError> {
    Ok(cur.detect_reset(prev))
}

/// Prometheus's `FloatHistogram.Equals`, for `changes`.
pub(crate) fn equals(h: &FloatHistogram, h2: &FloatHistogram) -> bool {
    h.equals(h2)
}
