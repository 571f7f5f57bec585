//! `label_replace` and `label_join`, with Prometheus's validation errors.
//!
//! Both are built once per call ([`LabelReplace::new`], [`LabelJoin::new`]) and applied to each
//! series' labels. Setting a label to the empty string removes it. Whether the output series keep
//! their metric name is the caller's business: with delayed name removal, a series whose
//! `__name__` is set by the function keeps it ([`LabelReplace::sets_metric_name`]). The caller
//! also fails the query when two output series end up with the same labels at the same step
//! ("vector cannot contain metrics with the same labelset").
//!
//! Regular expressions follow Go's RE2 syntax, fully anchored with `.` matching newlines
//! (`^(?s:<regex>)$`), with `\d`, `\w`, `\s` and `\b` meaning their ASCII versions as in Go.

use quiver_proto::{Label, Labels, METRIC_NAME};
use regex::Regex;

use crate::functions::FunctionError;

/// Prometheus 3 accepts any non-empty UTF-8 label name (`model.UTF8Validation`).
fn is_valid_label_name(name: &str) -> bool {
    !name.is_empty()
}

/// Returns `labels` with `name` set to `value` (removed when `value` is empty).
pub fn set_label(labels: &Labels, name: &str, value: &str) -> Labels {
    let mut out: Vec<Label> = Vec::with_capacity(labels.len() + 1);
    let mut inserted = value.is_empty();
    for l in labels {
        if !inserted && l.name.as_str() > name {
            out.push(Label::new(name, value));
            inserted = true;
        }
        if l.name != name {
            out.push(l.clone());
        }
    }
    if !inserted {
        out.push(Label::new(name, value));
    }
    Labels::from_sorted(out).unwrap_or_default()
}

/// A compiled `label_replace(v, dst, replacement, src, regex)`.
#[derive(Debug, Clone)]
pub struct LabelReplace {
    dst: String,
    replacement: String,
    src: String,
    regex: Regex,
}

impl LabelReplace {
    pub fn new(dst: &str, replacement: &str, src: &str, regex: &str) -> Result<Self, FunctionError> {
        let compiled = Regex::new(&format!("^(?s:{})$", go_compatible_pattern(regex)))
            .map_err(|_| FunctionError(format!("invalid regular expression in label_replace(): {regex}")))?;
        if !is_valid_label_name(dst) {
            return Err(FunctionError(format!("invalid destination label name in label_replace(): {dst}")));
        }
        Ok(LabelReplace {
            dst: dst.into(),
            replacement: replacement.into(),
            src: src.into(),
            regex: compiled,
        })
    }

    /// Whether the function writes `__name__`.
    pub fn sets_metric_name(&self) -> bool {
        self.dst == METRIC_NAME
    }

    /// The new labels when the regex matches the source label's value (empty if absent), with
    /// `$1`, `${1}`, `$name`, `${name}` expanded in the replacement; `None` when it does not
    /// match (the series keeps its labels).
    pub fn apply(&self, labels: &Labels) -> Option<Labels> {
        let src = labels.get(&self.src).unwrap_or("");
        let caps = self.regex.captures(src)?;
        let mut value = String::new();
        caps.expand(&self.replacement, &mut value);
        Some(set_label(labels, &self.dst, &value))
    }
}

/// A validated `label_join(v, dst, separator, src...)`.
#[derive(Debug, Clone)]
pub struct LabelJoin {
    dst: String,
    separator: String,
    srcs: Vec<String>,
}

impl LabelJoin {
    pub fn new(dst: &str, separator: &str, srcs: &[&str]) -> Result<Self, FunctionError> {
        if let Some(bad) = srcs.iter().find(|s| !is_valid_label_name(s)) {
            return Err(FunctionError(format!("invalid source label name in label_join(): {bad}")));
        }
        if !is_valid_label_name(dst) {
            return Err(FunctionError(format!("invalid destination label name in label_join(): {dst}")));
        }
        Ok(LabelJoin {
            dst: dst.into(),
            separator: separator.into(),
            srcs: srcs.iter().map(|s| s.to_string()).collect(),
        })
    }

    pub fn sets_metric_name(&self) -> bool {
        self.dst == METRIC_NAME
    }

    /// The labels with `dst` set to the source values (absent ones as empty strings) joined by
    /// the separator; an empty result removes `dst`.
    pub fn apply(&self, labels: &Labels) -> Labels {
        let values: Vec<&str> = self.srcs.iter().map(|s| labels.get(s).unwrap_or("")).collect();
        set_label(labels, &self.dst, &values.join(&self.separator))
    }
}

/// Rewrites a Go (RE2) pattern for Rust's `regex` so that the Perl classes `\d`, `\w`, `\s`
/// (and their negations) and the word boundaries `\b`, `\B` are ASCII-only, as in Go, instead
/// of Unicode-aware. Everything else is passed through.
fn go_compatible_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = class_start;
        class_start = false;
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let class = match n {
                    'd' => Some("0-9"),
                    'w' => Some("0-9A-Za-z_"),
                    's' => Some("\\t\\n\\x0C\\r "),
                    _ => None,
                };
                let negated = match n {
                    'D' => Some("0-9"),
                    'W' => Some("0-9A-Za-z_"),
                    'S' => Some("\\t\\n\\x0C\\r "),
                    _ => None,
                };
                match (class, negated) {
                    (Some(set), _) => out.push_str(&format!("[{set}]")),
                    (_, Some(set)) => out.push_str(&format!("[^{set}]")),
                    _ if !in_class && (n == 'b' || n == 'B') => out.push_str(&format!("(?-u:\\{n})")),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // A POSIX class like [:alpha:]: copy through its closing ":]".
                out.push('[');
                let mut prev = '[';
                for n in chars.by_ref() {
                    out.push(n);
                    if prev == ':' && n == ']' {
                        break;
                    }
                    prev = n;
                }
            }
            '[' => out.push_str("\\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' if in_class && !at_class_start => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn labels_replace_corpus() {
        let m = l(&[
            ("__name__", "testmetric"),
            ("src", "source-value-10"),
            ("dst", "original-destination-value"),
        ]);
        let r = LabelReplace::new("dst", "destination-value-$1", "src", "source-value-(.*)").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("dst"), Some("destination-value-10"));
        // Not a substring match.
        let r = LabelReplace::new("dst", "destination-value-$1", "src", "value-(.*)").unwrap();
        assert_eq!(r.apply(&m), None);
        let r = LabelReplace::new("dst", "$1-value-$2", "src", "(.*)-value-(.*)").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("dst"), Some("source-value-10"));
        // Missing source: no match for a non-empty pattern, a match for (.*).
        let r = LabelReplace::new("dst", "value-$1", "nonexistent-src", "source-value-(.*)").unwrap();
        assert_eq!(r.apply(&m), None);
        let r = LabelReplace::new("dst", "value-$1", "nonexistent-src", "(.*)").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("dst"), Some("value-"));
        // Setting the empty string removes the label.
        let r = LabelReplace::new("dst", "", "dst", ".*").unwrap();
        let out = r.apply(&m).unwrap();
        assert_eq!(out.to_string(), r#"{__name__="testmetric", src="source-value-10"}"#);
        // Errors.
        assert_eq!(
            LabelReplace::new("dst", "value-$1", "src", "(.*").unwrap_err().0,
            "invalid regular expression in label_replace(): (.*"
        );
        assert_eq!(
            LabelReplace::new("", "", "src", "(.*)").unwrap_err().0,
            "invalid destination label name in label_replace(): "
        );
        // UTF-8 label names are valid in Prometheus 3.
        let r = LabelReplace::new("new.label", "x", "src", ".*").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("new.label"), Some("x"));
        assert!(LabelReplace::new("__name__", "x", "src", ".*").unwrap().sets_metric_name());
    }

    #[test]
    fn labels_replace_go_semantics() {
        let m = l(&[("a", "foo\nbar"), ("b", "x1y")]);
        // Dot matches newline; fully anchored.
        assert!(LabelReplace::new("c", "$0", "a", "foo.bar").unwrap().apply(&m).is_some());
        // $1y is the (missing) group "1y": empty, as in Go; ${1}y is group 1 then "y".
        let r = LabelReplace::new("c", "$1y", "b", "x(.)y").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("c"), None);
        let r = LabelReplace::new("c", "${1}y$$", "b", "x(.)y").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("c"), Some("1y$"));
        let r = LabelReplace::new("c", "$name", "b", "x(?P<name>.)y").unwrap();
        assert_eq!(r.apply(&m).unwrap().get("c"), Some("1"));
        // \d is ASCII-only as in Go.
        let u = l(&[("a", "\u{0663}")]);
        assert!(LabelReplace::new("c", "x", "a", r"\d").unwrap().apply(&u).is_none());
        assert!(LabelReplace::new("c", "x", "a", r"[\d\w]+").unwrap().apply(&m).is_none());
        assert!(LabelReplace::new("c", "x", "b", r"[\d\w]+").unwrap().apply(&m).is_some());
        assert!(LabelReplace::new("c", "x", "b", r"\bx1y\b").unwrap().apply(&m).is_some());
        assert!(LabelReplace::new("c", "x", "b", r"[[:alpha:]]\d[]a-z]").unwrap().apply(&m).is_some());
        assert!(LabelReplace::new("c", "x", "b", r"[^\s]+").unwrap().apply(&m).is_some());
    }

    #[test]
    fn labels_join_corpus() {
        let m = l(&[("src", "a"), ("src1", "b"), ("src2", "c"), ("dst", "original-destination-value")]);
        let j = LabelJoin::new("dst", "-", &["src", "src1", "src2"]).unwrap();
        assert_eq!(j.apply(&m).get("dst"), Some("a-b-c"));
        let j = LabelJoin::new("dst", "-", &["src", "src3", "src1"]).unwrap();
        assert_eq!(j.apply(&m).get("dst"), Some("a--b"));
        let j = LabelJoin::new("dst", "", &["emptysrc", "emptysrc1", "emptysrc2"]).unwrap();
        assert_eq!(j.apply(&m).get("dst"), None);
        let j = LabelJoin::new("dst", ", ", &[]).unwrap();
        assert_eq!(j.apply(&m).get("dst"), None);
        let j = LabelJoin::new("new", ", ", &["src", "src1", "src2"]).unwrap();
        assert_eq!(j.apply(&m).get("new"), Some("a, b, c"));
        assert_eq!(
            LabelJoin::new("dst", "-", &["src", ""]).unwrap_err().0,
            "invalid source label name in label_join(): "
        );
        assert_eq!(
            LabelJoin::new("", "-", &["src"]).unwrap_err().0,
            "invalid destination label name in label_join(): "
        );
    }

    #[test]
    fn labels_set_label_keeps_order() {
        let m = l(&[("b", "2"), ("d", "4")]);
        assert_eq!(set_label(&m, "a", "1").to_string(), r#"{a="1", b="2", d="4"}"#);
        assert_eq!(set_label(&m, "c", "3").to_string(), r#"{b="2", c="3", d="4"}"#);
        assert_eq!(set_label(&m, "e", "5").to_string(), r#"{b="2", d="4", e="5"}"#);
        assert_eq!(set_label(&m, "b", "x").to_string(), r#"{b="x", d="4"}"#);
        assert_eq!(set_label(&m, "b", "").to_string(), r#"{d="4"}"#);
        assert_eq!(set_label(&m, "z", "").to_string(), r#"{b="2", d="4"}"#);
    }
}
