use datafusion_expr::LogicalPlan;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::{extension, plan_expr};
use crate::error::Result;
use crate::node::{Binary, Cardinality, VectorMatching};
use crate::options::PlanOptions;

pub(crate) fn plan_binary(b: &BinaryExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let op = b.op.to_string();
    let lhs_scalar = b.lhs.value_type() == ValueType::Scalar;
    let rhs_scalar = b.rhs.value_type() == ValueType::Scalar;
    let (mut matching, mut card, mut return_bool) = (None, Cardinality::OneToOne, false);
    if let Some(m) = &b.modifier {
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
    if b.op.is_set_operator() {
        card = Cardinality::ManyToMany;
    }
    let lhs = plan_expr(&b.lhs, opts)?;
    let rhs = plan_expr(&b.rhs, opts)?;
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
    }))
}
