//! The reducing aggregations, streamed: each input partition is folded in a task of its own into
//! one [`GroupAcc`] per group and step, series by series as its batches arrive (so samples meet
//! their group's state in the order of the partition's series, as Prometheus adds them in the
//! order of its input); the partitions' states are merged in partition order, and every group's
//! result is read off at each step. What the fold holds grows with groups times steps, the size
//! of the output, never with the input.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::Time;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use quiver_planner::EvalSteps;
use quiver_planner::node::Aggregate;
use quiver_proto::Labels;

use super::super::context::QueryContext;
use super::super::drive::{Work, collect_all, series_of, spawn_join};
use super::super::rows::{Rows, Val};
use super::group::{GroupAcc, GroupOp};
use super::params::Params;
use super::{annotate, group_labels_hiding};
use crate::annotations::Annotation;
use crate::error::{EngineError, Result};
use crate::series_table::has_metadata;

/// The fold of one aggregation over all its input partitions.
pub(crate) struct Fold {
    pub(super) node: Arc<Aggregate>,
    pub(super) op: GroupOp,
    pub(super) qctx: Arc<QueryContext>,
}

impl Work for Fold {
    fn run(
        self,
        children: Vec<Arc<dyn ExecutionPlan>>,
        ctx: Arc<TaskContext>,
        mem: Arc<MemoryReservation>,
        compute: Time,
    ) -> BoxFuture<'static, Result<Rows>> {
        async move {
            let mut children = children.into_iter();
            // The parameter first, as Prometheus evaluates it: its errors win.
            let param_rows = match (self.node.param_input.is_some(), children.next()) {
                (true, Some(p)) => Some(collect_all(&p, &ctx, &self.qctx, &mem).await?),
                (false, Some(input)) => {
                    let params = Params::new(self.node.param.map(|p| p.get()), None);
                    return self.fold_all(input, ctx, mem, params, compute).await;
                }
                _ => None,
            };
            let params = Params::new(self.node.param.map(|p| p.get()), param_rows.as_ref());
            let Some(input) = children.next() else { return Ok(Rows::default()) };
            self.fold_all(input, ctx, mem, params, compute).await
        }
        .boxed()
    }
}

impl Fold {
    /// Every partition of `input` folded in a task of its own, the folds merged in partition
    /// order and read off.
    async fn fold_all(
        &self,
        input: Arc<dyn ExecutionPlan>,
        ctx: Arc<TaskContext>,
        mem: Arc<MemoryReservation>,
        params: Params,
        compute: Time,
    ) -> Result<Rows> {
        let (node, op, qctx) = (&self.node, self.op, &self.qctx);
        let mut annotations = Vec::new();
        let proceed = params.check(&node.op, &mut annotations);
        annotate(qctx, node, annotations);
        if !proceed? {
            return Ok(Rows::default());
        }
        let n = input.properties().output_partitioning().partition_count();
        let mut tasks = Vec::with_capacity(n);
        for p in 0..n {
            let stream = input.execute(p, Arc::clone(&ctx))?;
            let (node, qctx, mem) = (Arc::clone(node), Arc::clone(qctx), Arc::clone(&mem));
            tasks.push(spawn_join(fold_partition(stream, node, op, qctx, mem, compute.clone())));
        }
        let mut merged: Option<Partial> = None;
        let mut annotations = Vec::new();
        // Joined in partition order, so the merge (and its last bits) does not depend on which
        // partition finished first; the tasks run meanwhile all the same.
        for t in tasks {
            let part = t.await?;
            let _timer = compute.timer();
            match &mut merged {
                None => merged = Some(part),
                Some(m) => m.merge(part, op, &mut annotations)?,
            }
        }
        let _timer = compute.timer();
        let rows = match merged {
            Some(m) => m.finish(op, &params, node.steps, qctx, &mut annotations)?,
            None => Rows::default(),
        };
        annotate(qctx, node, dedup(annotations));
        Ok(rows)
    }
}

/// One group's state at every step.
struct Group {
    labels: Labels,
    accs: Vec<GroupAcc>,
}

/// One partition's groups, by first appearance.
#[derive(Default)]
struct Partial {
    groups: Vec<Group>,
    index: HashMap<Labels, usize, foldhash::fast::RandomState>,
}

impl Partial {
    /// The index of the group with `labels`, created (with `steps` empty states) on first sight.
    fn group(&mut self, labels: Labels, steps: usize, mem: &MemoryReservation) -> Result<usize> {
        if let Some(&g) = self.index.get(&labels) {
            return Ok(g);
        }
        mem.try_grow(steps * size_of::<GroupAcc>() + size_of::<Group>())?;
        let g = self.groups.len();
        self.groups
            .push(Group { labels: labels.clone(), accs: (0..steps).map(|_| GroupAcc::default()).collect() });
        self.index.insert(labels, g);
        Ok(g)
    }

    fn merge(&mut self, other: Partial, op: GroupOp, annotations: &mut Vec<Annotation>) -> Result<()> {
        for g in other.groups {
            match self.index.get(&g.labels) {
                Some(&i) => {
                    for (mine, theirs) in self.groups[i].accs.iter_mut().zip(g.accs) {
                        mine.merge(op, theirs, annotations)?;
                    }
                }
                None => {
                    self.index.insert(g.labels.clone(), self.groups.len());
                    self.groups.push(g);
                }
            }
        }
        Ok(())
    }

    /// Every group's result at every step where it has one: groups in label order, each group's
    /// rows under its output series (two when some steps drop the metric name and others not).
    fn finish(
        self,
        op: GroupOp,
        params: &Params,
        steps: EvalSteps,
        qctx: &QueryContext,
        annotations: &mut Vec<Annotation>,
    ) -> Result<Rows> {
        let mut groups = self.groups;
        groups.sort_by(|a, b| a.labels.cmp(&b.labels));
        let mut rows = Rows::default();
        for Group { labels, mut accs } in groups {
            qctx.check()?;
            let keeps_name = has_metadata(&labels);
            let mut ids: [Option<u32>; 2] = [None, None];
            let labels = Arc::new(labels);
            for (slot, acc) in accs.iter_mut().enumerate() {
                let t = steps.start + slot as i64 * steps.step;
                let Some((v, drop_name)) = acc.finish(op, params.at(t), annotations) else { continue };
                // The flag matters only when the group keeps the name (`by (__name__)`).
                let drop_name = drop_name && keeps_name;
                let id = *ids[usize::from(drop_name)]
                    .get_or_insert_with(|| qctx.series.add_shared(Arc::clone(&labels), drop_name));
                rows.push_val(id, t, v);
            }
        }
        Ok(rows.sorted())
    }
}

/// The slots of one series' step timestamps among `steps`: a series' rows are mostly at
/// consecutive steps, so the next slot is found without a division.
struct Slots {
    steps: EvalSteps,
    last: Option<(i64, usize)>,
}

impl Slots {
    fn new(steps: EvalSteps) -> Self {
        Self { steps, last: None }
    }

    #[inline]
    fn of(&mut self, t: i64) -> Result<usize> {
        if let Some((prev, slot)) = self.last
            && t == prev + self.steps.step
            && t <= self.steps.end
        {
            self.last = Some((t, slot + 1));
            return Ok(slot + 1);
        }
        let off = t - self.steps.start;
        if t < self.steps.start || t > self.steps.end || off % self.steps.step != 0 {
            let steps = self.steps;
            return Err(EngineError::Eval(format!(
                "internal: aggregation input at {t} off its steps {steps:?}"
            )));
        }
        let slot = (off / self.steps.step) as usize;
        self.last = Some((t, slot));
        Ok(slot)
    }
}

/// Folds one partition's stream.
async fn fold_partition(
    mut input: datafusion::physical_plan::SendableRecordBatchStream,
    node: Arc<Aggregate>,
    op: GroupOp,
    qctx: Arc<QueryContext>,
    mem: Arc<MemoryReservation>,
    compute: Time,
) -> Result<Partial> {
    let steps = node.steps;
    let mut p = Partial::default();
    let mut annotations = Vec::new();
    while let Some(batch) = input.next().await {
        let _timer = compute.timer();
        qctx.check()?;
        let batch = batch?;
        if let Some((series, ts, values)) = Rows::float_columns(&batch) {
            // Floats only: read in place.
            let mut done = Vec::new();
            let mut i = 0;
            while i < series.len() {
                let id = series[i];
                let end = i + series[i..].iter().take_while(|&&s| s == id).count();
                let (e, hide) = qctx.entry_hiding_name(id);
                let group = group_labels_hiding(&e.labels, &node.grouping, node.without, hide);
                let g = p.group(group, steps.len(), &mem)?;
                let name = if hide { "" } else { e.labels.metric_name().unwrap_or_default() };
                let accs = &mut p.groups[g].accs;
                let mut slots = Slots::new(steps);
                if op == GroupOp::Sum {
                    for k in i..end {
                        accs[slots.of(ts[k])?].add_float_sum(values[k], e.drop_name);
                    }
                } else {
                    for k in i..end {
                        accs[slots.of(ts[k])?].add(
                            op,
                            &Val::F(values[k]),
                            e.drop_name,
                            name,
                            &mut annotations,
                        )?;
                    }
                }
                done.push(id);
                i = end;
            }
            qctx.series.release(done);
        } else {
            let mut rows = Rows::default();
            rows.extend_from_record_batch(&batch, &qctx.hists)?;
            for (id, range) in rows.runs() {
                let (e, hide) = qctx.entry_hiding_name(id);
                let group = group_labels_hiding(&e.labels, &node.grouping, node.without, hide);
                let g = p.group(group, steps.len(), &mem)?;
                let name = if hide { "" } else { e.labels.metric_name().unwrap_or_default() };
                let accs = &mut p.groups[g].accs;
                let mut slots = Slots::new(steps);
                for i in range {
                    accs[slots.of(rows.ts[i])?].add(op, &rows.val(i), e.drop_name, name, &mut annotations)?;
                }
            }
            qctx.series.release(series_of(&rows));
        }
        if !annotations.is_empty() {
            annotate(&qctx, &node, dedup(std::mem::take(&mut annotations)));
        }
    }
    Ok(p)
}

/// Annotations once each, in the order first raised.
fn dedup(annotations: Vec<Annotation>) -> Vec<Annotation> {
    let mut out: Vec<Annotation> = Vec::new();
    for a in annotations {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}
