use datafusion_expr::LogicalPlan;
use promql_parser::label::MatchOp;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{Call as CallExpr, Expr};

use super::selector::{range_ms, selector};
use super::subquery::plan_subquery;
use super::{extension, literal_number, plan_expr, strip_parens};
use crate::error::{PlanError, Result};
use crate::node::{Call, F64Bits, NumberLiteral, RangeCall, RangeParam, VectorSelect};
use crate::options::PlanOptions;

pub(crate) fn plan_call(expr: &Expr, c: &CallExpr, opts: &PlanOptions) -> Result<LogicalPlan> {
    let name = c.func.name;
    let stats = matches!(name, "histogram_count" | "histogram_sum" | "histogram_avg");
    let buckets = matches!(name, "histogram_quantile" | "histogram_quantiles" | "histogram_fraction");
    if (stats && !opts.below_histogram_stats) || (buckets && !opts.below_bucket_user) {
        let opts = PlanOptions {
            below_histogram_stats: opts.below_histogram_stats || stats,
            below_bucket_user: opts.below_bucket_user || buckets,
            ..opts.clone()
        };
        return plan_call(expr, c, &opts);
    }
    if c.func.experimental && !opts.features.experimental_functions {
        return Err(PlanError::Invalid(format!(
            "function {name:?} is not enabled (it is experimental: --enable-feature=promql-experimental-functions)"
        )));
    }
    // Label names given as strings must be UTF-8 once Go has decoded their escapes.
    let label_name_args = match name {
        "label_replace" => vec![1, 3],
        "label_join" => (1..c.args.args.len()).filter(|&i| i != 2).collect(),
        _ => Vec::new(),
    };
    for i in label_name_args {
        if let Some(a) = c.args.args.get(i)
            && let Some(quoted) = opts.spans.invalid_utf8(strip_parens(a))
        {
            let which = if i == 1 { "destination" } else { "source" };
            return Err(PlanError::Invalid(format!("invalid {which} label name in {name}(): {quoted}")));
        }
    }
    let range_arg = c.args.args.iter().position(|a| a.value_type() == ValueType::Matrix);
    match (name, c.args.args.first().map(|a| strip_parens(a))) {
        // absent_over_time(v[r]) is absent(present_over_time(v[r])): 1 where no series has a
        // sample in its window.
        ("absent_over_time", Some(arg)) => {
            let present = plan_range_call("present_over_time", c, 0, opts)?;
            return Ok(absent(present, arg, opts));
        }
        // Constant for the query: Prometheus folds them into literals before evaluating.
        (_, None) if matches!(name, "start" | "end" | "range" | "step") => {
            let q = opts.query_steps;
            let v = match name {
                "start" => q.start as f64 / 1000.0,
                "end" => q.end as f64 / 1000.0,
                "range" => (q.end - q.start) as f64 / 1000.0,
                _ if q.end == q.start => 0.0,
                _ => q.step as f64 / 1000.0,
            };
            return Ok(extension(NumberLiteral { value: F64Bits::new(v), steps: opts.steps }));
        }
        ("info", Some(_)) => return super::info::plan_info(c, opts),
        ("absent", Some(arg)) => {
            let input = plan_expr(arg, opts)?;
            return Ok(absent(input, arg, opts));
        }
        // The sample's own timestamp, which only a selector still knows.
        ("timestamp", Some(arg @ Expr::VectorSelector(vs))) => {
            return Ok(extension(VectorSelect {
                selector: selector(vs, opts)?,
                lookback_ms: opts.lookback_ms,
                steps: opts.steps,
                timestamps: true,
                pos: opts.pos(arg),
            }));
        }
        _ => {}
    }
    if let Some(i) = range_arg {
        return plan_range_call(name, c, i, opts);
    }
    let (mut args, mut arg_scalar, mut strings) = (Vec::new(), Vec::new(), Vec::new());
    for a in &c.args.args {
        match strip_parens(a) {
            Expr::StringLiteral(s) => strings.push(s.val.clone()),
            e => {
                arg_scalar.push(e.value_type() == ValueType::Scalar);
                args.push(plan_expr(e, opts)?);
            }
        }
    }
    Ok(extension(Call {
        func: name.to_string(),
        args,
        arg_scalar,
        strings,
        steps: opts.steps,
        pos: opts.pos(expr),
        arg_pos: c.args.args.iter().map(|a| opts.pos(a)).collect(),
    }))
}

/// `absent(input)`, with the labels Prometheus gives its output as the call's strings (name,
/// value, name, value, ...): a selector's equality matchers, except `__name__` and any label
/// matched more than once or otherwise.
fn absent(input: LogicalPlan, arg: &Expr, opts: &PlanOptions) -> LogicalPlan {
    let matchers = match arg {
        Expr::VectorSelector(vs) => &vs.matchers.matchers,
        Expr::MatrixSelector(ms) => &ms.vs.matchers.matchers,
        _ => &Vec::new(),
    };
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for m in matchers {
        if m.name == "__name__" {
            continue;
        }
        if matches!(m.op, MatchOp::Equal) && !seen.contains(&m.name.as_str()) {
            labels.push((m.name.clone(), m.value.clone()));
            seen.push(&m.name);
        } else {
            labels.retain(|(n, _)| *n != m.name);
        }
    }
    let strings = labels.into_iter().flat_map(|(n, v)| [n, v]).collect();
    extension(Call {
        func: "absent".into(),
        args: vec![input],
        arg_scalar: vec![false],
        strings,
        steps: opts.steps,
        pos: None,
        arg_pos: vec![opts.pos(arg)],
    })
}

fn plan_range_call(name: &str, c: &CallExpr, i: usize, opts: &PlanOptions) -> Result<LogicalPlan> {
    let (sel, range, mut inputs) = match strip_parens(&c.args.args[i]) {
        Expr::MatrixSelector(ms) => (selector(&ms.vs, opts)?, range_ms(ms), Vec::new()),
        Expr::Subquery(sq) => {
            let (plan, sel, range) = plan_subquery(sq, opts)?;
            (sel, range, vec![plan])
        }
        _ => return Err(PlanError::Unsupported(format!("{name} over this range expression"))),
    };
    let over_subquery = !inputs.is_empty();
    let mut params = Vec::new();
    for (j, a) in c.args.args.iter().enumerate() {
        if j == i {
            continue;
        }
        match literal_number(a) {
            Some(v) => params.push(RangeParam::Literal(F64Bits::new(v))),
            // A scalar expression (`scalar(...)`, `time()`, ...), evaluated at every step.
            None => {
                params.push(RangeParam::Input(inputs.len()));
                inputs.push(plan_expr(strip_parens(a), opts)?);
            }
        }
    }
    Ok(extension(RangeCall {
        func: name.to_string(),
        selector: sel,
        range_ms: range,
        lookback_ms: opts.lookback_ms,
        params,
        steps: opts.steps,
        over_subquery,
        inputs,
        pos: c.args.args.first().and_then(|a| opts.pos(a)),
    }))
}
