//! Series stores the engine reads, and the adapters over them:
//!
//! - [`MemoryStore`] (test scripts) and [`BlockStore`] (TSDB blocks of the `bucket` crate);
//! - [`RemoteStore`]: a StoreAPI endpoint over gRPC; [`EndpointSet`] keeps a querier's endpoints
//!   and their health;
//! - [`Fanout`]: the querier's fan-out to the members that can match a request, with partial
//!   responses; [`DedupStore`]: HA replicas merged as Thanos merges them.

mod blocks;
mod dedup;
mod dedup_penalty;
mod endpoints;
mod fanout;
mod memory;
mod prometheus;
mod prometheus_read;
mod remote;

pub use blocks::BlockStore;
pub use dedup::{DedupFunc, DedupStore};
pub use endpoints::{EndpointSet, EndpointStatus};
pub use fanout::{Fanout, FanoutOptions, Member, label_sets_match};
pub use memory::MemoryStore;
pub use prometheus::{PrometheusState, PrometheusStore};
pub use prometheus_read::{StreamedDecoder, decode_samples};
pub use remote::{RemoteStatus, RemoteStore, status_error};
