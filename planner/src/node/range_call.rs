use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::vector_select::static_schema;
use super::{F64Bits, Selector};
use crate::options::EvalSteps;
use crate::span::Pos;

/// A range-vector function applied to a range selector, fused: for each series and step, the
/// samples in `(t - range, t]` go to the function (`rate`, `avg_over_time`, ...). Scalar
/// parameters (the `φ` of `quantile_over_time`, ...) are literals or scalar expressions
/// evaluated at every step.
///
/// Over a subquery (`over_subquery`), `inputs[0]` is the [`super::Subquery`] whose samples take
/// the place of the store's; `selector` then has no matchers and carries the subquery's offset
/// and `@`. The parameters' expressions follow in `inputs`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct RangeCall {
    pub func: String,
    pub selector: Selector,
    pub range_ms: i64,
    /// The lookback delta: how far before (`anchored`, `smoothed`) and after (`smoothed`) the
    /// range a modified selector reads.
    pub lookback_ms: i64,
    pub params: Vec<RangeParam>,
    pub steps: EvalSteps,
    pub over_subquery: bool,
    pub inputs: Vec<LogicalPlan>,
    /// Where the call's first argument starts: Prometheus reports the function's annotations there.
    pub pos: Option<Pos>,
}

/// A parameter of a range function: a literal, or the scalar expression `inputs[i]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd)]
pub enum RangeParam {
    Literal(F64Bits),
    Input(usize),
}

impl UserDefinedLogicalNodeCore for RangeCall {
    fn name(&self) -> &str {
        "RangeCall"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RangeCall: {}({}[{}ms]) params={:?} steps={:?}",
            self.func, self.selector, self.range_ms, self.params, self.steps
        )
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(Self { inputs, ..self.clone() })
    }
}
