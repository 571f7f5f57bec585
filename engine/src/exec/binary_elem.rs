//! One binary operation between two samples, floats or native histograms, as Prometheus's
//! `vectorElemBinop`: which combinations give a result, which are dropped with an annotation,
//! and the counter reset hint of a histogram result.

use std::sync::Arc;

use quiver_proto::{CounterResetHint, FloatHistogram, HistogramErrorKind};

use super::common::{Hist, Val};
use crate::annotations::{Annotation, HistogramOperation};
use crate::error::{EngineError, Result};

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    /// `</`: keep a histogram's observations below the value.
    TrimUpper,
    /// `>/`: keep a histogram's observations above the value.
    TrimLower,
    And,
    Or,
    Unless,
}

impl Op {
    pub(super) fn parse(op: &str) -> Result<Op> {
        Ok(match op {
            "+" => Op::Add,
            "-" => Op::Sub,
            "*" => Op::Mul,
            "/" => Op::Div,
            "%" => Op::Mod,
            "^" => Op::Pow,
            "atan2" => Op::Atan2,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            ">" => Op::Gt,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            "<=" => Op::Le,
            "</" => Op::TrimUpper,
            ">/" => Op::TrimLower,
            "and" => Op::And,
            "or" => Op::Or,
            "unless" => Op::Unless,
            _ => return Err(EngineError::Unsupported(format!("binary operator {op:?}"))),
        })
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Mod => "%",
            Op::Pow => "^",
            Op::Atan2 => "atan2",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::TrimUpper => "</",
            Op::TrimLower => ">/",
            Op::And => "and",
            Op::Or => "or",
            Op::Unless => "unless",
        }
    }

    pub(super) fn is_comparison(self) -> bool {
        matches!(self, Op::Eq | Op::Ne | Op::Gt | Op::Lt | Op::Ge | Op::Le)
    }

    /// Prometheus's `changesMetricSchema`: the result is no longer the metric it came from, so
    /// it loses its name. Comparisons and trims keep it.
    pub(super) fn changes_metric_schema(self) -> bool {
        matches!(self, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod | Op::Pow | Op::Atan2)
    }

    /// Between two scalars (Prometheus's `scalarBinop`): comparisons give 0 or 1 (the parser
    /// demands `bool`); a trim is an evaluation error, as the set operators would be.
    pub(super) fn scalar(self, l: f64, r: f64) -> Result<f64> {
        match float_op(self, l, r) {
            Some((v, keep)) => Ok(if self.is_comparison() { f64::from(u8::from(keep)) } else { v }),
            None => Err(EngineError::Eval(format!(
                "operator {:?} not allowed for Scalar operations",
                self.as_str()
            ))),
        }
    }
}

/// Two floats: the result (for a comparison the left value) and whether the pair passes; `None`
/// for an operator that does not apply to floats.
fn float_op(op: Op, l: f64, r: f64) -> Option<(f64, bool)> {
    Some(match op {
        Op::Add => (l + r, true),
        Op::Sub => (l - r, true),
        Op::Mul => (l * r, true),
        Op::Div => (l / r, true),
        Op::Mod => (l % r, true),
        Op::Pow => (l.powf(r), true),
        Op::Atan2 => (l.atan2(r), true),
        Op::Eq => (l, l == r),
        Op::Ne => (l, l != r),
        Op::Gt => (l, l > r),
        Op::Lt => (l, l < r),
        Op::Ge => (l, l >= r),
        Op::Le => (l, l <= r),
        Op::TrimUpper | Op::TrimLower | Op::And | Op::Or | Op::Unless => return None,
    })
}

/// The result of one pair of samples that gives a sample.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Elem {
    /// The result; for a comparison the left sample.
    pub(super) val: Val,
    /// For a comparison: whether the pair passes. Always true otherwise.
    pub(super) keep: bool,
    /// An annotation that comes with the sample (custom bucket bounds were reconciled).
    pub(super) info: Option<Annotation>,
}

impl Elem {
    fn kept(val: Val) -> Self {
        Elem { val, keep: true, info: None }
    }
}

/// `l op r`. `Ok(Err(annotation))`: the pair gives no sample, for the reason in the annotation
/// (Prometheus's `vectorElemBinop` returning an error that is an annotation). `Err`: the query
/// fails (a malformed histogram, where Prometheus would panic).
pub(super) fn elem(op: Op, l: &Val, r: &Val) -> Result<Result<Elem, Annotation>> {
    let incompatible = |l: &str, r: &str| {
        Ok(Err(Annotation::IncompatibleTypesInBinOp {
            lhs_type: l.into(),
            operator: op.as_str().into(),
            rhs_type: r.into(),
        }))
    };
    match (l, r) {
        (Val::F(a), Val::F(b)) => match float_op(op, *a, *b) {
            Some((v, keep)) => Ok(Ok(Elem { val: Val::F(v), keep, info: None })),
            None => incompatible("float", "float"),
        },
        (Val::F(a), Val::H(h)) => match op {
            Op::Mul => Ok(Ok(Elem::kept(hist(h, |c| c.mul(*a).compact(0))))),
            _ => incompatible("float", "histogram"),
        },
        (Val::H(h), Val::F(b)) => match op {
            Op::Mul => Ok(Ok(Elem::kept(hist(h, |c| c.mul(*b).compact(0))))),
            Op::Div => Ok(Ok(Elem::kept(hist(h, |c| c.div(*b).compact(0))))),
            // Trimming compacts only if it removed something.
            Op::TrimUpper => Ok(Ok(Elem::kept(hist(h, |c| c.trim_buckets(*b, true))))),
            Op::TrimLower => Ok(Ok(Elem::kept(hist(h, |c| c.trim_buckets(*b, false))))),
            _ => incompatible("histogram", "float"),
        },
        (Val::H(a), Val::H(b)) => match op {
            Op::Add | Op::Sub => add_or_sub(op, a, b),
            // Histograms are compacted when loaded and by every operation that changes them,
            // which `equals` relies on.
            Op::Eq => Ok(Ok(Elem { val: Val::H(Arc::clone(a)), keep: a.equals(b), info: None })),
            Op::Ne => Ok(Ok(Elem { val: Val::H(Arc::clone(a)), keep: !a.equals(b), info: None })),
            _ => incompatible("histogram", "histogram"),
        },
    }
}

/// A changed copy of `h`.
fn hist(h: &Hist, f: impl FnOnce(&mut FloatHistogram) -> &mut FloatHistogram) -> Val {
    let mut c = FloatHistogram::clone(h);
    f(&mut c);
    Val::H(Arc::new(c))
}

fn add_or_sub(op: Op, a: &Hist, b: &Hist) -> Result<Result<Elem, Annotation>> {
    let (operation, operator) = match op {
        Op::Sub => (HistogramOperation::Sub, "-"),
        _ => (HistogramOperation::Add, "+"),
    };
    let mut c = FloatHistogram::clone(a);
    let res = if op == Op::Sub { c.sub(b) } else { c.add(b) };
    let outcome = match res {
        Ok(o) => o,
        Err(e) if e.kind() == HistogramErrorKind::IncompatibleSchema => {
            return Ok(Err(Annotation::IncompatibleBucketLayoutInBinOp { operator: operator.into() }));
        }
        Err(e) => return Err(EngineError::Eval(e.to_string())),
    };
    if op == Op::Sub {
        // A difference is a gauge, whatever the operands were.
        c.counter_reset_hint = CounterResetHint::Gauge;
    }
    if outcome.counter_reset_collision {
        // Prometheus returns the collision as the operation's error, which drops the sample.
        return Ok(Err(Annotation::HistogramCounterResetCollision { operation }));
    }
    c.compact(0);
    let info =
        outcome.nhcb_bounds_reconciled.then_some(Annotation::MismatchedCustomBucketsHistograms { operation });
    Ok(Ok(Elem { val: Val::H(Arc::new(c)), keep: true, info }))
}

#[cfg(test)]
#[path = "tests_binary_elem.rs"]
mod tests;
