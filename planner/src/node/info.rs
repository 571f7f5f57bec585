use std::fmt;

use datafusion_common::{DFSchemaRef, Result, internal_err};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::vector_select::static_schema;
use super::{MatcherSpec, Selector};
use crate::options::EvalSteps;

/// `info(v, {data selector})` (experimental): each series of `v` gains the data labels of the
/// info series (`target_info` by default) that share its identifying labels, `instance` and
/// `job`. The info series are selected at execution, for the identifying values `v` has.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Info {
    pub input: LogicalPlan,
    /// The second argument's matchers: `__name__` ones pick the info metrics, the others the
    /// data labels (and the info series that have them). Empty without a second argument.
    pub data_matchers: Vec<MatcherSpec>,
    /// Whether a second argument was given (without one, only `target_info` is used).
    pub has_selector: bool,
    /// The `@` and offset of the first selector in `v`, with its enclosing subqueries': the
    /// info series are read as of that time. It has no matchers (as a `RangeCall`'s over a
    /// subquery).
    pub reference: Selector,
    pub lookback_ms: i64,
    pub steps: EvalSteps,
}

impl UserDefinedLogicalNodeCore for Info {
    fn name(&self) -> &str {
        "Info"
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
        let m: Vec<String> = self.data_matchers.iter().map(ToString::to_string).collect();
        write!(f, "Info: {{{}}} reference={} steps={:?}", m.join(", "), self.reference, self.steps)
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        match inputs.pop() {
            Some(input) if inputs.is_empty() => Ok(Self { input, ..self.clone() }),
            _ => internal_err!("Info takes exactly one input"),
        }
    }
}
