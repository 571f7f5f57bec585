//! Remote write 1.0 (`prometheus.WriteRequest`) read straight from the decompressed bytes: label
//! names and values are borrowed from the body and packed into the batch's key buffer, never
//! copied into a `String` each. The fields read, as `remote.proto` and `types.proto` number
//! them: WriteRequest.timeseries = 1; TimeSeries.labels = 1, samples = 2, histograms = 4
//! (exemplars = 3 and WriteRequest.metadata = 3 are skipped); Label.name = 1, value = 2;
//! Sample.value = 1 (double), timestamp = 2 (int64). A histogram (rarer, and many fields) is
//! decoded by prost from its bytes. Unknown fields are skipped by wire type, as protobuf asks; a
//! body that does not parse is malformed (400).

use prost::Message;
use quiver_proto::pb::prometheus::Histogram as PbHistogram;

use crate::batch::Batch;
use crate::histogram::{HistSample, from_pb1};
use crate::receiver::WriteError;

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;
const FIXED32: u8 = 5;

fn malformed(what: &str) -> WriteError {
    WriteError::BadRequest(format!("decoding the write request: {what}"))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn varint(&mut self) -> Result<u64, WriteError> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.b.get(self.pos).ok_or_else(|| malformed("truncated varint"))?;
            self.pos += 1;
            x |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(x);
            }
        }
        Err(malformed("varint longer than 10 bytes"))
    }

    /// The next field's number and wire type.
    fn key(&mut self) -> Result<(u64, u8), WriteError> {
        let k = self.varint()?;
        Ok((k >> 3, (k & 7) as u8))
    }

    fn bytes(&mut self) -> Result<&'a [u8], WriteError> {
        let len = usize::try_from(self.varint()?).map_err(|_| malformed("length too large"))?;
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| malformed("truncated field"))?;
        let out = &self.b[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn fixed64(&mut self) -> Result<u64, WriteError> {
        let end = self.pos + 8;
        let raw = self.b.get(self.pos..end).ok_or_else(|| malformed("truncated fixed64"))?;
        self.pos = end;
        let mut a = [0u8; 8];
        a.copy_from_slice(raw);
        Ok(u64::from_le_bytes(a))
    }

    fn skip(&mut self, wire: u8) -> Result<(), WriteError> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            FIXED64 => self.fixed64().map(|_| ()),
            LEN => self.bytes().map(|_| ()),
            FIXED32 => {
                let end = self.pos + 4;
                if end > self.b.len() {
                    return Err(malformed("truncated fixed32"));
                }
                self.pos = end;
                Ok(())
            }
            other => Err(malformed(&format!("wire type {other}"))),
        }
    }
}

fn utf8(b: &[u8]) -> Result<&str, WriteError> {
    std::str::from_utf8(b)
        .map_err(|_| WriteError::BadRequest("add 1 series: label with invalid UTF-8".into()))
}

/// The series of a decompressed 1.0 request.
pub(crate) fn decode(body: &[u8]) -> Result<Batch, WriteError> {
    let mut batch = Batch::with_capacity(body.len() / 80);
    let mut labels: Vec<(&str, &str)> = Vec::new();
    let mut samples: Vec<(i64, f64)> = Vec::new();
    let mut hists: Vec<(i64, HistSample)> = Vec::new();
    let mut req = Reader::new(body);
    while !req.done() {
        match req.key()? {
            (1, LEN) => {
                labels.clear();
                samples.clear();
                timeseries(req.bytes()?, &mut labels, &mut samples, &mut hists)?;
                batch.push(labels.iter().copied(), samples.iter().copied(), hists.drain(..))?;
            }
            (_, wire) => req.skip(wire)?,
        }
    }
    Ok(batch)
}

fn timeseries<'a>(
    b: &'a [u8],
    labels: &mut Vec<(&'a str, &'a str)>,
    samples: &mut Vec<(i64, f64)>,
    hists: &mut Vec<(i64, HistSample)>,
) -> Result<(), WriteError> {
    let mut ts = Reader::new(b);
    while !ts.done() {
        match ts.key()? {
            (1, LEN) => {
                let mut l = Reader::new(ts.bytes()?);
                let (mut name, mut value) = ("", "");
                while !l.done() {
                    match l.key()? {
                        (1, LEN) => name = utf8(l.bytes()?)?,
                        (2, LEN) => value = utf8(l.bytes()?)?,
                        (_, wire) => l.skip(wire)?,
                    }
                }
                labels.push((name, value));
            }
            (2, LEN) => {
                let mut s = Reader::new(ts.bytes()?);
                let (mut value, mut t) = (0f64, 0i64);
                while !s.done() {
                    match s.key()? {
                        (1, FIXED64) => value = f64::from_bits(s.fixed64()?),
                        // int64: two's complement in a 10-byte varint for negatives.
                        (2, VARINT) => t = s.varint()? as i64,
                        (_, wire) => s.skip(wire)?,
                    }
                }
                samples.push((t, value));
            }
            (4, LEN) => {
                let h = PbHistogram::decode(ts.bytes()?).map_err(|e| malformed(&e.to_string()))?;
                hists.push(from_pb1(&h));
            }
            (_, wire) => ts.skip(wire)?,
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use prost::Message;
    use quiver_proto::pb::prometheus::{Label, Sample, TimeSeries, WriteRequest};

    use super::*;

    fn ts(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: labels.iter().map(|(n, v)| Label { name: (*n).into(), value: (*v).into() }).collect(),
            samples: samples.iter().map(|&(timestamp, value)| Sample { value, timestamp }).collect(),
            ..TimeSeries::default()
        }
    }

    #[test]
    fn reads_what_prost_writes() {
        let req = WriteRequest {
            timeseries: vec![
                ts(&[("__name__", "up"), ("job", "a")], &[(-5, 1.5), (i64::MAX, -0.0), (0, f64::NAN)]),
                ts(&[("__name__", "x"), ("é", "ü")], &[(1_700_000_000_000, 2.0)]),
            ],
            ..WriteRequest::default()
        };
        let b = decode(&req.encode_to_vec()).unwrap();
        assert_eq!(b.series.len(), 2);
        assert_eq!(b.series[0].labels, 2);
        let s = b.samples_of(&b.series[0]);
        assert_eq!((s[0], s[1].0), ((-5, 1.5), i64::MAX));
        assert!(s[2].1.is_nan());
        let mut key = Vec::new();
        // Names are not held to Prometheus's legacy charset (UTF-8 names are Prometheus 3's).
        let labels = quiver_proto::Labels::from_sorted(vec![
            quiver_proto::Label::new("__name__", "x"),
            quiver_proto::Label::new("é", "ü"),
        ])
        .unwrap();
        for l in &labels {
            crate::series_key::put_pair(&mut key, &l.name, &l.value);
        }
        assert_eq!(b.key(&b.series[1]), key.as_slice());
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        let good =
            WriteRequest { timeseries: vec![ts(&[("a", "1")], &[(1, 1.0)])], ..WriteRequest::default() }
                .encode_to_vec();
        for cut in 1..good.len() {
            assert!(matches!(decode(&good[..cut]), Err(WriteError::BadRequest(_))), "cut at {cut}");
        }
        for bad in [
            ts(&[("b", "1"), ("a", "1")], &[(1, 1.0)]),
            ts(&[("a", "1"), ("a", "2")], &[(1, 1.0)]),
            ts(&[("a", "")], &[(1, 1.0)]),
            ts(&[], &[(1, 1.0)]),
        ] {
            let body = WriteRequest { timeseries: vec![bad], ..WriteRequest::default() }.encode_to_vec();
            assert!(matches!(decode(&body), Err(WriteError::BadRequest(_))));
        }
        // A label value that is not UTF-8: Label { name: "a", value: 0xff }.
        let body = [0x0a, 0x09, 0x0a, 0x07, 0x0a, 0x01, b'a', 0x12, 0x02, 0xff, 0xfe];
        assert!(matches!(decode(&body), Err(WriteError::BadRequest(_))));
    }
}
