//! `/api/v1/query` and `/api/v1/query_range`. Each query runs in a task of its own, under a
//! deadline (`--query.timeout`, or the request's shorter `timeout`) and a cancellation token
//! that fires when the handler is dropped, which is what happens when the client disconnects.
//! `explain=true` (our extension) answers with the DataFusion plans instead of evaluating;
//! `explain=analyze` evaluates and answers with the physical plan annotated with each operator's
//! metrics (rows, compute time, series and samples read), as `EXPLAIN ANALYZE` does.
//! At most `--query.max-concurrency` queries evaluate at once; the others wait for a slot.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::response::Response;
use quiver_engine::value::{QueryOutput, Value};
use quiver_engine::{EngineError, QueryControl, QueryEngine};
use quiver_planner::EvalSteps;
use serde_json::json;

use super::params::Params;
use super::{ApiError, ApiState, TRUNCATED, success, success_value};

/// Prometheus refuses range queries with more points per series than this.
const MAX_POINTS: i64 = 11_000;

#[derive(Debug, Clone, Copy)]
enum Eval {
    Instant(i64),
    Range { start: i64, end: i64, step: i64 },
}

impl Eval {
    fn steps(self) -> EvalSteps {
        match self {
            Eval::Instant(t) => EvalSteps::instant(t),
            Eval::Range { start, end, step } => EvalSteps::range(start, end, step),
        }
    }
}

pub(crate) async fn instant(State(s): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    let limit = params.limit()?;
    let t = params.time_or("time", now_ms())?;
    let control = control(&s, &params)?;
    run(&s, &params, Eval::Instant(t), control, limit).await
}

pub(crate) async fn range(State(s): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    let limit = params.limit()?;
    let start = params.time("start")?;
    let end = params.time("end")?;
    if end < start {
        return Err(ApiError::param("end", "end timestamp must not be before start time"));
    }
    let step_ns = params.duration("step")?.unwrap_or(0);
    let step = step_ns / 1_000_000;
    if step <= 0 {
        return Err(ApiError::param(
            "step",
            "zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    // For safety, as Prometheus: 60s resolution for a week, or 1h for a year.
    if (end - start) / step > MAX_POINTS {
        return Err(ApiError::BadData(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"
                .into(),
        ));
    }
    let control = control(&s, &params)?;
    run(&s, &params, Eval::Range { start, end, step }, control, limit).await
}

/// The deadline is set when the request arrives: the shorter of `--query.timeout` and the
/// request's `timeout`.
fn control(s: &ApiState, params: &Params) -> Result<QueryControl, ApiError> {
    let mut timeout = s.config.timeout;
    if let Some(ns) = params.duration("timeout")? {
        // A negative timeout has passed already, as a Go context deadline in the past.
        timeout = timeout.min(Duration::from_nanos(u64::try_from(ns).unwrap_or(0)));
    }
    Ok(QueryControl::with_timeout(timeout))
}

async fn run(
    s: &ApiState,
    params: &Params,
    eval: Eval,
    control: QueryControl,
    limit: usize,
) -> Result<Response, ApiError> {
    let mut opts = s.config.engine_options();
    if let Some(ns) = params.duration("lookback_delta").map_err(|e| match e {
        ApiError::InvalidParam { reason, .. } => {
            ApiError::BadData(format!("error parsing lookback delta duration: {reason}"))
        }
        other => other,
    })? && ns > 0
    {
        opts.lookback_ms = ns / 1_000_000;
    }
    let query = params.value("query").to_string();
    let engine = s.engine(opts, params).await?;
    if params.value("explain") == "analyze" {
        let (plans, out) = engine.explain_analyze(&query, eval.steps(), &control).await?;
        let data = json!({
            "logicalPlan": plans.logical,
            "physicalPlan": plans.physical,
            "stats": {"samplesLoaded": out.stats.samples_loaded, "seriesSelected": out.stats.series_selected},
        });
        return Ok(success(data, &out.annotations.warnings, &out.annotations.infos));
    }
    if params.flag("explain") {
        let plans = engine.explain_plans(&query, eval.steps()).await?;
        let data = json!({"logicalPlan": plans.logical, "physicalPlan": plans.physical});
        return Ok(success(data, &[], &[]));
    }
    let mut out = evaluate(s, engine, query, eval, control).await?;
    let mut warnings = std::mem::take(&mut out.annotations.warnings);
    if limit > 0 && truncate(&mut out.value, limit) {
        warnings.push(TRUNCATED.into());
    }
    success_value(&s.executor, out.value, &warnings, &out.annotations.infos).await
}

/// Runs the query in a task of its own so that its computing never holds up this handler:
/// when the client disconnects, the server drops the handler, the guard cancels the token, and
/// the query stops at its next check.
async fn evaluate(
    s: &ApiState,
    engine: QueryEngine,
    query: String,
    eval: Eval,
    control: QueryControl,
) -> Result<QueryOutput, ApiError> {
    let guard = control.cancel.clone().drop_guard();
    let slot = control
        .queued(Arc::clone(&s.slots).acquire_owned())
        .await?
        .map_err(|e| ApiError::Internal(format!("query queue closed: {e}")))?;
    let task = tokio::spawn(async move {
        let _slot = slot;
        let out = match eval {
            Eval::Instant(t) => engine.instant_with(&query, t, &control).await,
            Eval::Range { start, end, step } => engine.range_with(&query, start, end, step, &control).await,
        };
        if let Err(EngineError::Cancelled(_)) = out {
            tracing::info!(query, "query canceled: the client went away");
        }
        out
    });
    let joined = task.await;
    guard.disarm();
    Ok(joined.map_err(|e| ApiError::Internal(format!("query task failed: {e}")))??)
}

/// Keeps the first `limit` series of a vector or matrix; whether any were dropped.
fn truncate(v: &mut Value, limit: usize) -> bool {
    match v {
        Value::Vector(s) if s.len() > limit => s.truncate(limit),
        Value::Matrix(s) if s.len() > limit => s.truncate(limit),
        _ => return false,
    }
    true
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
