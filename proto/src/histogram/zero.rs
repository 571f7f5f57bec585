//! Zero bucket widening and reconciliation (Prometheus's `zeroCountForLargerThreshold`,
//! `trimBucketsInZeroBucket` and `reconcileZeroBuckets`).

use super::FloatHistogram;
use super::gomath::kahan_sum_inc;

impl FloatHistogram {
    /// What the zero count would be with the larger (or equal) zero threshold `larger`, and that
    /// threshold, moved up to the upper bound of a populated bucket it falls into. Buckets are
    /// summed with Kahan summation; the third value is the compensation, seeded with `c`'s zero
    /// count and including `c`'s bucket compensations when given. A threshold below the current
    /// one (where Prometheus panics) is treated as the current one.
    pub(crate) fn zero_count_for_larger_threshold(
        &self,
        larger: f64,
        c: Option<&FloatHistogram>,
    ) -> (f64, f64, f64) {
        let mut c_zero = c.map_or(0.0, |c| c.zero_count);
        if larger <= self.zero_threshold || larger.is_nan() {
            return (self.zero_count, self.zero_threshold.max(larger), c_zero);
        }
        let mut larger = larger;
        'outer: loop {
            let mut zero = self.zero_count;
            for (i, b) in self.positive_bucket_iter().enumerate() {
                if b.lower >= larger {
                    break;
                }
                (zero, c_zero) = kahan_sum_inc(b.count, zero, c_zero);
                if let Some(&cb) = c.and_then(|c| c.positive_buckets.get(i)) {
                    (zero, c_zero) = kahan_sum_inc(cb, zero, c_zero);
                }
                if b.upper > larger {
                    // The new threshold is inside this bucket; if populated, extend to its end.
                    if b.count != 0.0 {
                        larger = b.upper;
                    }
                    break;
                }
            }
            for (i, b) in self.negative_bucket_iter().enumerate() {
                if b.upper <= -larger {
                    break;
                }
                (zero, c_zero) = kahan_sum_inc(b.count, zero, c_zero);
                if let Some(&cb) = c.and_then(|c| c.negative_buckets.get(i)) {
                    (zero, c_zero) = kahan_sum_inc(cb, zero, c_zero);
                }
                if b.lower < -larger {
                    if b.count != 0.0 {
                        // The positive side has to be redone with the larger threshold.
                        larger = -b.lower;
                        continue 'outer;
                    }
                    break;
                }
            }
            return (zero, larger, c_zero);
        }
    }

    /// Zeroes and then compacts away the buckets inside the zero bucket, whose counts are
    /// already in the zero count (and the compensation buckets of `c` along with them).
    // Negated comparisons: a NaN bound counts as inside, as in Prometheus's loop.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    pub(crate) fn trim_buckets_in_zero_bucket(&mut self, c: Option<&mut FloatHistogram>) {
        let zt = self.zero_threshold;
        let n_pos = self.positive_bucket_iter().take_while(|b| !(b.lower >= zt)).count();
        let n_neg = self.negative_bucket_iter().take_while(|b| !(b.upper <= -zt)).count();
        for b in self.positive_buckets.iter_mut().take(n_pos) {
            *b = 0.0;
        }
        for b in self.negative_buckets.iter_mut().take(n_neg) {
            *b = 0.0;
        }
        match c {
            Some(c) => {
                for b in c.positive_buckets.iter_mut().take(n_pos) {
                    *b = 0.0;
                }
                for b in c.negative_buckets.iter_mut().take(n_neg) {
                    *b = 0.0;
                }
                self.kahan_compact(0, c);
            }
            None => {
                self.compact(0);
            }
        }
    }

    /// Widens the zero bucket of this histogram (and the compensation histogram `c`) and
    /// computes the zero count `other` would have, until both have the same zero threshold, one
    /// not inside a populated bucket of either. Returns `other`'s zero count and its Kahan
    /// compensation; `other` is left as it is.
    pub(crate) fn reconcile_zero_buckets(
        &mut self,
        other: &FloatHistogram,
        mut c: Option<&mut FloatHistogram>,
    ) -> (f64, f64) {
        let mut other_zero = other.zero_count;
        let mut other_threshold = other.zero_threshold;
        let mut other_c_zero = 0.0;
        if other_threshold.is_nan() || self.zero_threshold.is_nan() {
            // Prometheus loops forever here; a NaN threshold stays NaN.
            self.zero_threshold = f64::NAN;
            return (other_zero, other_c_zero);
        }
        while other_threshold != self.zero_threshold {
            if self.zero_threshold > other_threshold {
                (other_zero, other_threshold, other_c_zero) =
                    other.zero_count_for_larger_threshold(self.zero_threshold, None);
            }
            if other_threshold > self.zero_threshold {
                let (zero, threshold, c_zero) =
                    self.zero_count_for_larger_threshold(other_threshold, c.as_deref());
                (self.zero_count, self.zero_threshold) = (zero, threshold);
                if let Some(c) = c.as_deref_mut() {
                    c.zero_count = c_zero;
                }
                self.trim_buckets_in_zero_bucket(c.as_deref_mut());
            }
        }
        (other_zero, other_c_zero)
    }
}
