//! Prometheus's HTTP query API over the blocks of a bucket: `/api/v1/query`, `query_range`,
//! `series`, `labels` and `label/<name>/values`, GET and POST form, answering in Prometheus's
//! JSON shapes, errors included (see [`error`]). Handlers are thin: they read parameters
//! ([`params`]), ask the engine or the block indexes, and shape the answer.

mod error;
mod metadata;
mod params;
mod query;
mod read;
mod status;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use quiver_engine::{EngineOptions, Executor, QueryEngine};
use quiver_planner::Features;
use serde_json::{Value as Json, json};

pub(crate) use error::ApiError;
pub(crate) use params::parse_prometheus_duration;
pub(crate) use query::now_ms;
pub(crate) use read::ReadConfig;
pub(crate) use read::{ReadOptions, Sources};

/// How queries run: Prometheus's `--query.*` and `--enable-feature` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryConfig {
    /// `--query.lookback-delta`.
    pub lookback_ms: i64,
    /// `--query.max-samples`.
    pub max_samples: u64,
    /// `--query.max-series`; 0 for no limit.
    pub max_series: u64,
    /// `--query.max-concurrency`: queries evaluated at once; more wait in a queue.
    pub max_concurrency: usize,
    /// `--query.timeout`.
    pub timeout: Duration,
    pub features: Features,
    /// `--query.max-memory`: most bytes one query's operators may hold; 0 for no limit.
    pub max_memory: usize,
    /// `--query.partitions`: how many partitions (and cores) a query's selectors split their
    /// series into; 0 for one per core.
    pub partitions: usize,
    /// The step of a subquery that gives none (the global evaluation interval).
    pub default_subquery_step_ms: i64,
}

impl Default for QueryConfig {
    /// Prometheus 3's defaults.
    fn default() -> Self {
        Self {
            lookback_ms: 5 * 60 * 1000,
            max_samples: 50_000_000,
            max_series: 0,
            max_concurrency: 20,
            timeout: Duration::from_secs(120),
            features: Features::default(),
            max_memory: quiver_engine::DEFAULT_MAX_MEMORY,
            partitions: 0,
            default_subquery_step_ms: 60_000,
        }
    }
}

impl QueryConfig {
    pub(crate) fn engine_options(&self) -> EngineOptions {
        EngineOptions {
            lookback_ms: self.lookback_ms,
            features: self.features,
            max_samples: self.max_samples,
            max_series: self.max_series,
            default_subquery_step_ms: Some(self.default_subquery_step_ms),
            partitions: self.partitions,
            max_memory: self.max_memory,
        }
    }
}

/// What the API handlers share.
#[derive(Debug, Clone)]
pub(crate) struct ApiState {
    /// Where series are read.
    pub(crate) sources: Arc<dyn Sources>,
    pub(crate) config: QueryConfig,
    /// How reads deduplicate and fan out unless a request says otherwise.
    pub(crate) read: ReadConfig,
    /// One permit per query evaluated at once (`--query.max-concurrency`).
    pub(crate) slots: Arc<tokio::sync::Semaphore>,
    /// The runtime queries run on, apart from the one serving HTTP.
    pub(crate) executor: Executor,
}

impl ApiState {
    pub(crate) fn new(
        sources: Arc<dyn Sources>,
        config: QueryConfig,
        read: ReadConfig,
        executor: Executor,
    ) -> Self {
        let slots = Arc::new(tokio::sync::Semaphore::new(config.max_concurrency.max(1)));
        Self { sources, config, read, slots, executor }
    }

    /// The engine over what one request reads.
    pub(crate) async fn engine(
        &self,
        opts: EngineOptions,
        params: &params::Params,
    ) -> Result<QueryEngine, ApiError> {
        let store = self.read_store(params).await?;
        Ok(QueryEngine::new(store, opts).with_executor(self.executor.clone()))
    }
}

/// Every component's HTTP API over `state`: health and readiness, Prometheus's query and status
/// API, gzip for clients that accept it.
pub(crate) fn component_router(state: ApiState) -> Router {
    Router::new()
        .route("/-/healthy", get(|| async { "Quiver is Healthy.\n" }))
        .route("/-/ready", get(|| async { "Quiver is Ready.\n" }))
        .merge(routes())
        .with_state(state)
        // Range answers are large JSON; clients that accept gzip (Grafana does) get it.
        .layer(tower_http::compression::CompressionLayer::new())
}

/// The query API's routes.
pub(crate) fn routes() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/query", get(query::instant).post(query::instant))
        .route("/api/v1/query_range", get(query::range).post(query::range))
        .route("/api/v1/series", get(metadata::series).post(metadata::series))
        .route("/api/v1/labels", get(metadata::labels).post(metadata::labels))
        .route("/api/v1/label/{name}/values", get(metadata::label_values))
        .route("/api/v1/metadata", get(status::metadata))
        .route("/api/v1/query_exemplars", get(status::query_exemplars).post(status::query_exemplars))
        .route("/api/v1/rules", get(status::rules))
        .route("/api/v1/alerts", get(status::alerts))
        .route("/api/v1/targets", get(status::targets))
        .route("/api/v1/status/buildinfo", get(status::buildinfo))
        .route("/api/v1/status/flags", get(status::flags))
        .route("/api/v1/status/config", get(status::config))
        .route("/api/v1/status/runtimeinfo", get(status::runtimeinfo))
        .route("/api/v1/format_query", get(status::format_query).post(status::format_query))
}

/// Most annotations of each kind in an answer, as Prometheus.
const MAX_ANNOTATIONS: usize = 10;

/// `{"status":"success","data":...}` with `warnings` and `infos` when there are any.
fn success(data: Json, warnings: &[String], infos: &[String]) -> Response {
    let mut body = json!({"status": "success", "data": data});
    if let Some(w) = limited(warnings, "warning") {
        body["warnings"] = w;
    }
    if let Some(i) = limited(infos, "info") {
        body["infos"] = i;
    }
    axum::Json(body).into_response()
}

/// As [`success`] for a query result, written straight out (see
/// [`crate::api_json::write_value_json`]); a large matrix is written in parts on the query
/// runtime's threads and sent part by part as they are ready.
async fn success_value(
    executor: &Executor,
    value: quiver_engine::value::Value,
    warnings: &[String],
    infos: &[String],
) -> Result<Response, ApiError> {
    use futures::StreamExt;
    let mut tail = Vec::new();
    for (key, items, kind) in [("warnings", warnings, "warning"), ("infos", infos, "info")] {
        if let Some(list) = limited(items, kind) {
            tail.extend_from_slice(format!(",\"{key}\":").as_bytes());
            let _ = serde_json::to_writer(&mut tail, &list);
        }
    }
    tail.push(b'}');
    const HEAD: &[u8] = br#"{"status":"success","data":"#;
    let body = match crate::api_json::value_json_pieces(value, executor) {
        Ok(pieces) => axum::body::Body::from_stream(
            futures::stream::iter([Ok(bytes::Bytes::from_static(HEAD))])
                .chain(pieces)
                .chain(futures::stream::iter([Ok(bytes::Bytes::from(tail))])),
        ),
        Err(value) => {
            let mut body =
                Vec::with_capacity(crate::api_json::json_size_hint(&value) + HEAD.len() + tail.len());
            body.extend_from_slice(HEAD);
            crate::api_json::write_value_json(&value, &mut body);
            body.extend_from_slice(&tail);
            axum::body::Body::from(body)
        }
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

fn limited(items: &[String], kind: &str) -> Option<Json> {
    if items.is_empty() {
        return None;
    }
    let mut out: Vec<Json> = items.iter().take(MAX_ANNOTATIONS).map(|s| Json::String(s.clone())).collect();
    if items.len() > MAX_ANNOTATIONS {
        out.push(Json::String(format!("{} more {kind} annotations omitted", items.len() - MAX_ANNOTATIONS)));
    }
    Some(Json::Array(out))
}

/// The warning Prometheus adds when `limit` cut an answer short.
const TRUNCATED: &str = "results truncated due to limit";
