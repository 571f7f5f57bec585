//! Checking one query result against an `eval` command, as promqltest's `compareResult`,
//! `checkAnnotations` and `checkExpectedFailure` do.

use std::collections::{HashMap, HashSet};

use quiver_proto::{Labels, format_g};

use super::commands::{EvalCmd, ExpectKind, ExpectedSeries};
use super::histogram_compare::{DEFAULT_EPSILON, almost_equal, histograms_match, test_expression};
use super::series::SequenceValue;
use crate::value::{Annotations, Point, RangeSeries, Value, VectorSample};

fn fmt_value(v: &SequenceValue) -> String {
    match v {
        SequenceValue::Omitted => "_".into(),
        SequenceValue::Float(f) => format_g(*f),
        SequenceValue::Histogram { histogram, .. } => test_expression(histogram),
    }
}

fn fmt_values(vals: &[SequenceValue]) -> String {
    let v: Vec<String> = vals.iter().map(fmt_value).collect();
    format!("[{}]", v.join(" "))
}

fn fmt_point(p: &Point) -> String {
    match p {
        Point::Float(f) => format_g(*f),
        Point::Histogram(h) => test_expression(h),
    }
}

/// promqltest's `formatSeriesResult`.
fn fmt_series(s: &RangeSeries) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let floats: Vec<String> = s.floats.iter().map(|(t, f)| format!("{} @[{t}]", format_g(*f))).collect();
    let hists: Vec<String> =
        s.histograms.iter().map(|(t, h)| format!("{} @[{t}]", test_expression(h))).collect();
    format!(
        "{} float point{} [{}] and {} histogram point{} [{}]",
        floats.len(),
        plural(floats.len()),
        floats.join(" "),
        hists.len(),
        plural(hists.len()),
        hists.join(" ")
    )
}

fn fmt_vector(v: &[VectorSample]) -> String {
    let items: Vec<String> =
        v.iter().map(|s| format!("{} => {} @[{}]", s.labels, fmt_point(&s.point), s.t)).collect();
    items.join("\n")
}

fn fmt_matrix(m: &[RangeSeries]) -> String {
    let items: Vec<String> = m.iter().map(|s| format!("{} => {}", s.labels, fmt_series(s))).collect();
    items.join("\n")
}

/// Prometheus's `assertMatrixSorted`: range results come sorted by label set.
pub(super) fn assert_matrix_sorted(m: &[RangeSeries]) -> Result<(), String> {
    for (i, w) in m.windows(2).enumerate() {
        if w[0].labels > w[1].labels {
            return Err(format!(
                "matrix results should always be sorted by labels, but matrix is not sorted: series at index {} with labels {} sorts before series at index {i} with labels {}",
                i + 1,
                w[1].labels,
                w[0].labels
            ));
        }
    }
    Ok(())
}

/// `compareResult`: the value against the expected scalar, string, samples or series.
pub(super) fn compare_result(ev: &EvalCmd, value: &Value) -> Result<(), String> {
    let expected: HashMap<&Labels, &ExpectedSeries> =
        ev.expected_series.iter().map(|s| (&s.labels, s)).collect();
    match value {
        Value::Matrix(m) => {
            if ev.is_ordered() {
                return Err("expected ordered result, but query returned a matrix".into());
            }
            if ev.expected_scalar.is_some() {
                return Err(format!("expected scalar result, but got matrix {}", fmt_matrix(m)));
            }
            assert_matrix_sorted(m)?;
            let mut seen: HashSet<&Labels> = HashSet::new();
            for s in m {
                let Some(exp) = expected.get(&s.labels) else {
                    return Err(format!("unexpected metric {} in result, has {}", s.labels, fmt_series(s)));
                };
                seen.insert(&exp.labels);
                compare_series(ev, exp, s)?;
            }
            if let Some(missing) = ev.expected_series.iter().find(|e| !seen.contains(&e.labels)) {
                return Err(format!("expected metric {} not found", missing.labels));
            }
        }
        Value::Vector(v) => {
            if ev.expected_scalar.is_some() {
                return Err(format!("expected scalar result, but got vector {}", fmt_vector(v)));
            }
            let mut seen: HashSet<&Labels> = HashSet::new();
            for (pos, s) in v.iter().enumerate() {
                let Some(exp) = expected.get(&s.labels) else {
                    return Err(format!(
                        "unexpected metric {} in result, has value {}",
                        s.labels,
                        fmt_point(&s.point)
                    ));
                };
                if ev.is_ordered() && exp.pos != pos + 1 {
                    return Err(format!(
                        "expected metric {} with {} at position {} but was at {}",
                        s.labels,
                        fmt_values(&exp.values),
                        exp.pos,
                        pos + 1
                    ));
                }
                let Some(exp0) = exp.values.first() else {
                    return Err(format!(
                        "expected metric {} has no expected value (line {})",
                        exp.labels, exp.line
                    ));
                };
                compare_sample(exp0, s)?;
                seen.insert(&exp.labels);
            }
            if let Some(missing) = ev.expected_series.iter().find(|e| !seen.contains(&e.labels)) {
                return Err(format!(
                    "expected metric {} with {} not found",
                    missing.labels,
                    fmt_values(&missing.values)
                ));
            }
        }
        Value::Scalar { v, .. } => {
            let Some(exp) = ev.expected_scalar else {
                return Err(format!("expected vector or matrix result, but got scalar: {}", format_g(*v)));
            };
            if !almost_equal(exp, *v, DEFAULT_EPSILON) {
                return Err(format!("expected scalar {} but got {}", format_g(exp), format_g(*v)));
            }
        }
        Value::String { s, .. } => {
            let exp = ev.expected_string.as_deref().unwrap_or("");
            if exp != s {
                return Err(format!("expected string \"{exp}\" but got \"{s}\""));
            }
        }
    }
    Ok(())
}

fn compare_sample(exp0: &SequenceValue, s: &VectorSample) -> Result<(), String> {
    match (exp0, &s.point) {
        (SequenceValue::Histogram { .. }, Point::Float(f)) => {
            return Err(format!(
                "expected histogram {} for {} but got float value {}",
                fmt_value(exp0),
                s.labels,
                format_g(*f)
            ));
        }
        (SequenceValue::Histogram { histogram, counter_reset_hint_set }, Point::Histogram(h)) => {
            if !histograms_match(histogram, h, *counter_reset_hint_set) {
                return Err(format!(
                    "expected {} for {} but got {}",
                    test_expression(histogram),
                    s.labels,
                    test_expression(h)
                ));
            }
        }
        (_, Point::Histogram(h)) => {
            return Err(format!(
                "expected float value {} for {} but got histogram {}",
                fmt_value(exp0),
                s.labels,
                test_expression(h)
            ));
        }
        (_, Point::Float(f)) => {
            if !almost_equal(exp0.float_value(), *f, DEFAULT_EPSILON) {
                return Err(format!(
                    "expected {} for {} but got {}",
                    format_g(exp0.float_value()),
                    s.labels,
                    format_g(*f)
                ));
            }
        }
    }
    Ok(())
}

/// One result series against its expected points, placed at `start + i × step`.
fn compare_series(ev: &EvalCmd, exp: &ExpectedSeries, s: &RangeSeries) -> Result<(), String> {
    let (start, end, step) = ev.window();
    let mut floats: Vec<(i64, f64)> = Vec::new();
    let mut hists = Vec::new();
    for (i, e) in exp.values.iter().enumerate() {
        let t = start.saturating_add((i as i64).saturating_mul(step));
        if t > end {
            return Err(format!(
                "expected {} points for {}, but query time range cannot return this many points",
                exp.values.len(),
                exp.labels
            ));
        }
        match e {
            SequenceValue::Omitted => {}
            SequenceValue::Float(f) => floats.push((t, *f)),
            SequenceValue::Histogram { histogram, counter_reset_hint_set } => {
                hists.push((t, histogram, *counter_reset_hint_set));
            }
        }
    }
    if floats.len() != s.floats.len() || hists.len() != s.histograms.len() {
        return Err(format!(
            "expected {} float points and {} histogram points for {}, but got {}",
            floats.len(),
            hists.len(),
            exp.labels,
            fmt_series(s)
        ));
    }
    for (i, (&(et, ef), &(at, af))) in floats.iter().zip(&s.floats).enumerate() {
        if et != at {
            return Err(format!(
                "expected float value at index {i} for {} to have timestamp {et}, but it had timestamp {at} (result has {})",
                exp.labels,
                fmt_series(s)
            ));
        }
        if !almost_equal(af, ef, DEFAULT_EPSILON) {
            return Err(format!(
                "expected float value at index {i} (t={at}) for {} to be {}, but got {} (result has {})",
                exp.labels,
                format_g(ef),
                format_g(af),
                fmt_series(s)
            ));
        }
    }
    for (i, (&(et, eh, hint_set), (at, ah))) in hists.iter().zip(&s.histograms).enumerate() {
        if et != *at {
            return Err(format!(
                "expected histogram value at index {i} for {} to have timestamp {et}, but it had timestamp {at} (result has {})",
                exp.labels,
                fmt_series(s)
            ));
        }
        if !histograms_match(eh, ah, hint_set) {
            return Err(format!(
                "expected histogram value at index {i} (t={at}) for {} to be {}, but got {} (result has {})",
                exp.labels,
                test_expression(eh),
                test_expression(ah),
                fmt_series(s)
            ));
        }
    }
    Ok(())
}

/// `validateExpectedAnnotationsOfType`: every expect line matches some annotation, and every
/// annotation matches some expect line (only when there are expect lines of that type).
fn check_of_type(
    ev: &EvalCmd,
    expr: &str,
    kind: ExpectKind,
    actual: &[String],
    name: &str,
) -> Result<(), String> {
    let expects: Vec<_> = ev.expects_of(kind).collect();
    if expects.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(format!(
            "expected {name} annotations but none were found for query {expr:?} (line {})",
            ev.line
        ));
    }
    for e in &expects {
        if !actual.iter().any(|a| e.matcher.matches(a)) {
            return Err(format!(
                "expected {name} annotation matching {} but no matching annotation was found for query {expr:?} (line {}), found: {actual:?}",
                e.matcher.describe(),
                ev.line
            ));
        }
    }
    for a in actual {
        if !expects.iter().any(|e| e.matcher.matches(a)) {
            return Err(format!(
                "unexpected {name} annotation {a:?} found for query {expr} (line {})",
                ev.line
            ));
        }
    }
    Ok(())
}

/// `checkAnnotations`. Without any `expect warn/info/no_warn/no_info` line (or deprecated
/// `eval_warn`/`eval_info`), annotations are not checked at all.
pub(super) fn check_annotations(ev: &EvalCmd, expr: &str, annos: &Annotations) -> Result<(), String> {
    if ev.legacy_warn && annos.warnings.is_empty() {
        return Err(format!("expected warnings evaluating query {expr:?} (line {}) but got none", ev.line));
    }
    if ev.legacy_info && annos.infos.is_empty() {
        return Err(format!(
            "expected info annotations evaluating query {expr:?} (line {}) but got none",
            ev.line
        ));
    }
    // Prometheus keeps annotations in a set: duplicates count once.
    let dedup = |v: &[String]| {
        let mut out: Vec<String> = Vec::new();
        for s in v {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    };
    let warnings = dedup(&annos.warnings);
    let infos = dedup(&annos.infos);
    check_of_type(ev, expr, ExpectKind::Warn, &warnings, "warn")?;
    check_of_type(ev, expr, ExpectKind::Info, &infos, "info")?;
    if ev.has_expect(ExpectKind::NoWarn) && !warnings.is_empty() {
        return Err(format!(
            "unexpected warning annotations evaluating query {expr:?} (line {}): {warnings:?}",
            ev.line
        ));
    }
    if ev.has_expect(ExpectKind::NoInfo) && !infos.is_empty() {
        return Err(format!(
            "unexpected info annotations evaluating query {expr:?} (line {}): {infos:?}",
            ev.line
        ));
    }
    Ok(())
}

/// `checkExpectedFailure`: the error against `expected_fail_message`, `expected_fail_regexp` and
/// the `expect fail` line.
pub(super) fn check_expected_failure(ev: &EvalCmd, actual: &str) -> Result<(), String> {
    if let Some(m) = ev.expected_fail_message.as_deref().filter(|m| !m.is_empty())
        && m != actual
    {
        {
            return Err(format!(
                "expected error {m:?} evaluating query {:?} (line {}), but got: {actual}",
                ev.expr, ev.line
            ));
        }
    }
    if let Some(r) = &ev.expected_fail_regexp
        && !r.is_match(actual)
    {
        {
            return Err(format!(
                "expected error matching pattern {:?} evaluating query {:?} (line {}), but got: {actual}",
                r.as_str(),
                ev.expr,
                ev.line
            ));
        }
    }
    if let Some(e) = ev.expects_of(ExpectKind::Fail).next()
        && !e.matcher.matches(actual)
    {
        {
            return Err(format!(
                "expected error matching {} evaluating query {:?} (line {}), but got: {actual}",
                e.matcher.describe(),
                ev.expr,
                ev.line
            ));
        }
    }
    Ok(())
}
