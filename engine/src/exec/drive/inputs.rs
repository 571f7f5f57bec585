//! Reading inputs whole: every partition of a child in a task of its own, gathered in partition
//! order (so the result does not depend on which task finished first), with its memory reserved
//! in the query's pool; and side inputs, read so once per operator for all its partitions.

use std::future::Future;
use std::sync::Arc;

use datafusion::common::runtime::SpawnedTask;
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use tokio::sync::OnceCell;

use super::super::context::QueryContext;
use super::super::rows::Rows;
use crate::error::{EngineError, Result};

/// A reservation in the query's memory pool for what `operator` holds.
pub(crate) fn memory_for(ctx: &TaskContext, operator: &str) -> Arc<MemoryReservation> {
    Arc::new(MemoryConsumer::new(operator.to_string()).register(ctx.memory_pool()))
}

/// Starts `fut` in a task of its own at once (the tasks of one query run on all cores) and
/// returns the wait for it. A panic in it fails the query, never the process; dropping the wait
/// aborts the task.
pub(crate) fn spawn_join<T: Send + 'static>(
    fut: impl Future<Output = Result<T>> + Send + 'static,
) -> impl Future<Output = Result<T>> + Send + 'static {
    let task = SpawnedTask::spawn(fut);
    async move {
        match task.join().await {
            Ok(out) => out,
            Err(e) if e.is_panic() => {
                Err(EngineError::Eval(format!("internal error: an operator panicked: {e}")))
            }
            Err(e) => Err(EngineError::Eval(format!("internal error: {e}"))),
        }
    }
}

/// One partition of `plan`, read whole.
async fn collect_partition(
    plan: Arc<dyn ExecutionPlan>,
    partition: usize,
    ctx: Arc<TaskContext>,
    qctx: Arc<QueryContext>,
    mem: Arc<MemoryReservation>,
) -> Result<Rows> {
    let mut rows = Rows::default();
    let mut stream = plan.execute(partition, ctx)?;
    while let Some(batch) = stream.next().await {
        qctx.check()?;
        let before = rows.mem_bytes();
        rows.extend_from_record_batch(&batch?, &qctx.hists)?;
        mem.try_grow(rows.mem_bytes().saturating_sub(before))?;
    }
    Ok(rows)
}

/// Every partition of `plan` read whole, each in a task of its own, concatenated in partition
/// order. The rows' memory stays reserved in `mem` until the caller frees it.
pub(crate) async fn collect_all(
    plan: &Arc<dyn ExecutionPlan>,
    ctx: &Arc<TaskContext>,
    qctx: &Arc<QueryContext>,
    mem: &Arc<MemoryReservation>,
) -> Result<Rows> {
    Ok(Rows::concat(collect_parts(plan, ctx, qctx, mem).await?))
}

/// As [`collect_all`], each partition's rows apart (in partition order), for a caller that
/// reads them in turn rather than paying for their concatenation.
pub(crate) async fn collect_parts(
    plan: &Arc<dyn ExecutionPlan>,
    ctx: &Arc<TaskContext>,
    qctx: &Arc<QueryContext>,
    mem: &Arc<MemoryReservation>,
) -> Result<Vec<Rows>> {
    let n = plan.properties().output_partitioning().partition_count();
    let read =
        |p: usize| collect_partition(Arc::clone(plan), p, Arc::clone(ctx), Arc::clone(qctx), Arc::clone(mem));
    if n == 1 {
        return Ok(vec![read(0).await?]);
    }
    let tasks: Vec<_> = (0..n).map(|p| spawn_join(read(p))).collect();
    let mut parts = Vec::with_capacity(n);
    for t in tasks {
        parts.push(t.await?);
    }
    Ok(parts)
}

/// Inputs every partition of an operator needs whole, read once for all of them: a function's
/// scalar arguments, an aggregation's parameter.
#[derive(Debug, Default)]
pub(crate) struct SideInputs {
    plans: Vec<Arc<dyn ExecutionPlan>>,
    cell: Arc<OnceCell<Arc<Vec<Arc<Rows>>>>>,
}

impl SideInputs {
    pub(crate) fn new(plans: Vec<Arc<dyn ExecutionPlan>>) -> Self {
        Self { plans, cell: Arc::default() }
    }

    pub(crate) fn plans(&self) -> &[Arc<dyn ExecutionPlan>] {
        &self.plans
    }

    /// The inputs' rows, read by whichever partition asks first.
    pub(crate) fn get(
        &self,
        ctx: Arc<TaskContext>,
        qctx: Arc<QueryContext>,
    ) -> impl Future<Output = Result<Arc<Vec<Arc<Rows>>>>> + Send + 'static {
        let plans = self.plans.clone();
        let cell = Arc::clone(&self.cell);
        async move {
            let rows = cell
                .get_or_try_init(|| async {
                    let mem = memory_for(&ctx, "side inputs");
                    let mut out = Vec::with_capacity(plans.len());
                    for p in &plans {
                        out.push(Arc::new(collect_all(p, &ctx, &qctx, &mem).await?));
                    }
                    // Side inputs are scalars or a parameter: a few rows per step.
                    mem.free();
                    Ok::<_, EngineError>(Arc::new(out))
                })
                .await?;
            Ok(Arc::clone(rows))
        }
    }
}
