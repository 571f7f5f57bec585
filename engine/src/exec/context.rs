//! What all operators of one query share: the series table, the source, the limits and their
//! counters, the annotations, and the query's deadline and cancellation.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use quiver_proto::{Matcher, SeriesFrame, SeriesRequest, SeriesStore, StoreSeries, TimeRange};

use super::rows::HistArena;
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
    samples: AtomicU64,
    /// Samples the selectors' outputs hold, against `max_samples`: like Prometheus's count of
    /// samples in memory at once, not of every sample decoded on the way (a series' decoded
    /// samples count only while it is processed).
    held: AtomicU64,
    pub(crate) max_samples: u64,
    /// Series selected so far against the limit (0: none).
    series_selected: AtomicU64,
    pub(crate) max_series: u64,
    pub(crate) hists: HistArena,
    /// Deadline and cancellation; see [`QueryContext::check`].
    pub(crate) control: QueryControl,
    /// `promql-delayed-name-removal`: a series marked for dropping its name still has it (and
    /// its `__type__`/`__unit__`) where vector matching compares labels.
    pub(crate) delayed_name_removal: bool,
    /// How many partitions the selectors split their series into (by label hash).
    pub(crate) partitions: usize,
}

impl QueryContext {
    pub(crate) fn new(
        store: Arc<dyn SeriesStore>,
        control: QueryControl,
        limits: (u64, u64),
        delayed_name_removal: bool,
        partitions: usize,
    ) -> Self {
        Self {
            series: SeriesTable::new(),
            store,
            annotations: Mutex::new(Annotations::default()),
            samples: AtomicU64::new(0),
            held: AtomicU64::new(0),
            max_samples: limits.0,
            series_selected: AtomicU64::new(0),
            max_series: limits.1,
            hists: HistArena::default(),
            control,
            delayed_name_removal,
            partitions: partitions.max(1),
        }
    }

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
    /// (per series, per step, per batch), so a query stops even while it computes without
    /// awaiting.
    pub(crate) fn check(&self) -> Result<()> {
        self.control.check()
    }

    /// Counts a series' `n` decoded samples: in the query's stats, and against the limit while
    /// they are in memory next to what the selectors hold. Selectors call it once per series,
    /// which makes it the place where loading series also checks for a timeout or cancellation.
    pub(crate) fn account(&self, n: usize) -> Result<()> {
        self.check()?;
        self.samples.fetch_add(n as u64, Ordering::Relaxed);
        if self.held.load(Ordering::Relaxed) + n as u64 > self.max_samples {
            return Err(EngineError::TooManySamples);
        }
        Ok(())
    }

    /// Counts `n` samples a selector keeps in its output against the limit, for the rest of the
    /// query.
    pub(crate) fn hold(&self, n: usize) -> Result<()> {
        let held = self.held.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if held > self.max_samples {
            return Err(EngineError::TooManySamples);
        }
        Ok(())
    }

    /// Counts one series a selector selected against the query's series limit, before any of
    /// its chunks is decoded. The count stops at the limit, so the series that goes past it is
    /// always reported as the limit plus one, whichever partition meets it first.
    pub(crate) fn count_series(&self) -> Result<()> {
        let limit = self.max_series;
        let counted = self.series_selected.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (limit == 0 || n < limit).then_some(n + 1)
        });
        match counted {
            Ok(_) => Ok(()),
            Err(n) => Err(EngineError::TooManySeries { limit, got: n + 1 }),
        }
    }

    /// Every series matching `matchers` in `range`, collected: for operators that need all of
    /// a selection at once (`info`). Warnings become the query's.
    pub(crate) async fn select_all(
        &self,
        matchers: &[Matcher],
        range: TimeRange,
    ) -> Result<Vec<StoreSeries>> {
        self.check()?;
        let mut stream = Arc::clone(&self.store).series(SeriesRequest::new(matchers.to_vec(), range));
        let mut out = Vec::new();
        while let Some(frame) = stream.next().await {
            match frame? {
                SeriesFrame::Series(s) => {
                    self.count_series()?;
                    out.push(s);
                }
                SeriesFrame::Warning(w) => self.warn(w),
            }
        }
        Ok(out)
    }

    /// A series as operators that read its labels see it. With delayed name removal, all its
    /// labels, the mark saying what goes at the end; without, as Prometheus 3 does by default,
    /// its name (and `__type__`/`__unit__`) are gone as soon as an operation drops them.
    pub(crate) fn entry(&self, id: u32) -> SeriesEntry {
        match self.entry_hiding_name(id) {
            (_, true) => SeriesEntry { labels: self.series.visible(id), drop_name: false },
            (e, false) => e,
        }
    }

    /// The series as [`QueryContext::entry`] shows it, without building the label set that
    /// lacks the name: the labels as stored, and whether their metadata labels (`__name__`,
    /// `__type__`, `__unit__`) are to be read as absent.
    pub(crate) fn entry_hiding_name(&self, id: u32) -> (SeriesEntry, bool) {
        let e = self.series.get(id);
        if self.delayed_name_removal || !e.drop_name {
            return (e, false);
        }
        (SeriesEntry { labels: e.labels, drop_name: false }, true)
    }

    /// Series counted by [`QueryContext::count_series`] so far.
    pub(crate) fn series_selected(&self) -> u64 {
        self.series_selected.load(Ordering::Relaxed)
    }

    /// Samples counted by [`QueryContext::account`] so far.
    pub(crate) fn samples_loaded(&self) -> u64 {
        self.samples.load(Ordering::Relaxed)
    }
}
