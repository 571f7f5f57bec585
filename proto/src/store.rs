//! The series store interface every data source implements (TSDB blocks, Parquet blocks, the
//! receiver's head, remote StoreAPI endpoints): StoreAPI's `Series` call in Rust types. The
//! engine selects series and their chunks through it, pushing matchers and the time range down.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::chunkenc::RawChunk;
use crate::labels::Labels;
use crate::matcher::Matcher;
use crate::sample::TimeRange;

/// One series and its chunks overlapping the requested range, oldest first. Chunks from
/// different sources may overlap in time; readers merge them by timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSeries {
    pub labels: Labels,
    pub chunks: Vec<RawChunk>,
}

/// Why a store could not answer; the message names the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A source of series.
pub trait SeriesStore: Send + Sync + fmt::Debug {
    /// Series matching all `matchers` with data in `range`, sorted by labels.
    fn select<'a>(&'a self, matchers: &'a [Matcher], range: TimeRange) -> StoreFuture<'a, Vec<StoreSeries>>;
}
