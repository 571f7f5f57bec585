//! The `tombstones` file: deleted time ranges per series, `magic | version | entries | CRC32`.

use super::encoding::{Decbuf, Encbuf, crc32};
use crate::error::{Error, Result};

const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;
const TOMBSTONES_V1: u8 = 1;

/// A deleted closed time range of one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tombstone {
    pub series_ref: u64,
    pub min_time: i64,
    pub max_time: i64,
}

pub fn encode_tombstones(stones: &[Tombstone]) -> Vec<u8> {
    let mut e = Encbuf::default();
    e.put_be32(TOMBSTONES_MAGIC);
    e.put_byte(TOMBSTONES_V1);
    for s in stones {
        e.put_uvarint(s.series_ref);
        e.put_varint(s.min_time);
        e.put_varint(s.max_time);
    }
    // The version byte is left out of the checksum, as in Prometheus.
    e.put_crc32_of(5);
    e.b
}

pub fn decode_tombstones(block: &str, b: &[u8]) -> Result<Vec<Tombstone>> {
    let bad = |r: String| Error::corrupt(block, "tombstones", r);
    if b.len() < 9 {
        return Err(bad(format!("{} bytes is too small", b.len())));
    }
    let body = &b[..b.len() - 4];
    let mut d = Decbuf::new(body);
    let magic = d.be32("magic").map_err(|e| bad(e.0))?;
    if magic != TOMBSTONES_MAGIC {
        return Err(bad(format!("bad magic number {magic:#010x}")));
    }
    let want = u32::from_be_bytes([b[b.len() - 4], b[b.len() - 3], b[b.len() - 2], b[b.len() - 1]]);
    let got = crc32(&body[5..]);
    if want != got {
        return Err(bad(format!("checksum mismatch (stored {want:08x}, computed {got:08x})")));
    }
    let version = d.byte("version").map_err(|e| bad(e.0))?;
    if version != TOMBSTONES_V1 {
        return Err(bad(format!("unsupported version {version}")));
    }
    let mut out = Vec::new();
    while d.remaining() > 0 {
        let series_ref = d.uvarint("series ref").map_err(|e| bad(e.0))?;
        let min_time = d.varint("min time").map_err(|e| bad(e.0))?;
        let max_time = d.varint("max time").map_err(|e| bad(e.0))?;
        out.push(Tombstone { series_ref, min_time, max_time });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_matches_prometheus_bytes() {
        // What promtool writes for a block without deletions.
        assert_eq!(encode_tombstones(&[]), [0x01, 0x30, 0xba, 0x30, 0x01, 0, 0, 0, 0]);
    }

    #[test]
    fn round_trip_and_corruption() {
        let stones = vec![
            Tombstone { series_ref: 2, min_time: -5, max_time: 100 },
            Tombstone { series_ref: 9, min_time: 1 << 40, max_time: i64::MAX },
        ];
        let b = encode_tombstones(&stones);
        assert_eq!(decode_tombstones("x", &b).unwrap(), stones);
        for cut in 0..b.len() {
            assert!(decode_tombstones("x", &b[..cut]).is_err(), "cut {cut}");
        }
        let mut flipped = b.clone();
        flipped[7] ^= 1;
        assert!(decode_tombstones("x", &flipped).unwrap_err().to_string().contains("checksum"));
    }
}
