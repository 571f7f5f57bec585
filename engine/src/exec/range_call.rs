//! `RangeCallExec`: a range function over a range selector or a subquery. Over a selector the
//! two are fused: each series from the source is decoded once (only the chunks some step's
//! window needs), every step's window `(t - range, t]` is handed to the function kernel, and the
//! series is dropped. Over a subquery, each input batch of whole series takes the place of the
//! store's samples. Parameters that are expressions are side inputs, read at every step.

use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use quiver_planner::node::{RangeCall, RangeParam, SelectorModifier, StepTimes};
use quiver_proto::chunkenc::{Encoding, decode_xor_pairs_into};
use quiver_proto::{
    CounterResetHint, FloatHistogram, QueryHints, SeriesRequest, StoreSeries, TimeRange, is_stale_nan,
};

use super::common::{Emission, ExecCore, compile_matchers, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{BatchEval, MapStream, SelectStream, SeriesEval, SharedSource, SideInputs};
use super::rows::{Hist, Rows};
use super::samples::{SeriesSamples, Windows, advance, decode_samples_in, stats_histogram};
use crate::error::{EngineError, Result};
use crate::functions::range::{
    RangeFunction, RangeModifier, RangeValue, Window, counter_annotation, eval_range_kernel,
};
use crate::functions::range_aggr;
use crate::functions::range_rate::{RangeBounds, float_rate_steps};

#[derive(Debug)]
pub(crate) struct RangeCallExec {
    node: RangeCall,
    core: ExecCore,
    /// The parameters' expressions.
    params: SideInputs,
    /// Over a selector, the series its partitions share.
    source: SharedSource,
}

/// Over a selector.
pub(crate) type RangeCallStream = SelectStream<RangeCallEval>;
/// Over a subquery.
pub(crate) type RangeCallSubqueryStream = MapStream<RangeCallEval>;

impl RangeCallExec {
    pub(crate) fn new(
        node: RangeCall,
        children: Vec<Arc<dyn ExecutionPlan>>,
        qctx: Arc<QueryContext>,
    ) -> Self {
        let (primary, params) = if node.over_subquery {
            let mut c = children.into_iter();
            (c.next().into_iter().collect::<Vec<_>>(), c.collect())
        } else {
            (Vec::new(), children)
        };
        let partitions = match primary.first() {
            Some(p) => p.properties().output_partitioning().partition_count(),
            None => qctx.partitions,
        };
        let props = properties(partitions, Emission::Incremental, true);
        let params = SideInputs::new(params);
        let mut all = primary;
        all.extend(params.plans().iter().cloned());
        Self { node, core: ExecCore::new(all, qctx, props), params, source: SharedSource::default() }
    }

    /// The evaluation state of one partition.
    fn evaluation(&self) -> Result<Option<(RangeCallEval, i64, i64)>> {
        let node = &self.node;
        let func = RangeFunction::from_name(&node.func)
            .ok_or_else(|| EngineError::Unsupported(format!("range function {}", node.func)))?;
        let Some(StepTimes { times: steps, lo, hi }) = node.selector.step_times(node.steps.timestamps())
        else {
            return Ok(None);
        };
        let modifier = check_modifier(node.selector.modifier, func)?;
        // How far the windows reach beyond the range: the lookback delta before it for both
        // modifiers, and after it for `smoothed`.
        let (before, after) = match modifier {
            RangeModifier::None => (0, 0),
            RangeModifier::Anchored => (node.lookback_ms, 0),
            RangeModifier::Smoothed => (node.lookback_ms, node.lookback_ms),
        };
        let reads: Vec<i64> = steps.iter().map(|s| s.1).collect();
        let ev = RangeCallEval {
            func,
            windows: Windows::new(reads, node.range_ms + before, after),
            steps,
            range_ms: node.range_ms,
            modifier,
            before,
            after,
            params: node.params.clone(),
            param_offset: usize::from(node.over_subquery),
            param_table: None,
            histogram_stats: node.selector.histogram_stats,
            pos: node.pos,
            qctx: Arc::clone(&self.core.qctx),
            scratch: Scratch::default(),
            buffers: Buffers::default(),
        };
        Ok(Some((ev, lo, hi)))
    }
}

impl DisplayAs for RangeCallExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RangeCallExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for RangeCallExec {
    plan_accessors!("RangeCallExec");

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
        let metrics = if self.node.over_subquery {
            self.core.metrics_for(partition)
        } else {
            self.core.selector_metrics_for(partition)
        };
        let sides = self.params.get(Arc::clone(&ctx), Arc::clone(&qctx));
        let Some((ev, lo, hi)) = self.evaluation()? else {
            let source = quiver_proto::store::empty_stream();
            let ev = RangeCallEval::empty(Arc::clone(&qctx));
            return Ok(Box::pin(RangeCallStream::new(source, sides, ev, qctx, metrics)));
        };
        if self.node.over_subquery {
            let input = match self.core.children.first() {
                Some(c) => c.execute(partition, ctx)?,
                None => {
                    return Err(EngineError::Eval("internal: a range call over no subquery".into()).into());
                }
            };
            return Ok(Box::pin(RangeCallSubqueryStream::new(input, sides, ev, qctx, metrics)));
        }
        let range = TimeRange::new(lo - self.node.range_ms - ev.before + 1, hi + ev.after);
        let mut req = SeriesRequest::new(compile_matchers(&self.node.selector.matchers)?, range);
        req.hints = Some(QueryHints {
            step_ms: self.node.steps.step,
            range_ms: self.node.range_ms,
            func: Some(self.node.func.clone()),
            grouping: None,
        });
        let store = Arc::clone(&qctx.store);
        let source = self.source.partition(partition, self.core.partitions(), store, req);
        Ok(Box::pin(RangeCallStream::new(source, sides, ev, qctx, metrics)))
    }
}

/// One input series as the windows see it: its metric name (for annotations) and its
/// non-stale samples in time order.
struct SeriesView<'a> {
    name: Option<&'a str>,
    floats: &'a [(i64, f64)],
    hists: &'a [(i64, &'a FloatHistogram)],
}

/// The decoded samples of the series being evaluated, kept for the next one to reuse, so the
/// hot path allocates nothing per series once warm.
#[derive(Debug, Default)]
struct Scratch {
    floats: Vec<(i64, f64)>,
}

/// The per-window work's buffers, reused likewise.
#[derive(Debug, Default)]
struct Buffers {
    drops: Vec<u32>,
    /// Prefix sums for `sum_over_time` and `avg_over_time` (see `exact_prefix_sums`).
    prefix: Vec<f64>,
    annotations: Vec<crate::annotations::Annotation>,
}

/// The function evaluated over series after series.
pub(crate) struct RangeCallEval {
    func: RangeFunction,
    /// (step, end of its window): the window is (end - range, end].
    steps: Vec<(i64, i64)>,
    windows: Windows,
    range_ms: i64,
    modifier: RangeModifier,
    /// How far the windows reach before the range and after it.
    before: i64,
    after: i64,
    params: Vec<RangeParam>,
    /// Where the parameters' inputs start among the node's inputs (after a subquery).
    param_offset: usize,
    /// The parameters at each step, once the side inputs are read.
    param_table: Option<Vec<Vec<f64>>>,
    /// Below histogram_count and friends: histograms are read as HistogramStatsIterator does.
    histogram_stats: bool,
    pos: Option<quiver_planner::span::Pos>,
    qctx: Arc<QueryContext>,
    scratch: Scratch,
    buffers: Buffers,
}

impl RangeCallEval {
    /// The evaluation of a call without steps: it sees no series.
    fn empty(qctx: Arc<QueryContext>) -> Self {
        Self {
            func: RangeFunction::Rate,
            steps: Vec::new(),
            windows: Windows::new(Vec::new(), 0, 0),
            range_ms: 0,
            modifier: RangeModifier::None,
            before: 0,
            after: 0,
            params: Vec::new(),
            param_offset: 0,
            param_table: None,
            histogram_stats: false,
            pos: None,
            qctx,
            scratch: Scratch::default(),
            buffers: Buffers::default(),
        }
    }

    /// Works out the parameters at each step, from the literals and the side inputs, once.
    fn ensure_params(&mut self, sides: &[Arc<Rows>]) {
        if self.param_table.is_some() {
            return;
        }
        let lookup: Vec<std::collections::HashMap<i64, f64>> =
            sides.iter().map(|r| (0..r.len()).map(|i| (r.ts[i], r.values[i])).collect()).collect();
        let table: Vec<Vec<f64>> = self
            .steps
            .iter()
            .map(|&(step, _)| {
                self.params
                    .iter()
                    .map(|p| match p {
                        RangeParam::Literal(v) => v.get(),
                        RangeParam::Input(i) => lookup
                            .get(i.saturating_sub(self.param_offset))
                            .and_then(|m| m.get(&step))
                            .copied()
                            .unwrap_or(f64::NAN),
                    })
                    .collect()
            })
            .collect();
        self.param_table = Some(table);
    }

    /// Evaluates every step's window of one series into `rows`, as series `id`; annotations are
    /// gathered in `annotations` (once each). Returns whether any window gave a float.
    fn eval_windows(&self, s: &SeriesView<'_>, id: u32, rows: &mut Rows, bufs: &mut Buffers) -> Result<bool> {
        self.qctx.check()?;
        let Buffers { drops, prefix, annotations } = bufs;
        let params = self.param_table.as_deref().unwrap_or(&[]);
        let (mut fw, mut hw) = (Cursor::default(), Cursor::default());
        // For rate and increase: drops[k] counts the samples up to k below their predecessor,
        // so whether a window holds a counter reset is one subtraction.
        drops.clear();
        if matches!(self.func, RangeFunction::Rate | RangeFunction::Increase) {
            let mut n = 0;
            let mut prev = f64::NAN;
            drops.extend(s.floats.iter().map(|&(_, v)| {
                n += u32::from(v < prev);
                prev = v;
                n
            }));
        }
        let mut any_float = false;
        let rate_like =
            matches!(self.func, RangeFunction::Rate | RangeFunction::Increase | RangeFunction::Delta);
        if rate_like && s.hists.is_empty() && self.modifier == RangeModifier::None {
            // The common case, without a window per step.
            let is_counter = self.func != RangeFunction::Delta;
            let is_rate = self.func == RangeFunction::Rate;
            let end = self.steps.first().map_or(0, |s| s.1);
            let mut w = Window::new(&[], &[], end - self.range_ms, end);
            w.metric_name = s.name;
            let bounds = RangeBounds::of(&w);
            float_rate_steps(s.floats, drops, &self.steps, bounds, is_counter, is_rate, |step, v| {
                any_float = true;
                rows.push(id, step, v);
            });
            return Ok(any_float);
        }
        let sum_like = matches!(self.func, RangeFunction::SumOverTime | RangeFunction::AvgOverTime);
        if sum_like
            && s.hists.is_empty()
            && self.modifier == RangeModifier::None
            && range_aggr::exact_prefix_sums(s.floats, prefix)
        {
            let avg = self.func == RangeFunction::AvgOverTime;
            for &(step, end) in &self.steps {
                let (lo, hi) = fw.window(s.floats, end - self.range_ms, end);
                if lo < hi {
                    any_float = true;
                    rows.push(id, step, range_aggr::exact_window_sum(prefix, lo, hi, avg));
                }
            }
            return Ok(any_float);
        }
        for (k, &(step, end)) in self.steps.iter().enumerate() {
            let start = end - self.range_ms;
            let (flo, fhi) = fw.window(s.floats, start - self.before, end + self.after);
            let (hlo, hhi) = hw.window(s.hists, start - self.before, end + self.after);
            if flo == fhi && hlo == hhi && self.modifier == RangeModifier::None {
                continue;
            }
            // Below histogram_count and friends each window is read afresh: its first
            // histogram has no predecessor to detect a counter reset against.
            let stats: Vec<(i64, FloatHistogram)> = if self.histogram_stats {
                (hlo..hhi)
                    .map(|k| {
                        (s.hists[k].0, stats_histogram(s.hists[k].1, (k > hlo).then(|| s.hists[k - 1].1)))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let stats_refs: Vec<(i64, &FloatHistogram)> = stats.iter().map(|(t, h)| (*t, h)).collect();
            let window_hists = if self.histogram_stats { &stats_refs[..] } else { &s.hists[hlo..hhi] };
            let mut w = Window::new(&s.floats[flo..fhi], window_hists, start, end);
            w.eval_ts_ms = step;
            w.modifier = self.modifier;
            w.metric_name = s.name;
            if fhi > flo && !drops.is_empty() {
                w.float_drops = Some(drops[fhi - 1] > drops[flo]);
            }
            let p = params.get(k).map(Vec::as_slice).unwrap_or(&[]);
            let out = eval_range_kernel(self.func, &w, p).map_err(|e| EngineError::Eval(e.0))?;
            for a in out.annotations {
                if !annotations.contains(&a) {
                    annotations.push(a);
                }
            }
            match out.value {
                Some(RangeValue::Float(v)) => {
                    any_float = true;
                    rows.push(id, step, v);
                }
                Some(RangeValue::Histogram(h)) => rows.push_hist(id, step, h),
                None => {}
            }
        }
        Ok(any_float)
    }

    /// One series' windows into `rows`, registered as an output series (by `output`) only
    /// when it gives a value; its annotations reported once each. Returns the rows added.
    fn eval_series(
        &self,
        s: &SeriesView<'_>,
        output: impl FnOnce(&QueryContext) -> u32,
        rows: &mut Rows,
        bufs: &mut Buffers,
    ) -> Result<usize> {
        let start = rows.len();
        let any_float = self.eval_windows(s, u32::MAX, rows, bufs)?;
        if any_float && let Some(a) = counter_annotation(self.func, s.name, None) {
            bufs.annotations.push(a);
        }
        for a in bufs.annotations.drain(..) {
            let msg = a.message(crate::annotations::at(self.pos));
            if a.is_warning() { self.qctx.warn(msg) } else { self.qctx.info(msg) }
        }
        let added = rows.len() - start;
        if added > 0 {
            let id = output(&self.qctx);
            rows.series[start..].iter_mut().for_each(|x| *x = id);
        }
        Ok(added)
    }

    /// Decodes a series of XOR chunks that do not overlap into the scratch buffers (only the
    /// chunks some window needs), its non-stale samples into `floats`; `false` when the series
    /// needs the general decoder (histograms, overlapping chunks).
    fn decode_floats(&mut self, s: &StoreSeries) -> Result<Option<usize>> {
        let plain = s.chunks.iter().all(|c| c.encoding == Encoding::Xor)
            && s.chunks.windows(2).all(|w| w[1].min_time > w[0].max_time);
        if !plain {
            return Ok(None);
        }
        let sc = &mut self.scratch;
        sc.floats.clear();
        let mut stale = false;
        for c in s.chunks.iter().filter(|c| self.windows.needs(c.min_time, c.max_time)) {
            stale |= decode_xor_pairs_into(&c.data, &mut sc.floats)
                .map_err(|e| EngineError::Eval(format!("{}: {e}", s.labels)))?;
        }
        let decoded = sc.floats.len();
        if stale {
            sc.floats.retain(|p| !is_stale_nan(p.1));
        }
        Ok(Some(decoded))
    }
}

/// One series' samples for its windows: floats decoded into the scratch buffers (how many), or
/// decoded by the general decoder (histograms, overlapping chunks).
enum Decoded {
    Plain(usize),
    General(SeriesSamples),
}

impl SeriesEval for RangeCallEval {
    fn series(&mut self, mut s: StoreSeries, sides: &[Arc<Rows>], rows: &mut Rows) -> Result<usize> {
        self.ensure_params(sides);
        let keeps_name = self.func.keeps_metric_name();
        let name = s.labels.metric_name().map(str::to_string);
        let mut bufs = std::mem::take(&mut self.buffers);
        // Decoded first (its errors name the series), then the labels move into the
        // registration instead of being copied.
        let samples = match self.decode_floats(&s)? {
            Some(decoded) => Decoded::Plain(decoded),
            None => Decoded::General(decode_samples_in(&s, Some(&self.windows))?),
        };
        let labels = std::mem::take(&mut s.labels);
        let register = move |q: &QueryContext| q.series.add(labels, !keeps_name);
        let decoded = match samples {
            Decoded::Plain(decoded) => {
                self.qctx.account(decoded)?;
                let scratch = std::mem::take(&mut self.scratch);
                let view = SeriesView { name: name.as_deref(), floats: &scratch.floats, hists: &[] };
                let added = self.eval_series(&view, register, rows, &mut bufs)?;
                self.scratch = scratch;
                self.qctx.hold(added)?;
                decoded
            }
            Decoded::General(decoded) => {
                self.qctx.account(decoded.len())?;
                let (floats, hists) = decoded.split();
                let hists: Vec<(i64, &FloatHistogram)> =
                    hists.iter().map(|(t, h)| (*t, h.as_ref())).collect();
                let view = SeriesView { name: name.as_deref(), floats: &floats, hists: &hists };
                let added = self.eval_series(&view, register, rows, &mut bufs)?;
                self.qctx.hold(added)?;
                decoded.len()
            }
        };
        self.buffers = bufs;
        Ok(decoded)
    }
}

impl BatchEval for RangeCallEval {
    /// A batch of the subquery's whole series; their counter reset hints become "unknown": a
    /// subquery may skip the sample that reset, or return one sample several times (as
    /// Prometheus does).
    fn eval(&mut self, input: Rows, sides: &[Arc<Rows>], out: &mut Rows) -> Result<()> {
        self.ensure_params(sides);
        for (id, r) in input.runs() {
            let e = self.qctx.entry(id);
            let mut floats: Vec<(i64, f64)> = Vec::new();
            let mut hists: Vec<(i64, Hist)> = Vec::new();
            for i in r {
                match input.hist(i) {
                    Some(h)
                        if matches!(
                            h.counter_reset_hint,
                            CounterResetHint::CounterReset | CounterResetHint::NotCounterReset
                        ) =>
                    {
                        let mut h = FloatHistogram::clone(h);
                        h.counter_reset_hint = CounterResetHint::Unknown;
                        hists.push((input.ts[i], Arc::new(h)));
                    }
                    Some(h) => hists.push((input.ts[i], Arc::clone(h))),
                    None => floats.push((input.ts[i], input.values[i])),
                }
            }
            let hist_refs: Vec<(i64, &FloatHistogram)> =
                hists.iter().map(|(t, h)| (*t, h.as_ref())).collect();
            let view = SeriesView { name: e.labels.metric_name(), floats: &floats, hists: &hist_refs };
            let drop = e.drop_name || !self.func.keeps_metric_name();
            let mut bufs = std::mem::take(&mut self.buffers);
            self.eval_series(&view, |q| q.series.add_shared(Arc::clone(&e.labels), drop), out, &mut bufs)?;
            self.buffers = bufs;
        }
        Ok(())
    }
}

/// The kernel's modifier for a selector's; an error, with Prometheus's text, for a function the
/// modifier does not apply to.
fn check_modifier(m: SelectorModifier, func: RangeFunction) -> Result<RangeModifier> {
    const ANCHORED: &[&str] = &["changes", "delta", "increase", "rate", "resets"];
    const SMOOTHED: &[&str] = &["delta", "increase", "rate"];
    let (modifier, allowed) = match m {
        SelectorModifier::None => return Ok(RangeModifier::None),
        SelectorModifier::Anchored => (RangeModifier::Anchored, ANCHORED),
        SelectorModifier::Smoothed => (RangeModifier::Smoothed, SMOOTHED),
    };
    if !allowed.contains(&func.name()) {
        return Err(EngineError::Eval(format!(
            "{m} modifier can only be used with: {} - not with {}",
            allowed.join(", "),
            func.name()
        )));
    }
    Ok(modifier)
}

/// The index range of the samples in `(start, end]` for one step after another, both bounds
/// carried forward from the previous step's (see [`advance`]).
#[derive(Debug, Default)]
struct Cursor {
    lo: usize,
    hi: usize,
}

impl Cursor {
    fn window<T>(&mut self, samples: &[(i64, T)], start: i64, end: i64) -> (usize, usize) {
        self.lo = advance(samples, |s| s.0, self.lo, start);
        self.hi = advance(samples, |s| s.0, self.hi, end).max(self.lo);
        (self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursor_finds_left_open_windows_forward_and_back() {
        let samples: Vec<(i64, ())> = [10, 20, 30, 40, 50].iter().map(|&t| (t, ())).collect();
        let search = |start: i64, end: i64| {
            (samples.partition_point(|s| s.0 <= start), samples.partition_point(|s| s.0 <= end))
        };
        let mut c = Cursor::default();
        // Forward, pinned (`@`), backward, and past both ends.
        for (start, end) in [(0, 5), (5, 20), (20, 40), (20, 40), (35, 60), (10, 30), (-10, 0), (60, 90)] {
            assert_eq!(c.window(&samples, start, end), search(start, end), "({start}, {end}]");
        }
    }
}
