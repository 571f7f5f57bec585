use datafusion_expr::LogicalPlan;
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};

use super::{extension, literal_number, plan_expr, strip_parens};
use crate::error::{PlanError, Result};
use crate::node::{Aggregate, F64Bits};
use crate::options::PlanOptions;

pub(crate) fn plan_aggregate(a: &AggregateExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let op = a.op.to_string();
    if matches!(op.as_str(), "limitk" | "limit_ratio") && !opts.features.experimental_functions {
        return Err(PlanError::Invalid(format!(
            "limitk() and limit_ratio() are experimental and must be enabled with --enable-feature=promql-experimental-functions (got {op})"
        )));
    }
    let (grouping, without) = match &a.modifier {
        None => (Vec::new(), false),
        Some(LabelModifier::Include(l)) => (l.labels.clone(), false),
        Some(LabelModifier::Exclude(l)) => (l.labels.clone(), true),
    };
    let (mut param, mut param_input, mut label_param) = (None, None, None);
    if let Some(p) = &a.param {
        match strip_parens(p) {
            Expr::StringLiteral(s) => match opts.spans.invalid_utf8(strip_parens(p)) {
                Some(quoted) => return Err(PlanError::Invalid(format!("invalid label name {quoted}"))),
                None => label_param = Some(s.val.clone()),
            },
            e => match literal_number(e) {
                Some(v) => param = Some(F64Bits::new(v)),
                None => param_input = Some(plan_expr(e, opts)?),
            },
        }
    }
    if op == "count_values" && label_param.is_none() {
        return Err(PlanError::Invalid("count_values needs a string literal as its label parameter".into()));
    }
    let input = plan_expr(&a.expr, opts)?;
    Ok(extension(Aggregate {
        op,
        grouping,
        without,
        param,
        param_input,
        label_param,
        input,
        steps: opts.steps,
        pos: opts.pos(&a.expr),
        param_pos: a.param.as_deref().and_then(|p| opts.pos(p)),
    }))
}
