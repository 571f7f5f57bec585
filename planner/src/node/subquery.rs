use std::fmt;

use datafusion_common::{DFSchemaRef, Result, internal_err};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::vector_select::static_schema;
use crate::options::EvalSteps;

/// `expr[range:step] offset o @ t`: the input evaluated at the subquery's own steps (`inner`,
/// aligned to multiples of the step, covering every outer window), its samples stamped with
/// those steps. A range function over it (`RangeCall` with this node as input) slides its
/// windows over them as over a range selector's samples.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Subquery {
    pub input: LogicalPlan,
    pub range_ms: i64,
    pub offset_ms: i64,
    pub at_ms: Option<i64>,
    /// The steps the input is evaluated at.
    pub inner: EvalSteps,
}

impl UserDefinedLogicalNodeCore for Subquery {
    fn name(&self) -> &str {
        "Subquery"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subquery: range={}ms offset={}ms", self.range_ms, self.offset_ms)?;
        if let Some(at) = self.at_ms {
            write!(f, " @ {at}ms")?;
        }
        write!(f, " inner={:?}", self.inner)
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        match inputs.pop() {
            Some(input) if inputs.is_empty() => Ok(Self { input, ..self.clone() }),
            _ => internal_err!("Subquery takes exactly one input"),
        }
    }
}
