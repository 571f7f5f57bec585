//! Chunks without the samples a block's tombstones delete. A chunk no deleted range touches is
//! kept as it is; a touched one is decoded and encoded again without the deleted samples, as
//! Prometheus's chunk querier re-encodes chunks with deletions (one chunk may become several when
//! the histogram appender asks for a cut, or none when nothing is left).

use quiver_proto::chunkenc::{
    Encoding, RawChunk, decode_float_histograms, decode_histograms, decode_xor,
    encode_float_histogram_chunks, encode_histogram_chunks, encode_xor, num_samples,
};
use quiver_proto::{Sample, TimeRange};

/// `chunks` less the samples in `deleted` (inclusive ranges). Errors are the chunk decoder's.
pub(crate) fn without_deleted(
    chunks: Vec<RawChunk>,
    deleted: &[TimeRange],
) -> Result<Vec<RawChunk>, quiver_proto::Error> {
    let kept = |t: i64| !deleted.iter().any(|d| d.contains(t));
    let mut out = Vec::with_capacity(chunks.len());
    for c in chunks {
        if !deleted.iter().any(|d| d.overlaps(&TimeRange::new(c.min_time, c.max_time))) {
            out.push(c);
            continue;
        }
        match c.encoding {
            Encoding::Xor => {
                let samples: Vec<Sample> = decode_xor(&c.data)?.into_iter().filter(|s| kept(s.t)).collect();
                if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
                    let data = encode_xor(&samples)?;
                    out.push(raw(Encoding::Xor, first.t, last.t, data));
                }
            }
            Encoding::Histogram => {
                let samples: Vec<_> = decode_histograms(&c.data)?.into_iter().filter(|s| kept(s.0)).collect();
                let ts: Vec<i64> = samples.iter().map(|s| s.0).collect();
                split(Encoding::Histogram, &ts, encode_histogram_chunks(&samples)?, &mut out)?;
            }
            Encoding::FloatHistogram => {
                let samples: Vec<_> =
                    decode_float_histograms(&c.data)?.into_iter().filter(|s| kept(s.0)).collect();
                let ts: Vec<i64> = samples.iter().map(|s| s.0).collect();
                split(Encoding::FloatHistogram, &ts, encode_float_histogram_chunks(&samples)?, &mut out)?;
            }
        }
    }
    out.sort_by_key(|c| (c.min_time, c.max_time));
    Ok(out)
}

/// The encoded chunks of the samples at `ts`, each with its own time range.
fn split(
    encoding: Encoding,
    ts: &[i64],
    chunks: Vec<Vec<u8>>,
    out: &mut Vec<RawChunk>,
) -> Result<(), quiver_proto::Error> {
    let mut at = 0;
    for data in chunks {
        let n = num_samples(encoding, &data)?;
        if n == 0 || at + n > ts.len() {
            continue;
        }
        out.push(raw(encoding, ts[at], ts[at + n - 1], data));
        at += n;
    }
    Ok(())
}

fn raw(encoding: Encoding, min_time: i64, max_time: i64, data: Vec<u8>) -> RawChunk {
    RawChunk { min_time, max_time, encoding, data: data.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_chunks_lose_deleted_samples_and_the_rest_stay() {
        let samples: Vec<Sample> = (0..10).map(|i| Sample { t: i * 10, v: i as f64 }).collect();
        let chunk =
            |s: &[Sample]| raw(Encoding::Xor, s[0].t, s[s.len() - 1].t, encode_xor(s).unwrap_or_default());
        let (a, b) = (chunk(&samples[..5]), chunk(&samples[5..]));
        let out = without_deleted(vec![a.clone(), b], &[TimeRange::new(55, 75)]).unwrap_or_default();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], a);
        let left: Vec<i64> = decode_xor(&out[1].data).unwrap_or_default().iter().map(|s| s.t).collect();
        assert_eq!(left, vec![50, 80, 90]);
        assert_eq!((out[1].min_time, out[1].max_time), (50, 90));
        // A chunk deleted whole leaves nothing.
        let gone = without_deleted(vec![chunk(&samples[..5])], &[TimeRange::new(0, 40)]).unwrap_or_default();
        assert!(gone.is_empty());
    }
}
