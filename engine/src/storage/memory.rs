//! An in-memory store: samples per series, served as encoded chunks like every other store so
//! that queries run one code path.

use std::collections::BTreeMap;

use quiver_proto::chunkenc::{Encoding, RawChunk, XorAppender};
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

    fn encode(samples: &[(i64, Point)], range: TimeRange) -> Result<Vec<RawChunk>, StoreError> {
        let mut out = Vec::new();
        let mut cur: Option<(XorAppender, i64, i64)> = None;
        for (t, p) in samples.iter().filter(|(t, _)| range.contains(*t)) {
            let v = match p {
                Point::Float(v) => *v,
                Point::Histogram(_) => {
                    return Err(StoreError(
                        "native histograms in the in-memory store are not supported yet".into(),
                    ));
                }
            };
            if cur.as_ref().is_some_and(|(a, _, _)| a.num_samples() >= 120)
                && let Some((a, min, max)) = cur.take()
            {
                out.push(RawChunk {
                    min_time: min,
                    max_time: max,
                    encoding: Encoding::Xor,
                    data: a.into_bytes().into(),
                });
            }
            let c = cur.get_or_insert_with(|| (XorAppender::new(), *t, *t));
            c.0.append(*t, v).map_err(|e| StoreError(e.to_string()))?;
            c.2 = *t;
        }
        if let Some((a, min, max)) = cur {
            out.push(RawChunk {
                min_time: min,
                max_time: max,
                encoding: Encoding::Xor,
                data: a.into_bytes().into(),
            });
        }
        Ok(out)
    }
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
