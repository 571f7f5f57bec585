//! Binary operators end to end, as promqltest scripts against the in-memory engine.

fn run(script: &str) {
    crate::test_support::assert_script_passes(script);
}

const DATA: &str = r#"
load 1m
  h{job="a", inst="1"} {{schema:0 sum:4 count:4 buckets:[1 2 1]}}x2
  h{job="a", inst="2"} {{schema:0 sum:2 count:2 buckets:[1 1]}}x2
  scale{job="a"} 2x2
  f{job="a", inst="1"} 3x2
  f{job="a", inst="2"} 0x2
"#;

#[test]
fn histogram_arithmetic_with_vector_matching() {
    run(&format!(
        r#"{DATA}
eval instant at 1m h * on(job) group_left scale
  expect no_info
  {{job="a", inst="1"}} {{{{schema:0 sum:8 count:8 buckets:[2 4 2]}}}}
  {{job="a", inst="2"}} {{{{schema:0 sum:4 count:4 buckets:[2 2]}}}}

eval instant at 1m scale * on(job) group_right h / 4
  expect no_info
  {{job="a", inst="1"}} {{{{schema:0 sum:2 count:2 buckets:[0.5 1 0.5]}}}}
  {{job="a", inst="2"}} {{{{schema:0 sum:1 count:1 buckets:[0.5 0.5]}}}}

eval instant at 1m h{{inst="1"}} - ignoring(inst) h{{inst="2"}}
  expect no_info
  {{job="a"}} {{{{schema:0 sum:2 count:2 buckets:[0 1 1] counter_reset_hint:gauge}}}}

eval instant at 1m h + f
  expect info msg: PromQL info: incompatible sample types encountered for binary operator "+": histogram + float (1:1)

eval instant at 1m h + h
  {{job="a", inst="1"}} {{{{schema:0 sum:8 count:8 buckets:[2 4 2]}}}}
  {{job="a", inst="2"}} {{{{schema:0 sum:4 count:4 buckets:[2 2]}}}}
"#
    ));
}

#[test]
fn histogram_comparisons() {
    run(&format!(
        r#"{DATA}
eval instant at 1m {{job="a"}} > 1
  expect info msg: PromQL info: incompatible sample types encountered for binary operator ">": histogram > float (1:1)
  scale{{job="a"}} 2
  f{{job="a", inst="1"}} 3

eval instant at 1m 1 <= bool {{inst="1"}}
  expect info msg: PromQL info: incompatible sample types encountered for binary operator "<=": float <= histogram (1:1)
  {{job="a", inst="1"}} 1

eval instant at 1m h{{inst="2"}} == bool ignoring(inst) h{{inst="1"}}
  expect no_info
  {{job="a"}} 0

eval instant at 1m h != h
  expect no_info

eval instant at 1m h == on(inst) h
  expect no_info
  {{inst="1"}} {{{{schema:0 sum:4 count:4 buckets:[1 2 1]}}}}
  {{inst="2"}} {{{{schema:0 sum:2 count:2 buckets:[1 1]}}}}

eval instant at 1m h > bool h
  expect info msg: PromQL info: incompatible sample types encountered for binary operator ">": histogram > histogram (1:1)
"#
    ));
}

#[test]
fn set_operators_pass_histograms_through() {
    run(&format!(
        r#"{DATA}
eval instant at 1m h and on(inst) f > 1
  h{{job="a", inst="1"}} {{{{schema:0 sum:4 count:4 buckets:[1 2 1]}}}}

eval instant at 1m f unless on(inst) h
  expect no_info

eval instant at 1m scale or h
  scale{{job="a"}} 2
  h{{job="a", inst="1"}} {{{{schema:0 sum:4 count:4 buckets:[1 2 1]}}}}
  h{{job="a", inst="2"}} {{{{schema:0 sum:2 count:2 buckets:[1 1]}}}}
"#
    ));
}

#[test]
fn trims() {
    run(&format!(
        r#"{DATA}
eval instant at 1m h </ 1
  h{{job="a", inst="1"}} {{{{schema:0 sum:0.7071067811865476 count:1 buckets:[1]}}}}
  h{{job="a", inst="2"}} {{{{schema:0 sum:0.7071067811865476 count:1 buckets:[1]}}}}

eval instant at 1m h >/ on(inst) group_left f
  h{{job="a", inst="1"}} {{{{schema:0 sum:1.437732071594577 count:0.4150374992788437 offset:2 buckets:[0.4150374992788437]}}}}
  h{{job="a", inst="2"}} {{{{schema:0 sum:2 count:2 buckets:[1 1]}}}}

eval instant at 1m f </ 1
  expect info msg: PromQL info: incompatible sample types encountered for binary operator "</": float </ float (1:1)

eval instant at 1m 1 >/ h
  expect info msg: PromQL info: incompatible sample types encountered for binary operator ">/": float >/ histogram (1:1)

eval instant at 1m h </ h
  expect info msg: PromQL info: incompatible sample types encountered for binary operator "</": histogram </ histogram (1:1)

eval instant at 1m 1 </ 2
  expect fail msg: operator "</" not allowed for Scalar operations

eval instant at 1m h </ bool 1
  expect fail

eval instant at 1m h >/ 1 > bool 0
  expect info msg: PromQL info: incompatible sample types encountered for binary operator ">": histogram > float (1:1)
"#
    ));
}

#[test]
fn histogram_pair_annotations() {
    run(r#"
load 1m
  reset{x="1"} {{schema:0 sum:5 count:5 buckets:[5]}} {{schema:0 sum:1 count:1 buckets:[1]}}
  reset{x="2"} {{schema:0 sum:1 count:1 buckets:[1]}} {{schema:0 sum:1 count:1 buckets:[1]}}
  nhcb{x="1"} {{schema:-53 sum:1 count:1 custom_values:[5 10] buckets:[1]}}
  nhcb{x="2"} {{schema:-53 sum:1 count:1 custom_values:[10] buckets:[1]}}

# Read back from storage, a counter reset is not marked as such (counter reset hint
# collisions are covered by the unit tests of binary_elem).
eval instant at 1m reset{x="1"} + ignoring(x) reset{x="2"}
  expect no_warn
  {} {{schema:0 sum:2 count:2 buckets:[2]}}

eval instant at 0m nhcb{x="1"} + ignoring(x) nhcb{x="2"}
  expect info msg: PromQL info: mismatched custom buckets were reconciled during addition (1:1)
  {} {{schema:-53 sum:2 count:2 custom_values:[10] buckets:[2]}}

eval instant at 0m nhcb{x="1"} - ignoring(x) reset{x="1"}
  expect warn msg: PromQL warning: incompatible bucket layout encountered for binary operator - (1:1)
"#);
}
