//! Where each expression starts in the query text. promql-parser's AST carries no positions, but
//! Prometheus gives some annotations the position of an expression (`(1:7)`), so we recover them
//! ourselves: a walk of the AST that consumes the text in the same order as the parser did.
//!
//! The walk is best effort: if the text does not look as expected (a construct the walker does
//! not know), it stops, and the expressions not reached have no position.

use std::collections::BTreeMap;

use promql_parser::parser::{AggregateExpr, BinaryExpr, Call, Expr, VectorSelector};

use crate::node::SelectorModifier;

/// A position as Prometheus prints it: 1-based line and column (in bytes, within the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// The start of each expression of one parsed query, keyed by the expression's address (valid
/// while that AST is alive, i.e. during planning).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Spans {
    starts: BTreeMap<usize, Pos>,
    /// String literals whose escapes (`\xff`, octal) decode to bytes that are not UTF-8: Go keeps
    /// such bytes and fails where a label name must be valid; promql-parser decodes them to
    /// characters, so only the text can tell.
    invalid_utf8: BTreeMap<usize, Vec<u8>>,
    /// The `anchored`/`smoothed` modifier of each selector that has one, keyed by the
    /// selector's address (see `plan/extended.rs`).
    modifiers: BTreeMap<usize, SelectorModifier>,
    /// Where the walk met each modifier keyword (byte offsets).
    modifier_offsets: Vec<usize>,
    /// A selector given both modifiers: the offset of the second.
    modifier_conflict: Option<usize>,
}

impl Spans {
    pub fn locate(text: &str, expr: &Expr) -> Self {
        let mut w = Walker { s: text.as_bytes(), i: 0, ..Walker::default() };
        let _ = w.expr(expr);
        let starts = w.starts.into_iter().map(|(k, off)| (k, pos_at(text, off))).collect();
        Self {
            starts,
            invalid_utf8: w.invalid_utf8,
            modifiers: w.modifiers,
            modifier_offsets: w.modifier_offsets,
            modifier_conflict: w.modifier_conflict,
        }
    }

    /// The `anchored`/`smoothed` modifier written after a selector.
    pub fn modifier(&self, vs: &VectorSelector) -> SelectorModifier {
        self.modifiers.get(&(std::ptr::from_ref(vs) as usize)).copied().unwrap_or_default()
    }

    pub(crate) fn modifier_offsets(&self) -> &[usize] {
        &self.modifier_offsets
    }

    pub(crate) fn modifier_conflict(&self) -> Option<usize> {
        self.modifier_conflict
    }

    /// For a string literal that Go would decode to invalid UTF-8, its bytes as Go's `%q` prints
    /// them (`"a\xc5z"`).
    pub fn invalid_utf8(&self, e: &Expr) -> Option<String> {
        self.invalid_utf8.get(&key(e)).map(|b| quiver_proto::go_quote_bytes(b))
    }

    pub fn pos(&self, e: &Expr) -> Option<Pos> {
        self.starts.get(&key(e)).copied()
    }
}

fn key(e: &Expr) -> usize {
    std::ptr::from_ref(e) as usize
}

/// Line and column of a byte offset, as Prometheus's `StartPosInput` computes them.
pub(crate) fn pos_at(text: &str, off: usize) -> Pos {
    let before = text.as_bytes().get(..off).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => off - nl,
        None => off + 1,
    };
    Pos { line, col }
}

#[derive(Default)]
struct Walker<'a> {
    s: &'a [u8],
    i: usize,
    starts: BTreeMap<usize, usize>,
    invalid_utf8: BTreeMap<usize, Vec<u8>>,
    modifiers: BTreeMap<usize, SelectorModifier>,
    modifier_offsets: Vec<usize>,
    modifier_conflict: Option<usize>,
}

/// Whether a quoted PromQL string decodes (as Go decodes it) to UTF-8. Raw (backtick) strings
/// are the query's own text, so always UTF-8.
pub fn unquotes_to_utf8(raw: &[u8]) -> bool {
    go_unquote(raw).is_none_or(|b| std::str::from_utf8(&b).is_ok())
}

/// A quoted PromQL string decoded as Go's `strconv.Unquote` does: bytes, not necessarily UTF-8
/// (`"\xff"`). `None` for raw strings and malformed escapes (the parser has accepted the query,
/// so those do not occur).
pub fn go_unquote(raw: &[u8]) -> Option<Vec<u8>> {
    let (&q, rest) = raw.split_first()?;
    if q == b'`' {
        return None;
    }
    let body = rest.strip_suffix(&[q]).unwrap_or(rest);
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    let hex = |s: &[u8]| std::str::from_utf8(s).ok().and_then(|s| u32::from_str_radix(s, 16).ok());
    while i < body.len() {
        if body[i] != b'\\' || i + 1 >= body.len() {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let c = body[i + 1];
        match c {
            b'x' => {
                let v = body.get(i + 2..i + 4).and_then(hex)?;
                out.push(v as u8);
                i += 4;
            }
            b'0'..=b'7' => {
                let v = body
                    .get(i + 1..i + 4)
                    .and_then(|s| std::str::from_utf8(s).ok().and_then(|s| u32::from_str_radix(s, 8).ok()))?;
                out.push((v & 0xff) as u8);
                i += 4;
            }
            b'u' | b'U' => {
                let n = if c == b'u' { 4 } else { 8 };
                let ch = body.get(i + 2..i + 2 + n).and_then(hex).and_then(char::from_u32);
                let ch = ch?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += 2 + n;
            }
            _ => {
                out.push(c);
                i += 2;
            }
        }
    }
    Some(out)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

impl Walker<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.i += 1;
            } else if b == b'#' {
                while self.peek().is_some_and(|b| b != b'\n') {
                    self.i += 1;
                }
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.i += 1)
    }

    /// The identifier at the cursor (after whitespace), without consuming it.
    fn peek_ident(&mut self) -> &str {
        self.skip_ws();
        let start = self.i;
        let mut end = start;
        if self.s.get(end).is_some_and(|&b| is_ident_start(b)) {
            while self.s.get(end).is_some_and(|&b| is_ident(b)) {
                end += 1;
            }
        }
        std::str::from_utf8(&self.s[start..end]).unwrap_or("")
    }

    fn eat_ident(&mut self) -> Option<()> {
        let n = self.peek_ident().len();
        (n > 0).then(|| self.i += n)
    }

    fn eat_keyword(&mut self, words: &[&str]) -> bool {
        let id = self.peek_ident().to_ascii_lowercase();
        if words.contains(&id.as_str()) {
            self.i += id.len();
            return true;
        }
        false
    }

    /// A string literal in any of PromQL's three quotes.
    fn string(&mut self) -> Option<()> {
        self.skip_ws();
        let q = self.peek()?;
        if !matches!(q, b'"' | b'\'' | b'`') {
            return None;
        }
        self.i += 1;
        while let Some(b) = self.peek() {
            self.i += 1;
            if b == b'\\' && q != b'`' {
                self.i += 1;
            } else if b == q {
                return Some(());
            }
        }
        None
    }

    /// Skips a bracketed group (`{...}`, `[...]`, `(...)`), strings inside included.
    fn group(&mut self, open: u8, close: u8) -> Option<()> {
        self.eat(open)?;
        let mut depth = 1;
        while depth > 0 {
            match self.peek()? {
                b'"' | b'\'' | b'`' => self.string()?,
                b if b == open => {
                    depth += 1;
                    self.i += 1;
                }
                b if b == close => {
                    depth -= 1;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        Some(())
    }

    /// A number or duration token, with an optional sign.
    fn number(&mut self) -> Option<()> {
        self.skip_ws();
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.i += 1;
            self.skip_ws();
        }
        let start = self.i;
        if self.peek().is_some_and(is_ident_start) {
            return self.eat_ident(); // Inf, NaN
        }
        while let Some(b) = self.peek() {
            let exp_sign = matches!(b, b'+' | b'-')
                && matches!(self.s.get(self.i.wrapping_sub(1)), Some(b'e' | b'E'))
                && !self.s[start..].starts_with(b"0x");
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exp_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        (self.i > start).then_some(())
    }

    /// What follows `offset`: a signed number or duration, or a duration expression term (a
    /// parenthesised expression, `step()`, `min_of(a, b)`, ...).
    fn offset_term(&mut self) -> Option<()> {
        self.skip_ws();
        let end = crate::plan::lex::offset_term_end(self.s, self.i);
        (end > self.i).then(|| self.i = end)
    }

    /// `offset d` and `@ t` modifiers, in any order, and after a selector (`sel`, its address)
    /// `anchored` and `smoothed`.
    fn modifiers(&mut self, sel: Option<usize>) -> Option<()> {
        loop {
            if let Some(key) = sel
                && let Some(m) = crate::plan::extended::modifier_of(self.peek_ident())
            {
                let at = self.i;
                self.i += m.to_string().len();
                self.modifier_offsets.push(at);
                if self.modifiers.insert(key, m).is_some() {
                    self.modifier_conflict.get_or_insert(at);
                }
            } else if self.eat_keyword(&["offset"]) {
                self.offset_term()?;
            } else if self.eat(b'@').is_some() {
                if self.eat_keyword(&["start", "end"]) {
                    self.group(b'(', b')')?;
                } else {
                    self.number()?;
                }
            } else {
                return Some(());
            }
        }
    }

    fn selector(&mut self) -> Option<()> {
        if self.peek_ident().is_empty() {
            return self.group(b'{', b'}');
        }
        self.eat_ident()?;
        self.skip_ws();
        if self.peek() == Some(b'{') {
            self.group(b'{', b'}')?;
        }
        Some(())
    }

    fn expr(&mut self, e: &Expr) -> Option<()> {
        self.skip_ws();
        self.starts.insert(key(e), self.i);
        match e {
            Expr::Paren(p) => {
                self.eat(b'(')?;
                self.expr(&p.expr)?;
                self.eat(b')')
            }
            Expr::Unary(u) => {
                self.skip_ws();
                matches!(self.peek()?, b'-' | b'+').then(|| self.i += 1)?;
                self.expr(&u.expr)
            }
            Expr::NumberLiteral(_) => self.number(),
            Expr::StringLiteral(_) => {
                self.skip_ws();
                let start = self.i;
                self.string()?;
                if let Some(b) = go_unquote(&self.s[start..self.i])
                    && std::str::from_utf8(&b).is_err()
                {
                    self.invalid_utf8.insert(key(e), b);
                }
                Some(())
            }
            Expr::VectorSelector(vs) => {
                self.selector()?;
                self.modifiers(Some(std::ptr::from_ref(vs) as usize))
            }
            Expr::MatrixSelector(ms) => {
                self.selector()?;
                self.group(b'[', b']')?;
                self.modifiers(Some(std::ptr::from_ref(&ms.vs) as usize))
            }
            Expr::Subquery(sq) => {
                self.expr(&sq.expr)?;
                self.group(b'[', b']')?;
                self.modifiers(None)
            }
            Expr::Call(c) => self.call(c),
            Expr::Aggregate(a) => self.aggregate(a),
            Expr::Binary(b) => self.binary(b),
            Expr::Extension(ext) => {
                let t = ext.expr.as_any().downcast_ref::<crate::plan::TrimExpr>()?;
                let [lhs, rhs] = &t.operands;
                self.operator(lhs, rhs)
            }
        }
    }

    fn call(&mut self, c: &Call) -> Option<()> {
        self.eat_ident()?;
        self.eat(b'(')?;
        for (n, a) in c.args.args.iter().enumerate() {
            if n > 0 {
                self.eat(b',')?;
            }
            self.expr(a)?;
        }
        self.skip_ws();
        if self.peek() == Some(b',') {
            self.i += 1;
        }
        self.eat(b')')
    }

    fn aggregate(&mut self, a: &AggregateExpr) -> Option<()> {
        self.eat_ident()?;
        if self.eat_keyword(&["by", "without"]) {
            self.group(b'(', b')')?;
        }
        self.eat(b'(')?;
        if let Some(p) = &a.param {
            self.expr(p)?;
            self.eat(b',')?;
        }
        self.expr(&a.expr)?;
        self.skip_ws();
        if self.peek() == Some(b',') {
            self.i += 1;
        }
        self.eat(b')')?;
        if self.eat_keyword(&["by", "without"]) {
            self.group(b'(', b')')?;
        }
        Some(())
    }

    fn binary(&mut self, b: &BinaryExpr) -> Option<()> {
        self.operator(&b.lhs, &b.rhs)
    }

    fn operator(&mut self, lhs: &Expr, rhs: &Expr) -> Option<()> {
        self.expr(lhs)?;
        self.skip_ws();
        if !self.eat_keyword(&["and", "or", "unless", "atan2"]) {
            let two = self.s.get(self.i..self.i + 2).unwrap_or_default();
            let n = if matches!(two, b"==" | b"!=" | b"<=" | b">=" | b"</" | b">/") { 2 } else { 1 };
            matches!(self.peek()?, b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'=' | b'!' | b'<' | b'>')
                .then(|| self.i += n)?;
        }
        self.eat_keyword(&["bool"]);
        if self.eat_keyword(&["on", "ignoring"]) {
            self.group(b'(', b')')?;
        }
        if self.eat_keyword(&["group_left", "group_right"]) {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.group(b'(', b')')?;
            }
        }
        self.expr(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start column of every sub-expression, in walk order.
    fn columns(q: &str) -> Vec<(String, usize)> {
        let e = promql_parser::parser::parse(q).unwrap_or_else(|err| panic!("{q}: {err}"));
        let spans = Spans::locate(q, &e);
        let mut out = Vec::new();
        collect(&e, &spans, &mut out);
        out
    }

    fn collect(e: &Expr, spans: &Spans, out: &mut Vec<(String, usize)>) {
        let col = spans.pos(e).map_or(0, |p| p.col);
        let kind = format!("{e:?}").chars().take_while(|c| c.is_alphanumeric()).collect();
        out.push((kind, col));
        match e {
            Expr::Paren(p) => collect(&p.expr, spans, out),
            Expr::Unary(u) => collect(&u.expr, spans, out),
            Expr::Subquery(s) => collect(&s.expr, spans, out),
            Expr::Call(c) => c.args.args.iter().for_each(|a| collect(a, spans, out)),
            Expr::Aggregate(a) => {
                if let Some(p) = &a.param {
                    collect(p, spans, out);
                }
                collect(&a.expr, spans, out);
            }
            Expr::Binary(b) => {
                collect(&b.lhs, spans, out);
                collect(&b.rhs, spans, out);
            }
            _ => {}
        }
    }

    fn cols(q: &str) -> Vec<usize> {
        columns(q).into_iter().map(|c| c.1).collect()
    }

    #[test]
    fn positions_of_function_arguments() {
        assert_eq!(cols(r#"irate(http_requests_histogram{path="/c"}[20m])"#), vec![1, 7]);
        assert_eq!(cols("histogram_quantile(0.8, series)"), vec![1, 20, 25]);
        assert_eq!(cols("histogram_fraction(-Inf, 1, series)"), vec![1, 20, 26, 29]);
        assert_eq!(cols("histogram_count(rate(some_metric[1m30s]))"), vec![1, 17, 22]);
        assert_eq!(cols(r#"histogram_quantiles(series, "q", 0.1, 0.2)"#), vec![1, 21, 29, 34, 39]);
    }

    #[test]
    fn positions_in_aggregations_and_binaries() {
        assert_eq!(
            cols("count(limit_ratio(1.1, http_requests) and http_requests)"),
            vec![1, 7, 7, 19, 24, 43]
        );
        assert_eq!(cols("sum by (job) (sort(series))"), vec![1, 15, 20]);
        assert_eq!(cols("sum(x) without (a) + on(b) group_left(c) y"), vec![1, 1, 5, 42]);
        assert_eq!(cols("a > bool ignoring(x) b ^ -c"), vec![1, 1, 22, 22, 26, 27]);
        assert_eq!(cols(r#"rate(x{a="}[("}[5m] offset -1m @ start()) > 1"#), vec![1, 1, 6, 45]);
        assert_eq!(cols("max_over_time((rate(x[1m])[5m:1m] @ 100))"), vec![1, 15, 16, 16, 21]);
    }

    #[test]
    fn strings_that_go_decodes_to_invalid_utf8() {
        assert!(unquotes_to_utf8(br#""abc""#));
        assert!(!unquotes_to_utf8(br#""a\xc5z""#));
        assert!(unquotes_to_utf8(br#""\xc3\xa9""#));
        assert!(!unquotes_to_utf8(br#"'\377'"#));
        assert!(unquotes_to_utf8(br#""\u00ff\"""#));
        assert!(unquotes_to_utf8(b"`\\xff`"));
        let q = r#"label_replace(x, "\xff", "", "src", "(.*)")"#;
        let e = promql_parser::parser::parse(q).unwrap();
        let spans = Spans::locate(q, &e);
        let Expr::Call(c) = &e else { panic!() };
        let flags: Vec<Option<String>> = c.args.args.iter().map(|a| spans.invalid_utf8(a)).collect();
        assert_eq!(flags, vec![None, Some(r#""\xff""#.to_string()), None, None, None]);
    }

    #[test]
    fn lines_and_comments() {
        let q = "sum(\n  # a comment (\n  rate(x[5m])\n)";
        let e = promql_parser::parser::parse(q).unwrap();
        let spans = Spans::locate(q, &e);
        let Expr::Aggregate(a) = &e else { panic!("{e:?}") };
        assert_eq!(spans.pos(&a.expr), Some(Pos { line: 3, col: 3 }));
    }

    #[test]
    fn unknown_text_leaves_positions_out_without_failing() {
        let q = "x + y";
        let e = promql_parser::parser::parse(q).unwrap();
        let spans = Spans::locate("?????", &e);
        assert_eq!(spans.pos(&e), Some(Pos { line: 1, col: 1 }));
        let Expr::Binary(b) = &e else { panic!() };
        assert_eq!(spans.pos(&b.rhs), None);
    }
}
