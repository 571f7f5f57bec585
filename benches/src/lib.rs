//! Quiver's side-by-side benchmark harness: runs Quiver, Prometheus and VictoriaMetrics on the same
//! generated data in one run and prints ratios. Micro-benchmarks of single crates (for example XOR
//! chunk decoding) live in those crates' own `benches/` directories.
//!
//! - [`Dataset`]: series shaped like `/work/shared/testbench/gen_om.py`'s (counters, a gauge, a
//!   classic histogram per target), written as real TSDB blocks by `quiver-bucket`'s writer and
//!   read back through [`quiver_engine::storage::BlockStore`], the path queries take in production.
//! - [`RANGE_QUERIES`] and [`INSTANT_QUERIES`]: the standard query set of `bench_q.sh`;
//!   [`EXTRA_RANGE_QUERIES`]: what it lacks (a binary operation between vectors).
//!
//! `benches/promql.rs` times the engine on them (`cargo bench -p quiver-benches --bench promql`).

mod data;
mod queries;

pub use data::{BenchError, Dataset, open_block_store};
pub use queries::{EXTRA_RANGE_QUERIES, INSTANT_QUERIES, PROMETHEUS_SAMPLES_PER_SEC_PER_CORE, RANGE_QUERIES};
