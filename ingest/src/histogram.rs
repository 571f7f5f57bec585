//! Native histogram samples as the receiver takes them: read from either remote-write version's
//! `Histogram` message (the two number their fields alike), checked with Prometheus's own
//! validation, and written back as a 1.0 message for the WAL.
//!
//! As Prometheus's `IsFloatHistogram`, a message whose count is a float is a float histogram
//! and any other is an integer one (whose zero count is then read as an integer).

use prost::Message;
use quiver_proto::pb::io::prometheus::write::v2 as pb2;
use quiver_proto::pb::prometheus as pb1;
use quiver_proto::{CounterResetHint, FloatHistogram, Histogram, Span};

use crate::receiver::WriteError;

/// A series' histograms with their timestamps.
pub(crate) type Hists = Vec<(i64, HistSample)>;

/// One native histogram sample, integer or float.
#[derive(Debug, Clone, PartialEq)]
pub enum HistSample {
    Int(Histogram),
    Float(FloatHistogram),
}

impl HistSample {
    /// Prometheus's validation; a histogram that fails it is a bad request (400), as Prometheus's
    /// write handler answers.
    pub(crate) fn validate(&self) -> Result<(), WriteError> {
        let checked = match self {
            HistSample::Int(h) => h.validate(),
            HistSample::Float(h) => h.validate(),
        };
        checked.map_err(|e| WriteError::BadRequest(format!("add 1 histogram: {e}")))
    }

    /// The same sample bit for bit (NaN sums and stale markers included), as a repeated write of
    /// it must compare.
    pub(crate) fn same_as(&self, other: &HistSample) -> bool {
        fn bits(v: &[f64]) -> impl Iterator<Item = u64> + '_ {
            v.iter().map(|x| x.to_bits())
        }
        match (self, other) {
            (HistSample::Int(a), HistSample::Int(b)) => {
                a.sum.to_bits() == b.sum.to_bits()
                    && Histogram { sum: 0.0, ..a.clone() } == Histogram { sum: 0.0, ..b.clone() }
            }
            (HistSample::Float(a), HistSample::Float(b)) => {
                a.schema == b.schema
                    && a.counter_reset_hint == b.counter_reset_hint
                    && a.positive_spans == b.positive_spans
                    && a.negative_spans == b.negative_spans
                    && bits(&[a.sum, a.count, a.zero_count, a.zero_threshold]).eq(bits(&[
                        b.sum,
                        b.count,
                        b.zero_count,
                        b.zero_threshold,
                    ]))
                    && bits(&a.positive_buckets).eq(bits(&b.positive_buckets))
                    && bits(&a.negative_buckets).eq(bits(&b.negative_buckets))
                    && bits(&a.custom_values).eq(bits(&b.custom_values))
            }
            _ => false,
        }
    }

    /// The sample as a `prometheus.Histogram` (the WAL's encoding of it).
    pub(crate) fn to_pb(&self, timestamp: i64) -> pb1::Histogram {
        let spans = |s: &[Span]| -> Vec<pb1::BucketSpan> {
            s.iter().map(|s| pb1::BucketSpan { offset: s.offset, length: s.length }).collect()
        };
        match self {
            HistSample::Int(h) => pb1::Histogram {
                count: Some(pb1::histogram::Count::CountInt(h.count)),
                sum: h.sum,
                schema: h.schema,
                zero_threshold: h.zero_threshold,
                zero_count: Some(pb1::histogram::ZeroCount::ZeroCountInt(h.zero_count)),
                negative_spans: spans(&h.negative_spans),
                negative_deltas: h.negative_buckets.clone(),
                positive_spans: spans(&h.positive_spans),
                positive_deltas: h.positive_buckets.clone(),
                reset_hint: h.counter_reset_hint as i32,
                timestamp,
                custom_values: h.custom_values.clone(),
                ..pb1::Histogram::default()
            },
            HistSample::Float(h) => pb1::Histogram {
                count: Some(pb1::histogram::Count::CountFloat(h.count)),
                sum: h.sum,
                schema: h.schema,
                zero_threshold: h.zero_threshold,
                zero_count: Some(pb1::histogram::ZeroCount::ZeroCountFloat(h.zero_count)),
                negative_spans: spans(&h.negative_spans),
                negative_counts: h.negative_buckets.clone(),
                positive_spans: spans(&h.positive_spans),
                positive_counts: h.positive_buckets.clone(),
                reset_hint: h.counter_reset_hint as i32,
                timestamp,
                custom_values: h.custom_values.clone(),
                ..pb1::Histogram::default()
            },
        }
    }

    /// A 1.0 `Histogram` message's bytes, as the WAL holds them: `None` when they do not parse.
    pub(crate) fn decode_pb(bytes: &[u8]) -> Option<(i64, HistSample)> {
        pb1::Histogram::decode(bytes).ok().map(|h| from_pb1(&h))
    }
}

/// One sample of a series that may hold both kinds.
pub(crate) enum SeriesSample<'a> {
    Float(i64, f64),
    Hist(i64, &'a HistSample),
}

impl SeriesSample<'_> {
    pub(crate) fn time(&self) -> i64 {
        match self {
            SeriesSample::Float(t, _) | SeriesSample::Hist(t, _) => *t,
        }
    }
}

/// A series' floats and histograms as one sequence merged by time, floats first at equal times:
/// the order they were appended in, so a record or checkpoint of a series that changed kind
/// replays whole (each list keeps its own order where it is not sorted).
pub(crate) fn by_time<'a>(
    floats: &'a [(i64, f64)],
    hists: &'a [(i64, HistSample)],
) -> impl Iterator<Item = SeriesSample<'a>> + 'a {
    let (mut f, mut h) = (floats.iter().peekable(), hists.iter().peekable());
    std::iter::from_fn(move || match (f.peek(), h.peek()) {
        (Some(&&(ft, _)), Some(&&(ht, _))) if ft > ht => h.next().map(|(t, x)| SeriesSample::Hist(*t, x)),
        (Some(_), _) => f.next().map(|&(t, v)| SeriesSample::Float(t, v)),
        (None, _) => h.next().map(|(t, x)| SeriesSample::Hist(*t, x)),
    })
}

/// Both versions' `Histogram` messages have the same fields under the same numbers; only their
/// Rust types differ.
macro_rules! from_pb {
    ($name:ident, $m:ident) => {
        /// The sample and its timestamp.
        pub(crate) fn $name(h: &$m::Histogram) -> (i64, HistSample) {
            let spans = |s: &[$m::BucketSpan]| -> Vec<Span> {
                s.iter().map(|s| Span { offset: s.offset, length: s.length }).collect()
            };
            let hint = CounterResetHint::from_i32(h.reset_hint);
            let sample = match h.count {
                Some($m::histogram::Count::CountFloat(count)) => HistSample::Float(FloatHistogram {
                    counter_reset_hint: hint,
                    schema: h.schema,
                    zero_threshold: h.zero_threshold,
                    zero_count: match h.zero_count {
                        Some($m::histogram::ZeroCount::ZeroCountFloat(z)) => z,
                        _ => 0.0,
                    },
                    count,
                    sum: h.sum,
                    positive_spans: spans(&h.positive_spans),
                    negative_spans: spans(&h.negative_spans),
                    positive_buckets: h.positive_counts.clone(),
                    negative_buckets: h.negative_counts.clone(),
                    custom_values: h.custom_values.clone(),
                }),
                count => HistSample::Int(Histogram {
                    counter_reset_hint: hint,
                    schema: h.schema,
                    zero_threshold: h.zero_threshold,
                    zero_count: match h.zero_count {
                        Some($m::histogram::ZeroCount::ZeroCountInt(z)) => z,
                        _ => 0,
                    },
                    count: match count {
                        Some($m::histogram::Count::CountInt(c)) => c,
                        _ => 0,
                    },
                    sum: h.sum,
                    positive_spans: spans(&h.positive_spans),
                    negative_spans: spans(&h.negative_spans),
                    positive_buckets: h.positive_deltas.clone(),
                    negative_buckets: h.negative_deltas.clone(),
                    custom_values: h.custom_values.clone(),
                }),
            };
            (h.timestamp, sample)
        }
    };
}

from_pb!(from_pb1, pb1);
from_pb!(from_pb2, pb2);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn int() -> HistSample {
        HistSample::Int(Histogram {
            schema: 1,
            zero_threshold: 1e-128,
            zero_count: 2,
            count: 12,
            // Not -0.0: protobuf leaves out a double equal to 0.0, so no sender's -0.0 sum
            // arrives as such (the WAL's encoding of it is the same message).
            sum: 17.25,
            positive_spans: vec![Span { offset: -2, length: 2 }, Span { offset: 1, length: 1 }],
            positive_buckets: vec![3, -1, 2],
            negative_spans: vec![Span { offset: 0, length: 1 }],
            negative_buckets: vec![1],
            counter_reset_hint: CounterResetHint::NotCounterReset,
            ..Histogram::default()
        })
    }

    #[test]
    fn round_trips_through_the_wal_encoding_bit_exact() {
        let float = HistSample::Float(FloatHistogram {
            schema: -53,
            count: 4.5,
            sum: f64::NAN,
            positive_spans: vec![Span { offset: 0, length: 2 }],
            positive_buckets: vec![1.5, 3.0],
            custom_values: vec![0.5, 1.0],
            counter_reset_hint: CounterResetHint::Gauge,
            ..FloatHistogram::default()
        });
        for h in [int(), float] {
            h.validate().unwrap();
            let bytes = h.to_pb(-7).encode_to_vec();
            let (t, back) = HistSample::decode_pb(&bytes).unwrap();
            assert_eq!(t, -7);
            assert!(back.same_as(&h), "{back:?}");
        }
        let HistSample::Int(i) = int() else { unreachable!() };
        assert!(!int().same_as(&HistSample::Int(Histogram { sum: 17.0, ..i.clone() })));
        assert!(!int().same_as(&HistSample::Int(Histogram { count: 10, ..i })));
        let nan = HistSample::Float(FloatHistogram { sum: f64::NAN, ..FloatHistogram::default() });
        assert!(nan.same_as(&nan.clone()), "a NaN sum repeats");
    }

    #[test]
    fn invalid_histograms_are_bad_requests() {
        let HistSample::Int(i) = int() else { unreachable!() };
        for bad in [
            Histogram { count: 11, ..i.clone() },
            Histogram { positive_buckets: vec![3, -1], ..i.clone() },
            Histogram { positive_buckets: vec![3, -4, 2], ..i.clone() },
            Histogram { schema: 9, ..i },
        ] {
            assert!(matches!(HistSample::Int(bad).validate(), Err(WriteError::BadRequest(_))));
        }
    }

    #[test]
    fn both_versions_read_alike() {
        let h1 = int().to_pb(5);
        let h2 = pb2::Histogram::decode(h1.encode_to_vec().as_slice()).unwrap();
        let (t, s) = from_pb2(&h2);
        assert_eq!(t, 5);
        assert!(s.same_as(&int()));
    }
}
