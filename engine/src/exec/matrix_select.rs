//! `MatrixSelectExec`: a range selector returned as a query result.

use std::sync::Arc;

use quiver_planner::node::MatrixSelect;
use quiver_proto::{TimeRange, is_stale_nan};

use super::common::{QueryContext, Rows, compile_matchers, decode_floats, prom_exec};
use crate::error::Result;

prom_exec!(MatrixSelectExec, MatrixSelect);

impl MatrixSelectExec {
    async fn run(node: MatrixSelect, qctx: Arc<QueryContext>, _inputs: Vec<Rows>) -> Result<Rows> {
        let matchers = compile_matchers(&node.selector.matchers)?;
        let eval = node.selector.at_ms.unwrap_or(node.eval_ms) - node.selector.offset_ms;
        // Left-open, as in Prometheus 3: (eval - range, eval].
        let range = TimeRange::new(eval - node.range_ms + 1, eval);
        let mut rows = Rows::default();
        for s in qctx.store.select(&matchers, range).await? {
            let (ts, vs) = decode_floats(&s)?;
            qctx.account(ts.len())?;
            let id = qctx.series.intern(s.labels, false);
            for (t, v) in ts.iter().zip(&vs) {
                if range.contains(*t) && !is_stale_nan(*v) {
                    rows.push(id, *t, *v);
                }
            }
        }
        Ok(rows)
    }
}
