use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::Selector;
use super::vector_select::static_schema;

/// A range selector as a query's result (an instant query of `foo[5m]`): every sample of each
/// series in `(t - range, t]`, with its own timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct MatrixSelect {
    pub selector: Selector,
    pub range_ms: i64,
    pub eval_ms: i64,
}

impl UserDefinedLogicalNodeCore for MatrixSelect {
    fn name(&self) -> &str {
        "MatrixSelect"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        Vec::new()
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatrixSelect: {}[{}ms] at={}ms", self.selector, self.range_ms, self.eval_ms)
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, _inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(self.clone())
    }
}
