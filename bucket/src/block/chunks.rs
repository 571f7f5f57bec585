//! Chunk segment files (`chunks/000001`, ...): an 8-byte header (magic, version, padding), then
//! chunks as `uvarint(len) | encoding | data | CRC32(encoding + data)`. A chunk reference is
//! `segment index << 32 | offset`.

use bytes::Bytes;
use quiver_proto::chunkenc::{Encoding, RawChunk};

use super::encoding::{Decbuf, crc32};
use super::index_writer::ChunkMeta;
use super::source::BlockSource;
use crate::error::{Error, Result};

pub(crate) const CHUNKS_MAGIC: u32 = 0x85BD_40DD;
const SEGMENT_HEADER_LEN: u64 = 8;
/// Prometheus cuts a new segment file before one would pass 512 MiB.
pub const DEFAULT_SEGMENT_SIZE: u64 = 512 * 1024 * 1024;
const COALESCE_GAP: u64 = 16 * 1024;
const CHUNK_TAIL: u64 = 2048;

pub(crate) fn segment_file(index: u64) -> String {
    format!("chunks/{:06}", index + 1)
}

/// Lays chunks out in segment files in memory and hands back their references.
#[derive(Debug)]
pub struct SegmentWriter {
    max_segment: u64,
    segments: Vec<Vec<u8>>,
    max_chunk_size: usize,
}

impl Default for SegmentWriter {
    fn default() -> Self {
        Self::new(DEFAULT_SEGMENT_SIZE)
    }
}

impl SegmentWriter {
    pub fn new(max_segment: u64) -> Self {
        Self { max_segment, segments: Vec::new(), max_chunk_size: 0 }
    }

    /// Appends a chunk and returns its reference.
    pub fn add(&mut self, encoding: Encoding, data: &[u8]) -> Result<u64> {
        let mut len_buf = super::encoding::Encbuf::default();
        len_buf.put_uvarint(data.len() as u64);
        let total = len_buf.len() + 1 + data.len() + 4;
        let need_new = match self.segments.last() {
            None => true,
            Some(s) => {
                s.len() as u64 + total as u64 > self.max_segment && s.len() as u64 > SEGMENT_HEADER_LEN
            }
        };
        if need_new {
            let mut s = Vec::with_capacity(1 << 16);
            s.extend_from_slice(&CHUNKS_MAGIC.to_be_bytes());
            s.push(1);
            s.extend_from_slice(&[0, 0, 0]);
            self.segments.push(s);
        }
        let seq = (self.segments.len() - 1) as u64;
        let Some(seg) = self.segments.last_mut() else {
            return Err(Error::Write { reason: "no segment".into() });
        };
        let offset = seg.len() as u64;
        if offset > u64::from(u32::MAX) {
            return Err(Error::Write { reason: "chunk segment offset exceeds 4 GiB".into() });
        }
        seg.extend_from_slice(&len_buf.b);
        let crc_start = seg.len();
        seg.push(encoding as u8);
        seg.extend_from_slice(data);
        let crc = crc32(&seg[crc_start..]);
        seg.extend_from_slice(&crc.to_be_bytes());
        self.max_chunk_size = self.max_chunk_size.max(total);
        Ok(seq << 32 | offset)
    }

    pub fn max_chunk_size(&self) -> usize {
        self.max_chunk_size
    }

    /// The segment files, in order (`chunks/000001` first).
    pub fn into_segments(self) -> Vec<Vec<u8>> {
        self.segments
    }
}

/// Reads chunks of one block by reference, verifying each chunk's CRC.
#[derive(Debug)]
pub struct ChunkReader {
    src: BlockSource,
    /// Size of each segment file, by segment index.
    sizes: Vec<u64>,
}

impl ChunkReader {
    /// Lists the segment files and checks their headers.
    pub async fn open(src: BlockSource) -> Result<Self> {
        let files = src.list("chunks").await?;
        let mut sizes = Vec::with_capacity(files.len());
        for (i, (name, size)) in files.iter().enumerate() {
            let want = format!("{:06}", i + 1);
            if *name != want {
                return Err(Error::corrupt(
                    src.name(),
                    &format!("chunks/{name}"),
                    format!("unexpected segment file, want chunks/{want}"),
                ));
            }
            let file = segment_file(i as u64);
            if *size < SEGMENT_HEADER_LEN {
                return Err(Error::corrupt(
                    src.name(),
                    &file,
                    format!("{size} bytes is too small for a segment header"),
                ));
            }
            let h = src.get_range(&file, 0..SEGMENT_HEADER_LEN).await?;
            let magic = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            if magic != CHUNKS_MAGIC {
                return Err(Error::corrupt(src.name(), &file, format!("bad magic number {magic:#010x}")));
            }
            if h[4] != 1 {
                return Err(Error::corrupt(
                    src.name(),
                    &file,
                    format!("unsupported segment version {}", h[4]),
                ));
            }
            sizes.push(*size);
        }
        Ok(Self { src, sizes })
    }

    pub fn segment_sizes(&self) -> &[u64] {
        &self.sizes
    }

    /// Reads the chunks `metas` point at, in the order given. Chunks close together in a segment
    /// are fetched in one range, and all the ranges of a segment in one call.
    pub async fn chunks(&self, metas: &[ChunkMeta]) -> Result<Vec<RawChunk>> {
        let mut order: Vec<usize> = (0..metas.len()).collect();
        order.sort_by_key(|&i| metas[i].chunk_ref);
        // Groups of nearby chunks: (segment, byte range, the chunks' positions in `order`).
        let mut groups: Vec<(u64, std::ops::Range<u64>, std::ops::Range<usize>)> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let first = metas[order[i]].chunk_ref;
            let (seq, start) = (first >> 32, first & 0xffff_ffff);
            let file = segment_file(seq);
            let size = *self.sizes.get(seq as usize).ok_or_else(|| {
                Error::corrupt(self.src.name(), &file, format!("chunk {first} points at a missing segment"))
            })?;
            let mut j = i + 1;
            while j < order.len() {
                let r = metas[order[j]].chunk_ref;
                let prev = metas[order[j - 1]].chunk_ref;
                if r >> 32 != seq || (r & 0xffff_ffff) - (prev & 0xffff_ffff) > COALESCE_GAP {
                    break;
                }
                j += 1;
            }
            let last = metas[order[j - 1]].chunk_ref & 0xffff_ffff;
            if start < SEGMENT_HEADER_LEN || last >= size {
                return Err(Error::corrupt(
                    self.src.name(),
                    &file,
                    format!("chunk reference {first} outside the file"),
                ));
            }
            groups.push((seq, start..(last + CHUNK_TAIL).min(size), i..j));
            i = j;
        }
        // Each chunk lands straight in its caller's slot; a reference listed twice (adjacent once
        // sorted) is parsed once.
        let mut out: Vec<Option<RawChunk>> = (0..metas.len()).map(|_| None).collect();
        let mut g = 0;
        while g < groups.len() {
            let seq = groups[g].0;
            let h = g + groups[g..].iter().take_while(|x| x.0 == seq).count();
            let file = segment_file(seq);
            let ranges: Vec<std::ops::Range<u64>> = groups[g..h].iter().map(|x| x.1.clone()).collect();
            let bufs = self.src.get_ranges(&file, &ranges).await?;
            for ((_, range, members), buf) in groups[g..h].iter().zip(bufs) {
                for k in members.clone() {
                    let m = metas[order[k]];
                    let r = m.chunk_ref;
                    let same = (k > 0 && metas[order[k - 1]].chunk_ref == r)
                        .then(|| out[order[k - 1]].as_ref().map(|c| (c.encoding, c.data.clone())))
                        .flatten();
                    let (encoding, data) = match same {
                        Some(c) => c,
                        None => {
                            let off = ((r & 0xffff_ffff) - range.start) as usize;
                            match parse_chunk(&buf, off) {
                                Ok(Some(c)) => c,
                                Ok(None) => self.read_long_chunk(&file, r).await?,
                                Err(e) => return Err(self.chunk_err(&file, r, e)),
                            }
                        }
                    };
                    out[order[k]] =
                        Some(RawChunk { min_time: m.min_time, max_time: m.max_time, encoding, data });
                }
            }
            g = h;
        }
        out.into_iter()
            .zip(metas)
            .map(|(c, m)| c.ok_or_else(|| self.chunk_err("chunks", m.chunk_ref, "not read".into())))
            .collect()
    }

    /// A chunk longer than the tail read past its group: read exactly.
    async fn read_long_chunk(&self, file: &str, r: u64) -> Result<(Encoding, Bytes)> {
        let size = self.sizes.get((r >> 32) as usize).copied().unwrap_or(0);
        let at = r & 0xffff_ffff;
        let b = self.src.get_range(file, at..(at + 10).min(size)).await?;
        let mut d = Decbuf::new(&b);
        let len = d.uvarint("chunk length").map_err(|e| self.chunk_err(file, r, e.0))?;
        let total = d.pos() as u64 + 1 + len + 4;
        if at + total > size {
            return Err(self.chunk_err(file, r, "chunk runs past the end of the file".into()));
        }
        let b = self.src.get_range(file, at..at + total).await?;
        parse_chunk(&b, 0)
            .map_err(|e| self.chunk_err(file, r, e))?
            .ok_or_else(|| self.chunk_err(file, r, "chunk is truncated".into()))
    }

    fn chunk_err(&self, file: &str, r: u64, reason: String) -> Error {
        Error::corrupt(self.src.name(), file, format!("chunk {r}: {reason}"))
    }
}

/// Parses the chunk at `off` in `buf`: `Ok(None)` when `buf` ends before the chunk does.
fn parse_chunk(buf: &Bytes, off: usize) -> Result<Option<(Encoding, Bytes)>, String> {
    let Some(rest) = buf.get(off..) else { return Ok(None) };
    let mut d = Decbuf::new(rest);
    let Ok(len) = d.uvarint("chunk length") else { return Ok(None) };
    let len = usize::try_from(len).map_err(|_| format!("length {len} too large"))?;
    let start = off + d.pos();
    let Some(end) = start.checked_add(1 + len) else { return Err(format!("length {len} too large")) };
    if end + 4 > buf.len() {
        return Ok(None);
    }
    let want = u32::from_be_bytes([buf[end], buf[end + 1], buf[end + 2], buf[end + 3]]);
    let got = crc32(&buf[start..end]);
    if want != got {
        return Err(format!("checksum mismatch (stored {want:08x}, computed {got:08x})"));
    }
    let encoding = Encoding::from_u8(buf[start]).map_err(|e| e.to_string())?;
    Ok(Some((encoding, buf.slice(start + 1..end))))
}
