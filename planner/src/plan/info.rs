//! `info(v, {selector})`: planned as an [`Info`] node over `v`.
//!
//! The second argument is a label selector, not a series selector: `{data=~".*"}` is valid
//! there, while promql-parser refuses a selector whose matchers all match the empty string. A
//! lexical pre-pass ([`mark_label_selectors`]) adds a matcher of our own to such an argument,
//! which planning takes out again.

use datafusion_expr::LogicalPlan;
use promql_parser::parser::{Call as CallExpr, Expr};

use super::lex::{skip_comment, skip_quoted};
use super::selector::{at_ms, offset_ms, selector};
use super::{extension, plan_expr, strip_parens};
use crate::error::{PlanError, Result};
use crate::node::{Info, Selector, SelectorModifier};
use crate::options::PlanOptions;

pub(crate) fn plan_info(c: &CallExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let Some(v) = c.args.args.first() else {
        return Err(PlanError::Invalid("expected at least 1 argument(s) in call to \"info\", got 0".into()));
    };
    let (data_matchers, has_selector) = match c.args.args.get(1).map(|a| strip_parens(a)) {
        None => (Vec::new(), false),
        Some(Expr::VectorSelector(vs)) => {
            let mut m = selector(vs, opts)?.matchers;
            m.retain(|m| m.name != MARKER);
            (m, true)
        }
        Some(_) => return Err(PlanError::Invalid("info's second argument must be a label selector".into())),
    };
    let (at_ms, offset_ms) = reference_time(v, opts);
    let reference = Selector {
        matchers: Vec::new(),
        offset_ms,
        at_ms,
        histogram_stats: false,
        modifier: SelectorModifier::None,
    };
    Ok(extension(Info {
        input: plan_expr(v, opts)?,
        data_matchers,
        has_selector,
        reference,
        lookback_ms: opts.lookback_ms,
        steps: opts.steps,
    }))
}

/// The `@` and offset that govern the info series (Prometheus's `infoSelectTimestampAndOffset`):
/// those of the first vector selector in `v`, with the offsets of the subqueries around it added
/// until one of them (or the selector) has an `@`.
fn reference_time(v: &Expr, opts: &PlanOptions) -> (Option<i64>, i64) {
    fn walk<'a>(e: &'a Expr, path: &mut Vec<&'a Expr>, opts: &PlanOptions) -> Option<(Option<i64>, i64)> {
        let vs = match e {
            Expr::VectorSelector(vs) => Some(vs),
            Expr::MatrixSelector(ms) => Some(&ms.vs),
            _ => None,
        };
        if let Some(vs) = vs {
            let mut at = at_ms(vs.at.as_ref(), opts);
            let mut offset = offset_ms(vs.offset.as_ref());
            for outer in path.iter().rev() {
                if at.is_some() {
                    break;
                }
                if let Expr::Subquery(sq) = outer {
                    offset += offset_ms(sq.offset.as_ref());
                    at = at_ms(sq.at.as_ref(), opts);
                }
            }
            return Some((at, offset));
        }
        path.push(e);
        let found = match e {
            Expr::Paren(p) => walk(&p.expr, path, opts),
            Expr::Unary(u) => walk(&u.expr, path, opts),
            Expr::Subquery(s) => walk(&s.expr, path, opts),
            Expr::Call(c) => c.args.args.iter().find_map(|a| walk(a, path, opts)),
            Expr::Aggregate(a) => {
                a.param.as_deref().and_then(|p| walk(p, path, opts)).or_else(|| walk(&a.expr, path, opts))
            }
            Expr::Binary(b) => walk(&b.lhs, path, opts).or_else(|| walk(&b.rhs, path, opts)),
            Expr::Extension(x) => x.expr.children().iter().find_map(|c| walk(c, path, opts)),
            _ => None,
        };
        path.pop();
        found
    }
    walk(v, &mut Vec::new(), opts).unwrap_or((None, 0))
}

/// The matcher [`mark_label_selectors`] adds.
const MARKER: &str = "__quiver_info_selector__";

/// `text` with a matcher of ours added to the braces of every `info` call's second argument.
pub(crate) fn mark_label_selectors(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut inserts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => i = skip_comment(b, i),
            b'"' | b'\'' | b'`' => i = skip_quoted(b, i),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = i + b[i..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b':')
                    .count();
                let open = end + b[end..].iter().take_while(|c| c.is_ascii_whitespace()).count();
                if &text[i..end] == "info"
                    && b.get(open) == Some(&b'(')
                    && let Some(at) = second_arg_brace_end(b, open)
                {
                    inserts.push(at);
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + inserts.len() * 40);
    let mut copied = 0;
    for at in inserts {
        out.push_str(&text[copied..at]);
        let empty = text[..at].trim_end().ends_with('{');
        out.push_str(&format!("{}{MARKER}=\"1\"", if empty { "" } else { ", " }));
        copied = at;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// For the call whose `(` is at `open`: where the `}` of its second argument is, if that argument
/// is a `{...}` selector.
fn second_arg_brace_end(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' | b'`' => {
                i = skip_quoted(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return None;
                }
            }
            b',' if depth == 1 => {
                let start = i + 1 + b[i + 1..].iter().take_while(|c| c.is_ascii_whitespace()).count();
                if b.get(start) != Some(&b'{') {
                    return None;
                }
                let mut j = start + 1;
                while j < b.len() {
                    match b[j] {
                        b'"' | b'\'' | b'`' => j = skip_quoted(b, j),
                        b'}' => return Some(j),
                        _ => j += 1,
                    }
                }
                return None;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::mark_label_selectors;

    #[test]
    fn info_label_selectors_get_a_matcher() {
        assert_eq!(
            mark_label_selectors(r#"info(m, {data=~".*"})"#).as_deref(),
            Some(r#"info(m, {data=~".*", __quiver_info_selector__="1"})"#)
        );
        assert_eq!(
            mark_label_selectors("info(m, {})").as_deref(),
            Some(r#"info(m, {__quiver_info_selector__="1"})"#)
        );
        assert_eq!(
            mark_label_selectors(r#"info(rate(x{a="}"}[5m]), {b=""}) + info(y)"#).as_deref(),
            Some(r#"info(rate(x{a="}"}[5m]), {b="", __quiver_info_selector__="1"}) + info(y)"#)
        );
        for q in ["info(m)", "sum(info)", r#"x{a="info(m, {})"}"#, "info(m, x)"] {
            assert_eq!(mark_label_selectors(q), None, "{q}");
        }
    }
}
