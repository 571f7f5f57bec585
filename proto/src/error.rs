use thiserror::Error;

/// Errors of the shared vocabulary: invalid labels or matchers, and malformed chunks.
#[derive(Debug, Error)]
pub enum Error {
    #[error("invalid label name {name:?}")]
    InvalidLabelName { name: String },
    #[error("empty value for label {name:?}")]
    EmptyLabelValue { name: String },
    #[error("duplicate label name {name:?}")]
    DuplicateLabel { name: String },
    #[error("labels are not sorted: {prev:?} before {next:?}")]
    UnsortedLabels { prev: String, next: String },
    #[error("invalid regular expression {pattern:?} in matcher: {source}")]
    InvalidRegex {
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
    #[error("corrupt {encoding} chunk: {reason}")]
    CorruptChunk { encoding: &'static str, reason: String },
    #[error("unknown chunk encoding {0}")]
    UnknownEncoding(u8),
    #[error("chunk append out of order: timestamp {t} after {prev}")]
    OutOfOrder { t: i64, prev: i64 },
    #[error("chunk is full ({0} samples)")]
    ChunkFull(usize),
    #[error("invalid histogram: {0}")]
    InvalidHistogram(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
