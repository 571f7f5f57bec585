//! Range-vector functions over one series' window, with Prometheus 3's semantics
//! (`promql/functions.go`).
//!
//! The caller selects, per series and step, the samples of the window (stale markers removed):
//! for a plain selector `x[r] offset o` evaluated at `t`, the samples with timestamps in
//! `(t - o - r, t - o]` (left-open, as in Prometheus 3). For the experimental `anchored` modifier
//! it also includes the samples in the lookback delta before the range, and for `smoothed` the
//! ones in the lookback delta before and after it; [`Window::range_start_ms`] and
//! [`Window::range_end_ms`] stay the bounds of the range itself.
//!
//! An empty window gives no value for every function (Prometheus does not call the function
//! then). `absent_over_time` gives 1 for a non-empty window; the engine produces its output from
//! the steps at which no series had samples (see [`RangeFunction::AbsentOverTime`]).
//!
//! Native histograms: `rate`, `increase`, `delta`, `irate`, `idelta`, `sum_over_time`,
//! `avg_over_time`, `first_over_time`, `last_over_time`, `changes`, `resets`, `count_over_time`,
//! `present_over_time`, `ts_of_first_over_time` and `ts_of_last_over_time` handle them as
//! Prometheus does (on `quiver_proto::FloatHistogram`'s arithmetic); the other functions ignore
//! them (with an info when the window also has floats). Where Prometheus would panic on a
//! malformed histogram the kernel returns a [`FunctionError`].
//!
//! Annotations carry no position: Prometheus reports them at the start of the function's first
//! argument (for `quantile_over_time` that is the quantile, not the range vector).

use std::sync::Arc;

use quiver_proto::FloatHistogram;

use crate::annotations::Annotation;
use crate::functions::FunctionError;
use crate::functions::{range_aggr, range_rate};

/// A function whose (main) argument is a range vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeFunction {
    Rate,
    Increase,
    Delta,
    Irate,
    Idelta,
    AvgOverTime,
    CountOverTime,
    SumOverTime,
    MinOverTime,
    MaxOverTime,
    /// Parameter: the quantile.
    QuantileOverTime,
    StddevOverTime,
    StdvarOverTime,
    MadOverTime,
    FirstOverTime,
    LastOverTime,
    PresentOverTime,
    /// Gives 1 for a non-empty window. The engine answers `absent_over_time` itself: for each step
    /// at which no selected series has a sample in its window it outputs 1 with the labels of the
    /// selector's equality matchers (as `absent`), and nothing when some series has a sample.
    AbsentOverTime,
    TsOfFirstOverTime,
    TsOfLastOverTime,
    TsOfMinOverTime,
    TsOfMaxOverTime,
    Changes,
    Resets,
    Deriv,
    /// Parameter: the number of seconds to predict ahead of the evaluation time.
    PredictLinear,
    /// Parameters: the smoothing factor and the trend factor (both strictly between 0 and 1).
    DoubleExponentialSmoothing,
}

const ALL: &[(RangeFunction, &str)] = &[
    (RangeFunction::Rate, "rate"),
    (RangeFunction::Increase, "increase"),
    (RangeFunction::Delta, "delta"),
    (RangeFunction::Irate, "irate"),
    (RangeFunction::Idelta, "idelta"),
    (RangeFunction::AvgOverTime, "avg_over_time"),
    (RangeFunction::CountOverTime, "count_over_time"),
    (RangeFunction::SumOverTime, "sum_over_time"),
    (RangeFunction::MinOverTime, "min_over_time"),
    (RangeFunction::MaxOverTime, "max_over_time"),
    (RangeFunction::QuantileOverTime, "quantile_over_time"),
    (RangeFunction::StddevOverTime, "stddev_over_time"),
    (RangeFunction::StdvarOverTime, "stdvar_over_time"),
    (RangeFunction::MadOverTime, "mad_over_time"),
    (RangeFunction::FirstOverTime, "first_over_time"),
    (RangeFunction::LastOverTime, "last_over_time"),
    (RangeFunction::PresentOverTime, "present_over_time"),
    (RangeFunction::AbsentOverTime, "absent_over_time"),
    (RangeFunction::TsOfFirstOverTime, "ts_of_first_over_time"),
    (RangeFunction::TsOfLastOverTime, "ts_of_last_over_time"),
    (RangeFunction::TsOfMinOverTime, "ts_of_min_over_time"),
    (RangeFunction::TsOfMaxOverTime, "ts_of_max_over_time"),
    (RangeFunction::Changes, "changes"),
    (RangeFunction::Resets, "resets"),
    (RangeFunction::Deriv, "deriv"),
    (RangeFunction::PredictLinear, "predict_linear"),
    (RangeFunction::DoubleExponentialSmoothing, "double_exponential_smoothing"),
];

impl RangeFunction {
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        ALL.iter().find(|(f, _)| *f == self).map_or("", |(_, n)| n)
    }

    /// Number of scalar parameters passed in `params` to [`eval_range`].
    pub fn param_count(self) -> usize {
        match self {
            RangeFunction::QuantileOverTime | RangeFunction::PredictLinear => 1,
            RangeFunction::DoubleExponentialSmoothing => 2,
            _ => 0,
        }
    }

    /// Position of the range-vector argument in the call (`quantile_over_time(q, v[r])`: 1).
    pub fn matrix_arg_index(self) -> usize {
        usize::from(self == RangeFunction::QuantileOverTime)
    }

    /// Whether the output series keeps its metric name (`first_over_time`, `last_over_time`).
    pub fn keeps_metric_name(self) -> bool {
        matches!(self, RangeFunction::FirstOverTime | RangeFunction::LastOverTime)
    }
}

/// The experimental range selector modifiers (`--enable-feature=promql-extended-range-selectors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RangeModifier {
    #[default]
    None,
    /// `x[5m] anchored`: the window also holds the samples of the lookback delta before the range.
    Anchored,
    /// `x[5m] smoothed`: the window also holds the samples of the lookback delta before and after
    /// the range.
    Smoothed,
}

/// One series' samples for one evaluation step.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Float samples sorted by timestamp (ms), stale markers removed.
    pub floats: &'a [(i64, f64)],
    /// Histogram samples sorted by timestamp (ms), stale markers removed.
    pub histograms: &'a [(i64, &'a FloatHistogram)],
    /// Start of the selector's range (exclusive): evaluation time - offset - range.
    pub range_start_ms: i64,
    /// End of the selector's range (inclusive): evaluation time - offset.
    pub range_end_ms: i64,
    /// The evaluation time of the step (`predict_linear` predicts from it).
    pub eval_ts_ms: i64,
    /// The series' `__name__`, for annotations.
    pub metric_name: Option<&'a str>,
    pub modifier: RangeModifier,
    /// `None` when the type-and-unit-labels feature is off (the "might not be a counter" info
    /// then checks the name's suffix); `Some(value of __type__, empty if unset)` when it is on.
    pub type_label: Option<&'a str>,
    /// Whether some float sample in the window is below the one before it (a counter reset),
    /// when the caller knows (`None`: not known, the kernel looks). `rate` and `increase` then
    /// skip their pass over the window, which for long ranges is most of their work.
    pub float_drops: Option<bool>,
}

impl<'a> Window<'a> {
    /// A window over `(range_start_ms, range_end_ms]` evaluated at `range_end_ms`, without name,
    /// modifier or type label.
    pub fn new(
        floats: &'a [(i64, f64)],
        histograms: &'a [(i64, &'a FloatHistogram)],
        range_start_ms: i64,
        range_end_ms: i64,
    ) -> Self {
        Window {
            floats,
            histograms,
            range_start_ms,
            range_end_ms,
            eval_ts_ms: range_end_ms,
            metric_name: None,
            modifier: RangeModifier::None,
            type_label: None,
            float_drops: None,
        }
    }

    pub(crate) fn name(&self) -> String {
        self.metric_name.unwrap_or("").to_string()
    }

    /// The selector's range in seconds, as Go's `time.Duration.Seconds()` computes it.
    pub(crate) fn range_seconds(&self) -> f64 {
        let ms = self.range_end_ms - self.range_start_ms;
        let secs = ms / 1000;
        let nanos = (ms % 1000) * 1_000_000;
        secs as f64 + nanos as f64 / 1e9
    }
}

/// A function's value for one window. The histogram is behind a pointer so that a result stays
/// a few words: one is returned for every series at every step.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeValue {
    Float(f64),
    Histogram(Arc<FloatHistogram>),
}

/// The value (if any) and the annotations of one window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RangeResult {
    pub value: Option<RangeValue>,
    pub annotations: Vec<Annotation>,
}

impl RangeResult {
    pub(crate) fn none() -> Self {
        Self::default()
    }

    pub(crate) fn float(v: f64) -> Self {
        RangeResult { value: Some(RangeValue::Float(v)), annotations: Vec::new() }
    }

    pub(crate) fn warn_only(a: Annotation) -> Self {
        RangeResult { value: None, annotations: vec![a] }
    }

    /// The float value, if the result is one.
    pub fn as_float(&self) -> Option<f64> {
        match self.value {
            Some(RangeValue::Float(v)) => Some(v),
            _ => None,
        }
    }
}

/// Evaluates `f` over one window. `params` are the function's scalar arguments at this step
/// (see [`RangeFunction::param_count`]); missing parameters give no value.
///
/// `rate` and `increase` add the "might not be a counter" info whenever they give a float value
/// for a named series; Prometheus adds it once per series that had a float output, which is the
/// same after deduplication (see [`crate::annotations::AnnotationSet`]).
///
/// Errors are the ones Prometheus fails the query with (invalid smoothing or trend factor), and
/// unsupported native histogram arithmetic.
pub fn eval_range(f: RangeFunction, w: &Window<'_>, params: &[f64]) -> Result<RangeResult, FunctionError> {
    let mut res = eval_range_kernel(f, w, params)?;
    if matches!(res.value, Some(RangeValue::Float(_)))
        && let Some(a) = counter_annotation(f, w.metric_name, w.type_label)
    {
        res.annotations.push(a);
    }
    Ok(res)
}

/// [`eval_range`] without the annotation on the metric's name, which depends on the series
/// alone: callers evaluating many windows of one series add it once (see [`counter_annotation`]).
pub fn eval_range_kernel(
    f: RangeFunction,
    w: &Window<'_>,
    params: &[f64],
) -> Result<RangeResult, FunctionError> {
    use RangeFunction::*;
    if w.floats.is_empty() && w.histograms.is_empty() {
        return Ok(RangeResult::none());
    }
    if params.len() < f.param_count() {
        return Ok(RangeResult::none());
    }
    Ok(match f {
        Rate => range_rate::extrapolated_rate(w, true, true)?,
        Increase => range_rate::extrapolated_rate(w, true, false)?,
        Delta => range_rate::extrapolated_rate(w, false, false)?,
        Irate => range_rate::instant_value(w, true)?,
        Idelta => range_rate::instant_value(w, false)?,
        AvgOverTime => range_aggr::avg_over_time(w)?,
        SumOverTime => range_aggr::sum_over_time(w)?,
        CountOverTime => RangeResult::float((w.floats.len() + w.histograms.len()) as f64),
        PresentOverTime | AbsentOverTime => RangeResult::float(1.0),
        MinOverTime => range_aggr::compare_over_time(w, |cur, m| cur < m || m.is_nan(), false),
        MaxOverTime => range_aggr::compare_over_time(w, |cur, m| cur > m || m.is_nan(), false),
        TsOfMinOverTime => range_aggr::compare_over_time(w, |cur, m| cur <= m || m.is_nan(), true),
        TsOfMaxOverTime => range_aggr::compare_over_time(w, |cur, m| cur >= m || m.is_nan(), true),
        QuantileOverTime => range_aggr::quantile_over_time(w, params[0]),
        StddevOverTime => range_aggr::variance_over_time(w, true),
        StdvarOverTime => range_aggr::variance_over_time(w, false),
        MadOverTime => range_aggr::mad_over_time(w),
        FirstOverTime => range_aggr::first_over_time(w),
        LastOverTime => range_aggr::last_over_time(w),
        TsOfFirstOverTime => range_aggr::ts_of_first_over_time(w),
        TsOfLastOverTime => range_aggr::ts_of_last_over_time(w),
        Changes => range_aggr::changes(w)?,
        Resets => range_aggr::resets(w)?,
        Deriv => range_aggr::deriv(w),
        PredictLinear => range_aggr::predict_linear(w, params[0]),
        DoubleExponentialSmoothing => range_aggr::double_exponential_smoothing(w, params[0], params[1])?,
    })
}

/// The info `rate` and `increase` raise for a float result of a series whose name (or
/// `__type__` label) does not say it is a counter.
pub fn counter_annotation(
    f: RangeFunction,
    metric_name: Option<&str>,
    type_label: Option<&str>,
) -> Option<Annotation> {
    if !matches!(f, RangeFunction::Rate | RangeFunction::Increase) {
        return None;
    }
    let name = metric_name.unwrap_or("");
    if name.is_empty() {
        return None;
    }
    match type_label {
        Some(t) if t != "counter" && t != "histogram" => Some(Annotation::PossibleNonCounterLabel {
            metric_name: name.to_string(),
            type_label: t.to_string(),
        }),
        Some(_) => None,
        None => Annotation::possible_non_counter(name),
    }
}
