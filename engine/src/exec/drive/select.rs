//! The stream of a leaf selector: series pulled from the source one at a time, each evaluated
//! as it arrives and dropped, and a batch handed on whenever enough rows are ready.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::RecordBatchStream;
use futures::future::BoxFuture;
use futures::{FutureExt, Stream, StreamExt};
use quiver_proto::{SeriesFrame, SeriesStream, StoreSeries};

use super::super::common::{BATCH_ROWS, OpMetrics, arrow_schema};
use super::super::context::QueryContext;
use super::super::rows::Rows;
use crate::error::Result;

/// What a selector does with one series from the source: its output rows for every step. Returns
/// how many samples it decoded. `sides` are the operator's side inputs (a range function's
/// parameters).
pub(crate) trait SeriesEval: Send + Unpin + 'static {
    fn series(&mut self, s: StoreSeries, sides: &[Arc<Rows>], out: &mut Rows) -> Result<usize>;
}

enum Sides {
    Pending(BoxFuture<'static, Result<Arc<Vec<Arc<Rows>>>>>),
    Ready(Arc<Vec<Arc<Rows>>>),
}

pub(crate) struct SelectStream<E> {
    source: SeriesStream,
    sides: Sides,
    eval: E,
    qctx: Arc<QueryContext>,
    metrics: OpMetrics,
    schema: SchemaRef,
    rows: Rows,
    done: bool,
}

impl<E: SeriesEval> SelectStream<E> {
    pub(crate) fn new(
        source: SeriesStream,
        sides: impl Future<Output = Result<Arc<Vec<Arc<Rows>>>>> + Send + 'static,
        eval: E,
        qctx: Arc<QueryContext>,
        metrics: OpMetrics,
    ) -> Self {
        Self {
            source,
            sides: Sides::Pending(sides.boxed()),
            eval,
            qctx,
            metrics,
            schema: arrow_schema(),
            rows: Rows::default(),
            done: false,
        }
    }

    fn series(&mut self, s: StoreSeries, sides: &[Arc<Rows>]) -> Result<()> {
        let _timer = self.metrics.baseline.elapsed_compute().timer();
        self.qctx.count_series()?;
        self.metrics.series.add(1);
        self.metrics.chunks.add(s.chunks.len());
        self.metrics.chunk_bytes.add(s.chunks.iter().map(|c| c.data.len()).sum());
        let decoded = self.eval.series(s, sides, &mut self.rows)?;
        self.metrics.samples.add(decoded);
        Ok(())
    }

    /// The rows so far as a batch; with `more` to come, the next batch's columns are sized
    /// like this one's at once instead of grown by doubling (which copied them about once more).
    fn flush(&mut self, more: bool) -> Result<RecordBatch> {
        let next = if more { Rows::with_capacity(self.rows.len()) } else { Rows::default() };
        let rows = std::mem::replace(&mut self.rows, next);
        rows.into_batch(Arc::clone(&self.schema), &self.qctx.hists)
    }
}

impl<E: SeriesEval> Stream for SelectStream<E> {
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
        let poll = loop {
            if this.done {
                if this.rows.len() == 0 {
                    break Poll::Ready(None);
                }
                break Poll::Ready(Some(this.flush(false).map_err(DataFusionError::from)));
            }
            let waited = Instant::now();
            let next = this.source.poll_next_unpin(cx);
            this.metrics.source_time.add_elapsed(waited);
            match ready!(next) {
                None => this.done = true,
                Some(Err(e)) => {
                    break Poll::Ready(Some(Err(DataFusionError::from(crate::EngineError::from(e)))));
                }
                Some(Ok(SeriesFrame::Warning(w))) => this.qctx.warn(w),
                Some(Ok(SeriesFrame::Series(s))) => {
                    if let Err(e) = this.series(s, &sides) {
                        this.done = true;
                        break Poll::Ready(Some(Err(DataFusionError::from(e))));
                    }
                    if this.rows.len() >= BATCH_ROWS {
                        break Poll::Ready(Some(this.flush(true).map_err(DataFusionError::from)));
                    }
                }
            }
        };
        this.metrics.baseline.record_poll(poll)
    }
}

impl<E: SeriesEval> RecordBatchStream for SelectStream<E> {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
