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
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use quiver_planner::node::Aggregate;
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::common::{QueryContext, Rows, Val, prom_exec};
use crate::annotations::Annotation;
use crate::error::{EngineError, Result};
use group::{GroupAcc, GroupOp};
use params::Params;
use select::{KOp, Selector};

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
    drop_name: bool,
    group: usize,
}

/// The input's series in the order Prometheus iterates them (by labels, as a selector returns
/// them), each with its group; groups are numbered by first appearance in that order.
#[derive(Debug, Default)]
struct Members {
    members: Vec<Member>,
    index: HashMap<u32, usize>,
    groups: Vec<Labels>,
}

impl Members {
    fn new(qctx: &QueryContext, input: &Rows, node: &Aggregate) -> Self {
        let mut ids: Vec<u32> = input.series.clone();
        ids.sort_unstable();
        ids.dedup();
        let mut entries: Vec<_> = ids.into_iter().map(|id| (id, qctx.series.get(id))).collect();
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
            out.index.insert(id, out.members.len());
            out.members.push(Member { id, labels: e.labels, drop_name: e.drop_name, group });
        }
        out
    }

    /// Each step's samples as (member index, value), in member order.
    fn by_step(&self, input: &Rows) -> Vec<(i64, Vec<(usize, Val)>)> {
        input
            .by_step()
            .into_iter()
            .map(|(t, samples)| {
                let mut s: Vec<(usize, Val)> =
                    samples.into_iter().filter_map(|(id, v)| self.index.get(&id).map(|&m| (m, v))).collect();
                s.sort_by_key(|(m, _)| *m);
                (t, s)
            })
            .collect()
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
        let steps = members.by_step(&input);
        if let Some(op) = KOp::from_name(&node.op) {
            return Self::select(op, &qctx, &node, &members, steps, &params);
        }
        let op = GroupOp::from_name(&node.op)
            .ok_or_else(|| EngineError::Unsupported(format!("aggregation {}", node.op)))?;
        let mut rows = Rows::default();
        let mut out_ids: HashMap<(usize, bool), u32> = HashMap::new();
        // One accumulator per group for the whole query, reset by `finish`; only the groups
        // with samples at a step are visited.
        let mut groups: Vec<GroupAcc> = (0..members.groups.len()).map(|_| GroupAcc::default()).collect();
        let mut touched_at: Vec<Option<i64>> = vec![None; members.groups.len()];
        for (t, samples) in steps {
            qctx.check()?;
            let mut annotations = Vec::new();
            let mut touched = Vec::new();
            for (m, v) in &samples {
                let member = &members.members[*m];
                if touched_at[member.group] != Some(t) {
                    touched_at[member.group] = Some(t);
                    touched.push(member.group);
                }
                let name = member.labels.metric_name().unwrap_or_default();
                groups[member.group].add(op, v, member.drop_name, name, &mut annotations)?;
            }
            for g in touched {
                let Some((v, drop_name)) = groups[g].finish(op, params.at(t), &mut annotations) else {
                    continue;
                };
                // The flag matters only when the group keeps the name (`by (__name__)`).
                let drop_name = drop_name && members.groups[g].metric_name().is_some();
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
        steps: Vec<(i64, Vec<(usize, Val)>)>,
        params: &Params,
    ) -> Result<Rows> {
        let labels: Vec<&Labels> = members.members.iter().map(|m| m.labels.as_ref()).collect();
        let group_of: Vec<usize> = members.members.iter().map(|m| m.group).collect();
        let selector = Selector::new(op, &group_of, members.groups.len(), &labels);
        let mut rows = Rows::default();
        for (t, samples) in steps {
            let mut annotations = Vec::new();
            for (m, v) in selector.step(params.at(t), &samples, &mut annotations) {
                rows.push_val(members.members[m].id, t, v);
            }
            annotate(qctx, node, annotations);
        }
        Ok(if node.steps.len() == 1 { rows } else { rows.sorted() })
    }
}
