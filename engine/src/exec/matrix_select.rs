//! `MatrixSelectExec`: a range selector returned as a query result.

use std::sync::Arc;

use quiver_planner::node::MatrixSelect;
use quiver_proto::TimeRange;

use super::common::{QueryContext, Rows, compile_matchers, decode_samples, prom_exec};
use crate::error::Result;

prom_exec!(MatrixSelectExec, MatrixSelect);

impl MatrixSelectExec {
    async fn run(node: MatrixSelect, qctx: Arc<QueryContext>, _inputs: Vec<Rows>) -> Result<Rows> {
        let matchers = compile_matchers(&node.selector.matchers)?;
        let eval = node.selector.read_at(node.eval_ms);
        // Left-open, as in Prometheus 3: (eval - range, eval].
        let range = TimeRange::new(eval - node.range_ms + 1, eval);
        let mut rows = Rows::default();
        for s in qctx.select(&matchers, range).await? {
            let samples = decode_samples(&s)?;
            qctx.account(samples.len())?;
            let id = qctx.series.intern(s.labels, false);
            let before = rows.len();
            for i in 0..samples.len() {
                if range.contains(samples.ts[i]) && !samples.is_stale(i) {
                    rows.push_val(id, samples.ts[i], samples.val(i));
                }
            }
            qctx.hold(rows.len() - before)?;
        }
        Ok(rows)
    }
}
