//! `count_values("label", v)`: per group, how many samples have each value, the value becoming
//! a label. A float's value is written as Go's `FormatFloat(v, 'f', -1)`, a histogram's as its
//! `String()` (Prometheus counts identical histograms together).

use std::collections::BTreeMap;

use quiver_planner::node::Aggregate;
use quiver_proto::{Label, Labels};

use super::super::common::{QueryContext, Rows, Val};
use super::group_labels;
use crate::error::{EngineError, Result};
use crate::functions::gofmt::go_quote;

pub(super) fn eval(node: &Aggregate, qctx: &QueryContext, input: &Rows) -> Result<Rows> {
    let label = node.label_param.as_deref().unwrap_or_default();
    // Strings are valid UTF-8 here, so only the empty name is invalid (Prometheus's UTF-8
    // label name validation).
    if label.is_empty() {
        return Err(EngineError::Eval(format!("invalid label name {}", go_quote(label))));
    }
    // The value label is part of the grouping with `by`; with `without` it stays unless listed.
    let mut grouping = node.grouping.clone();
    if !node.without {
        grouping.push(label.to_string());
    }
    let mut rows = Rows::default();
    let mut ids: BTreeMap<Labels, u32> = BTreeMap::new();
    for (t, samples) in input.by_step() {
        let mut counts: BTreeMap<Labels, f64> = BTreeMap::new();
        for (id, v) in samples {
            let value = match v {
                Val::F(f) => quiver_proto::format_f(f),
                Val::H(h) => h.to_string(),
            };
            // Prometheus sets the label on the full labels, before the metric name is dropped.
            let entry = qctx.entry(id);
            let mut labels: Vec<Label> = entry.labels.iter().filter(|l| l.name != label).cloned().collect();
            let at = labels.partition_point(|l| l.name.as_str() < label);
            labels.insert(at, Label::new(label, value));
            let labels = Labels::from_sorted(labels).map_err(|e| EngineError::Eval(e.to_string()))?;
            *counts.entry(group_labels(&labels, &grouping, node.without)).or_default() += 1.0;
        }
        for (labels, n) in counts {
            let id = match ids.get(&labels) {
                Some(&id) => id,
                None => {
                    let id = qctx.series.add(labels.clone(), false);
                    ids.insert(labels, id);
                    id
                }
            };
            rows.push(id, t, n);
        }
    }
    Ok(rows.sorted())
}
