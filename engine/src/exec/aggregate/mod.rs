//! `AggregateExec`: PromQL aggregations over the input vector at each step, as Prometheus 3's
//! `rangeEvalAgg` evaluates them: floats and native histograms, the parameter evaluated at every
//! step, and the same annotations.
//!
//! The aggregations that reduce each group to one sample stream: every input partition is
//! folded, series by series as batches arrive, into one state per group and step ([`partial`]),
//! in a task of its own; the partitions' states are then merged once, in partition order, and
//! the groups' results emitted. Those that pick samples (`topk`, ...) and `count_values` read
//! their input whole, as Prometheus does.
//!
//! - [`group`]: `sum`, `avg`, `count`, `group`, `min`, `max`, `stddev`, `stdvar`, `quantile`.
//! - [`select`]: `topk`, `bottomk`, `limitk`, `limit_ratio`, which keep input samples.
//! - [`count_values`].
//! - [`params`]: the numeric parameter, checked over the whole range before evaluation.

mod count_values;
mod group;
mod params;
mod partial;
mod select;
mod steps;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::FutureExt;
use futures::future::BoxFuture;
use quiver_planner::EvalSteps;
use quiver_planner::node::Aggregate;
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::common::{Emission, ExecCore, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{BlockingStream, Kernel};
use super::rows::{Rows, Val};
use crate::annotations::Annotation;
use crate::error::{EngineError, Result};
use crate::series_table::is_metadata;
use group::GroupOp;
use params::Params;
use select::{KOp, Selector};
use steps::StepRows;

#[derive(Debug)]
pub(crate) struct AggregateExec {
    node: Aggregate,
    core: ExecCore,
}

/// `sum`, `avg` and the other reducing aggregations: input partitions folded as they stream.
pub(crate) type AggregateStream = BlockingStream<partial::Fold>;
/// `topk`, `bottomk`, `limitk`, `limit_ratio` and `count_values`, over the whole input.
pub(crate) type AggregateSelectStream = BlockingStream<AggregateKernel>;

impl AggregateExec {
    /// `children` are the node's inputs: the parameter's plan (if any), then the input.
    pub(crate) fn new(
        node: Aggregate,
        children: Vec<Arc<dyn ExecutionPlan>>,
        qctx: Arc<QueryContext>,
    ) -> Self {
        // An instant topk keeps Prometheus's output order (groups by first appearance, ranked).
        let sorted = !(KOp::from_name(&node.op).is_some() && node.steps.len() == 1);
        let props = properties(1, Emission::Final, sorted);
        Self { node, core: ExecCore::new(children, qctx, props) }
    }
}

impl DisplayAs for AggregateExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AggregateExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for AggregateExec {
    plan_accessors!("AggregateExec");

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
        let qctx = Arc::clone(&self.core.qctx);
        let metrics = self.core.metrics_for(partition);
        let children = self.core.children.clone();
        if let Some(op) = GroupOp::from_name(&self.node.op) {
            let fold = partial::Fold { node: Arc::new(self.node.clone()), op, qctx: Arc::clone(&qctx) };
            return Ok(Box::pin(AggregateStream::with_work(
                fold,
                children,
                ctx,
                qctx,
                metrics,
                "AggregateExec",
            )));
        }
        let kernel = AggregateKernel { node: self.node.clone(), qctx: Arc::clone(&qctx) };
        Ok(Box::pin(AggregateSelectStream::new(kernel, children, ctx, qctx, metrics, "AggregateExec")))
    }
}

/// The labels of a series' group: `by` keeps the listed labels, `without` drops them and the
/// metric name.
fn group_labels(labels: &Labels, grouping: &[String], without: bool) -> Labels {
    group_labels_hiding(labels, grouping, without, false)
}

/// [`group_labels`] of `labels` less their metadata labels when `hide_metadata` (a series whose
/// name an operation dropped, see `QueryContext::entry_hiding_name`).
fn group_labels_hiding(labels: &Labels, grouping: &[String], without: bool, hide_metadata: bool) -> Labels {
    let keep: Vec<Label> = labels
        .iter()
        .filter(|l| {
            if hide_metadata && is_metadata(&l.name) {
                return false;
            }
            let listed = grouping.contains(&l.name);
            if without { !listed && l.name != METRIC_NAME } else { listed }
        })
        .cloned()
        .collect();
    Labels::from_sorted(keep).unwrap_or_default()
}

/// One distinct input series.
#[derive(Debug)]
struct Member {
    id: u32,
    /// All labels, `__name__` included even when it is marked for dropping: Prometheus groups
    /// and hashes on them (delayed name removal drops the name only at the very end).
    labels: Arc<Labels>,
    group: usize,
}

/// The input's series in the order Prometheus iterates them (by labels, as a selector returns
/// them), each with its group; groups are numbered by first appearance in that order.
#[derive(Debug, Default)]
struct Members {
    members: Vec<Member>,
    groups: Vec<Labels>,
}

impl Members {
    fn new(qctx: &QueryContext, input: &Rows, node: &Aggregate) -> Self {
        // Series ids are dense: a bitmap finds the distinct ones in one pass.
        let mut present = vec![false; input.series.iter().max().map_or(0, |&m| m as usize + 1)];
        for &id in &input.series {
            present[id as usize] = true;
        }
        let ids = present.iter().enumerate().filter(|(_, p)| **p).map(|(id, _)| id as u32);
        let mut entries: Vec<_> = ids.map(|id| (id, qctx.entry(id))).collect();
        entries.sort_by(|a, b| (&a.1.labels, a.1.drop_name, a.0).cmp(&(&b.1.labels, b.1.drop_name, b.0)));
        let mut out = Members::default();
        let mut group_index: HashMap<Labels, usize> = HashMap::new();
        for (id, e) in entries {
            let g = group_labels(&e.labels, &node.grouping, node.without);
            let next = group_index.len();
            let group = *group_index.entry(g.clone()).or_insert_with(|| {
                out.groups.push(g);
                next
            });
            out.members.push(Member { id, labels: e.labels, group });
        }
        out
    }

    /// The input's rows step by step, each step's in member order.
    fn by_step(&self, input: &Rows, grid: EvalSteps) -> StepRows {
        let ids: Vec<u32> = self.members.iter().map(|m| m.id).collect();
        StepRows::new(input, &ids, grid)
    }
}

/// Reports annotations where Prometheus does: the parameter's at the parameter, the others at
/// the aggregated expression.
fn annotate(qctx: &QueryContext, node: &Aggregate, annotations: Vec<Annotation>) {
    for a in annotations {
        let param = matches!(a, Annotation::InvalidRatio { .. } | Annotation::InvalidQuantile { .. });
        let msg = a.message(crate::annotations::at(if param { node.param_pos } else { node.pos }));
        if a.is_warning() { qctx.warn(msg) } else { qctx.info(msg) }
    }
}

/// The aggregations over the whole input.
pub(crate) struct AggregateKernel {
    node: Aggregate,
    qctx: Arc<QueryContext>,
}

impl Kernel for AggregateKernel {
    fn run(self, inputs: Vec<Rows>) -> BoxFuture<'static, Result<Rows>> {
        async move { AggregateKernel::eval(&self.node, &self.qctx, inputs) }.boxed()
    }
}

impl AggregateKernel {
    fn eval(node: &Aggregate, qctx: &QueryContext, inputs: Vec<Rows>) -> Result<Rows> {
        let mut inputs = inputs.into_iter();
        let param_rows = if node.param_input.is_some() { inputs.next() } else { None };
        let input = inputs.next().unwrap_or_default();
        if node.op == "count_values" {
            return count_values::eval(node, qctx, &input);
        }
        let params = Params::new(node.param.map(|p| p.get()), param_rows.as_ref());
        let mut annotations = Vec::new();
        let proceed = params.check(&node.op, &mut annotations);
        annotate(qctx, node, annotations);
        if !proceed? {
            return Ok(Rows::default());
        }
        let members = Members::new(qctx, &input, node);
        let steps = members.by_step(&input, node.steps);
        let op = KOp::from_name(&node.op)
            .ok_or_else(|| EngineError::Unsupported(format!("aggregation {}", node.op)))?;
        Self::select(op, qctx, node, &members, &input, &steps, &params)
    }

    /// topk, bottomk, limitk and limit_ratio. An instant query keeps Prometheus's output order
    /// (groups by first appearance, topk/bottomk ranked); a range query's rows are sorted.
    fn select(
        op: KOp,
        qctx: &QueryContext,
        node: &Aggregate,
        members: &Members,
        input: &Rows,
        steps: &StepRows,
        params: &Params,
    ) -> Result<Rows> {
        let labels: Vec<&Labels> = members.members.iter().map(|m| m.labels.as_ref()).collect();
        let group_of: Vec<usize> = members.members.iter().map(|m| m.group).collect();
        let selector = Selector::new(op, &group_of, members.groups.len(), &labels);
        let mut rows = Rows::default();
        let mut samples: Vec<(usize, Val)> = Vec::new();
        for (t, entries) in steps.iter() {
            samples.clear();
            samples.extend(entries.iter().map(|e| (e.member as usize, steps.val(e, input))));
            let mut annotations = Vec::new();
            for (m, v) in selector.step(params.at(t), &samples, &mut annotations) {
                rows.push_val(members.members[m].id, t, v);
            }
            annotate(qctx, node, annotations);
        }
        Ok(if node.steps.len() == 1 { rows } else { rows.sorted() })
    }
}
