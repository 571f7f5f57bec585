//! Quiver's shared vocabulary.
//!
//! Every other crate speaks in these types: label sets ([`Labels`]), matchers ([`Matcher`]),
//! samples and time ranges, the chunk encodings Prometheus stores samples in ([`chunkenc`]),
//! the source trait every store implements ([`SeriesStore`], StoreAPI in Rust types, with its
//! sorted merge [`MergeStore`]), and the protobuf messages and gRPC services of Prometheus
//! (`prompb`) and Thanos (`storepb`, `infopb`, `rulespb`) in [`pb`].
//!
//! This crate depends on no other Quiver crate and does no I/O.

mod error;
mod gofmt;
mod histogram;
mod labels;
mod matcher;
mod sample;
pub mod store;

pub mod chunkenc;
pub mod pb;

pub use error::{Error, Result};
pub use gofmt::{format_f, format_g, go_quote, go_quote_bytes};
pub use histogram::{
    AddOutcome, AllFloatBucketIter, Bucket, CUSTOM_BUCKETS_SCHEMA, CounterResetHint, CumulativeBucketIter,
    EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MAX_RESERVED, EXPONENTIAL_SCHEMA_MIN,
    EXPONENTIAL_SCHEMA_MIN_RESERVED, FloatBucketIter, FloatHistogram, Histogram, HistogramError,
    HistogramErrorKind, HistogramInfo, IntBucketIter, ReverseFloatBucketIter, Span, histogram_fraction,
    histogram_quantile, histogram_stddev, histogram_stdvar, is_known_schema, is_valid_schema, kahan_sum_inc,
    span_bucket_count,
};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub use matcher::{MatchOp, Matcher};
pub use sample::{STALE_NAN_BITS, Sample, TimeRange, is_stale_nan};
pub use store::{
    LabelsAnswer, LabelsRequest, MergeStore, QueryHints, SeriesFrame, SeriesRequest, SeriesStore,
    SeriesStream, ShardInfo, StoreError, StoreFuture, StoreInfo, StoreSeries,
};
