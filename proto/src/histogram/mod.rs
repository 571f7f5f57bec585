//! Native histogram samples, as Prometheus's `model/histogram` defines them.
//!
//! A [`Histogram`] has integer counts with its buckets delta-encoded (each bucket holds the
//! difference to the previous bucket of the same sign, the first one the absolute count), as in
//! Prometheus's `Histogram` and `prompb.Histogram`'s `*_deltas`. A [`FloatHistogram`] has
//! absolute float counts. Buckets are addressed through [`Span`]s: the first span's offset is
//! the index of its first bucket, every later offset the gap to the end of the previous span.
//!
//! The semantics follow Prometheus's `model/histogram` (and `promql/quantile.go`) bit for bit:
//! bucket bounds are Prometheus's own `float64` values (see `bounds.rs`), `log2`/`exp2` are
//! Go's algorithms, summations happen in Go's order. Where Prometheus panics on malformed input
//! (spans that do not fit the buckets, negative offsets, impossible schema changes) the
//! operations here return a [`HistogramError`] or leave the input alone instead.
//!
//! - Buckets with bounds: [`FloatHistogram::positive_bucket_iter`], `negative_bucket_iter`,
//!   the reverse and `all_*` iterators, [`FloatHistogram::bucket_iter_to_schema`];
//!   [`Histogram::positive_bucket_iter`], [`Histogram::cumulative_bucket_iter`].
//! - Arithmetic: [`FloatHistogram::add`], `sub`, `kahan_add`, `mul`, `div`, `trim_buckets`;
//!   layout: `compact`, `reduce_resolution`, `copy_to_schema`; `detect_reset`, `equals`,
//!   `validate`; `Display` as Go's `String()`.
//! - PromQL statistics: [`histogram_quantile`], [`histogram_fraction`], [`histogram_stddev`],
//!   [`histogram_stdvar`].

use crate::sample::is_stale_nan;

mod add_buckets;
mod arith;
mod bounds;
mod bucket;
mod compact;
mod error;
mod format;
mod gomath;
mod iter;
mod reset;
mod stats;
mod trim;
mod validate;
mod zero;

#[cfg(test)]
mod tests_arith;
#[cfg(test)]
mod tests_compact;
#[cfg(test)]
mod tests_fuzz;
#[cfg(test)]
mod tests_iter;
#[cfg(test)]
mod tests_reset;
#[cfg(test)]
mod tests_stats;
#[cfg(test)]
mod tests_trim;
#[cfg(test)]
mod testutil;

pub use arith::AddOutcome;
pub use bucket::Bucket;
pub use error::{HistogramError, HistogramErrorKind};
pub use gomath::kahan_sum_inc;
pub use iter::{
    AllFloatBucketIter, CumulativeBucketIter, FloatBucketIter, IntBucketIter, ReverseFloatBucketIter,
};
pub use stats::{HistogramInfo, histogram_fraction, histogram_quantile, histogram_stddev, histogram_stdvar};

/// Schema number of native histograms with custom bucket boundaries (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;
/// Lowest exponential schema Prometheus ingests.
pub const EXPONENTIAL_SCHEMA_MIN: i32 = -4;
/// Highest exponential schema Prometheus ingests.
pub const EXPONENTIAL_SCHEMA_MAX: i32 = 8;
/// Lowest exponential schema Prometheus accepts in a chunk (reserved for future versions).
pub const EXPONENTIAL_SCHEMA_MIN_RESERVED: i32 = -9;
/// Highest exponential schema Prometheus accepts in a chunk; schemas above
/// [`EXPONENTIAL_SCHEMA_MAX`] are reduced to it when read.
pub const EXPONENTIAL_SCHEMA_MAX_RESERVED: i32 = 52;

/// Whether a chunk may hold this schema: an exponential one in the reserved range or custom buckets.
pub fn is_known_schema(schema: i32) -> bool {
    schema == CUSTOM_BUCKETS_SCHEMA
        || (EXPONENTIAL_SCHEMA_MIN_RESERVED..=EXPONENTIAL_SCHEMA_MAX_RESERVED).contains(&schema)
}

/// Whether Prometheus ingests this schema: exponential from -4 to 8, or custom buckets.
pub fn is_valid_schema(schema: i32) -> bool {
    schema == CUSTOM_BUCKETS_SCHEMA || (EXPONENTIAL_SCHEMA_MIN..=EXPONENTIAL_SCHEMA_MAX).contains(&schema)
}

/// A run of consecutive buckets: `offset` buckets after the previous span (or, for the first
/// span, starting at bucket index `offset`), `length` buckets long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub offset: i32,
    pub length: u32,
}

/// What is known about a counter reset before this histogram, numbered as in Prometheus
/// (`histogram.CounterResetHint`) and `prompb.Histogram.ResetHint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CounterResetHint {
    /// Nothing is known; a reader has to compare with the previous sample.
    #[default]
    Unknown = 0,
    /// There was a counter reset right before this histogram.
    CounterReset = 1,
    /// There was no counter reset between the previous histogram and this one.
    NotCounterReset = 2,
    /// A gauge histogram: counts go up and down, counter resets do not exist.
    Gauge = 3,
}

impl CounterResetHint {
    /// From the protobuf enum value; unknown numbers map to [`CounterResetHint::Unknown`].
    pub fn from_i32(v: i32) -> Self {
        match v {
            1 => CounterResetHint::CounterReset,
            2 => CounterResetHint::NotCounterReset,
            3 => CounterResetHint::Gauge,
            _ => CounterResetHint::Unknown,
        }
    }
}

/// A native histogram with integer counts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    pub counter_reset_hint: CounterResetHint,
    pub schema: i32,
    /// Observations with an absolute value up to this go to the zero bucket.
    pub zero_threshold: f64,
    pub zero_count: u64,
    /// Total number of observations.
    pub count: u64,
    /// Sum of observations; Prometheus's stale marker here marks the whole histogram stale.
    pub sum: f64,
    pub positive_spans: Vec<Span>,
    pub negative_spans: Vec<Span>,
    /// Delta-encoded counts: the first bucket absolute, each later one relative to the previous.
    pub positive_buckets: Vec<i64>,
    pub negative_buckets: Vec<i64>,
    /// Upper bucket boundaries for [`CUSTOM_BUCKETS_SCHEMA`]; empty otherwise.
    pub custom_values: Vec<f64>,
}

/// A native histogram with float counts (absolute, not delta-encoded).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    pub counter_reset_hint: CounterResetHint,
    pub schema: i32,
    pub zero_threshold: f64,
    pub zero_count: f64,
    pub count: f64,
    pub sum: f64,
    pub positive_spans: Vec<Span>,
    pub negative_spans: Vec<Span>,
    pub positive_buckets: Vec<f64>,
    pub negative_buckets: Vec<f64>,
    pub custom_values: Vec<f64>,
}

/// Number of buckets the spans describe.
pub fn span_bucket_count(spans: &[Span]) -> u64 {
    spans.iter().map(|s| u64::from(s.length)).sum()
}

impl Histogram {
    /// Whether the histogram is Prometheus's staleness marker (its sum is the stale NaN).
    pub fn is_stale(&self) -> bool {
        is_stale_nan(self.sum)
    }

    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Converts to float counts the way Prometheus's `Histogram.ToFloat` does: buckets summed up
    /// in `f64`, and for custom buckets no zero bucket and no negative buckets.
    pub fn to_float(&self) -> FloatHistogram {
        let absolute = |deltas: &[i64]| -> Vec<f64> {
            let mut cur = 0.0f64;
            deltas
                .iter()
                .map(|&d| {
                    cur += d as f64;
                    cur
                })
                .collect()
        };
        let custom = self.uses_custom_buckets();
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: if custom { 0.0 } else { self.zero_threshold },
            zero_count: if custom { 0.0 } else { self.zero_count as f64 },
            count: self.count as f64,
            sum: self.sum,
            positive_spans: self.positive_spans.clone(),
            negative_spans: if custom { Vec::new() } else { self.negative_spans.clone() },
            positive_buckets: absolute(&self.positive_buckets),
            negative_buckets: if custom { Vec::new() } else { absolute(&self.negative_buckets) },
            custom_values: if custom { self.custom_values.clone() } else { Vec::new() },
        }
    }

    /// Absolute bucket counts from the delta encoding.
    pub fn absolute_buckets(deltas: &[i64]) -> Vec<i64> {
        let mut cur = 0i64;
        deltas
            .iter()
            .map(|&d| {
                cur = cur.wrapping_add(d);
                cur
            })
            .collect()
    }

    /// The zero bucket, `[-zero_threshold, zero_threshold]` (Prometheus's `ZeroBucket`, which
    /// panics for custom buckets; here it is simply the empty zero bucket they do not use).
    pub fn zero_bucket(&self) -> Bucket<u64> {
        Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        }
    }
}

impl FloatHistogram {
    pub fn is_stale(&self) -> bool {
        is_stale_nan(self.sum)
    }

    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// The zero bucket, `[-zero_threshold, zero_threshold]`, as Prometheus's `ZeroBucket`.
    pub fn zero_bucket(&self) -> Bucket<f64> {
        Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        }
    }

    /// Go's `FloatHistogram.Copy`: a deep copy without the fields the schema does not use
    /// (zero bucket and negative buckets for custom buckets, custom values otherwise).
    pub fn go_copy(&self) -> FloatHistogram {
        let mut c = self.clone();
        if self.uses_custom_buckets() {
            c.zero_threshold = 0.0;
            c.zero_count = 0.0;
            c.negative_spans.clear();
            c.negative_buckets.clear();
        } else {
            c.custom_values.clear();
        }
        c
    }

    /// Whether any count, the sum or a custom bound is infinite (Prometheus's `HasOverflow`,
    /// used to detect overflowing aggregations).
    pub fn has_overflow(&self) -> bool {
        [self.zero_count, self.count, self.sum].iter().any(|v| v.is_infinite())
            || self.positive_buckets.iter().any(|v| v.is_infinite())
            || self.negative_buckets.iter().any(|v| v.is_infinite())
            || self.custom_values.iter().any(|v| v.is_infinite())
    }
}

impl From<&Histogram> for FloatHistogram {
    fn from(h: &Histogram) -> Self {
        h.to_float()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_float_sums_deltas() {
        let h = Histogram {
            schema: 1,
            zero_threshold: 0.001,
            zero_count: 2,
            count: 12,
            sum: 18.4,
            positive_spans: vec![Span { offset: 0, length: 2 }, Span { offset: 1, length: 2 }],
            positive_buckets: vec![1, 1, -1, 0],
            negative_spans: vec![Span { offset: 0, length: 1 }],
            negative_buckets: vec![3],
            ..Default::default()
        };
        let f = h.to_float();
        assert_eq!(f.positive_buckets, vec![1.0, 2.0, 1.0, 1.0]);
        assert_eq!(f.negative_buckets, vec![3.0]);
        assert_eq!(f.count, 12.0);
        assert_eq!(f.zero_count, 2.0);
        assert_eq!(f.zero_threshold, 0.001);
    }

    #[test]
    fn to_float_custom_buckets_drops_zero_and_negative() {
        let h = Histogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            zero_threshold: 0.5,
            zero_count: 3,
            count: 5,
            positive_spans: vec![Span { offset: 0, length: 2 }],
            positive_buckets: vec![2, 1],
            custom_values: vec![1.0, 2.5],
            ..Default::default()
        };
        let f = h.to_float();
        assert_eq!(f.zero_count, 0.0);
        assert_eq!(f.zero_threshold, 0.0);
        assert_eq!(f.positive_buckets, vec![2.0, 3.0]);
        assert_eq!(f.custom_values, vec![1.0, 2.5]);
    }

    #[test]
    fn has_overflow_finds_infinities() {
        let mut f = FloatHistogram { count: 1.0, positive_buckets: vec![1.0], ..Default::default() };
        assert!(!f.has_overflow());
        f.positive_buckets[0] = f64::INFINITY;
        assert!(f.has_overflow());
        f.positive_buckets[0] = 1.0;
        f.sum = f64::NEG_INFINITY;
        assert!(f.has_overflow());
        f.sum = f64::NAN;
        assert!(!f.has_overflow());
    }
}
