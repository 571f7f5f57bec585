//! The partitions' rows as the value Prometheus returns: a scalar, an instant vector, or a
//! matrix of series with their points (a large matrix converted on several threads).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use quiver_planner::{EvalSteps, ValueKind};
use quiver_proto::{FloatHistogram, Labels};

use crate::error::{EngineError, Result};
use crate::exec::{QueryContext, Rows, Val, spawn_join};
use crate::value::{Point, RangeSeries, Value, VectorSample, even_bounds};

/// Points from which a matrix is converted in pieces, one per thread.
const PIECE_POINTS: usize = 50_000;

fn duplicate() -> EngineError {
    EngineError::Eval("vector cannot contain metrics with the same labelset".into())
}

/// Turns the partitions' rows into the result type Prometheus returns for `kind`.
pub(crate) async fn shape(
    qctx: &QueryContext,
    parts: Vec<Rows>,
    kind: ValueKind,
    steps: EvalSteps,
    instant: bool,
) -> Result<Value> {
    if instant && matches!(kind, ValueKind::Scalar | ValueKind::Vector) {
        // One value per series: few rows, read as one.
        return shape_instant(qctx, Rows::concat(parts), kind, steps);
    }
    // Range queries, and range vectors of instant queries: one series per label set. Rows come
    // in runs of one series, so labels are looked up once per run, not per row, and the values
    // are copied once, from their partition's rows into their series.
    let mut runs: BTreeMap<Arc<Labels>, Vec<(usize, std::ops::Range<usize>)>> = BTreeMap::new();
    for (p, rows) in parts.iter().enumerate() {
        for (id, r) in rows.runs() {
            let labels =
                if kind == ValueKind::Scalar { Arc::new(Labels::empty()) } else { qctx.series.visible(id) };
            runs.entry(labels).or_default().push((p, r));
        }
    }
    let hists = parts.iter().any(Rows::has_histograms);
    let runs: Vec<Run> = runs.into_iter().collect();
    let points: usize = parts.iter().map(Rows::len).sum();
    let threads = tokio::runtime::Handle::try_current().map_or(1, |h| h.metrics().num_workers());
    let pieces = threads.min(points / PIECE_POINTS);
    if pieces < 2 {
        return Ok(Value::Matrix(series_of_runs(&parts, &runs, hists)?));
    }
    // Contiguous runs of series with about the same number of points each, converted on the
    // runtime's threads and joined in order.
    let (parts, runs) = (Arc::new(parts), Arc::new(runs));
    let bounds =
        even_bounds(runs.iter().map(|(_, ranges)| ranges.iter().map(|(_, r)| r.len()).sum()), pieces);
    let tasks: Vec<_> = bounds
        .windows(2)
        .map(|w| {
            let (parts, runs, range) = (Arc::clone(&parts), Arc::clone(&runs), w[0]..w[1]);
            spawn_join(async move { series_of_runs(&parts, &runs[range], hists) })
        })
        .collect();
    let mut out = Vec::with_capacity(runs.len());
    for t in tasks {
        out.extend(t.await?);
    }
    Ok(Value::Matrix(out))
}

/// One output series' label set and its runs of rows: (partition, rows).
type Run = (Arc<Labels>, Vec<(usize, std::ops::Range<usize>)>);

/// The series of `runs`, their points copied out of their partitions' rows.
fn series_of_runs(parts: &[Rows], runs: &[Run], hists: bool) -> Result<Vec<RangeSeries>> {
    let mut out = Vec::with_capacity(runs.len());
    for (labels, ranges) in runs {
        let mut s = RangeSeries { labels: Labels::clone(labels), ..RangeSeries::default() };
        let n: usize = ranges.iter().map(|(_, r)| r.len()).sum();
        if hists {
            for (p, r) in ranges {
                let rows = &parts[*p];
                for i in r.clone() {
                    match rows.val(i) {
                        Val::F(f) => s.floats.push((rows.ts[i], f)),
                        Val::H(h) => s.histograms.push((rows.ts[i], FloatHistogram::clone(&h))),
                    }
                }
            }
        } else {
            s.floats.reserve_exact(n);
            for (p, r) in ranges {
                let rows = &parts[*p];
                s.floats
                    .extend(rows.ts[r.clone()].iter().copied().zip(rows.values[r.clone()].iter().copied()));
            }
        }
        // Series that became one label set (a name dropped) come in several runs: in time
        // order, and two samples at one time are an error, as in Prometheus.
        if !s.floats.is_sorted_by_key(|p| p.0) || !s.histograms.is_sorted_by_key(|p| p.0) {
            s.floats.sort_by_key(|p| p.0);
            s.histograms.sort_by_key(|p| p.0);
        }
        let twice = if s.histograms.is_empty() {
            s.floats.windows(2).any(|w| w[0].0 == w[1].0)
        } else {
            let mut times: Vec<i64> =
                s.floats.iter().map(|p| p.0).chain(s.histograms.iter().map(|p| p.0)).collect();
            times.sort_unstable();
            times.windows(2).any(|w| w[0] == w[1])
        };
        if twice {
            return Err(duplicate());
        }
        out.push(s);
    }
    Ok(out)
}

/// The scalar or instant vector of an instant query.
fn shape_instant(qctx: &QueryContext, rows: Rows, kind: ValueKind, steps: EvalSteps) -> Result<Value> {
    match kind {
        ValueKind::Scalar => {
            Ok(Value::Scalar { t: steps.start, v: rows.values.first().copied().unwrap_or(f64::NAN) })
        }
        _ => {
            let mut seen: HashSet<Arc<Labels>> = HashSet::with_capacity(rows.len());
            let mut out = Vec::with_capacity(rows.len());
            for i in 0..rows.len() {
                let labels = qctx.series.visible(rows.series[i]);
                if !seen.insert(Arc::clone(&labels)) {
                    return Err(duplicate());
                }
                out.push(VectorSample {
                    labels: Labels::clone(&labels),
                    t: rows.ts[i],
                    point: point(rows.val(i)),
                });
            }
            Ok(Value::Vector(out))
        }
    }
}

fn point(v: Val) -> Point {
    match v {
        Val::F(f) => Point::Float(f),
        Val::H(h) => Point::Histogram(FloatHistogram::clone(&h)),
    }
}
