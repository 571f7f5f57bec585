//! The statistics PromQL computes from native histograms, as Prometheus's
//! `HistogramQuantile`, `HistogramFraction` (promql/quantile.go) and `histogram_stddev` /
//! `histogram_stdvar` (promql/functions.go) do, with Go's `Log2`/`Exp2` for bit-identical
//! results.

use super::gomath::{exp2, kahan_sum_inc, log2};
use super::{Bucket, FloatHistogram};

/// Info-level annotations the functions can produce (PromQL attaches them to the result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistogramInfo {
    /// `NativeHistogramQuantileNaNResultInfo`: the quantile falls among NaN observations.
    QuantileNaNResult,
    /// `NativeHistogramQuantileNaNSkewInfo`: NaN observations may skew the quantile.
    QuantileNaNSkew,
    /// `NativeHistogramFractionNaNsInfo`: NaN observations were left out of the fraction.
    FractionNaNs,
}

/// Prometheus's `HistogramQuantile`: the `q`-quantile of the observations in `h`. Below 0
/// gives -Inf, above 1 +Inf, NaN or an empty histogram NaN. Inside an exponential bucket the
/// value is interpolated on a logarithmic scale, inside the zero bucket and custom buckets
/// linearly (with 0 as a bound when the histogram has buckets on one side only, and the
/// first/last custom bucket's finite bound when the other one is infinite).
pub fn histogram_quantile(q: f64, h: &FloatHistogram) -> (f64, Option<HistogramInfo>) {
    if q < 0.0 {
        return (f64::NEG_INFINITY, None);
    }
    if q > 1.0 {
        return (f64::INFINITY, None);
    }
    if h.count == 0.0 || q.is_nan() {
        return (f64::NAN, None);
    }
    let forward = h.sum.is_nan() || q < 0.5;
    let mut it = if forward { h.all_bucket_iter() } else { h.all_reverse_bucket_iter() };
    let mut rank = if forward { q * h.count } else { (1.0 - q) * h.count };
    let mut bucket = Bucket {
        lower: 0.0,
        upper: 0.0,
        lower_inclusive: false,
        upper_inclusive: false,
        count: 0.0,
        index: 0,
    };
    let mut count = 0.0;
    for b in it.by_ref() {
        bucket = b;
        if b.count == 0.0 {
            continue;
        }
        count += b.count;
        if count >= rank {
            break;
        }
    }
    if !h.uses_custom_buckets() && bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
            // In the zero bucket, with only positive buckets: 0 is the lower bound.
            bucket.lower = 0.0;
        } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
            bucket.upper = 0.0;
        }
    } else if h.uses_custom_buckets() {
        if bucket.lower == f64::NEG_INFINITY {
            if bucket.upper <= 0.0 {
                return (bucket.upper, None);
            }
            bucket.lower = 0.0;
        } else if bucket.upper == f64::INFINITY {
            return (bucket.lower, None);
        }
    }
    // Rounding can make the bucket total exceed the count.
    if count > h.count {
        count = h.count;
    }
    if count < rank {
        // The rank lies beyond all buckets: among NaN observations, or a broken histogram.
        if h.sum.is_nan() {
            return (f64::NAN, Some(HistogramInfo::QuantileNaNResult));
        }
        return (bucket.upper, None);
    }
    if forward {
        rank -= count - bucket.count;
    } else {
        rank = count - rank;
    }
    let mut info = None;
    if h.sum.is_nan() {
        // NaN observations are in the count but in no bucket.
        for b in it {
            count += b.count;
        }
        if count < h.count {
            info = Some(HistogramInfo::QuantileNaNSkew);
        }
    }
    let fraction = rank / bucket.count;
    if h.uses_custom_buckets() || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
        return (bucket.lower + (bucket.upper - bucket.lower) * fraction, info);
    }
    let log_lower = log2(bucket.lower.abs());
    let log_upper = log2(bucket.upper.abs());
    if bucket.lower > 0.0 {
        return (exp2(log_lower + (log_upper - log_lower) * fraction), info);
    }
    (-exp2(log_upper + (log_lower - log_upper) * (1.0 - fraction)), info)
}

/// Prometheus's `HistogramFraction`: the estimated fraction of observations between `lower`
/// and `upper`, interpolating within buckets as [`histogram_quantile`] does. NaN for an empty
/// histogram or NaN bounds, 0 if `lower >= upper`.
pub fn histogram_fraction(lower: f64, upper: f64, h: &FloatHistogram) -> (f64, Option<HistogramInfo>) {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return (f64::NAN, None);
    }
    if lower >= upper {
        return (0.0, None);
    }
    let (mut count, mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    let mut it = h.all_bucket_iter();
    for mut b in it.by_ref() {
        count += b.count;
        let mut zero_bucket = false;
        if b.lower <= 0.0 && b.upper >= 0.0 {
            zero_bucket = true;
            if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
                b.lower = 0.0;
            } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
                b.upper = 0.0;
            }
        }
        let linear = h.uses_custom_buckets() || zero_bucket;
        let interpolate = |v: f64| {
            if linear && b.lower == f64::NEG_INFINITY {
                // No interpolation within a bucket reaching down to -Inf.
                return b.count;
            }
            rank + b.count * b.fraction_below(v, linear)
        };
        if !lower_set && b.lower >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    let mut info = None;
    if h.sum.is_nan() {
        for b in it {
            count += b.count;
        }
        if count < h.count {
            info = Some(HistogramInfo::FractionNaNs);
        }
    } else {
        count = h.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    ((upper_rank - lower_rank) / h.count, info)
}

/// `histogram_stdvar`: the estimated variance of the observations, taking each bucket's
/// observations at its geometric mean (exponential buckets), arithmetic mean (custom buckets)
/// or 0 (zero bucket), with Kahan summation as Prometheus.
pub fn histogram_stdvar(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let (mut variance, mut c) = (0.0, 0.0);
    for b in h.all_bucket_iter() {
        if b.count == 0.0 {
            continue;
        }
        let val = if h.uses_custom_buckets() {
            (b.upper + b.lower) / 2.0
        } else if b.lower <= 0.0 && b.upper >= 0.0 {
            0.0
        } else {
            let v = (b.upper * b.lower).sqrt();
            if b.upper < 0.0 { -v } else { v }
        };
        let delta = val - mean;
        (variance, c) = kahan_sum_inc(b.count * delta * delta, variance, c);
    }
    variance += c;
    variance / h.count
}

/// `histogram_stddev`: the square root of [`histogram_stdvar`].
pub fn histogram_stddev(h: &FloatHistogram) -> f64 {
    histogram_stdvar(h).sqrt()
}
