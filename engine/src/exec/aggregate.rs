//! `AggregateExec`: PromQL aggregations over the input vector at each step.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_planner::node::Aggregate;
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::common::{QueryContext, Rows, prom_exec};
use crate::error::{EngineError, Result};

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

/// Kahan-compensated running sum, as Prometheus sums.
#[derive(Debug, Default, Clone, Copy)]
struct Kahan {
    sum: f64,
    c: f64,
}

impl Kahan {
    fn add(&mut self, v: f64) {
        (self.sum, self.c) = quiver_proto::kahan_sum_inc(v, self.sum, self.c);
    }
    fn value(&self) -> f64 {
        if self.sum.is_infinite() { self.sum } else { self.sum + self.c }
    }
}

impl AggregateExec {
    async fn run(node: Aggregate, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let input = inputs.pop().unwrap_or_default();
        let op = node.op.as_str();
        let mut group_cache: BTreeMap<u32, Labels> = BTreeMap::new();
        let mut rows = Rows::default();
        for (t, samples) in input.float_by_step("aggregations")? {
            let mut groups: BTreeMap<Labels, Vec<(u32, f64)>> = BTreeMap::new();
            for (id, v) in samples {
                let g = group_cache
                    .entry(id)
                    .or_insert_with(|| {
                        group_labels(&qctx.series.get(id).visible_labels(), &node.grouping, node.without)
                    })
                    .clone();
                groups.entry(g).or_default().push((id, v));
            }
            for (g, members) in groups {
                match op {
                    "topk" | "bottomk" => {
                        let k = node.param.map(|p| p.get()).unwrap_or(0.0);
                        if k < 1.0 {
                            continue;
                        }
                        let mut m = members;
                        // NaN sorts last for both: it is never among the top or bottom values.
                        m.sort_by(|a, b| {
                            let (x, y) = (a.1, b.1);
                            match (x.is_nan(), y.is_nan()) {
                                (true, true) => std::cmp::Ordering::Equal,
                                (true, false) => std::cmp::Ordering::Greater,
                                (false, true) => std::cmp::Ordering::Less,
                                _ if op == "topk" => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
                                _ => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                            }
                        });
                        for (id, v) in m.into_iter().take(k.min(1e9) as usize) {
                            rows.push(id, t, v);
                        }
                    }
                    "count_values" => {
                        let label = node.label_param.clone().unwrap_or_default();
                        let mut counts: BTreeMap<String, f64> = BTreeMap::new();
                        for (_, v) in &members {
                            *counts.entry(format_value(*v)).or_default() += 1.0;
                        }
                        for (value, n) in counts {
                            let mut b = quiver_proto::LabelsBuilder::default();
                            for l in &g {
                                b.push(l.name.clone(), l.value.clone());
                            }
                            b.set(&label, value);
                            let labels = b.build().map_err(|e| EngineError::Eval(e.to_string()))?;
                            rows.push(qctx.series.intern(labels, false), t, n);
                        }
                    }
                    _ => {
                        let v = Self::reduce(op, node.param.map(|p| p.get()), &members)?;
                        rows.push(qctx.series.intern(g, false), t, v);
                    }
                }
            }
        }
        // topk and bottomk keep their rank order: instant queries return them in it.
        Ok(if matches!(op, "topk" | "bottomk") { rows } else { rows.sorted() })
    }

    fn reduce(op: &str, param: Option<f64>, members: &[(u32, f64)]) -> Result<f64> {
        let n = members.len() as f64;
        Ok(match op {
            "sum" => {
                let mut k = Kahan::default();
                members.iter().for_each(|(_, v)| k.add(*v));
                k.value()
            }
            "avg" => {
                let mut k = Kahan::default();
                members.iter().for_each(|(_, v)| k.add(*v));
                k.value() / n
            }
            "count" => n,
            "group" => 1.0,
            "min" => {
                members.iter().map(|m| m.1).fold(f64::NAN, |a, v| if a.is_nan() || v < a { v } else { a })
            }
            "max" => {
                members.iter().map(|m| m.1).fold(f64::NAN, |a, v| if a.is_nan() || v > a { v } else { a })
            }
            "stddev" | "stdvar" => {
                let (mut mean, mut m2, mut count) = (0.0f64, 0.0f64, 0.0f64);
                for (_, v) in members {
                    count += 1.0;
                    let delta = v - mean;
                    mean += delta / count;
                    m2 += delta * (v - mean);
                }
                let var = m2 / count;
                if op == "stddev" { var.sqrt() } else { var }
            }
            "quantile" => {
                let mut vals: Vec<f64> = members.iter().map(|m| m.1).collect();
                crate::functions::quantile(param.unwrap_or(f64::NAN), &mut vals)
            }
            other => return Err(EngineError::Unsupported(format!("aggregation {other}"))),
        })
    }
}

/// A float as Prometheus formats label values made from numbers (Go's `FormatFloat(v, 'f', -1)`).
pub(crate) fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else {
        format!("{v}")
    }
}
