//! Decoding Prometheus's remote-read answers into series: the streamed form (frames of a uvarint
//! length, a big-endian CRC-32C and a `ChunkedReadResponse`, read as the bytes arrive) and the
//! samples form (one snappy `ReadResponse`, re-chunked into XOR chunks of at most 120 samples, as
//! Prometheus's head cuts them). Whatever the bytes, the answer is series or a corrupt-data error
//! naming the source.

use bytes::{Buf, Bytes, BytesMut};
use prost::Message;
use quiver_proto::chunkenc::{Encoding, RawChunk, XorAppender};
use quiver_proto::pb::prometheus as prompb;
use quiver_proto::{Labels, StoreError, StoreSeries};

/// Samples per re-chunked XOR chunk.
const SAMPLES_PER_CHUNK: usize = 120;
/// Largest streamed frame accepted: Prometheus sends about 1 MiB per frame.
const MAX_FRAME: u64 = 64 << 20;

/// A streamed answer, decoded as its bytes arrive.
#[derive(Debug)]
pub struct StreamedDecoder {
    store: String,
    buf: BytesMut,
    series: Vec<StoreSeries>,
}

impl StreamedDecoder {
    pub fn new(store: &str) -> Self {
        Self { store: store.to_string(), buf: BytesMut::new(), series: Vec::new() }
    }

    /// Takes the next bytes of the body; decodes every frame they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.buf.extend_from_slice(bytes);
        while let Some(frame) = next_frame(&mut self.buf).map_err(|e| corrupt(&self.store, e))? {
            let msg = prompb::ChunkedReadResponse::decode(frame)
                .map_err(|e| corrupt(&self.store, format!("ChunkedReadResponse: {e}")))?;
            for s in msg.chunked_series {
                self.series.push(chunked_series(&self.store, s)?);
            }
        }
        Ok(())
    }

    /// The series, once the body ended; bytes left over are a truncated frame.
    pub fn finish(self) -> Result<Vec<StoreSeries>, StoreError> {
        if !self.buf.is_empty() {
            return Err(corrupt(&self.store, format!("{} bytes after the last frame", self.buf.len())));
        }
        Ok(self.series)
    }
}

/// A samples answer: a snappy-compressed `ReadResponse`.
pub fn decode_samples(store: &str, body: &[u8]) -> Result<Vec<StoreSeries>, StoreError> {
    let raw =
        snap::raw::Decoder::new().decompress_vec(body).map_err(|e| corrupt(store, format!("snappy: {e}")))?;
    let msg = prompb::ReadResponse::decode(raw.as_slice())
        .map_err(|e| corrupt(store, format!("ReadResponse: {e}")))?;
    let mut out = Vec::new();
    for ts in msg.results.into_iter().flat_map(|r| r.timeseries) {
        let labels = labels(store, ts.labels)?;
        if !ts.histograms.is_empty() {
            return Err(StoreError::invalid(
                store,
                format!(
                    "{labels}: native histograms come only as streamed chunks, and Prometheus sent samples"
                ),
            ));
        }
        let chunks = rechunk(store, &labels, &ts.samples)?;
        out.push(StoreSeries { labels, chunks });
    }
    Ok(out)
}

fn chunked_series(store: &str, s: prompb::ChunkedSeries) -> Result<StoreSeries, StoreError> {
    let labels = labels(store, s.labels)?;
    let mut chunks = Vec::with_capacity(s.chunks.len());
    for c in s.chunks {
        let encoding = match prompb::chunk::Encoding::try_from(c.r#type) {
            Ok(prompb::chunk::Encoding::Xor) => Encoding::Xor,
            Ok(prompb::chunk::Encoding::Histogram) => Encoding::Histogram,
            Ok(prompb::chunk::Encoding::FloatHistogram) => Encoding::FloatHistogram,
            _ => {
                return Err(corrupt(
                    store,
                    format!("chunk of {labels} has unsupported encoding {}", c.r#type),
                ));
            }
        };
        chunks.push(RawChunk { min_time: c.min_time_ms, max_time: c.max_time_ms, encoding, data: c.data });
    }
    Ok(StoreSeries { labels, chunks })
}

fn rechunk(store: &str, labels: &Labels, samples: &[prompb::Sample]) -> Result<Vec<RawChunk>, StoreError> {
    let mut chunks = Vec::with_capacity(samples.len().div_ceil(SAMPLES_PER_CHUNK));
    for part in samples.chunks(SAMPLES_PER_CHUNK) {
        let mut app = XorAppender::new();
        for s in part {
            app.append(s.timestamp, s.value).map_err(|e| corrupt(store, format!("{labels}: {e}")))?;
        }
        let (Some(first), Some(last)) = (part.first(), part.last()) else { continue };
        chunks.push(RawChunk {
            min_time: first.timestamp,
            max_time: last.timestamp,
            encoding: Encoding::Xor,
            data: Bytes::from(app.into_bytes()),
        });
    }
    Ok(chunks)
}

fn labels(store: &str, labels: Vec<prompb::Label>) -> Result<Labels, StoreError> {
    Labels::from_pairs(labels.into_iter().map(|l| (l.name, l.value)))
        .map_err(|e| corrupt(store, format!("series labels: {e}")))
}

fn corrupt(store: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        store: store.to_string(),
        block: "remote read".to_string(),
        file: "response".to_string(),
        reason: reason.into(),
    }
}

/// The next frame of a streamed answer, or `None` when `buf` does not hold a whole one yet.
fn next_frame(buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
    let (mut len, mut shift, mut i) = (0u64, 0u32, 0usize);
    loop {
        let Some(&b) = buf.get(i) else { return Ok(None) };
        i += 1;
        if shift > 63 {
            return Err("frame length is not a uvarint".to_string());
        }
        len |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    if len > MAX_FRAME {
        return Err(format!("frame of {len} bytes is over the {MAX_FRAME}-byte limit"));
    }
    let len = len as usize;
    if buf.len() < i + 4 + len {
        return Ok(None);
    }
    buf.advance(i);
    let want = buf.get_u32();
    let data = buf.split_to(len).freeze();
    let got = crc32c::crc32c(&data);
    if got != want {
        return Err(format!("frame checksum {got:08x}, expected {want:08x}"));
    }
    Ok(Some(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(msg: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut n = msg.len() as u64;
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(&crc32c::crc32c(msg).to_be_bytes());
        out.extend_from_slice(msg);
        out
    }

    #[test]
    fn frames_split_anywhere_decode_whole() {
        let a = vec![7u8; 300];
        let b = b"second".to_vec();
        let wire: Vec<u8> = [frame(&a), frame(&b)].concat();
        for cut in 0..wire.len() {
            let mut buf = BytesMut::from(&wire[..cut]);
            let mut got = Vec::new();
            while let Some(f) = next_frame(&mut buf).unwrap() {
                got.push(f);
            }
            buf.extend_from_slice(&wire[cut..]);
            while let Some(f) = next_frame(&mut buf).unwrap() {
                got.push(f);
            }
            assert_eq!(got, vec![Bytes::from(a.clone()), Bytes::from(b.clone())], "cut at {cut}");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn bad_checksum_huge_length_and_truncation_are_errors() {
        let mut wire = frame(b"hello");
        let last = wire.len() - 1;
        wire[last] ^= 1;
        assert!(next_frame(&mut BytesMut::from(&wire[..])).unwrap_err().contains("checksum"));
        let huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert!(next_frame(&mut BytesMut::from(&huge[..])).is_err());
        let mut d = StreamedDecoder::new("p");
        d.push(&frame(b"")[..3]).unwrap();
        assert!(matches!(d.finish(), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn streamed_series_decode_with_their_chunks() {
        let msg = prompb::ChunkedReadResponse {
            chunked_series: vec![prompb::ChunkedSeries {
                labels: vec![prompb::Label { name: "__name__".into(), value: "up".into() }],
                chunks: vec![prompb::Chunk {
                    min_time_ms: 1,
                    max_time_ms: 2,
                    r#type: 1,
                    data: Bytes::from_static(b"x"),
                }],
            }],
            query_index: 0,
        };
        let mut d = StreamedDecoder::new("p");
        for b in frame(&msg.encode_to_vec()) {
            d.push(&[b]).unwrap();
        }
        let got = d.finish().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].chunks[0].encoding, Encoding::Xor);
        let bad = prompb::ChunkedReadResponse {
            chunked_series: vec![prompb::ChunkedSeries {
                labels: Vec::new(),
                chunks: vec![prompb::Chunk { r#type: 9, ..Default::default() }],
            }],
            query_index: 0,
        };
        let mut d = StreamedDecoder::new("p");
        assert!(d.push(&frame(&bad.encode_to_vec())).is_err());
    }
}
