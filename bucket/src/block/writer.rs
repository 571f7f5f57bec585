//! Writes TSDB blocks to a local directory the way Prometheus does: chunks cut like a head cuts
//! them, segment files, index, `tombstones`, and `meta.json` written last, all under a temporary
//! name that is renamed into place so no reader ever sees half a block.

use std::fs;
use std::path::{Path, PathBuf};

use quiver_proto::chunkenc::{Encoding, RawChunk, XorAppender};
use quiver_proto::{Labels, Sample};
use ulid::Ulid;

use super::chunks::{SegmentWriter, segment_file};
use super::index_writer::{ChunkMeta, write_index};
use super::meta::{BlockMeta, IndexStats};
use super::tombstones::encode_tombstones;
use crate::error::{Error, Result};

/// Prometheus's default block length and head chunk range: two hours.
pub const DEFAULT_BLOCK_DURATION_MS: i64 = 2 * 60 * 60 * 1000;
const SAMPLES_PER_CHUNK: usize = 120;
/// A float chunk that has grown past this many bytes is closed before the next append, so that
/// no chunk passes 1024 bytes even if the next sample takes the maximum 19 bytes.
const MAX_BYTES_PER_XOR_CHUNK_BEFORE_APPEND: usize = 1024 - 19;

/// End of the `width`-aligned range that contains `t` (Prometheus's `rangeForTimestamp`).
pub fn range_end_for(t: i64, width: i64) -> i64 {
    // Go's integer division truncates toward zero; so does Rust's.
    (t / width) * width + width
}

fn compute_chunk_end_time(start: i64, cur: i64, max_t: i64, ratio_to_full: f64) -> i64 {
    let n = (max_t - start) as f64 / ((cur - start + 1) as f64 * ratio_to_full);
    if n <= 1.0 {
        return max_t;
    }
    (start as f64 + (max_t - start) as f64 / n.floor()) as i64
}

/// Cuts one series' float samples into XOR chunks exactly where a Prometheus head would, given
/// the head's chunk range (the block duration). Samples must be sorted by time; samples at a
/// timestamp already seen are dropped, as the head drops them.
pub fn cut_xor_chunks(samples: &[Sample], chunk_range: i64) -> Result<Vec<RawChunk>> {
    let mut out = Vec::new();
    let mut cur: Option<(XorAppender, i64, i64)> = None; // appender, min time, max time
    let mut next_at = i64::MAX;
    let finish = |out: &mut Vec<RawChunk>, c: (XorAppender, i64, i64)| {
        let (a, min_time, max_time) = c;
        out.push(RawChunk { min_time, max_time, encoding: Encoding::Xor, data: a.into_bytes().into() });
    };
    for s in samples {
        let mut cut = match &cur {
            None => true,
            Some((a, _, max_t)) => {
                if *max_t >= s.t {
                    continue;
                }
                a.len_bytes() > MAX_BYTES_PER_XOR_CHUNK_BEFORE_APPEND
            }
        };
        if cut {
            if let Some(c) = cur.take() {
                finish(&mut out, c);
            }
            cur = Some((XorAppender::new(), s.t, i64::MIN));
            next_at = range_end_for(s.t, chunk_range);
        }
        if let Some((a, min_t, max_t)) = &cur {
            let n = a.num_samples();
            if n == SAMPLES_PER_CHUNK / 4 {
                next_at = compute_chunk_end_time(*min_t, *max_t, next_at, 4.0);
            }
            cut = s.t >= next_at || n >= SAMPLES_PER_CHUNK * 2;
        }
        if cut {
            if let Some(c) = cur.take() {
                finish(&mut out, c);
            }
            cur = Some((XorAppender::new(), s.t, i64::MIN));
            next_at = range_end_for(s.t, chunk_range);
        }
        if let Some((a, _, max_t)) = &mut cur {
            a.append(s.t, s.v).map_err(|e| Error::Write { reason: e.to_string() })?;
            *max_t = s.t;
        }
    }
    if let Some(c) = cur.take() {
        finish(&mut out, c);
    }
    Ok(out)
}

/// Counts recorded in `meta.json`.
fn count_samples(chunks: &[RawChunk]) -> Result<u64> {
    let mut n = 0u64;
    for c in chunks {
        n += quiver_proto::chunkenc::num_samples(c.encoding, &c.data)
            .map_err(|e| Error::Write { reason: e.to_string() })? as u64;
    }
    Ok(n)
}

/// Writes one block of already-encoded chunks into `parent/<ulid>/` and returns its meta.
///
/// `series` must be sorted by labels; `min_time`/`max_time` are the block's bounds (`max_time`
/// exclusive). `meta` fields other than the ULID, times and stats are taken from `template`.
pub fn write_block(
    parent: &Path,
    mut template: BlockMeta,
    series: Vec<(Labels, Vec<RawChunk>)>,
) -> Result<(PathBuf, BlockMeta)> {
    let ulid = template.ulid;
    let tmp = parent.join(format!("{ulid}.tmp-for-creation"));
    let dir = parent.join(ulid.to_string());
    let io = |p: &Path, e: std::io::Error| Error::io(p.display(), e);
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    }
    fs::create_dir_all(tmp.join("chunks")).map_err(|e| io(&tmp, e))?;

    let mut segments = SegmentWriter::default();
    let mut index_series = Vec::with_capacity(series.len());
    let mut stats = super::meta::BlockStats::default();
    for (labels, chunks) in series {
        if chunks.is_empty() {
            continue;
        }
        stats.num_series += 1;
        stats.num_chunks += chunks.len() as u64;
        stats.num_samples += count_samples(&chunks)?;
        let mut metas = Vec::with_capacity(chunks.len());
        for c in &chunks {
            let chunk_ref = segments.add(c.encoding, &c.data)?;
            metas.push(ChunkMeta { chunk_ref, min_time: c.min_time, max_time: c.max_time });
        }
        index_series.push((labels, metas));
    }
    let max_chunk = segments.max_chunk_size();
    for (i, seg) in segments.into_segments().into_iter().enumerate() {
        let p = tmp.join(segment_file(i as u64));
        fs::write(&p, seg).map_err(|e| io(&p, e))?;
    }
    let (index, istats) = write_index(&index_series)?;
    let p = tmp.join("index");
    fs::write(&p, index).map_err(|e| io(&p, e))?;
    let p = tmp.join("tombstones");
    fs::write(&p, encode_tombstones(&[])).map_err(|e| io(&p, e))?;

    template.stats = stats;
    if let Some(t) = template.thanos.as_mut() {
        t.index_stats =
            IndexStats { series_max_size: istats.series_max_size, chunk_max_size: max_chunk as i64 };
    }
    let p = tmp.join("meta.json");
    fs::write(&p, template.to_json()?).map_err(|e| io(&p, e))?;
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    fs::rename(&tmp, &dir).map_err(|e| io(&dir, e))?;
    Ok((dir, template))
}

/// Writes float series as blocks of `block_duration` aligned to the epoch, as
/// `promtool tsdb create-blocks-from` does; returns the metas of the blocks written.
pub fn write_float_blocks(
    parent: &Path,
    mut series: Vec<(Labels, Vec<Sample>)>,
    block_duration: i64,
) -> Result<Vec<BlockMeta>> {
    series.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, s) in &mut series {
        s.sort_by_key(|x| x.t);
    }
    let mut starts: Vec<i64> = series
        .iter()
        .flat_map(|(_, s)| s.iter().map(|x| x.t.div_euclid(block_duration) * block_duration))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    let mut out = Vec::new();
    for start in starts {
        let end = start + block_duration;
        let mut block_series = Vec::new();
        let (mut min_t, mut max_t) = (i64::MAX, i64::MIN);
        for (labels, samples) in &series {
            let lo = samples.partition_point(|x| x.t < start);
            let hi = samples.partition_point(|x| x.t < end);
            if lo == hi {
                continue;
            }
            min_t = min_t.min(samples[lo].t);
            max_t = max_t.max(samples[hi - 1].t);
            block_series.push((labels.clone(), cut_xor_chunks(&samples[lo..hi], block_duration)?));
        }
        let meta = BlockMeta::new(Ulid::new(), min_t, max_t + 1);
        let (_, meta) = write_block(parent, meta, block_series)?;
        out.push(meta);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_like_a_head() {
        // 15 s scrapes over 2 h: Prometheus spreads 480 samples over 4 chunks of 120.
        let samples: Vec<Sample> = (0..480).map(|i| Sample { t: i * 15_000, v: i as f64 }).collect();
        let chunks = cut_xor_chunks(&samples, DEFAULT_BLOCK_DURATION_MS).unwrap();
        let sizes: Vec<usize> =
            chunks.iter().map(|c| quiver_proto::chunkenc::xor_num_samples(&c.data).unwrap()).collect();
        assert_eq!(sizes, vec![120, 120, 120, 120]);
        assert_eq!(chunks[1].min_time, 120 * 15_000);
    }

    #[test]
    fn drops_duplicate_timestamps() {
        let samples = [Sample { t: 1, v: 1.0 }, Sample { t: 1, v: 2.0 }, Sample { t: 2, v: 3.0 }];
        let chunks = cut_xor_chunks(&samples, DEFAULT_BLOCK_DURATION_MS).unwrap();
        let got = quiver_proto::chunkenc::decode_xor(&chunks[0].data).unwrap();
        assert_eq!(got, vec![Sample { t: 1, v: 1.0 }, Sample { t: 2, v: 3.0 }]);
    }
}
