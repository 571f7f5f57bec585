//! Quiver's side-by-side benchmark harness: runs Quiver, Prometheus and VictoriaMetrics on the same
//! generated data in one run and prints ratios. Micro-benchmarks of single crates (for example XOR
//! chunk decoding) live in those crates' own `benches/` directories.
