//! `MatrixSelectExec`: a range selector returned as a query result (an instant query's range
//! vector): every non-stale sample of each series in the left-open range, at its own timestamp.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use quiver_planner::node::MatrixSelect;
use quiver_proto::{SeriesRequest, StoreSeries, TimeRange};

use super::common::{Emission, ExecCore, compile_matchers, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{SelectStream, SeriesEval, SharedSource};
use super::rows::Rows;
use super::samples::decode_samples;
use crate::error::Result;

#[derive(Debug)]
pub(crate) struct MatrixSelectExec {
    node: MatrixSelect,
    core: ExecCore,
    source: SharedSource,
}

pub(crate) type MatrixSelectStream = SelectStream<MatrixSelectEval>;

impl MatrixSelectExec {
    pub(crate) fn new(node: MatrixSelect, qctx: Arc<QueryContext>) -> Self {
        let props = properties(qctx.partitions, Emission::Incremental, true);
        Self { node, core: ExecCore::new(Vec::new(), qctx, props), source: SharedSource::default() }
    }
}

impl DisplayAs for MatrixSelectExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatrixSelectExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for MatrixSelectExec {
    plan_accessors!("MatrixSelectExec");

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
        let eval = self.node.selector.read_at(self.node.eval_ms);
        // Left-open, as in Prometheus 3: (eval - range, eval].
        let range = TimeRange::new(eval - self.node.range_ms + 1, eval);
        let req = SeriesRequest::new(compile_matchers(&self.node.selector.matchers)?, range);
        let store = Arc::clone(&qctx.store);
        let source = self.source.partition(partition, self.core.partitions(), store, req);
        let eval = MatrixSelectEval { range, qctx: Arc::clone(&qctx) };
        let sides = std::future::ready(Ok(Arc::default()));
        let metrics = self.core.selector_metrics_for(partition);
        Ok(Box::pin(MatrixSelectStream::new(source, sides, eval, qctx, metrics)))
    }
}

pub(crate) struct MatrixSelectEval {
    range: TimeRange,
    qctx: Arc<QueryContext>,
}

impl SeriesEval for MatrixSelectEval {
    fn series(&mut self, s: StoreSeries, _sides: &[Arc<Rows>], rows: &mut Rows) -> Result<usize> {
        let samples = decode_samples(&s)?;
        self.qctx.account(samples.len())?;
        let before = rows.len();
        let mut id = None;
        let mut labels = Some(s.labels);
        for i in 0..samples.len() {
            if self.range.contains(samples.ts[i]) && !samples.is_stale(i) {
                let id =
                    *id.get_or_insert_with(|| self.qctx.series.add(labels.take().unwrap_or_default(), false));
                rows.push_val(id, samples.ts[i], samples.val(i));
            }
        }
        self.qctx.hold(rows.len() - before)?;
        Ok(samples.len())
    }
}
