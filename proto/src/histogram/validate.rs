//! Prometheus's `Validate` for both histogram types.

use super::{EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MIN};
use super::{FloatHistogram, Histogram, HistogramError, HistogramErrorKind as K, Span};
use crate::format_g;

/// Go's `%f`: six decimals, infinities as `+Inf`/`-Inf`.
fn go_f(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v.is_nan() {
        return "NaN".into();
    }
    format!("{v:.6}")
}

fn check_spans(spans: &[Span], n: usize) -> Result<(), HistogramError> {
    if let Some((i, s)) = spans.iter().enumerate().skip(1).find(|(_, s)| s.offset < 0) {
        let ctx = format!("span number {} with offset {}", i + 1, s.offset);
        return Err(HistogramError::with_context(K::SpanNegativeOffset, ctx));
    }
    let need = super::span_bucket_count(spans);
    if need != n as u64 {
        let ctx = format!("spans need {need} buckets, have {n} buckets");
        return Err(HistogramError::with_context(K::SpansBucketsMismatch, ctx));
    }
    Ok(())
}

fn check_custom_bounds(bounds: &[f64], spans: &[Span], n: usize) -> Result<(), HistogramError> {
    let mut prev = f64::NEG_INFINITY;
    for (i, &cur) in bounds.iter().enumerate() {
        if cur.is_nan() {
            return Err(HistogramError::new(K::CustomBucketsNaN));
        }
        if i > 0 && cur <= prev {
            let ctx = format!("previous bound is {} and current is {}", go_f(prev), go_f(cur));
            return Err(HistogramError::with_context(K::CustomBucketsInvalid, ctx));
        }
        prev = cur;
    }
    if prev == f64::INFINITY {
        return Err(HistogramError::with_context(
            K::CustomBucketsInfinite,
            "last +Inf bound must not be explicitly defined",
        ));
    }
    let (mut need, mut total) = (0u64, 0i64);
    for (i, s) in spans.iter().enumerate() {
        if s.offset < 0 {
            let ctx = format!("span number {} with offset {}", i + 1, s.offset);
            return Err(HistogramError::with_context(K::SpanNegativeOffset, ctx));
        }
        need += u64::from(s.length);
        total += i64::from(s.length) + i64::from(s.offset);
    }
    if need != n as u64 {
        let ctx = format!("spans need {need} buckets, have {n} buckets");
        return Err(HistogramError::with_context(K::SpansBucketsMismatch, ctx));
    }
    if (bounds.len() as i64 + 1) < total {
        let ctx = format!(
            "only {} custom bounds defined which is insufficient to cover total span length of {total}",
            bounds.len()
        );
        return Err(HistogramError::with_context(K::CustomBucketsMismatch, ctx));
    }
    Ok(())
}

/// Checks absolute float counts, adding them up; errors for the first negative one.
fn check_float_buckets(buckets: &[f64]) -> Result<f64, HistogramError> {
    let mut count = 0.0;
    for (i, &c) in buckets.iter().enumerate() {
        if c < 0.0 {
            let ctx = format!("bucket number {} has observation count of {}", i + 1, format_g(c));
            return Err(HistogramError::with_context(K::NegativeBucketCount, ctx));
        }
        count += c;
    }
    Ok(count)
}

/// Checks delta-encoded counts, adding up the absolute counts (wrapping like Go's `uint64`).
fn check_int_buckets(deltas: &[i64]) -> Result<u64, HistogramError> {
    let (mut count, mut last) = (0u64, 0i64);
    for (i, &d) in deltas.iter().enumerate() {
        let c = last.wrapping_add(d);
        if c < 0 {
            let ctx = format!("bucket number {} has observation count of {c}", i + 1);
            return Err(HistogramError::with_context(K::NegativeBucketCount, ctx));
        }
        last = c;
        count = count.wrapping_add(c as u64);
    }
    Ok(count)
}

/// The schema-specific checks common to both types; returns whether the schema is custom.
fn check_layout(
    schema: i32,
    custom_values: &[f64],
    positive: (&[Span], usize),
    negative: (&[Span], usize),
    zero: (bool, bool),
) -> Result<bool, HistogramError> {
    if schema == super::CUSTOM_BUCKETS_SCHEMA {
        check_custom_bounds(custom_values, positive.0, positive.1).map_err(|e| e.wrap("custom buckets"))?;
        let (zero_count_set, zero_threshold_set) = zero;
        if zero_count_set {
            return Err(HistogramError::new(K::CustomBucketsZeroCount));
        }
        if zero_threshold_set {
            return Err(HistogramError::new(K::CustomBucketsZeroThresh));
        }
        if !negative.0.is_empty() {
            return Err(HistogramError::new(K::CustomBucketsNegSpans));
        }
        if negative.1 > 0 {
            return Err(HistogramError::new(K::CustomBucketsNegBuckets));
        }
        return Ok(true);
    }
    if !(EXPONENTIAL_SCHEMA_MIN..=EXPONENTIAL_SCHEMA_MAX).contains(&schema) {
        return Err(HistogramError::invalid_schema(schema));
    }
    check_spans(positive.0, positive.1).map_err(|e| e.wrap("positive side"))?;
    check_spans(negative.0, negative.1).map_err(|e| e.wrap("negative side"))?;
    Ok(false)
}

impl Histogram {
    /// Prometheus's `Histogram.Validate`: spans fit the buckets, no negative bucket counts, the
    /// fields the schema does not use are empty, and the bucket counts add up to the count
    /// (at most the count if the sum is NaN, as NaN observations are in no bucket).
    pub fn validate(&self) -> Result<(), HistogramError> {
        let custom = check_layout(
            self.schema,
            &self.custom_values,
            (&self.positive_spans, self.positive_buckets.len()),
            (&self.negative_spans, self.negative_buckets.len()),
            (self.zero_count != 0, self.zero_threshold != 0.0),
        )?;
        let mut n_count = 0;
        if !custom {
            n_count = check_int_buckets(&self.negative_buckets).map_err(|e| e.wrap("negative side"))?;
            if !self.custom_values.is_empty() {
                return Err(HistogramError::new(K::ExpSchemaCustomBounds));
            }
        }
        let p_count = check_int_buckets(&self.positive_buckets).map_err(|e| e.wrap("positive side"))?;
        let in_buckets = n_count.wrapping_add(p_count).wrapping_add(self.zero_count);
        let ctx =
            format!("{in_buckets} observations found in buckets, but the Count field is {}", self.count);
        if self.sum.is_nan() {
            if in_buckets > self.count {
                return Err(HistogramError::with_context(K::CountNotBigEnough, ctx));
            }
        } else if in_buckets != self.count {
            return Err(HistogramError::with_context(K::CountMismatch, ctx));
        }
        Ok(())
    }
}

impl FloatHistogram {
    /// Prometheus's `FloatHistogram.Validate`: as [`Histogram::validate`], but the count is
    /// not compared with the buckets (float rounding would cause false alarms), only checked
    /// not to be negative.
    pub fn validate(&self) -> Result<(), HistogramError> {
        let custom = check_layout(
            self.schema,
            &self.custom_values,
            (&self.positive_spans, self.positive_buckets.len()),
            (&self.negative_spans, self.negative_buckets.len()),
            (self.zero_count != 0.0, self.zero_threshold != 0.0),
        )?;
        if !custom {
            check_float_buckets(&self.negative_buckets).map_err(|e| e.wrap("negative side"))?;
            if self.zero_count < 0.0 {
                let ctx = format!("zero bucket has observation count of {}", format_g(self.zero_count));
                return Err(HistogramError::with_context(K::NegativeBucketCount, ctx));
            }
            if !self.custom_values.is_empty() {
                return Err(HistogramError::new(K::ExpSchemaCustomBounds));
            }
        }
        if self.count < 0.0 {
            let ctx = format!("observation count is  {}", format_g(self.count));
            return Err(HistogramError::with_context(K::NegativeCount, ctx));
        }
        check_float_buckets(&self.positive_buckets).map_err(|e| e.wrap("positive side"))?;
        Ok(())
    }
}
