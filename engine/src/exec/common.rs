//! What every operator needs besides its own logic: the row schema, the properties it declares
//! (partitioning, ordering, emission) and its metrics.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering, PhysicalSortExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::expressions::Column;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, Time,
};
use datafusion::physical_plan::{Partitioning, PlanProperties};
use quiver_planner::{COL_SERIES, COL_TS};
use quiver_proto::Matcher;

pub(crate) use super::context::QueryContext;
pub(crate) use super::rows::{Hist, Rows, Val};
pub(crate) use super::samples::SeriesSamples;
use crate::error::{EngineError, Result};

/// Rows per batch operators aim at: thousands, so per-batch costs vanish, and few enough that
/// a batch stays in cache.
pub(crate) const BATCH_ROWS: usize = 8192;

pub(crate) fn arrow_schema() -> SchemaRef {
    Arc::new(quiver_planner::sample_schema().as_arrow().clone())
}

/// How an operator produces its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Emission {
    /// Batch by batch as its input arrives (selectors, per-series functions).
    Incremental,
    /// Only once its whole input is read (aggregations, joins).
    Final,
}

/// The properties of an operator with `partitions` output partitions. Every operator emits each
/// partition sorted by (series, time): series ids are handed out in the order series are first
/// emitted (see `series_table`), and a batch holds whole series in that order, unless
/// `sorted` is false (an instant `topk` keeps Prometheus's output order instead).
pub(crate) fn properties(partitions: usize, emission: Emission, sorted: bool) -> Arc<PlanProperties> {
    let schema = arrow_schema();
    let eq = if sorted {
        let key = |name: &str, i: usize| PhysicalSortExpr::new_default(Arc::new(Column::new(name, i)));
        let ordering = LexOrdering::new([key(COL_SERIES, 0), key(COL_TS, 1)]);
        EquivalenceProperties::new_with_orderings(Arc::clone(&schema), ordering)
    } else {
        EquivalenceProperties::new(Arc::clone(&schema))
    };
    let emission = match emission {
        Emission::Incremental => EmissionType::Incremental,
        Emission::Final => EmissionType::Final,
    };
    Arc::new(PlanProperties::new(
        eq,
        Partitioning::UnknownPartitioning(partitions.max(1)),
        emission,
        Boundedness::Bounded,
    ))
}

/// One partition's metrics: DataFusion's baseline (output rows, compute time), and for a
/// selector what it read. The selector's counters are registered only for selectors, so other
/// operators' EXPLAIN ANALYZE lines show only what applies to them.
#[derive(Debug, Clone)]
pub(crate) struct OpMetrics {
    pub(crate) baseline: BaselineMetrics,
    /// Input series the operator evaluated.
    pub(crate) series: Count,
    /// Samples decoded from chunks.
    pub(crate) samples: Count,
    pub(crate) chunks: Count,
    pub(crate) chunk_bytes: Count,
    /// Time waiting for the source (the selectors' I/O and index work).
    pub(crate) source_time: Time,
}

impl OpMetrics {
    pub(crate) fn new(set: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        Self {
            baseline: BaselineMetrics::new(set, partition),
            series: Count::new(),
            samples: Count::new(),
            chunks: Count::new(),
            chunk_bytes: Count::new(),
            source_time: Time::new(),
        }
    }

    /// A selector's: the baseline and what it read.
    pub(crate) fn selector(set: &ExecutionPlanMetricsSet, partition: usize) -> Self {
        Self {
            baseline: BaselineMetrics::new(set, partition),
            series: MetricBuilder::new(set).counter("series", partition),
            samples: MetricBuilder::new(set).counter("samples_decoded", partition),
            chunks: MetricBuilder::new(set).counter("chunks", partition),
            chunk_bytes: MetricBuilder::new(set).counter("chunk_bytes", partition),
            source_time: MetricBuilder::new(set).subset_time("source_time", partition),
        }
    }
}

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

/// The parts of an operator's `ExecutionPlan` that only hand out its fields (`core`, an
/// [`ExecCore`]): name, properties, children, expressions (none), metrics.
macro_rules! plan_accessors {
    ($name:literal) => {
        fn name(&self) -> &str {
            $name
        }

        fn properties(&self) -> &std::sync::Arc<datafusion::physical_plan::PlanProperties> {
            &self.core.props
        }

        fn children(&self) -> Vec<&std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
            self.core.children.iter().collect()
        }

        fn apply_expressions(
            &self,
            _f: &mut dyn FnMut(
                &std::sync::Arc<dyn datafusion::physical_plan::PhysicalExpr>,
            )
                -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion>,
        ) -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion> {
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        }

        fn metrics(&self) -> Option<datafusion::physical_plan::metrics::MetricsSet> {
            Some(self.core.metrics.clone_inner())
        }
    };
}

pub(crate) use plan_accessors;

/// What every operator holds besides its node: its children, the query's shared context, its
/// declared properties and its metrics.
#[derive(Debug)]
pub(crate) struct ExecCore {
    pub(crate) children: Vec<Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
    pub(crate) qctx: Arc<QueryContext>,
    pub(crate) props: Arc<PlanProperties>,
    pub(crate) metrics: ExecutionPlanMetricsSet,
}

impl ExecCore {
    pub(crate) fn new(
        children: Vec<Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
        qctx: Arc<QueryContext>,
        props: Arc<PlanProperties>,
    ) -> Self {
        Self { children, qctx, props, metrics: ExecutionPlanMetricsSet::new() }
    }

    pub(crate) fn metrics_for(&self, partition: usize) -> OpMetrics {
        OpMetrics::new(&self.metrics, partition)
    }

    /// The metrics of a selector's partition, with what it read.
    pub(crate) fn selector_metrics_for(&self, partition: usize) -> OpMetrics {
        OpMetrics::selector(&self.metrics, partition)
    }

    pub(crate) fn partitions(&self) -> usize {
        self.props.output_partitioning().partition_count()
    }
}

/// `partitions=N` in an operator's EXPLAIN line when it runs on more than one.
pub(crate) fn fmt_partitions(f: &mut std::fmt::Formatter<'_>, core: &ExecCore) -> std::fmt::Result {
    match core.partitions() {
        1 => Ok(()),
        n => write!(f, " partitions={n}"),
    }
}
