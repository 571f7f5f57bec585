//! Bucket iterators, as Prometheus's `floatBucketIterator`, `reverseFloatBucketIterator`,
//! `allFloatBucketIterator`, `regularBucketIterator` and `cumulativeBucketIterator`.
//!
//! Like Prometheus's, they tolerate spans and buckets that disagree (iteration just stops) and
//! never index out of bounds; index arithmetic wraps as Go's `int32` does.

use super::bounds::{get_bound, get_bound_exponential};
use super::compact::target_idx;
use super::{Bucket, CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, HistogramError, Span};
use super::{EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MIN};

/// Bounds of bucket `idx` on the positive or negative side, as Prometheus's
/// `baseBucketIterator.at`.
fn bucket_at<C>(idx: i32, count: C, schema: i32, positive: bool, custom_values: &[f64]) -> Bucket<C> {
    let (lower, upper) = if positive {
        (get_bound(idx.wrapping_sub(1), schema, custom_values), get_bound(idx, schema, custom_values))
    } else {
        (-get_bound(idx, schema, custom_values), -get_bound(idx.wrapping_sub(1), schema, custom_values))
    };
    let (lower_inclusive, upper_inclusive) =
        if schema == CUSTOM_BUCKETS_SCHEMA { (idx == 0, true) } else { (lower < 0.0, upper > 0.0) };
    Bucket { lower, upper, lower_inclusive, upper_inclusive, count, index: idx }
}

/// Iterates the positive (ascending from zero) or negative (descending from zero) buckets of a
/// [`FloatHistogram`], optionally merged into a lower-resolution target schema and skipping
/// buckets whose absolute upper bound is at most a start value.
#[derive(Debug, Clone)]
pub struct FloatBucketIter<'a> {
    spans: &'a [Span],
    buckets: &'a [f64],
    custom_values: &'a [f64],
    schema: i32,
    target_schema: i32,
    positive: bool,
    spans_idx: usize,
    idx_in_span: u32,
    buckets_idx: usize,
    curr_count: f64,
    curr_idx: i32,
    orig_idx: i32,
    absolute_start_value: f64,
    bound_reached_start_value: bool,
}

impl<'a> FloatBucketIter<'a> {
    /// Prometheus's `FloatHistogram.floatBucketIterator`, with an error where Prometheus panics
    /// (a target schema above the histogram's, or mixing custom and exponential schemas).
    pub(crate) fn new(
        h: &'a FloatHistogram,
        positive: bool,
        absolute_start_value: f64,
        target_schema: i32,
    ) -> Result<Self, HistogramError> {
        if h.uses_custom_buckets() && target_schema != h.schema {
            return Err(HistogramError::invalid_operation(
                "cannot merge from custom buckets schema to exponential schema",
            ));
        }
        if !h.uses_custom_buckets() && target_schema == CUSTOM_BUCKETS_SCHEMA {
            return Err(HistogramError::invalid_operation(
                "cannot merge from exponential buckets schema to custom schema",
            ));
        }
        if target_schema > h.schema {
            return Err(HistogramError::invalid_operation(format!(
                "cannot merge from schema {} to {target_schema}",
                h.schema
            )));
        }
        let (spans, buckets, custom_values): (&[Span], &[f64], &[f64]) = if positive {
            (&h.positive_spans, &h.positive_buckets, &h.custom_values)
        } else {
            (&h.negative_spans, &h.negative_buckets, &[])
        };
        Ok(FloatBucketIter {
            spans,
            buckets,
            custom_values,
            schema: h.schema,
            target_schema,
            positive,
            spans_idx: 0,
            idx_in_span: 0,
            buckets_idx: 0,
            curr_count: 0.0,
            curr_idx: 0,
            orig_idx: 0,
            absolute_start_value,
            bound_reached_start_value: absolute_start_value == 0.0,
        })
    }

    /// Moves to the next bucket; false when there is none.
    pub(crate) fn advance(&mut self) -> bool {
        loop {
            if !self.step() {
                return false;
            }
            if !self.bound_reached_start_value
                && (EXPONENTIAL_SCHEMA_MIN..=EXPONENTIAL_SCHEMA_MAX).contains(&self.target_schema)
                && get_bound_exponential(self.curr_idx, self.target_schema) <= self.absolute_start_value
            {
                continue;
            }
            self.bound_reached_start_value = true;
            return true;
        }
    }

    fn step(&mut self) -> bool {
        let Some(&first_span) = self.spans.get(self.spans_idx) else { return false };
        let mut span = first_span;
        if self.schema == self.target_schema {
            self.curr_idx = if self.buckets_idx == 0 { span.offset } else { self.curr_idx.wrapping_add(1) };
            if self.buckets_idx >= self.buckets.len() {
                return false;
            }
            while self.idx_in_span >= span.length {
                self.idx_in_span = 0;
                self.spans_idx += 1;
                let Some(&next) = self.spans.get(self.spans_idx) else { return false };
                span = next;
                self.curr_idx = self.curr_idx.wrapping_add(span.offset);
            }
            self.curr_count = self.buckets[self.buckets_idx];
            self.idx_in_span += 1;
            self.buckets_idx += 1;
            return true;
        }
        // Merge all buckets of the original schema that fall into one target bucket.
        let (mut orig_idx, mut spans_idx, mut idx_in_span) =
            (self.orig_idx, self.spans_idx, self.idx_in_span);
        let mut first_pass = true;
        self.curr_count = 0.0;
        'merge: loop {
            orig_idx = if self.buckets_idx == 0 { span.offset } else { orig_idx.wrapping_add(1) };
            if self.buckets_idx >= self.buckets.len() {
                if first_pass {
                    return false;
                }
                break;
            }
            while idx_in_span >= span.length {
                idx_in_span = 0;
                spans_idx += 1;
                let Some(&next) = self.spans.get(spans_idx) else {
                    if first_pass {
                        return false;
                    }
                    break 'merge;
                };
                span = next;
                orig_idx = orig_idx.wrapping_add(span.offset);
            }
            let curr_idx = target_idx(orig_idx, self.schema, self.target_schema);
            if first_pass {
                self.curr_idx = curr_idx;
                first_pass = false;
            } else if curr_idx != self.curr_idx {
                break;
            }
            self.curr_count += self.buckets[self.buckets_idx];
            idx_in_span += 1;
            self.buckets_idx += 1;
            (self.orig_idx, self.spans_idx, self.idx_in_span) = (orig_idx, spans_idx, idx_in_span);
        }
        true
    }

    /// Count and index of the current bucket, without computing bounds.
    pub(crate) fn stripped(&self) -> (f64, i32) {
        (self.curr_count, self.curr_idx)
    }

    pub(crate) fn at(&self) -> Bucket<f64> {
        bucket_at(self.curr_idx, self.curr_count, self.target_schema, self.positive, self.custom_values)
    }
}

impl Iterator for FloatBucketIter<'_> {
    type Item = Bucket<f64>;

    fn next(&mut self) -> Option<Bucket<f64>> {
        self.advance().then(|| self.at())
    }
}

/// Iterates the positive buckets descending (from the highest towards zero) or the negative
/// buckets ascending (from the lowest towards zero).
#[derive(Debug, Clone)]
pub struct ReverseFloatBucketIter<'a> {
    spans: &'a [Span],
    buckets: &'a [f64],
    custom_values: &'a [f64],
    schema: i32,
    positive: bool,
    spans_idx: isize,
    idx_in_span: i32,
    buckets_idx: isize,
    curr_idx: i32,
    curr_count: f64,
}

impl<'a> ReverseFloatBucketIter<'a> {
    pub(crate) fn new(
        spans: &'a [Span],
        buckets: &'a [f64],
        schema: i32,
        positive: bool,
        custom_values: &'a [f64],
    ) -> Self {
        let idx_in_span = spans.last().map_or(0, |s| (s.length as i32).wrapping_sub(1));
        let curr_idx =
            spans.iter().fold(0i32, |acc, s| acc.wrapping_add(s.offset).wrapping_add(s.length as i32));
        ReverseFloatBucketIter {
            spans,
            buckets,
            custom_values,
            schema,
            positive,
            spans_idx: spans.len() as isize - 1,
            idx_in_span,
            buckets_idx: buckets.len() as isize - 1,
            curr_idx,
            curr_count: 0.0,
        }
    }

    fn advance(&mut self) -> bool {
        self.curr_idx = self.curr_idx.wrapping_sub(1);
        if self.buckets_idx < 0 {
            return false;
        }
        while self.idx_in_span < 0 {
            self.spans_idx -= 1;
            if self.spans_idx < 0 {
                return false;
            }
            let i = self.spans_idx as usize;
            self.idx_in_span = (self.spans[i].length as i32).wrapping_sub(1);
            self.curr_idx = self.curr_idx.wrapping_sub(self.spans[i + 1].offset);
        }
        self.curr_count = self.buckets[self.buckets_idx as usize];
        self.buckets_idx -= 1;
        self.idx_in_span -= 1;
        true
    }

    fn at(&self) -> Bucket<f64> {
        bucket_at(self.curr_idx, self.curr_count, self.schema, self.positive, self.custom_values)
    }
}

impl Iterator for ReverseFloatBucketIter<'_> {
    type Item = Bucket<f64>;

    fn next(&mut self) -> Option<Bucket<f64>> {
        self.advance().then(|| self.at())
    }
}

/// Iterates all buckets, negative, zero (if populated) and positive, ascending (or descending
/// for [`FloatHistogram::all_reverse_bucket_iter`]). Buckets overlapping the zero bucket have
/// the overlapping bound moved to the zero threshold.
#[derive(Debug, Clone)]
pub struct AllFloatBucketIter<'a> {
    h: &'a FloatHistogram,
    left: ReverseFloatBucketIter<'a>,
    right: FloatBucketIter<'a>,
    state: i8,
}

impl AllFloatBucketIter<'_> {
    fn clamp_to_zero_bucket(&self, mut b: Bucket<f64>) -> Bucket<f64> {
        let zt = self.h.zero_threshold;
        if b.upper < 0.0 && b.upper > -zt {
            b.upper = -zt;
        } else if b.lower > 0.0 && b.lower < zt {
            b.lower = zt;
        }
        b
    }
}

impl Iterator for AllFloatBucketIter<'_> {
    type Item = Bucket<f64>;

    fn next(&mut self) -> Option<Bucket<f64>> {
        loop {
            match self.state {
                -1 => {
                    if self.left.advance() {
                        return Some(self.clamp_to_zero_bucket(self.left.at()));
                    }
                    self.state = 0;
                }
                0 => {
                    self.state = 1;
                    if self.h.zero_count > 0.0 {
                        return Some(self.h.zero_bucket());
                    }
                }
                1 => {
                    if self.right.advance() {
                        return Some(self.clamp_to_zero_bucket(self.right.at()));
                    }
                    self.state = 42;
                    return None;
                }
                _ => return None,
            }
        }
    }
}

impl FloatHistogram {
    fn same_schema_iter(&self, positive: bool) -> FloatBucketIter<'_> {
        let (spans, buckets, custom_values): (&[Span], &[f64], &[f64]) = if positive {
            (&self.positive_spans, &self.positive_buckets, &self.custom_values)
        } else {
            (&self.negative_spans, &self.negative_buckets, &[])
        };
        FloatBucketIter {
            spans,
            buckets,
            custom_values,
            schema: self.schema,
            target_schema: self.schema,
            positive,
            spans_idx: 0,
            idx_in_span: 0,
            buckets_idx: 0,
            curr_count: 0.0,
            curr_idx: 0,
            orig_idx: 0,
            absolute_start_value: 0.0,
            bound_reached_start_value: true,
        }
    }

    /// Positive buckets in ascending order (Prometheus's `PositiveBucketIterator`).
    pub fn positive_bucket_iter(&self) -> FloatBucketIter<'_> {
        self.same_schema_iter(true)
    }

    /// Negative buckets in descending order, starting next to zero.
    pub fn negative_bucket_iter(&self) -> FloatBucketIter<'_> {
        self.same_schema_iter(false)
    }

    /// Positive buckets descending, from the highest.
    pub fn positive_reverse_bucket_iter(&self) -> ReverseFloatBucketIter<'_> {
        ReverseFloatBucketIter::new(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            true,
            &self.custom_values,
        )
    }

    /// Negative buckets ascending, from the lowest.
    pub fn negative_reverse_bucket_iter(&self) -> ReverseFloatBucketIter<'_> {
        ReverseFloatBucketIter::new(&self.negative_spans, &self.negative_buckets, self.schema, false, &[])
    }

    /// All buckets ascending: negative, zero (if its count is above 0), positive.
    pub fn all_bucket_iter(&self) -> AllFloatBucketIter<'_> {
        AllFloatBucketIter {
            h: self,
            left: self.negative_reverse_bucket_iter(),
            right: self.positive_bucket_iter(),
            state: -1,
        }
    }

    /// All buckets descending: positive, zero (if its count is above 0), negative.
    pub fn all_reverse_bucket_iter(&self) -> AllFloatBucketIter<'_> {
        AllFloatBucketIter {
            h: self,
            left: self.positive_reverse_bucket_iter(),
            right: self.negative_bucket_iter(),
            state: -1,
        }
    }

    /// The buckets of one side merged into the lower-resolution `target_schema`, skipping
    /// buckets with an absolute upper bound ≤ `absolute_start_value` (exponential schemas only).
    pub fn bucket_iter_to_schema(
        &self,
        positive: bool,
        absolute_start_value: f64,
        target_schema: i32,
    ) -> Result<FloatBucketIter<'_>, HistogramError> {
        FloatBucketIter::new(self, positive, absolute_start_value, target_schema)
    }
}

/// Iterates the positive or negative buckets of an integer [`Histogram`], decoding the deltas
/// (Prometheus's `regularBucketIterator`).
#[derive(Debug, Clone)]
pub struct IntBucketIter<'a> {
    spans: &'a [Span],
    buckets: &'a [i64],
    custom_values: &'a [f64],
    schema: i32,
    positive: bool,
    spans_idx: usize,
    idx_in_span: u32,
    buckets_idx: usize,
    curr_count: i64,
    curr_idx: i32,
}

impl Iterator for IntBucketIter<'_> {
    type Item = Bucket<u64>;

    fn next(&mut self) -> Option<Bucket<u64>> {
        let mut span = *self.spans.get(self.spans_idx)?;
        self.curr_idx = if self.buckets_idx == 0 { span.offset } else { self.curr_idx.wrapping_add(1) };
        while self.idx_in_span >= span.length {
            self.idx_in_span = 0;
            self.spans_idx += 1;
            span = *self.spans.get(self.spans_idx)?;
            self.curr_idx = self.curr_idx.wrapping_add(span.offset);
        }
        let delta = *self.buckets.get(self.buckets_idx)?;
        self.curr_count = self.curr_count.wrapping_add(delta);
        self.idx_in_span += 1;
        self.buckets_idx += 1;
        Some(bucket_at(self.curr_idx, self.curr_count as u64, self.schema, self.positive, self.custom_values))
    }
}

/// Cumulative buckets of an integer histogram without negative buckets: the zero bucket (if
/// populated) and then every positive bucket including empty ones between spans, each with
/// lower bound -Inf and the count of all observations up to its upper bound.
#[derive(Debug, Clone)]
pub struct CumulativeBucketIter<'a> {
    h: &'a Histogram,
    pos_spans_idx: isize,
    pos_buckets_idx: usize,
    idx_in_span: u32,
    initialized: bool,
    curr_idx: i32,
    curr_upper: f64,
    curr_count: i64,
    curr_cumulative_count: u64,
    empty_bucket_count: i32,
}

impl CumulativeBucketIter<'_> {
    fn advance(&mut self) -> bool {
        let h = self.h;
        if self.pos_spans_idx == -1 {
            self.pos_spans_idx = 0;
            if h.zero_count != 0 {
                self.curr_upper = h.zero_threshold;
                self.curr_count = h.zero_count as i64;
                self.curr_cumulative_count = self.curr_count as u64;
                return true;
            }
        }
        let Some(&span) = h.positive_spans.get(self.pos_spans_idx as usize) else { return false };
        if self.empty_bucket_count > 0 {
            self.curr_upper = get_bound(self.curr_idx, h.schema, &h.custom_values);
            self.curr_idx = self.curr_idx.wrapping_add(1);
            self.empty_bucket_count -= 1;
            return true;
        }
        if self.pos_spans_idx == 0 && !self.initialized {
            self.curr_idx = span.offset;
            self.curr_count = 0;
            self.initialized = true;
        }
        let Some(&delta) = h.positive_buckets.get(self.pos_buckets_idx) else { return false };
        self.curr_count = self.curr_count.wrapping_add(delta);
        self.curr_cumulative_count = self.curr_cumulative_count.wrapping_add(self.curr_count as u64);
        self.curr_upper = get_bound(self.curr_idx, h.schema, &h.custom_values);
        self.pos_buckets_idx += 1;
        self.idx_in_span += 1;
        self.curr_idx = self.curr_idx.wrapping_add(1);
        if self.idx_in_span >= span.length {
            self.pos_spans_idx += 1;
            self.idx_in_span = 0;
            if let Some(next) = h.positive_spans.get(self.pos_spans_idx as usize) {
                self.empty_bucket_count = next.offset;
            }
        }
        true
    }
}

impl Iterator for CumulativeBucketIter<'_> {
    type Item = Bucket<u64>;

    fn next(&mut self) -> Option<Bucket<u64>> {
        self.advance().then(|| Bucket {
            lower: f64::NEG_INFINITY,
            upper: self.curr_upper,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.curr_cumulative_count,
            index: self.curr_idx.wrapping_sub(1),
        })
    }
}

impl Histogram {
    fn int_iter(&self, positive: bool) -> IntBucketIter<'_> {
        let (spans, buckets, custom_values): (&[Span], &[i64], &[f64]) = if positive {
            (&self.positive_spans, &self.positive_buckets, &self.custom_values)
        } else {
            (&self.negative_spans, &self.negative_buckets, &[])
        };
        IntBucketIter {
            spans,
            buckets,
            custom_values,
            schema: self.schema,
            positive,
            spans_idx: 0,
            idx_in_span: 0,
            buckets_idx: 0,
            curr_count: 0,
            curr_idx: 0,
        }
    }

    /// Positive buckets in ascending order, with absolute counts.
    pub fn positive_bucket_iter(&self) -> IntBucketIter<'_> {
        self.int_iter(true)
    }

    /// Negative buckets in descending order, starting next to zero.
    pub fn negative_bucket_iter(&self) -> IntBucketIter<'_> {
        self.int_iter(false)
    }

    /// Prometheus's `CumulativeBucketIterator`; an error (where Prometheus panics) if the
    /// histogram has negative buckets.
    pub fn cumulative_bucket_iter(&self) -> Result<CumulativeBucketIter<'_>, HistogramError> {
        if !self.negative_buckets.is_empty() {
            return Err(HistogramError::invalid_operation(
                "CumulativeBucketIterator called on Histogram with negative buckets",
            ));
        }
        Ok(CumulativeBucketIter {
            h: self,
            pos_spans_idx: -1,
            pos_buckets_idx: 0,
            idx_in_span: 0,
            initialized: false,
            curr_idx: 0,
            curr_upper: 0.0,
            curr_count: 0,
            curr_cumulative_count: 0,
            empty_bucket_count: 0,
        })
    }
}
