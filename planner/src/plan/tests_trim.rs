use promql_parser::parser::Expr;

use super::*;
use crate::plan::{Planned, parse, plan_query};
use crate::{EvalSteps, PlanOptions};

fn ops_of(q: &str) -> Vec<Option<Trim>> {
    scan(q).unwrap().ops
}

/// The binary operators of a parsed query in source order, trims included; `bool` marked.
fn tree_ops(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Binary(b) => {
            tree_ops(&b.lhs, out);
            let bool_ = b.modifier.as_ref().is_some_and(|m| m.return_bool);
            out.push(format!("{}{}", b.op, if bool_ { " bool" } else { "" }));
            tree_ops(&b.rhs, out);
        }
        Expr::Extension(x) => {
            let t = x.expr.as_any().downcast_ref::<TrimExpr>().unwrap();
            tree_ops(&t.operands[0], out);
            assert!(!t.modifier.as_ref().is_some_and(|m| m.return_bool));
            out.push(t.trim.op().to_string());
            tree_ops(&t.operands[1], out);
        }
        Expr::Paren(p) => tree_ops(&p.expr, out),
        Expr::Unary(u) => tree_ops(&u.expr, out),
        Expr::Subquery(s) => tree_ops(&s.expr, out),
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                tree_ops(p, out);
            }
            tree_ops(&a.expr, out);
        }
        Expr::Call(c) => c.args.args.iter().for_each(|a| tree_ops(a, out)),
        _ => {}
    }
}

fn parsed_ops(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    tree_ops(&parse(q, Default::default()).unwrap().0, &mut out);
    out
}

#[test]
fn scan_rewrites_trims_into_comparisons() {
    let s = scan("h </ 2").unwrap();
    assert_eq!(s.text, "h < bool  2");
    assert_eq!(s.ops, vec![Some(Trim::Upper)]);
    let s = scan("h>/2").unwrap();
    assert_eq!(s.text, "h> bool 2");
    assert_eq!(s.ops, vec![Some(Trim::Lower)]);
    // Nothing to do: the text is left alone.
    let s = scan("a < b").unwrap();
    assert_eq!(s.text, "a < b");
    assert!(!s.has_trims());
}

#[test]
fn scan_skips_strings_and_comments() {
    let q = r#"label_replace(h, "a", "</", "b", 'x>/y') </ 1"#;
    assert_eq!(ops_of(q), vec![Some(Trim::Upper)]);
    assert_eq!(ops_of(r#"{a="\"</"} >/ 1"#), vec![Some(Trim::Lower)]);
    assert_eq!(ops_of("h{a=`</\\`} </ 1"), vec![Some(Trim::Upper)]);
    assert_eq!(ops_of("h # a </ b > c\n >/ 1"), vec![Some(Trim::Lower)]);
    assert_eq!(ops_of(r#"h{a="x", b=~"<|>"} < 1"#), vec![None]);
}

#[test]
fn scan_tells_trims_from_other_comparisons() {
    let q = "a < b </ c >= d >/ e <= f > g";
    assert_eq!(ops_of(q), vec![None, Some(Trim::Upper), Some(Trim::Lower), None]);
    // `< /x` is a comparison followed by a division, not a trim (an error later).
    assert_eq!(ops_of("a < /b"), vec![None]);
}

#[test]
fn scan_rejects_bool_on_trims() {
    for q in ["a </ bool b", "a >/BOOL b", "a </ # comment\n bool b"] {
        let err = scan(q).unwrap_err().to_string();
        assert!(err.contains("bool modifier can only be used on comparison operators"), "{q}: {err}");
    }
    // A metric whose name starts with "bool" is fine.
    assert_eq!(ops_of("a </ boolean"), vec![Some(Trim::Upper)]);
    assert_eq!(ops_of("a </ bool:x"), vec![Some(Trim::Upper)]);
    // `bool` on a real comparison stays the parser's business.
    assert_eq!(ops_of("a < bool b"), vec![None]);
}

#[test]
fn restore_puts_trims_back_in_source_order() {
    assert_eq!(parsed_ops("h </ 2"), ["</"]);
    assert_eq!(parsed_ops("a < b </ c > bool d >/ e"), ["<", "</", "> bool", ">/"]);
    assert_eq!(parsed_ops("(a </ 1) + b * (c >/ 2)"), ["</", "+", "*", ">/"]);
    assert_eq!(parsed_ops("histogram_count(h </ 2) > 3"), ["</", ">"]);
    assert_eq!(parsed_ops("topk(1 < bool 2, sum(h >/ 1) < 5)"), ["< bool", ">/", "<"]);
    assert_eq!(parsed_ops("-(a >/ 1) < 2"), [">/", "<"]);
    assert_eq!(parsed_ops("max_over_time((h </ 2)[5m:1m])"), ["</"]);
    assert_eq!(parsed_ops("h </ on(le) group_left f"), ["</"]);
}

#[test]
fn trims_plan_to_binary_nodes() {
    let opts = PlanOptions::new(EvalSteps::instant(0));
    let explain = |q: &str| match plan_query(q, &opts).unwrap() {
        Planned::Plan { plan, .. } => plan.display_indent().to_string(),
        Planned::String(s) => s,
    };
    let p = explain("h </ on(label) f");
    assert!(p.contains("Binary: </ on(label)"), "{p}");
    assert!(!p.contains("bool"), "{p}");
    let p = explain("h >/ 1 < 2");
    assert!(p.contains("Binary: <\n") && p.contains("Binary: >/\n"), "{p}");
    // Between scalars it is an evaluation error in Prometheus, not a parse error.
    let p = explain("1 </ 2");
    assert!(p.contains("Binary: </"), "{p}");
    match plan_query("1 </ 2", &opts).unwrap() {
        Planned::Plan { kind, .. } => assert_eq!(kind, crate::ValueKind::Scalar),
        Planned::String(_) => panic!("not a string"),
    }
}
