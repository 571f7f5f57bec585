//! Subqueries: `expr[range:step] offset o @ t`.

use datafusion_expr::LogicalPlan;
use promql_parser::parser::SubqueryExpr;

use super::selector::{at_ms, duration_ms, offset_ms};
use super::{extension, plan_expr};
use crate::error::{PlanError, Result};
use crate::node::{Selector, SelectorModifier, Subquery};
use crate::options::{EvalSteps, PlanOptions};

/// Prometheus's step for a subquery without one (its default evaluation interval).
const DEFAULT_STEP_MS: i64 = 60_000;

/// The subquery node, and a selector without matchers carrying its offset and `@` for the range
/// function over it.
pub(crate) fn plan_subquery(sq: &SubqueryExpr, opts: &PlanOptions) -> Result<(LogicalPlan, Selector, i64)> {
    let range_ms = duration_ms(&sq.range);
    let offset = offset_ms(sq.offset.as_ref());
    let at = at_ms(sq.at.as_ref(), opts);
    let step_ms = match sq.step {
        Some(s) if !s.is_zero() => duration_ms(&s),
        _ => opts.default_subquery_step_ms.unwrap_or(DEFAULT_STEP_MS),
    }
    .max(1);
    let inner = inner_steps(opts.steps, range_ms, offset, at, step_ms);
    if inner.len() as u64 > opts.max_points {
        return Err(PlanError::TooManySteps);
    }
    let inner_opts = PlanOptions { steps: inner, below_bucket_user: true, ..opts.clone() };
    let input = plan_expr(&sq.expr, &inner_opts)?;
    let node = Subquery { input, range_ms, offset_ms: offset, at_ms: at, inner };
    let selector = Selector {
        matchers: Vec::new(),
        offset_ms: offset,
        at_ms: at,
        histogram_stats: false,
        modifier: SelectorModifier::None,
    };
    Ok((extension(node), selector, range_ms))
}

/// The steps a subquery's expression is evaluated at, as Prometheus computes them: from the
/// first multiple of the step after the earliest window's start to the last window's end.
pub(crate) fn inner_steps(
    outer: EvalSteps,
    range_ms: i64,
    offset_ms: i64,
    at_ms: Option<i64>,
    step_ms: i64,
) -> EvalSteps {
    let (first, last) = match at_ms {
        Some(at) => (at, at),
        // The last step actually evaluated, not `end` (which may fall between steps).
        None => (outer.start, outer.start + (outer.end - outer.start) / outer.step * outer.step),
    };
    // Saturating: absurd offsets and ranges give absurd step counts, which the planner refuses.
    let earliest = first.saturating_sub(offset_ms).saturating_sub(range_ms);
    // Go's integer division truncates toward zero, as Rust's does.
    let mut start = step_ms * (earliest / step_ms);
    if start <= earliest {
        start = start.saturating_add(step_ms);
    }
    EvalSteps { start, end: last.saturating_sub(offset_ms), step: step_ms }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_steps_align_to_the_step_after_the_window_start() {
        let s = inner_steps(EvalSteps::instant(100_000), 60_000, 0, None, 10_000);
        assert_eq!((s.start, s.end, s.step), (50_000, 100_000, 10_000));
        // Offset and negative times (truncation toward zero, then one step on).
        let s = inner_steps(EvalSteps::instant(5_000), 60_000, 10_000, None, 7_000);
        assert_eq!((s.start, s.end), (-63_000, -5_000));
        // `@` fixes the window whatever the outer steps.
        let s = inner_steps(EvalSteps::range(0, 1_000_000, 1000), 30_000, 0, Some(90_000), 15_000);
        assert_eq!((s.start, s.end), (75_000, 90_000));
        // A range query's last evaluated step, not its end.
        let s = inner_steps(EvalSteps::range(0, 25_000, 10_000), 10_000, 0, None, 5_000);
        assert_eq!((s.start, s.end), (-5_000, 20_000));
    }
}
