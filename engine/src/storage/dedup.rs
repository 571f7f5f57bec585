//! Deduplication of HA replicas as a source over a source, as Thanos's querier does it.
//!
//! The request asks the sources beneath to leave out the replica labels
//! (`without_replica_labels`) and to sort by what is left, so the replicas of a series arrive
//! as one merged series whose chunks overlap where replicas overlap. Each such series is split
//! back into chains of non-overlapping chunks (Thanos's `overlapSplit`: a chunk starting where
//! the last one of a chain ends still overlaps it), the chains are decoded within the requested
//! range and merged by [`penalty`] or [`chain`], and the result is encoded into chunks again.
//! A series whose chunks do not overlap passes untouched, without being decoded.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use quiver_proto::chunkenc::RawChunk;
use quiver_proto::{
    LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, StoreError,
    StoreFuture, StoreInfo, StoreSeries, TimeRange,
};

use super::MemoryStore;
use super::dedup_penalty::{Samples, chain, penalty};
use crate::exec::decode_samples;
use crate::value::Point;

/// How replicas are merged (`--deduplication.func`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DedupFunc {
    /// Thanos's penalty algorithm (the default).
    #[default]
    Penalty,
    /// Every sample of every replica, one per timestamp.
    Chain,
}

impl std::str::FromStr for DedupFunc {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "penalty" | "" => Ok(Self::Penalty),
            "chain" => Ok(Self::Chain),
            other => Err(format!("unknown deduplication function {other:?} (want penalty or chain)")),
        }
    }
}

/// The functions whose counters Thanos adjusts at a replica switch.
const COUNTER_FUNCS: [&str; 4] = ["increase", "rate", "irate", "resets"];

/// A source whose replicas (series differing only in the replica labels) are merged into one.
#[derive(Debug)]
pub struct DedupStore {
    inner: Arc<dyn SeriesStore>,
    replica_labels: Vec<String>,
    func: DedupFunc,
}

impl DedupStore {
    pub fn new(inner: Arc<dyn SeriesStore>, replica_labels: Vec<String>, func: DedupFunc) -> Self {
        Self { inner, replica_labels, func }
    }

    fn without_replicas(&self, mut labels: Vec<String>) -> Vec<String> {
        for l in &self.replica_labels {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        labels
    }
}

impl SeriesStore for DedupStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        self.inner.info()
    }

    fn series(self: Arc<Self>, mut req: SeriesRequest) -> SeriesStream {
        req.without_replica_labels = self.without_replicas(std::mem::take(&mut req.without_replica_labels));
        let counter =
            req.hints.as_ref().and_then(|h| h.func.as_deref()).is_some_and(|f| COUNTER_FUNCS.contains(&f));
        let merge = Merge { func: self.func, counter, range: req.range, skip_chunks: req.skip_chunks };
        let inner = Arc::clone(&self.inner).series(req);
        Box::pin(DedupStream { inner, merge, store: self.inner.name().to_string() })
    }

    /// The replica labels go down with the request, so a shard's series hold every replica of
    /// theirs: the merge of replicas never spans two shards.
    fn shards_exactly(&self) -> bool {
        self.inner.shards_exactly()
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let mut req = req.clone();
            req.without_replica_labels = self.without_replicas(req.without_replica_labels);
            self.inner.label_names(&req).await
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let mut req = req.clone();
            req.without_replica_labels = self.without_replicas(req.without_replica_labels);
            self.inner.label_values(name, &req).await
        })
    }
}

/// How one request's series are merged.
#[derive(Debug, Clone, Copy)]
struct Merge {
    func: DedupFunc,
    counter: bool,
    range: TimeRange,
    skip_chunks: bool,
}

impl Merge {
    fn series(&self, s: StoreSeries) -> Result<StoreSeries, String> {
        if self.skip_chunks || s.chunks.len() <= 1 {
            return Ok(s);
        }
        let chains = overlap_split(s.chunks);
        if chains.len() == 1 {
            let chunks = chains.into_iter().next().unwrap_or_default();
            return Ok(StoreSeries { labels: s.labels, chunks });
        }
        let mut replicas = Vec::with_capacity(chains.len());
        for chunks in chains {
            replicas.push(self.decode(StoreSeries { labels: s.labels.clone(), chunks })?);
        }
        let merged = match self.func {
            DedupFunc::Penalty => penalty(replicas, self.counter),
            DedupFunc::Chain => chain(replicas),
        };
        let range = TimeRange::new(i64::MIN, i64::MAX);
        let chunks = MemoryStore::encode(&merged, range).map_err(|e| e.to_string())?;
        Ok(StoreSeries { labels: s.labels, chunks })
    }

    /// A chain's samples within the requested range (Thanos bounds each replica so).
    fn decode(&self, s: StoreSeries) -> Result<Samples, String> {
        let d = decode_samples(&s).map_err(|e| e.to_string())?;
        Ok((0..d.len())
            .filter(|&i| self.range.contains(d.ts[i]))
            .map(|i| {
                let p = match d.hist(i) {
                    Some(h) => Point::Histogram((**h).clone()),
                    None => Point::Float(d.values[i]),
                };
                (d.ts[i], p)
            })
            .collect())
    }
}

/// Thanos's `overlapSplit`: chunks (sorted by start) into chains that do not overlap, each
/// chunk going to the first chain whose last chunk ends strictly before it starts.
fn overlap_split(chunks: Vec<RawChunk>) -> Vec<Vec<RawChunk>> {
    let mut chains: Vec<Vec<RawChunk>> = Vec::new();
    for c in chunks {
        match chains.iter_mut().find(|ch| ch.last().is_none_or(|l| l.max_time < c.min_time)) {
            Some(ch) => ch.push(c),
            None => chains.push(vec![c]),
        }
    }
    chains
}

struct DedupStream {
    inner: SeriesStream,
    merge: Merge,
    store: String,
}

impl Stream for DedupStream {
    type Item = Result<SeriesFrame, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(SeriesFrame::Series(s)))) => {
                let labels = s.labels.clone();
                Poll::Ready(Some(this.merge.series(s).map(SeriesFrame::Series).map_err(|reason| {
                    StoreError::Corrupt {
                        store: this.store.clone(),
                        block: String::new(),
                        file: String::new(),
                        reason: format!("deduplicating {labels}: {reason}"),
                    }
                })))
            }
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use futures::StreamExt;
    use quiver_proto::chunkenc::{Encoding, decode_xor, encode_xor};
    use quiver_proto::{Labels, Matcher, Sample};

    use super::*;
    use crate::test_support::FixedStore;

    fn chunk(samples: &[(i64, f64)]) -> RawChunk {
        let s: Vec<Sample> = samples.iter().map(|&(t, v)| Sample { t, v }).collect();
        RawChunk {
            min_time: samples[0].0,
            max_time: samples[samples.len() - 1].0,
            encoding: Encoding::Xor,
            data: encode_xor(&s).unwrap().into(),
        }
    }

    fn span(min: i64, max: i64) -> RawChunk {
        RawChunk { min_time: min, max_time: max, encoding: Encoding::Xor, data: Default::default() }
    }

    #[test]
    fn overlap_split_as_thanos() {
        let chains =
            overlap_split(vec![span(0, 20), span(0, 30), span(21, 50), span(31, 60), span(100, 160)]);
        let times: Vec<Vec<(i64, i64)>> =
            chains.iter().map(|c| c.iter().map(|c| (c.min_time, c.max_time)).collect()).collect();
        assert_eq!(times, [vec![(0, 20), (21, 50), (100, 160)], vec![(0, 30), (31, 60)]]);
        // Touching chunks overlap.
        assert_eq!(overlap_split(vec![span(50, 55), span(55, 100)]).len(), 2);
    }

    #[tokio::test]
    async fn replicas_merge_and_single_series_pass_untouched() {
        let labels = Labels::from_pairs([("__name__", "up")]).unwrap();
        let a = chunk(&[(10000, 1.0), (20000, 1.0), (30000, 1.0), (60000, 1.0), (70000, 1.0)]);
        let b = chunk(&[(10100, 2.0), (20100, 2.0), (30100, 2.0), (40100, 2.0), (50100, 2.0), (60100, 2.0)]);
        let single =
            StoreSeries { labels: Labels::from_pairs([("__name__", "x")]).unwrap(), chunks: vec![a.clone()] };
        let merged = StoreSeries { labels: labels.clone(), chunks: vec![a, b] };
        let inner = Arc::new(FixedStore::of_series(vec![merged, single.clone()]));
        let store = Arc::new(DedupStore::new(
            Arc::clone(&inner) as Arc<dyn SeriesStore>,
            vec!["replica".into()],
            DedupFunc::Penalty,
        ));
        let req = SeriesRequest::new(vec![Matcher::equal("__name__", "up")], TimeRange::new(0, 100_000));
        let out: Vec<_> = store.series(req).collect().await;
        assert_eq!(inner.requests.lock().unwrap()[0].without_replica_labels, ["replica"]);
        let SeriesFrame::Series(first) = out[0].clone().unwrap() else { panic!("{out:?}") };
        let samples: Vec<(i64, f64)> =
            first.chunks.iter().flat_map(|c| decode_xor(&c.data).unwrap()).map(|s| (s.t, s.v)).collect();
        assert_eq!(samples, [(10000, 1.0), (20000, 1.0), (30000, 1.0), (50100, 2.0), (60100, 2.0)]);
        assert_eq!(out[1].clone().unwrap(), SeriesFrame::Series(single));
    }
}
