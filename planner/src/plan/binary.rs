use datafusion_expr::LogicalPlan;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinModifier, BinaryExpr, Expr, LabelModifier, VectorMatchCardinality};

use super::trim::TrimExpr;
use super::{extension, plan_expr};
use crate::error::{PlanError, Result};
use crate::node::{Binary, Cardinality, VectorMatching};
use crate::options::PlanOptions;
use crate::span::Pos;

pub(crate) fn plan_binary(expr: &Expr, b: &BinaryExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let pos = opts.pos(expr);
    plan_operator(b.op.to_string(), &b.lhs, &b.rhs, b.modifier.as_ref(), b.op.is_set_operator(), opts, pos)
}

/// `lhs </ rhs` and `lhs >/ rhs`: binary operators like any other from here on.
pub(crate) fn plan_trim(expr: &Expr, t: &TrimExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let [lhs, rhs] = &t.operands;
    let opts = &PlanOptions { below_bucket_user: true, ..opts.clone() };
    plan_operator(t.trim.op().to_string(), lhs, rhs, t.modifier.as_ref(), false, opts, opts.pos(expr))
}

fn plan_operator(
    op: String,
    lhs: &Expr,
    rhs: &Expr,
    modifier: Option<&BinModifier>,
    set_operator: bool,
    opts: &PlanOptions,
    pos: Option<Pos>,
) -> Result<LogicalPlan> {
    let lhs_scalar = lhs.value_type() == ValueType::Scalar;
    let rhs_scalar = rhs.value_type() == ValueType::Scalar;
    let (mut matching, mut card, mut return_bool) = (None, Cardinality::OneToOne, false);
    if let Some(m) = modifier {
        // Never ignore a modifier silently (DESIGN §4): fill() is not evaluated yet.
        if m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some() {
            return Err(PlanError::Unsupported("the fill(), fill_left() and fill_right() modifiers".into()));
        }
        return_bool = m.return_bool;
        matching = m.matching.as_ref().map(|lm| match lm {
            LabelModifier::Include(l) => VectorMatching { on: true, labels: l.labels.clone() },
            LabelModifier::Exclude(l) => VectorMatching { on: false, labels: l.labels.clone() },
        });
        card = match &m.card {
            VectorMatchCardinality::OneToOne => Cardinality::OneToOne,
            VectorMatchCardinality::ManyToOne(l) => Cardinality::ManyToOne(l.labels.clone()),
            VectorMatchCardinality::OneToMany(l) => Cardinality::OneToMany(l.labels.clone()),
            VectorMatchCardinality::ManyToMany => Cardinality::ManyToMany,
        };
    }
    if set_operator {
        card = Cardinality::ManyToMany;
    }
    let lhs = plan_expr(lhs, opts)?;
    let rhs = plan_expr(rhs, opts)?;
    Ok(extension(Binary {
        op,
        lhs,
        rhs,
        lhs_scalar,
        rhs_scalar,
        return_bool,
        matching,
        card,
        steps: opts.steps,
        pos,
    }))
}
