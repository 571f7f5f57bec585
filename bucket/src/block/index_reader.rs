//! Reads a Prometheus TSDB index (format v2) with ranged reads: the TOC, the symbol table and the
//! postings offset table are loaded when the index opens; postings lists and series entries are
//! fetched on demand, nearby ones in one request. Every section's CRC32 is checked.

use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_proto::{Label, Labels, MatchOp, Matcher, ShardInfo};

use super::encoding::{Decbuf, DecodeError, checked_section, crc32};
use super::index_header;
use super::index_writer::ChunkMeta;
use super::source::BlockSource;
use crate::error::{Error, Result};

pub(crate) const INDEX_MAGIC: u32 = 0xBAAA_D700;
pub(crate) const INDEX_VERSION_V2: u8 = 2;
const TOC_LEN: u64 = 6 * 8 + 4;
const INDEX_FILE: &str = "index";
/// How far apart two series entries may be and still be fetched in one request.
const COALESCE_GAP: u64 = 64 * 1024;
/// Bytes read past the last series of a group, enough for a typical entry.
const SERIES_TAIL: u64 = 4096;

/// Section offsets from the index's table of contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Toc {
    pub symbols: u64,
    pub series: u64,
    pub label_indices: u64,
    pub label_indices_table: u64,
    pub postings: u64,
    pub postings_table: u64,
}

/// One series as the index holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesEntry {
    /// The series reference: its offset in the index divided by 16.
    pub series_ref: u32,
    pub labels: Labels,
    pub chunks: Vec<ChunkMeta>,
}

/// An open index.
#[derive(Debug)]
pub struct IndexReader {
    src: BlockSource,
    size: u64,
    toc: Toc,
    symbols: Vec<Arc<str>>,
    /// Label name -> (value, offset of its postings list), both sorted.
    postings: BTreeMap<String, Vec<(String, u64)>>,
}

impl IndexReader {
    pub async fn open(src: BlockSource) -> Result<Self> {
        Ok(Self::read(src).await?.0)
    }

    /// As [`IndexReader::open`], with the symbol and postings offset tables kept in a local
    /// index-header file at `header` (see [`super::index_header`]): read from it when it is there
    /// and decodes, without a request to the bucket; else read from the index and written there
    /// through a temporary file and a rename. A header that cannot be written is only logged.
    pub async fn open_with_header(src: BlockSource, header: &std::path::Path) -> Result<Self> {
        if let Ok(bytes) = tokio::fs::read(header).await {
            match Self::from_header(src.clone(), &bytes) {
                Ok(r) => return Ok(r),
                Err(e) => tracing::warn!(block = src.name(), "rebuilding a broken index header: {e}"),
            }
        }
        let (reader, bytes) = Self::read(src).await?;
        let tmp = header.with_extension("tmp");
        let written = async {
            if let Some(dir) = header.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::write(&tmp, &bytes).await?;
            tokio::fs::rename(&tmp, header).await
        };
        if let Err(e) = written.await {
            tracing::warn!(file = %header.display(), "writing the index header: {e}");
        }
        Ok(reader)
    }

    fn from_header(src: BlockSource, bytes: &[u8]) -> Result<Self, DecodeError> {
        let h = index_header::decode(bytes)?;
        if h.index_version != INDEX_VERSION_V2 {
            return Err(DecodeError(format!("index format version {}", h.index_version)));
        }
        let tail = h.postings_and_toc;
        if tail.len() < TOC_LEN as usize {
            return Err(DecodeError("index header without the index's TOC".into()));
        }
        let size = h.postings_table_offset + tail.len() as u64;
        let split = tail.len() - TOC_LEN as usize;
        let toc = parse_toc(&tail[split..], size)?;
        if toc.postings_table != h.postings_table_offset {
            return Err(DecodeError("index header disagrees with the index's TOC".into()));
        }
        let symbols = parse_symbols(h.symbols)?;
        let postings = parse_postings_table(&tail[..split])?;
        Ok(Self { src, size, toc, symbols, postings })
    }

    /// Opens from the index itself; also returns the index header of what it read.
    async fn read(src: BlockSource) -> Result<(Self, Vec<u8>)> {
        let size = src.size(INDEX_FILE).await?;
        let corrupt = |reason: String| Error::corrupt(src.name(), INDEX_FILE, reason);
        if size < 5 + TOC_LEN {
            return Err(corrupt(format!("{size} bytes is too small for an index")));
        }
        let header = src.get_range(INDEX_FILE, 0..5).await?;
        let magic = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        if magic != INDEX_MAGIC {
            return Err(corrupt(format!("bad magic number {magic:#010x}")));
        }
        if header[4] != INDEX_VERSION_V2 {
            return Err(corrupt(format!("unsupported index format version {}", header[4])));
        }
        let toc_bytes = src.get_range(INDEX_FILE, size - TOC_LEN..size).await?;
        let toc = parse_toc(&toc_bytes, size).map_err(|e| corrupt(e.0))?;

        let sym_bytes = src.get_range(INDEX_FILE, toc.symbols..toc.series).await?;
        let symbols = parse_symbols(&sym_bytes).map_err(|e| corrupt(e.0))?;

        let tail = src.get_range(INDEX_FILE, toc.postings_table..size).await?;
        let postings =
            parse_postings_table(&tail[..tail.len() - TOC_LEN as usize]).map_err(|e| corrupt(e.0))?;
        let header = index_header::encode(&index_header::IndexHeader {
            index_version: header[4],
            postings_table_offset: toc.postings_table,
            symbols: &sym_bytes,
            postings_and_toc: &tail,
        });
        Ok((Self { src, size, toc, symbols, postings }, header))
    }

    pub fn toc(&self) -> Toc {
        self.toc
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.symbols.iter().map(|s| &**s)
    }

    fn corrupt(&self, reason: impl Into<String>) -> Error {
        Error::corrupt(self.src.name(), INDEX_FILE, reason)
    }

    /// Label names in the index, sorted.
    pub fn label_names(&self) -> Vec<&str> {
        self.postings.keys().filter(|k| !k.is_empty()).map(String::as_str).collect()
    }

    /// Values of `name`, sorted.
    pub fn label_values(&self, name: &str) -> Vec<&str> {
        self.postings.get(name).map(|v| v.iter().map(|(v, _)| v.as_str()).collect()).unwrap_or_default()
    }

    async fn postings_at(&self, offset: u64) -> Result<Vec<u32>> {
        let head = self.src.get_range(INDEX_FILE, offset..offset + 4).await?;
        let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
        if offset + 8 + len > self.size {
            return Err(self.corrupt(format!("postings list at {offset} runs past the end")));
        }
        let b = self.src.get_range(INDEX_FILE, offset..offset + 8 + len).await?;
        let content = checked_section(&b, "postings list").map_err(|e| self.corrupt(e.0))?;
        let mut d = Decbuf::new(content);
        let n = d.be32("postings count").map_err(|e| self.corrupt(e.0))? as usize;
        if d.remaining() != n * 4 {
            return Err(self
                .corrupt(format!("postings list at {offset} holds {n} entries in {} bytes", d.remaining())));
        }
        let mut refs = Vec::with_capacity(n);
        for _ in 0..n {
            refs.push(d.be32("posting").map_err(|e| self.corrupt(e.0))?);
        }
        Ok(refs)
    }

    /// Series references with `name="value"`, sorted.
    pub async fn postings(&self, name: &str, value: &str) -> Result<Vec<u32>> {
        let Some(values) = self.postings.get(name) else { return Ok(Vec::new()) };
        match values.binary_search_by(|(v, _)| v.as_str().cmp(value)) {
            Ok(i) => self.postings_at(values[i].1).await,
            Err(_) => Ok(Vec::new()),
        }
    }

    /// Every series reference in the index, sorted.
    pub async fn all_postings(&self) -> Result<Vec<u32>> {
        self.postings("", "").await
    }

    /// Union of the postings of every value of `name` that `keep` accepts.
    async fn postings_for_values(&self, name: &str, keep: impl Fn(&str) -> bool) -> Result<Vec<u32>> {
        let mut lists = Vec::new();
        if let Some(values) = self.postings.get(name) {
            for (v, off) in values {
                if keep(v) {
                    lists.push(self.postings_at(*off).await?);
                }
            }
        }
        Ok(union(lists))
    }

    /// Series references matching all `matchers`, sorted. A matcher that accepts the empty value
    /// also selects series without the label, as in Prometheus.
    pub async fn select(&self, matchers: &[Matcher]) -> Result<Vec<u32>> {
        let mut result: Option<Vec<u32>> = None;
        let mut subtract = Vec::new();
        for m in matchers {
            if m.matches_empty() {
                // Drop series whose value for the label is set and does not match.
                subtract.push(self.postings_for_values(&m.name, |v| !m.matches(v)).await?);
                continue;
            }
            let list = match m.op {
                MatchOp::Equal => self.postings(&m.name, &m.value).await?,
                _ => self.postings_for_values(&m.name, |v| m.matches(v)).await?,
            };
            result = Some(match result {
                None => list,
                Some(acc) => intersect(&acc, &list),
            });
            if result.as_ref().is_some_and(Vec::is_empty) {
                return Ok(Vec::new());
            }
        }
        let mut refs = match result {
            Some(r) => r,
            None => self.all_postings().await?,
        };
        for s in subtract {
            refs = difference(&refs, &s);
        }
        Ok(refs)
    }

    /// Reads the sections queries never touch (label indices and their table) and every postings
    /// list, checking each CRC32, so that a full verification covers every byte of the index.
    pub async fn verify_sections(&self) -> Result<()> {
        let table_end = self.toc.postings_table;
        if self.toc.label_indices_table < table_end {
            let b = self.src.get_range(INDEX_FILE, self.toc.label_indices_table..table_end).await?;
            let content = checked_section(&b, "label index table").map_err(|e| self.corrupt(e.0))?;
            let mut d = Decbuf::new(content);
            let n = d.be32("label index count").map_err(|e| self.corrupt(e.0))?;
            for _ in 0..n {
                let keys = d.uvarint("label index keys").map_err(|e| self.corrupt(e.0))?;
                for _ in 0..keys {
                    d.uvarint_str("label index name").map_err(|e| self.corrupt(e.0))?;
                }
                let off = d.uvarint("label index offset").map_err(|e| self.corrupt(e.0))?;
                if off < self.toc.label_indices || off >= self.toc.postings {
                    return Err(self.corrupt(format!("label index offset {off} outside its section")));
                }
                let head = self.src.get_range(INDEX_FILE, off..off + 4).await?;
                let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
                if off + 8 + len > self.toc.postings {
                    return Err(self.corrupt(format!("label index at {off} runs past its section")));
                }
                let b = self.src.get_range(INDEX_FILE, off..off + 8 + len).await?;
                checked_section(&b, "label index").map_err(|e| self.corrupt(e.0))?;
            }
        }
        for values in self.postings.values() {
            for (_, off) in values {
                self.postings_at(*off).await?;
            }
        }
        Ok(())
    }

    /// Reads series entries for sorted, deduplicated references: nearby entries in one range,
    /// all the ranges in one call.
    pub async fn series(&self, refs: &[u32]) -> Result<Vec<SeriesEntry>> {
        self.series_in(refs, None).await
    }

    /// As [`IndexReader::series`], only the entries whose labels `shard` owns (all with none).
    /// The others are placed from their label references alone: no labels built, no chunk
    /// references read, no checksum computed (the one shard that owns an entry checks it).
    pub async fn series_in(&self, refs: &[u32], shard: Option<&ShardInfo>) -> Result<Vec<SeriesEntry>> {
        let end = self.toc.label_indices.min(self.size - TOC_LEN);
        // Groups of nearby entries: (byte range, positions in `refs`).
        let mut groups: Vec<(std::ops::Range<u64>, std::ops::Range<usize>)> = Vec::new();
        let mut i = 0;
        while i < refs.len() {
            let first = u64::from(refs[i]) * 16;
            let mut j = i + 1;
            while j < refs.len() && u64::from(refs[j]) * 16 - u64::from(refs[j - 1]) * 16 <= COALESCE_GAP {
                j += 1;
            }
            let last = u64::from(refs[j - 1]) * 16;
            if first < self.toc.series || last >= end {
                return Err(self.corrupt(format!("series reference {} outside the series section", refs[i])));
            }
            groups.push((first..(last + SERIES_TAIL).min(end), i..j));
            i = j;
        }
        let ranges: Vec<std::ops::Range<u64>> = groups.iter().map(|g| g.0.clone()).collect();
        let bufs = self.src.get_ranges(INDEX_FILE, &ranges).await?;
        let mut out = Vec::with_capacity(refs.len());
        for ((range, members), buf) in groups.iter().zip(bufs) {
            for &r in &refs[members.clone()] {
                let off = (u64::from(r) * 16 - range.start) as usize;
                let entry = match parse_series(&buf[off..], r, &self.symbols, shard) {
                    Ok(e) => e,
                    Err(SeriesParse::Truncated) => self.read_long_series(r, end, shard).await?,
                    Err(e) => return Err(self.corrupt(e.reason())),
                };
                out.extend(entry);
            }
        }
        Ok(out)
    }

    /// A series entry longer than the tail read past its group: read exactly.
    async fn read_long_series(
        &self,
        r: u32,
        end: u64,
        shard: Option<&ShardInfo>,
    ) -> Result<Option<SeriesEntry>> {
        let start = u64::from(r) * 16;
        let head = self.src.get_range(INDEX_FILE, start..(start + 10).min(end)).await?;
        let mut d = Decbuf::new(&head);
        let len = d.uvarint("series length").map_err(|e| self.corrupt(e.0))?;
        let total = d.pos() as u64 + len + 4;
        if start + total > end {
            return Err(self.corrupt(format!("series {r} runs past the series section")));
        }
        let b = self.src.get_range(INDEX_FILE, start..start + total).await?;
        parse_series(&b, r, &self.symbols, shard).map_err(|e| self.corrupt(e.reason()))
    }
}

fn parse_toc(b: &[u8], size: u64) -> Result<Toc, DecodeError> {
    let mut d = Decbuf::new(b);
    let mut offs = [0u64; 6];
    for o in &mut offs {
        *o = d.be64("TOC")?;
    }
    let want = d.be32("TOC checksum")?;
    let got = crc32(&b[..48]);
    if want != got {
        return Err(DecodeError(format!("TOC checksum mismatch (stored {want:08x}, computed {got:08x})")));
    }
    let toc = Toc {
        symbols: offs[0],
        series: offs[1],
        label_indices: offs[2],
        label_indices_table: offs[3],
        postings: offs[4],
        postings_table: offs[5],
    };
    let limit = size - TOC_LEN;
    let ordered = [toc.symbols, toc.series, toc.label_indices, toc.postings, toc.postings_table];
    if toc.symbols < 5
        || ordered.windows(2).any(|w| w[0] > w[1])
        || toc.postings_table > limit
        || toc.label_indices_table > limit
    {
        return Err(DecodeError(format!("TOC offsets out of order or past the end: {toc:?}")));
    }
    Ok(toc)
}

fn parse_symbols(b: &[u8]) -> Result<Vec<Arc<str>>, DecodeError> {
    let content = checked_section(b, "symbol table")?;
    let mut d = Decbuf::new(content);
    let n = d.be32("symbol count")? as usize;
    // Each symbol takes at least one byte, which bounds what a corrupt count can allocate.
    let mut out = Vec::with_capacity(n.min(d.remaining()));
    for _ in 0..n {
        out.push(Arc::from(d.uvarint_str("symbol")?));
    }
    if d.remaining() != 0 {
        return Err(DecodeError(format!("{} bytes after the last symbol", d.remaining())));
    }
    Ok(out)
}

fn parse_postings_table(b: &[u8]) -> Result<BTreeMap<String, Vec<(String, u64)>>, DecodeError> {
    let content = checked_section(b, "postings offset table")?;
    let mut d = Decbuf::new(content);
    let n = d.be32("postings offset count")?;
    let mut out: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    for _ in 0..n {
        let keys = d.uvarint("postings offset key count")?;
        if keys != 2 {
            return Err(DecodeError(format!("postings offset entry with {keys} keys, want 2")));
        }
        let name = d.uvarint_str("label name")?.to_string();
        let value = d.uvarint_str("label value")?.to_string();
        let off = d.uvarint("postings offset")?;
        let values = out.entry(name).or_default();
        if values.last().is_some_and(|(v, _)| *v >= value) {
            return Err(DecodeError("postings offset table is not sorted".into()));
        }
        values.push((value, off));
    }
    Ok(out)
}

enum SeriesParse {
    Truncated,
    Corrupt(String),
}

impl SeriesParse {
    fn reason(self) -> String {
        match self {
            SeriesParse::Truncated => "series entry is truncated".into(),
            SeriesParse::Corrupt(r) => r,
        }
    }
}

/// Whether `shard` owns the series whose entry body is `body`, from its label references alone;
/// `None` when they do not decode (the full parse then names the fault).
fn owned_by(body: &[u8], symbols: &[Arc<str>], shard: &ShardInfo) -> Option<bool> {
    let mut d = Decbuf::new(body);
    let nl = d.uvarint("label count").ok()?;
    let sym = |d: &mut Decbuf<'_>| -> Option<&str> {
        let i = d.uvarint32("symbol reference").ok()? as usize;
        symbols.get(i).map(|s| &**s)
    };
    let mut failed = false;
    let pairs = (0..nl).map_while(|_| match (sym(&mut d), sym(&mut d)) {
        (Some(name), Some(value)) => Some((name, value)),
        _ => {
            failed = true;
            None
        }
    });
    let owned = shard.owns_pairs(pairs);
    (!failed).then_some(owned)
}

/// The series entry at the start of `b`, or `None` when `shard` does not own it.
fn parse_series(
    b: &[u8],
    series_ref: u32,
    symbols: &[Arc<str>],
    shard: Option<&ShardInfo>,
) -> Result<Option<SeriesEntry>, SeriesParse> {
    let mut d = Decbuf::new(b);
    let len = d.uvarint("series length").map_err(|_| SeriesParse::Truncated)? as usize;
    let body_start = d.pos();
    if d.remaining() < len.saturating_add(4) {
        return Err(SeriesParse::Truncated);
    }
    let body = &b[body_start..body_start + len];
    if let Some(shard) = shard
        && owned_by(body, symbols, shard) == Some(false)
    {
        return Ok(None);
    }
    let mut c = Decbuf::new(&b[body_start + len..]);
    let want = c.be32("crc").map_err(|_| SeriesParse::Truncated)?;
    let got = crc32(body);
    let bad = |e: DecodeError| SeriesParse::Corrupt(format!("series {series_ref}: {e}"));
    if want != got {
        return Err(bad(DecodeError(format!("checksum mismatch (stored {want:08x}, computed {got:08x})"))));
    }
    let mut d = Decbuf::new(body);
    let sym = |d: &mut Decbuf<'_>| -> Result<&str, DecodeError> {
        let i = d.uvarint32("symbol reference")? as usize;
        symbols.get(i).map(|s| &**s).ok_or_else(|| DecodeError(format!("symbol reference {i} out of range")))
    };
    let nl = d.uvarint("label count").map_err(bad)? as usize;
    let mut labels = Vec::with_capacity(nl.min(body.len()));
    for _ in 0..nl {
        let name = sym(&mut d).map_err(bad)?;
        let value = sym(&mut d).map_err(bad)?;
        // `to_owned`, not `to_string`: no trip through the formatter for every label of every series.
        labels.push(Label { name: name.to_owned(), value: value.to_owned() });
    }
    let labels =
        Labels::from_sorted(labels).map_err(|e| SeriesParse::Corrupt(format!("series {series_ref}: {e}")))?;
    let nc = d.uvarint("chunk count").map_err(bad)? as usize;
    let mut chunks = Vec::with_capacity(nc.min(body.len()));
    let mut prev: Option<ChunkMeta> = None;
    for _ in 0..nc {
        let c = match prev {
            None => {
                let min_time = d.varint("chunk min time").map_err(bad)?;
                let span = d.uvarint("chunk time span").map_err(bad)? as i64;
                let chunk_ref = d.uvarint("chunk ref").map_err(bad)?;
                ChunkMeta { chunk_ref, min_time, max_time: min_time.wrapping_add(span) }
            }
            Some(p) => {
                let min_time = p.max_time.wrapping_add(d.uvarint("chunk min time").map_err(bad)? as i64);
                let span = d.uvarint("chunk time span").map_err(bad)? as i64;
                let chunk_ref = (p.chunk_ref as i64).wrapping_add(d.varint("chunk ref").map_err(bad)?) as u64;
                ChunkMeta { chunk_ref, min_time, max_time: min_time.wrapping_add(span) }
            }
        };
        chunks.push(c);
        prev = Some(c);
    }
    Ok(Some(SeriesEntry { series_ref, labels, chunks }))
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|x| {
            while j < b.len() && b[j] < *x {
                j += 1;
            }
            !(j < b.len() && b[j] == *x)
        })
        .collect()
}

fn union(lists: Vec<Vec<u32>>) -> Vec<u32> {
    let mut all: Vec<u32> = lists.into_iter().flatten().collect();
    all.sort_unstable();
    all.dedup();
    all
}
