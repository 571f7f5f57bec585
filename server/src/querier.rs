//! `quiver query`: a stateless querier, as `thanos query`. It learns its StoreAPI endpoints from
//! `--endpoint` flags and from a file SD config (re-read when it changes), fans each request out
//! to the endpoints whose external labels and time range can match, deduplicates HA replicas,
//! and answers Prometheus's HTTP API; it also serves StoreAPI itself (a fan-out behind it), so
//! queriers can be stacked.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use clap::Args;
use futures::future::BoxFuture;
use quiver_engine::storage::{DedupFunc, EndpointSet, FanoutOptions};
use quiver_proto::SeriesStore;
use serde::Deserialize;
use serde_json::json;

use crate::api::{ApiError, ApiState, ReadConfig, ReadOptions, Sources};
use crate::error::CliError;
use crate::grpc::{RequestLimits, Served};
use crate::query_flags::QueryFlags;

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Address to serve the HTTP API on.
    #[arg(long = "http-address", env = "QUIVER_HTTP_ADDRESS", default_value = "0.0.0.0:10902")]
    http_address: SocketAddr,
    /// Address to serve StoreAPI (gRPC) on.
    #[arg(long = "grpc-address", env = "QUIVER_GRPC_ADDRESS", default_value = "0.0.0.0:10901")]
    grpc_address: SocketAddr,
    /// A StoreAPI endpoint (host:port) to query; repeatable.
    #[arg(long = "endpoint", env = "QUIVER_ENDPOINT", value_delimiter = ',')]
    endpoints: Vec<String>,
    /// A file SD config (Prometheus `file_sd_configs` format: a list of `targets:`) naming
    /// more endpoints; re-read when it changes.
    #[arg(long = "endpoint.sd-config-file", env = "QUIVER_ENDPOINT_SD_CONFIG_FILE")]
    sd_config_file: Option<PathBuf>,
    /// The same as inline YAML.
    #[arg(long = "endpoint.sd-config", env = "QUIVER_ENDPOINT_SD_CONFIG")]
    sd_config: Option<String>,
    /// A label whose values tell HA replicas apart; series differing only in these are
    /// deduplicated. Repeatable.
    #[arg(long = "query.replica-label", env = "QUIVER_QUERY_REPLICA_LABEL", value_delimiter = ',')]
    replica_labels: Vec<String>,
    /// How replicas are merged: `penalty` (Thanos's default) or `chain`.
    #[arg(long = "deduplication.func", env = "QUIVER_DEDUPLICATION_FUNC", default_value = "penalty")]
    dedup_func: DedupFunc,
    /// Answer with what the reachable endpoints have, plus a warning, when some fail (unless a
    /// request sets `partial_response`).
    #[arg(
        long = "query.partial-response",
        env = "QUIVER_QUERY_PARTIAL_RESPONSE",
        overrides_with = "no_partial_response"
    )]
    partial_response: bool,
    /// Fail a request when an endpoint fails.
    #[arg(long = "no-query.partial-response", overrides_with = "partial_response")]
    no_partial_response: bool,
    /// The evaluation interval a subquery without a step uses.
    #[arg(long = "query.default-evaluation-interval", default_value = "1m", value_parser = crate::query_flags::duration_flag)]
    default_evaluation_interval: Duration,
    /// How often endpoints are asked what they serve (and how long they may take to answer).
    #[arg(long = "endpoint.info-timeout", default_value = "5s", value_parser = crate::query_flags::duration_flag)]
    info_interval: Duration,
    #[command(flatten)]
    query: QueryFlags,
}

/// The querier's sources: its endpoints, fanned out per request.
#[derive(Debug)]
struct Endpoints(Arc<EndpointSet>);

impl Sources for Endpoints {
    fn store<'a>(&'a self, read: &'a ReadOptions) -> BoxFuture<'a, Result<Arc<dyn SeriesStore>, ApiError>> {
        let opts = FanoutOptions {
            partial_response: read.partial_response,
            store_match: read.store_match.clone(),
            max_resolution_ms: read.max_source_resolution_ms,
        };
        Box::pin(async move { Ok(Arc::new(self.0.fanout(Vec::new(), opts)) as Arc<dyn SeriesStore>) })
    }
}

impl Served for Endpoints {
    fn store(&self, partial_response: bool) -> Arc<dyn SeriesStore> {
        let opts = FanoutOptions { partial_response, ..FanoutOptions::default() };
        Arc::new(self.0.fanout(Vec::new(), opts))
    }

    fn component(&self) -> &'static str {
        quiver_proto::store::wire::COMPONENT_QUERY
    }
}

/// A file SD config: Prometheus's `file_sd_configs` file (YAML list of target groups).
#[derive(Debug, Deserialize)]
struct TargetGroup {
    #[serde(default)]
    targets: Vec<String>,
}

fn parse_sd(yaml: &str) -> Result<Vec<String>, String> {
    let groups: Vec<TargetGroup> =
        serde_yaml::from_str(yaml).map_err(|e| format!("endpoint SD config: {e}"))?;
    Ok(groups.into_iter().flat_map(|g| g.targets).collect())
}

/// The endpoints the flags and the SD config name now.
fn wanted(args_endpoints: &[String], sd_inline: Option<&str>, sd_file: Option<&PathBuf>) -> Vec<String> {
    let mut all: Vec<String> =
        args_endpoints.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
    if let Some(y) = sd_inline {
        match parse_sd(y) {
            Ok(t) => all.extend(t),
            Err(e) => tracing::warn!("{e}"),
        }
    }
    if let Some(p) = sd_file {
        match std::fs::read_to_string(p).map_err(|e| e.to_string()).and_then(|y| parse_sd(&y)) {
            Ok(t) => all.extend(t),
            Err(e) => tracing::warn!(file = %p.display(), "reading the endpoint SD config: {e}"),
        }
    }
    all.sort();
    all.dedup();
    all
}

pub async fn run(args: QueryArgs) -> Result<(), CliError> {
    let mut query = args.query.config();
    query.default_subquery_step_ms = args.default_evaluation_interval.as_millis() as i64;
    let read = ReadConfig {
        replica_labels: args.replica_labels.clone(),
        dedup_func: args.dedup_func,
        partial_response: args.partial_response || !args.no_partial_response,
    };
    let set = Arc::new(EndpointSet::new(args.info_interval));
    if let Some(bad) =
        set.set(&wanted(&args.endpoints, args.sd_config.as_deref(), args.sd_config_file.as_ref())).first()
    {
        return Err(CliError::Usage(format!("--endpoint {bad}")));
    }
    set.refresh().await;
    let _refresher = set.spawn_refresher();
    if let Some(file) = args.sd_config_file.clone() {
        tokio::spawn(watch_sd(Arc::clone(&set), args.endpoints.clone(), args.sd_config.clone(), file));
    }
    let executor = crate::up::query_executor(&query)?;
    let endpoints = Arc::new(Endpoints(Arc::clone(&set)));
    let state = ApiState::new(Arc::clone(&endpoints) as Arc<dyn Sources>, query, read, executor);
    let app = router(state, Arc::clone(&set));

    let (grpc_listener, grpc_addr) = crate::up::bind(args.grpc_address).await?;
    let grpc =
        crate::grpc::serve(grpc_listener, endpoints, RequestLimits::default(), crate::up::shutdown_signal());
    let (listener, addr) = crate::up::bind(args.http_address).await?;
    crate::up::announce(&format!("quiver query: HTTP on http://{addr}/, StoreAPI (gRPC) on {grpc_addr}"));
    tokio::try_join!(crate::up::serve_http(listener, app), grpc)?;
    Ok(())
}

/// Re-reads the SD file when its modification time changes.
async fn watch_sd(set: Arc<EndpointSet>, flags: Vec<String>, inline: Option<String>, file: PathBuf) {
    let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut seen: Option<SystemTime> = mtime(&file);
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    loop {
        tick.tick().await;
        let now = mtime(&file);
        if now != seen {
            seen = now;
            let bad = set.set(&wanted(&flags, inline.as_deref(), Some(&file)));
            for b in bad {
                tracing::warn!("endpoint SD config: {b}");
            }
            set.refresh().await;
            tracing::info!(file = %file.display(), "endpoints re-read");
        }
    }
}

/// The querier's HTTP API: Prometheus's, plus Thanos's `/api/v1/stores`.
pub(crate) fn router(state: ApiState, set: Arc<EndpointSet>) -> Router {
    crate::api::component_router(state)
        .merge(Router::new().route("/api/v1/stores", get(stores)).with_state(set))
}

/// The endpoints and their health, grouped by component type, as Thanos's `/api/v1/stores`.
async fn stores(State(set): State<Arc<EndpointSet>>) -> axum::Json<serde_json::Value> {
    let mut groups: std::collections::BTreeMap<String, Vec<serde_json::Value>> = Default::default();
    for e in set.statuses() {
        let st = &e.status;
        let kind = if st.component.is_empty() { "unknown".to_string() } else { st.component.clone() };
        let labels: Vec<serde_json::Value> = st
            .info
            .as_ref()
            .map(|i| i.label_sets.iter().map(crate::api_json::labels_json).collect())
            .unwrap_or_default();
        groups.entry(kind).or_default().push(json!({
            "name": e.addr,
            "lastError": st.last_error,
            "labelSets": labels,
            "minTime": st.info.as_ref().map(|i| i.min_time),
            "maxTime": st.info.as_ref().map(|i| i.max_time),
            "healthy": st.last_error.is_none() && st.info.is_some(),
        }));
    }
    axum::Json(json!({"status": "success", "data": groups}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sd_file_format_as_prometheus() {
        let yaml = "- targets: ['a:1', 'b:2']\n  labels: {x: y}\n- targets: ['c:3']\n";
        assert_eq!(parse_sd(yaml).unwrap_or_default(), ["a:1", "b:2", "c:3"]);
        assert!(parse_sd("targets: nope").is_err());
        assert_eq!(wanted(&["b:2".into(), " ".into()], Some(yaml), None), ["a:1", "b:2", "c:3"]);
    }
}
