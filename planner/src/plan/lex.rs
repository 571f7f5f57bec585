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
}
