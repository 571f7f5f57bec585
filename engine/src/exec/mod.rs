//! Physical PromQL operators: one `FooExec` per planner node `Foo`, same file stem, each with
//! the stream it runs as (`FooStream`, built on one of the shapes in [`drive`]).
//!
//! Operators exchange Arrow batches of (series id, step timestamp, value, histogram) rows, each
//! batch holding whole series sorted by (series, time). Selectors split their series into
//! partitions by label hash and everything per series keeps that partitioning; aggregations fold
//! every partition in a task of its own and merge once; operators that need their whole input
//! gather it with its memory reserved in the query's pool.

mod common;
mod context;
mod drive;
mod rows;
mod samples;

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
pub(crate) use context::QueryContext;
pub(crate) use drive::{collect_parts, memory_for, spawn_join};
pub(crate) use info::InfoExec;
pub(crate) use literal::NumberLiteralExec;
pub(crate) use matrix_select::MatrixSelectExec;
pub(crate) use range_call::RangeCallExec;
pub(crate) use rows::{Rows, Val};
pub(crate) use samples::decode_samples;
pub(crate) use subquery::SubqueryExec;
pub(crate) use vector_select::VectorSelectExec;
