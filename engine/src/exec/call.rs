//! `CallExec`: functions over instant vectors and scalars, applied at each step.

use std::sync::Arc;

use quiver_planner::node::Call;
use quiver_proto::Labels;

use super::call_histogram::{is_histogram_function, scalar_by_step};
use super::common::{QueryContext, Rows, prom_exec};
use crate::error::{EngineError, Result};
use crate::functions::instant::{self, DateFunction, MathFunction};
use crate::functions::labels::{LabelJoin, LabelReplace};

prom_exec!(CallExec, Call);

impl CallExec {
    async fn run(node: Call, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        if let Some(rows) = super::call_special::eval(&node, &qctx, &mut inputs)? {
            return Ok(rows);
        }
        let mut rows = Rows::default();
        let name = node.func.as_str();
        if is_histogram_function(name) {
            return Self::histogram_call(&node, &qctx, inputs);
        }
        let mut inputs = inputs.into_iter();
        let first = inputs.next().unwrap_or_default();
        // Scalar arguments after the vector, one value per step.
        let scalars: Vec<std::collections::BTreeMap<i64, f64>> = inputs.map(|r| scalar_by_step(&r)).collect();
        let arg = |i: usize, t: i64| scalars.get(i).and_then(|m| m.get(&t)).copied().unwrap_or(f64::NAN);
        let first_scalar = node.arg_scalar.first().copied().unwrap_or(false);
        let per_sample = |f: &dyn Fn(f64, i64) -> Option<f64>, rows: &mut Rows| {
            // Prometheus's float functions skip native histogram samples.
            for i in (0..first.len()).filter(|&i| first.hists[i].is_none()) {
                let id = first.series[i];
                let out = if first_scalar { id } else { qctx.series.with_name_dropped(id) };
                if let Some(v) = f(first.values[i], first.ts[i]) {
                    rows.push(out, first.ts[i], v);
                }
            }
        };
        if let Some(m) = MathFunction::from_name(name) {
            per_sample(&|v, _| Some(m.apply(v)), &mut rows);
            return Ok(rows.sorted());
        }
        match name {
            "__neg__" => {
                per_sample(&|v, _| Some(-v), &mut rows);
                Self::negate_histograms(&qctx, &first, first_scalar, &mut rows);
            }
            "round" => per_sample(
                &|v, t| Some(instant::round(v, if scalars.is_empty() { 1.0 } else { arg(0, t) })),
                &mut rows,
            ),
            "clamp" => per_sample(&|v, t| instant::clamp(v, arg(0, t), arg(1, t)), &mut rows),
            "clamp_min" => per_sample(&|v, t| Some(instant::clamp_min(v, arg(0, t))), &mut rows),
            "clamp_max" => per_sample(&|v, t| Some(instant::clamp_max(v, arg(0, t))), &mut rows),
            _ => {}
        }
        if !rows.series.is_empty()
            || matches!(name, "__neg__" | "round" | "clamp" | "clamp_min" | "clamp_max")
        {
            return Ok(rows.sorted());
        }
        if let Some(d) = DateFunction::from_name(name) {
            if node.args.is_empty() {
                let empty = qctx.series.intern(Labels::empty(), false);
                node.steps.timestamps().for_each(|t| rows.push(empty, t, d.apply_at_ms(t)));
            } else {
                per_sample(&|v, _| Some(d.apply(v)), &mut rows);
            }
            return Ok(rows.sorted());
        }
        if name == "label_replace" || name == "label_join" {
            return Self::relabel(&node, &qctx, first);
        }
        let inputs = vec![first];
        let empty = qctx.series.intern(Labels::empty(), false);
        match name {
            "time" => node.steps.timestamps().for_each(|t| rows.push(empty, t, t as f64 / 1000.0)),
            "pi" => node.steps.timestamps().for_each(|t| rows.push(empty, t, std::f64::consts::PI)),
            "vector" => {
                let input = inputs.into_iter().next().unwrap_or_default();
                // vector(s) takes a scalar: the first input.
                for i in 0..input.len() {
                    rows.push(empty, input.ts[i], input.values[i]);
                }
            }
            "scalar" => {
                // The single float sample of the vector; histogram samples do not count.
                let mut by_step: std::collections::BTreeMap<i64, Vec<f64>> =
                    std::collections::BTreeMap::new();
                let input = inputs.into_iter().next().unwrap_or_default();
                for i in (0..input.len()).filter(|&i| input.hists[i].is_none()) {
                    by_step.entry(input.ts[i]).or_default().push(input.values[i]);
                }
                for t in node.steps.timestamps() {
                    let v = match by_step.get(&t).map(Vec::as_slice) {
                        Some([one]) => *one,
                        _ => f64::NAN,
                    };
                    rows.push(empty, t, v);
                }
            }
            other => return Err(EngineError::Unsupported(format!("function {other}"))),
        }
        Ok(rows.sorted())
    }

    fn relabel(node: &Call, qctx: &QueryContext, input: Rows) -> Result<Rows> {
        let s = &node.strings;
        let get = |i: usize| s.get(i).map(String::as_str).unwrap_or("");
        let mut cache: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        let mut rows = Rows::default();
        if node.func == "label_replace" {
            let r = LabelReplace::new(get(0), get(1), get(2), get(3)).map_err(|e| EngineError::Eval(e.0))?;
            for i in 0..input.len() {
                let id = input.series[i];
                let out = match cache.get(&id) {
                    Some(o) => *o,
                    None => {
                        let e = qctx.entry(id);
                        let o = match r.apply(&e.labels) {
                            Some(l) => qctx.series.intern(l, e.drop_name && !r.sets_metric_name()),
                            None => id,
                        };
                        cache.insert(id, o);
                        o
                    }
                };
                rows.push_val(out, input.ts[i], input.val(i));
            }
        } else {
            let srcs: Vec<&str> = s.iter().skip(2).map(String::as_str).collect();
            let j = LabelJoin::new(get(0), get(1), &srcs).map_err(|e| EngineError::Eval(e.0))?;
            for i in 0..input.len() {
                let id = input.series[i];
                let out = *cache.entry(id).or_insert_with(|| {
                    let e = qctx.entry(id);
                    qctx.series.intern(j.apply(&e.labels), e.drop_name && !j.sets_metric_name())
                });
                rows.push_val(out, input.ts[i], input.val(i));
            }
        }
        // Relabelling may make two series identical at a step: Prometheus refuses that.
        let mut seen = std::collections::HashSet::new();
        for i in 0..rows.len() {
            let visible = qctx.series.visible(rows.series[i]);
            if !seen.insert((visible, rows.ts[i])) {
                return Err(EngineError::Eval("vector cannot contain metrics with the same labelset".into()));
            }
        }
        Ok(rows.sorted())
    }
}
