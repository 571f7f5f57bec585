//! Index headers on local disk, in Thanos's binary index-header format (version 1), so a store
//! gateway that restarts opens its blocks without reading their indexes from the bucket again:
//!
//! ```text
//! magic 0xBAAAD792 (4) | version 1 (1) | index format version (1) | index postings table offset (8)
//! the index's symbol table, copied: bytes [TOC.symbols, TOC.series)
//! the index's postings offset table and its TOC, copied: bytes [TOC.postings_table, end)
//! header TOC: offset of the symbols (8) | offset of the postings table (8) | CRC32C of those 16
//! ```
//!
//! All integers big-endian. A header that does not decode is rebuilt from the bucket.

use super::encoding::{Decbuf, DecodeError, Encbuf, crc32};

const MAGIC: u32 = 0xBAAA_D792;
const VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 1 + 8;
const TOC_LEN: usize = 2 * 8 + 4;
/// The file's name inside `<data-dir>/<ULID>/`.
pub const INDEX_HEADER_FILE: &str = "index-header";

/// What a header holds: the index's format version and postings table offset, its symbol table
/// bytes, and its postings offset table bytes followed by the index's own TOC.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct IndexHeader<'a> {
    pub(crate) index_version: u8,
    pub(crate) postings_table_offset: u64,
    pub(crate) symbols: &'a [u8],
    pub(crate) postings_and_toc: &'a [u8],
}

pub(crate) fn encode(h: &IndexHeader<'_>) -> Vec<u8> {
    let mut e = Encbuf::default();
    e.put_be32(MAGIC);
    e.put_byte(VERSION);
    e.put_byte(h.index_version);
    e.put_be64(h.postings_table_offset);
    let symbols_at = e.len() as u64;
    e.b.extend_from_slice(h.symbols);
    let postings_at = e.len() as u64;
    e.b.extend_from_slice(h.postings_and_toc);
    let toc_start = e.len();
    e.put_be64(symbols_at);
    e.put_be64(postings_at);
    e.put_crc32_of(toc_start);
    e.b
}

pub(crate) fn decode(b: &[u8]) -> Result<IndexHeader<'_>, DecodeError> {
    if b.len() < HEADER_LEN + TOC_LEN {
        return Err(DecodeError(format!("{} bytes is too small for an index header", b.len())));
    }
    let mut d = Decbuf::new(b);
    let magic = d.be32("magic")?;
    if magic != MAGIC {
        return Err(DecodeError(format!("bad index header magic {magic:#010x}")));
    }
    let version = d.byte("version")?;
    if version != VERSION {
        return Err(DecodeError(format!("unsupported index header version {version}")));
    }
    let index_version = d.byte("index version")?;
    let postings_table_offset = d.be64("postings table offset")?;
    let toc = &b[b.len() - TOC_LEN..];
    let mut t = Decbuf::new(toc);
    let symbols_at = t.be64("symbols offset")? as usize;
    let postings_at = t.be64("postings offset")? as usize;
    let want = t.be32("TOC checksum")?;
    if crc32(&toc[..16]) != want {
        return Err(DecodeError("index header TOC checksum mismatch".into()));
    }
    let end = b.len() - TOC_LEN;
    if symbols_at != HEADER_LEN || postings_at < symbols_at || postings_at > end {
        return Err(DecodeError(format!("index header sections out of place: {symbols_at}, {postings_at}")));
    }
    Ok(IndexHeader {
        index_version,
        postings_table_offset,
        symbols: &b[symbols_at..postings_at],
        postings_and_toc: &b[postings_at..end],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let h = IndexHeader {
            index_version: 2,
            postings_table_offset: 4242,
            symbols: b"\x00\x00\x00\x05symbols-ish",
            postings_and_toc: b"postings and a toc",
        };
        let bytes = encode(&h);
        assert_eq!(&bytes[..4], &[0xBA, 0xAA, 0xD7, 0x92]);
        assert_eq!(decode(&bytes).unwrap(), h);
        for i in [0, 4, 5, bytes.len() - 1, bytes.len() - 10] {
            let mut bad = bytes.clone();
            bad[i] ^= 0xff;
            if i == 5 {
                // The index version is not checked here; the index reader checks it.
                continue;
            }
            assert!(decode(&bad).is_err(), "byte {i}");
        }
        assert!(decode(&bytes[..10]).is_err());
    }
}
