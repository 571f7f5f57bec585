use std::fmt;

use crate::error::{Error, Result};

/// The label that holds a series' metric name.
pub const METRIC_NAME: &str = "__name__";

/// One label pair.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    pub name: String,
    pub value: String,
}

impl Label {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

/// A series' identity: label pairs sorted by name, names unique, values non-empty.
///
/// Sorted order is what the TSDB index, StoreAPI and remote write all require, so it is an
/// invariant of the type: every constructor sorts or checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Label>);

impl Labels {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// Builds a label set from pairs in any order; empty values are dropped as Prometheus does.
    /// Fails on duplicate or invalid names.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Result<Self> {
        let mut b = LabelsBuilder::default();
        for (n, v) in pairs {
            b.push(n, v);
        }
        b.build()
    }

    /// Accepts labels that must already be sorted and unique (as read from an index or the wire),
    /// failing instead of repairing them.
    pub fn from_sorted(labels: Vec<Label>) -> Result<Self> {
        for w in labels.windows(2) {
            if w[0].name >= w[1].name {
                return Err(if w[0].name == w[1].name {
                    Error::DuplicateLabel { name: w[1].name.clone() }
                } else {
                    Error::UnsortedLabels { prev: w[0].name.clone(), next: w[1].name.clone() }
                });
            }
        }
        Ok(Self(labels))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.binary_search_by(|l| l.name.as_str().cmp(name)).ok().map(|i| self.0[i].value.as_str())
    }

    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn as_slice(&self) -> &[Label] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<Label> {
        self.0
    }

    /// A copy without the labels named in `names`.
    pub fn without(&self, names: &[String]) -> Labels {
        if !self.0.iter().any(|l| names.contains(&l.name)) {
            return self.clone();
        }
        Labels(self.0.iter().filter(|l| !names.contains(&l.name)).cloned().collect())
    }

    /// Returns a copy with `other`'s labels added, keeping this set's value where both have a
    /// name (how external labels are attached in Thanos: series labels win).
    pub fn merged_with(&self, other: &Labels) -> Labels {
        let mut out = Vec::with_capacity(self.len() + other.len());
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        loop {
            match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.name.cmp(&y.name) {
                    std::cmp::Ordering::Less => out.push(a.next().cloned()),
                    std::cmp::Ordering::Greater => out.push(b.next().cloned()),
                    std::cmp::Ordering::Equal => {
                        out.push(a.next().cloned());
                        b.next();
                    }
                },
                (Some(_), None) => out.push(a.next().cloned()),
                (None, Some(_)) => out.push(b.next().cloned()),
                (None, None) => break,
            }
        }
        Labels(out.into_iter().flatten().collect())
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Formats as Prometheus does: `{__name__="up", job="x"}` with Go-style quoting of values.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}=", l.name)?;
            write_go_quoted(f, &l.value)?;
        }
        f.write_str("}")
    }
}

/// Writes `s` quoted as Go's `strconv.Quote` does, which is what promtool prints.
pub(crate) fn write_go_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{7}' => f.write_str("\\a")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            '\u{b}' => f.write_str("\\v")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Whether `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub(crate) fn is_valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Collects labels in any order and validates them once.
#[derive(Debug, Default, Clone)]
pub struct LabelsBuilder {
    labels: Vec<Label>,
}

impl LabelsBuilder {
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.labels.push(Label::new(name, value));
        self
    }

    /// Sets `name` to `value`, replacing an earlier value; an empty value removes the label.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.labels.retain(|l| l.name != name);
        self.labels.push(Label::new(name, value));
        self
    }

    pub fn build(mut self) -> Result<Labels> {
        self.labels.retain(|l| !l.value.is_empty());
        self.labels.sort();
        for l in &self.labels {
            if !is_valid_label_name(&l.name) {
                return Err(Error::InvalidLabelName { name: l.name.clone() });
            }
        }
        Labels::from_sorted(self.labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_sorted_and_rejects_duplicates() {
        let l = Labels::from_pairs([("job", "a"), ("__name__", "up"), ("empty", "")]).unwrap();
        assert_eq!(l.to_string(), r#"{__name__="up", job="a"}"#);
        assert_eq!(l.metric_name(), Some("up"));
        assert!(matches!(Labels::from_pairs([("a", "1"), ("a", "2")]), Err(Error::DuplicateLabel { .. })));
        assert!(matches!(Labels::from_pairs([("1a", "1")]), Err(Error::InvalidLabelName { .. })));
    }

    #[test]
    fn quotes_like_go() {
        let l = Labels::from_pairs([("a", "x\"y\\z\n\u{1}é")]).unwrap();
        assert_eq!(l.to_string(), "{a=\"x\\\"y\\\\z\\n\\x01é\"}");
    }

    #[test]
    fn merge_keeps_own_values() {
        let a = Labels::from_pairs([("a", "1"), ("c", "3")]).unwrap();
        let b = Labels::from_pairs([("a", "x"), ("b", "2")]).unwrap();
        assert_eq!(a.merged_with(&b).to_string(), r#"{a="1", b="2", c="3"}"#);
    }
}
