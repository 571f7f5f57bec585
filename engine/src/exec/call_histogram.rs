//! The histogram functions of [`CallExec`]: `histogram_count`, `histogram_sum`, `histogram_avg`,
//! `histogram_stddev`, `histogram_stdvar` over native histogram samples, and
//! `histogram_quantile`, `histogram_quantiles` and `histogram_fraction` over native histograms
//! and classic (`le` bucket) histograms alike, as Prometheus 3 evaluates them.
//!
//! Prometheus runs with delayed name removal here: a series keeps its `__name__` until the end
//! of the query, so classic buckets are grouped by all their labels but `le` (two metrics with
//! the same other labels are two histograms), annotations name the metric, and the outputs are
//! only marked for name dropping.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use quiver_planner::node::Call;
use quiver_proto::{FloatHistogram, HistogramInfo, Labels, format_g};

use super::call::CallExec;
use super::common::{Hist, QueryContext, Rows, Val};
use crate::annotations::{Annotation, AnnotationSet};
use crate::error::{EngineError, Result};
use crate::functions::classic_histogram::{
    Bucket, bucket_fraction, bucket_quantile, bucket_upper_bound, invalid_quantile_warning, labels_without_le,
};
use crate::functions::labels::set_label;

/// Whether [`CallExec::histogram_call`] evaluates the function `name`.
pub(super) fn is_histogram_function(name: &str) -> bool {
    matches!(
        name,
        "histogram_count"
            | "histogram_sum"
            | "histogram_avg"
            | "histogram_stddev"
            | "histogram_stdvar"
            | "histogram_fraction"
            | "histogram_quantile"
            | "histogram_quantiles"
    )
}

/// A scalar argument's value at each step (scalars hold exactly one float per step).
pub(super) fn scalar_by_step(rows: &Rows) -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    for i in 0..rows.len() {
        if rows.hist(i).is_none() {
            out.entry(rows.ts[i]).or_insert(rows.values[i]);
        }
    }
    out
}

impl CallExec {
    /// Evaluates one of the functions [`is_histogram_function`] accepts. `inputs` are the
    /// non-string arguments in order.
    pub(super) fn histogram_call(node: &Call, qctx: &QueryContext, inputs: Vec<Rows>) -> Result<Rows> {
        let mut annos = AnnotationSet::new();
        let mut args = inputs.into_iter();
        let mut next = || args.next().unwrap_or_default();
        let mut ev = Evaluator::new(qctx);
        let result = match node.func.as_str() {
            "histogram_quantile" => {
                let q = scalar_by_step(&next());
                ev.quantiles(node, &next(), &[q], None, &mut annos)
            }
            "histogram_quantiles" => {
                let input = next();
                let qs: Vec<BTreeMap<i64, f64>> = args.map(|r| scalar_by_step(&r)).collect();
                let label = node.strings.first().map(String::as_str).unwrap_or("");
                ev.quantiles(node, &input, &qs, Some(label), &mut annos)
            }
            "histogram_fraction" => {
                let (lower, upper) = (scalar_by_step(&next()), scalar_by_step(&next()));
                ev.fraction(node, &next(), &lower, &upper, &mut annos)
            }
            name => Ok(ev.native_stat(name, &next())),
        };
        // Prometheus reports these at the histogram argument, an invalid φ at φ.
        let vector_arg = match node.func.as_str() {
            "histogram_quantile" => 1,
            "histogram_fraction" => 2,
            _ => 0,
        };
        let arg_pos = |i: usize| crate::annotations::at(node.arg_pos.get(i).copied().flatten());
        for (a, pos) in annos.iter() {
            let at = match a {
                Annotation::InvalidQuantile { .. } => arg_pos(0),
                _ => arg_pos(vector_arg),
            };
            let msg = a.message(pos.or(at));
            if a.is_warning() { qctx.warn(msg) } else { qctx.info(msg) }
        }
        result.map(Rows::sorted)
    }

    /// `-v` of the native histogram samples of `input` (its float samples are the caller's):
    /// every count and the sum negated, which makes the histogram a gauge.
    pub(super) fn negate_histograms(qctx: &QueryContext, input: &Rows, scalar: bool, rows: &mut Rows) {
        for i in 0..input.len() {
            let Some(h) = input.hist(i) else { continue };
            let id = input.series[i];
            let out = if scalar { id } else { qctx.series.with_name_dropped(id) };
            let mut neg = FloatHistogram::clone(h);
            neg.mul(-1.0);
            rows.push_hist(out, input.ts[i], Arc::new(neg));
        }
    }
}

/// The value of `histogram_count`, `histogram_sum`, ... of one native histogram.
fn stat_of(name: &str, h: &FloatHistogram) -> Option<f64> {
    Some(match name {
        "histogram_count" => h.count,
        "histogram_sum" => h.sum,
        "histogram_avg" => h.sum / h.count,
        "histogram_stddev" => quiver_proto::histogram_stddev(h),
        "histogram_stdvar" => quiver_proto::histogram_stdvar(h),
        _ => return None,
    })
}

/// `histogram_quantiles`' label value for quantile `q`, as Prometheus's
/// `labels.FormatOpenMetricsFloat`: Go's shortest `g` format, with `.0` appended to integers.
pub(super) fn openmetrics_float(q: f64) -> String {
    if q.is_nan() {
        return "NaN".into();
    }
    if q.is_infinite() {
        return if q > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format_g(q);
    if s.contains(['e', '.']) { s } else { format!("{s}.0") }
}

/// What the functions need to know about an input series, looked up once per query.
struct SeriesInfo {
    /// All labels, the metric name included even when marked for dropping.
    labels: Arc<Labels>,
    /// The labels without `le`: the classic histogram a bucket series belongs to.
    group: Arc<Labels>,
    /// The bucket's upper bound, or the bad bucket label warning.
    upper_bound: std::result::Result<f64, Annotation>,
}

/// One step of a histogram function's input, split as Prometheus's `resetHistograms` does.
#[derive(Default)]
struct StepInput {
    /// Native histogram samples (input series id and histogram).
    native: Vec<(u32, Hist)>,
    /// Classic histograms: the float samples grouped by their labels without `le`.
    classic: BTreeMap<Arc<Labels>, Vec<Bucket>>,
}

/// Per-query state of one histogram function call: series lookups and output series ids are
/// cached, and the output is checked for duplicate series at a step.
struct Evaluator<'a> {
    qctx: &'a QueryContext,
    series: HashMap<u32, SeriesInfo>,
    /// Output series by (labels, quantile label value).
    out_ids: HashMap<(Arc<Labels>, Option<String>), u32>,
    rows: Rows,
    seen: HashSet<(u32, i64)>,
}

impl<'a> Evaluator<'a> {
    fn new(qctx: &'a QueryContext) -> Self {
        Evaluator {
            qctx,
            series: HashMap::new(),
            out_ids: HashMap::new(),
            rows: Rows::default(),
            seen: HashSet::new(),
        }
    }

    fn info(&mut self, id: u32) -> &SeriesInfo {
        let qctx = self.qctx;
        self.series.entry(id).or_insert_with(|| {
            let labels = qctx.entry(id).labels;
            SeriesInfo {
                group: Arc::new(labels_without_le(&labels)),
                upper_bound: bucket_upper_bound(&labels, true),
                labels,
            }
        })
    }

    /// The output series for `labels`, with `quantile_label` set to `q` when given; its metric
    /// name is marked for dropping.
    fn output_id(&mut self, labels: &Arc<Labels>, quantile: Option<(&str, f64)>) -> u32 {
        let q = quantile.map(|(_, q)| openmetrics_float(q));
        let key = (Arc::clone(labels), q);
        if let Some(id) = self.out_ids.get(&key) {
            return *id;
        }
        let out = match (quantile, &key.1) {
            (Some((label, _)), Some(v)) => set_label(labels, label, v),
            _ => Labels::clone(labels),
        };
        let has_name = crate::series_table::has_metadata(&out);
        let id = self.qctx.series.add(out, has_name);
        self.out_ids.insert(key, id);
        id
    }

    /// Adds an output sample; two samples of one series at a step fail the query as in
    /// Prometheus.
    fn push(&mut self, id: u32, t: i64, v: f64) -> Result<()> {
        if !self.seen.insert((id, t)) {
            return Err(EngineError::Eval("vector cannot contain metrics with the same labelset".into()));
        }
        self.rows.push(id, t, v);
        Ok(())
    }

    /// `histogram_count` and friends: one float per native histogram sample; floats are ignored.
    fn native_stat(&mut self, name: &str, input: &Rows) -> Rows {
        let mut rows = Rows::default();
        for i in 0..input.len() {
            let Some(h) = input.hist(i) else { continue };
            if let Some(v) = stat_of(name, h) {
                rows.push(self.qctx.series.with_name_dropped(input.series[i]), input.ts[i], v);
            }
        }
        rows
    }

    /// Splits one step's samples into native histograms and classic bucket groups. A classic
    /// histogram with the labels of a native histogram sample makes both ambiguous: both are
    /// left out with a warning. Buckets with a malformed `le` are left out with a warning.
    fn split(&mut self, samples: &[(u32, Val)], annos: &mut AnnotationSet) -> StepInput {
        let mut step = StepInput::default();
        for (id, v) in samples {
            match v {
                Val::H(h) => step.native.push((*id, Arc::clone(h))),
                Val::F(count) => {
                    let info = self.info(*id);
                    match &info.upper_bound {
                        Ok(upper_bound) => {
                            let b = Bucket { upper_bound: *upper_bound, count: *count };
                            step.classic.entry(Arc::clone(&info.group)).or_default().push(b);
                        }
                        Err(a) => annos.add(a.clone(), None),
                    }
                }
            }
        }
        let mut native = std::mem::take(&mut step.native);
        native.retain(|(id, _)| {
            let labels = Arc::clone(&self.info(*id).labels);
            if step.classic.remove(&labels).is_none() {
                return true;
            }
            let metric_name = labels.metric_name().unwrap_or("").to_string();
            annos.add(Annotation::MixedClassicNativeHistograms { metric_name }, None);
            false
        });
        step.native = native;
        step
    }

    /// `histogram_quantile(q, v)` (`quantile_label` `None`, one `qs`) or
    /// `histogram_quantiles(v, quantile_label, q...)`.
    fn quantiles(
        &mut self,
        node: &Call,
        input: &Rows,
        qs: &[BTreeMap<i64, f64>],
        quantile_label: Option<&str>,
        annos: &mut AnnotationSet,
    ) -> Result<Rows> {
        let mut by_step = input.by_step();
        for t in node.steps.timestamps() {
            let qs: Vec<f64> = qs.iter().map(|m| m.get(&t).copied().unwrap_or(f64::NAN)).collect();
            for &q in &qs {
                if let Some(a) = invalid_quantile_warning(q) {
                    annos.add(a, None);
                }
            }
            let samples = by_step.remove(&t).unwrap_or_default();
            let step = self.split(&samples, annos);
            for &q in &qs {
                let label = quantile_label.map(|l| (l, q));
                for (id, h) in &step.native {
                    let labels = Arc::clone(&self.info(*id).labels);
                    let (v, info) = quiver_proto::histogram_quantile(q, h);
                    if let Some(info) = info {
                        annos.add(histogram_info(info, &labels), None);
                    }
                    let out = self.output_id(&labels, label);
                    self.push(out, t, v)?;
                }
                for (group, buckets) in &step.classic {
                    let r = bucket_quantile(q, &mut buckets.clone());
                    if let Some(a) = r.forced_monotonicity_info(group.metric_name().unwrap_or(""), t) {
                        annos.add(a, None);
                    }
                    let out = self.output_id(group, label);
                    self.push(out, t, r.value)?;
                }
            }
        }
        Ok(std::mem::take(&mut self.rows))
    }

    /// `histogram_fraction(lower, upper, v)`.
    fn fraction(
        &mut self,
        node: &Call,
        input: &Rows,
        lower: &BTreeMap<i64, f64>,
        upper: &BTreeMap<i64, f64>,
        annos: &mut AnnotationSet,
    ) -> Result<Rows> {
        let mut by_step = input.by_step();
        for t in node.steps.timestamps() {
            let (Some(&lo), Some(&hi)) = (lower.get(&t), upper.get(&t)) else { continue };
            let samples = by_step.remove(&t).unwrap_or_default();
            let mut step = self.split(&samples, annos);
            for (id, h) in &step.native {
                let labels = Arc::clone(&self.info(*id).labels);
                let (v, info) = quiver_proto::histogram_fraction(lo, hi, h);
                if let Some(info) = info {
                    annos.add(histogram_info(info, &labels), None);
                }
                let out = self.output_id(&labels, None);
                self.push(out, t, v)?;
            }
            for (group, buckets) in &mut step.classic {
                let v = bucket_fraction(lo, hi, buckets);
                let out = self.output_id(group, None);
                self.push(out, t, v)?;
            }
        }
        Ok(std::mem::take(&mut self.rows))
    }
}

/// The annotation for what a native histogram kernel reported about the series `labels`.
fn histogram_info(info: HistogramInfo, labels: &Labels) -> Annotation {
    let metric_name = labels.metric_name().unwrap_or("").to_string();
    match info {
        HistogramInfo::QuantileNaNResult => Annotation::NativeHistogramQuantileNaNResult { metric_name },
        HistogramInfo::QuantileNaNSkew => Annotation::NativeHistogramQuantileNaNSkew { metric_name },
        HistogramInfo::FractionNaNs => Annotation::NativeHistogramFractionNaNs { metric_name },
    }
}
