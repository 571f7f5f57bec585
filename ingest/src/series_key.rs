//! A label set packed into one allocation, as the head keys its series: names and values
//! length-prefixed back to back. One allocation per series instead of one per string (what a
//! `Labels` holds), and hashing or comparing it is one pass over contiguous bytes.

use quiver_proto::{Label, Labels};

/// Appends one label to a packed set (the WAL writes label strings the same way).
pub(crate) fn put_pair(buf: &mut Vec<u8>, name: &str, value: &str) {
    for s in [name, value] {
        put_uvarint(buf, s.len() as u64);
        buf.extend_from_slice(s.as_bytes());
    }
}

/// The label set `pack` made. Keys only come from `pack`, so a key that does not read back
/// (which cannot happen) gives the empty set rather than a panic.
pub(crate) fn unpack(key: &[u8]) -> Labels {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < key.len() {
        let (Some(name), Some(value)) = (read_str(key, &mut pos), read_str(key, &mut pos)) else {
            return Labels::empty();
        };
        out.push(Label::new(name, value));
    }
    Labels::from_sorted(out).unwrap_or_default()
}

pub(crate) fn put_uvarint(b: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        b.push((x as u8) | 0x80);
        x >>= 7;
    }
    b.push(x as u8);
}

fn read_str<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a str> {
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let byte = *b.get(*pos)?;
        *pos += 1;
        len |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte < 0x80 {
            break;
        }
        shift += 7;
    }
    let s = b.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    std::str::from_utf8(s).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks() {
        let long = "x".repeat(300);
        let labels =
            Labels::from_pairs([("__name__", "up"), ("empty_ok", "é"), ("job", long.as_str())]).unwrap();
        let mut buf = Vec::new();
        for l in &labels {
            put_pair(&mut buf, &l.name, &l.value);
        }
        assert_eq!(unpack(&buf), labels);
        assert!(unpack(&[]).is_empty());
    }
}
