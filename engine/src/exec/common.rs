//! What all PromQL operators share: the query context, the row format, and the boilerplate of
//! `ExecutionPlan` (each operator supplies only its `run`).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{ExecutionPlan, SendableRecordBatchStream};
use futures::{StreamExt, TryStreamExt};
use quiver_proto::chunkenc::{Encoding, decode_xor_into};
use quiver_proto::{SeriesStore, StoreSeries};

use crate::error::{EngineError, Result};
use crate::series_table::SeriesTable;
use crate::value::Annotations;

/// Everything one query's operators share.
#[derive(Debug)]
pub(crate) struct QueryContext {
    pub(crate) series: Arc<SeriesTable>,
    pub(crate) store: Arc<dyn SeriesStore>,
    pub(crate) annotations: Mutex<Annotations>,
    /// Samples loaded so far against the limit.
    pub(crate) samples: Mutex<u64>,
    pub(crate) max_samples: u64,
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

    /// Counts samples against the query's limit.
    pub(crate) fn account(&self, n: usize) -> Result<()> {
        let mut s = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        *s += n as u64;
        if *s > self.max_samples {
            return Err(EngineError::TooManySamples);
        }
        Ok(())
    }
}

/// Rows of (series id, step timestamp, value), the columns of `quiver_planner::sample_schema`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Rows {
    pub(crate) series: Vec<u32>,
    pub(crate) ts: Vec<i64>,
    pub(crate) values: Vec<f64>,
}

impl Rows {
    pub(crate) fn push(&mut self, series: u32, ts: i64, v: f64) {
        self.series.push(series);
        self.ts.push(ts);
        self.values.push(v);
    }

    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    pub(crate) fn to_batch(&self, schema: SchemaRef) -> Result<RecordBatch> {
        let cols: Vec<Arc<dyn Array>> = vec![
            Arc::new(UInt32Array::from(self.series.clone())),
            Arc::new(Int64Array::from(self.ts.clone())),
            Arc::new(Float64Array::from(self.values.clone())),
        ];
        RecordBatch::try_new(schema, cols).map_err(|e| EngineError::DataFusion(e.into()))
    }

    pub(crate) fn extend_from_record_batch(&mut self, b: &RecordBatch) -> Result<()> {
        let bad = || EngineError::Eval("internal: operator input has an unexpected schema".into());
        let s = b.column(0).as_any().downcast_ref::<UInt32Array>().ok_or_else(bad)?;
        let t = b.column(1).as_any().downcast_ref::<Int64Array>().ok_or_else(bad)?;
        let v = b.column(2).as_any().downcast_ref::<Float64Array>().ok_or_else(bad)?;
        self.series.extend(s.values().iter());
        self.ts.extend(t.values().iter());
        self.values.extend(v.values().iter());
        Ok(())
    }

    /// Samples grouped by step timestamp, in row order within a step.
    pub(crate) fn by_step(&self) -> BTreeMap<i64, Vec<(u32, f64)>> {
        let mut out: BTreeMap<i64, Vec<(u32, f64)>> = BTreeMap::new();
        for i in 0..self.len() {
            out.entry(self.ts[i]).or_default().push((self.series[i], self.values[i]));
        }
        out
    }

    /// Rows sorted by (series, timestamp), the order every operator emits.
    pub(crate) fn sorted(mut self) -> Self {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.sort_by_key(|&i| (self.series[i], self.ts[i]));
        self.series = idx.iter().map(|&i| self.series[i]).collect();
        self.ts = idx.iter().map(|&i| self.ts[i]).collect();
        self.values = idx.iter().map(|&i| self.values[i]).collect();
        self
    }
}

/// Runs a child plan and gathers its rows.
pub(crate) async fn collect_rows(plan: &Arc<dyn ExecutionPlan>, ctx: Arc<TaskContext>) -> Result<Rows> {
    let mut rows = Rows::default();
    let mut stream = plan.execute(0, ctx)?;
    while let Some(batch) = stream.next().await {
        rows.extend_from_record_batch(&batch?)?;
    }
    Ok(rows)
}

/// A stream of one batch computed by `fut`.
pub(crate) fn stream_of(
    schema: SchemaRef,
    fut: impl Future<Output = Result<Rows>> + Send + 'static,
) -> SendableRecordBatchStream {
    let s2 = Arc::clone(&schema);
    let stream = futures::stream::once(async move {
        let rows = fut.await?;
        rows.to_batch(s2)
    })
    .map_err(datafusion::error::DataFusionError::from);
    Box::pin(RecordBatchStreamAdapter::new(schema, stream))
}

/// Decodes a series' float samples from its chunks, merging overlapping chunks by timestamp.
pub(crate) fn decode_floats(s: &StoreSeries) -> Result<(Vec<i64>, Vec<f64>)> {
    let (mut ts, mut vs) = (Vec::new(), Vec::new());
    let mut sorted = true;
    for c in &s.chunks {
        if c.encoding != Encoding::Xor {
            return Err(EngineError::Unsupported("native histogram samples".into()));
        }
        let before = ts.len();
        decode_xor_into(&c.data, &mut ts, &mut vs)
            .map_err(|e| EngineError::Eval(format!("{}: {e}", s.labels)))?;
        if before > 0 && ts.len() > before && ts[before] <= ts[before - 1] {
            sorted = false;
        }
    }
    if !sorted {
        let mut pairs: Vec<(i64, f64)> = ts.into_iter().zip(vs).collect();
        pairs.sort_by_key(|p| p.0);
        pairs.dedup_by_key(|p| p.0);
        return Ok(pairs.into_iter().unzip());
    }
    Ok((ts, vs))
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
                Ok($crate::exec::common::stream_of($crate::exec::common::arrow_schema(), async move {
                    let mut inputs = Vec::with_capacity(children.len());
                    for c in &children {
                        inputs
                            .push($crate::exec::common::collect_rows(c, std::sync::Arc::clone(&ctx)).await?);
                    }
                    Self::run(node, qctx, inputs).await
                }))
            }
        }
    };
}

pub(crate) use prom_exec;

/// Compiles the planner's matcher specs.
pub(crate) fn compile_matchers(
    specs: &[quiver_planner::node::MatcherSpec],
) -> Result<Vec<quiver_proto::Matcher>> {
    use quiver_planner::node::MatchKind;
    use quiver_proto::{MatchOp, Matcher};
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
