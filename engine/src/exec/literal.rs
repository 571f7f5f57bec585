//! `NumberLiteralExec`: a scalar constant at every step, generated a batch at a time (a
//! subquery's inner steps can be many).

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::StreamExt;
use quiver_planner::node::NumberLiteral;
use quiver_proto::Labels;

use super::common::{BATCH_ROWS, Emission, ExecCore, arrow_schema, plan_accessors, properties};
use super::context::QueryContext;
use super::rows::Rows;

#[derive(Debug)]
pub(crate) struct NumberLiteralExec {
    node: NumberLiteral,
    core: ExecCore,
}

impl NumberLiteralExec {
    pub(crate) fn new(node: NumberLiteral, qctx: Arc<QueryContext>) -> Self {
        let props = properties(1, Emission::Incremental, true);
        Self { node, core: ExecCore::new(Vec::new(), qctx, props) }
    }
}

impl DisplayAs for NumberLiteralExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NumberLiteralExec: ")?;
        self.node.fmt_for_explain(f)
    }
}

impl ExecutionPlan for NumberLiteralExec {
    plan_accessors!("NumberLiteralExec");

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
        let baseline = self.core.metrics_for(partition).baseline;
        let id = qctx.series.add(Labels::empty(), false);
        let (steps, value) = (self.node.steps, self.node.value.get());
        let n = steps.len();
        let batches = (0..n).step_by(BATCH_ROWS).map(move |from| {
            let _timer = baseline.elapsed_compute().timer();
            qctx.check()?;
            let mut rows = Rows::default();
            for i in from..(from + BATCH_ROWS).min(n) {
                rows.push(id, steps.start + i as i64 * steps.step, value);
            }
            let batch = rows.into_batch(arrow_schema(), &qctx.hists)?;
            baseline.record_output(batch.num_rows());
            Ok(batch)
        });
        let stream = futures::stream::iter(batches).map(|r: crate::Result<_>| r.map_err(Into::into));
        Ok(Box::pin(RecordBatchStreamAdapter::new(arrow_schema(), stream)))
    }
}
