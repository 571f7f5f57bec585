use datafusion_expr::LogicalPlan;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Call as CallExpr, Expr};

use super::selector::{range_ms, selector};
use super::{extension, literal_number, plan_expr, strip_parens};
use crate::error::{PlanError, Result};
use crate::node::{Call, F64Bits, RangeCall};
use crate::options::PlanOptions;

pub(crate) fn plan_call(c: &CallExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let name = c.func.name;
    if c.func.experimental && !opts.features.experimental_functions {
        return Err(PlanError::Invalid(format!(
            "function {name:?} is not enabled (it is experimental: --enable-feature=promql-experimental-functions)"
        )));
    }
    let range_arg = c.args.args.iter().position(|a| a.value_type() == ValueType::Matrix);
    if let Some(i) = range_arg {
        let Expr::MatrixSelector(ms) = strip_parens(&c.args.args[i]) else {
            return Err(PlanError::Unsupported(format!("{name} over a subquery")));
        };
        let mut params = Vec::new();
        for (j, a) in c.args.args.iter().enumerate() {
            if j == i {
                continue;
            }
            match literal_number(a) {
                Some(v) => params.push(F64Bits::new(v)),
                None => return Err(PlanError::Unsupported(format!("a non-literal parameter to {name}"))),
            }
        }
        return Ok(extension(RangeCall {
            func: name.to_string(),
            selector: selector(&ms.vs, opts)?,
            range_ms: range_ms(ms),
            params,
            steps: opts.steps,
        }));
    }
    let (mut args, mut arg_scalar, mut strings) = (Vec::new(), Vec::new(), Vec::new());
    for a in &c.args.args {
        match strip_parens(a) {
            Expr::StringLiteral(s) => strings.push(s.val.clone()),
            e => {
                arg_scalar.push(e.value_type() == ValueType::Scalar);
                args.push(plan_expr(e, opts)?);
            }
        }
    }
    Ok(extension(Call { func: name.to_string(), args, arg_scalar, strings, steps: opts.steps }))
}
