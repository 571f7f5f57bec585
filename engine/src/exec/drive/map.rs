//! The stream of an operator over whole series: each input batch becomes an output batch.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};

use super::super::common::{OpMetrics, arrow_schema};
use super::super::context::QueryContext;
use super::super::rows::Rows;
use super::release_consumed;
use crate::error::Result;

/// What an operator over whole series does with one batch of them. `sides` are its side
/// inputs (see [`super::SideInputs`]), read before the first batch.
pub(crate) trait BatchEval: Send + Unpin + 'static {
    fn eval(&mut self, input: Rows, sides: &[Arc<Rows>], out: &mut Rows) -> Result<()>;
}

enum Sides {
    Pending(BoxFuture<'static, Result<Arc<Vec<Arc<Rows>>>>>),
    Ready(Arc<Vec<Arc<Rows>>>),
}

/// Pulls one input batch at a time, evaluates it and hands the result on; batches whose result
/// is empty are skipped.
pub(crate) struct MapStream<E> {
    input: SendableRecordBatchStream,
    sides: Sides,
    eval: E,
    qctx: Arc<QueryContext>,
    metrics: OpMetrics,
    schema: SchemaRef,
}

impl<E: BatchEval> MapStream<E> {
    pub(crate) fn new(
        input: SendableRecordBatchStream,
        sides: impl Future<Output = Result<Arc<Vec<Arc<Rows>>>>> + Send + 'static,
        eval: E,
        qctx: Arc<QueryContext>,
        metrics: OpMetrics,
    ) -> Self {
        Self { input, sides: Sides::Pending(sides.boxed()), eval, qctx, metrics, schema: arrow_schema() }
    }

    fn step(&mut self, batch: &RecordBatch, sides: &[Arc<Rows>]) -> Result<Option<RecordBatch>> {
        let _timer = self.metrics.baseline.elapsed_compute().timer();
        self.qctx.check()?;
        let mut input = Rows::default();
        input.extend_from_record_batch(batch, &self.qctx.hists)?;
        let consumed = super::series_of(&input);
        let mut out = Rows::default();
        self.eval.eval(input, sides, &mut out)?;
        release_consumed(&self.qctx, consumed, &out);
        if out.len() == 0 {
            return Ok(None);
        }
        Ok(Some(out.into_batch(Arc::clone(&self.schema), &self.qctx.hists)?))
    }
}

impl<E: BatchEval> Stream for MapStream<E> {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Sides::Pending(f) = &mut this.sides {
            match ready!(f.poll_unpin(cx)) {
                Ok(s) => this.sides = Sides::Ready(s),
                Err(e) => return Poll::Ready(Some(Err(DataFusionError::from(e)))),
            }
        }
        let sides = match &this.sides {
            Sides::Ready(s) => Arc::clone(s),
            Sides::Pending(_) => return Poll::Pending,
        };
        loop {
            let poll = match ready!(this.input.poll_next_unpin(cx)) {
                None => Poll::Ready(None),
                Some(Err(e)) => Poll::Ready(Some(Err(e))),
                Some(Ok(batch)) => match this.step(&batch, &sides) {
                    Ok(None) => continue,
                    Ok(Some(b)) => Poll::Ready(Some(Ok(b))),
                    Err(e) => Poll::Ready(Some(Err(DataFusionError::from(e)))),
                },
            };
            return this.metrics.baseline.record_poll(poll);
        }
    }
}

impl<E: BatchEval> RecordBatchStream for MapStream<E> {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
