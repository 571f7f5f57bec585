use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::F64Bits;
use super::vector_select::static_schema;
use crate::options::EvalSteps;

/// A number literal: the same scalar at every step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct NumberLiteral {
    pub value: F64Bits,
    pub steps: EvalSteps,
}

impl UserDefinedLogicalNodeCore for NumberLiteral {
    fn name(&self) -> &str {
        "NumberLiteral"
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
        write!(f, "NumberLiteral: {:?}", self.value)
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, _inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(self.clone())
    }
}
