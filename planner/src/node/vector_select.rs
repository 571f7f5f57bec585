use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::Selector;
use crate::options::EvalSteps;
use crate::schema::sample_schema;
use crate::span::Pos;

/// An instant-vector selector evaluated at every step: the newest sample within the lookback
/// window `(t - lookback, t]` of each series, unless it is a staleness marker.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct VectorSelect {
    pub selector: Selector,
    pub lookback_ms: i64,
    pub steps: EvalSteps,
    /// `timestamp(selector)`: each sample's timestamp in seconds instead of its value, with the
    /// metric name marked for dropping.
    pub timestamps: bool,
    /// Where the selector starts, for annotations (`x smoothed` warns).
    pub pos: Option<Pos>,
}

impl UserDefinedLogicalNodeCore for VectorSelect {
    fn name(&self) -> &str {
        "VectorSelect"
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
        write!(f, "VectorSelect: {} lookback={}ms steps={:?}", self.selector, self.lookback_ms, self.steps)?;
        if self.timestamps {
            write!(f, " timestamps")?;
        }
        Ok(())
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, _inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(self.clone())
    }
}

pub(super) fn static_schema() -> &'static DFSchemaRef {
    static SCHEMA: std::sync::OnceLock<DFSchemaRef> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(sample_schema)
}
