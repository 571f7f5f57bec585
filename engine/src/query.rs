//! The query facade: PromQL text and evaluation times in, Prometheus-shaped results out.
//!
//! A query runs on the engine's [`Executor`] when it has one (the server's dedicated query
//! runtime), else on the caller's runtime. Each query gets its own DataFusion session: a memory
//! pool of `max_memory` bytes that every operator holding data reserves from, the query's
//! partition count, and our physical planner; DataFusion's own optimizer rules, which know
//! nothing of PromQL nodes, are not run.

use std::sync::Arc;

use datafusion::execution::SessionStateBuilder;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::SessionContext;
use quiver_planner::{EvalSteps, Features, PlanOptions, Planned, ValueKind, plan_query};
use quiver_proto::SeriesStore;

use crate::control::QueryControl;
use crate::error::{EngineError, Result};
use crate::exec::{QueryContext, collect_parts, memory_for};
use crate::executor::Executor;
use crate::physical::PromQueryPlanner;
use crate::shape::shape;
use crate::value::{QueryOutput, QueryStats, Value};

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
    /// Partitions the selectors split their series into (by label hash), each run by a task of
    /// its own; 0 for one per core.
    pub partitions: usize,
    /// Most bytes one query's operators may hold (`--query.max-memory`); 0 for no limit.
    pub max_memory: usize,
}

/// `--query.max-memory`'s default: a query that needs more fails alone, long before the process
/// runs out.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lookback_ms: 5 * 60 * 1000,
            features: Features::default(),
            max_samples: 50_000_000,
            max_series: 0,
            default_subquery_step_ms: None,
            partitions: 0,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

impl EngineOptions {
    /// The partition count queries run with.
    pub fn partition_count(&self) -> usize {
        match self.partitions {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
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
#[derive(Debug, Clone)]
pub struct QueryEngine {
    store: Arc<dyn SeriesStore>,
    opts: EngineOptions,
    executor: Option<Executor>,
}

impl QueryEngine {
    pub fn new(store: Arc<dyn SeriesStore>, opts: EngineOptions) -> Self {
        Self { store, opts, executor: None }
    }

    /// Runs queries on `executor` instead of the caller's runtime.
    pub fn with_executor(mut self, executor: Executor) -> Self {
        self.executor = Some(executor);
        self
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    pub fn store(&self) -> &Arc<dyn SeriesStore> {
        &self.store
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
        self.run(query, Self::range_steps(start, end, step)?, false, control).await
    }

    fn range_steps(start: i64, end: i64, step: i64) -> Result<EvalSteps> {
        if step <= 0 {
            return Err(EngineError::Eval(
                "zero or negative query resolution step widths are not accepted. Try a positive integer"
                    .into(),
            ));
        }
        if end < start {
            return Err(EngineError::Eval("end timestamp must not be before start time".into()));
        }
        Ok(EvalSteps::range(start, end, step))
    }

    /// The DataFusion logical and physical plans of a query, as `EXPLAIN` shows them.
    pub async fn explain(&self, query: &str, steps: EvalSteps) -> Result<String> {
        let e = self.explain_plans(query, steps).await?;
        Ok(format!("logical plan:\n{}\nphysical plan:\n{}", e.logical, e.physical))
    }

    /// The logical and physical plans of a query, each as indented text.
    pub async fn explain_plans(&self, query: &str, steps: EvalSteps) -> Result<Explained> {
        let job = self.job(query, steps, false, &QueryControl::default());
        self.on_executor(async move { job.explain(false).await.map(|(e, _)| e) }).await
    }

    /// `EXPLAIN ANALYZE`: runs the query and returns its plans, the physical one with each
    /// operator's metrics (rows, time, series and samples read), and the query's output.
    pub async fn explain_analyze(
        &self,
        query: &str,
        steps: EvalSteps,
        control: &QueryControl,
    ) -> Result<(Explained, QueryOutput)> {
        let instant = steps.len() == 1 && steps.start == steps.end;
        let job = self.job(query, steps, instant, control);
        self.on_executor(async move {
            let (e, out) = job.explain(true).await?;
            match out {
                Some(out) => Ok((e, out)),
                None => Err(EngineError::Eval("internal: EXPLAIN ANALYZE of a string".into())),
            }
        })
        .await
    }

    fn job(&self, query: &str, steps: EvalSteps, instant: bool, control: &QueryControl) -> Job {
        Job {
            store: Arc::clone(&self.store),
            opts: self.opts,
            query: query.to_string(),
            steps,
            instant,
            control: control.clone(),
        }
    }

    async fn on_executor<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> Result<T> {
        match &self.executor {
            Some(ex) => ex.run(fut).await,
            None => fut.await,
        }
    }

    async fn run(
        &self,
        query: &str,
        steps: EvalSteps,
        instant: bool,
        control: &QueryControl,
    ) -> Result<QueryOutput> {
        let job = self.job(query, steps, instant, control);
        self.on_executor(job.run()).await
    }
}

/// One query, owning what it needs so it can run on another runtime.
struct Job {
    store: Arc<dyn SeriesStore>,
    opts: EngineOptions,
    query: String,
    steps: EvalSteps,
    instant: bool,
    control: QueryControl,
}

impl Job {
    fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            steps: self.steps,
            query_steps: self.steps,
            lookback_ms: self.opts.lookback_ms,
            default_subquery_step_ms: self.opts.default_subquery_step_ms,
            features: self.opts.features,
            spans: Default::default(),
            below_histogram_stats: false,
            below_bucket_user: false,
            max_points: self.opts.max_samples,
        }
    }

    fn context(&self) -> Result<(Arc<QueryContext>, SessionContext)> {
        let partitions = self.opts.partition_count();
        let qctx = Arc::new(QueryContext::new(
            Arc::clone(&self.store),
            self.control.clone(),
            (self.opts.max_samples, self.opts.max_series),
            self.opts.features.delayed_name_removal,
            partitions,
        ));
        let config = datafusion::prelude::SessionConfig::new().with_target_partitions(partitions);
        let mut runtime = RuntimeEnvBuilder::new();
        if self.opts.max_memory > 0 {
            runtime = runtime.with_memory_limit(self.opts.max_memory, 1.0);
        }
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime.build_arc()?)
            .with_analyzer_rules(Vec::new())
            .with_optimizer_rules(Vec::new())
            .with_physical_optimizer_rules(Vec::new())
            .with_query_planner(Arc::new(PromQueryPlanner { qctx: Arc::clone(&qctx) }))
            .build();
        Ok((qctx, SessionContext::new_with_state(state)))
    }

    /// Plans the query: `None` for a bare string literal (its value).
    fn plan(&self) -> Result<Result<(datafusion::logical_expr::LogicalPlan, ValueKind), String>> {
        match plan_query(&self.query, &self.plan_options())? {
            Planned::String(_) if !self.instant => {
                Err(EngineError::Plan(quiver_planner::PlanError::Invalid(
                    "invalid expression type \"string\" for range query, must be Scalar or instant Vector"
                        .into(),
                )))
            }
            Planned::String(s) => Ok(Err(s)),
            Planned::Plan { plan, kind } => Ok(Ok((plan, kind))),
        }
    }

    async fn run(self) -> Result<QueryOutput> {
        // A query whose time is up before it starts does not start (Prometheus's `contextDone`).
        self.control.check_before_start()?;
        let (plan, kind) = match self.plan()? {
            Err(s) => {
                let value = Value::String { t: self.steps.end, s };
                return Ok(QueryOutput {
                    value,
                    annotations: Default::default(),
                    stats: QueryStats::default(),
                });
            }
            Ok(p) => p,
        };
        let (qctx, ctx) = self.context()?;
        let physical = ctx.state().create_physical_plan(&plan).await?;
        self.evaluate(&qctx, &ctx, &physical, kind).await
    }

    /// Runs the plan and shapes its rows, racing the query's deadline and cancellation.
    async fn evaluate(
        &self,
        qctx: &Arc<QueryContext>,
        ctx: &SessionContext,
        physical: &Arc<dyn ExecutionPlan>,
        kind: ValueKind,
    ) -> Result<QueryOutput> {
        let task = ctx.task_ctx();
        let mem = memory_for(&task, "query result");
        let evaluate = async {
            let parts = collect_parts(physical, &task, qctx, &mem).await?;
            shape(qctx, parts, kind, self.steps, self.instant).await
        };
        // Evaluation also checks `control` in its loops; the race stops it while it awaits.
        let value = tokio::select! {
            biased;
            value = evaluate => value?,
            stop = self.control.stopped() => return Err(stop),
        };
        mem.free();
        let annotations = qctx.annotations.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let stats =
            QueryStats { samples_loaded: qctx.samples_loaded(), series_selected: qctx.series_selected() };
        Ok(QueryOutput { value, annotations, stats })
    }

    /// The plans, and with `analyze` the output of running the physical one and its metrics.
    async fn explain(self, analyze: bool) -> Result<(Explained, Option<QueryOutput>)> {
        let (plan, kind) = match self.plan()? {
            Err(_) => {
                let e = Explained { logical: "StringLiteral".into(), physical: "StringLiteral".into() };
                return Ok((e, None));
            }
            Ok(p) => p,
        };
        let (qctx, ctx) = self.context()?;
        let physical = ctx.state().create_physical_plan(&plan).await?;
        let logical = plan.display_indent().to_string();
        if !analyze {
            let physical = displayable(physical.as_ref()).indent(false).to_string();
            return Ok((Explained { logical, physical }, None));
        }
        let out = self.evaluate(&qctx, &ctx, &physical, kind).await?;
        let physical =
            datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(physical.as_ref())
                .indent(false)
                .to_string();
        Ok((Explained { logical, physical }, Some(out)))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use quiver_proto::Labels;

    use super::*;
    use crate::storage::MemoryStore;
    use crate::value::Point;

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

    /// A large matrix is converted in pieces on the runtime's threads: the same answer as
    /// converted whole on one thread, series in label order.
    #[test]
    fn large_matrices_are_the_same_converted_in_pieces() {
        let run = |workers: usize, q: &'static str| {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).build().unwrap();
            rt.block_on(async { engine(300, 1_000, u64::MAX).range(q, 0, 14_985_000, 15_000).await })
        };
        let one = run(1, "c_total").unwrap().value;
        let pieces = run(3, "c_total").unwrap().value;
        let Value::Matrix(series) = &one else { panic!("{one:?}") };
        assert_eq!(series.len(), 300);
        assert!(series.iter().map(|s| s.floats.len()).sum::<usize>() > 250_000);
        assert!(series.windows(2).all(|w| w[0].labels < w[1].labels));
        assert_eq!(one, pieces);
    }
}
