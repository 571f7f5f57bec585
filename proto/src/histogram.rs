//! Native histogram samples, as Prometheus's `model/histogram` defines them.
//!
//! A [`Histogram`] has integer counts with its buckets delta-encoded (each bucket holds the
//! difference to the previous bucket of the same sign, the first one the absolute count), as in
//! Prometheus's `Histogram` and `prompb.Histogram`'s `*_deltas`. A [`FloatHistogram`] has
//! absolute float counts. Buckets are addressed through [`Span`]s: the first span's offset is
//! the index of its first bucket, every later offset the gap to the end of the previous span.

use crate::sample::is_stale_nan;

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

    /// Merges buckets down to the lower-resolution exponential `target` schema, as Prometheus's
    /// `Histogram.ReduceResolution`. Returns `None` when that is not possible (custom buckets, a
    /// target that is not lower, negative offsets after the first span, or spans and buckets
    /// that disagree).
    pub fn reduce_resolution(&mut self, target: i32) -> Option<()> {
        if self.uses_custom_buckets() || target == CUSTOM_BUCKETS_SCHEMA || target >= self.schema {
            return None;
        }
        let (ps, pb) = reduce_buckets(&self.positive_spans, &self.positive_buckets, self.schema, target)?;
        let (ns, nb) = reduce_buckets(&self.negative_spans, &self.negative_buckets, self.schema, target)?;
        self.positive_spans = ps;
        self.positive_buckets = pb.into_iter().map(|v| v as i64).collect();
        self.negative_spans = ns;
        self.negative_buckets = nb.into_iter().map(|v| v as i64).collect();
        self.schema = target;
        Some(())
    }
}

impl FloatHistogram {
    pub fn is_stale(&self) -> bool {
        is_stale_nan(self.sum)
    }

    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// Float counterpart of [`Histogram::reduce_resolution`].
    pub fn reduce_resolution(&mut self, target: i32) -> Option<()> {
        if self.uses_custom_buckets() || target == CUSTOM_BUCKETS_SCHEMA || target >= self.schema {
            return None;
        }
        let (ps, pb) =
            reduce_float_buckets(&self.positive_spans, &self.positive_buckets, self.schema, target)?;
        let (ns, nb) =
            reduce_float_buckets(&self.negative_spans, &self.negative_buckets, self.schema, target)?;
        self.positive_spans = ps;
        self.positive_buckets = pb;
        self.negative_spans = ns;
        self.negative_buckets = nb;
        self.schema = target;
        Some(())
    }
}

impl From<&Histogram> for FloatHistogram {
    fn from(h: &Histogram) -> Self {
        h.to_float()
    }
}

fn target_index(idx: i32, origin: i32, target: i32) -> i32 {
    // `origin - target` is at most 61 for known schemas; shifting an i32 further saturates.
    let shift = (origin - target).clamp(0, 31) as u32;
    ((idx.wrapping_sub(1)) >> shift).wrapping_add(1)
}

/// Walks the origin buckets in span order, maps each to its bucket in the `target` schema and
/// builds the target spans as Prometheus's `reduceResolution` does. For every origin bucket it
/// calls `push(position in the origin buckets, starts a new target bucket)`; the caller merges
/// the counts. `None` for negative offsets after the first span or a bucket count mismatch.
fn reduce_walk(
    spans: &[Span],
    nbuckets: usize,
    origin: i32,
    target: i32,
    mut push: impl FnMut(usize, bool),
) -> Option<Vec<Span>> {
    let mut out: Vec<Span> = Vec::new();
    let mut idx: i32 = 0;
    let mut pos = 0usize;
    let mut last_target = 0i32;
    for (n, span) in spans.iter().enumerate() {
        if n > 0 && span.offset < 0 {
            return None;
        }
        idx = idx.wrapping_add(span.offset);
        for _ in 0..span.length {
            if pos >= nbuckets {
                return None;
            }
            let ti = target_index(idx, origin, target);
            if out.is_empty() {
                out.push(Span { offset: ti, length: 1 });
                last_target = ti;
                push(pos, true);
            } else if ti == last_target {
                push(pos, false);
            } else if ti == last_target.wrapping_add(1) {
                if let Some(last) = out.last_mut() {
                    last.length += 1;
                }
                last_target = ti;
                push(pos, true);
            } else {
                out.push(Span { offset: ti.wrapping_sub(last_target).wrapping_sub(1), length: 1 });
                last_target = ti;
                push(pos, true);
            }
            idx = idx.wrapping_add(1);
            pos += 1;
        }
    }
    (pos == nbuckets).then_some(out)
}

/// Reduces delta-encoded integer buckets; returns the target deltas (as i128 to stay exact).
fn reduce_buckets(
    spans: &[Span],
    deltas: &[i64],
    origin: i32,
    target: i32,
) -> Option<(Vec<Span>, Vec<i128>)> {
    // Absolute counts per target bucket, then back to deltas.
    let mut absolute: Vec<i128> = Vec::new();
    let mut running = 0i128;
    let out = reduce_walk(spans, deltas.len(), origin, target, |pos, new_bucket| {
        running += i128::from(deltas[pos]);
        if new_bucket {
            absolute.push(running);
        } else if let Some(last) = absolute.last_mut() {
            *last += running;
        }
    })?;
    let mut prev = 0i128;
    let deltas_out = absolute
        .into_iter()
        .map(|a| {
            let d = a - prev;
            prev = a;
            d
        })
        .collect();
    Some((out, deltas_out))
}

fn reduce_float_buckets(
    spans: &[Span],
    counts: &[f64],
    origin: i32,
    target: i32,
) -> Option<(Vec<Span>, Vec<f64>)> {
    let mut merged: Vec<f64> = Vec::new();
    let out = reduce_walk(spans, counts.len(), origin, target, |pos, new_bucket| {
        if new_bucket {
            merged.push(counts[pos]);
        } else if let Some(last) = merged.last_mut() {
            *last += counts[pos];
        }
    })?;
    Some((out, merged))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
    fn reduce_resolution_merges_buckets() {
        // Schema 1 buckets 1..=4 with counts 1,2,3,4 go to schema 0 buckets 1 (1+2) and 2 (3+4).
        let mut h = Histogram {
            schema: 1,
            count: 10,
            positive_spans: vec![Span { offset: 1, length: 4 }],
            positive_buckets: vec![1, 1, 1, 1],
            ..Default::default()
        };
        h.reduce_resolution(0).unwrap();
        assert_eq!(h.positive_spans, vec![Span { offset: 1, length: 2 }]);
        assert_eq!(h.positive_buckets, vec![3, 4]);
        let mut f = FloatHistogram {
            schema: 1,
            positive_spans: vec![Span { offset: 1, length: 4 }],
            positive_buckets: vec![1.0, 2.0, 3.0, 4.0],
            ..Default::default()
        };
        f.reduce_resolution(0).unwrap();
        assert_eq!(f.positive_buckets, vec![3.0, 7.0]);
        assert!(h.reduce_resolution(0).is_none());
    }
}
