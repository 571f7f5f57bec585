use std::fmt;

/// Why a source could not answer. Every variant names the source (`store`), so an error that
/// travels through a merge or across the network still says where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The source cannot be reached or read now; asking again later may work.
    #[error("{store}: unavailable: {reason}")]
    Unavailable { store: String, reason: String },
    /// The request would go past a limit (series, samples or chunk bytes).
    #[error("{store}: exceeded {what} limit: limit {limit} violated (got {got})")]
    LimitExceeded { store: String, what: LimitKind, limit: u64, got: u64 },
    /// A remote source refused the request for its own limits (gRPC `ResourceExhausted`).
    #[error("{store}: resource exhausted: {reason}")]
    ResourceExhausted { store: String, reason: String },
    /// The request itself is wrong (a bad matcher, an impossible range).
    #[error("{store}: invalid request: {reason}")]
    InvalidRequest { store: String, reason: String },
    /// Stored data does not decode: the block and file it is in.
    #[error("{store}: corrupt data in block {block}, file {file}: {reason}")]
    Corrupt { store: String, block: String, file: String, reason: String },
    /// The caller went away or the query was stopped.
    #[error("{store}: cancelled")]
    Cancelled { store: String },
}

impl StoreError {
    pub fn unavailable(store: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::Unavailable { store: store.into(), reason: reason.to_string() }
    }

    pub fn invalid(store: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self::InvalidRequest { store: store.into(), reason: reason.to_string() }
    }

    /// The source the error names.
    pub fn store(&self) -> &str {
        match self {
            Self::Unavailable { store, .. }
            | Self::LimitExceeded { store, .. }
            | Self::ResourceExhausted { store, .. }
            | Self::InvalidRequest { store, .. }
            | Self::Corrupt { store, .. }
            | Self::Cancelled { store } => store,
        }
    }
}

/// What a [`StoreError::LimitExceeded`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Series,
    Samples,
    ChunkBytes,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Thanos's words: "exceeded series limit", "exceeded samples limit".
        f.write_str(match self {
            Self::Series => "series",
            Self::Samples => "samples",
            Self::ChunkBytes => "chunk bytes",
        })
    }
}
