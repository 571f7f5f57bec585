//! An [`AtModifierRewriter`](super::AtModifierRewriter) built on `promql-parser`, for promqltest's
//! step-invariance runs (`atModifierTestCases`): every vector selector, matrix selector and
//! subquery without an `@ <time>` gets `@ <eval time>` (selectors inside a subquery that has one
//! are left alone), and queries calling a function whose result depends on the evaluation time
//! are not re-run.
//!
//! The expression is printed back with `promql-parser`'s `Display`, which follows Prometheus's
//! `expr.String()` closely but not to the character, so annotation positions after the first
//! selector can differ from Prometheus's (the corpus matches those with `regex:`). Queries
//! `promql-parser` cannot parse, and negative evaluation times, are not re-run.

use std::time::{Duration, SystemTime};

use promql_parser::parser::{AtModifier, Expr, parse};

use crate::functions::AT_MODIFIER_UNSAFE_FUNCTIONS;

/// Rewrites `query` with `@ <t_ms / 1000>` on every selector and subquery, as promqltest does
/// before re-running an instant query at other times. `Ok(None)`: do not re-run this query.
pub fn promql_parser_at_rewriter(query: &str, t_ms: i64) -> Result<Option<String>, String> {
    let Ok(t) = u64::try_from(t_ms) else { return Ok(None) };
    let Ok(mut expr) = parse(query) else { return Ok(None) };
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(t);
    let mut unsafe_call = false;
    set_at(&mut expr, &at, false, &mut unsafe_call);
    Ok(if unsafe_call { None } else { Some(go_strings(query, &go_infinity(&expr.to_string()))) })
}

/// Go prints positive infinity as `+Inf` where promql-parser prints `Inf`; positions in
/// annotations of the re-run query depend on it.
fn go_infinity(printed: &str) -> String {
    let mut out = String::with_capacity(printed.len() + 4);
    let mut last = 0;
    let end = std::iter::once((printed.len(), printed.len()));
    for (a, b) in string_literals(printed).into_iter().chain(end) {
        let code = &printed[last..a];
        let mut word_start = None;
        for (k, c) in code.char_indices().chain(std::iter::once((code.len(), ' '))) {
            let in_word = c.is_ascii_alphanumeric() || c == '_' || c == ':';
            match (in_word, word_start) {
                (true, None) => word_start = Some(k),
                (false, Some(w)) => {
                    let signed = w > 0 && matches!(code.as_bytes()[w - 1], b'-' | b'+');
                    if &code[w..k] == "Inf" && !signed {
                        out.push('+');
                    }
                    out.push_str(&code[w..k]);
                    word_start = None;
                }
                _ => {}
            }
            if !in_word && k < code.len() {
                out.push(c);
            }
        }
        out.push_str(&printed[a..b]);
        last = b;
    }
    out
}

/// promql-parser prints a string that Go would hold as bytes that are not UTF-8 (`"\xff"`) as
/// the characters it decoded them to; Go prints the bytes back. Such literals are restored from
/// the original query (literals keep their order when printed).
fn go_strings(original: &str, printed: &str) -> String {
    let (orig, out) = (string_literals(original), string_literals(printed));
    if orig.len() != out.len() {
        return printed.to_string();
    }
    let mut s = String::with_capacity(printed.len());
    let mut last = 0;
    for ((oa, ob), (pa, pb)) in orig.into_iter().zip(out) {
        let raw = &original.as_bytes()[oa..ob];
        if let Some(bytes) = quiver_planner::span::go_unquote(raw)
            && std::str::from_utf8(&bytes).is_err()
        {
            s.push_str(&printed[last..pa]);
            s.push_str(&quiver_proto::go_quote_bytes(&bytes));
            last = pb;
        }
    }
    s.push_str(&printed[last..]);
    s
}

/// Byte ranges of the string literals of a query, quotes included.
fn string_literals(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'' | b'`') => {
                let start = i;
                i += 1;
                while i < b.len() && b[i] != q {
                    i += if b[i] == b'\\' && q != b'`' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                out.push((start, i));
            }
            _ => i += 1,
        }
    }
    out
}

fn needs_at(at: &Option<AtModifier>) -> bool {
    // Prometheus only looks at the numeric timestamp: `@ start()` / `@ end()` are replaced too.
    !matches!(at, Some(AtModifier::At(_)))
}

fn set_at(expr: &mut Expr, at: &SystemTime, inside_at_subquery: bool, unsafe_call: &mut bool) {
    if inside_at_subquery {
        // Below a subquery with `@`: nothing is changed or checked.
        return;
    }
    match expr {
        Expr::VectorSelector(vs) => {
            if needs_at(&vs.at) {
                vs.at = Some(AtModifier::At(*at));
            }
        }
        Expr::MatrixSelector(ms) => {
            if needs_at(&ms.vs.at) {
                ms.vs.at = Some(AtModifier::At(*at));
            }
        }
        Expr::Subquery(sq) => {
            if needs_at(&sq.at) {
                sq.at = Some(AtModifier::At(*at));
            }
            set_at(&mut sq.expr, at, true, unsafe_call);
        }
        Expr::Call(call) => {
            *unsafe_call |= AT_MODIFIER_UNSAFE_FUNCTIONS.contains(&call.func.name);
            for arg in &mut call.args.args {
                set_at(arg, at, false, unsafe_call);
            }
        }
        Expr::Aggregate(agg) => {
            if let Some(param) = &mut agg.param {
                set_at(param, at, false, unsafe_call);
            }
            set_at(&mut agg.expr, at, false, unsafe_call);
        }
        Expr::Binary(b) => {
            set_at(&mut b.lhs, at, false, unsafe_call);
            set_at(&mut b.rhs, at, false, unsafe_call);
        }
        Expr::Unary(u) => set_at(&mut u.expr, at, false, unsafe_call),
        Expr::Paren(p) => set_at(&mut p.expr, at, false, unsafe_call),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_at_to_selectors_and_subqueries() {
        let r = |q: &str, t: i64| promql_parser_at_rewriter(q, t);
        assert_eq!(r("sum(foo)", 10_000), Ok(Some("sum(foo @ 10.000)".to_string())));
        assert_eq!(
            r("rate(foo[5m] offset 1m) + bar @ 5", 1_500),
            Ok(Some("rate(foo[5m] @ 1.500 offset 1m) + bar @ 5.000".to_string()))
        );
        assert_eq!(
            r("max_over_time(rate(x[1m])[5m:1m])", 0),
            Ok(Some("max_over_time(rate(x[1m])[5m:1m] @ 0.000)".to_string()))
        );
        assert_eq!(r("time() + foo", 10), Ok(None));
        assert_eq!(r("timestamp(foo)", 10), Ok(None));
        // Calls below a subquery with `@` are not looked at, as in Prometheus.
        assert_eq!(
            r("sum_over_time(vector(time())[5m:1m])", 10),
            Ok(Some("sum_over_time(vector(time())[5m:1m] @ 0.010)".to_string()))
        );
        assert_eq!(r("foo", -1), Ok(None));
        assert_eq!(r("foo{", 1), Ok(None));
    }

    #[test]
    fn strings_go_holds_as_bytes_are_printed_back_as_bytes() {
        let q = r#"label_replace(m, "\xff", "a\"b", 'src', "(.*)")"#;
        assert_eq!(
            promql_parser_at_rewriter(q, 0),
            Ok(Some(r#"label_replace(m @ 0.000, "\xff", "a\"b", "src", "(.*)")"#.to_string()))
        );
    }

    #[test]
    fn positive_infinity_is_printed_as_go_does() {
        assert_eq!(
            go_infinity(r#"histogram_fraction(-Inf, Inf, x{le="Inf"} @ 1.000)"#),
            r#"histogram_fraction(-Inf, +Inf, x{le="Inf"} @ 1.000)"#
        );
        assert_eq!(go_infinity("Info + Inf2 + +Inf"), "Info + Inf2 + +Inf");
        assert_eq!(go_infinity("x{a=\"é\\\"Inf\"} Inf"), "x{a=\"é\\\"Inf\"} +Inf");
    }
}
