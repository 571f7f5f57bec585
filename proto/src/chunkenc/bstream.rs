//! The bit streams Prometheus's chunk encodings are written in: most significant bit first.

/// Appends bits to a byte buffer, most significant bit first.
#[derive(Debug, Clone, Default)]
pub struct BitWriter {
    bytes: Vec<u8>,
    /// Bits still free in the last byte of `bytes` (0 when it is full or there is none).
    free: u8,
}

impl BitWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Continues a stream whose last byte has `free` unused low bits.
    pub fn from_parts(bytes: Vec<u8>, free: u8) -> Self {
        Self { bytes, free }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn free_bits(&self) -> u8 {
        self.free
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn bytes_mut(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    #[inline]
    pub fn write_bit(&mut self, bit: bool) {
        if self.free == 0 {
            self.bytes.push(0);
            self.free = 8;
        }
        if bit && let Some(last) = self.bytes.last_mut() {
            *last |= 1 << (self.free - 1);
        }
        self.free -= 1;
    }

    #[inline]
    pub fn write_byte(&mut self, byte: u8) {
        self.write_bits(u64::from(byte), 8);
    }

    /// Writes the low `n` bits of `value` (n <= 64).
    #[inline]
    pub fn write_bits(&mut self, value: u64, mut n: u8) {
        debug_assert!(n <= 64);
        while n > 0 {
            if self.free == 0 {
                self.bytes.push(0);
                self.free = 8;
            }
            let take = n.min(self.free);
            let chunk = ((value >> (n - take)) & ((1u64 << take) - 1)) as u8;
            if let Some(last) = self.bytes.last_mut() {
                *last |= chunk << (self.free - take);
            }
            self.free -= take;
            n -= take;
        }
    }

    pub fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.write_byte((x as u8) | 0x80);
            x >>= 7;
        }
        self.write_byte(x as u8);
    }

    pub fn write_varint(&mut self, x: i64) {
        self.write_uvarint(((x << 1) ^ (x >> 63)) as u64);
    }
}

/// Error raised when a bit stream ends early; callers add which chunk and field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eof;

/// Reads a most-significant-bit-first stream through a 64-bit window, the hot loop of every query.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte of `data` not yet loaded into `buf`.
    pos: usize,
    /// Loaded bits, left-aligned; bits below `valid` are either zero or the next bits of the stream.
    buf: u64,
    valid: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0, buf: 0, valid: 0 }
    }

    #[inline]
    fn refill(&mut self) {
        if let Some(word) = self.data.get(self.pos..self.pos + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            // The partial byte OR-ed in below `valid` is the same data the next refill loads again.
            self.buf |= u64::from_be_bytes(w) >> self.valid;
            let added = (63 - self.valid) >> 3;
            self.pos += added as usize;
            self.valid += added << 3;
        } else {
            while self.valid <= 56 {
                let Some(&b) = self.data.get(self.pos) else { break };
                self.buf |= u64::from(b) << (56 - self.valid);
                self.pos += 1;
                self.valid += 8;
            }
        }
    }

    #[inline]
    pub fn read_bit(&mut self) -> Result<bool, Eof> {
        if self.valid == 0 {
            self.refill();
            if self.valid == 0 {
                return Err(Eof);
            }
        }
        let bit = self.buf >> 63 != 0;
        self.buf <<= 1;
        self.valid -= 1;
        Ok(bit)
    }

    /// Reads `n` bits (n <= 64) as the low bits of the result.
    #[inline]
    pub fn read_bits(&mut self, n: u32) -> Result<u64, Eof> {
        if n > 56 {
            let hi = self.read_bits(n - 32)?;
            let lo = self.read_bits(32)?;
            return Ok((hi << 32) | lo);
        }
        if n == 0 {
            return Ok(0);
        }
        if self.valid < n {
            self.refill();
            if self.valid < n {
                return Err(Eof);
            }
        }
        let v = self.buf >> (64 - n);
        self.buf <<= n;
        self.valid -= n;
        Ok(v)
    }

    /// Peeks up to `n` (<= 56) bits without consuming them; missing bits at the end read as 0.
    #[inline]
    pub fn peek_bits(&mut self, n: u32) -> u64 {
        if self.valid < n {
            self.refill();
        }
        self.buf >> (64 - n)
    }

    /// Loads more bits when fewer than `n` (<= 57) are buffered; near the end of the stream
    /// fewer may remain.
    #[inline(always)]
    pub fn fill_to(&mut self, n: u32) {
        if self.valid < n {
            self.refill();
        }
    }

    /// The buffered bits, left-aligned: the next bit of the stream is the top bit. Only the top
    /// [`Self::available`] bits are meaningful.
    #[inline(always)]
    pub fn buffer(&self) -> u64 {
        self.buf
    }

    /// Bytes of the input not yet loaded into the buffer.
    #[inline(always)]
    pub fn unread_bytes(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Bits that can still be read.
    #[inline]
    pub fn available(&self) -> u32 {
        self.valid
    }

    /// Consumes `n` bits already checked with [`Self::peek_bits`] and [`Self::available`].
    #[inline]
    pub fn skip(&mut self, n: u32) {
        self.buf <<= n;
        self.valid -= n;
    }

    #[inline]
    pub fn read_byte(&mut self) -> Result<u8, Eof> {
        Ok(self.read_bits(8)? as u8)
    }

    pub fn read_uvarint(&mut self) -> Result<u64, Eof> {
        let mut x = 0u64;
        let mut shift = 0u32;
        for i in 0..10 {
            let b = self.read_byte()?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(Eof);
                }
                return Ok(x | (u64::from(b) << shift));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
        Err(Eof)
    }

    pub fn read_varint(&mut self) -> Result<i64, Eof> {
        let ux = self.read_uvarint()?;
        Ok(((ux >> 1) as i64) ^ -((ux & 1) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_mixed_widths() {
        let mut w = BitWriter::new();
        let items: Vec<(u64, u8)> =
            (0..500u64).map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15), (i % 64 + 1) as u8)).collect();
        for &(v, n) in &items {
            w.write_bits(v, n);
            w.write_bit(n % 2 == 0);
        }
        w.write_varint(-12345);
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        for &(v, n) in &items {
            let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            assert_eq!(r.read_bits(u32::from(n)).unwrap(), v & mask);
            assert_eq!(r.read_bit().unwrap(), n % 2 == 0);
        }
        assert_eq!(r.read_varint().unwrap(), -12345);
    }

    #[test]
    fn end_of_stream_is_an_error() {
        let mut r = BitReader::new(&[0xff]);
        assert_eq!(r.read_bits(8).unwrap(), 0xff);
        assert_eq!(r.read_bit(), Err(Eof));
        let mut r = BitReader::new(&[0xff, 0x01]);
        assert_eq!(r.read_bits(17), Err(Eof));
    }
}
