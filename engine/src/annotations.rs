//! PromQL annotations: the warnings (`PromQL warning: ...`) and infos (`PromQL info: ...`) that
//! Prometheus returns beside a query result, with the exact texts of Prometheus's
//! `util/annotations` package.
//!
//! Kernels return [`Annotation`]s without a position; the engine knows which expression an
//! annotation is about and passes its start position, as `(line, column)` (see [`line_col`]),
//! when it renders the text with [`Annotation::message`]. [`AnnotationSet`] collects annotations
//! the way Prometheus does: deduplicated by their text without position, merging the ones that
//! count occurrences.

use std::collections::HashMap;
use std::fmt::Write as _;

use quiver_proto::format_g;

use crate::functions::gofmt::{format_g_prec, go_quote, rfc3339_seconds};

/// Whether an annotation is a warning or an info.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Warning,
    Info,
}

/// The histogram operation named in some annotations (`addition`, `subtraction`, `aggregation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistogramOperation {
    Add,
    Sub,
    Agg,
}

impl HistogramOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            HistogramOperation::Add => "addition",
            HistogramOperation::Sub => "subtraction",
            HistogramOperation::Agg => "aggregation",
        }
    }
}

/// Details of the "input to histogram_quantile needed to be fixed for monotonicity" info; merged
/// over all steps and series that needed fixing, as Prometheus does.
#[derive(Debug, Clone, PartialEq)]
pub struct ForcedMonotonicity {
    /// Empty when the metric name is not known (Prometheus names it only with delayed name removal).
    pub metric_name: String,
    /// Evaluation timestamps (ms) of the first and last fixed sample.
    pub min_ts: i64,
    pub max_ts: i64,
    pub min_bucket: f64,
    pub max_bucket: f64,
    pub max_diff: f64,
    /// Number of merged occurrences minus one (Prometheus prints `count + 1` samples).
    pub count: usize,
}

/// One PromQL annotation. Metric names are the series' `__name__` value, empty when it has none.
/// Variants whose Prometheus constructor uses `maybeAddMetricName` leave the name out when it is
/// empty; the others print `""`.
#[derive(Debug, Clone, PartialEq)]
pub enum Annotation {
    // Warnings.
    InvalidRatio {
        ratio: f64,
        capped_to: f64,
    },
    InvalidQuantile {
        q: f64,
    },
    /// `le` is the label's (malformed or empty) value.
    BadBucketLabel {
        metric_name: String,
        le: String,
    },
    MixedFloatsHistograms {
        metric_name: String,
    },
    MixedFloatsHistogramsAgg,
    MixedClassicNativeHistograms {
        metric_name: String,
    },
    NativeHistogramNotCounter {
        metric_name: String,
    },
    NativeHistogramNotGauge {
        metric_name: String,
    },
    MixedExponentialCustomHistograms {
        metric_name: String,
    },
    IncompatibleBucketLayoutInBinOp {
        operator: String,
    },
    SortInRangeQuery,
    HistogramCounterResetCollision {
        operation: HistogramOperation,
    },
    StartTimeOverlap {
        metric_name: String,
        count: usize,
    },
    // Infos.
    PossibleNonCounter {
        metric_name: String,
    },
    PossibleNonCounterLabel {
        metric_name: String,
        type_label: String,
    },
    HistogramQuantileForcedMonotonicity(ForcedMonotonicity),
    IncompatibleTypesInBinOp {
        lhs_type: String,
        operator: String,
        rhs_type: String,
    },
    HistogramIgnoredInAggregation {
        aggregation: String,
    },
    HistogramIgnoredInMixedRange {
        metric_name: String,
    },
    NativeHistogramQuantileNaNResult {
        metric_name: String,
    },
    NativeHistogramQuantileNaNSkew {
        metric_name: String,
    },
    NativeHistogramFractionNaNs {
        metric_name: String,
    },
    MismatchedCustomBucketsHistograms {
        operation: HistogramOperation,
    },
}

const FORCED_MONOTONICITY: &str = "input to histogram_quantile needed to be fixed for monotonicity \
     (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)";

impl Annotation {
    pub fn severity(&self) -> Severity {
        use Annotation::*;
        match self {
            InvalidRatio { .. }
            | InvalidQuantile { .. }
            | BadBucketLabel { .. }
            | MixedFloatsHistograms { .. }
            | MixedFloatsHistogramsAgg
            | MixedClassicNativeHistograms { .. }
            | NativeHistogramNotCounter { .. }
            | NativeHistogramNotGauge { .. }
            | MixedExponentialCustomHistograms { .. }
            | IncompatibleBucketLayoutInBinOp { .. }
            | SortInRangeQuery
            | HistogramCounterResetCollision { .. }
            | StartTimeOverlap { .. } => Severity::Warning,
            PossibleNonCounter { .. }
            | PossibleNonCounterLabel { .. }
            | HistogramQuantileForcedMonotonicity(_)
            | IncompatibleTypesInBinOp { .. }
            | HistogramIgnoredInAggregation { .. }
            | HistogramIgnoredInMixedRange { .. }
            | NativeHistogramQuantileNaNResult { .. }
            | NativeHistogramQuantileNaNSkew { .. }
            | NativeHistogramFractionNaNs { .. }
            | MismatchedCustomBucketsHistograms { .. } => Severity::Info,
        }
    }

    pub fn is_warning(&self) -> bool {
        self.severity() == Severity::Warning
    }

    /// The "possible non-counter" info `rate` and `increase` give for a float series named
    /// without a counter suffix (`_total`, `_sum`, `_count`, `_bucket`); `None` for an unnamed
    /// series or a counter-like name.
    pub fn possible_non_counter(metric_name: &str) -> Option<Annotation> {
        let counter_like = ["_total", "_sum", "_count", "_bucket"].iter().any(|s| metric_name.ends_with(s));
        (!metric_name.is_empty() && !counter_like)
            .then(|| Annotation::PossibleNonCounter { metric_name: metric_name.to_string() })
    }

    /// The text without position and without merged details: what Prometheus deduplicates on.
    pub fn key(&self) -> String {
        let mut s = self.head();
        if let Annotation::StartTimeOverlap { metric_name, .. } = self {
            let _ = write!(s, " for metric {}", go_quote(metric_name));
        }
        s
    }

    /// The text as Prometheus prints it in a query response, with ` (line:col)` appended when
    /// a position is given.
    pub fn message(&self, pos: Option<(usize, usize)>) -> String {
        let mut s = self.head();
        match self {
            Annotation::HistogramQuantileForcedMonotonicity(f) => {
                let _ = write!(
                    s,
                    ", from buckets {} to {}, with a max diff of {}, over {} samples from {} to {}",
                    format_g(f.min_bucket),
                    format_g(f.max_bucket),
                    format_g_prec(f.max_diff, 2),
                    f.count + 1,
                    rfc3339_seconds(f.min_ts),
                    rfc3339_seconds(f.max_ts),
                );
            }
            Annotation::StartTimeOverlap { metric_name, count } => {
                let _ = write!(s, " for metric {}", go_quote(metric_name));
                if *count > 1 && pos.is_some() {
                    let _ = write!(s, " ({count} occurrences)");
                }
            }
            _ => {}
        }
        if let Some((line, col)) = pos {
            let _ = write!(s, " ({line}:{col})");
        }
        s
    }

    /// Combines `newer`, an annotation with the same [`key`](Self::key), into this one as
    /// Prometheus's `Annotations.Add` does: counting annotations accumulate, others are replaced.
    /// Returns whether the position of `self` should be kept (true) or `newer`'s taken (false).
    pub fn merge(&mut self, newer: Annotation) -> bool {
        match (self, newer) {
            (
                Annotation::HistogramQuantileForcedMonotonicity(o),
                Annotation::HistogramQuantileForcedMonotonicity(e),
            ) => {
                o.min_ts = o.min_ts.min(e.min_ts);
                o.max_ts = o.max_ts.max(e.max_ts);
                if e.min_bucket < o.min_bucket {
                    o.min_bucket = e.min_bucket;
                }
                if e.max_bucket > o.max_bucket {
                    o.max_bucket = e.max_bucket;
                }
                if e.max_diff > o.max_diff {
                    o.max_diff = e.max_diff;
                }
                o.count += e.count + 1;
                true
            }
            (Annotation::StartTimeOverlap { count, .. }, Annotation::StartTimeOverlap { count: c, .. }) => {
                *count += c;
                true
            }
            (this, newer) => {
                *this = newer;
                false
            }
        }
    }

    fn head(&self) -> String {
        use Annotation::*;
        let prefix = match self.severity() {
            Severity::Warning => "PromQL warning: ",
            Severity::Info => "PromQL info: ",
        };
        let body = match self {
            InvalidRatio { ratio, capped_to } => format!(
                "ratio value should be between -1 and 1, got {}, capping to {}",
                format_g(*ratio),
                format_g(*capped_to)
            ),
            InvalidQuantile { q } => {
                format!("quantile value should be between 0 and 1, got {}", format_g(*q))
            }
            BadBucketLabel { metric_name, le } => maybe_metric_name(
                format!("bucket label \"le\" is missing or has a malformed value of {}", go_quote(le)),
                metric_name,
            ),
            MixedFloatsHistograms { metric_name } => {
                format!(
                    "encountered a mix of histograms and floats for metric name {}",
                    go_quote(metric_name)
                )
            }
            MixedFloatsHistogramsAgg => "encountered a mix of histograms and floats for aggregation".into(),
            MixedClassicNativeHistograms { metric_name } => maybe_metric_name(
                "vector contains a mix of classic and native histograms".into(),
                metric_name,
            ),
            NativeHistogramNotCounter { metric_name } => {
                format!("this native histogram metric is not a counter: {}", go_quote(metric_name))
            }
            NativeHistogramNotGauge { metric_name } => {
                format!("this native histogram metric is not a gauge: {}", go_quote(metric_name))
            }
            MixedExponentialCustomHistograms { metric_name } => format!(
                "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
                go_quote(metric_name)
            ),
            IncompatibleBucketLayoutInBinOp { operator } => {
                format!("incompatible bucket layout encountered for binary operator {operator}")
            }
            SortInRangeQuery => {
                "sort is ineffective for range queries since results are always ordered by labels".into()
            }
            HistogramCounterResetCollision { operation } => {
                format!("conflicting counter resets during histogram {}", operation.as_str())
            }
            StartTimeOverlap { .. } => {
                "sample has start time that overlaps with previous sample timestamp".into()
            }
            PossibleNonCounter { metric_name } => format!(
                "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
                go_quote(metric_name)
            ),
            PossibleNonCounterLabel { metric_name, type_label } => format!(
                "metric might not be a counter, __type__ label is not set to \"counter\" or \"histogram\", got {}: {}",
                go_quote(type_label),
                go_quote(metric_name)
            ),
            HistogramQuantileForcedMonotonicity(f) => {
                maybe_metric_name(FORCED_MONOTONICITY.into(), &f.metric_name)
            }
            IncompatibleTypesInBinOp { lhs_type, operator, rhs_type } => format!(
                "incompatible sample types encountered for binary operator {}: {lhs_type} {operator} {rhs_type}",
                go_quote(operator)
            ),
            HistogramIgnoredInAggregation { aggregation } => {
                format!("ignored histogram in {aggregation} aggregation")
            }
            HistogramIgnoredInMixedRange { metric_name } => format!(
                "ignored histograms in a range containing both floats and histograms for metric name {}",
                go_quote(metric_name)
            ),
            NativeHistogramQuantileNaNResult { metric_name } => maybe_metric_name(
                "input to histogram_quantile has NaN observations, result is NaN".into(),
                metric_name,
            ),
            NativeHistogramQuantileNaNSkew { metric_name } => maybe_metric_name(
                "input to histogram_quantile has NaN observations, result is skewed higher".into(),
                metric_name,
            ),
            NativeHistogramFractionNaNs { metric_name } => maybe_metric_name(
                "input to histogram_fraction has NaN observations, which are excluded from all fractions"
                    .into(),
                metric_name,
            ),
            MismatchedCustomBucketsHistograms { operation } => {
                format!("mismatched custom buckets were reconciled during {}", operation.as_str())
            }
        };
        format!("{prefix}{body}")
    }
}

fn maybe_metric_name(mut s: String, metric_name: &str) -> String {
    if !metric_name.is_empty() {
        let _ = write!(s, " for metric name {}", go_quote(metric_name));
    }
    s
}

/// Annotations of one query, deduplicated and merged as Prometheus's `annotations.Annotations`,
/// kept in the order they were first added.
#[derive(Debug, Clone, Default)]
pub struct AnnotationSet {
    entries: Vec<(Annotation, Option<(usize, usize)>)>,
    index: HashMap<String, usize>,
}

impl AnnotationSet {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds an annotation about the expression at `pos`.
    pub fn add(&mut self, annotation: Annotation, pos: Option<(usize, usize)>) {
        let key = annotation.key();
        match self.index.get(&key) {
            Some(&i) => {
                let entry = &mut self.entries[i];
                if !entry.0.merge(annotation) {
                    entry.1 = pos;
                }
            }
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push((annotation, pos));
            }
        }
    }

    /// Adds all annotations of `other`.
    pub fn merge(&mut self, other: AnnotationSet) {
        for (a, pos) in other.entries {
            self.add(a, pos);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Annotation, Option<(usize, usize)>)> {
        self.entries.iter()
    }

    /// The rendered warnings and infos, as Prometheus's `AsStrings`: at most `max_warnings` and
    /// `max_infos` of each (0 for no limit), followed by `N more warning annotations omitted` /
    /// `N more info annotations omitted` when some were left out.
    pub fn to_strings(&self, max_warnings: usize, max_infos: usize) -> (Vec<String>, Vec<String>) {
        let (mut warnings, mut infos) = (Vec::new(), Vec::new());
        let (mut warn_skipped, mut info_skipped) = (0usize, 0usize);
        for (a, pos) in &self.entries {
            match a.severity() {
                Severity::Info if max_infos == 0 || infos.len() < max_infos => infos.push(a.message(*pos)),
                Severity::Info => info_skipped += 1,
                Severity::Warning if max_warnings == 0 || warnings.len() < max_warnings => {
                    warnings.push(a.message(*pos))
                }
                Severity::Warning => warn_skipped += 1,
            }
        }
        if warn_skipped > 0 {
            warnings.push(format!("{warn_skipped} more warning annotations omitted"));
        }
        if info_skipped > 0 {
            infos.push(format!("{info_skipped} more info annotations omitted"));
        }
        (warnings, infos)
    }
}

/// Line and column (both from 1, column in bytes) of byte offset `start` in `query`, as
/// Prometheus's `PositionRange.StartPosInput`; `None` when the offset is past the end.
pub fn line_col(query: &str, start: usize) -> Option<(usize, usize)> {
    let prefix = query.as_bytes().get(..start)?;
    let mut line = 1;
    let mut last_break: isize = -1;
    for (i, &b) in prefix.iter().enumerate() {
        if b == b'\n' {
            last_break = i as isize;
            line += 1;
        }
    }
    Some((line, (start as isize - last_break) as usize))
}

/// A planner position as [`Annotation::message`] takes it.
pub(crate) fn at(p: Option<quiver_planner::span::Pos>) -> Option<(usize, usize)> {
    p.map(|p| (p.line, p.col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_messages_match_prometheus() {
        let a = Annotation::NativeHistogramNotCounter { metric_name: "http_requests_histogram".into() };
        assert_eq!(
            a.message(Some((1, 7))),
            "PromQL warning: this native histogram metric is not a counter: \"http_requests_histogram\" (1:7)"
        );
        let a = Annotation::MixedFloatsHistograms { metric_name: "http_requests_mix".into() };
        assert_eq!(
            a.message(Some((1, 7))),
            "PromQL warning: encountered a mix of histograms and floats for metric name \"http_requests_mix\" (1:7)"
        );
        let a = Annotation::MismatchedCustomBucketsHistograms { operation: HistogramOperation::Sub };
        assert_eq!(
            a.message(Some((1, 8))),
            "PromQL info: mismatched custom buckets were reconciled during subtraction (1:8)"
        );
        assert_eq!(
            Annotation::InvalidQuantile { q: f64::NAN }.message(Some((1, 10))),
            "PromQL warning: quantile value should be between 0 and 1, got NaN (1:10)"
        );
        assert_eq!(
            Annotation::possible_non_counter("some_metric").unwrap().message(None),
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"some_metric\""
        );
        assert!(Annotation::possible_non_counter("x_total").is_none());
        assert!(Annotation::possible_non_counter("").is_none());
        assert_eq!(
            Annotation::BadBucketLabel { metric_name: String::new(), le: "x".into() }.message(None),
            "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"x\""
        );
        assert_eq!(
            Annotation::BadBucketLabel { metric_name: "m".into(), le: String::new() }.message(None),
            "PromQL warning: bucket label \"le\" is missing or has a malformed value of \"\" for metric name \"m\""
        );
        assert_eq!(
            Annotation::InvalidRatio { ratio: 1.1, capped_to: 1.0 }.message(None),
            "PromQL warning: ratio value should be between -1 and 1, got 1.1, capping to 1"
        );
        assert_eq!(
            Annotation::HistogramIgnoredInAggregation { aggregation: "stddev".into() }.message(None),
            "PromQL info: ignored histogram in stddev aggregation"
        );
        assert_eq!(
            Annotation::IncompatibleTypesInBinOp {
                lhs_type: "float".into(),
                operator: "+".into(),
                rhs_type: "histogram".into()
            }
            .message(None),
            "PromQL info: incompatible sample types encountered for binary operator \"+\": float + histogram"
        );
        assert!(Annotation::SortInRangeQuery.is_warning());
        assert!(!Annotation::HistogramIgnoredInMixedRange { metric_name: String::new() }.is_warning());
    }

    #[test]
    fn annotations_forced_monotonicity_merges() {
        let mk = |ts, lo, hi, diff| {
            Annotation::HistogramQuantileForcedMonotonicity(ForcedMonotonicity {
                metric_name: String::new(),
                min_ts: ts,
                max_ts: ts,
                min_bucket: lo,
                max_bucket: hi,
                max_diff: diff,
                count: 0,
            })
        };
        let mut set = AnnotationSet::new();
        set.add(mk(60_000, 0.5, 1.0, 3.0), Some((1, 20)));
        set.add(mk(120_000, 0.1, 2.0, 150.0), Some((1, 20)));
        assert_eq!(set.len(), 1);
        let (w, i) = set.to_strings(0, 0);
        assert!(w.is_empty());
        assert_eq!(
            i,
            vec![format!(
                "PromQL info: {FORCED_MONOTONICITY}, from buckets 0.1 to 2, with a max diff of 1.5e+02, \
                 over 2 samples from 1970-01-01T00:01:00Z to 1970-01-01T00:02:00Z (1:20)"
            )]
        );
    }

    #[test]
    fn annotations_dedup_and_limits() {
        let mut set = AnnotationSet::new();
        for name in ["a", "b", "a", "c"] {
            set.add(Annotation::MixedFloatsHistograms { metric_name: name.into() }, None);
        }
        set.add(Annotation::StartTimeOverlap { metric_name: "m".into(), count: 1 }, Some((1, 1)));
        set.add(Annotation::StartTimeOverlap { metric_name: "m".into(), count: 1 }, Some((1, 1)));
        let (w, _) = set.to_strings(2, 0);
        assert_eq!(w.len(), 3);
        assert_eq!(w[2], "2 more warning annotations omitted");
        let (w, _) = set.to_strings(0, 0);
        assert_eq!(
            w[3],
            "PromQL warning: sample has start time that overlaps with previous sample timestamp for metric \"m\" (2 occurrences) (1:1)"
        );
    }

    #[test]
    fn annotations_line_col() {
        assert_eq!(line_col("rate(x[5m])", 5), Some((1, 6)));
        assert_eq!(line_col("a +\n  rate(x[5m])", 6), Some((2, 3)));
        assert_eq!(line_col("x", 5), None);
    }
}
