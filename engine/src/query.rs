//! The query facade: PromQL text and evaluation times in, Prometheus-shaped results out.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::execution::SessionStateBuilder;
use datafusion::physical_plan::{collect, displayable};
use datafusion::prelude::SessionContext;
use quiver_planner::{EvalSteps, Features, PlanOptions, Planned, ValueKind, plan_query};
use quiver_proto::{FloatHistogram, Labels, SeriesStore};

use crate::control::QueryControl;
use crate::error::{EngineError, Result};
use crate::exec::{HistArena, QueryContext, Rows, Val};
use crate::physical::PromQueryPlanner;
use crate::series_table::SeriesTable;
use crate::value::{Annotations, Point, QueryOutput, QueryStats, RangeSeries, Value, VectorSample};

/// Evaluation settings; the defaults are Prometheus 3's.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    pub lookback_ms: i64,
    pub features: Features,
    /// Most samples one query may hold in memory at once before it fails (Prometheus's
    /// `--query.max-samples`): what its selectors output, plus the series being decoded.
    pub max_samples: u64,
    /// Most series one query's selectors may select, counted once per selector that selects
    /// one (as Thanos's `--store.limits.request-series` counts per request); 0 for no limit.
    pub max_series: u64,
    pub default_subquery_step_ms: Option<i64>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lookback_ms: 5 * 60 * 1000,
            features: Features::default(),
            max_samples: 50_000_000,
            max_series: 0,
            default_subquery_step_ms: None,
        }
    }
}

/// The plans of a query, as `EXPLAIN` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub logical: String,
    pub physical: String,
}

/// Evaluates PromQL over one series store.
#[derive(Debug)]
pub struct QueryEngine {
    store: Arc<dyn SeriesStore>,
    opts: EngineOptions,
}

impl QueryEngine {
    pub fn new(store: Arc<dyn SeriesStore>, opts: EngineOptions) -> Self {
        Self { store, opts }
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// An instant query at `t` (milliseconds).
    pub async fn instant(&self, query: &str, t: i64) -> Result<QueryOutput> {
        self.instant_with(query, t, &QueryControl::default()).await
    }

    /// An instant query that stops with [`EngineError::Timeout`] or [`EngineError::Cancelled`]
    /// as `control` says.
    pub async fn instant_with(&self, query: &str, t: i64, control: &QueryControl) -> Result<QueryOutput> {
        self.run(query, EvalSteps::instant(t), true, control).await
    }

    /// A range query from `start` to `end` every `step` (milliseconds).
    pub async fn range(&self, query: &str, start: i64, end: i64, step: i64) -> Result<QueryOutput> {
        self.range_with(query, start, end, step, &QueryControl::default()).await
    }

    /// A range query under `control`, as [`QueryEngine::instant_with`].
    pub async fn range_with(
        &self,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
        control: &QueryControl,
    ) -> Result<QueryOutput> {
        if step <= 0 {
            return Err(EngineError::Eval(
                "zero or negative query resolution step widths are not accepted. Try a positive integer"
                    .into(),
            ));
        }
        if end < start {
            return Err(EngineError::Eval("end timestamp must not be before start time".into()));
        }
        self.run(query, EvalSteps::range(start, end, step), false, control).await
    }

    fn plan_options(&self, steps: EvalSteps) -> PlanOptions {
        PlanOptions {
            steps,
            query_steps: steps,
            lookback_ms: self.opts.lookback_ms,
            default_subquery_step_ms: self.opts.default_subquery_step_ms,
            features: self.opts.features,
            spans: Default::default(),
            below_histogram_stats: false,
            below_bucket_user: false,
        }
    }

    fn context(&self, control: &QueryControl) -> (Arc<QueryContext>, SessionContext) {
        let qctx = Arc::new(QueryContext {
            series: SeriesTable::new(),
            store: Arc::clone(&self.store),
            annotations: Mutex::new(Annotations::default()),
            samples: Mutex::new(0),
            held: Mutex::new(0),
            max_samples: self.opts.max_samples,
            series_selected: Mutex::new(0),
            max_series: self.opts.max_series,
            hists: HistArena::default(),
            control: control.clone(),
            delayed_name_removal: self.opts.features.delayed_name_removal,
        });
        // PromQL operators read their inputs whole, from one partition.
        let config = datafusion::prelude::SessionConfig::new().with_target_partitions(1);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_query_planner(Arc::new(PromQueryPlanner { qctx: Arc::clone(&qctx) }))
            .build();
        (qctx, SessionContext::new_with_state(state))
    }

    /// The DataFusion logical and physical plans of a query, as `EXPLAIN` shows them.
    pub async fn explain(&self, query: &str, steps: EvalSteps) -> Result<String> {
        let e = self.explain_plans(query, steps).await?;
        Ok(format!("logical plan:\n{}\nphysical plan:\n{}", e.logical, e.physical))
    }

    /// The logical and physical plans of a query, each as indented text.
    pub async fn explain_plans(&self, query: &str, steps: EvalSteps) -> Result<Explained> {
        let Planned::Plan { plan, .. } = plan_query(query, &self.plan_options(steps))? else {
            return Ok(Explained { logical: "StringLiteral".into(), physical: "StringLiteral".into() });
        };
        let (_, ctx) = self.context(&QueryControl::default());
        let physical = ctx.state().create_physical_plan(&plan).await?;
        Ok(Explained {
            logical: plan.display_indent().to_string(),
            physical: displayable(physical.as_ref()).indent(false).to_string(),
        })
    }

    async fn run(
        &self,
        query: &str,
        steps: EvalSteps,
        instant: bool,
        control: &QueryControl,
    ) -> Result<QueryOutput> {
        // A query whose time is up before it starts does not start (Prometheus's `contextDone`).
        control.check_before_start()?;
        let (plan, kind) = match plan_query(query, &self.plan_options(steps))? {
            Planned::String(_) if !instant => {
                return Err(EngineError::Plan(quiver_planner::PlanError::Invalid(
                    "invalid expression type \"string\" for range query, must be Scalar or instant Vector"
                        .into(),
                )));
            }
            Planned::String(s) => {
                let value = Value::String { t: steps.end, s };
                let (annotations, stats) = (Annotations::default(), QueryStats::default());
                return Ok(QueryOutput { value, annotations, stats });
            }
            Planned::Plan { plan, kind } => (plan, kind),
        };
        let (qctx, ctx) = self.context(control);
        let evaluate = async {
            let physical = ctx.state().create_physical_plan(&plan).await?;
            let batches = collect(physical, ctx.task_ctx()).await?;
            let mut rows = Rows::default();
            for b in &batches {
                rows.extend_from_record_batch(b, &qctx.hists)?;
            }
            shape(&qctx, rows, kind, steps, instant)
        };
        // Evaluation also checks `control` in its loops; the race stops it while it awaits.
        let value = tokio::select! {
            biased;
            value = evaluate => value?,
            stop = control.stopped() => return Err(stop),
        };
        let annotations = qctx.annotations.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let stats =
            QueryStats { samples_loaded: qctx.samples_loaded(), series_selected: qctx.series_selected() };
        Ok(QueryOutput { value, annotations, stats })
    }
}

/// Turns rows into the result type Prometheus returns for `kind`.
fn shape(qctx: &QueryContext, rows: Rows, kind: ValueKind, steps: EvalSteps, instant: bool) -> Result<Value> {
    let duplicate = || EngineError::Eval("vector cannot contain metrics with the same labelset".into());
    match (kind, instant) {
        (ValueKind::Scalar, true) => {
            Ok(Value::Scalar { t: steps.start, v: rows.values.first().copied().unwrap_or(f64::NAN) })
        }
        (ValueKind::Vector, true) => {
            let mut seen: HashSet<Arc<Labels>> = HashSet::with_capacity(rows.len());
            let mut out = Vec::with_capacity(rows.len());
            for i in 0..rows.len() {
                let labels = qctx.series.visible(rows.series[i]);
                if !seen.insert(Arc::clone(&labels)) {
                    return Err(duplicate());
                }
                out.push(VectorSample {
                    labels: Labels::clone(&labels),
                    t: rows.ts[i],
                    point: point(rows.val(i)),
                });
            }
            Ok(Value::Vector(out))
        }
        _ => {
            // Range queries, and range vectors of instant queries: one series per label set.
            // Rows come in runs of one series, so labels are looked up once per run, not per row.
            let mut series: BTreeMap<Arc<Labels>, Vec<(i64, Val)>> = BTreeMap::new();
            let mut i = 0;
            while i < rows.len() {
                let id = rows.series[i];
                let end = i + rows.series[i..].iter().take_while(|&&s| s == id).count();
                let labels = if kind == ValueKind::Scalar {
                    Arc::new(Labels::empty())
                } else {
                    qctx.series.visible(id)
                };
                series.entry(labels).or_default().extend((i..end).map(|k| (rows.ts[k], rows.val(k))));
                i = end;
            }
            let mut out = Vec::with_capacity(series.len());
            for (labels, mut points) in series {
                if !points.is_sorted_by_key(|p| p.0) {
                    points.sort_by_key(|p| p.0);
                }
                if points.windows(2).any(|w| w[0].0 == w[1].0) {
                    return Err(duplicate());
                }
                let mut s = RangeSeries { labels: Labels::clone(&labels), ..RangeSeries::default() };
                for (t, v) in points {
                    match v {
                        Val::F(f) => s.floats.push((t, f)),
                        Val::H(h) => s.histograms.push((t, FloatHistogram::clone(&h))),
                    }
                }
                out.push(s);
            }
            Ok(Value::Matrix(out))
        }
    }
}

fn point(v: Val) -> Point {
    match v {
        Val::F(f) => Point::Float(f),
        Val::H(h) => Point::Histogram(FloatHistogram::clone(&h)),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use quiver_proto::Labels;

    use super::*;
    use crate::storage::MemoryStore;

    /// `n` counters of `points` samples every 15 s.
    fn engine(n: usize, points: i64, max_samples: u64) -> QueryEngine {
        let mut store = MemoryStore::new();
        for i in 0..n {
            let labels =
                Labels::from_pairs([("__name__", "c_total".to_string()), ("i", i.to_string())]).unwrap();
            store.append(labels, (0..points).map(|k| (k * 15_000, Point::Float(k as f64))).collect());
        }
        QueryEngine::new(Arc::new(store), EngineOptions { max_samples, ..EngineOptions::default() })
    }

    #[tokio::test]
    async fn limits_give_prometheus_errors() {
        let e = engine(10, 100, 50).instant("sum(c_total)", 1_000_000).await.unwrap_err();
        assert!(matches!(e, EngineError::TooManySamples));
        assert_eq!(
            e.to_string(),
            "query processing would load too many samples into memory in query execution"
        );

        let mut series_limited = engine(10, 100, u64::MAX);
        series_limited.opts.max_series = 9;
        let e = series_limited.instant("sum(c_total)", 1_000_000).await.unwrap_err();
        assert!(matches!(e, EngineError::TooManySeries { limit: 9, got: 10 }), "{e:?}");
        assert_eq!(e.to_string(), "exceeded series limit: limit 9 violated (got 10)");
        // Each selector counts the series it selects.
        series_limited.opts.max_series = 19;
        assert!(series_limited.instant("c_total / c_total", 1_000_000).await.is_err());
        series_limited.opts.max_series = 20;
        let out = series_limited.instant("c_total / c_total", 1_000_000).await.unwrap();
        assert_eq!(out.stats.series_selected, 20);

        let control = QueryControl::default();
        control.cancel.cancel();
        let e = engine(1, 10, 1000).instant_with("c_total", 0, &control).await.unwrap_err();
        assert_eq!(e.to_string(), "query was canceled in query execution");
    }

    /// Cancelled from another task while it computes: Prometheus's other stage in the text.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_computing_query_stops_when_cancelled() {
        let engine = engine(200, 2_000, u64::MAX);
        let control = QueryControl::default();
        let token = control.cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            token.cancel();
        });
        let e = engine
            .range_with("sum(quantile_over_time(0.5, c_total[8h]))", 0, 30_000_000, 15_000, &control)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "query was canceled in expression evaluation");
    }

    /// The memory store answers without ever awaiting, so only the operators' own checks can
    /// stop this query: it must stop soon after its deadline, long before it would finish.
    #[tokio::test]
    async fn a_computing_query_stops_at_its_deadline() {
        let engine = engine(200, 2_000, u64::MAX);
        let control = QueryControl::with_timeout(Duration::from_millis(20));
        let started = Instant::now();
        let e = engine
            .range_with("sum(quantile_over_time(0.5, c_total[8h]))", 0, 30_000_000, 15_000, &control)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "query timed out in expression evaluation");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
