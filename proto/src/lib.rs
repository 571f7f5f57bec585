//! Quiver's shared vocabulary.
//!
//! Every other crate speaks in these types: label sets ([`Labels`]), matchers ([`Matcher`]),
//! samples and time ranges, the chunk encodings Prometheus stores samples in ([`chunkenc`]),
//! and the protobuf messages and gRPC services of Prometheus (`prompb`) and Thanos (`storepb`,
//! `infopb`, `rulespb`) in [`pb`].
//!
//! This crate depends on no other Quiver crate and does no I/O.

mod error;
mod gofmt;
mod histogram;
mod labels;
mod matcher;
mod sample;

pub mod chunkenc;
pub mod pb;

pub use error::{Error, Result};
pub use gofmt::format_g;
pub use histogram::{
    CUSTOM_BUCKETS_SCHEMA, CounterResetHint, EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MAX_RESERVED,
    EXPONENTIAL_SCHEMA_MIN, EXPONENTIAL_SCHEMA_MIN_RESERVED, FloatHistogram, Histogram, Span,
    is_known_schema, is_valid_schema, span_bucket_count,
};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher};
pub use sample::{STALE_NAN_BITS, Sample, TimeRange, is_stale_nan};
