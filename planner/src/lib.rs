//! PromQL text to a DataFusion `LogicalPlan` of PromQL extension nodes.
//!
//! [`plan_query`] parses a query with `promql-parser` and turns each AST kind into an extension
//! node (one module per AST kind under `plan/`, one per node under `node/`). Every node that yields
//! an instant vector or a scalar produces rows of [`SAMPLE_SCHEMA`]: a series id, the evaluation
//! step's timestamp and a value, sorted by (series, timestamp). Series labels do not travel in
//! the rows: the engine keeps them once per series in a query-scoped table.
//!
//! Logical only: no I/O, no runtime. It depends only on `quiver-proto`.

mod error;
pub mod node;
mod options;
mod parse_error;
mod plan;
mod schema;
pub mod span;

pub use error::{PlanError, Result};
pub use options::{EvalSteps, Features, PlanOptions};
pub use plan::{
    MAX_EXPRESSION_DEPTH, MAX_QUERY_BYTES, Planned, ValueKind, plan_expr, plan_query, selector_count,
};
pub use schema::{COL_HIST, COL_SERIES, COL_TS, COL_VALUE, sample_schema};
