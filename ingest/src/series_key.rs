//! A label set packed into one allocation, as the head keys its series: names and values
//! length-prefixed back to back. One allocation per series instead of one per string (what a
//! `Labels` holds), and hashing or comparing it is one pass over contiguous bytes.

use quiver_proto::{Label, Labels};

use crate::codec::{Reader, put_str};

/// Appends one label to a packed set (the WAL writes label strings the same way).
pub(crate) fn put_pair(buf: &mut Vec<u8>, name: &str, value: &str) {
    put_str(buf, name);
    put_str(buf, value);
}

/// The label set packed with [`put_pair`]. Keys only come from it, so a key that does not read
/// back (which cannot happen) gives the empty set rather than a panic.
pub(crate) fn unpack(key: &[u8]) -> Labels {
    let mut out = Vec::new();
    let mut r = Reader::new(key);
    while !r.done() {
        let (Some(name), Some(value)) = (r.str(), r.str()) else {
            return Labels::empty();
        };
        out.push(Label::new(name, value));
    }
    Labels::from_sorted(out).unwrap_or_default()
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
