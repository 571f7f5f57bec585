//! `rate`, `increase`, `delta` (Prometheus's `extrapolatedRate`, and `extendedRate` for the
//! `anchored` / `smoothed` modifiers) and `irate`, `idelta` (`instantValue`) over float samples.
//! The native histogram variants are in `range_hist`.

use crate::annotations::Annotation;
use crate::functions::FunctionError;
use crate::functions::range::{RangeModifier, RangeResult, Window};
use crate::functions::range_hist;

/// `rate` (`is_counter`, `is_rate`), `increase` (`is_counter`) and `delta` (neither).
pub(crate) fn extrapolated_rate(
    w: &Window<'_>,
    is_counter: bool,
    is_rate: bool,
) -> Result<RangeResult, FunctionError> {
    if !w.floats.is_empty() && !w.histograms.is_empty() {
        return Ok(RangeResult::warn_only(Annotation::MixedFloatsHistograms { metric_name: w.name() }));
    }
    if w.modifier != RangeModifier::None {
        if !w.histograms.is_empty() {
            return range_hist::extended_histogram_rate(w, is_counter, is_rate);
        }
        return Ok(extended_rate(w, is_counter, is_rate));
    }
    if !w.histograms.is_empty() {
        return range_hist::histogram_extrapolated_rate(w, is_counter, is_rate);
    }
    let bounds = RangeBounds::of(w);
    Ok(match float_rate(w.floats, w.float_drops, &bounds, is_counter, is_rate) {
        Some(v) => RangeResult::float(v),
        None => RangeResult::none(),
    })
}

/// A window's range, with its length in seconds worked out once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RangeBounds {
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) seconds: f64,
}

impl RangeBounds {
    pub(crate) fn of(w: &Window<'_>) -> Self {
        Self { start_ms: w.range_start_ms, end_ms: w.range_end_ms, seconds: w.range_seconds() }
    }

    /// The same window length ending elsewhere.
    pub(crate) fn ending(self, end_ms: i64) -> Self {
        Self { start_ms: end_ms - (self.end_ms - self.start_ms), end_ms, seconds: self.seconds }
    }
}

/// `extrapolatedRate` over the float samples of one window (no modifier): `drops` tells whether
/// the window holds a counter reset (`Some(false)`: none, so the pass over it is skipped).
#[inline]
pub(crate) fn float_rate(
    f: &[(i64, f64)],
    drops: Option<bool>,
    bounds: &RangeBounds,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    // Without start timestamps a single sample gives no rate.
    if f.len() < 2 {
        return None;
    }
    let resets = drops != Some(false);
    Some(rate_of(f, resets, bounds, is_counter, is_rate, &mut Extrapolation::default()))
}

/// `extrapolatedRate` over a window of at least two float samples, `resets` saying whether a
/// counter reset may be in it, `memo` the extrapolation of the window before (or a fresh one).
#[inline]
fn rate_of(
    f: &[(i64, f64)],
    resets: bool,
    bounds: &RangeBounds,
    is_counter: bool,
    is_rate: bool,
    memo: &mut Extrapolation,
) -> f64 {
    let (first, last) = (f[0], f[f.len() - 1]);
    let mut result = last.1 - first.1;
    if is_counter && resets {
        for p in f.windows(2) {
            if p[1].1 < p[0].1 {
                result += p[0].1;
            }
        }
    }
    memo.update(bounds, first.0, last.0, f.len() - 1, is_rate);
    let factor = if is_counter {
        let to_zero =
            if result > 0.0 && first.1 >= 0.0 { memo.sampled * (first.1 / result) } else { memo.to_start };
        memo.factor_from_zero(to_zero, bounds, is_rate)
    } else {
        memo.factor
    };
    result * factor
}

/// `rate`, `increase` or `delta` of a float series at every step: `floats` its non-stale
/// samples, `drops[k]` how many of them up to `k` fall below their predecessor (empty for
/// `delta`), `steps` each step with the end of its window. The same arithmetic as
/// [`extrapolated_rate`], without building a window per step.
pub(crate) fn float_rate_steps(
    floats: &[(i64, f64)],
    drops: &[u32],
    steps: &[(i64, i64)],
    range: RangeBounds,
    is_counter: bool,
    is_rate: bool,
    mut out: impl FnMut(i64, f64),
) {
    let (mut lo, mut hi) = (0usize, 0usize);
    let range_ms = range.end_ms - range.start_ms;
    let mut memo = Extrapolation::default();
    for &(step, end) in steps {
        let start = end - range_ms;
        lo = crate::functions::advance(floats, |s| s.0, lo, start);
        hi = crate::functions::advance(floats, |s| s.0, hi, end).max(lo);
        if hi - lo < 2 {
            continue;
        }
        let resets = drops.is_empty() || drops[hi - 1] > drops[lo];
        out(step, rate_of(&floats[lo..hi], resets, &range.ending(end), is_counter, is_rate, &mut memo));
    }
}

/// The extrapolation of one window's layout (where its first and last samples sit in it and
/// how many samples it holds), before a counter's zero point is taken into account. Windows
/// one after another mostly share their layout (samples at a steady interval, steps a multiple
/// of it), so the last one is kept: the same integers give the same floats, and five of a
/// window's seven divisions are skipped without changing a bit.
#[derive(Debug, Default)]
struct Extrapolation {
    /// (first sample - range start, range end - last sample, samples - 1).
    layout: Option<(i64, i64, usize)>,
    to_start: f64,
    to_end: f64,
    sampled: f64,
    factor: f64,
}

impl Extrapolation {
    fn update(&mut self, range: &RangeBounds, first_t: i64, last_t: i64, n_minus_one: usize, is_rate: bool) {
        let layout = (first_t - range.start_ms, range.end_ms - last_t, n_minus_one);
        if self.layout == Some(layout) {
            return;
        }
        let mut to_start = layout.0 as f64 / 1000.0;
        let mut to_end = layout.1 as f64 / 1000.0;
        let sampled = (last_t - first_t) as f64 / 1000.0;
        let average = if n_minus_one > 0 { sampled / n_minus_one as f64 } else { 0.0 };
        let threshold = average * 1.1;
        if to_start >= threshold {
            to_start = average / 2.0;
        }
        if to_end >= threshold {
            to_end = average / 2.0;
        }
        *self = Self {
            layout: Some(layout),
            to_start,
            to_end,
            sampled,
            factor: factor_of(sampled, to_start, to_end, range, is_rate),
        };
    }

    /// The factor once a counter's zero point `to_zero` (seconds before the first sample) is
    /// taken into account: extrapolation towards the start stops there.
    #[inline]
    fn factor_from_zero(&self, to_zero: f64, range: &RangeBounds, is_rate: bool) -> f64 {
        if to_zero < self.to_start {
            factor_of(self.sampled, to_zero, self.to_end, range, is_rate)
        } else {
            self.factor
        }
    }
}

/// Prometheus's extrapolation factor from the durations it extrapolates over.
#[inline]
fn factor_of(sampled: f64, to_start: f64, to_end: f64, range: &RangeBounds, is_rate: bool) -> f64 {
    let mut factor = 1.0;
    if sampled != 0.0 {
        factor = (sampled + to_start + to_end) / sampled;
    }
    if is_rate {
        factor /= range.seconds;
    }
    factor
}

/// The factor Prometheus's `extrapolatedRate` multiplies the raw increase by: extrapolation to
/// the range boundaries (at most half an average sample interval where the series seems to start
/// or end inside the range, and for counters not below zero), divided by the range for rates.
/// `duration_to_zero(sampled_interval, duration_to_start)` gives the counter's zero point.
pub(crate) fn extrapolation_factor(
    w: &Window<'_>,
    first_t: i64,
    last_t: i64,
    n_minus_one: usize,
    is_counter: bool,
    is_rate: bool,
    duration_to_zero: impl FnOnce(f64, f64) -> f64,
) -> f64 {
    let range = RangeBounds::of(w);
    let mut e = Extrapolation::default();
    e.update(&range, first_t, last_t, n_minus_one, is_rate);
    if !is_counter {
        return e.factor;
    }
    e.factor_from_zero(duration_to_zero(e.sampled, e.to_start), &range, is_rate)
}

/// Index of the first sample with a timestamp above `t` among the first `n` samples (Go's
/// `sort.Search(n, func(i) bool { return ts(i) > t })`).
pub(crate) fn search<T>(samples: &[(i64, T)], n: usize, pred: impl Fn(i64) -> bool) -> usize {
    samples[..n].partition_point(|s| !pred(s.0))
}

/// The value between two samples at `t`, linearly; for a counter a reset between them counts
/// as a restart from zero.
pub(crate) fn interpolate(p1: (i64, f64), p2: (i64, f64), t: i64, is_counter: bool) -> f64 {
    let (mut y1, y2) = (p1.1, p2.1);
    if is_counter && y2 < y1 {
        y1 = 0.0;
    }
    y1 + (y2 - y1) * (t - p1.0) as f64 / (p2.0 - p1.0) as f64
}

/// Prometheus's `extendedRate` for floats under the `anchored` and `smoothed` modifiers.
fn extended_rate(w: &Window<'_>, is_counter: bool, is_rate: bool) -> RangeResult {
    let f = w.floats;
    let smoothed = w.modifier == RangeModifier::Smoothed;
    let (range_start, range_end) = (w.range_start_ms, w.range_end_ms);
    let mut last = f.len() - 1;
    let mut first = search(f, last, |t| t > range_start).saturating_sub(1);
    if smoothed {
        last = search(f, last, |t| t >= range_end);
    }
    if f[last].0 <= range_start {
        return RangeResult::none();
    }
    if smoothed && f[first].0 > range_end {
        return RangeResult::none();
    }
    let left = if smoothed && f[first].0 < range_start {
        interpolate(f[first], f[first + 1], range_start, is_counter)
    } else {
        f[first].1
    };
    let right = if smoothed && last > 0 && f[last].0 > range_end {
        interpolate(f[last - 1], f[last], range_end, is_counter)
    } else {
        f[last].1
    };
    let mut result = right - left;
    if is_counter {
        if f[first].0 <= range_start {
            first += 1;
        }
        let inner_end = if f[last].0 >= range_end { last } else { last + 1 };
        let inner = if first < inner_end { &f[first..inner_end] } else { &[][..] };
        let mut correction = 0.0;
        let mut prev = left;
        for p in inner {
            if p.1 < prev {
                correction += prev;
            }
            prev = p.1;
        }
        if right < prev {
            correction += prev;
        }
        result += correction;
    }
    if is_rate {
        result /= w.range_seconds();
    }
    RangeResult::float(result)
}

/// `irate` (`is_rate`) and `idelta`: from the last two samples of the window.
pub(crate) fn instant_value(w: &Window<'_>, is_rate: bool) -> Result<RangeResult, FunctionError> {
    if w.floats.len() + w.histograms.len() < 2 {
        return Ok(RangeResult::none());
    }
    // The last two samples in time order, floats first, as Prometheus picks them.
    #[derive(Clone, Copy)]
    enum S<'h> {
        F(f64),
        H(&'h quiver_proto::FloatHistogram),
    }
    let mut ss: Vec<(i64, S<'_>)> = Vec::with_capacity(2);
    for &(t, v) in &w.floats[w.floats.len().saturating_sub(2)..] {
        ss.push((t, S::F(v)));
    }
    for &(t, h) in &w.histograms[w.histograms.len().saturating_sub(2)..] {
        let s = (t, S::H(h));
        match ss.len() {
            0 => ss.push(s),
            1 => {
                if t < ss[0].0 {
                    ss.insert(0, s);
                } else {
                    ss.push(s);
                }
            }
            _ if t < ss[0].0 => {}
            _ if t > ss[1].0 => {
                ss[0] = ss[1];
                ss[1] = s;
            }
            _ => ss[0] = s,
        }
    }
    let sampled_interval = ss[1].0 - ss[0].0;
    if sampled_interval == 0 {
        return Ok(RangeResult::none());
    }
    match (ss[0].1, ss[1].1) {
        (S::F(prev), S::F(cur)) => {
            // A counter reset (for irate) leaves the last value as the increase.
            let reset = is_rate && cur < prev;
            let mut v = if reset { cur } else { cur - prev };
            if is_rate {
                v /= sampled_interval as f64 / 1000.0;
            }
            Ok(RangeResult::float(v))
        }
        (S::H(prev), S::H(cur)) => range_hist::instant_value(w, prev, cur, sampled_interval, is_rate),
        _ => Ok(RangeResult::warn_only(Annotation::MixedFloatsHistograms { metric_name: w.name() })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::xorshift;

    /// `float_rate_steps`, which keeps the last window's extrapolation, gives bit for bit what
    /// `float_rate` gives window by window: over samples at a steady interval (windows sharing
    /// their layout) with jitter, gaps, counter resets, negative, zero and non-finite values, for
    /// rate, increase and delta, with and without the reset counts.
    #[test]
    fn steps_match_window_by_window() {
        let mut rnd = xorshift(0x5eed_1234);
        for case in 0..300 {
            let mut t = 1_700_000_000_000i64 + (rnd() % 60_000) as i64;
            let mut v = 0.0f64;
            let mut floats = Vec::new();
            for _ in 0..(rnd() % 400) {
                t += match rnd() % 16 {
                    0 => 1 + (rnd() % 30_000) as i64,
                    1 => 90_000,
                    _ => 15_000,
                };
                v = match rnd() % 40 {
                    0 => 0.0,
                    1 => -v,
                    2 => f64::NAN,
                    3 => f64::INFINITY,
                    4 => v / 3.0,
                    _ => v + (rnd() % 1000) as f64 / 7.0,
                };
                floats.push((t, v));
            }
            let mut n = 0;
            let mut prev = f64::NAN;
            let drops: Vec<u32> = floats
                .iter()
                .map(|&(_, v)| {
                    n += u32::from(v < prev);
                    prev = v;
                    n
                })
                .collect();
            let range_ms = [300_000, 60_000, 3_600_000][case % 3];
            let step_ms = [60_000, 15_000, 47_000][case / 3 % 3];
            let first_end = 1_700_000_000_000 + (rnd() % 120_000) as i64;
            let steps: Vec<(i64, i64)> = (0..200).map(|k| (k, first_end + k * step_ms)).collect();
            let range = RangeBounds {
                start_ms: first_end - range_ms,
                end_ms: first_end,
                seconds: range_ms as f64 / 1000.0,
            };
            for (is_counter, is_rate) in [(true, true), (true, false), (false, false)] {
                let drops: &[u32] = if is_counter { &drops } else { &[] };
                let mut got = Vec::new();
                float_rate_steps(&floats, drops, &steps, range, is_counter, is_rate, |s, v| {
                    got.push((s, v.to_bits()))
                });
                let mut want = Vec::new();
                for &(step, end) in &steps {
                    let w: Vec<(i64, f64)> =
                        floats.iter().copied().filter(|s| s.0 > end - range_ms && s.0 <= end).collect();
                    let resets = (!drops.is_empty()).then(|| w.windows(2).any(|p| p[1].1 < p[0].1));
                    if let Some(v) = float_rate(&w, resets, &range.ending(end), is_counter, is_rate) {
                        want.push((step, v.to_bits()));
                    }
                }
                assert_eq!(got, want, "case {case}, counter {is_counter}, rate {is_rate}");
            }
        }
    }
}
