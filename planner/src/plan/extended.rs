//! The experimental selector modifiers `anchored` and `smoothed` (Prometheus's
//! `promql-extended-range-selectors`: `rate(x[5m] anchored)`, `x smoothed`), which promql-parser
//! 0.11 cannot parse.
//!
//! A lexical pre-pass ([`scan`]) finds each of them where it follows a selector (after its name,
//! braces, range, or an `offset`/`@` value) and blanks it out with spaces, so the text keeps its
//! length and every position in it. The parsed tree has no trace of them; the span walk
//! ([`crate::span::Spans`]), which reads the original text along the tree, meets each keyword
//! right after its selector and records it there. A keyword the walk does not meet (after a
//! subquery, say) is an error, so a modifier is never dropped silently.

use super::lex::{skip_comment, skip_quoted, word_end};
use crate::error::Result;
use crate::node::SelectorModifier;
use crate::parse_error::error_at;
use crate::span::Spans;

/// The query text with the modifiers blanked out, and where each one was (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    pub(crate) text: String,
    pub(crate) found: Vec<(usize, SelectorModifier)>,
}

/// What the previous token was, as far as the pre-pass cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// A token a selector (with its modifiers) can end with: a metric name, `}`, `]`, a number
    /// or duration (of `offset` or `@`), or the `)` of `@ start()` / `@ end()`.
    SelectorEnd,
    /// `start` or `end`, then `(`: the `)` that follows ends an `@` modifier.
    AtFunctionOpen,
    AtFunction,
    Other,
}

/// Words that are operators or clauses, after which `anchored` is a metric name, not a modifier.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "atan2",
];

pub(crate) fn modifier_of(word: &str) -> Option<SelectorModifier> {
    match word.to_ascii_lowercase().as_str() {
        "anchored" => Some(SelectorModifier::Anchored),
        "smoothed" => Some(SelectorModifier::Smoothed),
        _ => None,
    }
}

pub(crate) fn scan(query: &str) -> Scanned {
    let b = query.as_bytes();
    let mut text = String::with_capacity(query.len());
    let mut found = Vec::new();
    let (mut i, mut copied) = (0, 0);
    let mut prev = Prev::Other;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            i = skip_comment(b, i);
        } else if matches!(c, b'"' | b'\'' | b'`') {
            i = skip_quoted(b, i);
            prev = Prev::Other;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            let end = word_end(b, i);
            let word = &query[i..end];
            match modifier_of(word) {
                Some(m) if prev == Prev::SelectorEnd => {
                    text.push_str(&query[copied..i]);
                    text.extend(std::iter::repeat_n(' ', end - i));
                    copied = end;
                    found.push((i, m));
                }
                _ => {
                    let lower = word.to_ascii_lowercase();
                    prev = if lower == "start" || lower == "end" {
                        Prev::AtFunction
                    } else if KEYWORDS.contains(&lower.as_str()) {
                        Prev::Other
                    } else {
                        Prev::SelectorEnd
                    };
                }
            }
            i = end;
        } else if c.is_ascii_digit() || c == b'.' {
            i = word_end(b, i + 1);
            prev = Prev::SelectorEnd;
        } else {
            prev = match (c, prev) {
                (b'}' | b']', _) => Prev::SelectorEnd,
                (b'(', Prev::AtFunction) => Prev::AtFunctionOpen,
                (b')', Prev::AtFunctionOpen) => Prev::SelectorEnd,
                _ => Prev::Other,
            };
            i += 1;
        }
    }
    text.push_str(&query[copied..]);
    Scanned { text, found }
}

/// Checks the modifiers the span walk attached (`spans`) against those the pre-pass `found`:
/// each must have been met right after a selector, at most one per selector, and only with the
/// feature on.
pub(crate) fn check(
    text: &str,
    found: &[(usize, SelectorModifier)],
    spans: &Spans,
    enabled: bool,
) -> Result<()> {
    for &(off, m) in found {
        if !spans.modifier_offsets().contains(&off) {
            return Err(error_at(text, off, &format!("unexpected {m} modifier")));
        }
        if !enabled {
            return Err(error_at(text, off, &format!("{m} modifier is experimental and not enabled")));
        }
    }
    match spans.modifier_conflict() {
        Some(off) => Err(error_at(text, off, "anchored and smoothed modifiers cannot be used together")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blanked(q: &str) -> (String, usize) {
        let s = scan(q);
        assert_eq!(s.text.len(), q.len());
        (s.text, s.found.len())
    }

    #[test]
    fn modifiers_after_selectors_are_blanked_keeping_positions() {
        for (q, n) in [
            ("rate(x[5m] anchored)", 1),
            ("x smoothed", 1),
            (r#"x{a="anchored"} anchored"#, 1),
            ("x @ 100 smoothed + 0", 1),
            ("x offset -100 smoothed", 1),
            ("increase(x[1m] offset 1m SMOOTHED)", 1),
            ("x @ start() anchored", 1),
            ("x[1m] anchored smoothed", 2),
            // Metric and label names, not modifiers.
            ("anchored", 0),
            ("sum by (anchored) (smoothed)", 0),
            ("a and anchored", 0),
            ("rate(x[5m]) anchored", 0),
            (r#"{anchored="1"}"#, 0),
            ("# x anchored\nx", 0),
        ] {
            assert_eq!(blanked(q).1, n, "{q}");
        }
        assert_eq!(blanked("rate(x[5m] anchored)").0, "rate(x[5m]         )");
    }
}
