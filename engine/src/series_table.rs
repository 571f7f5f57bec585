//! The query-scoped table of series: every operator refers to series by a `u32` id and looks the
//! labels up here, so labels exist once per series and never per sample.
//!
//! Ids are handed out fresh and in increasing order: an operator registers each series it outputs
//! as it first emits it, so within each partition of its output the ids only grow and its rows
//! are sorted by (series, time), the ordering the operators declare. The operator reading a
//! stream releases the ids it does not pass on once it is done with them, so a query that
//! streams through many series holds the labels of those in flight, not of all it has seen.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use quiver_proto::{Labels, METRIC_NAME};

/// One entry: the labels, and whether `__name__` is to be dropped when the result is returned
/// (Prometheus's delayed name removal: functions and operators mark, the end of evaluation drops).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SeriesEntry {
    pub(crate) labels: Arc<Labels>,
    pub(crate) drop_name: bool,
}

impl SeriesEntry {
    /// The labels as the rest of the query sees them: without `__name__` (and the metadata
    /// labels `__type__` and `__unit__`) once it is marked for dropping.
    fn visible_labels(&self) -> Arc<Labels> {
        if self.drop_name && has_metadata(&self.labels) {
            Arc::new(without_name(&self.labels))
        } else {
            Arc::clone(&self.labels)
        }
    }
}

/// The labels Prometheus drops with the metric name (`schema.IsMetadataLabel`): the name and the
/// type-and-unit labels.
const METADATA: [&str; 3] = [METRIC_NAME, "__type__", "__unit__"];

/// Whether `l` has a label that dropping the metric name removes.
pub(crate) fn has_metadata(l: &Labels) -> bool {
    l.iter().any(|l| is_metadata(&l.name))
}

/// Whether `name` is one of the labels an operation that drops the metric name drops.
pub(crate) fn is_metadata(name: &str) -> bool {
    METADATA.contains(&name)
}

/// `l` without the metric name and the type-and-unit labels.
pub(crate) fn without_name(l: &Labels) -> Labels {
    Labels::from_sorted(l.iter().filter(|l| !METADATA.contains(&l.name.as_str())).cloned().collect())
        .unwrap_or_default()
}

#[derive(Debug)]
struct Slot {
    entry: SeriesEntry,
    /// The entry's visible labels, built once when first asked for: operators ask for them per
    /// sample, while a series that only feeds an aggregation never needs them.
    visible: OnceLock<Arc<Labels>>,
}

#[derive(Debug, Default)]
struct Inner {
    /// By id; `None` once released.
    slots: Vec<Option<Slot>>,
    /// Answers of `with_name_dropped`, by the id asked about.
    name_dropped: HashMap<u32, u32, foldhash::fast::RandomState>,
}

/// Ids to series, shared by all operators of one query.
#[derive(Debug, Default)]
pub(crate) struct SeriesTable {
    inner: RwLock<Inner>,
}

impl SeriesTable {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers a series and returns its new id, larger than every id given before.
    pub(crate) fn add(&self, labels: Labels, drop_name: bool) -> u32 {
        self.add_shared(Arc::new(labels), drop_name)
    }

    /// As [`SeriesTable::add`], for labels already shared.
    pub(crate) fn add_shared(&self, labels: Arc<Labels>, drop_name: bool) -> u32 {
        let entry = SeriesEntry { labels, drop_name };
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        inner.slots.push(Some(Slot { entry, visible: OnceLock::new() }));
        (inner.slots.len() - 1) as u32
    }

    /// The same series with its metric name marked for dropping (itself when it has no name or
    /// is already marked); asked twice about one id, the same answer.
    pub(crate) fn with_name_dropped(&self, id: u32) -> u32 {
        if let Some(out) = self.inner.read().unwrap_or_else(|p| p.into_inner()).name_dropped.get(&id) {
            return *out;
        }
        let e = self.get(id);
        let out = if e.drop_name || !has_metadata(&e.labels) { id } else { self.add_shared(e.labels, true) };
        self.inner.write().unwrap_or_else(|p| p.into_inner()).name_dropped.insert(id, out);
        out
    }

    pub(crate) fn get(&self, id: u32) -> SeriesEntry {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        match inner.slots.get(id as usize) {
            Some(Some(s)) => s.entry.clone(),
            _ => {
                debug_assert!(false, "series {id} read after its release");
                SeriesEntry { labels: Arc::new(Labels::empty()), drop_name: false }
            }
        }
    }

    /// The labels of a series as the rest of the query sees them: without `__name__` once it is
    /// marked for dropping.
    pub(crate) fn visible(&self, id: u32) -> Arc<Labels> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        match inner.slots.get(id as usize) {
            Some(Some(s)) => Arc::clone(s.visible.get_or_init(|| s.entry.visible_labels())),
            _ => {
                debug_assert!(false, "series {id} read after its release");
                Arc::default()
            }
        }
    }

    /// Forgets series nobody refers to any more.
    pub(crate) fn release(&self, ids: impl IntoIterator<Item = u32>) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            if let Some(slot) = inner.slots.get_mut(id as usize) {
                *slot = None;
            }
            inner.name_dropped.remove(&id);
        }
    }

    /// Series registered and not released, for tests of the release discipline.
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.inner.read().unwrap_or_else(|p| p.into_inner()).slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_and_released_series_are_gone() {
        let t = SeriesTable::default();
        let l = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap_or_default();
        let a = t.add(l.clone(), false);
        let b = t.add(l.clone(), false);
        assert!(b > a, "the same labels get a fresh, larger id");
        let dropped = t.with_name_dropped(a);
        assert!(dropped > b && t.with_name_dropped(a) == dropped);
        assert_eq!(t.visible(dropped).to_string(), "{job=\"a\"}");
        assert_eq!(t.get(a).labels.as_ref(), &l);
        t.release([a, b]);
        assert_eq!(t.live(), 1);
    }
}
