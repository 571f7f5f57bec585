use std::fmt;

use datafusion_common::{DFSchemaRef, Result, internal_err};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use super::F64Bits;
use super::vector_select::static_schema;
use crate::options::EvalSteps;
use crate::span::Pos;

/// How two vectors' series are paired: `on (...)` or `ignoring (...)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct VectorMatching {
    pub on: bool,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub enum Cardinality {
    OneToOne,
    /// `group_left(...)`: many series on the left match one on the right.
    ManyToOne(Vec<String>),
    /// `group_right(...)`.
    OneToMany(Vec<String>),
    /// Set operators `and`, `or`, `unless`.
    ManyToMany,
}

/// A binary operator between two operands, each a scalar or an instant vector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct Binary {
    /// The operator as written: `+`, `==`, `and`, `atan2`, the trims `</` and `>/`, ...
    pub op: String,
    pub lhs: LogicalPlan,
    pub rhs: LogicalPlan,
    pub lhs_scalar: bool,
    pub rhs_scalar: bool,
    /// `bool` after a comparison: return 0/1 instead of filtering.
    pub return_bool: bool,
    pub matching: Option<VectorMatching>,
    pub card: Cardinality,
    /// `fill_left(v)` / `fill_right(v)` (`fill(v)` sets both): the value a side takes for a
    /// match group it lacks, so the other side's series still give a result.
    pub fill_lhs: Option<F64Bits>,
    pub fill_rhs: Option<F64Bits>,
    pub steps: EvalSteps,
    /// Where the expression starts, for annotations.
    pub pos: Option<Pos>,
}

impl UserDefinedLogicalNodeCore for Binary {
    fn name(&self) -> &str {
        "Binary"
    }
    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.lhs, &self.rhs]
    }
    fn schema(&self) -> &DFSchemaRef {
        static_schema()
    }
    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary: {}", self.op)?;
        if self.return_bool {
            f.write_str(" bool")?;
        }
        if let Some(m) = &self.matching {
            write!(f, " {}({})", if m.on { "on" } else { "ignoring" }, m.labels.join(", "))?;
        }
        match &self.card {
            Cardinality::ManyToOne(l) => write!(f, " group_left({})", l.join(", "))?,
            Cardinality::OneToMany(l) => write!(f, " group_right({})", l.join(", "))?,
            Cardinality::OneToOne | Cardinality::ManyToMany => {}
        }
        if let Some(v) = self.fill_lhs {
            write!(f, " fill_left({})", v.get())?;
        }
        if let Some(v) = self.fill_rhs {
            write!(f, " fill_right({})", v.get())?;
        }
        Ok(())
    }
    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let (Some(rhs), Some(lhs)) = (inputs.pop(), inputs.pop()) else {
            return internal_err!("Binary takes two inputs");
        };
        Ok(Self { lhs, rhs, ..self.clone() })
    }
}
