use datafusion_expr::LogicalPlan;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinModifier, BinaryExpr, Expr, LabelModifier, VectorMatchCardinality};

use super::trim::TrimExpr;
use super::{extension, plan_expr};
use crate::error::{PlanError, Result};
use crate::node::{Binary, Cardinality, F64Bits, VectorMatching};
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
    let (mut fill_lhs, mut fill_rhs) = (None, None);
    if let Some(m) = modifier {
        if (m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some()) && !opts.features.binop_fill_modifiers
        {
            const MSG: &str = "binop fill modifiers are experimental and not enabled";
            let msg =
                pos.map_or_else(|| format!("parse error: {MSG}"), |p| crate::parse_error::at_pos(p, MSG));
            return Err(PlanError::Parse(msg));
        }
        fill_lhs = m.fill_values.lhs.map(F64Bits::new);
        fill_rhs = m.fill_values.rhs.map(F64Bits::new);
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
        fill_lhs,
        fill_rhs,
        steps: opts.steps,
        pos,
    }))
}
