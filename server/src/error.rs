//! The CLI's error type: everything a command can fail with, printed once in `main`.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CliError {
    #[error(transparent)]
    Bucket(#[from] quiver_bucket::Error),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{count} of {total} blocks are broken")]
    BrokenBlocks { count: usize, total: usize },
    #[error("{0} evals failed")]
    TestsFailed(usize),
    #[error("server: {0}")]
    Server(String),
}

impl CliError {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        CliError::Io { path: path.to_string(), source }
    }
}
