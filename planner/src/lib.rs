//! PromQL text to a DataFusion `LogicalPlan` of PromQL extension nodes.
//!
//! Logical only: no I/O and no tokio. One module per AST kind and one per extension node. It
//! depends only on `quiver-proto`. The planner is built in the PromQL issue; nothing lives here yet.
