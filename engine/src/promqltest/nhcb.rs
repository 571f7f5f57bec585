//! `load_with_nhcb`: classic histogram series (`<name>_bucket{le=...}`, `<name>_count`,
//! `<name>_sum`) are also loaded as native histograms with custom buckets (NHCB) under `<name>`,
//! one histogram per timestamp, exactly as promqltest's `appendCustomHistogram` with Prometheus's
//! `convertnhcb.TempHistogram` builds them.
//!
//! Prometheus walks the series in Go map order; here they are taken in the order of their lines,
//! which only matters for scripts with conflicting duplicate `le` bounds.

use std::collections::{BTreeMap, HashMap};

use quiver_proto::{
    CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Labels, LabelsBuilder, METRIC_NAME, Span, format_g,
};

use super::histogram_compact::compact;
use super::histogram_compare::validate;
use super::literals::go_parse_float;
use super::load::SeriesSamples;
use crate::value::Point;

/// The label holding a classic histogram bucket's upper bound.
const BUCKET_LABEL: &str = "le";

#[derive(Debug, Clone, Default)]
struct TempHistogram {
    /// `(le, cumulative count)`, sorted by `le`.
    buckets: Vec<(f64, f64)>,
    count: f64,
    sum: f64,
    err: Option<String>,
    has_count: bool,
}

impl TempHistogram {
    fn set_bucket_count(&mut self, le: f64, count: f64) {
        if self.err.is_some() {
            return;
        }
        if le.is_nan() {
            self.err = Some("bucket boundary must not be NaN".into());
            return;
        }
        if count < 0.0 {
            self.err = Some(format!(
                "bucket count must be non-negative: le={}, count={}",
                format_g(le),
                format_g(count)
            ));
            return;
        }
        let not_cumulative = |a: f64, op: &str, b: f64| {
            Some(format!("count is not cumulative: {} {op} {}", format_g(a), format_g(b)))
        };
        match self.buckets.last().copied() {
            None => self.buckets.push((le, count)),
            Some((last_le, last_count)) if last_le < le => {
                if count < last_count {
                    self.err = not_cumulative(count, "<", last_count);
                    return;
                }
                self.buckets.push((le, count));
            }
            Some((last_le, _)) if last_le == le => {} // A duplicate; ignored.
            Some(_) => {
                let i = self.buckets.partition_point(|&(b, _)| b < le);
                if self.buckets[i].0 == le {
                    return;
                }
                if i > 0 && count < self.buckets[i - 1].1 {
                    self.err = not_cumulative(count, "<", self.buckets[i - 1].1);
                    return;
                }
                if count > self.buckets[i].1 {
                    self.err = not_cumulative(count, ">", self.buckets[i].1);
                    return;
                }
                self.buckets.insert(i, (le, count));
            }
        }
    }

    fn set_count(&mut self, count: f64) {
        if self.err.is_some() {
            return;
        }
        if count < 0.0 {
            self.err = Some(format!("count must be non-negative: count={}", format_g(count)));
            return;
        }
        self.count = count;
        self.has_count = true;
    }

    fn set_sum(&mut self, sum: f64) {
        if self.err.is_none() {
            self.sum = sum;
        }
    }

    /// `TempHistogram.Convert` followed by the validation and `ToFloat` promqltest applies.
    fn convert(mut self) -> Result<FloatHistogram, String> {
        if let Some(e) = self.err {
            return Err(e);
        }
        if !self.has_count
            && let Some(&(_, c)) = self.buckets.last()
        {
            self.count = c;
            self.has_count = true;
        }
        if self.buckets.last().is_none_or(|&(le, _)| le != f64::INFINITY) {
            self.buckets.push((f64::INFINITY, self.count));
        }
        // Go converts with int64(math.Round(x)) / uint64(...); a value that does not survive the
        // round trip makes it a float histogram.
        let is_int = |x: f64| {
            let r = x.round();
            r.is_finite() && (r as i64) as f64 == x
        };
        let integer = self.buckets.iter().all(|&(_, c)| is_int(c)) && is_int(self.count) && self.count >= 0.0;
        let last = self.buckets.last().copied().unwrap_or((f64::INFINITY, 0.0));
        let count_mismatch =
            if integer { self.count.round() as u64 != last.1 as u64 } else { self.count != last.1 };
        if count_mismatch {
            return Err(format!(
                "count mismatch: count={} != le={} count={}",
                format_g(self.count),
                format_g(last.0),
                format_g(last.1)
            ));
        }
        let mut h = FloatHistogram {
            schema: CUSTOM_BUCKETS_SCHEMA,
            count: self.count,
            sum: self.sum,
            positive_spans: vec![Span { offset: 0, length: self.buckets.len() as u32 }],
            positive_buckets: Vec::with_capacity(self.buckets.len()),
            custom_values: self
                .buckets
                .iter()
                .filter(|(le, _)| *le != f64::INFINITY)
                .map(|(le, _)| *le)
                .collect(),
            ..Default::default()
        };
        let mut prev = 0.0;
        for &(_, c) in &self.buckets {
            h.positive_buckets.push(c - prev);
            prev = c;
        }
        // Integer histograms are compacted with Compact(2), float ones with Compact(0).
        compact(&mut h, if integer { 2 } else { 0 });
        validate(&h)?;
        Ok(h)
    }
}

enum Suffix {
    Bucket(f64),
    Count,
    Sum,
}

/// The NHCB series for the classic histograms among `series` (which are left as they are).
pub(super) fn classic_to_nhcb(series: &[(Labels, Vec<(i64, Point)>)]) -> Result<SeriesSamples, String> {
    let mut index: HashMap<Labels, usize> = HashMap::new();
    let mut groups: Vec<(Labels, BTreeMap<i64, TempHistogram>)> = Vec::new();
    for (labels, samples) in series {
        let name = labels.metric_name().unwrap_or("");
        let (suffix, base) = if let Some(base) = name.strip_suffix("_bucket") {
            let Some(le) = labels.get(BUCKET_LABEL) else {
                return Err(format!("expected bucket label in metric {labels}"));
            };
            match go_parse_float(le) {
                Some(v) if !v.is_nan() => (Suffix::Bucket(v), base),
                _ => continue,
            }
        } else if let Some(base) = name.strip_suffix("_sum") {
            (Suffix::Sum, base)
        } else if let Some(base) = name.strip_suffix("_count") {
            (Suffix::Count, base)
        } else {
            continue;
        };
        let mut b = LabelsBuilder::default();
        for l in labels.iter().filter(|l| l.name != BUCKET_LABEL) {
            b.push(l.name.clone(), l.value.clone());
        }
        b.set(METRIC_NAME, base);
        let base_labels = b.build().map_err(|e| e.to_string())?;
        let g = *index.entry(base_labels.clone()).or_insert_with(|| {
            groups.push((base_labels, BTreeMap::new()));
            groups.len() - 1
        });
        let by_ts = &mut groups[g].1;
        for (t, p) in samples {
            let Point::Float(v) = p else { continue };
            let h = by_ts.entry(*t).or_default();
            match suffix {
                Suffix::Bucket(le) => h.set_bucket_count(le, *v),
                Suffix::Count => h.set_count(*v),
                Suffix::Sum => h.set_sum(*v),
            }
        }
    }
    groups
        .into_iter()
        .map(|(labels, by_ts)| {
            let samples = by_ts
                .into_iter()
                .map(|(t, h)| Ok((t, Point::Histogram(h.convert()?))))
                .collect::<Result<Vec<_>, String>>()?;
            Ok((labels, samples))
        })
        .collect()
}
