use thiserror::Error;

/// Errors of the write path, with the file they concern.
#[derive(Debug, Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Writing a block of the head failed.
    #[error("cutting a block: {0}")]
    Block(String),
    /// A configuration (the receiver's limits) is invalid.
    #[error("{0}")]
    Config(String),
    /// The write-ahead log cannot be used (a writer panicked holding its lock).
    #[error("write-ahead log: {0}")]
    Wal(String),
    /// The reloader could not prepare Prometheus's configuration.
    #[error("reloader: {0}")]
    Reload(String),
}

impl Error {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Error::Io { path: path.to_string(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
