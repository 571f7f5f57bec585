//! Errors of histogram operations, with Prometheus's messages.

use std::fmt;

use super::{CUSTOM_BUCKETS_SCHEMA, EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MAX_RESERVED};
use super::{EXPONENTIAL_SCHEMA_MIN, EXPONENTIAL_SCHEMA_MIN_RESERVED};

/// Which of Prometheus's histogram errors (`histogram.ErrHistogram*`) this is; compare kinds
/// where Go code uses `errors.Is`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistogramErrorKind {
    /// `ErrHistogramCountNotBigEnough`
    CountNotBigEnough,
    /// `ErrHistogramCountMismatch`
    CountMismatch,
    /// `ErrHistogramNegativeCount`
    NegativeCount,
    /// `ErrHistogramNegativeBucketCount`
    NegativeBucketCount,
    /// `ErrHistogramSpanNegativeOffset`
    SpanNegativeOffset,
    /// `ErrHistogramSpansBucketsMismatch`
    SpansBucketsMismatch,
    /// `ErrHistogramCustomBucketsMismatch`
    CustomBucketsMismatch,
    /// `ErrHistogramCustomBucketsInvalid`
    CustomBucketsInvalid,
    /// `ErrHistogramCustomBucketsInfinite`
    CustomBucketsInfinite,
    /// `ErrHistogramCustomBucketsNaN`
    CustomBucketsNaN,
    /// `ErrHistogramsIncompatibleSchema`: a mix of exponential and custom bucket schemas.
    IncompatibleSchema,
    /// `ErrHistogramCustomBucketsZeroCount`
    CustomBucketsZeroCount,
    /// `ErrHistogramCustomBucketsZeroThresh`
    CustomBucketsZeroThresh,
    /// `ErrHistogramCustomBucketsNegSpans`
    CustomBucketsNegSpans,
    /// `ErrHistogramCustomBucketsNegBuckets`
    CustomBucketsNegBuckets,
    /// `ErrHistogramExpSchemaCustomBounds`
    ExpSchemaCustomBounds,
    /// `ErrHistogramsInvalidSchema`
    InvalidSchema,
    /// `ErrHistogramsUnknownSchema`
    UnknownSchema,
    /// An operation Prometheus refuses with a plain error or a panic, such as reducing the
    /// resolution to a higher schema or merging custom buckets into an exponential schema.
    InvalidOperation,
}

impl HistogramErrorKind {
    /// The text of Prometheus's error value.
    pub fn message(self) -> String {
        use HistogramErrorKind::*;
        let s = match self {
            CountNotBigEnough => {
                "histogram's observation count should be at least the number of observations found in the buckets"
            }
            CountMismatch => {
                "histogram's observation count should equal the number of observations found in the buckets (in absence of NaN)"
            }
            NegativeCount => "histogram's observation count is negative",
            NegativeBucketCount => "histogram has a bucket whose observation count is negative",
            SpanNegativeOffset => "histogram has a span whose offset is negative",
            SpansBucketsMismatch => "histogram spans specify different number of buckets than provided",
            CustomBucketsMismatch => "histogram custom bounds are too few",
            CustomBucketsInvalid => "histogram custom bounds must be in strictly increasing order",
            CustomBucketsInfinite => "histogram custom bounds must be finite",
            CustomBucketsNaN => "histogram custom bounds must not be NaN",
            IncompatibleSchema => {
                "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
            }
            CustomBucketsZeroCount => "custom buckets: must have zero count of 0",
            CustomBucketsZeroThresh => "custom buckets: must have zero threshold of 0",
            CustomBucketsNegSpans => "custom buckets: must not have negative spans",
            CustomBucketsNegBuckets => "custom buckets: must not have negative buckets",
            ExpSchemaCustomBounds => "histogram with exponential schema must not have custom bounds",
            InvalidSchema => {
                return format!(
                    "histogram has an invalid schema, which must be between {EXPONENTIAL_SCHEMA_MIN} and \
                     {EXPONENTIAL_SCHEMA_MAX} for exponential buckets, or {CUSTOM_BUCKETS_SCHEMA} for custom buckets"
                );
            }
            UnknownSchema => {
                return format!(
                    "histogram has an unknown schema, which must be between {EXPONENTIAL_SCHEMA_MIN_RESERVED} \
                     and {EXPONENTIAL_SCHEMA_MAX_RESERVED} for exponential buckets, or {CUSTOM_BUCKETS_SCHEMA} \
                     for custom buckets"
                );
            }
            InvalidOperation => "invalid histogram operation",
        };
        s.to_string()
    }
}

/// An error from a histogram operation. [`fmt::Display`] gives the same text as the
/// corresponding Prometheus error, including the context Prometheus wraps around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramError {
    kind: HistogramErrorKind,
    message: String,
}

impl HistogramError {
    /// The bare error, as Prometheus's `ErrHistogram*` value.
    pub fn new(kind: HistogramErrorKind) -> Self {
        HistogramError { kind, message: kind.message() }
    }

    /// `fmt.Errorf("<context>: %w", err)` of the bare error.
    pub(crate) fn with_context(kind: HistogramErrorKind, context: impl fmt::Display) -> Self {
        HistogramError { kind, message: format!("{context}: {}", kind.message()) }
    }

    /// Wraps this error as `fmt.Errorf("<prefix>: %w", err)` does.
    pub(crate) fn wrap(self, prefix: &str) -> Self {
        HistogramError { kind: self.kind, message: format!("{prefix}: {}", self.message) }
    }

    /// A refused operation with a free-form message.
    pub(crate) fn invalid_operation(message: impl Into<String>) -> Self {
        HistogramError { kind: HistogramErrorKind::InvalidOperation, message: message.into() }
    }

    /// Prometheus's `InvalidSchemaError(schema)`.
    pub fn invalid_schema(schema: i32) -> Self {
        let kind = HistogramErrorKind::InvalidSchema;
        HistogramError { kind, message: format!("{}, got schema {schema}", kind.message()) }
    }

    /// Prometheus's `UnknownSchemaError(schema)`.
    pub fn unknown_schema(schema: i32) -> Self {
        let kind = HistogramErrorKind::UnknownSchema;
        HistogramError { kind, message: format!("{}, got schema {schema}", kind.message()) }
    }

    pub fn kind(&self) -> HistogramErrorKind {
        self.kind
    }
}

impl fmt::Display for HistogramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HistogramError {}
