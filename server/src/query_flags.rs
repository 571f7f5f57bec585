//! The query flags of the components that answer PromQL, named and defaulted as Prometheus 3's,
//! so that a Prometheus command line carries over; turned into a plain [`QueryConfig`].

use std::time::Duration;

use clap::Args;
use quiver_planner::Features;

use crate::api::{QueryConfig, parse_prometheus_duration};

#[derive(Debug, Clone, Args)]
pub(crate) struct QueryFlags {
    /// Comma-separated features to enable (repeatable): promql-experimental-functions,
    /// promql-delayed-name-removal, promql-extended-range-selectors,
    /// promql-duration-expr, promql-binop-fill-modifiers. Unknown names are ignored with a warning, as Prometheus does.
    #[arg(long = "enable-feature", env = "QUIVER_ENABLE_FEATURE", value_delimiter = ',')]
    enable_feature: Vec<String>,
    /// How far back an instant selector looks for the latest sample.
    #[arg(
        long = "query.lookback-delta",
        env = "QUIVER_QUERY_LOOKBACK_DELTA",
        default_value = "5m",
        value_parser = duration_flag
    )]
    lookback_delta: Duration,
    /// Most samples a single query may load into memory; a query over it fails.
    #[arg(long = "query.max-samples", env = "QUIVER_QUERY_MAX_SAMPLES", default_value_t = 50_000_000)]
    max_samples: u64,
    /// Most series a single query's selectors may select (each selector counts the series it
    /// selects); a query over it fails. 0 means no limit.
    #[arg(long = "query.max-series", env = "QUIVER_QUERY_MAX_SERIES", default_value_t = 0)]
    max_series: u64,
    /// Most queries evaluated at once; further ones wait, their wait counting against their
    /// timeout.
    #[arg(
        long = "query.max-concurrency",
        alias = "query.max-concurrent",
        env = "QUIVER_QUERY_MAX_CONCURRENCY",
        default_value_t = 20
    )]
    max_concurrency: usize,
    /// Most time a query may take before it is aborted.
    #[arg(long = "query.timeout", env = "QUIVER_QUERY_TIMEOUT", default_value = "2m", value_parser = duration_flag)]
    timeout: Duration,
    /// Most memory a single query's operators may hold (e.g. 512MiB, 2GB); a query over it fails
    /// alone. 0 means no limit.
    #[arg(long = "query.max-memory", env = "QUIVER_QUERY_MAX_MEMORY", default_value = "1GiB", value_parser = bytes_flag)]
    max_memory: usize,
    /// How many partitions a query's selectors split their series into, each on a core of its
    /// own; 0 means one per core.
    #[arg(long = "query.partitions", env = "QUIVER_QUERY_PARTITIONS", default_value_t = 0)]
    partitions: usize,
}

/// A size with or without a unit (`1GiB`, `512MB`, `1048576`).
fn bytes_flag(s: &str) -> Result<usize, String> {
    let b: bytesize::ByteSize = s.trim().parse().map_err(|e| format!("invalid size {s:?}: {e}"))?;
    usize::try_from(b.as_u64()).map_err(|_| format!("size {s:?} is too large"))
}

/// Prometheus's duration syntax (`5m`, `1h30m`, `250ms`).
pub(crate) fn duration_flag(s: &str) -> Result<Duration, String> {
    parse_prometheus_duration(s).map(|ns| Duration::from_nanos(ns.unsigned_abs()))
}

/// Turns one feature on.
type Enable = fn(&mut Features);

/// The `--enable-feature` names Quiver knows, as Prometheus names them, and what they turn on.
const FEATURES: [(&str, Enable, &str); 5] = [
    ("promql-experimental-functions", |f| f.experimental_functions = true, "PromQL functions"),
    ("promql-binop-fill-modifiers", |f| f.binop_fill_modifiers = true, "binary operator fill modifiers"),
    ("promql-duration-expr", |f| f.duration_expressions = true, "duration expression parsing"),
    ("promql-extended-range-selectors", |f| f.extended_range_selectors = true, "extended range selectors"),
    ("promql-delayed-name-removal", |f| f.delayed_name_removal = true, "PromQL delayed name removal"),
];

impl QueryFlags {
    pub(crate) fn config(&self) -> QueryConfig {
        let mut config = QueryConfig {
            max_samples: self.max_samples,
            max_series: self.max_series,
            max_concurrency: self.max_concurrency,
            timeout: self.timeout,
            max_memory: self.max_memory,
            partitions: self.partitions,
            ..QueryConfig::default()
        };
        // As in Prometheus, a zero lookback delta means the default.
        if !self.lookback_delta.is_zero() {
            config.lookback_ms = i64::try_from(self.lookback_delta.as_millis()).unwrap_or(i64::MAX);
        }
        for name in self.enable_feature.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
            match FEATURES.iter().find(|(n, _, _)| *n == name) {
                Some((_, enable, what)) => {
                    enable(&mut config.features);
                    tracing::info!("Experimental {what} enabled.");
                }
                None => tracing::warn!(option = name, "Unknown option for --enable-feature"),
            }
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        query: QueryFlags,
    }

    #[test]
    fn flags_as_prometheus_names_them() {
        let c = Cli::parse_from(["x"]).query.config();
        assert_eq!(c, QueryConfig::default());
        let c = Cli::parse_from([
            "x",
            "--enable-feature=promql-experimental-functions,no-such-feature",
            "--enable-feature",
            "promql-delayed-name-removal",
            "--query.lookback-delta=1m30s",
            "--query.max-samples=100",
            "--query.max-series=7",
            "--query.max-concurrency=3",
            "--query.timeout=250ms",
            "--query.max-memory=64MiB",
            "--query.partitions=3",
        ])
        .query
        .config();
        assert!(c.features.experimental_functions && c.features.delayed_name_removal);
        assert_eq!((c.lookback_ms, c.max_samples, c.timeout), (90_000, 100, Duration::from_millis(250)));
        assert_eq!((c.max_series, c.max_concurrency), (7, 3));
        assert_eq!((c.max_memory, c.partitions), (64 << 20, 3));
        assert!(Cli::try_parse_from(["x", "--query.timeout=2x"]).is_err());
    }
}
