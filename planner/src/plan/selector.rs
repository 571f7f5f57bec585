use std::time::{Duration, UNIX_EPOCH};

use datafusion_expr::LogicalPlan;
use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{AtModifier, MatrixSelector, Offset, VectorSelector};

use super::extension;
use crate::error::{PlanError, Result};
use crate::node::{MatchKind, MatcherSpec, MatrixSelect, Selector, SelectorModifier, VectorSelect};
use crate::options::PlanOptions;
use crate::span::Pos;

pub(crate) fn duration_ms(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn offset_ms(o: Option<&Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
    }
}

pub(crate) fn at_ms(at: Option<&AtModifier>, opts: &PlanOptions) -> Option<i64> {
    match at? {
        AtModifier::Start => Some(opts.query_steps.start),
        AtModifier::End => Some(opts.query_steps.end),
        AtModifier::At(t) => Some(match t.duration_since(UNIX_EPOCH) {
            Ok(d) => duration_ms(&d),
            Err(e) => -duration_ms(&e.duration()),
        }),
    }
}

fn spec(m: &Matcher) -> MatcherSpec {
    let op = match m.op {
        MatchOp::Equal => MatchKind::Equal,
        MatchOp::NotEqual => MatchKind::NotEqual,
        MatchOp::Re(_) => MatchKind::Regex,
        MatchOp::NotRe(_) => MatchKind::NotRegex,
    };
    MatcherSpec { name: m.name.clone(), op, value: m.value.clone() }
}

pub(crate) fn selector(vs: &VectorSelector, opts: &PlanOptions) -> Result<Selector> {
    if !vs.matchers.or_matchers.is_empty() {
        return Err(PlanError::Unsupported("`or` inside a selector's braces".into()));
    }
    let mut matchers: Vec<MatcherSpec> = Vec::with_capacity(vs.matchers.matchers.len() + 1);
    if let Some(name) = &vs.name {
        matchers.push(MatcherSpec { name: "__name__".into(), op: MatchKind::Equal, value: name.clone() });
    }
    matchers.extend(vs.matchers.matchers.iter().map(spec));
    Ok(Selector {
        matchers,
        offset_ms: offset_ms(vs.offset.as_ref()),
        at_ms: at_ms(vs.at.as_ref(), opts),
        histogram_stats: opts.below_histogram_stats && !opts.below_bucket_user,
        modifier: opts.spans.modifier(vs),
    })
}

pub(crate) fn plan_vector_selector(
    vs: &VectorSelector,
    pos: Option<Pos>,
    opts: &PlanOptions,
) -> Result<LogicalPlan> {
    Ok(extension(VectorSelect {
        selector: selector(vs, opts)?,
        lookback_ms: opts.lookback_ms,
        steps: opts.steps,
        timestamps: false,
        pos,
    }))
}

pub(crate) fn plan_matrix_selector(ms: &MatrixSelector, opts: &PlanOptions) -> Result<LogicalPlan> {
    if opts.steps.len() > 1 {
        return Err(PlanError::Invalid(
            "invalid expression type \"range vector\" for range query, must be Scalar or instant Vector"
                .into(),
        ));
    }
    let selector = selector(&ms.vs, opts)?;
    if selector.modifier != SelectorModifier::None {
        return Err(PlanError::Unsupported(format!(
            "a range vector with the {} modifier as a result",
            selector.modifier
        )));
    }
    Ok(extension(MatrixSelect { selector, range_ms: duration_ms(&ms.range), eval_ms: opts.steps.start }))
}

pub(crate) fn range_ms(ms: &MatrixSelector) -> i64 {
    duration_ms(&ms.range)
}
