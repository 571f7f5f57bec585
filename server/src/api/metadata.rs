//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`, answered through the
//! source trait (series requests without chunks, label names and values requests), so they see
//! exactly what queries see. As in Prometheus, a block takes part when its time range overlaps
//! `[start, end]`; `series` also needs a chunk of the series in that range, while label names and
//! values come from the matching series of those blocks whatever their chunks. Series carry their
//! block's external labels.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use futures::StreamExt;
use quiver_proto::{Labels, LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, TimeRange};
use serde_json::Value as Json;

use super::params::{MAX_TIME_MS, MIN_TIME_MS, Params, label_name};
use super::{ApiError, ApiState, TRUNCATED, success};
use crate::api_json::labels_json;

pub(crate) async fn series(State(s): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    if params.all("match[]").is_empty() {
        return Err(ApiError::BadData("no match[] parameter provided".into()));
    }
    let limit = params.limit()?;
    let range = time_range(&params)?;
    let sets = params.matcher_sets().map_err(|e| ApiError::param("match[]", e))?;
    let store = s.read_store(&params).await?;
    let mut found: BTreeSet<Labels> = BTreeSet::new();
    let mut warnings = Vec::new();
    for set in sets {
        let req = SeriesRequest { skip_chunks: true, ..SeriesRequest::new(set, range) };
        let mut stream = Arc::clone(&store).series(req);
        while let Some(frame) = stream.next().await {
            match frame? {
                SeriesFrame::Series(series) => {
                    found.insert(series.labels);
                }
                SeriesFrame::Warning(w) => warnings.push(w),
            }
        }
    }
    let found: Vec<Json> = found.iter().map(labels_json).collect();
    Ok(limited_answer(found, limit, warnings))
}

pub(crate) async fn labels(State(s): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    let limit = params.limit()?;
    let range = time_range(&params)?;
    let store = s.read_store(&params).await?;
    let mut answers = Vec::new();
    for req in requests(&params, range)? {
        answers.push(store.label_names(&req).await?);
    }
    let (values, warnings) = union(answers);
    Ok(limited_answer(values.into_iter().map(Json::String).collect(), limit, warnings))
}

pub(crate) async fn label_values(
    State(s): State<ApiState>,
    Path(raw): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let name = label_name(&raw).ok_or_else(|| ApiError::BadData(format!("invalid label name: {raw:?}")))?;
    let limit = params.limit()?;
    let range = time_range(&params)?;
    let store = s.read_store(&params).await?;
    let mut answers = Vec::new();
    for req in requests(&params, range)? {
        answers.push(store.label_values(&name, &req).await?);
    }
    let (values, warnings) = union(answers);
    Ok(limited_answer(values.into_iter().map(Json::String).collect(), limit, warnings))
}

/// One labels request per `match[]` set, or one without matchers.
fn requests(params: &Params, range: TimeRange) -> Result<Vec<LabelsRequest>, ApiError> {
    let sets = params.matcher_sets().map_err(ApiError::BadData)?;
    if sets.is_empty() {
        return Ok(vec![LabelsRequest::new(Vec::new(), range)]);
    }
    Ok(sets.into_iter().map(|set| LabelsRequest::new(set, range)).collect())
}

fn union(answers: Vec<LabelsAnswer>) -> (BTreeSet<String>, Vec<String>) {
    let mut values = BTreeSet::new();
    let mut warnings = Vec::new();
    for a in answers {
        values.extend(a.values);
        warnings.extend(a.warnings);
    }
    (values, warnings)
}

/// `start` and `end`, by default all of time.
fn time_range(params: &Params) -> Result<TimeRange, ApiError> {
    Ok(TimeRange::new(params.time_or("start", MIN_TIME_MS)?, params.time_or("end", MAX_TIME_MS)?))
}

fn limited_answer(mut items: Vec<Json>, limit: usize, mut warnings: Vec<String>) -> Response {
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        warnings.push(TRUNCATED.into());
    }
    success(Json::Array(items), &warnings, &[])
}
