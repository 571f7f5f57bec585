use std::sync::Arc;

use quiver_proto::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, Span};

use super::*;

fn h(count: f64, buckets: &[f64], hint: CounterResetHint) -> Val {
    crate::test_support::hist_val(count, buckets, hint)
}

fn nhcb(bounds: &[f64], buckets: &[f64]) -> Val {
    Val::H(Arc::new(FloatHistogram {
        schema: CUSTOM_BUCKETS_SCHEMA,
        count: buckets.iter().sum(),
        positive_spans: vec![Span { offset: 0, length: buckets.len() as u32 }],
        positive_buckets: buckets.to_vec(),
        custom_values: bounds.to_vec(),
        ..FloatHistogram::default()
    }))
}

fn ok(op: Op, l: &Val, r: &Val) -> Elem {
    elem(op, l, r).unwrap().unwrap()
}

fn dropped(op: Op, l: &Val, r: &Val) -> String {
    elem(op, l, r).unwrap().unwrap_err().message(None)
}

fn hist_of(v: &Val) -> &FloatHistogram {
    match v {
        Val::H(h) => h,
        Val::F(f) => panic!("float {f}"),
    }
}

#[test]
fn ops_round_trip_and_classify() {
    for s in
        ["+", "-", "*", "/", "%", "^", "atan2", "==", "!=", ">", "<", ">=", "<=", "</", ">/", "and", "or"]
    {
        assert_eq!(Op::parse(s).unwrap().as_str(), s);
    }
    assert!(Op::parse("unless").is_ok());
    assert!(Op::parse("~").is_err());
    assert!(Op::Le.is_comparison() && !Op::TrimUpper.is_comparison());
    assert!(Op::Atan2.changes_metric_schema() && !Op::TrimLower.changes_metric_schema());
    assert!(!Op::Eq.changes_metric_schema());
}

#[test]
fn scalars() {
    assert_eq!(Op::Sub.scalar(1.0, 3.0).unwrap(), -2.0);
    assert_eq!(Op::Lt.scalar(1.0, 3.0).unwrap(), 1.0);
    assert_eq!(Op::Gt.scalar(1.0, 3.0).unwrap(), 0.0);
    let err = Op::TrimUpper.scalar(1.0, 3.0).unwrap_err().to_string();
    assert_eq!(err, r#"operator "</" not allowed for Scalar operations"#);
}

#[test]
fn floats() {
    assert_eq!(ok(Op::Pow, &Val::F(2.0), &Val::F(3.0)).val, Val::F(8.0));
    let e = ok(Op::Ge, &Val::F(2.0), &Val::F(3.0));
    assert_eq!((e.val, e.keep), (Val::F(2.0), false));
    assert_eq!(
        dropped(Op::TrimLower, &Val::F(1.0), &Val::F(2.0)),
        r#"PromQL info: incompatible sample types encountered for binary operator ">/": float >/ float"#
    );
}

#[test]
fn histogram_and_float() {
    let x = h(4.0, &[1.0, 3.0], CounterResetHint::NotCounterReset);
    let e = ok(Op::Mul, &Val::F(2.0), &x);
    assert_eq!(hist_of(&e.val).positive_buckets, vec![2.0, 6.0]);
    assert_eq!(hist_of(&e.val).counter_reset_hint, CounterResetHint::NotCounterReset);
    // A negative factor makes a gauge.
    let e = ok(Op::Div, &x, &Val::F(-2.0));
    assert_eq!(hist_of(&e.val).count, -2.0);
    assert_eq!(hist_of(&e.val).counter_reset_hint, CounterResetHint::Gauge);
    // The input is not changed.
    assert_eq!(hist_of(&x).count, 4.0);
    for (op, l, r, text) in [
        (Op::Add, &Val::F(1.0), &x, "float + histogram"),
        (Op::Div, &Val::F(1.0), &x, "float / histogram"),
        (Op::TrimUpper, &Val::F(1.0), &x, "float </ histogram"),
        (Op::Sub, &x, &Val::F(1.0), "histogram - float"),
        (Op::Lt, &x, &Val::F(1.0), "histogram < float"),
        (Op::Eq, &x, &Val::F(1.0), "histogram == float"),
    ] {
        assert!(dropped(op, l, r).ends_with(text), "{op:?}");
    }
}

#[test]
fn trims_keep_the_hint_and_count_what_is_left() {
    let x = h(4.0, &[1.0, 3.0], CounterResetHint::NotCounterReset);
    // Schema 0: buckets (0.5, 1] and (1, 2]; keep what is below 1.
    let e = ok(Op::TrimUpper, &x, &Val::F(1.0));
    let got = hist_of(&e.val);
    assert_eq!(got.count, 1.0);
    assert_eq!(got.counter_reset_hint, CounterResetHint::NotCounterReset);
    let e = ok(Op::TrimLower, &x, &Val::F(1.0));
    assert_eq!(hist_of(&e.val).count, 3.0);
}

#[test]
fn histogram_pairs() {
    let a = h(4.0, &[1.0, 3.0], CounterResetHint::Unknown);
    let b = h(2.0, &[1.0, 1.0], CounterResetHint::Unknown);
    let e = ok(Op::Add, &a, &b);
    assert_eq!(hist_of(&e.val).positive_buckets, vec![2.0, 4.0]);
    assert_eq!(e.info, None);
    let e = ok(Op::Sub, &a, &b);
    assert_eq!(hist_of(&e.val).count, 2.0);
    assert_eq!(hist_of(&e.val).counter_reset_hint, CounterResetHint::Gauge);
    let e = ok(Op::Eq, &a, &a);
    assert!(e.keep && e.val == a);
    assert!(!ok(Op::Eq, &a, &b).keep);
    assert!(ok(Op::Ne, &a, &b).keep);
    assert!(dropped(Op::Mul, &a, &b).ends_with("histogram * histogram"));
    assert!(dropped(Op::TrimLower, &a, &b).ends_with("histogram >/ histogram"));
}

#[test]
fn histogram_pair_annotations() {
    let reset = h(4.0, &[1.0, 3.0], CounterResetHint::CounterReset);
    let not_reset = h(2.0, &[1.0, 1.0], CounterResetHint::NotCounterReset);
    assert_eq!(
        dropped(Op::Add, &reset, &not_reset),
        "PromQL warning: conflicting counter resets during histogram addition"
    );
    assert_eq!(
        dropped(Op::Sub, &reset, &not_reset),
        "PromQL warning: conflicting counter resets during histogram subtraction"
    );
    let custom = nhcb(&[1.0, 2.0], &[1.0, 1.0, 1.0]);
    assert_eq!(
        dropped(Op::Add, &reset, &custom),
        "PromQL warning: incompatible bucket layout encountered for binary operator +"
    );
    let other = nhcb(&[2.0], &[1.0, 1.0]);
    let e = ok(Op::Sub, &custom, &other);
    assert_eq!(hist_of(&e.val).custom_values, vec![2.0]);
    assert_eq!(
        e.info.map(|a| a.message(None)).as_deref(),
        Some("PromQL info: mismatched custom buckets were reconciled during subtraction")
    );
}
