//! A tenant's in-memory head: the samples received and not yet in a block, per series as XOR
//! chunks (closed at 120 samples, as Prometheus's head cuts them, plus the one being appended
//! to), so a sample costs about a byte and a half. The head is a source like any other: it
//! answers series requests with its chunks and the receiver's external labels (the tenant's
//! among them).
//!
//! Appends follow Prometheus's appender per sample: a sample at or before the series' newest
//! one is refused as out of order (an identical repeat is accepted and dropped), and the rest
//! of the write still goes in; with an out-of-order window (`--tsdb.out-of-order.time-window`)
//! an older sample within the window of the head's newest is kept aside, in time order, and
//! served as one more chunk, as Prometheus's out-of-order head does.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::batch::Batch;
use crate::series_key;
use bytes::Bytes;
use quiver_proto::chunkenc::{Encoding, RawChunk, XorAppender, decode_xor};
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, StoreError,
    StoreFuture, StoreInfo, StoreSeries, TimeRange,
};

/// Samples per chunk, as Prometheus's head.
const CHUNK_SAMPLES: usize = 120;

#[derive(Debug)]
struct SeriesHead {
    closed: Vec<RawChunk>,
    open: XorAppender,
    open_min: i64,
    last: Option<(i64, f64)>,
    /// Samples taken out of order (within the head's window), by time; served as one more
    /// chunk that overlaps the others, as Prometheus's out-of-order head does.
    ooo: Vec<(i64, f64)>,
}

impl SeriesHead {
    fn new() -> Self {
        Self { closed: Vec::new(), open: XorAppender::new(), open_min: 0, last: None, ooo: Vec::new() }
    }

    /// Takes an out-of-order sample: `Some(true)` when new, `Some(false)` for an identical
    /// repeat, `None` for another value at a time already taken out of order.
    fn insert_ooo(&mut self, t: i64, v: f64) -> Option<bool> {
        match self.ooo.binary_search_by_key(&t, |s| s.0) {
            Ok(i) => (self.ooo[i].1.to_bits() == v.to_bits()).then_some(false),
            Err(i) => {
                self.ooo.insert(i, (t, v));
                Some(true)
            }
        }
    }

    /// Whether `(t, v)` would be taken: `Some(true)` to append, `Some(false)` for an identical
    /// repeat, `None` when out of order.
    fn accepts(last: Option<(i64, f64)>, t: i64, v: f64) -> Option<bool> {
        match last {
            Some((lt, _)) if t < lt => None,
            Some((lt, lv)) if t == lt => (lv.to_bits() == v.to_bits()).then_some(false),
            _ => Some(true),
        }
    }

    fn append(&mut self, t: i64, v: f64) {
        if self.open.num_samples() >= CHUNK_SAMPLES {
            let full = std::mem::replace(&mut self.open, XorAppender::new());
            let max = self.last.map_or(self.open_min, |l| l.0);
            self.closed.push(RawChunk {
                min_time: self.open_min,
                max_time: max,
                encoding: Encoding::Xor,
                data: Bytes::from(full.into_bytes()),
            });
        }
        if self.open.num_samples() == 0 {
            self.open_min = t;
        }
        // In order by construction: the appender only refuses out-of-order samples.
        if self.open.append(t, v).is_ok() {
            self.last = Some((t, v));
        }
    }

    /// The chunks overlapping `range`, the open one copied as it is now.
    fn chunks(&self, range: &TimeRange) -> Vec<RawChunk> {
        let mut out: Vec<RawChunk> = self
            .closed
            .iter()
            .filter(|c| range.overlaps(&TimeRange::new(c.min_time, c.max_time)))
            .cloned()
            .collect();
        if let Some((max, _)) = self.last
            && self.open.num_samples() > 0
            && range.overlaps(&TimeRange::new(self.open_min, max))
        {
            out.push(RawChunk {
                min_time: self.open_min,
                max_time: max,
                encoding: Encoding::Xor,
                data: Bytes::copy_from_slice(self.open.bytes()),
            });
        }
        if let (Some(&(lo, _)), Some(&(hi, _))) = (self.ooo.first(), self.ooo.last())
            && range.overlaps(&TimeRange::new(lo, hi))
        {
            let mut app = XorAppender::new();
            for &(t, v) in &self.ooo {
                let _ = app.append(t, v);
            }
            out.push(RawChunk {
                min_time: lo,
                max_time: hi,
                encoding: Encoding::Xor,
                data: Bytes::from(app.into_bytes()),
            });
        }
        out
    }

    fn range(&self) -> Option<(i64, i64)> {
        let min = self.closed.first().map_or(self.open_min, |c| c.min_time);
        let in_order = self.last.map(|(max, _)| (min, max));
        match (in_order, self.ooo.first(), self.ooo.last()) {
            (Some((lo, hi)), Some(a), Some(b)) => Some((lo.min(a.0), hi.max(b.0))),
            (None, Some(a), Some(b)) => Some((a.0, b.0)),
            (r, _, _) => r,
        }
    }

    /// Every sample held, in time order (an out-of-order sample at a time also taken in order
    /// gives way to it).
    fn samples(&self) -> Vec<(i64, f64)> {
        let mut out = Vec::new();
        for data in self.closed.iter().map(|c| &c.data[..]).chain(std::iter::once(self.open.bytes())) {
            if let Ok(s) = decode_xor(data) {
                out.extend(s.into_iter().map(|s| (s.t, s.v)));
            }
        }
        if !self.ooo.is_empty() {
            out.extend_from_slice(&self.ooo);
            out.sort_by_key(|s| s.0);
            out.dedup_by_key(|s| s.0);
        }
        out
    }
}

/// What the head took of a batch: each series with samples taken (its index in the batch) and
/// their range in `samples`.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    pub(crate) series: Vec<(usize, std::ops::Range<usize>)>,
    pub(crate) samples: Vec<(i64, f64)>,
}

/// What one write did to the head.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppendStats {
    pub appended: u64,
    pub out_of_order: u64,
    /// Before the head's oldest valid time (in a block already).
    pub out_of_bounds: u64,
    pub duplicates: u64,
}

/// The head's series by packed label set (`series_key`). A hash map: a write looks up every
/// series it carries, and ordered lookups compared long label sets byte by byte (half of a
/// write's CPU at 100k series); the few readers that need label order sort what they take.
type SeriesMap = HashMap<Box<[u8]>, SeriesHead, foldhash::fast::RandomState>;

/// One tenant's head.
#[derive(Debug)]
pub struct Head {
    name: String,
    /// Added to every series it serves (the receiver's labels and the tenant's).
    external: Labels,
    series: RwLock<SeriesMap>,
    /// Samples before this are in a block already: refused as out of bounds.
    min_valid: AtomicI64,
    /// How far before the head's newest sample an out-of-order sample is still taken
    /// (`--tsdb.out-of-order.time-window`); 0 refuses them all.
    ooo_window: i64,
    /// The newest sample time taken.
    max_time: AtomicI64,
}

impl Head {
    pub fn new(name: impl Into<String>, external: Labels) -> Self {
        Self {
            name: name.into(),
            external,
            series: RwLock::new(SeriesMap::default()),
            min_valid: AtomicI64::new(i64::MIN),
            ooo_window: 0,
            max_time: AtomicI64::new(i64::MIN),
        }
    }

    /// Takes samples up to `window_ms` older than the newest one held, out of order.
    pub fn with_ooo_window(mut self, window_ms: i64) -> Self {
        self.ooo_window = window_ms.max(0);
        self
    }

    pub fn external_labels(&self) -> &Labels {
        &self.external
    }

    /// Appends what the head takes of each series' samples (in order, new; the rest counted in
    /// `stats`) under one lock, and returns it: the receiver logs exactly these.
    pub(crate) fn take(&self, batch: &Batch, stats: &mut AppendStats) -> Taken {
        let mut out = Taken { series: Vec::with_capacity(batch.series.len()), samples: Vec::new() };
        let Ok(mut map) = self.series.write() else { return out };
        out.samples.reserve(batch.num_samples());
        let min_valid = self.min_valid.load(Ordering::Acquire);
        let mut max_time = self.max_time.load(Ordering::Acquire);
        for (i, bs) in batch.series.iter().enumerate() {
            let key = batch.key(bs);
            let s = match map.get_mut(key) {
                Some(s) => s,
                None => map.entry(Box::from(key)).or_insert_with(SeriesHead::new),
            };
            let first = out.samples.len();
            for &(t, v) in batch.samples_of(bs) {
                if t < min_valid {
                    stats.out_of_bounds += 1;
                    continue;
                }
                let took = match SeriesHead::accepts(s.last, t, v) {
                    Some(true) => {
                        s.append(t, v);
                        max_time = max_time.max(t);
                        Some(true)
                    }
                    // Before the series' newest sample (another value at that very time is a
                    // conflict, as in Prometheus) and within the window.
                    None if self.ooo_window > 0
                        && s.last.is_some_and(|l| t < l.0)
                        && t >= max_time.saturating_sub(self.ooo_window) =>
                    {
                        s.insert_ooo(t, v)
                    }
                    other => other,
                };
                match took {
                    Some(true) => out.samples.push((t, v)),
                    Some(false) => stats.duplicates += 1,
                    None => stats.out_of_order += 1,
                }
            }
            if out.samples.len() > first {
                out.series.push((i, first..out.samples.len()));
            } else if s.last.is_none() && s.ooo.is_empty() {
                map.remove(key);
            }
        }
        self.max_time.fetch_max(max_time, Ordering::AcqRel);
        stats.appended += out.samples.len() as u64;
        out
    }

    /// [`Head::take`] for series given as label sets (a replayed WAL record); how many samples
    /// were taken.
    pub fn take_labelled(&self, series: &[(Labels, Vec<(i64, f64)>)]) -> u64 {
        let mut batch = Batch::with_capacity(series.len());
        for (labels, samples) in series {
            batch.push_labels(labels, samples);
        }
        let mut stats = AppendStats::default();
        self.take(&batch, &mut stats);
        stats.appended
    }

    /// Whether the head holds the series packed as `key`.
    pub(crate) fn has_key(&self, key: &[u8]) -> bool {
        self.series.read().is_ok_and(|m| m.contains_key(key))
    }

    /// The oldest and newest sample times held.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let map = self.series.read().ok()?;
        map.values().filter_map(SeriesHead::range).fold(None, |acc, (lo, hi)| match acc {
            None => Some((lo, hi)),
            Some((a, b)) => Some((a.min(lo), b.max(hi))),
        })
    }

    /// Each series' samples before `end` (its own labels, sorted), for a block.
    pub fn samples_before(&self, end: i64) -> Vec<(Labels, Vec<(i64, f64)>)> {
        let Ok(map) = self.series.read() else { return Vec::new() };
        let mut out: Vec<(Labels, Vec<(i64, f64)>)> = map
            .iter()
            .filter(|(_, s)| s.range().is_some_and(|(lo, _)| lo < end))
            .map(|(k, s)| {
                (series_key::unpack(k), s.samples().into_iter().filter(|(t, _)| *t < end).collect::<Vec<_>>())
            })
            .filter(|(_, s)| !s.is_empty())
            .collect();
        drop(map);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Drops the samples before `end` (now in a block); later ones before it are refused.
    pub fn truncate_before(&self, end: i64) {
        self.min_valid.fetch_max(end, Ordering::AcqRel);
        let Ok(mut map) = self.series.write() else { return };
        map.retain(|_, s| {
            if s.range().is_some_and(|(lo, _)| lo >= end) {
                return true;
            }
            let kept: Vec<(i64, f64)> = s.samples().into_iter().filter(|(t, _)| *t >= end).collect();
            *s = SeriesHead::new();
            for (t, v) in &kept {
                s.append(*t, *v);
            }
            !kept.is_empty()
        });
    }

    /// Every series' samples, for a WAL checkpoint.
    pub fn all_samples(&self) -> Vec<(Labels, Vec<(i64, f64)>)> {
        self.samples_before(i64::MAX)
    }

    pub fn num_series(&self) -> usize {
        self.series.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Bytes of chunk data held.
    pub fn chunk_bytes(&self) -> usize {
        self.series
            .read()
            .map(|m| {
                m.values()
                    .map(|s| s.closed.iter().map(|c| c.data.len()).sum::<usize>() + s.open.len_bytes())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Labels as served: the external labels added (theirs winning), `strip` removed.
    fn served(&self, labels: &Labels, strip: &[String]) -> Labels {
        let l = if self.external.is_empty() { labels.clone() } else { self.external.merged_with(labels) };
        if strip.is_empty() { l } else { l.without(strip) }
    }

    /// The served labels of the series matching `req` with data in its range, sorted.
    fn matching(&self, req: &LabelsRequest) -> Vec<Labels> {
        let Ok(map) = self.series.read() else { return Vec::new() };
        let mut out: Vec<Labels> = map
            .iter()
            .filter(|(_, s)| {
                s.range().is_some_and(|(min, max)| req.range.overlaps(&TimeRange::new(min, max)))
            })
            .map(|(k, _)| self.served(&series_key::unpack(k), &req.without_replica_labels))
            .filter(|l| req.matchers.iter().all(|m| m.matches_labels(l)))
            .collect();
        out.sort();
        out
    }
}

impl SeriesStore for Head {
    fn name(&self) -> &str {
        &self.name
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let mut info = StoreInfo::empty();
            if let Ok(map) = self.series.read() {
                for (min, max) in map.values().filter_map(SeriesHead::range) {
                    info.min_time = info.min_time.min(min);
                    info.max_time = info.max_time.max(max);
                }
            }
            if !self.external.is_empty() {
                info.label_sets = vec![self.external.clone()];
            }
            info.resolutions_ms = vec![0];
            Ok(info)
        })
    }

    /// The matching series as they are now, sorted by their served labels.
    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        let mut found: Vec<StoreSeries> = Vec::new();
        if let Ok(map) = self.series.read() {
            for (key, s) in map.iter() {
                let served = self.served(&series_key::unpack(key), &req.without_replica_labels);
                if !req.matchers.iter().all(|m| m.matches_labels(&served))
                    || req.shard.as_ref().is_some_and(|sh| !sh.owns(&served))
                {
                    continue;
                }
                let chunks = s.chunks(&req.range);
                if chunks.is_empty() {
                    continue;
                }
                let chunks = if req.skip_chunks { Vec::new() } else { chunks };
                found.push(StoreSeries { labels: served, chunks });
            }
        }
        found.sort_by(|a, b| a.labels.cmp(&b.labels));
        let limit = req.limits.series;
        if limit > 0 && found.len() as u64 > limit {
            let e = StoreError::LimitExceeded {
                store: self.name.clone(),
                what: quiver_proto::store::LimitKind::Series,
                limit,
                got: found.len() as u64,
            };
            return quiver_proto::store::failed_stream(e);
        }
        Box::pin(futures::stream::iter(found.into_iter().map(|s| Ok(SeriesFrame::Series(s)))))
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let names: BTreeSet<String> =
                self.matching(req).iter().flat_map(|l| l.iter().map(|l| l.name.clone())).collect();
            Ok(LabelsAnswer::limited(names, req.limit))
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let values: BTreeSet<String> =
                self.matching(req).iter().filter_map(|l| l.get(name).map(str::to_string)).collect();
            Ok(LabelsAnswer::limited(values, req.limit))
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures::StreamExt;
    use quiver_proto::Matcher;
    use quiver_proto::chunkenc::decode_xor;

    use super::*;

    #[tokio::test]
    async fn appends_in_order_refuses_the_rest_and_serves_chunks() {
        let head = Arc::new(Head::new("head", Labels::from_pairs([("tenant_id", "t1")]).unwrap()));
        let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap();
        let mut stats = AppendStats::default();
        let input: Vec<(i64, f64)> = (0..300).map(|i| (i * 1000, i as f64)).collect();
        let mut batch = Batch::default();
        batch.push_labels(&up, &input);
        let taken = head.take(&batch, &mut stats);
        assert_eq!(taken.samples.len(), 300);
        let mut again = Batch::default();
        again.push_labels(&up, &[(299_000, 299.0), (5_000, 1.0), (300_000, 7.0)]);
        let taken = head.take(&again, &mut stats);
        assert_eq!((taken.series, taken.samples), (vec![(0, 0..1)], vec![(300_000, 7.0)]));
        assert_eq!((stats.appended, stats.duplicates, stats.out_of_order), (301, 1, 1));

        let req = SeriesRequest::new(vec![Matcher::equal("job", "a")], TimeRange::new(0, 1_000_000));
        let frames: Vec<_> = Arc::clone(&head).series(req).collect().await;
        let SeriesFrame::Series(s) = frames[0].clone().unwrap() else { panic!() };
        assert_eq!(s.labels.get("tenant_id"), Some("t1"));
        assert_eq!(s.chunks.len(), 3);
        let samples: Vec<_> = s.chunks.iter().flat_map(|c| decode_xor(&c.data).unwrap()).collect();
        assert_eq!(samples.len(), 301);
        assert_eq!(samples.last().map(|s| (s.t, s.v)), Some((300_000, 7.0)));
        // A range that only the open chunk covers.
        let req = SeriesRequest::new(vec![Matcher::equal("job", "a")], TimeRange::new(250_000, 260_000));
        let frames: Vec<_> = Arc::clone(&head).series(req).collect().await;
        let SeriesFrame::Series(s) = frames[0].clone().unwrap() else { panic!() };
        assert_eq!(s.chunks.len(), 1);
        let names = head.label_names(&LabelsRequest::new(Vec::new(), TimeRange::new(0, 1))).await.unwrap();
        assert_eq!(names.values, ["__name__", "job", "tenant_id"]);
    }

    #[tokio::test]
    async fn out_of_order_samples_within_the_window_are_taken_and_served() {
        let head = Arc::new(Head::new("head", Labels::empty()).with_ooo_window(60_000));
        let up = Labels::from_pairs([("__name__", "up")]).unwrap();
        let mut stats = AppendStats::default();
        let mut batch = Batch::default();
        batch.push_labels(&up, &(0..300).map(|i| (i * 1000, i as f64)).collect::<Vec<_>>());
        head.take(&batch, &mut stats);
        let mut late = Batch::default();
        late.push_labels(
            &up,
            // In the window, new; its repeat; another value at its time; older than the window;
            // another value at the newest sample's time.
            &[(250_500, 0.5), (250_500, 0.5), (250_500, 9.0), (230_000, 1.0), (299_000, 7.0)],
        );
        let taken = head.take(&late, &mut stats);
        assert_eq!(taken.samples, [(250_500, 0.5)]);
        assert_eq!((stats.appended, stats.duplicates, stats.out_of_order), (301, 1, 3));

        let req =
            SeriesRequest::new(vec![Matcher::equal("__name__", "up")], TimeRange::new(250_000, 251_000));
        let frames: Vec<_> = Arc::clone(&head).series(req).collect().await;
        let SeriesFrame::Series(s) = frames[0].clone().unwrap() else { panic!() };
        let mut samples: Vec<(i64, f64)> =
            s.chunks.iter().flat_map(|c| decode_xor(&c.data).unwrap()).map(|s| (s.t, s.v)).collect();
        samples.sort_by_key(|s| s.0);
        assert!(samples.contains(&(250_500, 0.5)) && samples.contains(&(250_000, 250.0)));
        let all = head.samples_before(i64::MAX);
        assert_eq!(all[0].1.len(), 301);
        assert!(all[0].1.windows(2).all(|w| w[0].0 < w[1].0), "in time order for a block");
    }
}
