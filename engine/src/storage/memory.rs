//! An in-memory store: float and native histogram samples per series, served as encoded chunks like every other store so
//! that queries run one code path.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use quiver_proto::chunkenc::{AppendOutcome, Encoding, FloatHistogramAppender, RawChunk, XorAppender};
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, StoreError,
    StoreFuture, StoreInfo, StoreSeries, TimeRange,
};

use crate::value::Point;

/// Series held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    series: BTreeMap<Labels, Vec<(i64, Point)>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        self.series.clear();
    }

    /// Adds samples to a series; later samples at an existing timestamp replace earlier ones.
    pub fn append(&mut self, labels: Labels, samples: Vec<(i64, Point)>) {
        let s = self.series.entry(labels).or_default();
        s.extend(samples);
        s.sort_by_key(|(t, _)| *t);
        // Keep the last written sample for each timestamp.
        let mut dedup: Vec<(i64, Point)> = Vec::with_capacity(s.len());
        for (t, p) in s.drain(..) {
            match dedup.last_mut() {
                Some(last) if last.0 == t => *last = (t, p),
                _ => dedup.push((t, p)),
            }
        }
        *s = dedup;
    }

    /// Encodes a series as a Prometheus head would: runs of floats in XOR chunks, runs of
    /// histograms in float histogram chunks cut where the appender asks (counter reset, layout
    /// change) with the counter reset header the head writes, both at 120 samples. Returns the
    /// chunks that overlap `range`, whole: chunks are cut from the start of the series, not of
    /// the query, because a histogram's counter reset hint depends on its place in its chunk.
    pub(super) fn encode(samples: &[(i64, Point)], range: TimeRange) -> Result<Vec<RawChunk>, StoreError> {
        let err = |e: quiver_proto::Error| StoreError::invalid("memory", e);
        let mut out = Vec::new();
        let mut floats: Option<(XorAppender, i64, i64)> = None;
        let mut hists: Option<(FloatHistogramAppender, i64, i64)> = None;
        let flush_f = |c: &mut Option<(XorAppender, i64, i64)>, out: &mut Vec<RawChunk>| {
            if let Some((a, min, max)) = c.take() {
                out.push(raw(Encoding::Xor, min, max, a.into_bytes()));
            }
        };
        let flush_h = |c: &mut Option<(FloatHistogramAppender, i64, i64)>, out: &mut Vec<RawChunk>| {
            if let Some((a, min, max)) = c.take() {
                out.push(raw(Encoding::FloatHistogram, min, max, a.into_bytes()));
            }
        };
        for (t, p) in samples {
            match p {
                Point::Float(v) => {
                    flush_h(&mut hists, &mut out);
                    if floats.as_ref().is_some_and(|(a, _, _)| a.num_samples() >= 120) {
                        flush_f(&mut floats, &mut out);
                    }
                    let c = floats.get_or_insert_with(|| (XorAppender::new(), *t, *t));
                    c.0.append(*t, *v).map_err(err)?;
                    c.2 = *t;
                }
                Point::Histogram(h) => {
                    flush_f(&mut floats, &mut out);
                    let mut prev: Option<FloatHistogramAppender> = None;
                    if let Some((a, _, _)) = &mut hists {
                        let outcome =
                            if a.num_samples() >= 120 { None } else { Some(a.append(*t, h).map_err(err)?) };
                        match outcome {
                            Some(AppendOutcome::Appended | AppendOutcome::Recoded) => {
                                if let Some(c) = hists.as_mut() {
                                    c.2 = *t;
                                }
                                continue;
                            }
                            Some(AppendOutcome::NewChunk(header)) => {
                                flush_h(&mut hists, &mut out);
                                let mut a = FloatHistogramAppender::with_header(header);
                                a.append(*t, h).map_err(err)?;
                                hists = Some((a, *t, *t));
                                continue;
                            }
                            None => {
                                prev = hists.as_ref().map(|c| c.0.clone());
                                flush_h(&mut hists, &mut out);
                            }
                        }
                    }
                    let mut a = FloatHistogramAppender::new();
                    a.append_after(prev.as_ref(), *t, h).map_err(err)?;
                    hists = Some((a, *t, *t));
                }
            }
        }
        flush_f(&mut floats, &mut out);
        flush_h(&mut hists, &mut out);
        out.retain(|c| range.overlaps(&TimeRange::new(c.min_time, c.max_time)));
        Ok(out)
    }
}

fn raw(encoding: Encoding, min_time: i64, max_time: i64, data: Vec<u8>) -> RawChunk {
    RawChunk { min_time, max_time, encoding, data: data.into() }
}

impl MemoryStore {
    /// The series matching `matchers` with a sample in `range`.
    fn matching<'a>(&'a self, req: &'a LabelsRequest) -> impl Iterator<Item = &'a Labels> + 'a {
        self.series.iter().filter_map(move |(labels, samples)| {
            let in_range = samples.iter().any(|(t, _)| req.range.contains(*t));
            (in_range && req.matchers.iter().all(|m| m.matches_labels(labels))).then_some(labels)
        })
    }
}

impl SeriesStore for MemoryStore {
    fn name(&self) -> &str {
        "memory"
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let mut info = StoreInfo::empty();
            for samples in self.series.values() {
                if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
                    info.min_time = info.min_time.min(first.0);
                    info.max_time = info.max_time.max(last.0);
                }
            }
            info.resolutions_ms = vec![0];
            Ok(info)
        })
    }

    /// Encodes each matching series when the stream reaches it, so a stream holds one series'
    /// chunks at a time.
    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        // (labels served, key held): the labels served are sorted once the request's replica
        // labels are left out.
        let mut keys: Vec<(Labels, Labels)> = self
            .series
            .keys()
            .filter(|l| req.matchers.iter().all(|m| m.matches_labels(l)))
            .map(|l| (l.without(&req.without_replica_labels), l.clone()))
            .filter(|(served, _)| req.shard.as_ref().is_none_or(|s| s.owns(served)))
            .collect();
        if !req.without_replica_labels.is_empty() {
            keys.sort();
        }
        let frames = keys.into_iter().filter_map(move |(labels, key)| {
            let samples = self.series.get(&key)?;
            match Self::encode(samples, req.range) {
                Ok(chunks) if chunks.is_empty() => None,
                Ok(chunks) => {
                    let chunks = if req.skip_chunks { Vec::new() } else { chunks };
                    Some(Ok(SeriesFrame::Series(StoreSeries { labels, chunks })))
                }
                Err(e) => Some(Err(e)),
            }
        });
        Box::pin(futures::stream::iter(frames))
    }

    /// The shard is decided on the labels served, after the replica labels are left out.
    fn shards_exactly(&self) -> bool {
        true
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let names: BTreeSet<String> =
                self.matching(req).flat_map(|l| l.iter().map(|l| l.name.clone())).collect();
            Ok(LabelsAnswer::limited(names, req.limit))
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let values: BTreeSet<String> =
                self.matching(req).filter_map(|l| l.get(name).map(str::to_string)).collect();
            Ok(LabelsAnswer::limited(values, req.limit))
        })
    }
}
