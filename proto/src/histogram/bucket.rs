//! One bucket with its bounds, as Prometheus's `histogram.Bucket`.

use std::fmt;

use super::gomath::log2;
use crate::format_g;

/// A bucket with lower and upper bound and its count (absolute; cumulative for
/// [`super::CumulativeBucketIter`], whose buckets start at -Inf). `index` is the bucket's
/// index in its schema, meaningful for comparing buckets of the same schema and sign, and 0
/// for the zero bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket<C> {
    pub lower: f64,
    pub upper: f64,
    pub lower_inclusive: bool,
    pub upper_inclusive: bool,
    pub count: C,
    pub index: i32,
}

impl<C> Bucket<C> {
    fn fmt_bounds(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.lower_inclusive { '[' } else { '(' };
        let close = if self.upper_inclusive { ']' } else { ')' };
        write!(f, "{open}{},{}{close}", format_g(self.lower), format_g(self.upper))
    }
}

impl Bucket<f64> {
    /// Prometheus's `Bucket.FractionBelow`: the fraction of this bucket's width at or below
    /// `v`, for `lower < v < upper` with finite bounds. Linear interpolation for custom buckets
    /// and the zero bucket, otherwise on a logarithmic scale (negative buckets mirrored).
    pub fn fraction_below(&self, v: f64, linear: bool) -> f64 {
        if linear {
            return (v - self.lower) / (self.upper - self.lower);
        }
        let log_lower = log2(self.lower.abs());
        let log_upper = log2(self.upper.abs());
        let log_v = log2(v.abs());
        if v > 0.0 {
            return (log_v - log_lower) / (log_upper - log_lower);
        }
        1.0 - ((log_v - log_upper) / (log_lower - log_upper))
    }
}

/// Go's `Bucket.String()`: `[-2,-1):1`, bounds as `%g`, the count as `%v` (also `%g`-like).
impl fmt::Display for Bucket<f64> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_bounds(f)?;
        write!(f, ":{}", format_g(self.count))
    }
}

impl fmt::Display for Bucket<u64> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_bounds(f)?;
        write!(f, ":{}", self.count)
    }
}

#[cfg(test)]
// Bounds like 1.414213562373095 are Prometheus's, one ulp off the constants.
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    fn b(lower: f64, upper: f64) -> Bucket<f64> {
        Bucket { lower, upper, lower_inclusive: false, upper_inclusive: true, count: 100.0, index: 0 }
    }

    #[test]
    fn fraction_below_like_prometheus() {
        // TestBucketFractionBelow.
        let cases = [
            (b(0.0, 10.0), 5.0, true, 0.5),
            (b(2.0, 6.0), 3.0, true, 0.25),
            (b(-10.0, -5.0), -6.0, true, 0.8),
            (b(2.0, 8.0), 4.0, false, 0.5),
            (b(1.0, 16.0), 2.0, false, 0.25),
            (b(-8.0, -2.0), -4.0, false, 0.5),
            (b(-4.0, -2.0), -3.0, false, 0.415_037_499_278_843_8),
        ];
        for (bucket, v, linear, want) in cases {
            let got = bucket.fraction_below(v, linear);
            assert!((got - want).abs() < 1e-12, "{bucket} {v}: {got} want {want}");
        }
    }

    #[test]
    fn display_like_go() {
        let mut x = b(-2.0, -1.0);
        x.lower_inclusive = true;
        x.upper_inclusive = false;
        x.count = 1.0;
        assert_eq!(x.to_string(), "[-2,-1):1");
        let y = Bucket {
            lower: 1.414213562373095,
            upper: 2.0,
            lower_inclusive: false,
            upper_inclusive: true,
            count: 0.5,
            index: 1,
        };
        assert_eq!(y.to_string(), "(1.414213562373095,2]:0.5");
        let z = Bucket {
            lower: f64::NEG_INFINITY,
            upper: 1e-7,
            lower_inclusive: true,
            upper_inclusive: true,
            count: 12345678u64,
            index: 0,
        };
        assert_eq!(z.to_string(), "[-Inf,1e-07]:12345678");
        let big = Bucket { count: 12345678.0, ..y };
        assert_eq!(big.to_string(), "(1.414213562373095,2]:1.2345678e+07");
    }
}
