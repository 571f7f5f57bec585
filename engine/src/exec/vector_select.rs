//! `VectorSelectExec`: an instant-vector selector evaluated at every step, fused with the read:
//! each series from the source is decoded (only the chunks some step's lookback window needs),
//! read at every step (offset and `@` applied, the newest sample in the lookback window unless
//! it is a staleness marker) and dropped. The partitions share one stream of the series.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use quiver_planner::node::{SelectorModifier, StepTimes, VectorSelect};
use quiver_proto::{QueryHints, SeriesRequest, StoreSeries, TimeRange};

use super::common::{Emission, ExecCore, compile_matchers, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{SelectStream, SeriesEval, SharedSource};
use super::rows::Rows;
use super::samples::{SeriesSamples, Windows, decode_samples_into, newest_in_lookback, stats_histogram};
use super::smoothed::smoothed_series;
use crate::error::Result;

#[derive(Debug)]
pub(crate) struct VectorSelectExec {
    node: VectorSelect,
    core: ExecCore,
    source: SharedSource,
}

pub(crate) type VectorSelectStream = SelectStream<VectorSelectEval>;

impl VectorSelectExec {
    pub(crate) fn new(node: VectorSelect, qctx: Arc<QueryContext>) -> Self {
        let props = properties(qctx.partitions, Emission::Incremental, true);
        Self { node, core: ExecCore::new(Vec::new(), qctx, props), source: SharedSource::default() }
    }
}

impl DisplayAs for VectorSelectExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VectorSelectExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for VectorSelectExec {
    plan_accessors!("VectorSelectExec");

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _ctx: Arc<TaskContext>,
    ) -> datafusion::error::Result<SendableRecordBatchStream> {
        let qctx = Arc::clone(&self.core.qctx);
        let sel = &self.node.selector;
        let steps = sel.step_times(self.node.steps.timestamps());
        let smoothed = sel.modifier == SelectorModifier::Smoothed && !self.node.timestamps;
        let after = if smoothed { self.node.lookback_ms } else { 0 };
        let (source, steps) = match steps {
            Some(StepTimes { times, lo, hi }) => {
                let range = TimeRange::new(lo - self.node.lookback_ms + 1, hi + after);
                let mut req = SeriesRequest::new(compile_matchers(&sel.matchers)?, range);
                req.hints = Some(QueryHints { step_ms: self.node.steps.step, ..QueryHints::default() });
                let store = Arc::clone(&qctx.store);
                (self.source.partition(partition, self.core.partitions(), store, req), times)
            }
            None => (quiver_proto::store::empty_stream(), Vec::new()),
        };
        let reads = steps.iter().map(|s| s.1).collect();
        let eval = VectorSelectEval {
            windows: Windows::new(reads, self.node.lookback_ms, after),
            node: self.node.clone(),
            steps,
            smoothed,
            qctx: Arc::clone(&qctx),
            samples: SeriesSamples::default(),
        };
        let sides = std::future::ready(Ok(Arc::default()));
        let metrics = self.core.selector_metrics_for(partition);
        Ok(Box::pin(VectorSelectStream::new(source, sides, eval, qctx, metrics)))
    }
}

/// The selector at every step, one series at a time.
pub(crate) struct VectorSelectEval {
    node: VectorSelect,
    /// `(step, time read at)`.
    steps: Vec<(i64, i64)>,
    windows: Windows,
    smoothed: bool,
    qctx: Arc<QueryContext>,
    /// The series being read, its buffers reused for the next.
    samples: SeriesSamples,
}

impl SeriesEval for VectorSelectEval {
    fn series(&mut self, s: StoreSeries, _sides: &[Arc<Rows>], rows: &mut Rows) -> Result<usize> {
        let (node, qctx) = (&self.node, &self.qctx);
        decode_samples_into(&s, Some(&self.windows), &mut self.samples)?;
        let samples = &self.samples;
        qctx.account(samples.len())?;
        let before = rows.len();
        if self.smoothed {
            let name = s.labels.metric_name().unwrap_or_default().to_string();
            let id = qctx.series.add(s.labels, false);
            smoothed_series(qctx, node, &self.steps, samples, &name, id, rows)?;
            qctx.hold(rows.len() - before)?;
            return Ok(samples.len());
        }
        let mut id = None;
        let mut cursor = 0;
        let mut labels = Some(s.labels);
        for &(step, eval) in &self.steps {
            let Some(i) = newest_in_lookback(samples, &mut cursor, eval, node.lookback_ms) else {
                continue;
            };
            // Registered at its first sample: a series with none is never seen downstream.
            let id = *id
                .get_or_insert_with(|| qctx.series.add(labels.take().unwrap_or_default(), node.timestamps));
            if node.timestamps {
                rows.push(id, step, samples.ts[i] as f64 / 1000.0);
            } else if let (true, Some(h)) = (node.selector.histogram_stats, samples.hist(i)) {
                // The previous histogram counts only if the iterator read it: it seeks to the
                // start of the lookback window.
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
        Ok(samples.len())
    }
}
