//! `RangeCallExec`: a range function over a range selector or a subquery. Over a selector the
//! two are fused: chunks are decoded once per series and every step's window `(t - range, t]`
//! is handed to the function kernel. Over a subquery, the subquery's rows are the samples.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_planner::node::RangeCall;
use quiver_proto::{CounterResetHint, FloatHistogram, TimeRange};

use super::common::{Hist, QueryContext, Rows, compile_matchers, decode_samples, prom_exec, stats_histogram};
use crate::error::{EngineError, Result};
use crate::functions::range::{RangeFunction, RangeValue, Window, eval_range};

prom_exec!(RangeCallExec, RangeCall);

/// One input series: its metric name (for annotations), the output series id, and its
/// non-stale samples in time order.
struct SeriesInput {
    name: Option<String>,
    out_id: u32,
    floats: Vec<(i64, f64)>,
    hists: Vec<(i64, Hist)>,
}

impl RangeCallExec {
    async fn run(node: RangeCall, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let func = RangeFunction::from_name(&node.func)
            .ok_or_else(|| EngineError::Unsupported(format!("range function {}", node.func)))?;
        let sel = &node.selector;
        // (step, end of its window): the window is (end - range, end].
        let steps: Vec<(i64, i64)> =
            node.steps.timestamps().map(|t| (t, sel.at_ms.unwrap_or(t) - sel.offset_ms)).collect();
        let (Some(lo), Some(hi)) = (steps.iter().map(|s| s.1).min(), steps.iter().map(|s| s.1).max()) else {
            return Ok(Rows::default());
        };
        let series = match inputs.pop() {
            Some(sub) => Self::from_subquery(&qctx, func, sub),
            None => Self::from_store(&node, &qctx, func, TimeRange::new(lo - node.range_ms + 1, hi)).await?,
        };
        let params: Vec<f64> = node.params.iter().map(|p| p.get()).collect();
        let mut rows = Rows::default();
        for s in &series {
            qctx.check()?;
            let hists: Vec<(i64, &FloatHistogram)> = s.hists.iter().map(|(t, h)| (*t, h.as_ref())).collect();
            for &(step, end) in &steps {
                let start = end - node.range_ms;
                let (flo, fhi) = window(&s.floats, start, end);
                let (hlo, hhi) = window(&hists, start, end);
                // Below histogram_count and friends each window is read afresh: its first
                // histogram has no predecessor to detect a counter reset against.
                let stats: Vec<(i64, FloatHistogram)> = if node.selector.histogram_stats {
                    (hlo..hhi)
                        .map(|k| (hists[k].0, stats_histogram(hists[k].1, (k > hlo).then(|| hists[k - 1].1))))
                        .collect()
                } else {
                    Vec::new()
                };
                let stats_refs: Vec<(i64, &FloatHistogram)> = stats.iter().map(|(t, h)| (*t, h)).collect();
                let window_hists =
                    if node.selector.histogram_stats { &stats_refs[..] } else { &hists[hlo..hhi] };
                let mut w = Window::new(&s.floats[flo..fhi], window_hists, start, end);
                w.eval_ts_ms = step;
                w.metric_name = s.name.as_deref();
                let out = eval_range(func, &w, &params).map_err(|e| EngineError::Eval(e.0))?;
                for a in &out.annotations {
                    let msg = a.message(crate::annotations::at(node.pos));
                    if a.is_warning() { qctx.warn(msg) } else { qctx.info(msg) }
                }
                match out.value {
                    Some(RangeValue::Float(v)) => rows.push(s.out_id, step, v),
                    Some(RangeValue::Histogram(h)) => rows.push_hist(s.out_id, step, Arc::new(h)),
                    None => {}
                }
            }
        }
        Ok(rows.sorted())
    }

    async fn from_store(
        node: &RangeCall,
        qctx: &QueryContext,
        func: RangeFunction,
        range: TimeRange,
    ) -> Result<Vec<SeriesInput>> {
        let matchers = compile_matchers(&node.selector.matchers)?;
        let mut out = Vec::new();
        for s in qctx.store.select(&matchers, range).await? {
            let decoded = decode_samples(&s)?;
            qctx.account(decoded.len())?;
            let (floats, hists) = decoded.split();
            let name = s.labels.metric_name().map(str::to_string);
            let out_id = qctx.series.intern(s.labels, !func.keeps_metric_name());
            out.push(SeriesInput { name, out_id, floats, hists });
        }
        Ok(out)
    }

    /// The subquery's rows per series. Their counter reset hints become "unknown": a subquery
    /// may skip the sample that reset, or return one sample several times (as Prometheus does).
    fn from_subquery(qctx: &QueryContext, func: RangeFunction, rows: Rows) -> Vec<SeriesInput> {
        let mut by_series: BTreeMap<u32, SeriesInput> = BTreeMap::new();
        for i in 0..rows.len() {
            let id = rows.series[i];
            let s = by_series.entry(id).or_insert_with(|| {
                let e = qctx.series.get(id);
                let name = e.labels.metric_name().map(str::to_string);
                let drop = e.drop_name || !func.keeps_metric_name();
                let out_id = qctx.series.intern(quiver_proto::Labels::clone(&e.labels), drop);
                SeriesInput { name, out_id, floats: Vec::new(), hists: Vec::new() }
            });
            match &rows.hists[i] {
                Some(h)
                    if matches!(
                        h.counter_reset_hint,
                        CounterResetHint::CounterReset | CounterResetHint::NotCounterReset
                    ) =>
                {
                    let mut h = FloatHistogram::clone(h);
                    h.counter_reset_hint = CounterResetHint::Unknown;
                    s.hists.push((rows.ts[i], Arc::new(h)));
                }
                Some(h) => s.hists.push((rows.ts[i], Arc::clone(h))),
                None => s.floats.push((rows.ts[i], rows.values[i])),
            }
        }
        let mut out: Vec<SeriesInput> = by_series.into_values().collect();
        for s in &mut out {
            s.floats.sort_by_key(|p| p.0);
            s.hists.sort_by_key(|p| p.0);
        }
        out
    }
}

/// The index range of the samples in `(start, end]`.
fn window<T>(samples: &[(i64, T)], start: i64, end: i64) -> (usize, usize) {
    (samples.partition_point(|(t, _)| *t <= start), samples.partition_point(|(t, _)| *t <= end))
}
