//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`, answered from the
//! block indexes alone, no chunk read. As in Prometheus, a block takes part when its time range
//! overlaps `[start, end]`; `series` also needs a chunk of the series in that range, while label
//! names and values come from the matching series of those blocks whatever their chunks. Series
//! carry their block's external labels.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use quiver_bucket::block::Block;
use quiver_proto::{Labels, TimeRange};
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
    let blocks = overlapping(&s, range).await?;
    let mut found: BTreeSet<Labels> = BTreeSet::new();
    for set in &sets {
        for b in &blocks {
            let live = b.select_external(set, range).await?.into_iter().filter(|e| !b.is_deleted(e));
            found.extend(live.map(|e| e.labels));
        }
    }
    let found: Vec<Json> = found.iter().map(labels_json).collect();
    Ok(limited_answer(found, limit))
}

pub(crate) async fn labels(State(s): State<ApiState>, params: Params) -> Result<Response, ApiError> {
    let limit = params.limit()?;
    let range = time_range(&params)?;
    let sets = params.matcher_sets().map_err(ApiError::BadData)?;
    let blocks = overlapping(&s, range).await?;
    let mut names: BTreeSet<String> = BTreeSet::new();
    if sets.is_empty() {
        for b in &blocks {
            names.extend(b.label_names());
        }
    }
    for set in &sets {
        for b in &blocks {
            for l in b.series_labels(set).await? {
                names.extend(l.iter().map(|l| l.name.clone()));
            }
        }
    }
    Ok(limited_answer(names.into_iter().map(Json::String).collect(), limit))
}

pub(crate) async fn label_values(
    State(s): State<ApiState>,
    Path(raw): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let name = label_name(&raw).ok_or_else(|| ApiError::BadData(format!("invalid label name: {raw:?}")))?;
    let limit = params.limit()?;
    let range = time_range(&params)?;
    let sets = params.matcher_sets().map_err(ApiError::BadData)?;
    let blocks = overlapping(&s, range).await?;
    let mut values: BTreeSet<String> = BTreeSet::new();
    if sets.is_empty() {
        for b in &blocks {
            values.extend(b.label_values(&name));
        }
    }
    for set in &sets {
        for b in &blocks {
            values
                .extend(b.series_labels(set).await?.iter().filter_map(|l| l.get(&name)).map(str::to_string));
        }
    }
    Ok(limited_answer(values.into_iter().map(Json::String).collect(), limit))
}

/// `start` and `end`, by default all of time.
fn time_range(params: &Params) -> Result<TimeRange, ApiError> {
    Ok(TimeRange::new(params.time_or("start", MIN_TIME_MS)?, params.time_or("end", MAX_TIME_MS)?))
}

/// The blocks whose half-open `[min_time, max_time)` overlaps `range`.
async fn overlapping(s: &ApiState, range: TimeRange) -> Result<Vec<Arc<Block>>, ApiError> {
    let mut blocks = s.blocks.current().await?;
    blocks.retain(|b| b.overlaps(&range));
    Ok(blocks)
}

fn limited_answer(mut items: Vec<Json>, limit: usize) -> Response {
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        return success(Json::Array(items), &[TRUNCATED.into()], &[]);
    }
    success(Json::Array(items), &[], &[])
}
