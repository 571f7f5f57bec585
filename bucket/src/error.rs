use thiserror::Error;

/// Errors of the bucket crate. Each carries enough context (block, file, object path) for an
/// operator to find the broken object without a debugger.
#[derive(Debug, Error)]
pub enum Error {
    #[error("object storage: {path}: {source}")]
    ObjectStore {
        path: String,
        #[source]
        source: object_store::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("block {block}: {file} is corrupt: {reason}")]
    Corrupt { block: String, file: String, reason: String },
    #[error("block {block}: {file} is missing")]
    MissingFile { block: String, file: String },
    #[error("block {block}: invalid meta.json: {source}")]
    Meta {
        block: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("block {block}: chunk {chunk_ref} in {file}: {source}")]
    Chunk {
        block: String,
        file: String,
        chunk_ref: u64,
        #[source]
        source: quiver_proto::Error,
    },
    #[error("writing block: {reason}")]
    Write { reason: String },
    /// The objstore configuration (Thanos's objstore YAML) is invalid or asks for something
    /// Quiver cannot honour; the message names the key.
    #[error("objstore config: {0}")]
    ObjstoreConfig(String),
    /// Another configuration (the index cache's) is invalid; the message names the key.
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn corrupt(block: &str, file: &str, reason: impl Into<String>) -> Self {
        Error::Corrupt { block: block.to_string(), file: file.to_string(), reason: reason.into() }
    }

    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Error::Io { path: path.to_string(), source }
    }
}
