//! `SubqueryExec`: the input's samples at the subquery's steps, passed on as they come, batch by
//! batch and partition by partition; the range function over the subquery (`RangeCallExec`)
//! slides its windows over them.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::StreamExt;
use quiver_planner::node::Subquery;

use super::common::{Emission, ExecCore, arrow_schema, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use crate::error::EngineError;

#[derive(Debug)]
pub(crate) struct SubqueryExec {
    node: Subquery,
    core: ExecCore,
}

impl SubqueryExec {
    pub(crate) fn new(
        node: Subquery,
        children: Vec<Arc<dyn ExecutionPlan>>,
        qctx: Arc<QueryContext>,
    ) -> Self {
        let partitions =
            children.first().map_or(1, |c| c.properties().output_partitioning().partition_count());
        let props = properties(partitions, Emission::Incremental, true);
        Self { node, core: ExecCore::new(children, qctx, props) }
    }
}

impl DisplayAs for SubqueryExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SubqueryExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for SubqueryExec {
    plan_accessors!("SubqueryExec");

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self::new(self.node.clone(), children, Arc::clone(&self.core.qctx))))
    }

    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> datafusion::error::Result<SendableRecordBatchStream> {
        let Some(child) = self.core.children.first() else {
            return Err(EngineError::Eval("internal: a subquery without input".into()).into());
        };
        let baseline = self.core.metrics_for(partition).baseline;
        let input = child.execute(partition, ctx)?;
        let stream = input.map(move |b| {
            if let Ok(b) = &b {
                baseline.record_output(b.num_rows());
            }
            b
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(arrow_schema(), stream)))
    }
}
