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
    insta::assert_snapshot!(explain(
        r#"sum by (job) (rate(http_requests_total{code=~"5.."}[5m] offset 1m)) / on(job) group_left up * 2"#,
    ));
    insta::assert_snapshot!(explain("max_over_time(deriv(x[5m])[30m:1m] @ 300) - -abs(y)"));
    insta::assert_snapshot!(explain(r#"label_replace(topk(2, x), "a", "$1", "b", "(.*)") unless on(c) y"#));
}

#[test]
fn range_function_parameters_may_be_expressions() {
    insta::assert_snapshot!(explain("quantile_over_time(scalar(q), x[5m])"));
    insta::assert_snapshot!(explain("predict_linear(x[10m:1m], 60 * scalar(h))"));
}

#[test]
fn steps_past_the_sample_limit_fail_before_planning() {
    let opts = PlanOptions::new(EvalSteps::instant(0));
    let r = plan_query("max_over_time(x[1000000d:1ms])", &opts);
    assert!(matches!(r, Err(PlanError::TooManySteps)), "{r:?}");
    let r = plan_query("x", &PlanOptions::new(EvalSteps::range(0, i64::MAX, 1)));
    assert!(matches!(r, Err(PlanError::TooManySteps)), "{r:?}");
    // Absurd offsets saturate instead of overflowing.
    let r = plan_query("max_over_time(x[5m:1m] offset -100000000w)", &opts);
    assert!(r.is_ok(), "{r:?}");
}

/// Planning recurses per level; the limit is sized for the engine's query threads, so this
/// runs on a thread with their stack.
#[test]
fn depth_and_length_limits() {
    let check = || {
        let opts = PlanOptions::new(EvalSteps::instant(0));
        let at_limit = vec!["1"; MAX_EXPRESSION_DEPTH - 1].join("+");
        assert!(plan_query(&at_limit, &opts).is_ok());
        for q in [
            vec!["1"; MAX_EXPRESSION_DEPTH + 2].join("+"),
            format!("{}1{}", "(".repeat(MAX_EXPRESSION_DEPTH + 1), ")".repeat(MAX_EXPRESSION_DEPTH + 1)),
            format!("{}x", "- ".repeat(MAX_EXPRESSION_DEPTH + 1)),
        ] {
            let r = plan_query(&q, &opts);
            assert!(matches!(&r, Err(PlanError::TooComplex(m)) if m.contains("levels deep")), "{r:?}");
        }
        let r = plan_query(&"1".repeat(MAX_QUERY_BYTES + 1), &opts);
        assert!(matches!(&r, Err(PlanError::TooComplex(m)) if m.contains("bytes long")), "{r:?}");
    };
    let t = std::thread::Builder::new().stack_size(256 << 20).spawn(check).expect("thread");
    assert!(t.join().is_ok(), "the checks above failed");
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
    insta::assert_snapshot!(explain("topk(3, foo)"));
    insta::assert_snapshot!(explain("quantile by (job) (scalar(bar), foo)"));
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
