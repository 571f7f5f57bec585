//! The stream of an operator that needs its whole input: the inputs are gathered (every
//! partition in a task of its own, their memory reserved in the query's pool), the kernel runs
//! once, and its output goes out in batches of whole series.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::MemoryReservation;
use datafusion::physical_plan::metrics::Time;
use datafusion::physical_plan::{ExecutionPlan, RecordBatchStream};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream};

use super::super::common::{BATCH_ROWS, OpMetrics, arrow_schema};
use super::super::context::QueryContext;
use super::super::rows::Rows;
use super::{collect_all, memory_for};
use crate::error::Result;

/// The work of an operator over its whole input: every child's rows (all partitions, in
/// partition order) in, the output rows out, sorted by series unless the operator keeps an order
/// of its own.
pub(crate) trait Kernel: Send + 'static {
    fn run(self, inputs: Vec<Rows>) -> BoxFuture<'static, Result<Rows>>;
}

/// The work of an operator that reads its inputs itself, as they stream (an aggregation folding
/// its input partitions), and produces its whole output once they end. It reserves what it
/// holds in `mem` and releases the series it consumed.
/// Its computing is timed into `compute`, the operator's `elapsed_compute`.
pub(crate) trait Work: Send + 'static {
    fn run(
        self,
        children: Vec<Arc<dyn ExecutionPlan>>,
        ctx: Arc<TaskContext>,
        mem: Arc<MemoryReservation>,
        compute: Time,
    ) -> BoxFuture<'static, Result<Rows>>;
}

enum State {
    Running(BoxFuture<'static, Result<VecDeque<Rows>>>),
    Emitting(VecDeque<Rows>),
}

pub(crate) struct BlockingStream<K> {
    state: State,
    qctx: Arc<QueryContext>,
    metrics: OpMetrics,
    schema: SchemaRef,
    mem: Arc<MemoryReservation>,
    kernel: PhantomData<fn() -> K>,
}

impl<K: Kernel> BlockingStream<K> {
    pub(crate) fn new(
        kernel: K,
        children: Vec<Arc<dyn ExecutionPlan>>,
        ctx: Arc<TaskContext>,
        qctx: Arc<QueryContext>,
        metrics: OpMetrics,
        name: &str,
    ) -> Self {
        let mem = memory_for(&ctx, name);
        let (q, m, timer) = (Arc::clone(&qctx), Arc::clone(&mem), metrics.baseline.elapsed_compute().clone());
        let work = async move {
            let mut inputs = Vec::with_capacity(children.len());
            for c in &children {
                inputs.push(collect_all(c, &ctx, &q, &m).await?);
            }
            q.check()?;
            let consumed: Vec<u32> = inputs.iter().flat_map(super::series_of).collect();
            let started = std::time::Instant::now();
            let out = kernel.run(inputs).await?;
            timer.add_elapsed(started);
            super::release_consumed(&q, consumed, &out);
            m.try_resize(out.mem_bytes())?;
            Ok(out.split_by_series(BATCH_ROWS).into())
        };
        Self {
            state: State::Running(work.boxed()),
            qctx,
            metrics,
            schema: arrow_schema(),
            mem,
            kernel: PhantomData,
        }
    }
}

impl<W: Work> BlockingStream<W> {
    pub(crate) fn with_work(
        work: W,
        children: Vec<Arc<dyn ExecutionPlan>>,
        ctx: Arc<TaskContext>,
        qctx: Arc<QueryContext>,
        metrics: OpMetrics,
        name: &str,
    ) -> Self {
        let mem = memory_for(&ctx, name);
        let m = Arc::clone(&mem);
        let run = work.run(children, ctx, Arc::clone(&mem), metrics.baseline.elapsed_compute().clone());
        let work = async move {
            let out = run.await?;
            m.try_resize(out.mem_bytes())?;
            Ok(out.split_by_series(BATCH_ROWS).into())
        };
        Self {
            state: State::Running(work.boxed()),
            qctx,
            metrics,
            schema: arrow_schema(),
            mem,
            kernel: PhantomData,
        }
    }
}

impl<K: Send + 'static> Stream for BlockingStream<K> {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let State::Running(work) = &mut this.state {
            match ready!(work.poll_unpin(cx)) {
                Ok(parts) => this.state = State::Emitting(parts),
                Err(e) => {
                    this.state = State::Emitting(VecDeque::new());
                    return this
                        .metrics
                        .baseline
                        .record_poll(Poll::Ready(Some(Err(DataFusionError::from(e)))));
                }
            }
        }
        let State::Emitting(parts) = &mut this.state else { return Poll::Pending };
        let poll = loop {
            match parts.pop_front() {
                None => {
                    this.mem.free();
                    break Poll::Ready(None);
                }
                Some(rows) if rows.len() == 0 => continue,
                Some(rows) => {
                    this.mem.shrink(rows.mem_bytes().min(this.mem.size()));
                    let b = rows.into_batch(Arc::clone(&this.schema), &this.qctx.hists);
                    break Poll::Ready(Some(b.map_err(DataFusionError::from)));
                }
            }
        };
        this.metrics.baseline.record_poll(poll)
    }
}

impl<K: Send + 'static> RecordBatchStream for BlockingStream<K> {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
