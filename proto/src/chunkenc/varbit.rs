//! Prometheus's "varbit" integers, the building block of the histogram chunk encodings.
//!
//! A prefix of up to eight 1 bits closed by a 0 bit (the closing bit is left out after eight
//! ones) says how many value bits follow: `0` is the value 0, then 3, 6, 9, 12, 18, 25, 56 and
//! 64 bits. Signed values use the same asymmetric ranges as the XOR timestamp encoding
//! (`-(2^(n-1)-1) ..= 2^(n-1)`), unsigned ones `0 ..= 2^n-1`.

use super::bstream::{BitReader, BitWriter, Eof};

/// Value bits after a prefix of `ones` 1 bits (index = number of leading ones).
const WIDTHS: [u32; 9] = [0, 3, 6, 9, 12, 18, 25, 56, 64];

/// Whether `x` fits the signed `nbits` bucket: `-(2^(n-1) - 1) ..= 2^(n-1)`.
#[inline]
fn fits_signed(x: i64, nbits: u32) -> bool {
    let half = 1i64 << (nbits - 1);
    -(half - 1) <= x && x <= half
}

/// Writes a signed varbit integer exactly as Prometheus's `putVarbitInt`.
#[inline]
pub(crate) fn put_varbit_int(w: &mut BitWriter, val: i64) {
    if val == 0 {
        w.write_bit(false);
        return;
    }
    for (ones, &width) in WIDTHS.iter().enumerate().skip(1).take(7) {
        if fits_signed(val, width) {
            // `ones` 1 bits, a 0 bit, then the value bits: one call.
            let prefix = ((1u64 << ones) - 1) << 1;
            let bits = val as u64 & ((1u64 << width) - 1);
            let n = ones as u32 + 1 + width;
            w.write_bits((prefix << width) | bits, n as u8);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(val as u64, 64);
}

/// Writes an unsigned varbit integer exactly as Prometheus's `putVarbitUint`.
#[inline]
pub(crate) fn put_varbit_uint(w: &mut BitWriter, val: u64) {
    if val == 0 {
        w.write_bit(false);
        return;
    }
    let used = 64 - val.leading_zeros();
    for (ones, &width) in WIDTHS.iter().enumerate().skip(1).take(7) {
        if used <= width {
            let prefix = ((1u64 << ones) - 1) << 1;
            let n = ones as u32 + 1 + width;
            w.write_bits((prefix << width) | val, n as u8);
            return;
        }
    }
    w.write_bits(0xff, 8);
    w.write_bits(val, 64);
}

/// Reads the prefix and returns the number of value bits that follow.
#[inline]
fn read_width(r: &mut BitReader<'_>) -> Result<u32, Eof> {
    let peek = r.peek_bits(8) as u8;
    let avail = r.available();
    let ones = peek.leading_ones();
    // Eight ones have no closing 0 bit.
    let prefix_len = if ones == 8 { 8 } else { ones + 1 };
    if prefix_len > avail {
        return Err(Eof);
    }
    r.skip(prefix_len);
    Ok(WIDTHS[ones as usize])
}

/// Reads a signed varbit integer written by [`put_varbit_int`].
#[inline]
pub(crate) fn read_varbit_int(r: &mut BitReader<'_>) -> Result<i64, Eof> {
    let width = read_width(r)?;
    match width {
        0 => Ok(0),
        64 => Ok(r.read_bits(64)? as i64),
        _ => {
            let mut bits = r.read_bits(width)?;
            if bits > 1 << (width - 1) {
                bits = bits.wrapping_sub(1 << width);
            }
            Ok(bits as i64)
        }
    }
}

/// Reads an unsigned varbit integer written by [`put_varbit_uint`].
#[inline]
pub(crate) fn read_varbit_uint(r: &mut BitReader<'_>) -> Result<u64, Eof> {
    let width = read_width(r)?;
    if width == 0 { Ok(0) } else { r.read_bits(width) }
}

/// Writes `new` Gorilla-XORed against `prev`, updating the leading/trailing zero window (0xff
/// leading means "no window yet"), exactly as Prometheus's `xorWrite`.
#[inline]
pub(crate) fn xor_write(w: &mut BitWriter, new: f64, prev: f64, leading: &mut u8, trailing: &mut u8) {
    let delta = new.to_bits() ^ prev.to_bits();
    if delta == 0 {
        w.write_bit(false);
        return;
    }
    let new_leading = (delta.leading_zeros() as u8).min(31);
    let new_trailing = delta.trailing_zeros() as u8;
    if *leading != 0xff && new_leading >= *leading && new_trailing >= *trailing {
        w.write_bits(0b10, 2);
        w.write_bits(delta >> *trailing, 64 - *leading - *trailing);
        return;
    }
    *leading = new_leading;
    *trailing = new_trailing;
    let sigbits = 64 - new_leading - new_trailing;
    // 64 significant bits are written as 0 (a zero delta never gets here).
    w.write_bits((0b11 << 11) | (u64::from(new_leading) << 6) | u64::from(sigbits & 0x3f), 13);
    w.write_bits(delta >> new_trailing, sigbits);
}

/// Reads a value written by [`xor_write`], updating `value` and the window in place.
#[inline]
pub(crate) fn xor_read(
    r: &mut BitReader<'_>,
    value: &mut u64,
    leading: &mut u8,
    trailing: &mut u8,
) -> Result<(), Eof> {
    if !r.read_bit()? {
        return Ok(());
    }
    if r.read_bit()? {
        let header = r.read_bits(11)? as u32;
        let lead = header >> 6;
        let mut sig = header & 0x3f;
        if sig == 0 {
            sig = 64;
        }
        if lead + sig > 64 {
            return Err(Eof);
        }
        *leading = lead as u8;
        *trailing = (64 - lead - sig) as u8;
    }
    let lead = u32::from(*leading);
    let trail = u32::from(*trailing);
    if lead + trail > 64 {
        return Err(Eof);
    }
    let sig = 64 - lead - trail;
    let bits = r.read_bits(sig)?;
    *value ^= bits.checked_shl(trail).unwrap_or(0);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The bit-by-bit encoder of Prometheus's `putVarbitInt`, to pin the fused writes above.
    fn reference_int(w: &mut BitWriter, val: i64) {
        let ranges: [(u64, u8, u32); 7] = [
            (0b10, 2, 3),
            (0b110, 3, 6),
            (0b1110, 4, 9),
            (0b11110, 5, 12),
            (0b111110, 6, 18),
            (0b1111110, 7, 25),
            (0b11111110, 8, 56),
        ];
        if val == 0 {
            w.write_bit(false);
            return;
        }
        for (prefix, plen, n) in ranges {
            if fits_signed(val, n) {
                w.write_bits(prefix, plen);
                w.write_bits(val as u64, n as u8);
                return;
            }
        }
        w.write_bits(0b11111111, 8);
        w.write_bits(val as u64, 64);
    }

    fn reference_uint(w: &mut BitWriter, val: u64) {
        let ranges: [(u64, u8, u32); 7] = [
            (0b10, 2, 3),
            (0b110, 3, 6),
            (0b1110, 4, 9),
            (0b11110, 5, 12),
            (0b111110, 6, 18),
            (0b1111110, 7, 25),
            (0b11111110, 8, 56),
        ];
        if val == 0 {
            w.write_bit(false);
            return;
        }
        for (prefix, plen, n) in ranges {
            if val.leading_zeros() >= 64 - n {
                w.write_bits(prefix, plen);
                w.write_bits(val, n as u8);
                return;
            }
        }
        w.write_bits(0b11111111, 8);
        w.write_bits(val, 64);
    }

    fn interesting_ints() -> Vec<i64> {
        let mut v = vec![0, 1, -1, i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1];
        for n in [3u32, 6, 9, 12, 18, 25, 56] {
            let half = 1i64 << (n - 1);
            v.extend([half, half + 1, half - 1, -(half - 1), -half, -half - 1]);
        }
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v.push((s as i64) >> (s % 64));
        }
        v
    }

    #[test]
    fn ints_match_reference_and_round_trip() {
        let vals = interesting_ints();
        let (mut a, mut b) = (BitWriter::new(), BitWriter::new());
        for &v in &vals {
            put_varbit_int(&mut a, v);
            reference_int(&mut b, v);
        }
        assert_eq!(a.bytes(), b.bytes());
        let bytes = a.into_bytes();
        let mut r = BitReader::new(&bytes);
        for &v in &vals {
            assert_eq!(read_varbit_int(&mut r).unwrap(), v);
        }
    }

    #[test]
    fn uints_match_reference_and_round_trip() {
        let vals: Vec<u64> =
            interesting_ints().into_iter().map(|v| v as u64).chain([7, 8, 63, 64, 511, 512]).collect();
        let (mut a, mut b) = (BitWriter::new(), BitWriter::new());
        for &v in &vals {
            put_varbit_uint(&mut a, v);
            reference_uint(&mut b, v);
        }
        assert_eq!(a.bytes(), b.bytes());
        let bytes = a.into_bytes();
        let mut r = BitReader::new(&bytes);
        for &v in &vals {
            assert_eq!(read_varbit_uint(&mut r).unwrap(), v);
        }
    }

    #[test]
    fn truncated_varbit_is_eof() {
        let mut w = BitWriter::new();
        put_varbit_int(&mut w, 1 << 40);
        let bytes = w.into_bytes();
        // 64 bits in all: 8 prefix bits and 56 value bits.
        assert_eq!(bytes.len(), 8);
        for cut in 0..8 {
            assert_eq!(read_varbit_int(&mut BitReader::new(&bytes[..cut])), Err(Eof));
        }
        let mut w = BitWriter::new();
        put_varbit_uint(&mut w, 1 << 20);
        let bytes = w.into_bytes();
        for cut in 0..bytes.len() {
            assert_eq!(read_varbit_uint(&mut BitReader::new(&bytes[..cut])), Err(Eof));
        }
        // A lone 0xff byte is a complete 8-one prefix with no value bits.
        assert_eq!(read_varbit_uint(&mut BitReader::new(&[0xff])), Err(Eof));
    }

    #[test]
    fn xor_values_round_trip() {
        let vals = [
            1.0,
            1.0,
            2.5,
            -3.0,
            f64::NAN,
            0.0,
            1e300,
            1.0000001,
            f64::from_bits(1),
            f64::from_bits(u64::MAX),
        ];
        let mut w = BitWriter::new();
        let (mut lead, mut trail, mut prev) = (0xffu8, 0u8, 0.0f64);
        for &v in &vals {
            xor_write(&mut w, v, prev, &mut lead, &mut trail);
            prev = v;
        }
        let bytes = w.into_bytes();
        let mut r = BitReader::new(&bytes);
        let (mut lead, mut trail, mut cur) = (0u8, 0u8, 0u64);
        for &v in &vals {
            xor_read(&mut r, &mut cur, &mut lead, &mut trail).unwrap();
            assert_eq!(cur, v.to_bits());
        }
    }
}
