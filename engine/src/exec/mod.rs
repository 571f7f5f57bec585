//! Physical PromQL operators: one `FooExec` per planner node `Foo`, same file stem.

mod common;
mod rows;

mod aggregate;
mod binary;
mod binary_elem;
mod call;
mod call_histogram;
#[cfg(test)]
mod call_histogram_tests;
mod call_special;
mod info;
mod literal;
mod matrix_select;
mod range_call;
mod smoothed;
mod subquery;
mod vector_select;

pub(crate) use aggregate::AggregateExec;
pub(crate) use binary::BinaryExec;
pub(crate) use call::CallExec;
pub(crate) use common::{HistArena, QueryContext, Rows, Val, decode_samples};
pub(crate) use info::InfoExec;
pub(crate) use literal::NumberLiteralExec;
pub(crate) use matrix_select::MatrixSelectExec;
pub(crate) use range_call::RangeCallExec;
pub(crate) use subquery::SubqueryExec;
pub(crate) use vector_select::VectorSelectExec;
