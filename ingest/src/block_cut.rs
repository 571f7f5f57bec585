//! A head series cut into a block's chunks: float samples as Prometheus's head cuts XOR chunks,
//! native histograms as its appenders cut histogram chunks (a new one at a counter reset or a
//! bucket layout the chunk cannot take). A change of kind (float, integer or float histogram)
//! starts a new chunk, as in Prometheus's head.

use quiver_bucket::block::cut_xor_chunks;
use quiver_proto::chunkenc::{Encoding, RawChunk, encode_float_histogram_chunks, encode_histogram_chunks};
use quiver_proto::{Sample, chunkenc};

use crate::histogram::HistSample;

/// One series' chunks, in time order. `floats` and `hists` are each in time order and share
/// no timestamp (the head takes one sample per time).
pub(crate) fn cut_chunks(
    floats: &[(i64, f64)],
    hists: &[(i64, HistSample)],
    chunk_range: i64,
) -> Result<Vec<RawChunk>, String> {
    let mut out = Vec::new();
    let (mut f, mut h) = (0, 0);
    while f < floats.len() || h < hists.len() {
        if h >= hists.len() || (f < floats.len() && floats[f].0 < hists[h].0) {
            let end = hists.get(h).map_or(floats.len(), |x| f + floats[f..].partition_point(|s| s.0 < x.0));
            let run: Vec<Sample> = floats[f..end].iter().map(|&(t, v)| Sample { t, v }).collect();
            out.extend(cut_xor_chunks(&run, chunk_range).map_err(|e| e.to_string())?);
            f = end;
            continue;
        }
        let stop = floats.get(f).map_or(i64::MAX, |x| x.0);
        let int = matches!(hists[h].1, HistSample::Int(_));
        let len = hists[h..]
            .iter()
            .take_while(|(t, s)| *t < stop && matches!(s, HistSample::Int(_)) == int)
            .count();
        let run = &hists[h..h + len];
        let (encoding, chunks) = if int {
            let hs: Vec<_> = run
                .iter()
                .filter_map(|(t, s)| match s {
                    HistSample::Int(x) => Some((*t, x.clone())),
                    HistSample::Float(_) => None,
                })
                .collect();
            (Encoding::Histogram, encode_histogram_chunks(&hs))
        } else {
            let hs: Vec<_> = run
                .iter()
                .filter_map(|(t, s)| match s {
                    HistSample::Float(x) => Some((*t, x.clone())),
                    HistSample::Int(_) => None,
                })
                .collect();
            (Encoding::FloatHistogram, encode_float_histogram_chunks(&hs))
        };
        let mut at = 0;
        for data in chunks.map_err(|e| e.to_string())? {
            let n = chunkenc::num_samples(encoding, &data).map_err(|e| e.to_string())?;
            let (Some(first), Some(last)) = (run.get(at), run.get(at + n.max(1) - 1)) else {
                return Err(format!("a histogram chunk of {n} samples past the {} given", run.len()));
            };
            out.push(RawChunk { min_time: first.0, max_time: last.0, encoding, data: data.into() });
            at += n;
        }
        h += len;
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use quiver_proto::chunkenc::{decode_float_histograms, decode_histograms, decode_xor};
    use quiver_proto::{FloatHistogram, Histogram, Span};

    use super::*;

    fn int(count: u64) -> HistSample {
        HistSample::Int(Histogram {
            count,
            positive_spans: vec![Span { offset: 0, length: 1 }],
            positive_buckets: vec![count as i64],
            ..Histogram::default()
        })
    }

    #[test]
    fn kinds_alternate_into_chunks_in_time_order() {
        let floats: Vec<(i64, f64)> =
            (0..10).map(|i| (i, i as f64)).chain((30..35).map(|i| (i, 1.0))).collect();
        // Integer histograms with a counter reset at 15, then float ones.
        let mut hists: Vec<(i64, HistSample)> =
            (10..20).map(|i| (i, int(if i < 15 { 100 + i as u64 } else { 1 }))).collect();
        hists.extend(
            (20..30)
                .map(|i| (i, HistSample::Float(FloatHistogram { count: 2.5, ..FloatHistogram::default() }))),
        );
        let chunks = cut_chunks(&floats, &hists, 7_200_000).unwrap();
        let kinds: Vec<_> = chunks.iter().map(|c| (c.encoding, c.min_time, c.max_time)).collect();
        assert_eq!(
            kinds,
            [
                (Encoding::Xor, 0, 9),
                (Encoding::Histogram, 10, 14),
                (Encoding::Histogram, 15, 19),
                (Encoding::FloatHistogram, 20, 29),
                (Encoding::Xor, 30, 34),
            ]
        );
        assert_eq!(decode_xor(&chunks[0].data).unwrap().len(), 10);
        let h: Vec<_> = decode_histograms(&chunks[2].data).unwrap();
        assert_eq!((h[0].0, h[0].1.count), (15, 1));
        assert_eq!(decode_float_histograms(&chunks[3].data).unwrap().len(), 10);
    }
}
