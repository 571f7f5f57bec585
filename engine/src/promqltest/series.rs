//! Series descriptions, the `<series> <points>` lines of `load` and `eval` blocks, parsed as
//! Prometheus's `ParseSeriesDesc` does: a metric name and/or label set, then space-separated
//! items in the expanding notation (`1`, `-2.5`, `1+2x3`, `1-2x3`, `5x3`, `_`, `_x3`, `stale`,
//! `Inf`, `NaN`, `{{...}}`, `{{...}}x3`, `{{...}}+{{...}}x3`, `{{...}}-{{...}}x3`).

use quiver_proto::{FloatHistogram, Labels, METRIC_NAME, STALE_NAN_BITS};

use super::histogram_desc::{HistogramLiteral, parse_histogram_literal};
use super::literals::{parse_number, unquote};

/// The most values one item (`1x<n>`) may expand to; guards against runaway repetition counts.
const MAX_REPEAT: u64 = 100_000;

/// One position of an expanded value sequence, as Prometheus's `parser.SequenceValue`.
#[derive(Debug, Clone, PartialEq)]
pub enum SequenceValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A float sample; `stale` is the stale NaN (`quiver_proto::STALE_NAN_BITS`).
    Float(f64),
    /// A native histogram. `counter_reset_hint_set` says whether the literal gave
    /// `counter_reset_hint:` explicitly (only then is the hint compared in results).
    Histogram { histogram: FloatHistogram, counter_reset_hint_set: bool },
}

impl SequenceValue {
    /// Go's `SequenceValue.Value`: the float, or 0 for omitted positions and histograms.
    pub fn float_value(&self) -> f64 {
        match self {
            SequenceValue::Float(v) => *v,
            _ => 0.0,
        }
    }

    pub fn histogram(&self) -> Option<&FloatHistogram> {
        match self {
            SequenceValue::Histogram { histogram, .. } => Some(histogram),
            _ => None,
        }
    }
}

/// The stale marker as a float.
pub(super) fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Parses `metric{label="value",...} <items...>` into the label set and the expanded values.
pub fn parse_series_desc(line: &str) -> Result<(Labels, Vec<SequenceValue>), String> {
    let mut c = Cursor { s: line, pos: 0 };
    c.skip_spaces();
    let labels = parse_metric(&mut c)?;
    let mut values = Vec::new();
    loop {
        if c.at_end() {
            break;
        }
        if !c.peek().is_some_and(is_space) {
            return Err(c.err("expected a space before the next value"));
        }
        c.skip_spaces();
        if c.at_end() {
            break;
        }
        parse_item(&mut c, &mut values)?;
    }
    Ok((labels, values))
}

pub(super) struct Cursor<'a> {
    pub(super) s: &'a str,
    pub(super) pos: usize,
}

impl Cursor<'_> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.as_bytes().get(self.pos + n).copied()
    }

    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    pub(super) fn err(&self, msg: &str) -> String {
        let rest: String = self.s[self.pos.min(self.s.len())..].chars().take(20).collect();
        format!("{msg} at column {} (near {rest:?})", self.pos + 1)
    }

    /// Takes a run of bytes matching `f`.
    pub(super) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// Scans a number as Prometheus's lexer does in series descriptions (`scanNumber` with
    /// hexadecimal disallowed) and returns its text.
    pub(super) fn scan_number(&mut self) -> Result<&str, String> {
        let start = self.pos;
        let is_digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
        let is_exp = |b: Option<u8>| matches!(b, Some(b'e' | b'E'));
        let bad = |c: &Self| Err(c.err("bad number syntax"));
        self.eat(b'.');
        if is_digit(self.peek()) {
            self.pos += 1;
        }
        let (mut dot, mut exp) = (false, false);
        while let Some(b) = self.peek() {
            if !(b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'e' | b'E')) {
                break;
            }
            if b == b'.' && dot || is_exp(Some(b)) && exp {
                return bad(self);
            }
            if self.eat(b'.') {
                dot = true;
                if matches!(self.peek(), Some(b'_' | b'.')) {
                    return bad(self);
                }
                continue;
            }
            if is_exp(self.peek()) {
                self.pos += 1;
                exp = true;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if matches!(self.peek(), Some(b'.' | b'_' | b'e' | b'E') | None) {
                    return bad(self);
                }
                continue;
            }
            if self.eat(b'_') {
                if matches!(self.peek(), Some(b'.' | b'_' | b'e' | b'E') | None) {
                    return bad(self);
                }
                continue;
            }
            while is_digit(self.peek()) {
                self.pos += 1;
            }
        }
        if self.pos == start {
            return bad(self);
        }
        match self.peek() {
            Some(b'x') => {}
            Some(b) if is_alnum(b) => return bad(self),
            _ => {}
        }
        Ok(&self.s[start..self.pos])
    }

    /// A number token converted as the parser's `number` (`ParseInt(s, 0, 64)` or `ParseFloat`).
    pub(super) fn number(&mut self) -> Result<f64, String> {
        let text = self.scan_number()?.to_string();
        parse_number(&text).ok_or_else(|| self.err(&format!("error parsing number {text:?}")))
    }

    /// An unsigned repetition count (`x<uint>`).
    pub(super) fn uint(&mut self) -> Result<u64, String> {
        let text = self.scan_number()?.to_string();
        text.parse::<u64>().map_err(|_| self.err(&format!("invalid repetition in series values: {text:?}")))
    }

    /// A word of letters, digits, `_` and `:`, as the lexer's `lexKeywordOrIdentifier`.
    pub(super) fn word(&mut self) -> &str {
        self.take_while(|b| is_alnum(b) || b == b':')
    }

    /// A quoted string token (`"..."`, `'...'` or `` `...` ``) decoded.
    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let Some(q) = self.peek() else { return Err(self.err("expected a quoted string")) };
        if !matches!(q, b'"' | b'\'' | b'`') {
            return Err(self.err("expected a quoted string"));
        }
        self.pos += 1;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated quoted string")),
                Some(b'\\') if q != b'`' => self.pos += 2,
                Some(b) if b == q => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        let end = self.pos.min(self.s.len());
        unquote(&self.s[start..end], false).map_err(|e| self.err(&e))
    }
}

pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

pub(super) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Keywords the lexer gives their own token and the grammar does not take as a metric name.
const NOT_METRIC_NAMES: [&str; 8] =
    ["atan2", "on", "ignoring", "group_left", "group_right", "bool", "inf", "nan"];

fn parse_metric(c: &mut Cursor<'_>) -> Result<Labels, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut name: Option<String> = None;
    match c.peek() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {
            let w = c.word().to_string();
            if NOT_METRIC_NAMES.contains(&w.to_ascii_lowercase().as_str()) {
                return Err(format!("unexpected keyword {w:?} as metric name"));
            }
            name = Some(w);
        }
        Some(b'{') => {}
        _ => return Err(c.err("expected a metric name or label set")),
    }
    if c.eat(b'{') {
        parse_label_set(c, &mut pairs)?;
    }
    if let Some(n) = name {
        pairs.retain(|(k, _)| k != METRIC_NAME);
        pairs.push((METRIC_NAME.to_string(), n));
    }
    Labels::from_pairs(pairs).map_err(|e| format!("invalid label set: {e}"))
}

/// The inside of `{...}` after the opening brace: `name="value"` or a quoted metric name,
/// separated by commas, an optional trailing comma.
fn parse_label_set(c: &mut Cursor<'_>, pairs: &mut Vec<(String, String)>) -> Result<(), String> {
    loop {
        c.skip_spaces();
        if c.eat(b'}') {
            return Ok(());
        }
        let label_name = match c.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => c.take_while(is_alnum).to_string(),
            Some(b'"' | b'\'' | b'`') => c.string()?,
            _ => return Err(c.err("unexpected character in label set, expected a label name or \"}\"")),
        };
        c.skip_spaces();
        if c.eat(b'=') {
            c.skip_spaces();
            if matches!(c.peek(), Some(b'~')) {
                return Err(c.err("label matchers are not allowed in series descriptions"));
            }
            let value = c.string()?;
            pairs.push((label_name, value));
        } else {
            // A lone quoted string is the metric name.
            pairs.push((METRIC_NAME.to_string(), label_name));
        }
        c.skip_spaces();
        if c.eat(b',') {
            continue;
        }
        if c.eat(b'}') {
            return Ok(());
        }
        return Err(c.err("expected \",\" or \"}\" in label set"));
    }
}

/// One item of the value sequence, expanded into `out`.
fn parse_item(c: &mut Cursor<'_>, out: &mut Vec<SequenceValue>) -> Result<(), String> {
    if c.peek() == Some(b'{') && c.peek_at(1) == Some(b'{') {
        return parse_histogram_item(c, out);
    }
    if c.eat(b'_') {
        if c.eat(b'x') {
            let n = repeat_count(c)?;
            out.extend(std::iter::repeat_n(SequenceValue::Omitted, n as usize));
        } else {
            out.push(SequenceValue::Omitted);
        }
        return end_of_item(c);
    }
    let mut value = series_value(c)?;
    match c.peek() {
        Some(b'x') => {
            c.pos += 1;
            let n = repeat_count(c)?;
            // The additional value is for time 0.
            out.extend(std::iter::repeat_n(SequenceValue::Float(value), n as usize + 1));
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            let inc = unsigned_number(c)?;
            let inc = if sign == b'-' { -inc } else { inc };
            if !c.eat(b'x') {
                return Err(c.err("expected \"x\" and a repetition count after the increment"));
            }
            let n = repeat_count(c)?;
            for _ in 0..=n {
                out.push(SequenceValue::Float(value));
                value += inc;
            }
        }
        _ => out.push(SequenceValue::Float(value)),
    }
    end_of_item(c)
}

fn repeat_count(c: &mut Cursor<'_>) -> Result<u64, String> {
    let n = c.uint()?;
    if n > MAX_REPEAT {
        return Err(c.err(&format!("repetition count {n} is larger than {MAX_REPEAT}")));
    }
    Ok(n)
}

fn end_of_item(c: &Cursor<'_>) -> Result<(), String> {
    match c.peek() {
        None => Ok(()),
        Some(b) if is_space(b) => Ok(()),
        Some(_) => Err(c.err("unexpected character in series values")),
    }
}

/// `series_value`: a number with optional sign, `Inf`/`NaN`, or `stale`.
fn series_value(c: &mut Cursor<'_>) -> Result<f64, String> {
    match c.peek() {
        Some(b'+') => {
            c.pos += 1;
            unsigned_number(c)
        }
        Some(b'-') => {
            c.pos += 1;
            unsigned_number(c).map(|v| -v)
        }
        Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b':' => {
            let start = c.pos;
            let w = c.word().to_string();
            if w == "stale" {
                return Ok(stale_nan());
            }
            c.pos = start;
            unsigned_number(c)
        }
        _ => unsigned_number(c),
    }
}

/// `number`: digits, or the words `Inf`/`NaN` (any case).
pub(super) fn unsigned_number(c: &mut Cursor<'_>) -> Result<f64, String> {
    match c.peek() {
        Some(b) if b.is_ascii_digit() => c.number(),
        Some(b'.') if c.peek_at(1).is_some_and(|b| b.is_ascii_digit()) => c.number(),
        Some(b) if b.is_ascii_alphabetic() => {
            let start = c.pos;
            let w = c.word().to_ascii_lowercase();
            match w.as_str() {
                "inf" => Ok(f64::INFINITY),
                "nan" => Ok(f64::NAN),
                _ => {
                    c.pos = start;
                    Err(c.err("unexpected word in series values, expected a number or \"stale\""))
                }
            }
        }
        _ => Err(c.err("expected a number")),
    }
}

fn parse_histogram_item(c: &mut Cursor<'_>, out: &mut Vec<SequenceValue>) -> Result<(), String> {
    let base = parse_histogram_literal(c)?;
    match c.peek() {
        Some(b'x') => {
            c.pos += 1;
            let n = repeat_count(c)?;
            let v = base.into_value();
            out.extend(std::iter::repeat_n(v, n as usize + 1));
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            if !(c.peek() == Some(b'{') && c.peek_at(1) == Some(b'{')) {
                return Err(c.err("expected a histogram after \"+\" or \"-\""));
            }
            let inc = parse_histogram_literal(c)?;
            if !c.eat(b'x') {
                return Err(c.err("expected \"x\" and a repetition count after the histogram increment"));
            }
            let n = repeat_count(c)?;
            histograms_series(base, inc, n, sign == b'-', out).map_err(|e| c.err(&e))?;
        }
        _ => out.push(base.into_value()),
    }
    end_of_item(c)
}

/// Prometheus's `histogramsSeries`: the base, then `n` times the previous value plus (or minus)
/// the increment. Every value takes the increment's "hint given" flag, as in Prometheus.
fn histograms_series(
    base: HistogramLiteral,
    inc: HistogramLiteral,
    n: u64,
    subtract: bool,
    out: &mut Vec<SequenceValue>,
) -> Result<(), String> {
    let hint_set = inc.counter_reset_hint_set;
    out.push(SequenceValue::Histogram {
        histogram: base.histogram.clone(),
        counter_reset_hint_set: hint_set,
    });
    let mut cur = base.histogram;
    for _ in 0..n {
        if cur.schema > inc.histogram.schema {
            return Err(format!(
                "error combining histograms: cannot merge from schema {} to {}",
                inc.histogram.schema, cur.schema
            ));
        }
        let mut next = cur.clone();
        let added = if subtract { next.sub(&inc.histogram) } else { next.add(&inc.histogram) };
        added.map_err(|e| e.to_string())?;
        out.push(SequenceValue::Histogram { histogram: next.clone(), counter_reset_hint_set: hint_set });
        cur = next;
    }
    Ok(())
}
