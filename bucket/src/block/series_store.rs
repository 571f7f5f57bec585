//! A TSDB block as a source ([`SeriesStore`]), as a Thanos store gateway serves it: matchers and
//! time range answered from the block's own index, its external labels on every series, samples
//! deleted by its tombstones left out.
//!
//! The answer streams: postings, then batches of [`BATCH_SERIES`] series entries, each batch's
//! chunks in one coalesced read, produced by a task of its own at most [`BATCHES_AHEAD`] batches
//! ahead of the reader, so a request never holds all of its chunks at once.

use std::sync::Arc;

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use quiver_proto::chunkenc::{RawChunk, num_samples};
use quiver_proto::store::{LimitKind, empty_stream};
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, ShardInfo,
    StoreError, StoreFuture, StoreInfo, StoreSeries, TimeRange,
};

use super::index_reader::SeriesEntry;
use super::reader::Block;
use crate::error::Error;

/// Series per index read and chunk fetch.
pub const BATCH_SERIES: usize = 256;
/// Batches produced ahead of the reader.
pub const BATCHES_AHEAD: usize = 1;

type Batch = Result<Vec<SeriesFrame>, StoreError>;

impl Block {
    /// A bucket error as the source error it is, naming this block.
    pub fn store_error(&self, e: Error) -> StoreError {
        let store = self.name().to_string();
        match e {
            Error::Corrupt { block, file, reason } => StoreError::Corrupt { store, block, file, reason },
            Error::MissingFile { block, file } => {
                StoreError::Corrupt { store, block, file, reason: "missing".into() }
            }
            Error::Chunk { block, file, chunk_ref, source } => {
                StoreError::Corrupt { store, block, file, reason: format!("chunk {chunk_ref}: {source}") }
            }
            other => StoreError::unavailable(store, other),
        }
    }

    /// How a request's series are labelled: the block's external labels less the ones the
    /// request strips (replica labels), and the stripped names themselves.
    fn relabel(&self, strip: &[String]) -> Relabel {
        let ext = self.external_labels().without(strip);
        let in_index = |name: &str| !self.index().label_values(name).is_empty();
        let strip: Vec<String> = strip.iter().filter(|n| in_index(n)).cloned().collect();
        // An added label that a series has too (and loses), or a stripped series label, can move
        // any series: the order is known only once every entry is read.
        let collides = ext.iter().any(|l| in_index(&l.name)) || !strip.is_empty();
        Relabel { ext, strip, collides }
    }

    /// Entries (in index order) in the order a sorted merge needs: by their labels once
    /// relabelled, which the returned entries carry. Adding the same labels to every series
    /// keeps the index's order except within a run of series that extend the run's first one
    /// (`{a="1"}` then `{a="1",b="2"}`: an external `c` puts the second first), so such runs are
    /// sorted; when the relabelling `collides`, the caller passes every entry at once to be
    /// sorted whole. Unless `last`, the final run may go on in the next entries and is handed
    /// back unsorted.
    fn in_final_order(
        &self,
        entries: Vec<SeriesEntry>,
        rl: &Relabel,
        last: bool,
    ) -> (Vec<SeriesEntry>, Vec<SeriesEntry>) {
        if rl.ext.is_empty() && !rl.collides {
            return (entries, Vec::new());
        }
        let extends = |long: &Labels, short: &Labels| {
            long.len() > short.len() && long.as_slice()[..short.len()] == *short.as_slice()
        };
        let mut out = Vec::with_capacity(entries.len());
        let mut run: Vec<SeriesEntry> = Vec::new();
        let flush = |run: &mut Vec<SeriesEntry>, out: &mut Vec<SeriesEntry>| {
            for e in run.iter_mut() {
                e.labels = rl.apply(&e.labels);
            }
            if run.len() > 1 {
                run.sort_by(|a, b| a.labels.cmp(&b.labels));
            }
            out.append(run);
        };
        for e in entries {
            if !run.is_empty() && !extends(&e.labels, &run[0].labels) {
                flush(&mut run, &mut out);
            }
            run.push(e);
        }
        if !last && !rl.collides {
            return (out, run);
        }
        flush(&mut run, &mut out);
        if rl.collides {
            out.sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        (out, Vec::new())
    }

    /// Produces the answer to `req` batch by batch into `tx`.
    async fn produce(&self, req: &SeriesRequest, tx: &mut mpsc::Sender<Batch>) -> Result<(), StoreError> {
        let Some(rest) = self.index_matchers(&req.matchers) else { return Ok(()) };
        let refs = self.index().select(&rest).await.map_err(|e| self.store_error(e))?;
        let rl = self.relabel(&req.without_replica_labels);
        let mut counts = Counts::default();
        let mut pending: Vec<SeriesEntry> = Vec::new();
        let step = if rl.collides { refs.len().max(1) } else { BATCH_SERIES };
        let batches = refs.chunks(step).count();
        // Served labels are the stored ones: the index places each series in its shard before
        // building its labels.
        let early = req.shard.as_ref().filter(|_| rl.ext.is_empty() && rl.strip.is_empty());
        let late = if early.is_some() { None } else { req.shard.as_ref() };
        for (i, batch) in refs.chunks(step).enumerate() {
            let entries = self.index().series_in(batch, early).await.map_err(|e| self.store_error(e))?;
            pending.extend(entries.into_iter().filter_map(|e| self.in_range(e, req)));
            let (ready, rest) = self.in_final_order(std::mem::take(&mut pending), &rl, i + 1 == batches);
            pending = rest;
            let mut ready = ready.into_iter().peekable();
            while ready.peek().is_some() {
                let part: Vec<SeriesEntry> = ready.by_ref().take(BATCH_SERIES).collect();
                let frames = self.frames(part, req, late, &mut counts).await?;
                if tx.send(Ok(frames)).await.is_err() {
                    return Ok(()); // the reader went away
                }
            }
        }
        Ok(())
    }

    /// The entry with only its chunks in the request's range, or `None` without any; also
    /// `None` for a series whose chunks the tombstones delete whole (Prometheus leaves it out).
    fn in_range(&self, mut e: SeriesEntry, req: &SeriesRequest) -> Option<SeriesEntry> {
        e.chunks.retain(|c| TimeRange::new(c.min_time, c.max_time).overlaps(&req.range));
        (!e.chunks.is_empty() && !self.is_deleted(&e)).then_some(e)
    }

    /// The frames of entries already in final order: the filter of `shard` (the request's, when
    /// the index has not applied it), limits, chunks.
    async fn frames(
        &self,
        entries: Vec<SeriesEntry>,
        req: &SeriesRequest,
        shard: Option<&ShardInfo>,
        counts: &mut Counts,
    ) -> Result<Vec<SeriesFrame>, StoreError> {
        let entries: Vec<SeriesEntry> = match shard {
            Some(shard) => entries.into_iter().filter(|e| shard.owns(&e.labels)).collect(),
            None => entries,
        };
        counts.series += entries.len() as u64;
        self.check_limit(LimitKind::Series, req.limits.series, counts.series)?;
        if req.skip_chunks {
            return Ok(entries
                .into_iter()
                .map(|e| SeriesFrame::Series(StoreSeries { labels: e.labels, chunks: Vec::new() }))
                .collect());
        }
        let metas: Vec<_> = entries.iter().flat_map(|e| e.chunks.iter().copied()).collect();
        let mut chunks =
            self.chunk_reader().chunks(&metas).await.map_err(|e| self.store_error(e))?.into_iter();
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let mut own: Vec<RawChunk> = chunks.by_ref().take(e.chunks.len()).collect();
            let deleted = self.deleted(e.series_ref);
            if !deleted.is_empty() {
                own = super::deleted::without_deleted(own, &deleted).map_err(|source| {
                    self.store_error(Error::Chunk {
                        block: self.name().to_string(),
                        file: "chunks".into(),
                        chunk_ref: e.chunks.first().map_or(0, |c| c.chunk_ref),
                        source,
                    })
                })?;
            }
            for c in &own {
                counts.samples += num_samples(c.encoding, &c.data).unwrap_or(0) as u64;
                counts.bytes += c.data.len() as u64;
            }
            self.check_limit(LimitKind::Samples, req.limits.samples, counts.samples)?;
            self.check_limit(LimitKind::ChunkBytes, req.limits.chunk_bytes, counts.bytes)?;
            if !own.is_empty() {
                out.push(SeriesFrame::Series(StoreSeries { labels: e.labels, chunks: own }));
            }
        }
        Ok(out)
    }

    fn check_limit(&self, what: LimitKind, limit: u64, got: u64) -> Result<(), StoreError> {
        if limit > 0 && got > limit {
            return Err(StoreError::LimitExceeded { store: self.name().to_string(), what, limit, got });
        }
        Ok(())
    }

    /// The label sets (external labels included) of the series matching `req`'s matchers,
    /// whatever their chunks (as Prometheus answers label names and values from a block's
    /// postings), streamed batch by batch into `f`.
    async fn each_series_labels(
        &self,
        req: &LabelsRequest,
        mut f: impl FnMut(&Labels),
    ) -> Result<(), StoreError> {
        let Some(rest) = self.index_matchers(&req.matchers) else { return Ok(()) };
        let refs = self.index().select(&rest).await.map_err(|e| self.store_error(e))?;
        let rl = self.relabel(&req.without_replica_labels);
        for batch in refs.chunks(BATCH_SERIES) {
            for e in self.index().series(batch).await.map_err(|e| self.store_error(e))? {
                f(&rl.apply(&e.labels));
            }
        }
        Ok(())
    }
}

/// The labels one request gives a block's series: `ext` added (theirs winning), `strip` removed.
#[derive(Debug)]
struct Relabel {
    ext: Labels,
    strip: Vec<String>,
    collides: bool,
}

impl Relabel {
    fn apply(&self, labels: &Labels) -> Labels {
        let added = if self.ext.is_empty() { labels.clone() } else { self.ext.merged_with(labels) };
        if self.strip.is_empty() { added } else { added.without(&self.strip) }
    }
}

/// What one answer has returned so far, against the request's limits.
#[derive(Debug, Default)]
struct Counts {
    series: u64,
    samples: u64,
    bytes: u64,
}

impl SeriesStore for Block {
    fn name(&self) -> &str {
        Block::name(self)
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let meta = self.meta();
            let external = self.external_labels();
            Ok(StoreInfo {
                label_sets: if external.is_empty() { Vec::new() } else { vec![external.clone()] },
                min_time: meta.min_time,
                max_time: meta.max_time - 1,
                resolutions_ms: vec![meta.resolution()],
            })
        })
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        if !self.overlaps(&req.range) {
            return empty_stream();
        }
        // The producer starts when the stream is first polled (so inside a runtime, and only
        // when the reader gets to it).
        let start = async move {
            let (mut tx, rx) = mpsc::channel::<Batch>(BATCHES_AHEAD);
            tokio::spawn(async move {
                if let Err(e) = self.produce(&req, &mut tx).await {
                    let _ = tx.send(Err(e)).await;
                }
            });
            rx
        };
        Box::pin(futures::stream::once(start).flatten().flat_map(|batch| {
            let items: Vec<Result<SeriesFrame, StoreError>> = match batch {
                Ok(frames) => frames.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(items)
        }))
    }

    /// The shard is decided on the labels served, after the replica labels are left out.
    fn shards_exactly(&self) -> bool {
        true
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            if !self.overlaps(&req.range) {
                return Ok(LabelsAnswer::default());
            }
            let mut names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
            if req.matchers.is_empty() {
                names.extend(
                    Block::label_names(self).into_iter().filter(|n| !req.without_replica_labels.contains(n)),
                );
            } else {
                self.each_series_labels(req, |l| names.extend(l.iter().map(|l| l.name.clone()))).await?;
            }
            Ok(LabelsAnswer::limited(names, req.limit))
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            if !self.overlaps(&req.range) {
                return Ok(LabelsAnswer::default());
            }
            if req.without_replica_labels.iter().any(|l| l == name) {
                return Ok(LabelsAnswer::default());
            }
            let mut values: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
            if req.matchers.is_empty() {
                values.extend(Block::label_values(self, name));
            } else {
                self.each_series_labels(req, |l| values.extend(l.get(name).map(str::to_string))).await?;
            }
            Ok(LabelsAnswer::limited(values, req.limit))
        })
    }
}
