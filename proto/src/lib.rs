//! Quiver's shared vocabulary.
//!
//! Every other crate speaks in these types: label sets ([`Labels`]), matchers ([`Matcher`]),
//! samples and time ranges, the chunk encodings Prometheus stores samples in ([`chunkenc`]),
//! and the protobuf messages and gRPC services of Prometheus (`prompb`) and Thanos (`storepb`,
//! `infopb`, `rulespb`) in [`pb`].
//!
//! This crate depends on no other Quiver crate and does no I/O.

mod error;
mod labels;
mod matcher;
mod sample;

pub mod chunkenc;

pub use error::{Error, Result};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher};
pub use sample::{Sample, TimeRange, STALE_NAN_BITS, is_stale_nan};
