//! Prometheus's `TrimBuckets`, behind PromQL's trim operators `</` (keep observations below a
//! value) and `>/` (keep observations above it).

use super::{Bucket, FloatHistogram};

/// The midpoint of the surviving part of a bucket: arithmetic for linear (custom) buckets,
/// geometric for exponential ones, with infinite bounds handled as Prometheus's
/// `computeMidpoint`.
fn midpoint(lower: f64, upper: f64, positive: bool, linear: bool) -> f64 {
    if lower.is_infinite() {
        if upper.is_infinite() {
            return 0.0;
        }
        return if upper > 0.0 { upper / 2.0 } else { upper };
    }
    if upper.is_infinite() {
        return lower;
    }
    if linear {
        return (lower + upper) / 2.0;
    }
    let geo = (lower * upper).abs().sqrt();
    if positive { geo } else { -geo }
}

/// Count kept and midpoint for a bucket with an infinite bound (`handleInfinityBuckets`).
fn infinity_bucket(upper_trim: bool, b: &Bucket<f64>, rhs: f64) -> (f64, f64) {
    let zero_if_inf = |x: f64| if x.is_infinite() { 0.0 } else { x };
    if b.lower == f64::NEG_INFINITY {
        if upper_trim {
            if rhs >= b.upper {
                return (b.count, 0.0);
            }
            if rhs > 0.0 && b.upper > 0.0 && !b.upper.is_infinite() {
                // A finite positive upper bound: treat the lower one as 0 (custom buckets).
                return (b.count * rhs / b.upper, rhs / 2.0);
            }
            if b.upper <= 0.0 {
                return (b.count, rhs);
            }
            return (0.0, zero_if_inf(b.upper));
        }
        if rhs <= b.lower {
            return (b.count, 0.0);
        }
        if rhs >= 0.0 && b.upper > rhs && !b.upper.is_infinite() {
            return (b.count * (1.0 - rhs / b.upper), (rhs + b.upper) / 2.0);
        }
        return (0.0, zero_if_inf(b.upper));
    }
    // Upper bound +Inf.
    if upper_trim {
        return (0.0, zero_if_inf(b.lower));
    }
    if rhs >= b.lower {
        return (b.count, rhs);
    }
    (0.0, zero_if_inf(b.lower))
}

/// Count kept and midpoint of the kept part for a bucket containing the trim point.
fn bucket_trim(b: &Bucket<f64>, rhs: f64, upper_trim: bool, positive: bool, linear: bool) -> (f64, f64) {
    if b.lower == f64::NEG_INFINITY || b.upper == f64::INFINITY {
        return infinity_bucket(upper_trim, b, rhs);
    }
    let under = if rhs <= b.lower {
        0.0
    } else if rhs >= b.upper {
        b.count
    } else {
        b.count * b.fraction_below(rhs, linear)
    };
    if upper_trim {
        (under, midpoint(b.lower, rhs, positive, linear))
    } else {
        (b.count - under, midpoint(rhs, b.upper, positive, linear))
    }
}

/// Count kept and midpoint for the zero bucket (`computeZeroBucketTrim`): linear, with 0 as
/// the bound towards the side without buckets.
fn zero_bucket_trim(
    z: &Bucket<f64>,
    rhs: f64,
    has_negative: bool,
    has_positive: bool,
    upper_trim: bool,
) -> (f64, f64) {
    let (mut lower, mut upper) = (z.lower, z.upper);
    if has_negative && !has_positive {
        upper = 0.0;
    }
    if has_positive && !has_negative {
        lower = 0.0;
    }
    let (fraction, mid) = if upper_trim {
        if rhs <= lower {
            return (0.0, 0.0);
        }
        if rhs >= upper {
            return (z.count, (lower + upper) / 2.0);
        }
        ((rhs - lower) / (upper - lower), (lower + rhs) / 2.0)
    } else {
        if rhs <= lower {
            return (z.count, (lower + upper) / 2.0);
        }
        if rhs >= upper {
            return (0.0, 0.0);
        }
        ((upper - rhs) / (upper - lower), (rhs + upper) / 2.0)
    };
    (z.count * fraction, mid)
}

impl FloatHistogram {
    /// Prometheus's `TrimBuckets`: keeps only the observations below `rhs` (`upper_trim`,
    /// PromQL's `</`) or above it (`>/`), interpolating within the bucket containing `rhs`.
    /// If anything was trimmed, count and sum are recomputed from the kept buckets (each
    /// bucket's observations at its midpoint) and the histogram is compacted.
    pub fn trim_buckets(&mut self, rhs: f64, upper_trim: bool) -> &mut Self {
        let linear = self.uses_custom_buckets();
        let (mut count, mut sum, mut trimmed) = (0.0, 0.0, false);
        let mut has = [false, false];
        for (side, positive) in [(0usize, true), (1, false)] {
            let buckets: Vec<Bucket<f64>> = if positive {
                self.positive_bucket_iter().collect()
            } else {
                self.negative_bucket_iter().collect()
            };
            for (i, b) in buckets.iter().enumerate() {
                if b.count == 0.0 {
                    continue;
                }
                has[side] = true;
                let (keep_all, straddles) = if upper_trim {
                    (b.upper <= rhs, b.lower < rhs)
                } else {
                    (b.lower >= rhs, b.upper > rhs)
                };
                let slot =
                    if positive { &mut self.positive_buckets[i] } else { &mut self.negative_buckets[i] };
                if keep_all {
                    count += b.count;
                    sum += midpoint(b.lower, b.upper, positive, linear) * b.count;
                } else if straddles {
                    let (keep, mid) = bucket_trim(b, rhs, upper_trim, positive, linear);
                    count += keep;
                    sum += mid * keep;
                    if *slot != keep {
                        *slot = keep;
                        trimmed = true;
                    }
                } else {
                    *slot = 0.0;
                    trimmed = true;
                }
            }
        }
        if self.zero_count > 0.0 {
            let (keep, mid) = zero_bucket_trim(&self.zero_bucket(), rhs, has[1], has[0], upper_trim);
            if self.zero_count != keep {
                self.zero_count = keep;
                trimmed = true;
            }
            sum += mid * keep;
            count += keep;
        }
        if trimmed {
            self.count = count;
            self.sum = sum;
            self.compact(0);
        }
        self
    }
}
