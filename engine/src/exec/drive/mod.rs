//! The three shapes of operator stream, written once:
//!
//! - [`SelectStream`]: a leaf selector pulling series from the source, evaluating each as it
//!   arrives ([`SeriesEval`]) and emitting a batch whenever it holds [`BATCH_ROWS`] rows. The
//!   partitions of a selector share one source stream ([`SharedSource`]), dealt out to them.
//! - [`MapStream`]: an operator over whole series that turns each input batch into an output
//!   batch ([`BatchEval`]): functions of one series, range functions over subqueries,
//!   vector-scalar arithmetic.
//! - [`BlockingStream`]: an operator that needs its whole input (vector matching, `topk`, the
//!   sort functions): it gathers every partition of its inputs, with their memory reserved in
//!   the query's pool, runs its [`Kernel`] and emits the result batch by batch.
//!
//! Inputs that every partition needs whole (scalar arguments, `quantile`'s parameter) are
//! [`SideInputs`], evaluated once per operator and shared. Every stream checks the query's
//! deadline per batch or series, records its metrics, and releases the series ids it consumed
//! and does not pass on.
//!
//! [`BATCH_ROWS`]: super::common::BATCH_ROWS

mod blocking;
mod inputs;
mod map;
mod select;
mod shared;

pub(crate) use blocking::{BlockingStream, Kernel, Work};
pub(crate) use inputs::{SideInputs, collect_all, collect_parts, memory_for, spawn_join};
pub(crate) use map::{BatchEval, MapStream};
pub(crate) use select::{SelectStream, SeriesEval};
pub(crate) use shared::SharedSource;

use super::context::QueryContext;
use super::rows::Rows;

/// The series of some rows, once each (rows of one series are together, as in every batch).
pub(crate) fn series_of(rows: &Rows) -> Vec<u32> {
    rows.runs().map(|(id, _)| id).collect()
}

/// Releases the series `consumed` that `output` does not carry on.
pub(crate) fn release_consumed(qctx: &QueryContext, consumed: Vec<u32>, output: &Rows) {
    let mut kept: Vec<u32> = series_of(output);
    kept.sort_unstable();
    qctx.series.release(consumed.into_iter().filter(|id| kept.binary_search(id).is_err()));
}
