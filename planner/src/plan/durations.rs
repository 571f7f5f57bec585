//! Duration expressions (Prometheus's `promql-duration-expr`): arithmetic, `step()`, `range()`,
//! `min_of`/`max_of` where a duration goes, as in `x[5m+1m]`, `x[1h:step()*2]` or
//! `x offset -step()`. promql-parser 0.11 only takes duration literals there.
//!
//! A lexical pre-pass ([`rewrite`]) evaluates each such expression (Prometheus's
//! `durationVisitor`: numbers are seconds, `step()` the query's step, `range()` its end minus its
//! start, both 0 for an instant query) and writes the literal in its place, padded with spaces
//! to keep the positions of the text after it wherever the literal is not longer. Inside `[...]`
//! a whole expression is read; after `offset` only one term (a literal, `( ... )`, or a function,
//! each with a sign), as in Prometheus: `x offset 1m * 2` multiplies the selected values.

use super::lex::{offset_term_end, skip_comment, skip_quoted, skip_ws, word_end};
use crate::error::{PlanError, Result};

/// What `step()` and `range()` stand for, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct DurationContext {
    pub(crate) step_s: f64,
    pub(crate) range_s: f64,
}

impl DurationContext {
    /// `step()` and `range()` of a query: 0 for an instant query (one step at `start == end`).
    pub(crate) fn of(steps: &crate::EvalSteps) -> Self {
        let instant = steps.start == steps.end && steps.step <= 1;
        Self {
            step_s: if instant { 0.0 } else { steps.step as f64 / 1000.0 },
            range_s: (steps.end - steps.start) as f64 / 1000.0,
        }
    }
}

/// The rewritten text, and the offset of the first expression that needs the feature flag
/// (anything beyond a plain number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewritten {
    pub(crate) text: String,
    pub(crate) experimental_at: Option<usize>,
}

pub(crate) fn rewrite(query: &str, ctx: DurationContext) -> Result<Rewritten> {
    let b = query.as_bytes();
    let mut out = String::with_capacity(query.len());
    let mut experimental_at = None;
    let (mut i, mut copied, mut braces) = (0, 0, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => i = skip_comment(b, i),
            b'"' | b'\'' | b'`' => i = skip_quoted(b, i),
            b'{' => {
                braces += 1;
                i += 1;
            }
            b'}' => {
                braces = braces.saturating_sub(1);
                i += 1;
            }
            b'[' if braces == 0 => {
                let close = b[i..].iter().position(|&c| c == b']').map_or(b.len(), |p| i + p);
                let mut start = i + 1;
                // A range, or a subquery's range and step, each one duration expression.
                for part in split_top_level(&query[start..close]) {
                    let end = start + part.len();
                    if needs_rewrite(part) {
                        let (ms, experimental) = evaluate(part, ctx, false)?;
                        if experimental {
                            experimental_at.get_or_insert(start);
                        }
                        out.push_str(&query[copied..start]);
                        push_padded(&mut out, &format_ms(ms), part.len());
                        copied = end;
                    }
                    start = end + 1;
                }
                i = close;
            }
            c if braces == 0 && is_ident_start(c) => {
                let end = word_end(b, i);
                if query[i..end].eq_ignore_ascii_case("offset") {
                    let atom_start = skip_ws(b, end);
                    let atom_end = offset_term_end(b, atom_start);
                    let atom = &query[atom_start..atom_end];
                    if atom_end > atom_start && needs_offset_rewrite(atom) {
                        let (ms, experimental) = evaluate(atom, ctx, true)?;
                        if experimental {
                            experimental_at.get_or_insert(atom_start);
                        }
                        if ms == 0 {
                            // promql-parser refuses `offset 0s`; no offset is the same.
                            out.push_str(&query[copied..i]);
                            push_padded(&mut out, "", atom_end - i);
                        } else {
                            out.push_str(&query[copied..atom_start]);
                            push_padded(&mut out, &format_ms(ms), atom.len());
                        }
                        copied = atom_end;
                    }
                    i = atom_end.max(end);
                } else {
                    i = end;
                }
            }
            _ => i += 1,
        }
    }
    out.push_str(&query[copied..]);
    Ok(Rewritten { text: out, experimental_at })
}

fn push_padded(out: &mut String, literal: &str, width: usize) {
    out.push_str(literal);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(literal.len())));
}

/// `a:b` at its top-level colon (none inside parentheses).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut depth = 0i32;
    for (k, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => return vec![&s[..k], &s[k + 1..]],
            _ => {}
        }
    }
    vec![s]
}

/// Whether a range or step is more than a duration literal promql-parser takes (`5m`, `1h30m`).
fn needs_rewrite(part: &str) -> bool {
    let t = part.trim();
    !t.is_empty() && !is_unit_duration(t)
}

/// After `offset`: a signed unit duration (`-5m`) is promql-parser's; anything else is ours.
fn needs_offset_rewrite(atom: &str) -> bool {
    let t = atom.trim().trim_start_matches(['-', '+']).trim_start();
    !is_unit_duration(t) || atom.trim().starts_with('+')
}

/// `5m`, `1h30m`, `500ms`: digits and units, at least one unit.
fn is_unit_duration(t: &str) -> bool {
    parse_unit_duration(t).is_some()
}

/// Seconds of a duration literal with units, as Prometheus's `ParseDuration` reads it.
fn parse_unit_duration(t: &str) -> Option<f64> {
    let b = t.as_bytes();
    let (mut i, mut total, mut units) = (0, 0.0, 0);
    while i < b.len() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n: f64 = t[start..i].parse().ok()?;
        let unit_start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        let secs = match &t[unit_start..i] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 604_800.0,
            "y" => 31_536_000.0,
            _ => return None,
        };
        total += n * secs;
        units += 1;
    }
    (units > 0).then_some(total)
}

/// Evaluates a duration expression: milliseconds, and whether it used more than a number.
fn evaluate(text: &str, ctx: DurationContext, negative_ok: bool) -> Result<(i64, bool)> {
    let mut p = Parser { s: text.as_bytes(), i: 0, ctx, experimental: false };
    let v = p.expr()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.error("unexpected character in duration expression"));
    }
    if v.is_nan() || v.is_infinite() {
        return Err(PlanError::Parse(format!("duration is NaN or infinite: {}", text.trim())));
    }
    if v <= 0.0 && !negative_ok {
        return Err(PlanError::Parse(format!("duration must be greater than 0: {}", text.trim())));
    }
    if v.abs() > (1u64 << 63) as f64 / 1e9 {
        return Err(PlanError::Parse(format!("duration is out of range: {}", text.trim())));
    }
    // Go: time.Duration(duration*1000) * time.Millisecond, truncating.
    Ok(((v * 1000.0).trunc() as i64, p.experimental))
}

/// Milliseconds as the shortest duration literal (`30m`, `1m30s`, `1s500ms`, `-2s`, `0s`).
fn format_ms(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut rest = ms.unsigned_abs();
    let mut out = String::from(if ms < 0 { "-" } else { "" });
    for (unit, size) in
        [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
    {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Prometheus's duration grammar: `+ -` below `* / %` below unary signs below `^` (right
/// associative); terms are numbers (seconds), duration literals, `( ... )`, `step()`, `range()`,
/// `min_of(a, b)` and `max_of(a, b)`.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    ctx: DurationContext,
    experimental: bool,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> PlanError {
        PlanError::Parse(format!("{what}: {}", String::from_utf8_lossy(self.s).trim()))
    }

    fn ws(&mut self) {
        self.i = skip_ws(self.s, self.i);
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            return true;
        }
        false
    }

    fn expr(&mut self) -> Result<f64> {
        let mut v = self.product()?;
        loop {
            if self.eat(b'+') {
                self.experimental = true;
                v += self.product()?;
            } else if self.eat(b'-') {
                self.experimental = true;
                v -= self.product()?;
            } else {
                return Ok(v);
            }
        }
    }

    fn product(&mut self) -> Result<f64> {
        let mut v = self.unary()?;
        loop {
            if self.eat(b'*') {
                self.experimental = true;
                v *= self.unary()?;
            } else if self.eat(b'/') {
                self.experimental = true;
                let d = self.unary()?;
                if d == 0.0 {
                    return Err(self.error("division by zero"));
                }
                v /= d;
            } else if self.eat(b'%') {
                self.experimental = true;
                let d = self.unary()?;
                if d == 0.0 {
                    return Err(self.error("modulo by zero"));
                }
                v %= d;
            } else {
                return Ok(v);
            }
        }
    }

    fn unary(&mut self) -> Result<f64> {
        if self.eat(b'-') {
            return Ok(-self.unary()?);
        }
        if self.eat(b'+') {
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<f64> {
        let base = self.term()?;
        if self.eat(b'^') {
            self.experimental = true;
            return Ok(base.powf(self.unary()?));
        }
        Ok(base)
    }

    fn term(&mut self) -> Result<f64> {
        self.ws();
        if self.eat(b'(') {
            self.experimental = true;
            let v = self.expr()?;
            return if self.eat(b')') {
                Ok(v)
            } else {
                Err(self.error("missing `)` in duration expression"))
            };
        }
        let start = self.i;
        let Some(&c) = self.s.get(start) else { return Err(self.error("missing duration")) };
        if is_ident_start(c) {
            let end = word_end(self.s, start);
            let name = String::from_utf8_lossy(&self.s[start..end]).to_ascii_lowercase();
            self.i = end;
            self.experimental = true;
            if !self.eat(b'(') {
                return Err(self.error(&format!("unexpected {name:?} in duration expression")));
            }
            let v = match name.as_str() {
                "step" => self.ctx.step_s,
                "range" => self.ctx.range_s,
                "min_of" | "max_of" => {
                    let a = self.expr()?;
                    if !self.eat(b',') {
                        return Err(self.error(&format!("{name} takes two durations")));
                    }
                    let b = self.expr()?;
                    if name == "min_of" { a.min(b) } else { a.max(b) }
                }
                _ => return Err(self.error(&format!("unknown duration function {name}"))),
            };
            return if self.eat(b')') {
                Ok(v)
            } else {
                Err(self.error("missing `)` in duration expression"))
            };
        }
        let end = word_end(self.s, start);
        let text = String::from_utf8_lossy(&self.s[start..end]).to_string();
        self.i = end;
        match parse_unit_duration(&text) {
            Some(secs) => Ok(secs),
            None => text.parse::<f64>().map_err(|_| self.error(&format!("bad duration {text:?}"))),
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(q: &str, step_s: f64) -> String {
        rewrite(q, DurationContext { step_s, range_s: 10.0 }).unwrap().text
    }

    #[test]
    fn expressions_become_literals_in_place() {
        // Compared without spaces; the padding is checked below.
        for (q, want, step) in [
            ("changes(x[26m+4m])", "changes(x[30m])", 0.0),
            ("changes(x[1800])", "changes(x[30m])", 0.0),
            ("x[2m*(10+5)]", "x[30m]", 0.0),
            ("x[30m1s-30m1s % 1m]", "x[30m]", 0.0),
            ("x[29s+1s:5s+5s]", "x[30s:10s]", 0.0),
            ("x[1m:]", "x[1m:]", 0.0),
            ("x offset (100 + 2)", "xoffset1m42s", 0.0),
            // One term only after `offset`; the rest is the query's own arithmetic.
            ("x offset 100 + 2", "xoffset1m40s+2", 0.0),
            ("x offset -2 ^ 2", "xoffset-2s^2", 0.0),
            ("x offset -step()*2", "xoffset-5s*2", 5.0),
            ("x offset -(min_of(step(), 2s)-5)+8000", "xoffset3s+8000", 5.0),
            ("x offset (-2 ^ 2)", "xoffset-4s", 0.0),
            ("x[range()]", "x[10s]", 0.0),
            ("x offset step()*0", "x*0", 0.0),
        ] {
            assert_eq!(rw(q, step).replace(' ', ""), want, "{q}");
        }
        assert_eq!(rw("changes(x[26m+4m]) + y", 0.0), "changes(x[30m   ]) + y");
        // Untouched: literals promql-parser reads, strings, label names, comments.
        for q in ["x[5m] offset -1h30m", r#"x{offset="[1+1]"}"#, "sum by (offset) (x)", "# x[1+1]\nx"] {
            assert_eq!(rw(q, 0.0), q);
        }
    }

    #[test]
    fn bad_durations_are_errors() {
        for q in ["x[0]", "x[1m-2m]", "x[1m/0]", "x[1m % (1-1)]", "x[foo()]", "x[(1m]", "x[1m+]"] {
            assert!(rewrite(q, DurationContext::default()).is_err(), "{q}");
        }
        // Only plain numbers are not experimental.
        let ctx = DurationContext::default();
        assert_eq!(rewrite("x[60]", ctx).unwrap().experimental_at, None);
        assert_eq!(rewrite("x[1m+1m]", ctx).unwrap().experimental_at, Some(2));
    }
}
