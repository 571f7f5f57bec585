//! Quiver's write path: remote-write decoding, validation, WAL, the in-memory head, block cutting
//! and upload (the receiver), and the sidecar's shipper and reloader.
//!
//! - [`Receiver`]: remote-write requests validated, logged to the [`wal`] (fsynced before a
//!   write is acknowledged) and appended to a per-tenant [`Head`], which is a source
//!   ([`quiver_proto::SeriesStore`]) the query side reads through the `server` crate's wiring.
//!
//! - [`shipper`] and [`reloader`]: the sidecar's block upload to the bucket (recorded in
//!   `thanos.shipper.json`) and its reloads of Prometheus on configuration changes.
//!
//! It depends only on `quiver-proto` and `quiver-bucket`, never on query code.

mod batch;
mod block_cut;
mod codec;
mod error;
mod head;
mod histogram;
pub mod limits;
mod receiver;
pub mod reloader;
mod series_head;
mod series_key;
pub mod shipper;
pub mod wal;
mod write_v1;
mod write_v2;

pub use error::{Error, Result};
pub use head::{AppendStats, Head};
pub use histogram::HistSample;
pub use receiver::{Receiver, ReceiverConfig, WriteError, WriteOutcome, WriteProto, check_body};
