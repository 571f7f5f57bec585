//! The `quiver` binary's library: the clap CLI, the wiring of each component, and the HTTP and
//! gRPC servers. Library crates never see clap: each command turns its flags into plain config
//! before calling into `quiver-bucket`, `quiver-engine` and `quiver-ingest`.

mod api;
mod api_json;
mod bucket_blocks;
pub mod cli;
mod error;
mod grpc;
mod health;
mod metrics;
mod openmetrics;
pub mod querier;
mod query_flags;
mod receive;
pub mod receive_cmd;
pub mod sidecar;
mod store;
pub mod store_gateway;
mod telemetry;
mod tools;
pub mod up;

pub use error::CliError;
