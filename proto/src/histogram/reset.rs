//! Counter reset detection and Prometheus's `Equals`.

use super::iter::FloatBucketIter;
use super::{Bucket, CounterResetHint, FloatHistogram, Histogram, Span};

/// Whether `prev` has a populated bucket that `curr` is missing or has a smaller count in
/// (Prometheus's `detectReset`); both iterate the same schema.
fn detect_reset_buckets(curr: &mut FloatBucketIter<'_>, prev: &mut FloatBucketIter<'_>) -> bool {
    // True if prev has a populated bucket from its current one on.
    let rest_populated = |prev: &mut FloatBucketIter<'_>| loop {
        if prev.stripped().0 != 0.0 {
            return true;
        }
        if !prev.advance() {
            return false;
        }
    };
    if !prev.advance() {
        return false;
    }
    if !curr.advance() {
        return rest_populated(prev);
    }
    loop {
        let (prev_count, prev_idx) = prev.stripped();
        while curr.stripped().1 < prev_idx {
            if !curr.advance() {
                return rest_populated(prev);
            }
        }
        let (curr_count, curr_idx) = curr.stripped();
        if curr_idx > prev_idx {
            if prev_count != 0.0 {
                return true;
            }
        } else if curr_count < prev_count {
            return true;
        }
        if !prev.advance() {
            return false;
        }
    }
}

impl FloatHistogram {
    /// Prometheus's `DetectReset`: whether this histogram, following `previous`, implies a
    /// counter reset. The hints CounterReset and NotCounterReset decide directly. Otherwise a
    /// reset is a smaller count, zero count or bucket count (not sum), a missing populated
    /// bucket, a higher schema, a lower zero threshold, or a change between exponential and
    /// custom buckets. A lower schema and a wider zero bucket are handled by merging the
    /// previous histogram's buckets accordingly; custom buckets with different bounds are
    /// compared on the bounds both have.
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            CounterResetHint::CounterReset => return true,
            CounterResetHint::NotCounterReset => return false,
            CounterResetHint::Unknown | CounterResetHint::Gauge => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if !previous.uses_custom_buckets() {
                return true;
            }
            if self.custom_values != previous.custom_values {
                return self.detect_reset_with_mismatched_custom_bounds(previous);
            }
        }
        if self.schema > previous.schema {
            return true;
        }
        if self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (previous_zero, new_threshold, _) =
            previous.zero_count_for_larger_threshold(self.zero_threshold, None);
        if new_threshold != self.zero_threshold {
            // The zero threshold is inside a populated bucket of the previous histogram.
            return true;
        }
        if self.zero_count < previous_zero {
            return true;
        }
        for positive in [true, false] {
            let its = (
                FloatBucketIter::new(self, positive, self.zero_threshold, self.schema),
                FloatBucketIter::new(previous, positive, self.zero_threshold, self.schema),
            );
            let (Ok(mut curr), Ok(mut prev)) = its else { return true };
            if detect_reset_buckets(&mut curr, &mut prev) {
                return true;
            }
        }
        false
    }

    /// For custom buckets with different bounds: whether the cumulative count up to any bound
    /// both histograms have decreased, counting buckets not yet accounted for.
    fn detect_reset_with_mismatched_custom_bounds(&self, previous: &FloatHistogram) -> bool {
        let mut curr_it = self.positive_bucket_iter();
        let mut prev_it = previous.positive_bucket_iter();
        // Sums the buckets with an upper bound ≤ `bound`, starting at `bucket` (or the first
        // bucket if not started); returns the first bucket beyond and whether there is one.
        fn rollup(
            it: &mut FloatBucketIter<'_>,
            started: bool,
            bucket: Option<Bucket<f64>>,
            bound: f64,
        ) -> (f64, Option<Bucket<f64>>, bool) {
            let mut bucket = match (started, bucket) {
                (true, Some(b)) => b,
                _ => match it.next() {
                    Some(b) => b,
                    None => return (0.0, None, false),
                },
            };
            let mut sum = 0.0;
            while bucket.upper <= bound {
                sum += bucket.count;
                match it.next() {
                    Some(b) => bucket = b,
                    None => return (sum, None, false),
                }
            }
            (sum, Some(bucket), true)
        }
        let (curr_bounds, prev_bounds) = (&self.custom_values, &previous.custom_values);
        let (mut ci, mut pi) = (0usize, 0usize);
        let (mut curr_bucket, mut prev_bucket) = (None, None);
        let (mut curr_started, mut curr_more, mut prev_started, mut prev_more) = (false, false, false, false);
        while ci <= curr_bounds.len() && pi <= prev_bounds.len() {
            let cb = curr_bounds.get(ci).copied().unwrap_or(f64::INFINITY);
            let pb = prev_bounds.get(pi).copied().unwrap_or(f64::INFINITY);
            if cb == pb {
                let mut curr_sum = 0.0;
                if !curr_started || curr_more {
                    (curr_sum, curr_bucket, curr_more) = rollup(&mut curr_it, curr_started, curr_bucket, cb);
                    curr_started = true;
                }
                let mut prev_sum = 0.0;
                if !prev_started || prev_more {
                    (prev_sum, prev_bucket, prev_more) = rollup(&mut prev_it, prev_started, prev_bucket, cb);
                    prev_started = true;
                }
                if curr_sum < prev_sum {
                    return true;
                }
                ci += 1;
                pi += 1;
            } else if cb < pb {
                ci += 1;
            } else {
                pi += 1;
            }
        }
        false
    }

    /// Prometheus's `Equals`: the same schema, bucket layout (spans may be split differently,
    /// with empty spans in between) and values, floats compared by bit pattern (so NaN sums of
    /// the same kind are equal, 0 and -0 are not). Custom bounds are compared only for custom
    /// buckets.
    pub fn equals(&self, other: &FloatHistogram) -> bool {
        let bits_eq = |a: f64, b: f64| a.to_bits() == b.to_bits();
        let buckets_eq =
            |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| bits_eq(*x, *y));
        self.schema == other.schema
            && bits_eq(self.count, other.count)
            && bits_eq(self.sum, other.sum)
            && (!self.uses_custom_buckets() || self.custom_values == other.custom_values)
            && self.zero_threshold == other.zero_threshold
            && bits_eq(self.zero_count, other.zero_count)
            && spans_match(&self.negative_spans, &other.negative_spans)
            && buckets_eq(&self.negative_buckets, &other.negative_buckets)
            && spans_match(&self.positive_spans, &other.positive_spans)
            && buckets_eq(&self.positive_buckets, &other.positive_buckets)
    }
}

impl Histogram {
    /// Prometheus's `Histogram.Equals` (see [`FloatHistogram::equals`]).
    pub fn equals(&self, other: &Histogram) -> bool {
        self.schema == other.schema
            && self.count == other.count
            && self.sum.to_bits() == other.sum.to_bits()
            && (!self.uses_custom_buckets() || self.custom_values == other.custom_values)
            && self.zero_threshold == other.zero_threshold
            && self.zero_count == other.zero_count
            && spans_match(&self.negative_spans, &other.negative_spans)
            && self.negative_buckets == other.negative_buckets
            && spans_match(&self.positive_spans, &other.positive_spans)
            && self.positive_buckets == other.positive_buckets
    }
}

/// Whether two span lists describe the same bucket layout (Prometheus's `spansMatch`): spans
/// of length 0 are skipped (their offsets carried over), adjacent spans are not merged.
pub(crate) fn spans_match(s1: &[Span], s2: &[Span]) -> bool {
    if s1.is_empty() && s2.is_empty() {
        return true;
    }
    // The next span, with the offsets of skipped empty spans added.
    fn next(s: &[Span], i: &mut usize) -> Span {
        let mut cur = s[*i];
        *i += 1;
        if cur.length == 0 {
            while *i < s.len() && s[*i].length == 0 {
                cur.offset = cur.offset.wrapping_add(s[*i].offset);
                *i += 1;
            }
            if *i < s.len() {
                cur.offset = cur.offset.wrapping_add(s[*i].offset);
                cur.length = s[*i].length;
                *i += 1;
            }
        }
        cur
    }
    let all_empty = |s: &[Span]| s.iter().all(|x| x.length == 0);
    let (mut i1, mut i2) = (0, 0);
    loop {
        if i1 >= s1.len() {
            return all_empty(&s2[i2..]);
        }
        if i2 >= s2.len() {
            return all_empty(&s1[i1..]);
        }
        let a = next(s1, &mut i1);
        let b = next(s2, &mut i2);
        if a.length == 0 && b.length == 0 {
            return true;
        }
        if a != b {
            return false;
        }
    }
}
