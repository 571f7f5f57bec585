//! Prometheus's XOR chunk (Gorilla compression with millisecond timestamps), bit for bit.
//!
//! Layout: a big-endian `u16` sample count, then a bit stream. The first sample is a varint
//! timestamp and 64 raw value bits; the second a uvarint time delta and an XOR-encoded value;
//! later ones a delta-of-delta timestamp (`0`, `10`+14 bits, `110`+17, `1110`+20, `1111`+64)
//! and an XOR-encoded value (`0` same value; `10` reuse the previous leading/trailing zero
//! window; `11` + 5 bits leading zeros + 6 bits significant bits + the bits).

use super::bstream::{BitReader, BitWriter, Eof};
use crate::error::{Error, Result};
use crate::sample::{STALE_NAN_BITS, Sample};

/// Builds an XOR chunk sample by sample.
#[derive(Debug, Clone)]
pub struct XorAppender {
    w: BitWriter,
    num: u16,
    t: i64,
    v: f64,
    t_delta: u64,
    leading: u8,
    trailing: u8,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    pub fn new() -> Self {
        let mut w = BitWriter::new();
        w.write_bits(0, 16);
        Self { w, num: 0, t: 0, v: 0.0, t_delta: 0, leading: 0xff, trailing: 0 }
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.num)
    }

    /// Size of the chunk so far in bytes.
    pub fn len_bytes(&self) -> usize {
        self.w.bytes().len()
    }

    pub fn bytes(&self) -> &[u8] {
        self.w.bytes()
    }

    /// Appends one sample. Timestamps must not go backwards: the encoding stores unsigned deltas.
    pub fn append(&mut self, t: i64, v: f64) -> Result<()> {
        if self.num == u16::MAX {
            return Err(Error::ChunkFull(usize::from(self.num)));
        }
        if self.num > 0 && t < self.t {
            return Err(Error::OutOfOrder { t, prev: self.t });
        }
        let mut t_delta = 0u64;
        match self.num {
            0 => {
                self.w.write_varint(t);
                self.w.write_bits(v.to_bits(), 64);
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                self.w.write_uvarint(t_delta);
                self.write_value(v);
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                if dod == 0 {
                    self.w.write_bit(false);
                } else if bit_range(dod, 14) {
                    self.w.write_bits(0b10, 2);
                    self.w.write_bits(dod as u64, 14);
                } else if bit_range(dod, 17) {
                    self.w.write_bits(0b110, 3);
                    self.w.write_bits(dod as u64, 17);
                } else if bit_range(dod, 20) {
                    self.w.write_bits(0b1110, 4);
                    self.w.write_bits(dod as u64, 20);
                } else {
                    self.w.write_bits(0b1111, 4);
                    self.w.write_bits(dod as u64, 64);
                }
                self.write_value(v);
            }
        }
        self.t = t;
        self.v = v;
        self.t_delta = t_delta;
        self.num += 1;
        let n = self.num.to_be_bytes();
        let b = self.w.bytes_mut();
        b[0] = n[0];
        b[1] = n[1];
        Ok(())
    }

    fn write_value(&mut self, v: f64) {
        let delta = v.to_bits() ^ self.v.to_bits();
        if delta == 0 {
            self.w.write_bit(false);
            return;
        }
        self.w.write_bit(true);
        let leading = (delta.leading_zeros() as u8).min(31);
        let trailing = delta.trailing_zeros() as u8;
        if self.leading != 0xff && leading >= self.leading && trailing >= self.trailing {
            self.w.write_bit(false);
            self.w.write_bits(delta >> self.trailing, 64 - self.leading - self.trailing);
            return;
        }
        self.leading = leading;
        self.trailing = trailing;
        self.w.write_bit(true);
        self.w.write_bits(u64::from(leading), 5);
        // 64 significant bits do not fit in 6 bits; they are written as 0, which cannot
        // otherwise occur (a zero delta takes the branch above).
        let sigbits = 64 - leading - trailing;
        self.w.write_bits(u64::from(sigbits), 6);
        self.w.write_bits(delta >> trailing, sigbits);
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes()
    }
}

/// Whether `x` fits the signed `nbits` bucket the way Prometheus's reader decodes it: the range is
/// `(-2^(n-1), 2^(n-1)]`, asymmetric because the reader maps the bit pattern `2^(n-1)` to positive.
fn bit_range(x: i64, nbits: u32) -> bool {
    -((1i64 << (nbits - 1)) - 1) <= x && x <= 1i64 << (nbits - 1)
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptChunk { encoding: "XOR", reason: reason.into() }
}

/// Number of samples an XOR chunk declares in its header.
pub fn xor_num_samples(chunk: &[u8]) -> Result<usize> {
    match chunk {
        [a, b, ..] => Ok(usize::from(u16::from_be_bytes([*a, *b]))),
        _ => Err(corrupt("shorter than its 2-byte header")),
    }
}

/// Iterates over the samples of an XOR chunk.
///
/// Use [`XorIter::next_sample`] in hot loops; it returns `Ok(None)` at the end and an error for a
/// stream that ends early or is otherwise inconsistent with its header.
#[derive(Debug, Clone)]
pub struct XorIter<'a> {
    r: BitReader<'a>,
    total: u16,
    read: u16,
    t: i64,
    v: u64,
    t_delta: u64,
    leading: u32,
    trailing: u32,
}

impl<'a> XorIter<'a> {
    pub fn new(chunk: &'a [u8]) -> Result<Self> {
        let total = xor_num_samples(chunk)? as u16;
        Ok(Self {
            r: BitReader::new(&chunk[2..]),
            total,
            read: 0,
            t: 0,
            v: 0,
            t_delta: 0,
            leading: 0,
            trailing: 0,
        })
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.total)
    }

    #[inline]
    pub fn next_sample(&mut self) -> Result<Option<Sample>> {
        if self.read == self.total {
            return Ok(None);
        }
        self.step()
            .map_err(|Eof| corrupt(format!("stream ends at sample {} of {}", self.read + 1, self.total)))?;
        self.read += 1;
        Ok(Some(Sample { t: self.t, v: f64::from_bits(self.v) }))
    }

    #[inline(always)]
    fn step(&mut self) -> Result<(), Eof> {
        match self.read {
            0 => {
                self.t = self.r.read_varint()?;
                self.v = self.r.read_bits(64)?;
                return Ok(());
            }
            1 => {
                self.t_delta = self.r.read_uvarint()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                return self.read_value();
            }
            _ => {}
        }
        // One refill per sample: with 57 bits buffered, every common case below reads straight
        // from the buffer. Regular scrapes give a zero delta-of-delta and often an unchanged
        // value: `0` and `0`.
        self.r.fill_to(57);
        let avail = self.r.available();
        let buf = self.r.buffer();
        let dod: i64 = if avail >= 1 && buf >> 63 == 0 {
            self.r.skip(1);
            0
        } else if avail >= 24 {
            let (prefix, sz) = match (!buf).leading_zeros() {
                1 => (2, 14),
                2 => (3, 17),
                3 => (4, 20),
                _ => (4, 64),
            };
            if sz == 64 {
                self.r.skip(4);
                self.r.read_bits(64)? as i64
            } else {
                let mut bits = (buf << prefix) >> (64 - sz);
                self.r.skip(prefix + sz);
                if bits > (1 << (sz - 1)) {
                    bits = bits.wrapping_sub(1 << sz);
                }
                bits as i64
            }
        } else {
            let (_, sz) = self.read_dod_prefix()?;
            match sz {
                0 => 0,
                64 => self.r.read_bits(64)? as i64,
                _ => {
                    let mut bits = self.r.read_bits(sz)?;
                    if bits > (1 << (sz - 1)) {
                        bits = bits.wrapping_sub(1 << sz);
                    }
                    bits as i64
                }
            }
        };
        self.t_delta = self.t_delta.wrapping_add(dod as u64);
        self.t = self.t.wrapping_add(self.t_delta as i64);
        self.read_value()
    }

    /// Slow path near the end of the stream: reads the prefix bit by bit.
    fn read_dod_prefix(&mut self) -> Result<(u32, u32), Eof> {
        let mut ones = 0;
        while ones < 4 && self.r.read_bit()? {
            ones += 1;
        }
        Ok((0, [0, 14, 17, 20, 64][ones]))
    }

    #[inline(always)]
    fn read_value(&mut self) -> Result<(), Eof> {
        let avail = self.r.available();
        let buf = self.r.buffer();
        if avail >= 13 {
            if buf >> 63 == 0 {
                self.r.skip(1);
                return Ok(());
            }
            if (buf >> 62) & 1 == 0 {
                self.r.skip(2);
            } else {
                self.r.skip(13);
                self.set_window(((buf >> 51) & 0x7ff) as u32)?;
            }
        } else {
            if !self.r.read_bit()? {
                return Ok(());
            }
            if self.r.read_bit()? {
                let header = self.r.read_bits(11)? as u32;
                self.set_window(header)?;
            }
        }
        let sig = 64 - self.leading - self.trailing;
        let bits = self.r.read_bits(sig)?;
        self.v ^= bits.checked_shl(self.trailing).unwrap_or(0);
        Ok(())
    }

    /// Takes a new leading-zeros / significant-bits window from its 11-bit header.
    #[inline(always)]
    fn set_window(&mut self, header: u32) -> Result<(), Eof> {
        self.leading = header >> 6;
        let mut sig = header & 0x3f;
        if sig == 0 {
            sig = 64;
        }
        if self.leading + sig > 64 {
            return Err(Eof);
        }
        self.trailing = 64 - self.leading - sig;
        Ok(())
    }
}

/// Zero bytes after the stream in the decoder's copy: a sample reads at most 145 bits past a
/// position that was inside the stream, plus the 8 bytes of one load.
const PAD: usize = 32;

/// Reads the 64 bits at bit position `pos` of `buf`; the low `pos % 8` of them are zero. Callers
/// keep `pos / 8 + 8 <= buf.len()` by checking `pos` against the stream length once per sample.
#[inline(always)]
fn peek(buf: &[u8], pos: usize) -> u64 {
    let b = pos >> 3;
    let mut w = [0u8; 8];
    w.copy_from_slice(&buf[b..b + 8]);
    u64::from_be_bytes(w) << (pos & 7)
}

/// Reads `n` (1..=64) bits at `pos`.
#[inline(always)]
fn read_at(buf: &[u8], pos: usize, n: u32) -> u64 {
    if n <= 56 {
        peek(buf, pos) >> (64 - n)
    } else {
        let hi = peek(buf, pos) >> 32;
        let lo = peek(buf, pos + 32) >> 32;
        ((hi << 32) | lo) >> (64 - n)
    }
}

/// Decodes a whole XOR chunk into timestamp and value vectors (appending to them). On error the
/// vectors are left as they were.
///
/// This is the hot path of every query, written for speed: the stream is copied into a
/// zero-padded buffer so that every read is one unaligned 8-byte load at a bit position, with
/// no per-bit bounds or refill bookkeeping; running past the end shows up as a position beyond
/// the stream, checked once per sample.
pub fn decode_xor_into(chunk: &[u8], ts: &mut Vec<i64>, vs: &mut Vec<f64>) -> Result<()> {
    with_padded(chunk, |buf, len, n| decode_stream(buf, len, n, ts, vs))
}

/// Decodes a whole XOR chunk into `(timestamp, value)` pairs (appending to them), as range
/// functions read samples; returns whether any of them is a staleness marker, so that callers
/// need no pass of their own to find out. On error the vector is left as it was.
pub fn decode_xor_pairs_into(chunk: &[u8], out: &mut Vec<(i64, f64)>) -> Result<bool> {
    with_padded(chunk, |buf, len, n| {
        let start = out.len();
        // Reserved, then pushed: filling the space with zeros first would be one more pass.
        out.reserve(n);
        let mut sink = Pairs { out: &mut *out, stale: false };
        match decode_padded(buf, len * 8, n, &mut sink) {
            Ok(()) => Ok(sink.stale),
            Err(i) => {
                out.truncate(start);
                Err(corrupt(format!("stream ends at sample {} of {n}", i + 1)))
            }
        }
    })
}

/// Runs `decode(buf, stream_len, n)` over the chunk's stream copied into a zero-padded buffer.
fn with_padded<T>(chunk: &[u8], decode: impl FnOnce(&[u8], usize, usize) -> Result<T>) -> Result<T> {
    let n = xor_num_samples(chunk)?;
    let stream = &chunk[2..];
    // A per-thread scratch buffer: only the padding needs zeroing, and nothing is allocated per
    // chunk once it has grown to the largest chunk seen.
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    SCRATCH.with(|scratch| {
        let mut guard = scratch.try_borrow_mut();
        let mut own = Vec::new();
        let buf: &mut Vec<u8> = match guard.as_deref_mut() {
            Ok(b) => b,
            // Re-entered on this thread (not expected): use a buffer of our own.
            Err(_) => &mut own,
        };
        buf.clear();
        buf.extend_from_slice(stream);
        buf.resize(stream.len() + PAD, 0);
        decode(buf, stream.len(), n)
    })
}

/// Where decoded samples go, in order: a timestamp and value bits.
trait Sink {
    fn put(&mut self, t: i64, v: u64);
}

/// Timestamps and values appended to two columns (room reserved beforehand).
struct Columns<'a>(&'a mut Vec<i64>, &'a mut Vec<f64>);

impl Sink for Columns<'_> {
    #[inline(always)]
    fn put(&mut self, t: i64, v: u64) {
        self.0.push(t);
        self.1.push(f64::from_bits(v));
    }
}

/// `(timestamp, value)` pairs appended (room reserved beforehand), noting staleness markers.
struct Pairs<'a> {
    out: &'a mut Vec<(i64, f64)>,
    stale: bool,
}

impl Sink for Pairs<'_> {
    #[inline(always)]
    fn put(&mut self, t: i64, v: u64) {
        self.stale |= v == STALE_NAN_BITS;
        self.out.push((t, f64::from_bits(v)));
    }
}

fn decode_stream(
    buf: &[u8],
    stream_len: usize,
    n: usize,
    ts: &mut Vec<i64>,
    vs: &mut Vec<f64>,
) -> Result<()> {
    let end = stream_len * 8;
    let (t0, v0) = (ts.len(), vs.len());
    ts.reserve(n);
    vs.reserve(n);
    let mut sink = Columns(&mut *ts, &mut *vs);
    match decode_padded(buf, end, n, &mut sink) {
        Ok(()) => Ok(()),
        Err(i) => {
            ts.truncate(t0);
            vs.truncate(v0);
            Err(corrupt(format!("stream ends at sample {} of {n}", i + 1)))
        }
    }
}

/// Decodes `n` samples into `out` from a stream of `end` bits padded with zeros; on a stream
/// that ends early, returns the index of the sample that could not be read.
#[inline(always)]
fn decode_padded(buf: &[u8], end: usize, n: usize, out: &mut impl Sink) -> Result<(), usize> {
    if n == 0 {
        return Ok(());
    }
    // The first two samples use byte-wise varints; a bit reader over the real stream is simplest.
    let mut head = XorIter {
        r: BitReader::new(&buf[..end / 8]),
        total: n as u16,
        read: 0,
        t: 0,
        v: 0,
        t_delta: 0,
        leading: 0,
        trailing: 0,
    };
    for i in 0..n.min(2) {
        head.step().map_err(|Eof| i)?;
        head.read += 1;
        out.put(head.t, head.v);
    }
    let mut pos = end - head.r.available() as usize - 8 * head.r.unread_bytes();
    let (mut t, mut v, mut t_delta) = (head.t, head.v, head.t_delta);
    let (mut leading, mut trailing) = (head.leading, head.trailing);
    for i in 2..n {
        if pos > end {
            return Err(i - 1);
        }
        let mut w = peek(buf, pos);
        if w >> 63 != 0 {
            let (prefix, sz) = match (!w).leading_zeros() {
                1 => (2, 14),
                2 => (3, 17),
                3 => (4, 20),
                _ => (4, 64),
            };
            let mut bits = if sz == 64 { read_at(buf, pos + 4, 64) } else { (w << prefix) >> (64 - sz) };
            pos += (prefix + sz) as usize;
            if sz != 64 && bits > (1 << (sz - 1)) {
                bits = bits.wrapping_sub(1 << sz);
            }
            t_delta = t_delta.wrapping_add(bits);
            w = peek(buf, pos);
        } else {
            // A zero delta-of-delta took one bit; the value's control bits are already loaded.
            pos += 1;
            w <<= 1;
        }
        t = t.wrapping_add(t_delta as i64);

        if w >> 63 == 0 {
            pos += 1;
        } else {
            // `10` keeps the window, `11` brings a new one. Which of the two comes next is as
            // good as random for noisy gauges, so both are computed and one is selected
            // instead of branching on it.
            let new_window = (w >> 62) & 1 == 1;
            let header = ((w >> 51) & 0x7ff) as u32;
            let new_leading = header >> 6;
            let new_sig = ((header & 0x3f).wrapping_sub(1) & 0x3f) + 1;
            if new_window && new_leading + new_sig > 64 {
                return Err(i);
            }
            let new_trailing = 64u32.wrapping_sub(new_leading + new_sig);
            leading = if new_window { new_leading } else { leading };
            trailing = if new_window { new_trailing } else { trailing };
            pos += if new_window { 13 } else { 2 };
            let sig = 64 - leading - trailing;
            let bits = read_at(buf, pos, sig);
            pos += sig as usize;
            v ^= bits << trailing;
        }
        out.put(t, v);
    }
    if pos > end {
        return Err(n - 1);
    }
    Ok(())
}

/// Decodes a whole XOR chunk into samples.
pub fn decode_xor(chunk: &[u8]) -> Result<Vec<Sample>> {
    let mut it = XorIter::new(chunk)?;
    let mut out = Vec::with_capacity(it.num_samples());
    while let Some(s) = it.next_sample()? {
        out.push(s);
    }
    Ok(out)
}

/// Encodes samples into one XOR chunk.
pub fn encode_xor(samples: &[Sample]) -> Result<Vec<u8>> {
    let mut a = XorAppender::new();
    for s in samples {
        a.append(s.t, s.v)?;
    }
    Ok(a.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::STALE_NAN_BITS;

    fn samples() -> Vec<Sample> {
        let mut out = Vec::new();
        let mut t = 1_700_000_000_000i64;
        let mut v = 1.0f64;
        let jitter = [0i64, 0, 1, -1, 8192, -8191, 65536, -14_999, 524_288, 1 << 40, 15_000, 0];
        for i in 0..1000usize {
            t += 15_000 + jitter[i % jitter.len()];
            v = match i % 7 {
                0 => v,
                1 => v + 1.0,
                2 => v * 1.000_001,
                3 => -v,
                4 => f64::from_bits(STALE_NAN_BITS),
                5 => 0.0,
                _ => (i as f64).sqrt(),
            };
            out.push(Sample { t, v });
        }
        out
    }

    fn same(a: &[Sample], b: &[Sample]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.t == y.t && x.v.to_bits() == y.v.to_bits())
    }

    #[test]
    fn round_trips_bit_exact() {
        let s = samples();
        let bytes = encode_xor(&s).unwrap();
        assert!(same(&decode_xor(&bytes).unwrap(), &s));
    }

    /// The pair decoder gives what the column decoder gives, appends, and leaves its output as it
    /// was on a truncated chunk.
    #[test]
    fn pairs_decode_as_columns() {
        let s = samples();
        let bytes = encode_xor(&s).unwrap();
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        decode_xor_into(&bytes, &mut ts, &mut vs).unwrap();
        let mut pairs = vec![(1, 2.0)];
        assert!(decode_xor_pairs_into(&bytes, &mut pairs).unwrap(), "the samples hold staleness markers");
        assert_eq!(pairs.len(), ts.len() + 1);
        assert!(
            pairs[1..]
                .iter()
                .zip(ts.iter().zip(&vs))
                .all(|(p, (t, v))| p.0 == *t && p.1.to_bits() == v.to_bits())
        );
        for cut in [3, bytes.len() / 2, bytes.len() - 1] {
            assert!(decode_xor_pairs_into(&bytes[..cut], &mut pairs).is_err());
            assert_eq!(pairs.len(), ts.len() + 1);
        }
        // Without markers, whether the marker is first, second (decoded apart from the rest) or later.
        let fresh: Vec<Sample> = s.iter().filter(|x| x.v.to_bits() != STALE_NAN_BITS).cloned().collect();
        assert!(!decode_xor_pairs_into(&encode_xor(&fresh).unwrap(), &mut Vec::new()).unwrap());
        for at in [0, 1, 2, 500] {
            let mut one = fresh.clone();
            one[at].v = f64::from_bits(STALE_NAN_BITS);
            assert!(
                decode_xor_pairs_into(&encode_xor(&one).unwrap(), &mut Vec::new()).unwrap(),
                "marker at {at}"
            );
        }
    }

    /// A chunk produced by Prometheus 2.42's XOR appender for (1000,1.0) (2000,1.0) (3000,2.5)
    /// (3500,2.5) (10000,-1.0): pins the encoding byte for byte.
    #[test]
    fn matches_prometheus_bytes() {
        let s: Vec<Sample> = [(1000, 1.0), (2000, 1.0), (3000, 2.5), (3500, 2.5), (10000, -1.0)]
            .into_iter()
            .map(|(t, v)| Sample { t, v })
            .collect();
        let bytes = encode_xor(&s).unwrap();
        let expect = include_bytes!("testdata/xor_5.bin");
        assert_eq!(bytes.as_slice(), expect.as_slice());
        assert!(same(&decode_xor(expect).unwrap(), &s));
    }

    #[test]
    fn truncated_and_garbage_chunks_error_without_panic() {
        let bytes = encode_xor(&samples()).unwrap();
        for cut in 0..bytes.len().min(300) {
            let r = decode_xor(&bytes[..cut]);
            assert!(r.is_err(), "cut at {cut} decoded");
        }
        let mut state = 0x1234_5678_u64;
        for _ in 0..2000 {
            let len = (state % 64) as usize;
            let mut junk = Vec::with_capacity(len);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                junk.push(state as u8);
            }
            let _ = decode_xor(&junk);
        }
    }

    /// The fast batch decoder and the iterator agree on every input: valid chunks of all sizes
    /// (including ones larger than any scratch buffer seen so far), every truncation, and junk.
    #[test]
    fn batch_decoder_agrees_with_iterator() {
        let all = samples();
        let check = |bytes: &[u8]| {
            let (mut ts, mut vs) = (vec![7i64], vec![7.0f64]);
            let batch = decode_xor_into(bytes, &mut ts, &mut vs);
            let iter = decode_xor(bytes);
            match (&batch, &iter) {
                (Ok(()), Ok(want)) => {
                    assert_eq!(ts.len(), want.len() + 1);
                    for ((t, v), w) in ts[1..].iter().zip(&vs[1..]).zip(want) {
                        assert_eq!((*t, v.to_bits()), (w.t, w.v.to_bits()));
                    }
                }
                (Err(_), Err(_)) => {
                    assert_eq!((ts.as_slice(), vs.len()), (&[7i64][..], 1), "untouched on error")
                }
                _ => panic!("batch {batch:?} but iterator {:?} for {bytes:?}", iter.map(|s| s.len())),
            }
        };
        for n in [0, 1, 2, 3, 120, 1000] {
            let bytes = encode_xor(&all[..n]).unwrap();
            check(&bytes);
            for cut in 0..bytes.len() {
                check(&bytes[..cut]);
            }
        }
        let mut state = 0x9e37_79b9_u64;
        for _ in 0..5000 {
            let len = (state % 80) as usize;
            let mut junk = Vec::with_capacity(len);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                junk.push(state as u8);
            }
            check(&junk);
        }
    }

    #[test]
    fn rejects_out_of_order() {
        let mut a = XorAppender::new();
        a.append(10, 1.0).unwrap();
        assert!(matches!(a.append(9, 1.0), Err(Error::OutOfOrder { .. })));
    }
}
