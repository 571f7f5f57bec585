//! `SubqueryExec`: the input's samples at the subquery's steps, passed on as they are; the range
//! function over the subquery (`RangeCallExec`) slides its windows over them.

use std::sync::Arc;

use quiver_planner::node::Subquery;

use super::common::{QueryContext, Rows, prom_exec};
use crate::error::Result;

prom_exec!(SubqueryExec, Subquery);

impl SubqueryExec {
    async fn run(_node: Subquery, _qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        Ok(inputs.pop().unwrap_or_default())
    }
}
