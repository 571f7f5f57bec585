use std::fmt;

use datafusion_common::{DFSchemaRef, Result, internal_err};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::F64Bits;
use super::vector_select::static_schema;
use crate::options::EvalSteps;
use crate::span::Pos;

/// A PromQL aggregation (`sum by (job) (...)`, `topk(3, ...)`, `count_values("v", ...)`) over the
/// input vector at each step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Aggregate {
    pub op: String,
    /// Labels of `by (...)` or, with `without`, of `without (...)`.
    pub grouping: Vec<String>,
    pub without: bool,
    /// The numeric parameter of topk, bottomk, quantile, limitk, limit_ratio when it is a
    /// literal number.
    pub param: Option<F64Bits>,
    /// The numeric parameter when it is any other scalar expression (`topk(scalar(foo), ...)`):
    /// a scalar plan evaluated at every step, as Prometheus does.
    pub param_input: Option<LogicalPlan>,
    /// The label name of count_values.
    pub label_param: Option<String>,
    pub input: LogicalPlan,
    pub steps: EvalSteps,
    /// Where the aggregated expression and the parameter start: Prometheus reports parameter
    /// annotations at the parameter and the others at the expression.
    pub pos: Option<Pos>,
    pub param_pos: Option<Pos>,
}

impl UserDefinedLogicalNodeCore for Aggregate {
    fn name(&self) -> &str {
        "Aggregate"
    }
    /// The parameter (if it is an expression) comes first: Prometheus evaluates it before the
    /// aggregated expression, so its errors win.
    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.param_input.iter().chain(std::iter::once(&self.input)).collect()
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.without { "without" } else { "by" };
        write!(f, "Aggregate: {} {how} ({})", self.op, self.grouping.join(", "))?;
        if let Some(p) = self.param {
            write!(f, " param={p:?}")?;
        }
        if self.param_input.is_some() {
            f.write_str(" param=<first input>")?;
        }
        if let Some(l) = &self.label_param {
            write!(f, " label={l:?}")?;
        }
        Ok(())
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let want = if self.param_input.is_some() { 2 } else { 1 };
        if inputs.len() != want {
            return internal_err!("Aggregate takes {want} inputs, got {}", inputs.len());
        }
        let Some(input) = inputs.pop() else { return internal_err!("Aggregate takes an input") };
        Ok(Self { input, param_input: inputs.pop(), ..self.clone() })
    }
}
