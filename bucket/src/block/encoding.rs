//! Byte-level encoding shared by the index, chunk and tombstone files: big-endian integers,
//! Go-style varints, length-prefixed strings and CRC32 (Castagnoli) as Prometheus writes them.

use std::fmt;

/// Why a decode failed, without context; callers wrap it with block and file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) type DResult<T> = Result<T, DecodeError>;

pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Appends encoded values to a byte vector.
#[derive(Debug, Default)]
pub(crate) struct Encbuf {
    pub(crate) b: Vec<u8>,
}

impl Encbuf {
    pub(crate) fn put_byte(&mut self, x: u8) {
        self.b.push(x);
    }
    pub(crate) fn put_be32(&mut self, x: u32) {
        self.b.extend_from_slice(&x.to_be_bytes());
    }
    pub(crate) fn put_be64(&mut self, x: u64) {
        self.b.extend_from_slice(&x.to_be_bytes());
    }
    pub(crate) fn put_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.b.push((x as u8) | 0x80);
            x >>= 7;
        }
        self.b.push(x as u8);
    }
    pub(crate) fn put_varint(&mut self, x: i64) {
        self.put_uvarint(((x << 1) ^ (x >> 63)) as u64);
    }
    pub(crate) fn put_uvarint_str(&mut self, s: &str) {
        self.put_uvarint(s.len() as u64);
        self.b.extend_from_slice(s.as_bytes());
    }
    pub(crate) fn put_crc32_of(&mut self, from: usize) {
        let h = crc32(&self.b[from..]);
        self.put_be32(h);
    }
    pub(crate) fn len(&self) -> usize {
        self.b.len()
    }
}

/// Reads encoded values from a byte slice, failing (never panicking) at its end.
#[derive(Debug, Clone)]
pub(crate) struct Decbuf<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Decbuf<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Self { b, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> DResult<&'a [u8]> {
        if self.remaining() < n {
            return Err(DecodeError(format!(
                "unexpected end of data reading {what} at offset {} ({n} bytes wanted, {} left)",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn byte(&mut self, what: &str) -> DResult<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn be32(&mut self, what: &str) -> DResult<u32> {
        let s = self.take(4, what)?;
        Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub(crate) fn be64(&mut self, what: &str) -> DResult<u64> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_be_bytes(a))
    }

    pub(crate) fn uvarint(&mut self, what: &str) -> DResult<u64> {
        let mut x = 0u64;
        let mut shift = 0u32;
        for i in 0..10 {
            let b = self.byte(what)?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    break;
                }
                return Ok(x | (u64::from(b) << shift));
            }
            x |= u64::from(b & 0x7f) << shift;
            shift += 7;
        }
        Err(DecodeError(format!("varint overflow reading {what} at offset {}", self.pos)))
    }

    pub(crate) fn uvarint32(&mut self, what: &str) -> DResult<u32> {
        let v = self.uvarint(what)?;
        u32::try_from(v).map_err(|_| DecodeError(format!("{what} {v} does not fit 32 bits")))
    }

    pub(crate) fn varint(&mut self, what: &str) -> DResult<i64> {
        let ux = self.uvarint(what)?;
        Ok(((ux >> 1) as i64) ^ -((ux & 1) as i64))
    }

    pub(crate) fn uvarint_bytes(&mut self, what: &str) -> DResult<&'a [u8]> {
        let n = self.uvarint(what)?;
        let n = usize::try_from(n).map_err(|_| DecodeError(format!("{what}: length {n} too large")))?;
        self.take(n, what)
    }

    pub(crate) fn uvarint_str(&mut self, what: &str) -> DResult<&'a str> {
        let b = self.uvarint_bytes(what)?;
        std::str::from_utf8(b).map_err(|_| DecodeError(format!("{what} is not valid UTF-8")))
    }

    pub(crate) fn bytes(&mut self, n: usize, what: &str) -> DResult<&'a [u8]> {
        self.take(n, what)
    }
}

/// Checks a section laid out as `len(4) | content(len) | crc32(4)` at the start of `b` and returns
/// the content.
pub(crate) fn checked_section<'a>(b: &'a [u8], what: &str) -> DResult<&'a [u8]> {
    let mut d = Decbuf::new(b);
    let len = d.be32(what)? as usize;
    let content = d.bytes(len, what)?;
    let want = d.be32(what)?;
    let got = crc32(content);
    if want != got {
        return Err(DecodeError(format!(
            "{what}: checksum mismatch (stored {want:08x}, computed {got:08x})"
        )));
    }
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_truncation_errors() {
        let mut e = Encbuf::default();
        for x in [0i64, 1, -1, 63, -64, 1 << 40, i64::MIN, i64::MAX] {
            e.put_varint(x);
        }
        e.put_uvarint(u64::MAX);
        e.put_uvarint_str("héllo");
        let mut d = Decbuf::new(&e.b);
        for x in [0i64, 1, -1, 63, -64, 1 << 40, i64::MIN, i64::MAX] {
            assert_eq!(d.varint("x").unwrap(), x);
        }
        assert_eq!(d.uvarint("x").unwrap(), u64::MAX);
        assert_eq!(d.uvarint_str("s").unwrap(), "héllo");
        assert!(d.byte("end").is_err());
        let overflow = [0xffu8; 11];
        assert!(Decbuf::new(&overflow).uvarint("x").is_err());
    }

    #[test]
    fn section_checksum_is_verified() {
        let mut e = Encbuf::default();
        e.put_be32(3);
        e.b.extend_from_slice(b"abc");
        e.put_crc32_of(4);
        assert_eq!(checked_section(&e.b, "t").unwrap(), b"abc");
        e.b[5] = b'x';
        assert!(checked_section(&e.b, "t").unwrap_err().0.contains("checksum"));
        assert!(checked_section(&e.b[..6], "t").is_err());
    }
}
