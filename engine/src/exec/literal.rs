//! `NumberLiteralExec`: a scalar constant at every step.

use std::sync::Arc;

use quiver_planner::node::NumberLiteral;
use quiver_proto::Labels;

use super::common::{QueryContext, Rows, prom_exec};
use crate::error::Result;

prom_exec!(NumberLiteralExec, NumberLiteral);

impl NumberLiteralExec {
    async fn run(node: NumberLiteral, qctx: Arc<QueryContext>, _inputs: Vec<Rows>) -> Result<Rows> {
        let id = qctx.series.intern(Labels::empty(), false);
        let mut rows = Rows::default();
        for t in node.steps.timestamps() {
            rows.push(id, t, node.value.get());
        }
        Ok(rows)
    }
}
