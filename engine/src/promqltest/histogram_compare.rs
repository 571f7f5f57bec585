//! Comparing, validating and printing float histograms as promqltest does: `compareNativeHistogram`
//! (after `Compact(0)` of both sides), `FloatHistogram.Validate` and `TestExpression`.

use quiver_proto::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, Span, format_g};

use super::histogram_compact::compact;

/// Relative error promqltest allows for sample values (`defaultEpsilon`).
pub const DEFAULT_EPSILON: f64 = 0.000001;

pub use crate::functions::classic_histogram::almost_equal;

/// `compareNativeHistogram` on compacted copies; the counter reset hint only counts when the
/// expected literal gave it.
pub fn histograms_match(expected: &FloatHistogram, actual: &FloatHistogram, hint_set: bool) -> bool {
    let mut exp = expected.clone();
    let mut cur = actual.clone();
    compact(&mut exp, 0);
    compact(&mut cur, 0);
    let eq = |a: f64, b: f64| almost_equal(a, b, DEFAULT_EPSILON);
    if exp.schema != cur.schema || !eq(exp.count, cur.count) || !eq(exp.sum, cur.sum) {
        return false;
    }
    if exp.schema == CUSTOM_BUCKETS_SCHEMA && exp.custom_values != cur.custom_values {
        return false;
    }
    if exp.zero_threshold != cur.zero_threshold || !eq(exp.zero_count, cur.zero_count) {
        return false;
    }
    if !spans_match(&exp.negative_spans, &cur.negative_spans)
        || !buckets_match(&exp.negative_buckets, &cur.negative_buckets)
        || !spans_match(&exp.positive_spans, &cur.positive_spans)
        || !buckets_match(&exp.positive_buckets, &cur.positive_buckets)
    {
        return false;
    }
    !hint_set || exp.counter_reset_hint == cur.counter_reset_hint
}

fn buckets_match(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| almost_equal(*x, *y, DEFAULT_EPSILON))
}

/// promqltest's `spansMatch`: equal layouts, ignoring zero-length spans.
pub(super) fn spans_match(s1: &[Span], s2: &[Span]) -> bool {
    if s1.is_empty() && s2.is_empty() {
        return true;
    }
    let (mut i1, mut i2) = (0usize, 0usize);
    loop {
        if i1 >= s1.len() {
            return all_empty(&s2[i2.min(s2.len())..]);
        }
        if i2 >= s2.len() {
            return all_empty(&s1[i1..]);
        }
        let mut c1 = s1[i1];
        let mut c2 = s2[i2];
        i1 += 1;
        i2 += 1;
        for (cur, spans, idx) in [(&mut c1, s1, &mut i1), (&mut c2, s2, &mut i2)] {
            if cur.length == 0 {
                while *idx < spans.len() && spans[*idx].length == 0 {
                    cur.offset = cur.offset.wrapping_add(spans[*idx].offset);
                    *idx += 1;
                }
                if *idx < spans.len() {
                    cur.offset = cur.offset.wrapping_add(spans[*idx].offset);
                    cur.length = spans[*idx].length;
                    *idx += 1;
                }
            }
        }
        if c1.length == 0 && c2.length == 0 {
            return true;
        }
        if c1.offset != c2.offset || c1.length != c2.length {
            return false;
        }
    }
}

fn all_empty(s: &[Span]) -> bool {
    s.iter().all(|s| s.length == 0)
}

/// `FloatHistogram.Validate`.
pub(super) fn validate(h: &FloatHistogram) -> Result<(), String> {
    let check_spans = |spans: &[Span], n: usize, side: &str| -> Result<(), String> {
        for (i, s) in spans.iter().enumerate() {
            if i > 0 && s.offset < 0 {
                return Err(format!(
                    "{side} side: span number {} with offset {}: histogram has a span whose offset is negative",
                    i + 1,
                    s.offset
                ));
            }
        }
        let need: u64 = spans.iter().map(|s| u64::from(s.length)).sum();
        if need != n as u64 {
            return Err(format!(
                "{side} side: spans need {need} buckets, have {n} buckets: histogram spans specify different number of buckets than provided"
            ));
        }
        Ok(())
    };
    let check_buckets = |b: &[f64], side: &str| -> Result<(), String> {
        match b.iter().position(|&c| c < 0.0) {
            Some(i) => Err(format!(
                "{side} side: bucket number {} has observation count of {}: histogram has a bucket whose observation count is negative",
                i + 1,
                format_g(b[i])
            )),
            None => Ok(()),
        }
    };
    if h.schema == CUSTOM_BUCKETS_SCHEMA {
        let mut prev = f64::NEG_INFINITY;
        for (i, &b) in h.custom_values.iter().enumerate() {
            if b.is_nan() {
                return Err("custom buckets: histogram custom bounds must not be NaN".into());
            }
            if i > 0 && b <= prev {
                return Err(format!(
                    "custom buckets: previous bound is {prev} and current is {b}: histogram custom bounds must be in strictly increasing order"
                ));
            }
            prev = b;
        }
        if prev == f64::INFINITY {
            return Err("custom buckets: last +Inf bound must not be explicitly defined".into());
        }
        let mut total = 0i64;
        for (i, s) in h.positive_spans.iter().enumerate() {
            if s.offset < 0 {
                return Err(format!(
                    "custom buckets: span number {} with offset {}: histogram has a span whose offset is negative",
                    i + 1,
                    s.offset
                ));
            }
            total += i64::from(s.length) + i64::from(s.offset);
        }
        check_spans(&h.positive_spans, h.positive_buckets.len(), "custom buckets:")?;
        if (h.custom_values.len() as i64 + 1) < total {
            return Err(format!(
                "custom buckets: only {} custom bounds defined which is insufficient to cover total span length of {total}",
                h.custom_values.len()
            ));
        }
        if h.zero_count != 0.0 {
            return Err("custom buckets: must have zero count of 0".into());
        }
        if h.zero_threshold != 0.0 {
            return Err("custom buckets: must have zero threshold of 0".into());
        }
        if !h.negative_spans.is_empty() || !h.negative_buckets.is_empty() {
            return Err("custom buckets: must not have negative buckets".into());
        }
    } else if (quiver_proto::EXPONENTIAL_SCHEMA_MIN..=quiver_proto::EXPONENTIAL_SCHEMA_MAX)
        .contains(&h.schema)
    {
        check_spans(&h.positive_spans, h.positive_buckets.len(), "positive")?;
        check_spans(&h.negative_spans, h.negative_buckets.len(), "negative")?;
        check_buckets(&h.negative_buckets, "negative")?;
        if h.zero_count < 0.0 {
            return Err(format!("zero bucket has observation count of {}", format_g(h.zero_count)));
        }
        if !h.custom_values.is_empty() {
            return Err("histogram with exponential schema must not have custom bounds".into());
        }
    } else {
        return Err(format!("histogram has an invalid schema, got schema {}", h.schema));
    }
    if h.count < 0.0 {
        return Err(format!(
            "observation count is {}: histogram observation count is negative",
            format_g(h.count)
        ));
    }
    check_buckets(&h.positive_buckets, "positive")
}

/// `FloatHistogram.TestExpression`: the histogram in the `{{...}}` notation, for messages.
pub fn test_expression(h: &FloatHistogram) -> String {
    let mut m = h.clone();
    compact(&mut m, i64::MAX);
    let mut res: Vec<String> = Vec::new();
    if m.schema != 0 {
        res.push(format!("schema:{}", m.schema));
    }
    if m.count != 0.0 {
        res.push(format!("count:{}", format_g(m.count)));
    }
    if m.sum != 0.0 {
        res.push(format!("sum:{}", format_g(m.sum)));
    }
    if m.zero_count != 0.0 {
        res.push(format!("z_bucket:{}", format_g(m.zero_count)));
    }
    if m.zero_threshold != 0.0 {
        res.push(format!("z_bucket_w:{}", format_g(m.zero_threshold)));
    }
    if m.schema == CUSTOM_BUCKETS_SCHEMA {
        let v: Vec<String> = m.custom_values.iter().map(|&x| format_g(x)).collect();
        res.push(format!("custom_values:[{}]", v.join(" ")));
    }
    match m.counter_reset_hint {
        CounterResetHint::Unknown => {}
        CounterResetHint::CounterReset => res.push("counter_reset_hint:reset".into()),
        CounterResetHint::NotCounterReset => res.push("counter_reset_hint:not_reset".into()),
        CounterResetHint::Gauge => res.push("counter_reset_hint:gauge".into()),
    }
    for (buckets_key, offset_key, spans, buckets) in [
        ("buckets", "offset", &m.positive_spans, &m.positive_buckets),
        ("n_buckets", "n_offset", &m.negative_spans, &m.negative_buckets),
    ] {
        if spans.len() > 1 {
            res.push(format!("{buckets_key}_spans:{spans:?}"));
        }
        if let Some(s) = spans.first().filter(|s| s.offset != 0) {
            res.push(format!("{offset_key}:{}", s.offset));
        }
        if !buckets.is_empty() {
            let v: Vec<String> = buckets.iter().map(|&x| format_g(x)).collect();
            res.push(format!("{buckets_key}:[{}]", v.join(" ")));
        }
    }
    format!("{{{{{}}}}}", res.join(" "))
}
