//! An in-memory store: float and native histogram samples per series, served as encoded chunks like every other store so
//! that queries run one code path.

use std::collections::BTreeMap;

use quiver_proto::chunkenc::{AppendOutcome, Encoding, FloatHistogramAppender, RawChunk, XorAppender};
use quiver_proto::{Labels, Matcher, SeriesStore, StoreError, StoreFuture, StoreSeries, TimeRange};

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
        let err = |e: quiver_proto::Error| StoreError(e.to_string());
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

impl SeriesStore for MemoryStore {
    fn select<'a>(&'a self, matchers: &'a [Matcher], range: TimeRange) -> StoreFuture<'a, Vec<StoreSeries>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for (labels, samples) in &self.series {
                if !matchers.iter().all(|m| m.matches_labels(labels)) {
                    continue;
                }
                let chunks = Self::encode(samples, range)?;
                if !chunks.is_empty() {
                    out.push(StoreSeries { labels: labels.clone(), chunks });
                }
            }
            Ok(out)
        })
    }
}
