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
use std::ops::Range;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use crate::batch::Batch;
use crate::histogram::{HistSample, SeriesSample, by_time};
use crate::series_head::SeriesHead;
use crate::series_key;
use crate::wal::WalSeries;
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, StoreError,
    StoreFuture, StoreInfo, StoreSeries, TimeRange,
};

/// One series of what the head took of a batch: its index in the batch and its ranges in
/// [`Taken`]'s samples and histograms.
#[derive(Debug, Clone)]
pub(crate) struct TakenSeries {
    pub(crate) index: usize,
    pub(crate) samples: Range<usize>,
    pub(crate) hists: Range<usize>,
}

/// What the head took of a batch.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    pub(crate) series: Vec<TakenSeries>,
    pub(crate) samples: Vec<(i64, f64)>,
    pub(crate) hists: Vec<(i64, HistSample)>,
}

/// What one write did to the head.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AppendStats {
    /// Float samples appended.
    pub appended: u64,
    /// Native histogram samples appended.
    pub histograms: u64,
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
    /// `stats`) under one lock, and returns it: the receiver logs exactly these. A series' float
    /// samples and histograms go in merged by time (Prometheus's write handler appends all
    /// floats first, and would refuse histograms older than the newest float).
    pub(crate) fn take(&self, batch: &Batch, stats: &mut AppendStats) -> Taken {
        let mut out = Taken { series: Vec::with_capacity(batch.series.len()), ..Taken::default() };
        let Ok(mut map) = self.series.write() else { return out };
        out.samples.reserve(batch.num_samples() - batch.num_hists());
        let min_valid = self.min_valid.load(Ordering::Acquire);
        let mut max_time = self.max_time.load(Ordering::Acquire);
        for (i, bs) in batch.series.iter().enumerate() {
            let key = batch.key(bs);
            let s = match map.get_mut(key) {
                Some(s) => s,
                None => map.entry(Box::from(key)).or_insert_with(SeriesHead::new),
            };
            let (first, first_hist) = (out.samples.len(), out.hists.len());
            for sample in by_time(batch.samples_of(bs), batch.hists_of(bs)) {
                if sample.time() < min_valid {
                    stats.out_of_bounds += 1;
                    continue;
                }
                match sample {
                    SeriesSample::Float(t, v) => {
                        let took = match s.accepts(t, v) {
                            Some(true) => {
                                s.append(t, v);
                                max_time = max_time.max(t);
                                Some(true)
                            }
                            // Before the series' newest sample (another value at that very time
                            // is a conflict, as in Prometheus) and within the window.
                            None if self.ooo_window > 0
                                && !s.has_hists()
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
                    SeriesSample::Hist(t, h) => match s.accepts_hist(t, h) {
                        Some(true) => {
                            s.append_hist(t, h.clone());
                            max_time = max_time.max(t);
                            out.hists.push((t, h.clone()));
                        }
                        Some(false) => stats.duplicates += 1,
                        None => stats.out_of_order += 1,
                    },
                }
            }
            if out.samples.len() > first || out.hists.len() > first_hist {
                out.series.push(TakenSeries {
                    index: i,
                    samples: first..out.samples.len(),
                    hists: first_hist..out.hists.len(),
                });
            } else if s.range().is_none() {
                map.remove(key);
            }
        }
        self.max_time.fetch_max(max_time, Ordering::AcqRel);
        stats.appended += out.samples.len() as u64;
        stats.histograms += out.hists.len() as u64;
        out
    }

    /// [`Head::take`] for series given whole (a replayed WAL record); how many samples and
    /// histograms were taken.
    pub fn take_series(&self, series: &[WalSeries]) -> u64 {
        let mut batch = Batch::with_capacity(series.len());
        for s in series {
            batch.push_labels(&s.labels, &s.samples, &s.histograms);
        }
        let mut stats = AppendStats::default();
        self.take(&batch, &mut stats);
        stats.appended + stats.histograms
    }

    /// [`Head::take_series`] for float samples only.
    pub fn take_labelled(&self, series: &[(Labels, Vec<(i64, f64)>)]) -> u64 {
        let series: Vec<WalSeries> = series
            .iter()
            .map(|(labels, samples)| WalSeries {
                labels: labels.clone(),
                samples: samples.clone(),
                histograms: Vec::new(),
            })
            .collect();
        self.take_series(&series)
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

    /// Each series' samples and histograms before `end` (its own labels, sorted), for a block.
    pub fn samples_before(&self, end: i64) -> Vec<WalSeries> {
        let Ok(map) = self.series.read() else { return Vec::new() };
        let mut out: Vec<WalSeries> = map
            .iter()
            .filter(|(_, s)| s.range().is_some_and(|(lo, _)| lo < end))
            .map(|(k, s)| {
                let (mut samples, mut histograms) = s.samples();
                samples.retain(|(t, _)| *t < end);
                histograms.retain(|(t, _)| *t < end);
                WalSeries { labels: series_key::unpack(k), samples, histograms }
            })
            .filter(|s| !s.samples.is_empty() || !s.histograms.is_empty())
            .collect();
        drop(map);
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
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
            let (mut floats, mut hists) = s.samples();
            floats.retain(|(t, _)| *t >= end);
            hists.retain(|(t, _)| *t >= end);
            *s = SeriesHead::rebuilt(&floats, &hists);
            s.range().is_some()
        });
    }

    /// Every series' samples, for a WAL checkpoint.
    pub fn all_samples(&self) -> Vec<WalSeries> {
        self.samples_before(i64::MAX)
    }

    pub fn num_series(&self) -> usize {
        self.series.read().map(|m| m.len()).unwrap_or(0)
    }

    /// Bytes of chunk data held.
    pub fn chunk_bytes(&self) -> usize {
        self.series.read().map(|m| m.values().map(SeriesHead::chunk_bytes).sum()).unwrap_or(0)
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

    /// The shard is decided on the labels served, after the replica labels are left out.
    fn shards_exactly(&self) -> bool {
        true
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
    use quiver_proto::chunkenc::{Encoding, decode_xor};

    use super::*;

    #[tokio::test]
    async fn appends_in_order_refuses_the_rest_and_serves_chunks() {
        let head = Arc::new(Head::new("head", Labels::from_pairs([("tenant_id", "t1")]).unwrap()));
        let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap();
        let mut stats = AppendStats::default();
        let input: Vec<(i64, f64)> = (0..300).map(|i| (i * 1000, i as f64)).collect();
        let mut batch = Batch::default();
        batch.push_labels(&up, &input, &[]);
        let taken = head.take(&batch, &mut stats);
        assert_eq!(taken.samples.len(), 300);
        let mut again = Batch::default();
        again.push_labels(&up, &[(299_000, 299.0), (5_000, 1.0), (300_000, 7.0)], &[]);
        let taken = head.take(&again, &mut stats);
        assert_eq!((taken.series.len(), taken.series[0].index, taken.samples), (1, 0, vec![(300_000, 7.0)]));
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
        batch.push_labels(&up, &(0..300).map(|i| (i * 1000, i as f64)).collect::<Vec<_>>(), &[]);
        head.take(&batch, &mut stats);
        let mut late = Batch::default();
        late.push_labels(
            &up,
            // In the window, new; its repeat; another value at its time; older than the window;
            // another value at the newest sample's time.
            &[(250_500, 0.5), (250_500, 0.5), (250_500, 9.0), (230_000, 1.0), (299_000, 7.0)],
            &[],
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
        assert_eq!(all[0].samples.len(), 301);
        assert!(all[0].samples.windows(2).all(|w| w[0].0 < w[1].0), "in time order for a block");
    }

    fn hist(count: u64) -> HistSample {
        HistSample::Int(quiver_proto::Histogram {
            count,
            sum: count as f64,
            positive_spans: vec![quiver_proto::Span { offset: 0, length: 1 }],
            positive_buckets: vec![count as i64],
            ..quiver_proto::Histogram::default()
        })
    }

    #[tokio::test]
    async fn histograms_and_floats_of_one_series_take_turns_in_chunks() {
        let head = Arc::new(Head::new("head", Labels::empty()));
        let s = Labels::from_pairs([("__name__", "lat")]).unwrap();
        let mut stats = AppendStats::default();
        let mut batch = Batch::default();
        // Floats up to 9 s, integer histograms (a counter reset at 20 s) to 29 s.
        let hists: Vec<(i64, HistSample)> =
            (10..30).map(|i| (i * 1000, hist(if i < 20 { 100 + i as u64 } else { 1 }))).collect();
        batch.push_labels(&s, &(0..10).map(|i| (i * 1000, 1.0)).collect::<Vec<_>>(), &hists);
        let taken = head.take(&batch, &mut stats);
        assert_eq!((taken.samples.len(), taken.hists.len()), (10, 20));
        assert_eq!((stats.appended, stats.histograms), (10, 20));
        let mut again = Batch::default();
        // A repeat of the last histogram, another histogram at its time, an older one, a float
        // at the newest histogram's time, then a float and a float histogram that are new.
        let float_h = HistSample::Float(quiver_proto::FloatHistogram { count: 0.5, ..Default::default() });
        again.push_labels(&s, &[(29_000, 3.0), (30_000, 3.0)], &[]);
        again.push_labels(
            &s,
            &[],
            &[(29_000, hist(1)), (29_000, hist(2)), (5_000, hist(1)), (31_000, float_h.clone())],
        );
        let taken = head.take(&again, &mut stats);
        assert_eq!((taken.samples.len(), taken.hists.len()), (1, 1));
        assert_eq!(
            (stats.duplicates, stats.out_of_order),
            (0, 4),
            "the repeat fails after the float at 30 s"
        );

        let req = SeriesRequest::new(vec![Matcher::equal("__name__", "lat")], TimeRange::new(0, 100_000));
        let frames: Vec<_> = Arc::clone(&head).series(req).collect().await;
        let SeriesFrame::Series(got) = frames[0].clone().unwrap() else { panic!() };
        let kinds: Vec<_> = got.chunks.iter().map(|c| (c.encoding, c.min_time, c.max_time)).collect();
        assert_eq!(
            kinds,
            [
                (Encoding::Xor, 0, 9_000),
                (Encoding::Histogram, 10_000, 19_000),
                (Encoding::Histogram, 20_000, 29_000),
                (Encoding::Xor, 30_000, 30_000),
                (Encoding::FloatHistogram, 31_000, 31_000),
            ]
        );
        let all = head.samples_before(i64::MAX);
        assert_eq!((all[0].samples.len(), all[0].histograms.len()), (11, 21));
        assert!(all[0].histograms[20].1.same_as(&float_h));
        // As a checkpoint holds it (floats and histograms apart), the series replays whole.
        let replayed = Head::new("replay", Labels::empty());
        assert_eq!(replayed.take_series(&all), 32);
        let back = replayed.samples_before(i64::MAX);
        assert_eq!(back[0].samples, all[0].samples);
        let times = |s: &WalSeries| s.histograms.iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(times(&back[0]), times(&all[0]));

        head.truncate_before(15_000);
        let left = head.samples_before(i64::MAX);
        assert_eq!((left[0].samples.len(), left[0].histograms.len()), (1, 16));
        assert_eq!(left[0].histograms[0].0, 15_000);
        assert_eq!(head.time_range(), Some((15_000, 31_000)));
    }
}
