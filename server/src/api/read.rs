//! How a request reads its sources: Thanos's querier parameters (`dedup`, `partial_response`,
//! `replicaLabels[]`, `storeMatch[]`, `max_source_resolution`) over the component's defaults,
//! and the [`Sources`] a component answers from.

use std::sync::Arc;

use futures::future::BoxFuture;
use quiver_engine::storage::{DedupFunc, DedupStore};
use quiver_proto::{Matcher, SeriesStore};

use super::params::Params;
use super::{ApiError, ApiState};

/// The querier's defaults for reading (`--query.replica-label`, `--deduplication.func`,
/// `--query.partial-response`).
#[derive(Debug, Clone)]
pub(crate) struct ReadConfig {
    pub replica_labels: Vec<String>,
    pub dedup_func: DedupFunc,
    pub partial_response: bool,
}

impl Default for ReadConfig {
    fn default() -> Self {
        Self { replica_labels: Vec::new(), dedup_func: DedupFunc::Penalty, partial_response: true }
    }
}

/// One request's way of reading.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadOptions {
    pub(crate) dedup: bool,
    pub(crate) partial_response: bool,
    pub(crate) replica_labels: Vec<String>,
    pub(crate) store_match: Vec<Vec<Matcher>>,
    /// `max_source_resolution` in milliseconds (`auto`: 0 here, read as raw data).
    pub(crate) max_source_resolution_ms: i64,
}

impl ReadOptions {
    pub(crate) fn from_params(params: &Params, cfg: &ReadConfig) -> Result<Self, ApiError> {
        let bool_param = |name: &'static str, default: bool| -> Result<bool, ApiError> {
            match params.value(name) {
                "" => Ok(default),
                "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
                other => Err(ApiError::param(name, format!("cannot parse parameter {name}: {other:?}"))),
            }
        };
        let replica_labels: Vec<String> =
            params.all("replicaLabels[]").into_iter().map(str::to_string).collect();
        let mut store_match = Vec::new();
        for s in params.all("storeMatch[]") {
            store_match.extend(
                crate::tools::parse_selector(s)
                    .map_err(|e| ApiError::param("storeMatch[]", e.to_string()))?,
            );
        }
        let max_source_resolution_ms = match params.value("max_source_resolution") {
            "" | "auto" => 0,
            s => {
                let ns = super::params::parse_duration(s)
                    .map_err(|e| ApiError::param("max_source_resolution", e))?;
                if ns < 0 {
                    return Err(ApiError::param("max_source_resolution", "negative duration"));
                }
                ns / 1_000_000
            }
        };
        Ok(Self {
            dedup: bool_param("dedup", true)?,
            partial_response: bool_param("partial_response", cfg.partial_response)?,
            replica_labels: if replica_labels.is_empty() {
                cfg.replica_labels.clone()
            } else {
                replica_labels
            },
            store_match,
            max_source_resolution_ms,
        })
    }
}

/// Where a component's API reads series: the bucket of `quiver up`, the endpoints of a querier.
pub(crate) trait Sources: Send + Sync + std::fmt::Debug {
    fn store<'a>(&'a self, read: &'a ReadOptions) -> BoxFuture<'a, Result<Arc<dyn SeriesStore>, ApiError>>;
}

impl ApiState {
    /// The source one request reads, deduplicated unless it asks otherwise.
    pub(crate) async fn read_store(&self, params: &Params) -> Result<Arc<dyn SeriesStore>, ApiError> {
        let read = ReadOptions::from_params(params, &self.read)?;
        let store = self.sources.store(&read).await?;
        if read.dedup && !read.replica_labels.is_empty() {
            return Ok(Arc::new(DedupStore::new(store, read.replica_labels, self.read.dedup_func)));
        }
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanos_parameters_over_defaults() {
        let cfg = ReadConfig { replica_labels: vec!["replica".into()], ..ReadConfig::default() };
        let r = ReadOptions::from_params(&Params::from_pairs(&[]), &cfg).unwrap_or_default();
        assert!(r.dedup && r.partial_response);
        assert_eq!(r.replica_labels, ["replica"]);
        let p = Params::from_pairs(&[
            ("dedup", "false"),
            ("partial_response", "0"),
            ("replicaLabels[]", "rule_replica"),
            ("storeMatch[]", "{__address__=~\"store-.*\"}"),
            ("max_source_resolution", "5m"),
        ]);
        let r = ReadOptions::from_params(&p, &cfg).unwrap_or_default();
        assert!(!r.dedup && !r.partial_response);
        assert_eq!(r.replica_labels, ["rule_replica"]);
        assert_eq!((r.store_match.len(), r.max_source_resolution_ms), (1, 300_000));
        for bad in [("dedup", "maybe"), ("storeMatch[]", "{"), ("max_source_resolution", "x")] {
            assert!(ReadOptions::from_params(&Params::from_pairs(&[bad]), &cfg).is_err(), "{bad:?}");
        }
    }
}
