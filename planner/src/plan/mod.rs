//! From the `promql-parser` AST to extension nodes, one module per AST kind.

mod aggregate;
mod binary;
mod call;
mod durations;
pub(crate) mod extended;
mod info;
pub(crate) mod lex;

use durations::DurationContext;
mod selector;
mod subquery;
mod trim;

pub(crate) use trim::TrimExpr;

use std::sync::Arc;

use datafusion_expr::{Extension, LogicalPlan, UserDefinedLogicalNode};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Expr, UnaryExpr};

use crate::error::{PlanError, Result};
use crate::node::{Call, F64Bits, NumberLiteral, SelectorModifier};
use crate::options::PlanOptions;
use crate::span::Spans;

/// What an expression evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    Scalar,
    Vector,
    Matrix,
    String,
}

impl From<ValueType> for ValueKind {
    fn from(v: ValueType) -> Self {
        match v {
            ValueType::Scalar => ValueKind::Scalar,
            ValueType::Vector => ValueKind::Vector,
            ValueType::Matrix => ValueKind::Matrix,
            ValueType::String => ValueKind::String,
        }
    }
}

/// A planned query: a plan and the kind of value it yields, or a bare string literal.
#[derive(Debug, Clone)]
pub enum Planned {
    Plan { plan: LogicalPlan, kind: ValueKind },
    String(String),
}

/// The longest query text planned; longer ones fail before they are parsed.
pub const MAX_QUERY_BYTES: usize = 1 << 20;

/// The deepest expression planned (`1+1+...+1` with this many operators, or as many nested
/// parentheses): evaluation recurses once per level, and the query threads' stacks are sized
/// for it (see the engine's executor). Deeper ones fail with an error before they are planned.
pub const MAX_EXPRESSION_DEPTH: usize = 5000;

/// Parses and plans a query.
pub fn plan_query(text: &str, opts: &PlanOptions) -> Result<Planned> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(PlanError::TooComplex(format!(
            "query is {} bytes long, more than the {MAX_QUERY_BYTES} Quiver evaluates",
            text.len()
        )));
    }
    if opts.query_steps.len() as u64 > opts.max_points {
        return Err(PlanError::TooManySteps);
    }
    check_nesting(text)?;
    let (expr, found) = parse(text, DurationContext::of(&opts.query_steps))?;
    check_depth(&expr)?;
    if let Some(off) = found.duration_expression
        && !opts.features.duration_expressions
    {
        return Err(crate::parse_error::error_at(
            text,
            off,
            "experimental duration expression is not enabled",
        ));
    }
    let spans = Spans::locate(text, &expr);
    extended::check(text, &found.modifiers, &spans, opts.features.extended_range_selectors)?;
    let opts = PlanOptions { spans: Arc::new(spans), ..opts.clone() };
    plan_top(&expr, &opts)
}

fn too_deep(depth: usize) -> PlanError {
    PlanError::TooComplex(format!(
        "query is nested {depth} levels deep, more than the {MAX_EXPRESSION_DEPTH} Quiver evaluates"
    ))
}

/// Brackets nested deeper than the depth limit, found in the text before the parser (which
/// recurses on them) sees it. Brackets inside strings count too: a conservative test.
fn check_nesting(text: &str) -> Result<()> {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_EXPRESSION_DEPTH {
                    return Err(too_deep(depth));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// The parsed expression's depth against the limit, walked without recursion (chains of binary
/// operators nest without brackets).
fn check_depth(expr: &Expr) -> Result<()> {
    let mut stack: Vec<(&Expr, usize)> = vec![(expr, 1)];
    while let Some((e, d)) = stack.pop() {
        if d > MAX_EXPRESSION_DEPTH {
            return Err(too_deep(d));
        }
        match e {
            Expr::Paren(p) => stack.push((&p.expr, d + 1)),
            Expr::Unary(u) => stack.push((&u.expr, d + 1)),
            Expr::Subquery(s) => stack.push((&s.expr, d + 1)),
            Expr::Call(c) => stack.extend(c.args.args.iter().map(|a| (a.as_ref(), d + 1))),
            Expr::Aggregate(a) => {
                stack.push((&a.expr, d + 1));
                if let Some(p) = a.param.as_deref() {
                    stack.push((p, d + 1));
                }
            }
            Expr::Binary(b) => {
                stack.push((&b.lhs, d + 1));
                stack.push((&b.rhs, d + 1));
            }
            Expr::Extension(x) => {
                for c in x.expr.children() {
                    stack.push((c, d + 1));
                }
            }
            Expr::VectorSelector(_)
            | Expr::MatrixSelector(_)
            | Expr::NumberLiteral(_)
            | Expr::StringLiteral(_) => {}
        }
    }
    Ok(())
}

/// What the lexical pre-passes found in the text that promql-parser does not see.
#[derive(Debug, Default)]
pub(crate) struct PrePassed {
    /// The `anchored`/`smoothed` keywords blanked out, by offset.
    modifiers: Vec<(usize, SelectorModifier)>,
    /// Where the first duration expression beyond a plain number is.
    duration_expression: Option<usize>,
}

/// How many series selectors a query holds (what Prometheus's `parser.ExtractSelectors` finds),
/// or its parse error.
pub fn selector_count(text: &str) -> Result<usize> {
    fn count(e: &Expr) -> usize {
        match e {
            Expr::VectorSelector(_) | Expr::MatrixSelector(_) => 1,
            Expr::Paren(p) => count(&p.expr),
            Expr::Unary(u) => count(&u.expr),
            Expr::Subquery(s) => count(&s.expr),
            Expr::Call(c) => c.args.args.iter().map(|a| count(a)).sum(),
            Expr::Aggregate(a) => count(&a.expr) + a.param.as_deref().map_or(0, count),
            Expr::Binary(b) => count(&b.lhs) + count(&b.rhs),
            Expr::Extension(x) => x.expr.children().iter().map(count).sum(),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => 0,
        }
    }
    Ok(count(&parse(text, DurationContext::default())?.0))
}

/// Parses PromQL; a parse error says where it is, as Prometheus's do.
fn parse(text: &str, ctx: DurationContext) -> Result<(Expr, PrePassed)> {
    match parse_unpositioned(text, ctx) {
        Err(PlanError::Parse(msg)) => {
            let reparse = |s: &str| parse_unpositioned(s, ctx).map(|_| ()).map_err(|e| e.to_string());
            Err(PlanError::Parse(crate::parse_error::describe(text, &msg, reparse)))
        }
        other => other,
    }
}

/// Parses PromQL through the lexical pre-passes (see `extended`, `durations`, `info`, `trim`),
/// returning what they found. Blanking keeps every offset, and the first duration expression is
/// found before any text is rewritten, so the findings are offsets in `text`.
pub(crate) fn parse_unpositioned(text: &str, ctx: DurationContext) -> Result<(Expr, PrePassed)> {
    let blanked = extended::scan(text);
    let rewritten = durations::rewrite(&blanked.text, ctx)?;
    let found = PrePassed { modifiers: blanked.found, duration_expression: rewritten.experimental_at };
    let marked = info::mark_label_selectors(&rewritten.text);
    let text = marked.as_deref().unwrap_or(&rewritten.text);
    let scanned = trim::scan(text)?;
    let expr = if scanned.has_trims() {
        trim::restore(parse_raw(&scanned.text)?, &scanned.ops)?
    } else {
        parse_raw(text)?
    };
    Ok((expr, found))
}

/// promql-parser panics on some malformed input (found by fuzzing: a duration too large for
/// `std::time::Duration`, as in `x[99999999999999999999999999999.7]`); a query must never take
/// the process down, so such a panic becomes a parse error.
fn parse_raw(text: &str) -> Result<Expr> {
    match std::panic::catch_unwind(|| promql_parser::parser::parse(text)) {
        Ok(parsed) => parsed.map_err(PlanError::Parse),
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "malformed query".to_string());
            Err(PlanError::Parse(format!("invalid query: {why}")))
        }
    }
}

fn plan_top(expr: &Expr, opts: &PlanOptions) -> Result<Planned> {
    match strip_parens(expr) {
        Expr::StringLiteral(s) => Ok(Planned::String(s.val.clone())),
        e => {
            let kind = ValueKind::from(e.value_type());
            if kind == ValueKind::Matrix && opts.steps.len() > 1 {
                return Err(PlanError::Invalid(
                    "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
                        .into(),
                ));
            }
            Ok(Planned::Plan { plan: plan_expr(e, opts)?, kind })
        }
    }
}

pub(crate) fn strip_parens(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

pub(crate) fn extension(node: impl UserDefinedLogicalNode + 'static) -> LogicalPlan {
    LogicalPlan::Extension(Extension { node: Arc::new(node) })
}

/// Plans one expression into a node producing samples.
pub fn plan_expr(expr: &Expr, opts: &PlanOptions) -> Result<LogicalPlan> {
    match expr {
        Expr::Paren(p) => plan_expr(&p.expr, opts),
        Expr::NumberLiteral(n) => {
            Ok(extension(NumberLiteral { value: F64Bits::new(n.val), steps: opts.steps }))
        }
        Expr::StringLiteral(_) => {
            Err(PlanError::Invalid("a string is only allowed as a query or function argument".into()))
        }
        Expr::VectorSelector(vs) => selector::plan_vector_selector(vs, opts.pos(expr), opts),
        Expr::MatrixSelector(ms) => selector::plan_matrix_selector(ms, opts),
        Expr::Unary(u) => plan_unary(u, opts),
        Expr::Binary(b) => binary::plan_binary(expr, b, opts),
        Expr::Aggregate(a) => aggregate::plan_aggregate(a, opts),
        Expr::Call(c) => call::plan_call(expr, c, opts),
        Expr::Subquery(sq) => {
            if opts.steps.len() > 1 {
                return Err(PlanError::Invalid(
                    "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
                        .into(),
                ));
            }
            Ok(subquery::plan_subquery(sq, opts)?.0)
        }
        Expr::Extension(ext) => match ext.expr.as_any().downcast_ref::<TrimExpr>() {
            Some(t) => binary::plan_trim(expr, t, opts),
            None => Err(PlanError::Unsupported("extension expressions".into())),
        },
    }
}

/// `-x`: negation, which for a vector also drops the metric name.
fn plan_unary(u: &UnaryExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let scalar = u.expr.value_type() == ValueType::Scalar;
    let input = plan_expr(&u.expr, opts)?;
    Ok(extension(Call {
        func: "__neg__".into(),
        args: vec![input],
        arg_scalar: vec![scalar],
        strings: Vec::new(),
        steps: opts.steps,
        pos: None,
        arg_pos: vec![opts.pos(&u.expr)],
    }))
}

/// A literal number argument, allowing parentheses and unary minus (`topk(-(3), ...)`).
pub(crate) fn literal_number(e: &Expr) -> Option<f64> {
    match strip_parens(e) {
        Expr::NumberLiteral(n) => Some(n.val),
        Expr::Unary(u) => literal_number(&u.expr).map(|v| -v),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
