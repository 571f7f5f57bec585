//! Numeric helpers shared by the kernels (and usable by aggregations): Prometheus's Kahan
//! summation (`util/kahansum`), its `quantile` over a set of floats, and Go's `math.Max` /
//! `math.Min` semantics.

use std::cmp::Ordering;

/// Prometheus's `kahansum.Inc` (Kahan–Neumaier summation step), shared with the histogram code.
pub use quiver_proto::kahan_sum_inc;

/// Orders floats as Prometheus's `vectorByValueHeap` sorts them: NaN before everything, then
/// ascending.
pub(crate) fn nan_first_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// The `q`-quantile of `values` as Prometheus's `quantile` (used by `quantile_over_time`,
/// `mad_over_time` and the `quantile` aggregation): sorts `values` (NaN first), then interpolates
/// linearly between the two closest ranks. NaN for no values or a NaN `q`; -Inf for `q < 0`,
/// +Inf for `q > 1`.
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| nan_first_cmp(*a, *b));
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (n - 1.0).min(lower + 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Go's `math.Max`: +Inf wins over NaN, NaN wins over everything else, +0 over -0.
pub fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        return f64::INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { y } else { x };
    }
    if x > y { x } else { y }
}

/// Go's `math.Min`: -Inf wins over NaN, NaN wins over everything else, -0 over +0.
pub fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == 0.0 && x == y {
        return if x.is_sign_negative() { x } else { y };
    }
    if x < y { x } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_kahan_keeps_small_terms() {
        let mut s = (0.0, 0.0);
        for v in [1.0, 1e100, 1.0, -1e100] {
            s = kahan_sum_inc(v, s.0, s.1);
        }
        assert_eq!(s.0 + s.1, 2.0);
        let (t, c) = kahan_sum_inc(f64::INFINITY, 1.0, 0.5);
        assert_eq!((t, c), (f64::INFINITY, 0.0));
    }

    #[test]
    fn stats_quantile() {
        assert_eq!(quantile(0.5, &mut [0.0, 1.0]), 0.5);
        assert_eq!(quantile(0.75, &mut [2.0, 0.0, 1.0]), 1.5);
        assert!((quantile(0.8, &mut [0.0, 1.0, 4.0]) - 2.8).abs() < 1e-12);
        assert_eq!(quantile(1.0, &mut [0.0, 4.0, 1.0]), 4.0);
        assert_eq!(quantile(-1.0, &mut [1.0]), f64::NEG_INFINITY);
        assert_eq!(quantile(2.0, &mut [1.0]), f64::INFINITY);
        assert!(quantile(f64::NAN, &mut [1.0]).is_nan());
        assert!(quantile(0.5, &mut []).is_nan());
        // NaN sorts first: the 0.5-quantile of [NaN, 1, 2] is 1.
        assert_eq!(quantile(0.5, &mut [2.0, f64::NAN, 1.0]), 1.0);
        assert!(quantile(0.0, &mut [2.0, f64::NAN, 1.0]).is_nan());
    }

    #[test]
    fn stats_go_min_max() {
        assert!(go_max(f64::NAN, 3.0).is_nan());
        assert!(go_min(3.0, f64::NAN).is_nan());
        assert_eq!(go_max(f64::NAN, f64::INFINITY), f64::INFINITY);
        assert_eq!(go_min(f64::NAN, f64::NEG_INFINITY), f64::NEG_INFINITY);
        assert!(go_max(-0.0, 0.0).is_sign_positive());
        assert!(go_min(0.0, -0.0).is_sign_negative());
        assert_eq!(go_max(3.0, 5.0), 5.0);
        assert_eq!(go_min(3.0, 5.0), 3.0);
    }
}
