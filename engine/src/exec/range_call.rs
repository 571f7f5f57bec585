//! `RangeCallExec`: a range selector and the range function over it, fused: chunks are decoded
//! once per series and every step's window `(t - range, t]` is handed to the function kernel.

use std::sync::Arc;

use quiver_planner::node::RangeCall;
use quiver_proto::{FloatHistogram, TimeRange};

use super::common::{QueryContext, Rows, compile_matchers, decode_samples, prom_exec};
use crate::error::{EngineError, Result};
use crate::functions::range::{RangeFunction, RangeValue, Window, eval_range};

prom_exec!(RangeCallExec, RangeCall);

impl RangeCallExec {
    async fn run(node: RangeCall, qctx: Arc<QueryContext>, _inputs: Vec<Rows>) -> Result<Rows> {
        let func = RangeFunction::from_name(&node.func)
            .ok_or_else(|| EngineError::Unsupported(format!("range function {}", node.func)))?;
        let matchers = compile_matchers(&node.selector.matchers)?;
        let sel = &node.selector;
        let steps: Vec<(i64, i64)> =
            node.steps.timestamps().map(|t| (t, sel.at_ms.unwrap_or(t) - sel.offset_ms)).collect();
        let (Some(lo), Some(hi)) = (steps.iter().map(|s| s.1).min(), steps.iter().map(|s| s.1).max()) else {
            return Ok(Rows::default());
        };
        let params: Vec<f64> = node.params.iter().map(|p| p.get()).collect();
        let mut rows = Rows::default();
        for s in qctx.store.select(&matchers, TimeRange::new(lo - node.range_ms + 1, hi)).await? {
            let decoded = decode_samples(&s)?;
            qctx.account(decoded.len())?;
            let (samples, hists) = decoded.split();
            let hists: Vec<(i64, &FloatHistogram)> = hists.iter().map(|(t, h)| (*t, h.as_ref())).collect();
            let id = qctx.series.intern(s.labels.clone(), !func.keeps_metric_name());
            for &(step, eval) in &steps {
                let start = eval - node.range_ms;
                let lo = samples.partition_point(|(t, _)| *t <= start);
                let hi = samples.partition_point(|(t, _)| *t <= eval);
                let hlo = hists.partition_point(|(t, _)| *t <= start);
                let hhi = hists.partition_point(|(t, _)| *t <= eval);
                let mut w = Window::new(&samples[lo..hi], &hists[hlo..hhi], start, eval);
                w.eval_ts_ms = step;
                w.metric_name = s.labels.metric_name();
                let out = eval_range(func, &w, &params).map_err(|e| EngineError::Eval(e.0))?;
                for a in &out.annotations {
                    let msg = a.message(None);
                    if a.is_warning() { qctx.warn(msg) } else { qctx.info(msg) }
                }
                match out.value {
                    Some(RangeValue::Float(v)) => rows.push(id, step, v),
                    Some(RangeValue::Histogram(h)) => rows.push_hist(id, step, Arc::new(h)),
                    None => {}
                }
            }
        }
        Ok(rows)
    }
}
