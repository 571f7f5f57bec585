//! Writes a Prometheus TSDB index (format v2) exactly as Prometheus 2.x lays it out: symbols,
//! 16-byte aligned series, label indices, postings, the label index table, the postings offset
//! table and the TOC, each section with its CRC32.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use quiver_proto::Labels;

use super::encoding::{Encbuf, crc32};
use super::index_reader::{INDEX_MAGIC, INDEX_VERSION_V2};
use crate::error::{Error, Result};

/// Where a chunk lives and the time range it covers (closed: `max_time` is its last sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkMeta {
    /// `segment index << 32 | byte offset` in the block's `chunks/` files.
    pub chunk_ref: u64,
    pub min_time: i64,
    pub max_time: i64,
}

/// Sizes Thanos records in `meta.json` as `index_stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexWriteStats {
    pub series_max_size: i64,
}

/// Encodes the index of a block. `series` must be sorted by labels and each series' chunks by
/// time and reference, as Prometheus requires.
pub fn write_index(series: &[(Labels, Vec<ChunkMeta>)]) -> Result<(Vec<u8>, IndexWriteStats)> {
    let err = |reason: String| Error::Write { reason: format!("index: {reason}") };
    for w in series.windows(2) {
        if w[0].0 >= w[1].0 {
            return Err(err(format!("series out of order: {} before {}", w[0].0, w[1].0)));
        }
    }

    // Prometheus's head includes the all-postings key ("", "") among its symbols, so the empty
    // string is always a symbol.
    let mut symbols: BTreeSet<&str> = BTreeSet::from([""]);
    for (labels, _) in series {
        for l in labels {
            symbols.insert(&l.name);
            symbols.insert(&l.value);
        }
    }
    let sym_index: HashMap<&str, u32> = symbols.iter().enumerate().map(|(i, s)| (*s, i as u32)).collect();

    let mut e = Encbuf::default();
    e.put_be32(INDEX_MAGIC);
    e.put_byte(INDEX_VERSION_V2);

    // Symbols.
    let toc_symbols = e.len() as u64;
    let start = e.len();
    e.put_be32(0);
    e.put_be32(symbols.len() as u32);
    for s in &symbols {
        e.put_uvarint_str(s);
    }
    let len = (e.len() - start - 4) as u32;
    e.b[start..start + 4].copy_from_slice(&len.to_be_bytes());
    e.put_crc32_of(start + 4);

    // Series, collecting postings as we go.
    let toc_series = e.len() as u64;
    let mut postings: BTreeMap<&str, BTreeMap<&str, Vec<u32>>> = BTreeMap::new();
    let mut all = Vec::with_capacity(series.len());
    let mut stats = IndexWriteStats::default();
    let mut entry = Encbuf::default();
    for (labels, chunks) in series {
        pad(&mut e, 16);
        let series_ref = u32::try_from(e.len() / 16)
            .map_err(|_| err("index exceeds the 64 GiB addressable by series references".into()))?;
        entry.b.clear();
        entry.put_uvarint(labels.len() as u64);
        for l in labels {
            entry.put_uvarint(u64::from(sym_index[l.name.as_str()]));
            entry.put_uvarint(u64::from(sym_index[l.value.as_str()]));
            postings.entry(&l.name).or_default().entry(&l.value).or_default().push(series_ref);
        }
        entry.put_uvarint(chunks.len() as u64);
        if let Some(first) = chunks.first() {
            entry.put_varint(first.min_time);
            entry.put_uvarint(first.max_time.wrapping_sub(first.min_time) as u64);
            entry.put_uvarint(first.chunk_ref);
            let (mut t0, mut ref0) = (first.max_time, first.chunk_ref as i64);
            for c in &chunks[1..] {
                if c.min_time <= t0 || c.chunk_ref as i64 <= ref0 || c.max_time < c.min_time {
                    return Err(err(format!("chunks of {labels} overlap or are unsorted")));
                }
                entry.put_uvarint(c.min_time.wrapping_sub(t0) as u64);
                entry.put_uvarint(c.max_time.wrapping_sub(c.min_time) as u64);
                entry.put_varint(c.chunk_ref as i64 - ref0);
                t0 = c.max_time;
                ref0 = c.chunk_ref as i64;
            }
        }
        let before = e.len();
        e.put_uvarint(entry.len() as u64);
        e.b.extend_from_slice(&entry.b);
        e.put_be32(crc32(&entry.b));
        stats.series_max_size = stats.series_max_size.max((e.len() - before) as i64);
        all.push(series_ref);
    }

    // Label indices: one per label name, listing its values by symbol index.
    let toc_label_indices = e.len() as u64;
    let mut label_index_offsets = Vec::with_capacity(postings.len());
    for (name, values) in &postings {
        pad(&mut e, 4);
        label_index_offsets.push((*name, e.len() as u64));
        let start = e.len();
        e.put_be32(0);
        e.put_be32(1);
        e.put_be32(values.len() as u32);
        for v in values.keys() {
            e.put_be32(sym_index[v]);
        }
        finish_section(&mut e, start);
    }

    // Postings: the all-series list first under the empty key, then every label pair in order.
    let toc_postings = e.len() as u64;
    let mut postings_offsets = Vec::new();
    let mut write_postings = |e: &mut Encbuf, name: &str, value: &str, refs: &[u32]| {
        pad(e, 4);
        postings_offsets.push((name.to_string(), value.to_string(), e.len() as u64));
        let start = e.len();
        e.put_be32(0);
        e.put_be32(refs.len() as u32);
        for r in refs {
            e.put_be32(*r);
        }
        finish_section(e, start);
    };
    write_postings(&mut e, "", "", &all);
    for (name, values) in &postings {
        for (value, refs) in values {
            write_postings(&mut e, name, value, refs);
        }
    }

    let toc_label_indices_table = e.len() as u64;
    let start = e.len();
    e.put_be32(0);
    e.put_be32(label_index_offsets.len() as u32);
    for (name, off) in &label_index_offsets {
        e.put_uvarint(1);
        e.put_uvarint_str(name);
        e.put_uvarint(*off);
    }
    finish_section(&mut e, start);

    let toc_postings_table = e.len() as u64;
    let start = e.len();
    e.put_be32(0);
    e.put_be32(postings_offsets.len() as u32);
    for (name, value, off) in &postings_offsets {
        e.put_uvarint(2);
        e.put_uvarint_str(name);
        e.put_uvarint_str(value);
        e.put_uvarint(*off);
    }
    finish_section(&mut e, start);

    let toc_start = e.len();
    for off in [
        toc_symbols,
        toc_series,
        toc_label_indices,
        toc_label_indices_table,
        toc_postings,
        toc_postings_table,
    ] {
        e.put_be64(off);
    }
    e.put_crc32_of(toc_start);
    Ok((e.b, stats))
}

fn pad(e: &mut Encbuf, align: usize) {
    let rem = e.len() % align;
    if rem != 0 {
        e.b.resize(e.len() + align - rem, 0);
    }
}

/// Fills in the 4-byte length at `start` and appends the CRC32 of what follows it.
fn finish_section(e: &mut Encbuf, start: usize) {
    let len = (e.len() - start - 4) as u32;
    e.b[start..start + 4].copy_from_slice(&len.to_be_bytes());
    e.put_crc32_of(start + 4);
}
