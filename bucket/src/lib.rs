//! Everything Quiver keeps in object storage.
//!
//! - [`objstore`]: Thanos's objstore YAML (`FILESYSTEM`, `S3`, `GCS`, `AZURE`, `prefix`) mapped
//!   onto `object_store`.
//! - [`block`]: the block layout (`<ULID>/meta.json`, `index`, `chunks/`, `tombstones`), `meta.json`
//!   with Thanos's `thanos` section, and a TSDB block reader and writer that are byte-compatible
//!   with Prometheus. The reader works through `object_store` with ranged reads, so the same code
//!   reads a local directory and a bucket.
//!
//! This crate depends only on `quiver-proto`; it knows nothing of DataFusion or queries.

pub mod block;
mod error;
pub mod index_cache;
pub mod objstore;
pub mod selector;

pub use error::{Error, Result};
