//! `histogram_quantile` and `histogram_fraction` over classic histograms (series of `le`
//! buckets), as Prometheus's `BucketQuantile` and `BucketFraction` (`promql/quantile.go`).
//!
//! The engine groups the float samples of the input vector by their labels without `le`
//! ([`labels_without_le`]), reads each sample's upper bound with [`bucket_upper_bound`] (a
//! malformed `le` gives a warning and the sample is skipped), and, where a native histogram with
//! the same labels is present at the step, skips the group with a
//! [`Annotation::MixedClassicNativeHistograms`] warning. Each remaining group is one output sample.

use quiver_proto::{Label, Labels, is_stale_nan};

use crate::annotations::{Annotation, ForcedMonotonicity};

/// The label holding a classic histogram bucket's upper bound.
pub const BUCKET_LABEL: &str = "le";

/// Relative difference between adjacent bucket counts that is treated as floating point noise.
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// One classic histogram bucket: the cumulative count of observations up to `upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// The result of [`bucket_quantile`] with what had to be repaired in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketQuantile {
    pub value: f64,
    /// Some bucket had a lower count than a lower bucket and was raised to it.
    pub forced_monotonic: bool,
    /// Some insignificant differences (relative 1e-12) between buckets were ignored.
    pub fixed_precision: bool,
    /// Lowest and highest upper bound whose count was raised, and the largest raise.
    pub min_bucket: f64,
    pub max_bucket: f64,
    pub max_diff: f64,
}

impl BucketQuantile {
    fn value(value: f64) -> Self {
        BucketQuantile {
            value,
            forced_monotonic: false,
            fixed_precision: false,
            min_bucket: 0.0,
            max_bucket: 0.0,
            max_diff: 0.0,
        }
    }

    /// The "needed to be fixed for monotonicity" info for this result at evaluation time `ts_ms`.
    /// Prometheus names the metric only with delayed name removal; pass "" otherwise.
    pub fn forced_monotonicity_info(&self, metric_name: &str, ts_ms: i64) -> Option<Annotation> {
        self.forced_monotonic.then(|| {
            Annotation::HistogramQuantileForcedMonotonicity(ForcedMonotonicity {
                metric_name: metric_name.to_string(),
                min_ts: ts_ms,
                max_ts: ts_ms,
                min_bucket: self.min_bucket,
                max_bucket: self.max_bucket,
                max_diff: self.max_diff,
                count: 0,
            })
        })
    }
}

/// The warning `histogram_quantile` and `quantile_over_time` give for a quantile outside [0, 1].
pub fn invalid_quantile_warning(q: f64) -> Option<Annotation> {
    (q.is_nan() || !(0.0..=1.0).contains(&q)).then_some(Annotation::InvalidQuantile { q })
}

/// The labels of a bucket series without `le`: the output labels of its histogram (the engine
/// drops `__name__` as for other functions).
pub fn labels_without_le(labels: &Labels) -> Labels {
    let kept: Vec<Label> = labels.iter().filter(|l| l.name != BUCKET_LABEL).cloned().collect();
    Labels::from_sorted(kept).unwrap_or_default()
}

/// The bucket's upper bound from its `le` label, or the bad bucket label warning (naming the
/// metric when `name_in_annotation`, as Prometheus does with delayed name removal).
pub fn bucket_upper_bound(labels: &Labels, name_in_annotation: bool) -> Result<f64, Annotation> {
    let le = labels.get(BUCKET_LABEL).unwrap_or("");
    parse_go_float(le).ok_or_else(|| Annotation::BadBucketLabel {
        metric_name: if name_in_annotation {
            labels.metric_name().unwrap_or("").to_string()
        } else {
            String::new()
        },
        le: le.to_string(),
    })
}

/// Parses like Go's `strconv.ParseFloat(s, 64)` for decimal input: `Inf`/`Infinity` with an
/// optional sign and `NaN` in any case, and out-of-range values rejected. (Go's hexadecimal
/// floats are not accepted.)
pub fn parse_go_float(s: &str) -> Option<f64> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(if s.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if lower == "nan" {
        return (unsigned.len() == s.len()).then_some(f64::NAN);
    }
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Go's `sort.Search`: the smallest index in `0..n` for which `f` is true (or `n`), with Go's
/// exact probing order (which matters when `f` is not monotonic, e.g. with NaN counts).
pub(crate) fn go_search(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let (mut i, mut j) = (0usize, n);
    while i < j {
        let h = (i + j) / 2;
        if !f(h) {
            i = h + 1;
        } else {
            j = h;
        }
    }
    i
}

/// Prometheus's `almost.Equal`: equal within `epsilon` relative error (absolute near zero), both
/// NaN (but a stale NaN only equals a stale NaN). `0` and `-0` are equal.
pub fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if is_stale_nan(a) || is_stale_nan(b) {
        return is_stale_nan(a) && is_stale_nan(b);
    }
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < epsilon * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

fn sort_and_coalesce(buckets: &mut Vec<Bucket>) {
    buckets.sort_by(|a, b| a.upper_bound.partial_cmp(&b.upper_bound).unwrap_or(std::cmp::Ordering::Equal));
    let mut out: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets.drain(..) {
        match out.last_mut() {
            Some(last) if last.upper_bound == b.upper_bound => last.count += b.count,
            _ => out.push(b),
        }
    }
    *buckets = out;
}

/// Raises bucket counts that are below a lower bucket's count, and ignores relative differences
/// below `tolerance` in either direction (Prometheus's `ensureMonotonicAndIgnoreSmallDeltas`).
fn ensure_monotonic(buckets: &mut [Bucket], tolerance: f64) -> (bool, bool, f64, f64, f64) {
    let (mut forced, mut fixed) = (false, false);
    let (mut min_bucket, mut max_bucket, mut max_diff) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    let mut prev = buckets[0].count;
    for b in &mut buckets[1..] {
        let curr = b.count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, tolerance) {
            b.count = prev;
            fixed = true;
            continue;
        }
        if curr < prev {
            b.count = prev;
            forced = true;
            if b.upper_bound < min_bucket {
                min_bucket = b.upper_bound;
            }
            if b.upper_bound > max_bucket {
                max_bucket = b.upper_bound;
            }
            if prev - curr > max_diff {
                max_diff = prev - curr;
            }
            continue;
        }
        prev = curr;
    }
    (forced, fixed, min_bucket, max_bucket, max_diff)
}

/// The `q`-quantile of a classic histogram, interpolating linearly within the bucket (from 0 for
/// the lowest bucket if its upper bound is positive). Sorts, merges equal bounds and repairs
/// `buckets` in place. NaN if `q` is NaN, the highest bucket is not `+Inf`, there are fewer than
/// two buckets or no observations; -Inf for `q < 0`, +Inf for `q > 1`. A quantile in the `+Inf`
/// bucket is the second highest upper bound.
pub fn bucket_quantile(q: f64, buckets: &mut Vec<Bucket>) -> BucketQuantile {
    if q.is_nan() {
        return BucketQuantile::value(f64::NAN);
    }
    if q < 0.0 {
        return BucketQuantile::value(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return BucketQuantile::value(f64::INFINITY);
    }
    if buckets.is_empty() {
        return BucketQuantile::value(f64::NAN);
    }
    sort_and_coalesce(buckets);
    if buckets[buckets.len() - 1].upper_bound != f64::INFINITY {
        return BucketQuantile::value(f64::NAN);
    }
    let (forced, fixed, min_bucket, max_bucket, max_diff) = ensure_monotonic(buckets, SMALL_DELTA_TOLERANCE);
    let mut res = BucketQuantile {
        value: f64::NAN,
        forced_monotonic: forced,
        fixed_precision: fixed,
        min_bucket,
        max_bucket,
        max_diff,
    };
    let n = buckets.len();
    if n < 2 {
        return res;
    }
    let observations = buckets[n - 1].count;
    if observations == 0.0 {
        return res;
    }
    let mut rank = q * observations;
    let b = go_search(n - 1, |i| buckets[i].count >= rank);
    res.value = if b == n - 1 {
        buckets[n - 2].upper_bound
    } else if b == 0 && buckets[0].upper_bound <= 0.0 {
        buckets[0].upper_bound
    } else {
        let bucket_end = buckets[b].upper_bound;
        let mut count = buckets[b].count;
        let mut bucket_start = 0.0;
        if b > 0 {
            bucket_start = buckets[b - 1].upper_bound;
            count -= buckets[b - 1].count;
            rank -= buckets[b - 1].count;
        }
        bucket_start + (bucket_end - bucket_start) * (rank / count)
    };
    res
}

/// The fraction of observations between `lower` and `upper` in a classic histogram, interpolating
/// linearly within buckets (Prometheus's `BucketFraction`). Sorts and merges `buckets` in place.
pub fn bucket_fraction(lower: f64, upper: f64, buckets: &mut Vec<Bucket>) -> f64 {
    if buckets.is_empty() {
        return f64::NAN;
    }
    sort_and_coalesce(buckets);
    if buckets[buckets.len() - 1].upper_bound != f64::INFINITY {
        return f64::NAN;
    }
    let count = buckets[buckets.len() - 1].count;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let (mut rank, mut lower_rank, mut upper_rank) = (0.0, 0.0, 0.0);
    let (mut lower_set, mut upper_set) = (false, false);
    let mut lower_bound = if buckets[0].upper_bound <= 0.0 { f64::NEG_INFINITY } else { 0.0 };
    for (i, b) in buckets.iter().enumerate() {
        if i > 0 {
            lower_bound = buckets[i - 1].upper_bound;
        }
        let upper_bound = b.upper_bound;
        let interpolate = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                return b.count;
            }
            rank + (b.count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
        };
        if !lower_set && lower_bound >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lower_bound >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lower_bound < lower && upper_bound > lower {
            lower_rank = interpolate(lower);
            lower_set = true;
        }
        if !upper_set && lower_bound < upper && upper_bound > upper {
            upper_rank = interpolate(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = b.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(pairs: &[(f64, f64)]) -> Vec<Bucket> {
        pairs.iter().map(|&(upper_bound, count)| Bucket { upper_bound, count }).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || ((a - b) / b).abs() < 1e-9
    }

    const INF: f64 = f64::INFINITY;

    #[test]
    fn classic_histogram_quantile_corpus() {
        // testhistogram at 50m (histograms.test), given unsorted.
        let positive = [(1.0, 110.0), (0.1, 50.0), (INF, 120.0), (0.2, 70.0)];
        let negative = [(-0.2, 10.0), (-0.1, 20.0), (0.3, 20.0), (INF, 30.0)];
        let table = [
            (0.0, 0.0, -0.2),
            (1.0, 1.0, 0.3),
            (0.2, 0.048, -0.2),
            (0.5, 0.15, -0.15),
            (0.8, 0.72, 0.3),
            (-0.1, f64::NEG_INFINITY, f64::NEG_INFINITY),
            (1.01, INF, INF),
            (f64::NAN, f64::NAN, f64::NAN),
        ];
        for (q, p, n) in table {
            let got = bucket_quantile(q, &mut buckets(&positive)).value;
            assert!(close(got, p), "q={q}: {got} want {p}");
            let got = bucket_quantile(q, &mut buckets(&negative)).value;
            assert!(close(got, n), "q={q}: {got} want {n}");
        }
        // testhistogram2 at 7m: quantiles in the middle of buckets.
        let h2 = [(0.0, 0.0), (2.0, 1.0), (4.0, 2.0), (6.0, 3.0), (INF, 3.0)];
        for (q, want) in [(1. / 6., 1.0), (0.5, 3.0), (5. / 6., 5.0)] {
            assert!(close(bucket_quantile(q, &mut buckets(&h2)).value, want));
        }
        // testhistogram3 at 50m.
        let h3 = [(0.0, 0.0), (0.1, 50.0), (0.2, 70.0), (1.0, 110.0), (INF, 110.0)];
        for (q, want) in [(0.0, 0.0), (0.25, 0.055), (0.5, 0.125), (0.75, 0.45), (1.0, 1.0)] {
            assert!(close(bucket_quantile(q, &mut buckets(&h3)).value, want), "q={q}");
        }
        // Equal upper bounds written differently are merged (mixed_bucket rate at 50m).
        let mixed = [(0.1, 1.0), (0.2, 1.0), (0.2, 1.0), (0.2, 1.0), (INF, 4.0)];
        assert!(close(bucket_quantile(0.5, &mut buckets(&mixed)).value, 0.15));
        assert!(close(bucket_quantile(0.75, &mut buckets(&mixed)).value, 0.2));
        assert!(bucket_quantile(0.5, &mut buckets(&[(INF, 0.0), (INF, 0.0)])).value.is_nan());
        // No +Inf bucket, a single bucket, no observations: NaN.
        assert!(bucket_quantile(0.5, &mut buckets(&[(1.0, 1.0), (2.0, 2.0)])).value.is_nan());
        assert!(bucket_quantile(0.5, &mut buckets(&[(INF, 5.0)])).value.is_nan());
        assert!(bucket_quantile(0.5, &mut buckets(&[(1.0, 0.0), (INF, 0.0)])).value.is_nan());
        assert!(bucket_quantile(0.5, &mut Vec::new()).value.is_nan());
    }

    #[test]
    fn classic_histogram_quantile_monotonicity() {
        let nonmonotonic =
            [(0.1, 20.0), (1.0, 10.0), (10.0, 50.0), (100.0, 40.0), (1000.0, 90.0), (INF, 80.0)];
        for (q, want) in [(0.01, 0.0045), (0.5, 8.5), (0.99, 979.75)] {
            let r = bucket_quantile(q, &mut buckets(&nonmonotonic));
            assert!(close(r.value, want), "q={q}: {}", r.value);
            assert!(r.forced_monotonic);
            assert_eq!((r.min_bucket, r.max_bucket, r.max_diff), (1.0, INF, 10.0));
            let info = r.forced_monotonicity_info("", 3_000_000).unwrap();
            assert!(info.message(Some((1, 21))).starts_with(
                "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://"
            ));
            assert!(info.message(Some((1, 21))).ends_with(
                ", from buckets 1 to +Inf, with a max diff of 10, over 1 samples from 1970-01-01T00:50:00Z to 1970-01-01T00:50:00Z (1:21)"
            ));
        }
        // Tiny relative differences are ignored without the info.
        let noisy = [(1.0, 10.0), (2.0, 10.0 - 1e-13), (INF, 10.0)];
        let r = bucket_quantile(0.5, &mut buckets(&noisy));
        assert!(r.fixed_precision && !r.forced_monotonic);
        assert!(r.forced_monotonicity_info("x", 0).is_none());
        assert!(close(r.value, 0.5));
    }

    #[test]
    fn classic_histogram_fraction_corpus() {
        let h2 = [(0.0, 0.0), (2.0, 30.0), (4.0, 60.0), (6.0, 90.0), (INF, 90.0)];
        assert!(close(bucket_fraction(0.0, 4.0, &mut buckets(&h2)), 0.6666666666666666));
        assert!(close(bucket_fraction(0.0, 6.0, &mut buckets(&h2)), 1.0));
        assert!(close(bucket_fraction(0.0, 3.5, &mut buckets(&h2)), 0.5833333333333334));
        let h3 = [(0.0, 0.0), (0.1, 50.0), (0.2, 70.0), (1.0, 110.0), (INF, 110.0)];
        assert!(close(bucket_fraction(0.0, 0.2, &mut buckets(&h3)), 0.6363636363636364));
        let pos = [(1.0, 1.0), (2.0, 3.0), (3.0, 6.0), (INF, 100.0)];
        let neg = [(-3.0, 10.0), (-2.0, 12.0), (-1.0, 15.0), (INF, 100.0)];
        type Case<'a> = (&'a [(f64, f64)], f64, f64, f64);
        let table: &[Case<'_>] = &[
            (&pos, 0.0, 1.5, 0.02),
            (&neg, -4.0, -2.0, 0.02),
            (&neg, f64::NEG_INFINITY, -1.5, 0.135),
            (&pos, f64::NEG_INFINITY, INF, 1.0),
            (&neg, f64::NEG_INFINITY, INF, 1.0),
            (&pos, 4.0, 5.0, 0.0),
            (&neg, 0.0, 1.0, 0.0),
            (&pos, 2.0, 5.0, 0.03),
            (&pos, 400.0, INF, 0.94),
            (&pos, 2.0, 2.0, 0.0),
            (&pos, 3.0, 2.0, 0.0),
            (&[(INF, 100.0)], 0.0, 1.0, 0.0),
            (&[(1.0, 0.0), (2.0, 0.0), (INF, 0.0)], 0.0, 5.0, f64::NAN),
            (&pos, 2.0, 3.5, 0.03),
            (&pos, 0.5, 2.0, 0.025),
            (&pos, 1.0, 3.0, 0.05),
            (&[(0.5, 2.5), (1.0, 7.5), (INF, 100.0)], 0.1, 0.75, 0.045),
            (&[(-2.0, 5.0), (-1.0, 10.0), (0.0, 15.0), (1.0, 20.0), (INF, 100.0)], -1.0, 1.0, 0.1),
            (&[(1.0, 1.0), (INF, 100.0)], f64::NAN, 1.0, f64::NAN),
            (&[(1.0, 1.0), (INF, 100.0)], 0.0, f64::NAN, f64::NAN),
            (&[(1.0, 1.0), (INF, 100.0)], 2.0, 1.0, 0.0),
            (&[(1.0, 1.0), (2.0, 2.0)], 0.0, 1.0, f64::NAN),
        ];
        for (b, lo, hi, want) in table {
            let got = bucket_fraction(*lo, *hi, &mut buckets(b));
            assert!(close(got, *want), "fraction({lo}, {hi}) of {b:?} = {got}, want {want}");
        }
    }

    #[test]
    fn classic_histogram_le_parsing() {
        for (s, want) in
            [("0.1", 0.1), (".2", 0.2), ("1e0", 1.0), ("+Inf", INF), ("+inf", INF), ("-Inf", -INF)]
        {
            assert_eq!(parse_go_float(s), Some(want), "{s}");
        }
        assert_eq!(parse_go_float("Infinity"), Some(INF));
        assert_eq!(parse_go_float("2.0e-1"), Some(0.2));
        assert!(parse_go_float("NaN").unwrap().is_nan());
        for bad in ["", "x", "+nan", "1e400", "1_0", "0x10", " 1", "1 ", "inff"] {
            assert_eq!(parse_go_float(bad), None, "{bad:?}");
        }
        let l = Labels::from_pairs([("__name__", "x_bucket"), ("le", "0.5"), ("job", "a")]).unwrap();
        assert_eq!(bucket_upper_bound(&l, true), Ok(0.5));
        assert_eq!(labels_without_le(&l).to_string(), r#"{__name__="x_bucket", job="a"}"#);
        let bad = Labels::from_pairs([("__name__", "x_bucket"), ("le", "abc")]).unwrap();
        assert_eq!(
            bucket_upper_bound(&bad, true).unwrap_err().message(Some((1, 20))),
            "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"abc\" for metric name \"x_bucket\" (1:20)"
        );
        let none = Labels::from_pairs([("__name__", "x_bucket")]).unwrap();
        assert_eq!(
            bucket_upper_bound(&none, false).unwrap_err().message(None),
            "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"\""
        );
        assert_eq!(invalid_quantile_warning(0.5), None);
        assert!(invalid_quantile_warning(f64::NAN).is_some());
        assert_eq!(go_search(5, |i| i >= 3), 3);
        assert!(almost_equal(1.0, 1.0 + 1e-13, 1e-12));
        assert!(!almost_equal(1.0, 1.1, 1e-12));
    }
}
