use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::vector_select::static_schema;
use crate::options::EvalSteps;
use crate::span::Pos;

/// A function over instant vectors and scalars (`abs(x)`, `clamp(x, 0, 1)`, `label_replace(...)`,
/// `time()`, `vector(1)`, `scalar(x)`, ...). Arguments that are expressions are inputs; string
/// arguments are carried as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Call {
    pub func: String,
    pub args: Vec<LogicalPlan>,
    /// For each input, whether it is a scalar (else an instant vector).
    pub arg_scalar: Vec<bool>,
    pub strings: Vec<String>,
    pub steps: EvalSteps,
    /// Where the call starts, and where each argument (strings included) starts, for annotations.
    pub pos: Option<Pos>,
    pub arg_pos: Vec<Option<Pos>>,
}

impl UserDefinedLogicalNodeCore for Call {
    fn name(&self) -> &str {
        "Call"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.args.iter().collect()
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Call: {}", self.func)?;
        if !self.strings.is_empty() {
            write!(f, " {:?}", self.strings)?;
        }
        Ok(())
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(Self { args: inputs, ..self.clone() })
    }
}
