//! `CallExec`: functions over instant vectors and scalars, applied at each step. Functions of
//! one series at a time (`abs`, `round`, `clamp`, `timestamp`, the date functions of a vector,
//! ...) stream batch by batch in as many partitions as their input, their scalar arguments read
//! once as side inputs; the others (`sort`, `absent`, `scalar`, `label_replace`, the histogram
//! functions, ...) read their whole input.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::FutureExt;
use futures::future::BoxFuture;
use quiver_planner::node::Call;
use quiver_proto::Labels;

use super::call_histogram::{is_histogram_function, scalar_by_step};
use super::common::{Emission, ExecCore, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{BatchEval, BlockingStream, Kernel, MapStream, SideInputs};
use super::rows::Rows;
use crate::error::{EngineError, Result};
use crate::functions::instant::{self, DateFunction, MathFunction};
use crate::functions::labels::{LabelJoin, LabelReplace};

#[derive(Debug)]
pub(crate) struct CallExec {
    node: Call,
    core: ExecCore,
    /// Whether the function works one series at a time: then it streams, and `sides` are its
    /// scalar arguments after the vector.
    per_series: bool,
    sides: SideInputs,
}

/// A function of one series at a time.
pub(crate) type CallStream = MapStream<CallEval>;
/// A function over the whole input.
pub(crate) type CallAllStream = BlockingStream<CallKernel>;

/// Whether `call` maps each series of its first (vector) argument on its own.
fn per_series(call: &Call) -> bool {
    let name = call.func.as_str();
    let vector_first = call.arg_scalar.first() == Some(&false);
    let rest_scalar = call.arg_scalar.iter().skip(1).all(|&s| s);
    vector_first
        && rest_scalar
        && (MathFunction::from_name(name).is_some()
            || DateFunction::from_name(name).is_some()
            || matches!(name, "__neg__" | "round" | "clamp" | "clamp_min" | "clamp_max" | "timestamp"))
}

impl CallExec {
    pub(crate) fn new(node: Call, children: Vec<Arc<dyn ExecutionPlan>>, qctx: Arc<QueryContext>) -> Self {
        let per_series = per_series(&node);
        let (partitions, emission, sides) = if per_series {
            let n = children.first().map_or(1, |c| c.properties().output_partitioning().partition_count());
            (n, Emission::Incremental, SideInputs::new(children.iter().skip(1).cloned().collect()))
        } else {
            (1, Emission::Final, SideInputs::default())
        };
        let props = properties(partitions, emission, true);
        Self { node, core: ExecCore::new(children, qctx, props), per_series, sides }
    }
}

impl DisplayAs for CallExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for CallExec {
    plan_accessors!("CallExec");

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
        if self.per_series
            && let Some(first) = self.core.children.first()
        {
            let input = first.execute(partition, Arc::clone(&ctx))?;
            let sides = self.sides.get(ctx, Arc::clone(&qctx));
            let eval = CallEval { node: self.node.clone(), qctx: Arc::clone(&qctx) };
            return Ok(Box::pin(CallStream::new(input, sides, eval, qctx, metrics)));
        }
        let kernel = CallKernel { node: self.node.clone(), qctx: Arc::clone(&qctx) };
        let children = self.core.children.clone();
        Ok(Box::pin(CallAllStream::new(kernel, children, ctx, qctx, metrics, "CallExec")))
    }
}

/// A function of one series at a time, over one batch.
pub(crate) struct CallEval {
    node: Call,
    qctx: Arc<QueryContext>,
}

impl BatchEval for CallEval {
    fn eval(&mut self, input: Rows, sides: &[Arc<Rows>], out: &mut Rows) -> Result<()> {
        let mut inputs = vec![input];
        inputs.extend(sides.iter().map(|s| Rows::clone(s)));
        let mut rows = CallExec::eval(&self.node, &self.qctx, inputs)?;
        out.append(&mut rows);
        Ok(())
    }
}

/// A function over its whole input.
pub(crate) struct CallKernel {
    node: Call,
    qctx: Arc<QueryContext>,
}

impl Kernel for CallKernel {
    fn run(self, inputs: Vec<Rows>) -> BoxFuture<'static, Result<Rows>> {
        async move { CallExec::eval(&self.node, &self.qctx, inputs) }.boxed()
    }
}

impl CallExec {
    fn eval(node: &Call, qctx: &QueryContext, mut inputs: Vec<Rows>) -> Result<Rows> {
        if let Some(rows) = super::call_special::eval(node, qctx, &mut inputs)? {
            return Ok(rows);
        }
        let mut rows = Rows::default();
        let name = node.func.as_str();
        if is_histogram_function(name) {
            return Self::histogram_call(node, qctx, inputs);
        }
        let mut inputs = inputs.into_iter();
        let first = inputs.next().unwrap_or_default();
        // Scalar arguments after the vector, one value per step.
        let scalars: Vec<std::collections::BTreeMap<i64, f64>> = inputs.map(|r| scalar_by_step(&r)).collect();
        let arg = |i: usize, t: i64| scalars.get(i).and_then(|m| m.get(&t)).copied().unwrap_or(f64::NAN);
        let first_scalar = node.arg_scalar.first().copied().unwrap_or(false);
        let per_sample = |f: &dyn Fn(f64, i64) -> Option<f64>, rows: &mut Rows| {
            // Prometheus's float functions skip native histogram samples.
            for i in (0..first.len()).filter(|&i| first.hist(i).is_none()) {
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
                Self::negate_histograms(qctx, &first, first_scalar, &mut rows);
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
                let empty = qctx.series.add(Labels::empty(), false);
                node.steps.timestamps().for_each(|t| rows.push(empty, t, d.apply_at_ms(t)));
            } else {
                per_sample(&|v, _| Some(d.apply(v)), &mut rows);
            }
            return Ok(rows.sorted());
        }
        if name == "label_replace" || name == "label_join" {
            return Self::relabel(node, qctx, first);
        }
        let inputs = vec![first];
        let empty = qctx.series.add(Labels::empty(), false);
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
                for i in (0..input.len()).filter(|&i| input.hist(i).is_none()) {
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
        // Series relabelled alike become one output series, as in Prometheus.
        let mut outputs: std::collections::HashMap<(Labels, bool), u32> = std::collections::HashMap::new();
        let mut output = |labels: Labels, drop: bool| {
            *outputs.entry((labels.clone(), drop)).or_insert_with(|| qctx.series.add(labels, drop))
        };
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
                            Some(l) => output(l, e.drop_name && !r.sets_metric_name()),
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
                    output(j.apply(&e.labels), e.drop_name && !j.sets_metric_name())
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
