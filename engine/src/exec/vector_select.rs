//! `VectorSelectExec`: an instant-vector selector evaluated at every step.

use std::sync::Arc;

use quiver_planner::node::{SelectorModifier, StepTimes, VectorSelect};
use quiver_proto::TimeRange;

use super::common::{
    QueryContext, Rows, compile_matchers, decode_samples, newest_in_lookback, prom_exec, stats_histogram,
};
use super::smoothed::smoothed_series;
use crate::error::Result;

prom_exec!(VectorSelectExec, VectorSelect);

impl VectorSelectExec {
    async fn run(node: VectorSelect, qctx: Arc<QueryContext>, _inputs: Vec<Rows>) -> Result<Rows> {
        let matchers = compile_matchers(&node.selector.matchers)?;
        let sel = &node.selector;
        let Some(StepTimes { times: steps, lo, hi }) = sel.step_times(node.steps.timestamps()) else {
            return Ok(Rows::default());
        };
        let smoothed = sel.modifier == SelectorModifier::Smoothed && !node.timestamps;
        let after = if smoothed { node.lookback_ms } else { 0 };
        let range = TimeRange::new(lo - node.lookback_ms + 1, hi + after);
        let mut rows = Rows::default();
        for s in qctx.select(&matchers, range).await? {
            let samples = decode_samples(&s)?;
            qctx.account(samples.len())?;
            let before = rows.len();
            if smoothed {
                let name = s.labels.metric_name().unwrap_or_default().to_string();
                let id = qctx.series.intern(s.labels, false);
                smoothed_series(&qctx, &node, &steps, &samples, &name, id, &mut rows)?;
                qctx.hold(rows.len() - before)?;
                continue;
            }
            let id = qctx.series.intern(s.labels, node.timestamps);
            let mut cursor = 0;
            for &(step, eval) in &steps {
                let Some(i) = newest_in_lookback(&samples, &mut cursor, eval, node.lookback_ms) else {
                    continue;
                };
                if node.timestamps {
                    rows.push(id, step, samples.ts[i] as f64 / 1000.0);
                } else if let (true, Some(h)) = (sel.histogram_stats, samples.hist(i)) {
                    // The previous histogram counts only if the iterator read it: it seeks to
                    // the start of the lookback window.
                    let prev = (0..i)
                        .rev()
                        .take_while(|&j| samples.ts[j] >= eval - node.lookback_ms)
                        .find_map(|j| samples.hist(j));
                    let h = stats_histogram(h, prev.map(AsRef::as_ref));
                    rows.push_hist(id, step, Arc::new(h));
                } else {
                    rows.push_val(id, step, samples.val(i));
                }
            }
            qctx.hold(rows.len() - before)?;
        }
        Ok(rows)
    }
}
