//! The API endpoints Grafana and other Prometheus clients call beside queries, answered for what
//! `quiver up` holds: blocks carry no metric metadata or exemplars, and no rules, alerts or
//! scrape targets run here yet (as a Thanos querier without rule or target endpoints answers).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::params::{MAX_TIME_MS, MIN_TIME_MS, Params};
use super::{ApiError, ApiState, success};

/// `/api/v1/metadata`: metric metadata per metric name; blocks hold none.
pub(crate) async fn metadata(State(_): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    limit_param(&params)?;
    Ok(success(json!({}), &[], &[]))
}

/// `/api/v1/query_exemplars`: validated as Prometheus validates it; blocks hold no exemplars, so
/// a query with selectors finds none, and one without selectors gets Prometheus's answer to a
/// result of nothing at all: 204 without a body.
pub(crate) async fn query_exemplars(State(_): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    let start = params.time_or("start", MIN_TIME_MS)?;
    let end = params.time_or("end", MAX_TIME_MS)?;
    if end < start {
        return Err(ApiError::BadData("end timestamp must not be before start timestamp".into()));
    }
    let selectors = quiver_planner::selector_count(params.value("query"))
        .map_err(|e| ApiError::BadData(e.to_string()))?;
    if selectors == 0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(success(json!([]), &[], &[]))
}

/// `/api/v1/rules`: no rule groups are evaluated here.
pub(crate) async fn rules(State(_): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    match params.value("type") {
        "" | "alert" | "record" => Ok(success(json!({"groups": []}), &[], &[])),
        other => Err(ApiError::BadData(format!("not supported value {other:?}"))),
    }
}

/// `/api/v1/alerts`: no alerting rules, so no alerts.
pub(crate) async fn alerts(State(_): State<ApiState>) -> Response {
    success(json!({"alerts": []}), &[], &[])
}

/// `/api/v1/targets`: nothing is scraped here.
pub(crate) async fn targets(State(_): State<ApiState>) -> Response {
    success(json!({"activeTargets": [], "droppedTargets": []}), &[], &[])
}

/// Prometheus's `limit` of the metadata endpoint: an integer, where negative means none.
fn limit_param(params: &Params) -> Result<(), ApiError> {
    match params.value("limit") {
        "" => Ok(()),
        s => s.parse::<i64>().map(|_| ()).map_err(|_| ApiError::BadData("limit must be a number".into())),
    }
}

/// `/api/v1/status/buildinfo`: a semver `version` (Grafana parses it to pick features).
pub(crate) async fn buildinfo() -> Response {
    success(
        json!({
            "version": env!("CARGO_PKG_VERSION"),
            "revision": "",
            "branch": "",
            "buildUser": "",
            "buildDate": "",
            "goVersion": "none (Rust)",
        }),
        &[],
        &[],
    )
}

/// `/api/v1/status/flags`: the query flags in effect, as Prometheus lists its own.
pub(crate) async fn flags(State(s): State<ApiState>) -> Response {
    let c = &s.config;
    success(
        json!({
            "query.lookback-delta": format!("{}ms", c.lookback_ms),
            "query.max-samples": c.max_samples.to_string(),
            "query.max-concurrency": c.max_concurrency.to_string(),
            "query.timeout": format!("{}s", c.timeout.as_secs()),
            "query.replica-label": s.read.replica_labels.join(","),
            "query.partial-response": s.read.partial_response.to_string(),
        }),
        &[],
        &[],
    )
}

/// `/api/v1/status/config`: no Prometheus configuration is loaded here.
pub(crate) async fn config() -> Response {
    success(json!({"yaml": ""}), &[], &[])
}

/// `/api/v1/status/runtimeinfo`: what of Prometheus's runtime information applies.
pub(crate) async fn runtimeinfo() -> Response {
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_default();
    success(
        json!({
            "startTime": start_time(),
            "CWD": cwd,
            "reloadConfigSuccess": true,
            "lastConfigTime": start_time(),
            "goroutineCount": 0,
            "GOMAXPROCS": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "GOGC": "",
            "GODEBUG": "",
            "storageRetention": "",
        }),
        &[],
        &[],
    )
}

/// When the API first answered (close enough to when the process started).
static START_MS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

fn start_time() -> String {
    let ms = *START_MS.get_or_init(super::now_ms);
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// `/api/v1/format_query`: the query pretty-printed, as Prometheus formats it.
pub(crate) async fn format_query(params: Params) -> Result<Response, ApiError> {
    let expr =
        promql_parser::parser::parse(params.value("query")).map_err(|e| ApiError::param("query", e))?;
    Ok(success(json!(expr.prettify()), &[], &[]))
}
