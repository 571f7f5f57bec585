//! What the lexical pre-passes (`trim`, `extended`, `durations`, `info`) share: skipping the
//! parts of a query where PromQL syntax does not apply, as Prometheus's lexer reads them.

/// The index after a `#` comment at `i` (it runs to the end of the line).
pub(crate) fn skip_comment(b: &[u8], i: usize) -> usize {
    b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p)
}

/// The index after the string literal whose quote (`"`, `'` or `` ` ``) is at `i`. In the first
/// two a backslash escapes the next byte and a newline ends an unterminated string; a raw
/// (backtick) string runs to its closing backtick.
pub(crate) fn skip_quoted(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' if q != b'`' => j += 2,
            b'\n' if q != b'`' => return j,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// The end of an identifier, number or duration starting at `i` (`rate`, `a:b`, `5m`, `1h30m`,
/// `1.5`, `1e3`, `0x1f`).
pub(crate) fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b':' | b'.')) {
        i += 1;
    }
    i
}

/// The index of the first non-whitespace byte from `i`.
pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the one term an `offset` takes at `i`: a sign, then a number or duration (`5m`,
/// `1.5e+3`), `( ... )`, or a name with its call (`step()`, `min_of(a, b)`). `i` itself when
/// there is none. Both the duration pre-pass and the span walk read `offset` with it.
pub(crate) fn offset_term_end(b: &[u8], mut i: usize) -> usize {
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i = skip_ws(b, i + 1);
    }
    match b.get(i) {
        Some(b'(') => close_paren(b, i),
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
            let end = word_end(b, i);
            let after = skip_ws(b, end);
            if b.get(after) == Some(&b'(') { close_paren(b, after) } else { end }
        }
        Some(c) if c.is_ascii_digit() || *c == b'.' => {
            // An exponent's sign belongs to the number (`1e+3`), except in hex (`0x1e`).
            let mut end = word_end(b, i);
            while matches!(b.get(end), Some(b'+' | b'-'))
                && matches!(b.get(end - 1), Some(b'e' | b'E'))
                && !b[i..].starts_with(b"0x")
            {
                end = word_end(b, end + 1);
            }
            end
        }
        _ => i,
    }
}

/// The index after the `)` matching the `(` at `i` (the end of the text if there is none).
fn close_paren(b: &[u8], i: usize) -> usize {
    let mut depth = 0;
    for (k, &c) in b.iter().enumerate().skip(i) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_comments_and_words_end_where_the_lexer_says() {
        let q = br#"a{b="x\"}"} # c"#;
        assert_eq!(skip_quoted(q, 4), 10);
        assert_eq!(skip_comment(q, 12), q.len());
        assert_eq!(skip_quoted(b"`a\\`b", 0), 4);
        assert_eq!(skip_quoted(b"'a\nb'", 0), 2);
        assert_eq!(word_end(b"1h30m]", 0), 5);
        assert_eq!(word_end(b"job:rate5m{", 0), 10);
    }

    #[test]
    fn offset_terms_end_where_the_grammar_says() {
        for (q, term) in [
            ("5m + 1", "5m"),
            ("-5m)", "-5m"),
            ("- 1e+3 * 2", "- 1e+3"),
            ("0x1e+1", "0x1e"),
            ("(1m + (2m)) * 2", "(1m + (2m))"),
            ("-step()*2", "-step()"),
            ("min_of(step(), 1s)+8000", "min_of(step(), 1s)"),
            ("range", "range"),
            (")", ""),
        ] {
            assert_eq!(&q[..offset_term_end(q.as_bytes(), 0)], term, "{q}");
        }
    }
}
