//! The trim operators `</` (keep a histogram's observations below a value) and `>/` (above it),
//! which promql-parser 0.11 cannot lex.
//!
//! A lexical pre-pass ([`scan`]) rewrites each trim into the comparison of the same precedence
//! (`</` into `< bool`, `>/` into `> bool`), so the parser builds the same tree, and remembers,
//! for every `<` and `>` operator in source order, whether it was a trim. `bool` is added
//! because Prometheus does not apply its comparison rules to trims: a trim between two scalars
//! must get past the parser's "comparisons between scalars must use BOOL modifier" check (and
//! fail at evaluation, as in Prometheus). [`restore`] then walks the tree in source order and
//! replaces the comparisons that were trims by a [`TrimExpr`].

use std::any::Any;
use std::sync::Arc;

use promql_parser::parser::ast::ExtensionExpr;
use promql_parser::parser::token::{T_GTR, T_LSS};
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinModifier, BinaryExpr, Expr, Extension};

use super::lex::{skip_comment, skip_quoted};
use crate::error::{PlanError, Result};

/// Which trim operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trim {
    /// `</`: keep the observations below the value.
    Upper,
    /// `>/`: keep the observations above the value.
    Lower,
}

impl Trim {
    pub(crate) fn op(self) -> &'static str {
        match self {
            Trim::Upper => "</",
            Trim::Lower => ">/",
        }
    }
}

/// The query text as promql-parser can take it, and what each `<` / `>` operator was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scanned {
    pub(crate) text: String,
    /// One entry per `<` or `>` operator (not `<=`, `>=`) in source order: `Some` for a trim.
    pub(crate) ops: Vec<Option<Trim>>,
}

impl Scanned {
    pub(crate) fn has_trims(&self) -> bool {
        self.ops.iter().any(Option::is_some)
    }
}

/// Finds the trim operators the way Prometheus's lexer does (`<` directly followed by `/`),
/// outside string literals and comments. Label matcher braces need no special care: inside
/// them only strings can hold a `<`.
pub(crate) fn scan(query: &str) -> Result<Scanned> {
    let b = query.as_bytes();
    let mut text = String::with_capacity(query.len() + 8);
    let mut ops = Vec::new();
    let (mut i, mut copied) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'#' => i = skip_comment(b, i),
            b'"' | b'\'' => i = skip_quoted(b, i),
            b'`' => i = b[i + 1..].iter().position(|&c| c == b'`').map_or(b.len(), |p| i + p + 2),
            c @ (b'<' | b'>') => match b.get(i + 1) {
                Some(b'=') => i += 2,
                Some(b'/') => {
                    if next_word_is_bool(b, i + 2) {
                        return Err(PlanError::Parse(
                            "bool modifier can only be used on comparison operators".into(),
                        ));
                    }
                    // Both bytes are ASCII, so these are character boundaries.
                    text.push_str(&query[copied..i]);
                    text.push(char::from(c));
                    text.push_str(" bool ");
                    i += 2;
                    copied = i;
                    ops.push(Some(if c == b'<' { Trim::Upper } else { Trim::Lower }));
                }
                _ => {
                    ops.push(None);
                    i += 1;
                }
            },
            _ => i += 1,
        }
    }
    text.push_str(&query[copied..]);
    Ok(Scanned { text, ops })
}

/// Whether the next token from `i` (after spaces and comments) is the keyword `bool`, which
/// the lexer matches case-insensitively.
fn next_word_is_bool(b: &[u8], mut i: usize) -> bool {
    loop {
        match b.get(i) {
            Some(c) if c.is_ascii_whitespace() => i += 1,
            Some(b'#') => i = skip_comment(b, i),
            _ => break,
        }
    }
    let word_end = b[i..].iter().position(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b':'));
    let word = &b[i..word_end.map_or(b.len(), |p| i + p)];
    word.eq_ignore_ascii_case(b"bool")
}

/// A trim operator in the tree: `lhs </ rhs` or `lhs >/ rhs`, with its vector matching.
#[derive(Debug, Clone)]
pub(crate) struct TrimExpr {
    pub(crate) trim: Trim,
    /// The operands, left then right.
    pub(crate) operands: [Expr; 2],
    pub(crate) modifier: Option<BinModifier>,
}

impl ExtensionExpr for TrimExpr {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn name(&self) -> &str {
        self.trim.op()
    }

    fn value_type(&self) -> ValueType {
        if self.operands.iter().any(|e| e.value_type() == ValueType::Vector) {
            ValueType::Vector
        } else {
            ValueType::Scalar
        }
    }

    fn children(&self) -> &[Expr] {
        &self.operands
    }

    fn with_new_children(&self, children: Vec<Expr>) -> Arc<dyn ExtensionExpr> {
        let mut new = self.clone();
        if let Ok(operands) = <[Expr; 2]>::try_from(children) {
            new.operands = operands;
        }
        Arc::new(new)
    }
}

/// Replaces the comparisons that [`scan`] made of trims by [`TrimExpr`]s.
pub(crate) fn restore(expr: Expr, ops: &[Option<Trim>]) -> Result<Expr> {
    let mut r = Restorer { ops: ops.iter() };
    let out = r.expr(expr)?;
    if r.ops.next().is_some() {
        return Err(mismatch());
    }
    Ok(out)
}

fn mismatch() -> PlanError {
    PlanError::Parse("invalid query: trim operators could not be matched to the parsed expression".into())
}

struct Restorer<'a> {
    ops: std::slice::Iter<'a, Option<Trim>>,
}

impl Restorer<'_> {
    /// Rebuilds `e`, visiting operands in source order so that the `<` and `>` operators come
    /// in the order [`scan`] saw them.
    fn expr(&mut self, e: Expr) -> Result<Expr> {
        Ok(match e {
            Expr::Aggregate(mut a) => {
                // `topk(k, x)`: the parameter is written first.
                a.param = a.param.map(|p| self.boxed(*p)).transpose()?;
                a.expr = self.boxed(*a.expr)?;
                Expr::Aggregate(a)
            }
            Expr::Unary(mut u) => {
                u.expr = self.boxed(*u.expr)?;
                Expr::Unary(u)
            }
            Expr::Paren(mut p) => {
                p.expr = self.boxed(*p.expr)?;
                Expr::Paren(p)
            }
            Expr::Subquery(mut s) => {
                s.expr = self.boxed(*s.expr)?;
                Expr::Subquery(s)
            }
            Expr::Call(mut c) => {
                c.args.args = c.args.args.into_iter().map(|a| self.boxed(*a)).collect::<Result<_>>()?;
                Expr::Call(c)
            }
            Expr::Binary(b) => self.binary(b)?,
            other => other,
        })
    }

    fn boxed(&mut self, e: Expr) -> Result<Box<Expr>> {
        self.expr(e).map(Box::new)
    }

    fn binary(&mut self, b: BinaryExpr) -> Result<Expr> {
        let BinaryExpr { op, lhs, rhs, mut modifier } = b;
        let lhs = self.boxed(*lhs)?;
        let trim = if op.id() == T_LSS || op.id() == T_GTR {
            let trim = self.ops.next().ok_or_else(mismatch)?;
            let expected = if op.id() == T_LSS { Trim::Upper } else { Trim::Lower };
            if trim.is_some_and(|t| t != expected) {
                return Err(mismatch());
            }
            *trim
        } else {
            None
        };
        let rhs = self.boxed(*rhs)?;
        let Some(trim) = trim else {
            return Ok(Expr::Binary(BinaryExpr { op, lhs, rhs, modifier }));
        };
        // The `bool` that `scan` added.
        match modifier.as_mut() {
            Some(m) if m.return_bool => m.return_bool = false,
            _ => return Err(mismatch()),
        }
        let trim = TrimExpr { trim, operands: [*lhs, *rhs], modifier };
        Ok(Expr::Extension(Extension { expr: Arc::new(trim) }))
    }
}

#[cfg(test)]
#[path = "tests_trim.rs"]
mod tests;
