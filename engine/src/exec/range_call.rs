//! `RangeCallExec`: a range function over a range selector or a subquery. Over a selector the
//! two are fused: chunks are decoded once per series and every step's window `(t - range, t]`
//! is handed to the function kernel. Over a subquery, the subquery's rows are the samples.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_planner::node::{RangeCall, SelectorModifier, StepTimes};
use quiver_proto::{CounterResetHint, FloatHistogram, TimeRange};

use super::common::{
    Hist, QueryContext, Rows, advance, compile_matchers, decode_samples, prom_exec, stats_histogram,
};
use crate::error::{EngineError, Result};
use crate::functions::range::{RangeFunction, RangeModifier, RangeValue, Window, eval_range};

prom_exec!(RangeCallExec, RangeCall);

/// One input series: its metric name (for annotations), the output series id, and its
/// non-stale samples in time order.
struct SeriesInput {
    name: Option<String>,
    out_id: u32,
    floats: Vec<(i64, f64)>,
    hists: Vec<(i64, Hist)>,
}

impl RangeCallExec {
    async fn run(node: RangeCall, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let func = RangeFunction::from_name(&node.func)
            .ok_or_else(|| EngineError::Unsupported(format!("range function {}", node.func)))?;
        // (step, end of its window): the window is (end - range, end].
        let Some(StepTimes { times: steps, lo, hi }) = node.selector.step_times(node.steps.timestamps())
        else {
            return Ok(Rows::default());
        };
        let modifier = check_modifier(node.selector.modifier, func)?;
        // How far the windows reach beyond the range: the lookback delta before it for both
        // modifiers, and after it for `smoothed`.
        let (before, after) = match modifier {
            RangeModifier::None => (0, 0),
            RangeModifier::Anchored => (node.lookback_ms, 0),
            RangeModifier::Smoothed => (node.lookback_ms, node.lookback_ms),
        };
        let params: Vec<f64> = node.params.iter().map(|p| p.get()).collect();
        let mut ev = Evaluation {
            func,
            steps: &steps,
            range_ms: node.range_ms,
            modifier,
            before,
            after,
            params,
            histogram_stats: node.selector.histogram_stats,
            pos: node.pos,
            qctx: &qctx,
            rows: Rows::default(),
        };
        match inputs.pop() {
            Some(sub) => {
                for s in Self::from_subquery(&qctx, func, sub) {
                    ev.series(&s)?;
                }
            }
            None => {
                let matchers = compile_matchers(&node.selector.matchers)?;
                let range = TimeRange::new(lo - node.range_ms - before + 1, hi + after);
                // Series by series, each decoded just before its windows are evaluated (its
                // samples are still in cache) and dropped after: one series' samples at a time.
                for s in qctx.select(&matchers, range).await? {
                    let decoded = decode_samples(&s)?;
                    qctx.account(decoded.len())?;
                    let (floats, hists) = decoded.split();
                    let name = s.labels.metric_name().map(str::to_string);
                    let out_id = qctx.series.intern(s.labels, !func.keeps_metric_name());
                    let before = ev.rows.len();
                    ev.series(&SeriesInput { name, out_id, floats, hists })?;
                    qctx.hold(ev.rows.len() - before)?;
                }
            }
        }
        Ok(ev.rows.sorted())
    }

    /// The subquery's rows per series. Their counter reset hints become "unknown": a subquery
    /// may skip the sample that reset, or return one sample several times (as Prometheus does).
    fn from_subquery(qctx: &QueryContext, func: RangeFunction, rows: Rows) -> Vec<SeriesInput> {
        let mut by_series: BTreeMap<u32, SeriesInput> = BTreeMap::new();
        for i in 0..rows.len() {
            let id = rows.series[i];
            let s = by_series.entry(id).or_insert_with(|| {
                let e = qctx.entry(id);
                let name = e.labels.metric_name().map(str::to_string);
                let drop = e.drop_name || !func.keeps_metric_name();
                let out_id = qctx.series.intern(quiver_proto::Labels::clone(&e.labels), drop);
                SeriesInput { name, out_id, floats: Vec::new(), hists: Vec::new() }
            });
            match &rows.hists[i] {
                Some(h)
                    if matches!(
                        h.counter_reset_hint,
                        CounterResetHint::CounterReset | CounterResetHint::NotCounterReset
                    ) =>
                {
                    let mut h = FloatHistogram::clone(h);
                    h.counter_reset_hint = CounterResetHint::Unknown;
                    s.hists.push((rows.ts[i], Arc::new(h)));
                }
                Some(h) => s.hists.push((rows.ts[i], Arc::clone(h))),
                None => s.floats.push((rows.ts[i], rows.values[i])),
            }
        }
        let mut out: Vec<SeriesInput> = by_series.into_values().collect();
        for s in &mut out {
            s.floats.sort_by_key(|p| p.0);
            s.hists.sort_by_key(|p| p.0);
        }
        out
    }
}

/// The function evaluated over series after series.
struct Evaluation<'a> {
    func: RangeFunction,
    /// (step, end of its window): the window is (end - range, end].
    steps: &'a [(i64, i64)],
    range_ms: i64,
    modifier: RangeModifier,
    /// How far the windows reach before the range and after it (see `run`).
    before: i64,
    after: i64,
    params: Vec<f64>,
    /// Below histogram_count and friends: histograms are read as HistogramStatsIterator does.
    histogram_stats: bool,
    pos: Option<quiver_planner::span::Pos>,
    qctx: &'a QueryContext,
    rows: Rows,
}

impl Evaluation<'_> {
    /// Evaluates every step's window of one series.
    fn series(&mut self, s: &SeriesInput) -> Result<()> {
        self.qctx.check()?;
        let hists: Vec<(i64, &FloatHistogram)> = s.hists.iter().map(|(t, h)| (*t, h.as_ref())).collect();
        let (mut fw, mut hw) = (Cursor::default(), Cursor::default());
        // For rate and increase: drops[k] counts the samples up to k below their predecessor,
        // so whether a window holds a counter reset is one subtraction.
        let drops: Vec<u32> = if matches!(self.func, RangeFunction::Rate | RangeFunction::Increase) {
            let mut n = 0;
            let mut prev = f64::NAN;
            s.floats
                .iter()
                .map(|&(_, v)| {
                    n += u32::from(v < prev);
                    prev = v;
                    n
                })
                .collect()
        } else {
            Vec::new()
        };
        for &(step, end) in self.steps {
            let start = end - self.range_ms;
            let (flo, fhi) = fw.window(&s.floats, start - self.before, end + self.after);
            let (hlo, hhi) = hw.window(&hists, start - self.before, end + self.after);
            // Below histogram_count and friends each window is read afresh: its first
            // histogram has no predecessor to detect a counter reset against.
            let stats: Vec<(i64, FloatHistogram)> = if self.histogram_stats {
                (hlo..hhi)
                    .map(|k| (hists[k].0, stats_histogram(hists[k].1, (k > hlo).then(|| hists[k - 1].1))))
                    .collect()
            } else {
                Vec::new()
            };
            let stats_refs: Vec<(i64, &FloatHistogram)> = stats.iter().map(|(t, h)| (*t, h)).collect();
            let window_hists = if self.histogram_stats { &stats_refs[..] } else { &hists[hlo..hhi] };
            let mut w = Window::new(&s.floats[flo..fhi], window_hists, start, end);
            w.eval_ts_ms = step;
            w.modifier = self.modifier;
            w.metric_name = s.name.as_deref();
            if fhi > flo && !drops.is_empty() {
                w.float_drops = Some(drops[fhi - 1] > drops[flo]);
            }
            let out = eval_range(self.func, &w, &self.params).map_err(|e| EngineError::Eval(e.0))?;
            for a in &out.annotations {
                let msg = a.message(crate::annotations::at(self.pos));
                if a.is_warning() { self.qctx.warn(msg) } else { self.qctx.info(msg) }
            }
            match out.value {
                Some(RangeValue::Float(v)) => self.rows.push(s.out_id, step, v),
                Some(RangeValue::Histogram(h)) => self.rows.push_hist(s.out_id, step, h),
                None => {}
            }
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
