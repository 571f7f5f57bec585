use datafusion_expr::LogicalPlan;

use super::*;
use crate::options::EvalSteps;

fn explain(q: &str) -> String {
    match plan_query(q, &PlanOptions::new(EvalSteps::range(0, 600_000, 60_000))).unwrap() {
        Planned::Plan { plan, .. } => plan.display_indent().to_string(),
        Planned::String(s) => s,
    }
}

#[test]
fn plans_nodes_for_each_ast_kind() {
    let p = explain(
        r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1m)) / on(job) group_left up * 2"#,
    );
    assert!(p.contains("Binary: /"), "{p}");
    assert!(p.contains("Aggregate: sum by (job)"), "{p}");
    assert!(p.contains("RangeCall: rate("), "{p}");
    assert!(p.contains("offset 60000ms"), "{p}");
    assert!(p.contains("VectorSelect"), "{p}");
    assert!(p.contains("NumberLiteral: 2"), "{p}");
}

#[test]
fn errors_are_typed() {
    let opts = PlanOptions::new(EvalSteps::range(0, 600_000, 60_000));
    assert!(matches!(plan_query("sum(", &opts), Err(PlanError::Parse(_))));
    assert!(matches!(plan_query("foo[5m]", &opts), Err(PlanError::Invalid(_))));
    assert!(matches!(plan_query("limitk(1, foo)", &opts), Err(PlanError::Invalid(_))));
    let p = plan_query("\"hello\"", &opts).unwrap();
    assert!(matches!(p, Planned::String(ref s) if s == "hello"));
    let _: Option<LogicalPlan> = None;
}

#[test]
fn parser_panics_become_parse_errors() {
    // Found by the promql_plan fuzz target: promql-parser panics converting this duration.
    let q = "J_1999999999999999999999999999[999999999999999999999999999999999999999.7]";
    let r = plan_query(q, &PlanOptions::new(EvalSteps::instant(0)));
    assert!(matches!(r, Err(PlanError::Parse(_))), "{r:?}");
}

#[test]
fn aggregation_parameters_are_literals_or_inputs() {
    let p = explain("topk(3, foo)");
    assert!(p.contains("Aggregate: topk by () param=3"), "{p}");
    let p = explain("quantile by (job) (scalar(bar), foo)");
    assert!(p.contains("Aggregate: quantile by (job) param=<first input>"), "{p}");
    assert!(p.contains("Call: scalar"), "{p}");
    let mut opts = PlanOptions::new(EvalSteps::instant(0));
    opts.features.experimental_functions = true;
    let Planned::Plan { plan, .. } = plan_query("limit_ratio(time() % 17 / 17, foo)", &opts).unwrap() else {
        panic!("a plan")
    };
    assert_eq!(plan.inputs().len(), 2);
    // Rebuilding the node from its inputs keeps the parameter plan apart from the input.
    let rebuilt = plan.with_new_exprs(Vec::new(), plan.inputs().into_iter().cloned().collect()).unwrap();
    assert_eq!(rebuilt, plan);
    let Planned::Plan { plan, .. } = plan_query(r#"count_values(("v"), foo)"#, &opts).unwrap() else {
        panic!("a plan")
    };
    assert_eq!(plan.inputs().len(), 1);
}

/// Turns one feature on.
type Enable = fn(&mut crate::Features);

#[test]
fn experimental_syntax_needs_its_feature() {
    let cases: [(&str, Enable); 3] = [
        ("a + fill(0) b", |f| f.binop_fill_modifiers = true),
        ("rate(a[5m] anchored)", |f| f.extended_range_selectors = true),
        ("rate(a[5m+1m])", |f| f.duration_expressions = true),
    ];
    for (q, enable) in cases {
        let mut opts = PlanOptions::new(EvalSteps::instant(0));
        let r = plan_query(q, &opts);
        assert!(matches!(r, Err(PlanError::Parse(ref m)) if m.contains("not enabled")), "{q}: {r:?}");
        enable(&mut opts.features);
        assert!(plan_query(q, &opts).is_ok(), "{q}");
    }
}

#[test]
fn selectors_are_counted_through_every_expression_kind() {
    for (q, n) in [
        ("1 + 2", 0),
        (r#""text""#, 0),
        ("up", 1),
        ("rate(x[5m]) / on(a) group_left rate(y[5m])", 2),
        ("topk(scalar(k), -(x))", 2),
        ("max_over_time((x offset 1m)[10m:1m])", 1),
        ("a </ b", 2),
    ] {
        assert_eq!(selector_count(q).ok(), Some(n), "{q}");
    }
    assert!(matches!(selector_count("sum("), Err(PlanError::Parse(_))));
}
