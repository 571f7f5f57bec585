//! The source trait: Thanos's StoreAPI in Rust types. Every source of series implements it (a
//! TSDB block, a Parquet block, the receiver's head, a remote StoreAPI endpoint, memory), and so
//! do the adapters over sources: [`MergeStore`] (a sorted merge, the querier's fan-out and the
//! head-plus-bucket view of `quiver up`) and deduplication. The engine's leaf selectors pull from
//! it; the gRPC StoreAPI server serves it.
//!
//! - [`SeriesStore::info`]: the external label sets a source serves, its time range and the
//!   resolutions it holds, so a fan-out can skip sources that cannot match.
//! - [`SeriesStore::series`]: a stream of [`SeriesFrame`]s, series sorted by labels (each with its
//!   chunks in the range, oldest first) or warnings. A source buffers boundedly: it never holds
//!   all chunks of a request at once.
//! - [`SeriesStore::label_names`] and [`SeriesStore::label_values`] with matchers, time range and
//!   limit.
//!
//! Errors are [`StoreError`]s naming the source; each maps once to the Prometheus API's error and
//! to a `tonic::Status` at the edges.

mod error;
mod frame;
mod merge;
mod request;
pub mod series_codec;
pub mod wire;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;

pub use error::{LimitKind, StoreError};
pub use frame::{LabelsAnswer, SeriesFrame, StoreInfo, StoreSeries};
pub use merge::MergeStore;
pub use request::{Grouping, LabelsRequest, QueryHints, SeriesLimits, SeriesRequest, ShardInfo};

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A source's answer to a series request.
pub type SeriesStream = Pin<Box<dyn Stream<Item = Result<SeriesFrame, StoreError>> + Send>>;

/// A source of series, shaped like StoreAPI.
pub trait SeriesStore: Send + Sync + fmt::Debug {
    /// How the source is named in errors and warnings: a block's ULID, an endpoint's address.
    fn name(&self) -> &str;

    /// What the source serves.
    fn info(&self) -> StoreFuture<'_, StoreInfo>;

    /// Series matching the request, sorted by labels. The stream owns what it needs, so it
    /// outlives the call (an operator holds it across polls).
    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream;

    /// Whether the source keeps to [`SeriesRequest::shard`] itself: its answer to a sharded
    /// request is exactly the series, of those it would return unsharded, whose labels (as
    /// returned, replica labels left out) [`ShardInfo::owns`]. Only then may a reader split its
    /// work by opening one request per shard; a source that cannot say (a remote endpoint with
    /// a hash of its own, an adapter over such) answers `false`.
    fn shards_exactly(&self) -> bool {
        false
    }

    /// Label names of the series matching the request's matchers (all names without matchers)
    /// with data in its range, sorted.
    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer>;

    /// Values of label `name` over the same series, sorted.
    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer>;
}

/// A stream of one error, for sources that fail before they start.
pub fn failed_stream(e: StoreError) -> SeriesStream {
    Box::pin(futures::stream::once(async move { Err(e) }))
}

/// A stream of no series.
pub fn empty_stream() -> SeriesStream {
    Box::pin(futures::stream::empty())
}
