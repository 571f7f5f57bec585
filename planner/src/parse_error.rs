//! Where a parse error is. promql-parser's errors carry no position; Prometheus's read
//! `1:6: parse error: unclosed left parenthesis`. We find the position ourselves: end-of-input
//! errors are at the end, lexical errors at the offending character or string, and any other
//! error at the first token whose prefix of the query fails the same way (inside a group that
//! token closes, at the start of the group's contents).

use crate::error::PlanError;
use crate::span::{Pos, pos_at};

/// `L:C: parse error: message`, as Prometheus prints a parse error at `pos`.
pub(crate) fn at_pos(pos: Pos, message: &str) -> String {
    format!("{}:{}: parse error: {message}", pos.line, pos.col)
}

/// A parse error at byte offset `off` of `text`.
pub(crate) fn error_at(text: &str, off: usize, message: &str) -> PlanError {
    PlanError::Parse(at_pos(pos_at(text, off), message))
}

/// `message` prefixed with its position the way Prometheus prints parse errors.
pub(crate) fn describe(text: &str, message: &str, parse: impl Fn(&str) -> Result<(), String>) -> String {
    // promql-parser says only "invalid promql query" for a query cut short (`1 +`): if an operand
    // would complete it, the error is the end of the input, as Prometheus says.
    if !at_end(message) && completes(text, &parse) {
        return at_pos(pos_at(text, text.len()), "unexpected end of input");
    }
    at_pos(locate(text, message, parse), message)
}

fn locate(text: &str, message: &str, parse: impl Fn(&str) -> Result<(), String>) -> Pos {
    let tokens = tokenize(text);
    let at = |off: usize| pos_at(text, off);
    if message.contains("unterminated")
        && let Some(t) = tokens.iter().find(|t| t.kind == Kind::Unterminated)
    {
        return at(t.start);
    }
    if message.contains("unexpected character")
        && let Some(t) = tokens.iter().find(|t| t.kind == Kind::Other)
    {
        return at(t.start);
    }
    if at_end(message) {
        return at(text.len());
    }
    if message.contains("unknown function")
        && let Some(w) =
            tokens.windows(2).find(|w| w[0].kind == Kind::Word && text[w[1].start..].starts_with('('))
    {
        let name = &text[w[0].start..w[0].end];
        if message.contains(&format!("\"{name}\"")) || message.contains(&format!("'{name}'")) {
            return at(w[0].start);
        }
    }
    // The first token whose prefix fails for a reason appending cannot fix. Once a prefix fails
    // that way every longer one does, so a binary search finds it in a few parses even for a
    // huge query.
    let broken = |k: usize| {
        let prefix = &text[..tokens[k].end];
        parse(prefix).is_err_and(|e| !at_end(&e) && !completes(prefix, &parse))
    };
    let (mut lo, mut hi) = (0, tokens.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if broken(mid) { hi = mid } else { lo = mid + 1 }
    }
    let Some(t) = tokens.get(lo) else { return at(text.len()) };
    // A token that closes a group fails for what the group holds; one that closes nothing is
    // reported after itself, as Prometheus's lexer does.
    if matches!(&text[t.start..t.end], ")" | "}" | "]") {
        return match opener_of(text, &tokens[..lo]) {
            Some(open) => {
                let inner = tokens.iter().find(|x| x.start > open).map_or(t.start, |x| x.start);
                at(inner.min(t.start))
            }
            None => at(t.end),
        };
    }
    at(t.start)
}

/// Whether an operand or a closing parenthesis would make `prefix` parse: it is only cut short.
fn completes(prefix: &str, parse: &impl Fn(&str) -> Result<(), String>) -> bool {
    // Operands, closers, and the label lists of `on`, `by`, `group_left`, ...
    [" 1", " x", ")", "(a)", "a)", "(a) x", "a) x"]
        .iter()
        .any(|tail| parse(&format!("{prefix}{tail}")).is_ok())
}

fn at_end(message: &str) -> bool {
    message.contains("end of input") || message.contains("unclosed")
}

/// The offset of the opener that the closer after `before` matches.
fn opener_of(text: &str, before: &[Token]) -> Option<usize> {
    let mut depth = 0usize;
    for t in before.iter().rev() {
        match &text[t.start..t.end] {
            ")" | "}" | "]" => depth += 1,
            "(" | "{" | "[" if depth == 0 => return Some(t.start),
            "(" | "{" | "[" => depth -= 1,
            _ => {}
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    String,
    Unterminated,
    Punct,
    /// A character PromQL does not have.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    kind: Kind,
}

fn tokenize(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let kind = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else if matches!(c, b'"' | b'\'' | b'`') {
            i += 1;
            while i < b.len() && b[i] != c {
                i += if b[i] == b'\\' && c != b'`' { 2 } else { 1 };
            }
            if i >= b.len() {
                i = b.len();
                Kind::Unterminated
            } else {
                i += 1;
                Kind::String
            }
        } else if c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.') {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b':' | b'.')) {
                i += 1;
            }
            Kind::Word
        } else if b"(){}[],+-*/%^=!<>~@".contains(&c) {
            let two = b.get(i..i + 2).unwrap_or_default();
            i += if matches!(two, b"==" | b"!=" | b"<=" | b">=" | b"=~" | b"!~" | b"</" | b">/") {
                2
            } else {
                1
            };
            Kind::Punct
        } else {
            // One character, however many bytes.
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Other
        };
        out.push(Token { start, end: i, kind });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(q: &str) -> String {
        let parse = |s: &str| {
            crate::plan::parse_unpositioned(s, Default::default()).map(|_| ()).map_err(|e| e.to_string())
        };
        let msg = parse(q).expect_err(q);
        describe(q, &msg, parse)
    }

    /// Positions Prometheus 2.42 gives for the same queries (its `/api/v1/query` errors).
    #[test]
    fn positions_match_prometheus() {
        let cases = [
            ("sum(x", "1:6"),
            ("rate(x[5m]", "1:11"),
            (r#"x{a="b""#, "1:8"),
            ("1 +", "1:4"),
            ("foo[5m", "1:7"),
            ("x + on(a) bool y", "1:11"),
            ("sum(x) by", "1:10"),
            (r#"foo{a=~"("}"#, "1:5"),
            ("rate(x)", "1:6"),
            ("abc(x)", "1:1"),
            (r#""unterminated"#, "1:1"),
            ("x $ y", "1:3"),
            ("sum(rate(x[5m])) / )", "1:21"),
        ];
        for (q, want) in cases {
            let d = described(q);
            assert!(d.starts_with(&format!("{want}: parse error: ")), "{q}: {d}");
        }
    }

    #[test]
    fn a_huge_malformed_query_is_located_quickly() {
        let q = format!("{} $", "x + ".repeat(20_000) + "x");
        // 40k tokens: a token-by-token search would parse for minutes.
        let d = described(&q);
        assert!(d.starts_with(&format!("1:{}: parse error: ", q.len())), "{}", &d[..40]);
    }

    #[test]
    fn lines_count_from_one() {
        let d = described("sum(\n  rate(x[5m]) $\n)");
        assert!(d.starts_with("2:15: parse error: "), "{d}");
    }
}
