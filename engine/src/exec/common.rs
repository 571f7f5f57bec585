//! What all PromQL operators share: the query context, the row format, and the boilerplate of
//! `ExecutionPlan` (each operator supplies only its `run`).

use std::future::Future;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use futures::{StreamExt, TryStreamExt};
use quiver_proto::chunkenc::{
    Encoding, decode_float_histograms, decode_histograms, decode_xor_into, xor_num_samples,
};
use quiver_proto::{
    CounterResetHint, FloatHistogram, Matcher, SeriesStore, StoreSeries, TimeRange, is_stale_nan,
};

pub(crate) use super::rows::{Hist, HistArena, Rows, Val};
use crate::control::QueryControl;
use crate::error::{EngineError, Result};
use crate::series_table::{SeriesEntry, SeriesTable};
use crate::value::Annotations;

/// Everything one query's operators share.
#[derive(Debug)]
pub(crate) struct QueryContext {
    pub(crate) series: Arc<SeriesTable>,
    pub(crate) store: Arc<dyn SeriesStore>,
    pub(crate) annotations: Mutex<Annotations>,
    /// Samples decoded so far (the query's cost, reported in its stats).
    pub(crate) samples: Mutex<u64>,
    /// Samples the selectors' outputs hold, against `max_samples`: like Prometheus's count of
    /// samples in memory at once, not of every sample decoded on the way (a series' decoded
    /// samples count only while it is processed).
    pub(crate) held: Mutex<u64>,
    pub(crate) max_samples: u64,
    /// Series selected so far against the limit (0: none).
    pub(crate) series_selected: Mutex<u64>,
    pub(crate) max_series: u64,
    pub(crate) hists: HistArena,
    /// Deadline and cancellation; see [`QueryContext::check`].
    pub(crate) control: QueryControl,
    /// `promql-delayed-name-removal`: a series marked for dropping its name still has it (and
    /// its `__type__`/`__unit__`) where vector matching compares labels.
    pub(crate) delayed_name_removal: bool,
}

impl QueryContext {
    pub(crate) fn warn(&self, msg: String) {
        let mut a = self.annotations.lock().unwrap_or_else(|p| p.into_inner());
        if !a.warnings.contains(&msg) {
            a.warnings.push(msg);
        }
    }

    pub(crate) fn info(&self, msg: String) {
        let mut a = self.annotations.lock().unwrap_or_else(|p| p.into_inner());
        if !a.infos.contains(&msg) {
            a.infos.push(msg);
        }
    }

    /// An error when the query timed out or was cancelled. Operators call it in their loops
    /// (per series, per step), so a query stops even while it computes without awaiting.
    pub(crate) fn check(&self) -> Result<()> {
        self.control.check()
    }

    /// Counts a series' `n` decoded samples: in the query's stats, and against the limit while
    /// they are in memory next to what the selectors hold. Selectors call it once per series,
    /// which makes it the place where loading series also checks for a timeout or cancellation.
    pub(crate) fn account(&self, n: usize) -> Result<()> {
        self.check()?;
        *self.samples.lock().unwrap_or_else(|p| p.into_inner()) += n as u64;
        let held = *self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held + n as u64 > self.max_samples {
            return Err(EngineError::TooManySamples);
        }
        Ok(())
    }

    /// Counts `n` samples a selector keeps in its output against the limit, for the rest of the
    /// query.
    pub(crate) fn hold(&self, n: usize) -> Result<()> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        *held += n as u64;
        if *held > self.max_samples {
            return Err(EngineError::TooManySamples);
        }
        Ok(())
    }

    /// The series a selector selects from the store, counted against the query's series limit
    /// before any of their chunks is decoded.
    pub(crate) async fn select(&self, matchers: &[Matcher], range: TimeRange) -> Result<Vec<StoreSeries>> {
        self.check()?;
        let series = self.store.select(matchers, range).await?;
        let mut n = self.series_selected.lock().unwrap_or_else(|p| p.into_inner());
        *n += series.len() as u64;
        if self.max_series > 0 && *n > self.max_series {
            return Err(EngineError::TooManySeries { limit: self.max_series, got: *n });
        }
        Ok(series)
    }

    /// A series as operators that read its labels see it. With delayed name removal, all its
    /// labels, the mark saying what goes at the end; without, as Prometheus 3 does by default,
    /// its name (and `__type__`/`__unit__`) are gone as soon as an operation drops them.
    pub(crate) fn entry(&self, id: u32) -> SeriesEntry {
        let e = self.series.get(id);
        if self.delayed_name_removal || !e.drop_name {
            return e;
        }
        SeriesEntry { labels: self.series.visible(id), drop_name: false }
    }

    /// Series counted by [`QueryContext::select`] so far.
    pub(crate) fn series_selected(&self) -> u64 {
        *self.series_selected.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Samples counted by [`QueryContext::account`] so far.
    pub(crate) fn samples_loaded(&self) -> u64 {
        *self.samples.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The index of the first of `items` (in ascending time `t`) after `bound`, searching forward
/// from `from`. Evaluation steps move forward (`@` pins them, which is not backward either), so
/// each sample is passed once per series; a bound that moves back is searched afresh.
pub(crate) fn advance<T>(items: &[T], t: impl Fn(&T) -> i64, from: usize, bound: i64) -> usize {
    if from > items.len() || (from > 0 && t(&items[from - 1]) > bound) {
        return items.partition_point(|x| t(x) <= bound);
    }
    from + items[from..].iter().take_while(|x| t(x) <= bound).count()
}

/// The sample an instant selector reads at `eval`: the newest in the left-open lookback window
/// `(eval - lookback, eval]`, unless it is a staleness marker. `cursor` carries the search from
/// one step to the next (see [`advance`]).
pub(crate) fn newest_in_lookback(
    samples: &SeriesSamples,
    cursor: &mut usize,
    eval: i64,
    lookback_ms: i64,
) -> Option<usize> {
    *cursor = advance(&samples.ts, |&t| t, *cursor, eval);
    let i = cursor.checked_sub(1)?;
    (samples.ts[i] > eval - lookback_ms && !samples.is_stale(i)).then_some(i)
}

/// Runs a child plan and gathers its rows.
pub(crate) async fn collect_rows(
    plan: &Arc<dyn ExecutionPlan>,
    ctx: Arc<TaskContext>,
    qctx: &QueryContext,
) -> Result<Rows> {
    let mut rows = Rows::default();
    let mut stream = plan.execute(0, ctx)?;
    while let Some(batch) = stream.next().await {
        qctx.check()?;
        rows.extend_from_record_batch(&batch?, &qctx.hists)?;
    }
    Ok(rows)
}

/// A stream of one batch computed by `fut`.
pub(crate) fn stream_of(
    schema: SchemaRef,
    qctx: Arc<QueryContext>,
    fut: impl Future<Output = Result<Rows>> + Send + 'static,
) -> SendableRecordBatchStream {
    let s2 = Arc::clone(&schema);
    let stream = futures::stream::once(async move {
        let rows = fut.await?;
        rows.into_batch(s2, &qctx.hists)
    })
    .map_err(datafusion::error::DataFusionError::from);
    Box::pin(RecordBatchStreamAdapter::new(schema, stream))
}

/// Histogram samples with their timestamps.
pub(crate) type TimedHists = Vec<(i64, Hist)>;

/// One series' samples in time order: floats, and for a histogram sample `hists[i]` (with
/// `values[i]` unused). `hists` is empty when the series has no histogram samples.
#[derive(Debug, Default)]
pub(crate) struct SeriesSamples {
    pub(crate) ts: Vec<i64>,
    pub(crate) values: Vec<f64>,
    pub(crate) hists: Vec<Option<Hist>>,
}

impl SeriesSamples {
    pub(crate) fn len(&self) -> usize {
        self.ts.len()
    }

    pub(crate) fn hist(&self, i: usize) -> Option<&Hist> {
        self.hists.get(i).and_then(Option::as_ref)
    }

    /// Whether sample `i` is a staleness marker (float or histogram).
    pub(crate) fn is_stale(&self, i: usize) -> bool {
        match self.hist(i) {
            Some(h) => h.is_stale(),
            None => is_stale_nan(self.values[i]),
        }
    }

    pub(crate) fn val(&self, i: usize) -> Val {
        match self.hist(i) {
            Some(h) => Val::H(Arc::clone(h)),
            None => Val::F(self.values[i]),
        }
    }

    /// The non-stale float and histogram samples, for range functions.
    pub(crate) fn split(&self) -> (Vec<(i64, f64)>, TimedHists) {
        let mut f = Vec::with_capacity(if self.hists.is_empty() { self.len() } else { 0 });
        let mut h = Vec::new();
        for i in 0..self.len() {
            if self.is_stale(i) {
                continue;
            }
            match self.hist(i) {
                Some(x) => h.push((self.ts[i], Arc::clone(x))),
                None => f.push((self.ts[i], self.values[i])),
            }
        }
        (f, h)
    }
}

/// A histogram as Prometheus's `HistogramStatsIterator` hands it on below `histogram_count` and
/// friends: schema, count and sum only, and an unknown counter reset hint replaced by what
/// comparing it with the previous histogram read (if any) shows. The first histogram of a chunk
/// always has an unknown hint (even in a chunk cut for a reset), so this is where such resets
/// become explicit hints, and where conflicting hints (a warning when summed) come from.
pub(crate) fn stats_histogram(h: &FloatHistogram, prev: Option<&FloatHistogram>) -> FloatHistogram {
    let strip = |h: &FloatHistogram| FloatHistogram {
        counter_reset_hint: h.counter_reset_hint,
        schema: h.schema,
        count: h.count,
        sum: h.sum,
        ..FloatHistogram::default()
    };
    let mut out = strip(h);
    if h.counter_reset_hint == CounterResetHint::Unknown
        && !h.is_stale()
        && let Some(p) = prev.filter(|p| !p.is_stale())
    {
        // Detected on the whole histograms: the iterator reads buckets, it only hands them not on.
        out.counter_reset_hint = if h.detect_reset(p) {
            CounterResetHint::CounterReset
        } else {
            CounterResetHint::NotCounterReset
        };
    }
    out
}

/// Decodes a series' samples from its chunks (XOR and both native histogram encodings), merging
/// overlapping chunks by timestamp.
pub(crate) fn decode_samples(s: &StoreSeries) -> Result<SeriesSamples> {
    let mut out = SeriesSamples::default();
    let mut sorted = true;
    let err = |e: quiver_proto::Error| EngineError::Eval(format!("{}: {e}", s.labels));
    // XOR chunks say in their header how many samples they hold: size the columns once.
    let floats: usize = s
        .chunks
        .iter()
        .filter(|c| c.encoding == Encoding::Xor)
        .map(|c| xor_num_samples(&c.data).unwrap_or(0))
        .sum();
    out.ts.reserve_exact(floats);
    out.values.reserve_exact(floats);
    for c in &s.chunks {
        let before = out.ts.len();
        match c.encoding {
            Encoding::Xor => {
                decode_xor_into(&c.data, &mut out.ts, &mut out.values).map_err(err)?;
                if !out.hists.is_empty() {
                    out.hists.resize(out.ts.len(), None);
                }
            }
            Encoding::Histogram | Encoding::FloatHistogram => {
                let hs: Vec<(i64, FloatHistogram)> = if c.encoding == Encoding::Histogram {
                    decode_histograms(&c.data)
                        .map_err(err)?
                        .into_iter()
                        .map(|(t, h)| (t, h.to_float()))
                        .collect()
                } else {
                    decode_float_histograms(&c.data).map_err(err)?
                };
                out.hists.resize(out.ts.len(), None);
                for (t, h) in hs {
                    out.ts.push(t);
                    out.values.push(f64::NAN);
                    out.hists.push(Some(Arc::new(h)));
                }
            }
        }
        if before > 0 && out.ts.len() > before && out.ts[before] <= out.ts[before - 1] {
            sorted = false;
        }
    }
    if !sorted {
        let mut idx: Vec<usize> = (0..out.len()).collect();
        idx.sort_by_key(|&i| out.ts[i]);
        idx.dedup_by_key(|i| out.ts[*i]);
        let hist = |i: usize| out.hists.get(i).cloned().flatten();
        let merged = SeriesSamples {
            ts: idx.iter().map(|&i| out.ts[i]).collect(),
            values: idx.iter().map(|&i| out.values[i]).collect(),
            hists: if out.hists.is_empty() { Vec::new() } else { idx.iter().map(|&i| hist(i)).collect() },
        };
        return Ok(merged);
    }
    Ok(out)
}

pub(crate) fn arrow_schema() -> SchemaRef {
    Arc::new(quiver_planner::sample_schema().as_arrow().clone())
}

/// Generates the `ExecutionPlan` boilerplate for an operator whose work is an
/// `async fn run(node, qctx, inputs) -> Result<Rows>`.
macro_rules! prom_exec {
    ($exec:ident, $node:ty) => {
        #[derive(Debug)]
        pub(crate) struct $exec {
            pub(crate) node: $node,
            pub(crate) children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
            pub(crate) qctx: std::sync::Arc<$crate::exec::common::QueryContext>,
            props: std::sync::Arc<datafusion::physical_plan::PlanProperties>,
        }

        impl $exec {
            pub(crate) fn new(
                node: $node,
                children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
                qctx: std::sync::Arc<$crate::exec::common::QueryContext>,
            ) -> Self {
                use datafusion::physical_expr::EquivalenceProperties;
                use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
                let props = datafusion::physical_plan::PlanProperties::new(
                    EquivalenceProperties::new($crate::exec::common::arrow_schema()),
                    datafusion::physical_plan::Partitioning::UnknownPartitioning(1),
                    EmissionType::Final,
                    Boundedness::Bounded,
                );
                Self { node, children, qctx, props: std::sync::Arc::new(props) }
            }
        }

        impl datafusion::physical_plan::DisplayAs for $exec {
            fn fmt_as(
                &self,
                _t: datafusion::physical_plan::DisplayFormatType,
                f: &mut std::fmt::Formatter<'_>,
            ) -> std::fmt::Result {
                use datafusion::logical_expr::UserDefinedLogicalNodeCore;
                write!(f, "{}: ", stringify!($exec))?;
                self.node.fmt_for_explain(f)
            }
        }

        impl datafusion::physical_plan::ExecutionPlan for $exec {
            fn name(&self) -> &str {
                stringify!($exec)
            }

            fn properties(&self) -> &std::sync::Arc<datafusion::physical_plan::PlanProperties> {
                &self.props
            }

            fn children(&self) -> Vec<&std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
                self.children.iter().collect()
            }

            fn benefits_from_input_partitioning(&self) -> Vec<bool> {
                vec![false; self.children.len()]
            }

            fn required_input_distribution(&self) -> Vec<datafusion::physical_plan::Distribution> {
                vec![datafusion::physical_plan::Distribution::SinglePartition; self.children.len()]
            }

            fn apply_expressions(
                &self,
                _f: &mut dyn FnMut(
                    &std::sync::Arc<dyn datafusion::physical_plan::PhysicalExpr>,
                ) -> datafusion::error::Result<
                    datafusion::common::tree_node::TreeNodeRecursion,
                >,
            ) -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion> {
                Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
            }

            fn with_new_children(
                self: std::sync::Arc<Self>,
                children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
            ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
                Ok(std::sync::Arc::new(Self::new(
                    self.node.clone(),
                    children,
                    std::sync::Arc::clone(&self.qctx),
                )))
            }

            fn execute(
                &self,
                _partition: usize,
                ctx: std::sync::Arc<datafusion::execution::TaskContext>,
            ) -> datafusion::error::Result<datafusion::physical_plan::SendableRecordBatchStream> {
                let children = self.children.clone();
                let node = self.node.clone();
                let qctx = std::sync::Arc::clone(&self.qctx);
                let q2 = std::sync::Arc::clone(&qctx);
                Ok($crate::exec::common::stream_of($crate::exec::common::arrow_schema(), q2, async move {
                    let mut inputs = Vec::with_capacity(children.len());
                    for c in &children {
                        let ctx = std::sync::Arc::clone(&ctx);
                        inputs.push($crate::exec::common::collect_rows(c, ctx, &qctx).await?);
                    }
                    qctx.check()?;
                    Self::run(node, qctx, inputs).await
                }))
            }
        }
    };
}

pub(crate) use prom_exec;

/// Compiles the planner's matcher specs.
pub(crate) fn compile_matchers(specs: &[quiver_planner::node::MatcherSpec]) -> Result<Vec<Matcher>> {
    use quiver_planner::node::MatchKind;
    use quiver_proto::MatchOp;
    specs
        .iter()
        .map(|m| {
            let op = match m.op {
                MatchKind::Equal => MatchOp::Equal,
                MatchKind::NotEqual => MatchOp::NotEqual,
                MatchKind::Regex => MatchOp::RegexMatch,
                MatchKind::NotRegex => MatchOp::RegexNoMatch,
            };
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| EngineError::Eval(e.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(count: f64, buckets: Vec<f64>, hint: CounterResetHint) -> FloatHistogram {
        crate::test_support::float_hist(count, &buckets, hint)
    }

    #[test]
    fn stats_histograms_lose_buckets_and_learn_resets_from_them() {
        let prev = hist(4.0, vec![1.0, 2.0, 1.0], CounterResetHint::NotCounterReset);
        // The count grew, but a bucket shrank: a reset only the buckets show.
        let cur = hist(5.0, vec![1.0, 1.0, 3.0], CounterResetHint::Unknown);
        let s = stats_histogram(&cur, Some(&prev));
        assert_eq!(s.counter_reset_hint, CounterResetHint::CounterReset);
        assert!(s.positive_buckets.is_empty() && s.positive_spans.is_empty());
        assert_eq!((s.count, s.sum), (5.0, 5.0));
        let grown = hist(6.0, vec![1.0, 2.0, 3.0], CounterResetHint::Unknown);
        assert_eq!(stats_histogram(&grown, Some(&cur)).counter_reset_hint, CounterResetHint::NotCounterReset);
        // Nothing read before, or a hint the chunk already gave: left as it is.
        assert_eq!(stats_histogram(&cur, None).counter_reset_hint, CounterResetHint::Unknown);
        let gauge = hist(1.0, vec![1.0], CounterResetHint::Gauge);
        assert_eq!(stats_histogram(&gauge, Some(&prev)).counter_reset_hint, CounterResetHint::Gauge);
    }
}
