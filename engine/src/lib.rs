//! Quiver's PromQL engine on DataFusion.
//!
//! The `quiver-planner` crate turns PromQL into a logical plan of extension nodes; this crate
//! gives each node its operator (`FooExec` in `exec/`, named after the node), reads series from a
//! [`quiver_proto::SeriesStore`] (in memory, TSDB blocks; Parquet and remote StoreAPI endpoints
//! later), and shapes the result as Prometheus does ([`QueryEngine`]). Labels live once per series
//! in a query-scoped table; operators pass series ids, step timestamps and values as Arrow rows.
//!
//! - [`QueryControl`]: a query's deadline and cancellation token; the facade races evaluation
//!   against them and operators check them in their loops, so a query that times out or whose
//!   caller went away stops.
//! - [`functions`] and [`annotations`]: PromQL function kernels and the warnings/infos they raise.
//! - [`promqltest`]: Prometheus's PromQL test-script language, run against [`QueryEngine`].
//!
//! It depends on `quiver-proto`, `quiver-bucket` and `quiver-planner`.

pub mod annotations;
mod control;
mod error;
mod exec;
mod executor;
pub mod functions;
mod physical;
pub mod promqltest;
mod query;
mod series_table;
mod shape;
pub mod storage;
mod test_engine;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_plans;
pub mod value;

pub use control::{CancellationToken, QueryControl};
pub use error::{EngineError, Result};
pub use executor::{Executor, QUERY_THREAD_STACK};
pub use query::{DEFAULT_MAX_MEMORY, EngineOptions, Explained, QueryEngine};
pub use test_engine::ScriptEngine;
