use std::sync::Arc;

use crate::span::{Pos, Spans};

/// The evaluation steps of a query: one step for an instant query, `start..=end` by `step` for a
/// range query. Milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EvalSteps {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl EvalSteps {
    pub fn instant(t: i64) -> Self {
        Self { start: t, end: t, step: 1 }
    }

    pub fn range(start: i64, end: i64, step: i64) -> Self {
        Self { start, end, step: step.max(1) }
    }

    /// The step timestamps.
    pub fn timestamps(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len() as i64).map(move |i| self.start + i * self.step)
    }

    /// How many steps; saturating, so absurd ranges give a huge count (which the planner
    /// refuses) rather than an overflow.
    pub fn len(&self) -> usize {
        if self.end < self.start {
            return 0;
        }
        let span = self.end.saturating_sub(self.start) as u64;
        usize::try_from(span / self.step.max(1) as u64 + 1).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// PromQL features that Prometheus keeps behind `--enable-feature` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Features {
    /// `promql-experimental-functions`: limitk, limit_ratio, double_exponential_smoothing, ...
    pub experimental_functions: bool,
    /// `promql-delayed-name-removal`: `__name__` is dropped at the end of evaluation.
    pub delayed_name_removal: bool,
    /// `promql-extended-range-selectors`: the `anchored` and `smoothed` selector modifiers.
    pub extended_range_selectors: bool,
    /// `promql-duration-expr`: arithmetic, `step()`, `range()`, `min_of`/`max_of` in durations.
    pub duration_expressions: bool,
    /// `promql-binop-fill-modifiers`: `fill()`, `fill_left()`, `fill_right()` on binary operators.
    pub binop_fill_modifiers: bool,
}

/// What the planner needs to know beyond the query text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlanOptions {
    /// The steps the expression being planned is evaluated at (a subquery's own steps inside it).
    pub steps: EvalSteps,
    /// The query's steps: `@ start()`, `@ end()` and the `start()`/`end()`/`range()`/`step()`
    /// functions refer to them wherever they appear.
    pub query_steps: EvalSteps,
    /// How far back an instant selector looks for a sample (5m by default).
    pub lookback_ms: i64,
    /// Step of a subquery that gives none (1m in Prometheus's tests, the query step otherwise).
    pub default_subquery_step_ms: Option<i64>,
    pub features: Features,
    /// Where each expression starts in the query text (set by [`crate::plan_query`]).
    pub spans: Arc<Spans>,
    /// Whether the expression being planned is below `histogram_count`, `histogram_sum` or
    /// `histogram_avg`, and whether below something that needs histogram buckets (a quantile or
    /// fraction function, a trim, a subquery): selectors read histograms without buckets when
    /// the first holds and the second does not, as Prometheus does.
    pub below_histogram_stats: bool,
    pub below_bucket_user: bool,
    /// Most steps the query or any subquery in it may be evaluated at (one series can hold no
    /// more samples than the query's sample limit): beyond, planning fails before anything is
    /// allocated.
    pub max_points: u64,
}

impl PlanOptions {
    /// Where `e` starts in the query text, for annotations.
    pub fn pos(&self, e: &promql_parser::parser::Expr) -> Option<Pos> {
        self.spans.pos(e)
    }
}

impl PlanOptions {
    pub fn new(steps: EvalSteps) -> Self {
        Self {
            steps,
            query_steps: steps,
            lookback_ms: 5 * 60 * 1000,
            default_subquery_step_ms: None,
            features: Features::default(),
            spans: Arc::default(),
            below_histogram_stats: false,
            below_bucket_user: false,
            max_points: 50_000_000,
        }
    }
}
