//! Test helpers: a compact text notation for histograms and buckets, so Prometheus's test
//! vectors read as data.
//!
//! A histogram is `key:value` pairs separated by spaces (`-` for the zero value): `s` schema,
//! `hint` (`reset`, `notreset`, `gauge`), `zt` zero threshold, `zc` zero count, `c` count,
//! `sum`, `p`/`n` positive/negative spans as `offset/length,…`, `pb`/`nb` bucket counts as
//! `v,…` (deltas for integer histograms), `cv` custom values. A bucket is `[lower,upper):count#index`.
//! Test cases are blocks starting with `== name`, followed by `key: value` lines.

use std::collections::HashMap;

use super::{Bucket, CounterResetHint, FloatHistogram, Histogram, Span};

fn num<T: std::str::FromStr>(s: &str) -> T {
    let s = s.replace("Inf", "inf");
    s.parse().unwrap_or_else(|_| panic!("bad number {s:?}"))
}

fn list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    s.split(',').filter(|x| !x.is_empty()).map(num).collect()
}

fn spans(s: &str) -> Vec<Span> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| {
            let (o, l) = x.split_once('/').expect("offset/length");
            Span { offset: num(o), length: num(l) }
        })
        .collect()
}

fn fields(s: &str) -> Vec<(&str, &str)> {
    s.split_whitespace().filter(|x| *x != "-").map(|kv| kv.split_once(':').expect("key:value")).collect()
}

fn hint(v: &str) -> CounterResetHint {
    match v {
        "reset" => CounterResetHint::CounterReset,
        "notreset" => CounterResetHint::NotCounterReset,
        "gauge" => CounterResetHint::Gauge,
        _ => panic!("bad hint {v}"),
    }
}

/// A float histogram from the notation.
pub(super) fn fh(s: &str) -> FloatHistogram {
    let mut h = FloatHistogram::default();
    for (k, v) in fields(s) {
        match k {
            "s" => h.schema = num(v),
            "hint" => h.counter_reset_hint = hint(v),
            "zt" => h.zero_threshold = num(v),
            "zc" => h.zero_count = num(v),
            "c" => h.count = num(v),
            "sum" => h.sum = num(v),
            "p" => h.positive_spans = spans(v),
            "n" => h.negative_spans = spans(v),
            "pb" => h.positive_buckets = list(v),
            "nb" => h.negative_buckets = list(v),
            "cv" => h.custom_values = list(v),
            _ => panic!("bad key {k}"),
        }
    }
    h
}

/// An integer histogram from the notation (bucket values are deltas).
pub(super) fn ih(s: &str) -> Histogram {
    let mut h = Histogram::default();
    for (k, v) in fields(s) {
        match k {
            "s" => h.schema = num(v),
            "hint" => h.counter_reset_hint = hint(v),
            "zt" => h.zero_threshold = num(v),
            "zc" => h.zero_count = num(v),
            "c" => h.count = num(v),
            "sum" => h.sum = num(v),
            "p" => h.positive_spans = spans(v),
            "n" => h.negative_spans = spans(v),
            "pb" => h.positive_buckets = list(v),
            "nb" => h.negative_buckets = list(v),
            "cv" => h.custom_values = list(v),
            _ => panic!("bad key {k}"),
        }
    }
    h
}

/// A bucket `[lower,upper):count#index` (count as f64 or u64).
pub(super) fn bucket<C: std::str::FromStr>(s: &str) -> Bucket<C> {
    let (bounds, rest) = s.split_once(':').expect("bounds:count");
    let (count, index) = rest.split_once('#').unwrap_or((rest, "0"));
    let inner = &bounds[1..bounds.len() - 1];
    let (lower, upper) = inner.split_once(',').expect("lower,upper");
    Bucket {
        lower: num(lower),
        upper: num(upper),
        lower_inclusive: bounds.starts_with('['),
        upper_inclusive: bounds.ends_with(']'),
        count: num(count),
        index: num(index),
    }
}

/// Space-separated buckets.
pub(super) fn buckets<C: std::str::FromStr>(s: &str) -> Vec<Bucket<C>> {
    s.split_whitespace().map(bucket).collect()
}

/// One test case: its name and `key: value` lines.
#[derive(Debug)]
pub(super) struct Case {
    pub(super) name: String,
    fields: HashMap<String, String>,
}

impl Case {
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    pub(super) fn req(&self, key: &str) -> &str {
        self.get(key).unwrap_or_else(|| panic!("{}: no {key}", self.name))
    }

    pub(super) fn flag(&self, flag: &str) -> bool {
        self.get("flags").is_some_and(|f| f.split_whitespace().any(|x| x == flag))
    }

    pub(super) fn fh(&self, key: &str) -> FloatHistogram {
        fh(self.req(key))
    }
}

/// Parses `== name` blocks of `key: value` lines.
pub(super) fn cases(data: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for line in data.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            out.push(Case { name: name.to_string(), fields: HashMap::new() });
        } else if let Some((k, v)) = line.split_once(':') {
            let case = out.last_mut().expect("case before fields");
            case.fields.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Whether two float histograms are equal field by field (as Go's `require.Equal`, with NaN
/// equal to NaN).
pub(super) fn fh_same(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    let v = |x: &[f64], y: &[f64]| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(*p, *q));
    a.counter_reset_hint == b.counter_reset_hint
        && a.schema == b.schema
        && same(a.zero_threshold, b.zero_threshold)
        && same(a.zero_count, b.zero_count)
        && same(a.count, b.count)
        && same(a.sum, b.sum)
        && a.positive_spans == b.positive_spans
        && a.negative_spans == b.negative_spans
        && v(&a.positive_buckets, &b.positive_buckets)
        && v(&a.negative_buckets, &b.negative_buckets)
        && v(&a.custom_values, &b.custom_values)
}

#[track_caller]
pub(super) fn assert_fh(got: &FloatHistogram, want: &FloatHistogram, ctx: &str) {
    assert!(fh_same(got, want), "{ctx}\n got: {got:?}\nwant: {want:?}");
}
