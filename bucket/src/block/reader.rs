//! An open TSDB block: its meta, index, chunk segments and tombstones, read through a
//! [`BlockSource`].

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path;
use quiver_proto::chunkenc::{Encoding, RawChunk, decode_xor_into};
use quiver_proto::{Labels, Matcher, Sample, TimeRange};
use ulid::Ulid;

use super::chunks::ChunkReader;
use super::index_reader::{IndexReader, SeriesEntry};
use super::meta::BlockMeta;
use super::source::BlockSource;
use super::tombstones::{Tombstone, decode_tombstones};
use crate::error::{Error, Result};
use crate::index_cache::IndexCache;
use prometheus_client::metrics::counter::Counter;

/// How [`Block::open_with`] reads a block.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Directory of index headers (one subdirectory per block), made on first open.
    pub headers: Option<std::path::PathBuf>,
    pub cache: Option<Arc<dyn IndexCache>>,
    /// Bytes read from the store.
    pub fetched: Option<Counter>,
    /// The store is this local directory: block files are read from it in place (see
    /// [`BlockSource::with_local_dir`]).
    pub local_dir: Option<std::path::PathBuf>,
}

/// A block opened for reading.
#[derive(Debug)]
pub struct Block {
    src: BlockSource,
    meta: BlockMeta,
    index: IndexReader,
    chunks: ChunkReader,
    tombstones: Vec<Tombstone>,
    /// meta.json's `thanos.labels`, as a label set; see `external.rs`.
    pub(super) external: Labels,
}

impl Block {
    /// Opens the block in `dir` of `store`: reads `meta.json`, the index's TOC, symbols and
    /// postings offset table, the segment headers and the tombstones.
    pub async fn open(store: Arc<dyn ObjectStore>, dir: Path) -> Result<Self> {
        Self::open_with_headers(store, dir, None).await
    }

    /// As [`Block::open`], keeping the index header in `<headers>/<block>/index-header` on
    /// local disk (a store gateway's `--data-dir`), so reopening reads no index from the bucket.
    pub async fn open_with_headers(
        store: Arc<dyn ObjectStore>,
        dir: Path,
        headers: Option<&std::path::Path>,
    ) -> Result<Self> {
        Self::open_with(
            store,
            dir,
            &OpenOptions { headers: headers.map(std::path::Path::to_path_buf), ..Default::default() },
        )
        .await
    }

    /// Opens the block as a store gateway does: index headers on local disk, index reads through
    /// a cache, bytes read counted.
    pub async fn open_with(store: Arc<dyn ObjectStore>, dir: Path, opts: &OpenOptions) -> Result<Self> {
        let headers = opts.headers.as_deref();
        let name = dir.filename().unwrap_or(dir.as_ref()).to_string();
        let local = opts.local_dir.as_ref().map(|d| d.join(dir.as_ref()));
        let src = BlockSource::new(store, dir, name)
            .with_cache(opts.cache.clone(), opts.fetched.clone())
            .with_local_dir(local);
        let meta = BlockMeta::parse(src.name(), &src.get("meta.json").await?)?;
        let external = Labels::from_pairs(meta.external_labels()).map_err(|e| Error::Corrupt {
            block: src.name().to_string(),
            file: "meta.json".into(),
            reason: format!("external labels: {e}"),
        })?;
        let index = match headers {
            Some(h) => {
                let path = h.join(src.name()).join(super::INDEX_HEADER_FILE);
                IndexReader::open_with_header(src.clone(), &path).await?
            }
            None => IndexReader::open(src.clone()).await?,
        };
        let chunks = ChunkReader::open(src.clone()).await?;
        let tombstones = match src.get("tombstones").await {
            Ok(b) => decode_tombstones(src.name(), &b)?,
            Err(Error::MissingFile { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Self { src, meta, index, chunks, tombstones, external })
    }

    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    /// Whether the block's half-open time range `[min_time, max_time)` overlaps `range`.
    pub fn overlaps(&self, range: &TimeRange) -> bool {
        TimeRange::new(self.meta.min_time, self.meta.max_time - 1).overlaps(range)
    }

    pub fn ulid(&self) -> Ulid {
        self.meta.ulid
    }

    pub fn name(&self) -> &str {
        self.src.name()
    }

    pub fn source(&self) -> &BlockSource {
        &self.src
    }

    pub fn index(&self) -> &IndexReader {
        &self.index
    }

    pub fn chunk_reader(&self) -> &ChunkReader {
        &self.chunks
    }

    pub fn tombstones(&self) -> &[Tombstone] {
        &self.tombstones
    }

    /// Whether the tombstones delete every chunk of `series` whole (Prometheus then leaves the
    /// series out, even of `/api/v1/series`).
    pub fn is_deleted(&self, series: &SeriesEntry) -> bool {
        let deleted = self.deleted(series.series_ref);
        !deleted.is_empty()
            && series
                .chunks
                .iter()
                .all(|c| deleted.iter().any(|d| d.min <= c.min_time && c.max_time <= d.max))
    }

    /// The time ranges (inclusive) the tombstones delete from series `series_ref`.
    pub fn deleted(&self, series_ref: u32) -> Vec<TimeRange> {
        self.tombstones
            .iter()
            .filter(|t| t.series_ref == u64::from(series_ref))
            .map(|t| TimeRange::new(t.min_time, t.max_time))
            .collect()
    }

    /// Series matching `matchers` with at least one chunk overlapping `range`, keeping only
    /// those chunks.
    pub async fn select(&self, matchers: &[Matcher], range: TimeRange) -> Result<Vec<SeriesEntry>> {
        let refs = self.index.select(matchers).await?;
        let mut series = self.index.series(&refs).await?;
        for s in &mut series {
            s.chunks.retain(|c| TimeRange::new(c.min_time, c.max_time).overlaps(&range));
        }
        series.retain(|s| !s.chunks.is_empty());
        Ok(series)
    }

    pub async fn read_chunks(&self, series: &SeriesEntry) -> Result<Vec<RawChunk>> {
        self.chunks.chunks(&series.chunks).await
    }

    /// Decoded float samples of `series` within `range`, without those deleted by tombstones.
    /// Native histogram chunks are skipped: this is the float view.
    pub async fn float_samples(&self, series: &SeriesEntry, range: TimeRange) -> Result<Vec<Sample>> {
        let chunks = self.read_chunks(series).await?;
        let deleted = self.deleted(series.series_ref);
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        let mut out = Vec::new();
        for (c, meta) in chunks.iter().zip(&series.chunks) {
            if c.encoding != Encoding::Xor {
                continue;
            }
            ts.clear();
            vs.clear();
            decode_xor_into(&c.data, &mut ts, &mut vs).map_err(|source| Error::Chunk {
                block: self.name().to_string(),
                file: super::chunks::segment_file(meta.chunk_ref >> 32),
                chunk_ref: meta.chunk_ref,
                source,
            })?;
            out.extend(
                ts.iter()
                    .zip(&vs)
                    .filter(|(t, _)| range.contains(**t) && !deleted.iter().any(|d| d.contains(**t)))
                    .map(|(&t, &v)| Sample { t, v }),
            );
        }
        Ok(out)
    }
}

/// Directories in `store` under `prefix` whose name is a ULID: the blocks of a bucket.
pub async fn list_blocks(store: &Arc<dyn ObjectStore>, prefix: Option<&Path>) -> Result<Vec<Ulid>> {
    let listing = store.list_with_delimiter(prefix).await.map_err(|source| Error::ObjectStore {
        path: prefix.map(|p| p.to_string()).unwrap_or_default(),
        source,
    })?;
    let mut out: Vec<Ulid> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename().and_then(|n| Ulid::from_string(n).ok()))
        .collect();
    out.sort();
    Ok(out)
}

/// As [`list_blocks`] for a bucket that is the local directory `dir`, read on the calling thread
/// (a directory of a few entries takes microseconds; the store would take a blocking-pool trip).
pub fn list_local_blocks(dir: &std::path::Path) -> Result<Vec<Ulid>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))?;
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| Error::io(dir.display(), e))?;
        if !e.file_type().map_err(|err| Error::io(e.path().display(), err))?.is_dir() {
            continue;
        }
        if let Some(u) = e.file_name().to_str().and_then(|n| Ulid::from_string(n).ok()) {
            out.push(u);
        }
    }
    out.sort();
    Ok(out)
}
