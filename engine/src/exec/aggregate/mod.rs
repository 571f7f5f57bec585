//! `AggregateExec`: PromQL aggregations over the input vector at each step, as Prometheus 3's
//! `rangeEvalAgg` evaluates them: floats and native histograms, the parameter evaluated at every
//! step, and the same annotations.
//!
//! - [`group`]: `sum`, `avg`, `count`, `group`, `min`, `max`, `stddev`, `stdvar`, `quantile`.
//! - [`select`]: `topk`, `bottomk`, `limitk`, `limit_ratio`, which keep input samples.
//! - [`count_values`].
//! - [`params`]: the numeric parameter, checked over the whole range before evaluation.

mod count_values;
mod group;
mod params;
mod select;
mod steps;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use quiver_planner::EvalSteps;
use quiver_planner::node::Aggregate;
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::common::{QueryContext, Rows, Val, prom_exec};
use crate::annotations::Annotation;
use crate::error::{EngineError, Result};
use crate::series_table::has_metadata;
use group::{GroupAcc, GroupOp};
use params::Params;
use select::{KOp, Selector};
use steps::StepRows;

prom_exec!(AggregateExec, Aggregate);

/// The labels of a series' group: `by` keeps the listed labels, `without` drops them and the
/// metric name.
fn group_labels(labels: &Labels, grouping: &[String], without: bool) -> Labels {
    let keep: Vec<Label> = labels
        .iter()
        .filter(|l| {
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
    /// The metric name, for annotations (looked up once, not per sample).
    name: String,
    drop_name: bool,
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
            let name = e.labels.metric_name().unwrap_or_default().to_string();
            out.members.push(Member { id, labels: e.labels, name, drop_name: e.drop_name, group });
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

impl AggregateExec {
    async fn run(node: Aggregate, qctx: Arc<QueryContext>, inputs: Vec<Rows>) -> Result<Rows> {
        let mut inputs = inputs.into_iter();
        let param_rows = if node.param_input.is_some() { inputs.next() } else { None };
        let input = inputs.next().unwrap_or_default();
        if node.op == "count_values" {
            return count_values::eval(&node, &qctx, &input);
        }
        let params = Params::new(node.param.map(|p| p.get()), param_rows.as_ref());
        let mut annotations = Vec::new();
        let proceed = params.check(&node.op, &mut annotations);
        annotate(&qctx, &node, annotations);
        if !proceed? {
            return Ok(Rows::default());
        }
        let members = Members::new(&qctx, &input, &node);
        let steps = members.by_step(&input, node.steps);
        if let Some(op) = KOp::from_name(&node.op) {
            return Self::select(op, &qctx, &node, &members, &input, &steps, &params);
        }
        let op = GroupOp::from_name(&node.op)
            .ok_or_else(|| EngineError::Unsupported(format!("aggregation {}", node.op)))?;
        let mut rows = Rows::default();
        let mut out_ids: HashMap<(usize, bool), u32> = HashMap::new();
        // One accumulator per group for the whole query, reset by `finish`; only the groups
        // with samples at a step are visited.
        let mut groups: Vec<GroupAcc> = (0..members.groups.len()).map(|_| GroupAcc::default()).collect();
        let mut touched_at: Vec<Option<i64>> = vec![None; members.groups.len()];
        for (t, samples) in steps.iter() {
            qctx.check()?;
            let mut annotations = Vec::new();
            let mut touched = Vec::new();
            for e in samples {
                let member = &members.members[e.member as usize];
                if touched_at[member.group] != Some(t) {
                    touched_at[member.group] = Some(t);
                    touched.push(member.group);
                }
                let name = member.name.as_str();
                let v = steps.val(e, &input);
                groups[member.group].add(op, &v, member.drop_name, name, &mut annotations)?;
            }
            for g in touched {
                let Some((v, drop_name)) = groups[g].finish(op, params.at(t), &mut annotations) else {
                    continue;
                };
                // The flag matters only when the group keeps the name (`by (__name__)`).
                let drop_name = drop_name && has_metadata(&members.groups[g]);
                let id = *out_ids
                    .entry((g, drop_name))
                    .or_insert_with(|| qctx.series.intern(members.groups[g].clone(), drop_name));
                rows.push_val(id, t, v);
            }
            annotate(&qctx, &node, annotations);
        }
        Ok(rows.sorted())
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
