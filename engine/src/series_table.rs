//! The query-scoped table of series: every operator refers to series by a `u32` id and looks the
//! labels up here, so labels exist once per series and never per sample.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
    l.iter().any(|l| METADATA.contains(&l.name.as_str()))
}

/// `l` without the metric name and the type-and-unit labels.
pub(crate) fn without_name(l: &Labels) -> Labels {
    Labels::from_sorted(l.iter().filter(|l| !METADATA.contains(&l.name.as_str())).cloned().collect())
        .unwrap_or_default()
}

#[derive(Debug, Default)]
struct Inner {
    entries: Vec<SeriesEntry>,
    /// Each entry's visible labels, built once: operators ask for them per sample.
    visible: Vec<Arc<Labels>>,
    /// Label sets are hashed for every series an operator outputs: with foldhash (randomly
    /// seeded per table), which costs a fraction of SipHash on short strings.
    index: HashMap<SeriesEntry, u32, foldhash::fast::RandomState>,
    /// Answers of `with_name_dropped`, which operators ask per sample.
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

    /// The id of a series, registering it on first sight.
    pub(crate) fn intern(&self, labels: Labels, drop_name: bool) -> u32 {
        let entry = SeriesEntry { labels: Arc::new(labels), drop_name };
        if let Ok(inner) = self.inner.read()
            && let Some(id) = inner.index.get(&entry)
        {
            return *id;
        }
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(id) = inner.index.get(&entry) {
            return *id;
        }
        let id = inner.entries.len() as u32;
        inner.visible.push(entry.visible_labels());
        inner.entries.push(entry.clone());
        inner.index.insert(entry, id);
        id
    }

    /// The same series with its metric name marked for dropping (itself when it has no name or
    /// is already marked).
    pub(crate) fn with_name_dropped(&self, id: u32) -> u32 {
        if let Some(out) = self.inner.read().unwrap_or_else(|p| p.into_inner()).name_dropped.get(&id) {
            return *out;
        }
        let e = self.get(id);
        let out = if e.drop_name || !has_metadata(&e.labels) {
            id
        } else {
            self.intern(Labels::clone(&e.labels), true)
        };
        self.inner.write().unwrap_or_else(|p| p.into_inner()).name_dropped.insert(id, out);
        out
    }

    pub(crate) fn get(&self, id: u32) -> SeriesEntry {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner
            .entries
            .get(id as usize)
            .cloned()
            .unwrap_or(SeriesEntry { labels: Arc::new(Labels::empty()), drop_name: false })
    }

    /// The labels of a series as the rest of the query sees them: without `__name__` once it is
    /// marked for dropping.
    pub(crate) fn visible(&self, id: u32) -> Arc<Labels> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.visible.get(id as usize).map(Arc::clone).unwrap_or_default()
    }
}
