//! The histogram functions of `CallExec`, run end to end as promqltest scripts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::call_histogram::openmetrics_float;

fn run(script: &str) {
    crate::test_support::assert_script_passes(script);
}

/// A native histogram `hist{x="n"}` and the same distribution as classic buckets
/// `hist_bucket{x="c"}`: observations 1 in (0.5, 1], 2 in (1, 2], 1 in (2, 4].
const DATA: &str = r#"
load 1m
  hist{x="n"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}x2
  histf{x="f"} 3x2
  hist_bucket{x="c", le="1"} 1x2
  hist_bucket{x="c", le="2"} 3x2
  hist_bucket{x="c", le="4"} 4x2
  hist_bucket{x="c", le="+Inf"} 4x2
"#;

#[test]
fn call_histogram_native_stats_skip_floats() {
    run(&format!(
        r#"{DATA}
eval instant at 1m histogram_count({{__name__=~"hist|histf"}})
  {{x="n"}} 4

eval instant at 1m histogram_sum({{__name__=~"hist|histf"}})
  {{x="n"}} 5

eval instant at 1m histogram_avg({{__name__=~"hist|histf"}})
  {{x="n"}} 1.25

eval instant at 1m histogram_stdvar({{__name__=~"hist|histf"}})
  {{x="n"}} 0.7100243558256704

eval range from 0 to 2m step 1m histogram_count(hist)
  {{x="n"}} 4 4 4
"#
    ));
}

#[test]
fn call_histogram_quantile_native_and_classic_together() {
    run(&format!(
        r#"{DATA}
eval instant at 1m histogram_quantile(0.5, {{__name__=~"hist|hist_bucket"}})
  expect no_warn
  {{x="n"}} 1.414213562373095
  {{x="c"}} 1.5

eval instant at 1m histogram_quantile(2, hist)
  expect warn regex: quantile value should be between 0 and 1, got 2
  {{x="n"}} +Inf

eval instant at 1m histogram_quantiles({{__name__=~"hist|hist_bucket"}}, "q", 0, 0.5, 1)
  {{q="0.0", x="n"}} 0.5
  {{q="0.0", x="c"}} 0
  {{q="0.5", x="n"}} 1.414213562373095
  {{q="0.5", x="c"}} 1.5
  {{q="1.0", x="n"}} 4
  {{q="1.0", x="c"}} 4

eval instant at 1m histogram_quantiles(hist_bucket, "x", 0.1, 0.2)
  {{x="0.1"}} 0.4
  {{x="0.2"}} 0.8

eval instant at 1m histogram_fraction(0, 2, {{__name__=~"hist|hist_bucket"}})
  {{x="n"}} 0.75
  {{x="c"}} 0.75
"#
    ));
}

#[test]
fn call_histogram_classic_groups_keep_the_metric_name() {
    // Buckets of two metrics with the same other labels are two histograms, whose results
    // collide once the names are dropped.
    run(r#"
load 1m
  a_bucket{le="1"} 1
  a_bucket{le="+Inf"} 2
  b_bucket{le="1"} 1
  b_bucket{le="+Inf"} 2

eval instant at 0 histogram_quantile(0.5, {__name__=~"a_bucket|b_bucket"})
  expect fail

eval instant at 0 histogram_quantiles(a_bucket, "le", 0.1, 0.2)
  {le="0.1"} 0.2
  {le="0.2"} 0.4

eval instant at 0 histogram_quantiles({__name__=~"a_bucket|b_bucket"} * 1, "q", 0.5)
  expect fail
"#);
}

#[test]
fn call_histogram_mixed_classic_native_and_bad_buckets() {
    run(r#"
load 1m
  mixed{le="1"} 1
  mixed{le="+Inf"} 2
  mixed {{schema:0 sum:5 count:4 buckets:[1 2 1]}}
  other {{schema:0 sum:5 count:4 buckets:[1 2 1]}}
  bad_bucket{le="x"} 1

eval instant at 0 histogram_quantile(0.5, {__name__=~"mixed|other"})
  expect warn regex: vector contains a mix of classic and native histograms for metric name "mixed"
  {} 1.414213562373095

eval instant at 0 histogram_fraction(0, 2, mixed)
  expect warn regex: vector contains a mix of classic and native histograms for metric name "mixed"

eval instant at 0 histogram_quantiles(mixed, "q", 0.5)
  expect warn regex: vector contains a mix of classic and native histograms for metric name "mixed"

eval instant at 0 histogram_quantile(0.5, bad_bucket)
  expect warn regex: bucket label "le" is missing or has a malformed value of "x" for metric name "bad_bucket"
"#);
}

#[test]
fn call_histogram_nan_observations_and_monotonicity() {
    run(r#"
load 1m
  nanh {{schema:0 sum:NaN count:5 buckets:[1 2 1]}}
  nonmono_bucket{le="1"} 2x2
  nonmono_bucket{le="2"} 1x2
  nonmono_bucket{le="+Inf"} 3x2

eval instant at 0 histogram_fraction(0, 2, nanh)
  expect info regex: input to histogram_fraction has NaN observations, which are excluded from all fractions for metric name "nanh"
  {} 0.6

eval instant at 0 histogram_quantile(0.99, nanh)
  expect info regex: input to histogram_quantile has NaN observations, result is NaN for metric name "nanh"
  {} NaN

eval range from 0 to 2m step 1m histogram_quantile(0.5, nonmono_bucket)
  expect info regex: over 3 samples from 1970-01-01T00:00:00Z to 1970-01-01T00:02:00Z
  {} 0.75 0.75 0.75
"#);
}

#[test]
fn call_histogram_scalar_and_negation() {
    run(r#"
load 1m
  m{t="h"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}
  m{t="f"} 7

eval instant at 0 scalar(m)
  7

eval instant at 0 -m
  {t="h"} {{schema:0 sum:-5 count:-4 counter_reset_hint:gauge buckets:[-1 -2 -1]}}
  {t="f"} -7

eval instant at 0 abs(m)
  {t="f"} 7

eval instant at 0 label_replace(m, "u", "$1", "t", "(.*)")
  m{t="h", u="h"} {{schema:0 sum:5 count:4 buckets:[1 2 1]}}
  m{t="f", u="f"} 7
"#);
}

#[test]
fn call_histogram_quantile_label_values() {
    assert_eq!(openmetrics_float(0.0), "0.0");
    assert_eq!(openmetrics_float(1.0), "1.0");
    assert_eq!(openmetrics_float(-1.0), "-1.0");
    assert_eq!(openmetrics_float(0.25), "0.25");
    assert_eq!(openmetrics_float(-0.1), "-0.1");
    assert_eq!(openmetrics_float(2.0), "2.0");
    assert_eq!(openmetrics_float(1e21), "1e+21");
    assert_eq!(openmetrics_float(f64::NAN), "NaN");
    assert_eq!(openmetrics_float(f64::INFINITY), "+Inf");
    assert_eq!(openmetrics_float(f64::NEG_INFINITY), "-Inf");
}
