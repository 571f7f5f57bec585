//! PromQL function kernels with Prometheus 3's semantics, and the function table the planner
//! validates calls against (Prometheus's `promql/parser/functions.go`).
//!
//! - [`range`]: functions over one series' range-vector window (`rate`, `*_over_time`, ...).
//! - [`instant`]: float functions applied per sample (`abs`, `round`, `clamp`, date functions, ...).
//! - [`classic_histogram`]: `histogram_quantile` and `histogram_fraction` over classic `le` buckets.
//! - [`labels`]: `label_replace` and `label_join`.
//!
//! Functions not computed by a kernel here, because they need the whole vector, the query's
//! context or the expression: `absent`, `absent_over_time` (the engine turns "no series at this
//! step" into the output; [`range::RangeFunction::AbsentOverTime`] only answers 1 for a non-empty
//! window), `scalar`, `vector`, `sort*`, `time`, `timestamp`, `start_timestamp`, `step`, `range`,
//! `start`, `end`, `info`, and the native histogram functions (`histogram_count`, ...).

pub mod classic_histogram;
pub(crate) mod date;
pub(crate) mod gofmt;
pub mod instant;
pub mod labels;
pub mod range;
pub(crate) mod range_aggr;
pub(crate) mod range_hist;
#[cfg(test)]
mod range_hist_tests;
pub(crate) mod range_rate;
#[cfg(test)]
mod range_tests;
mod stats;

use std::fmt;

pub use stats::{go_max, go_min, kahan_sum_inc, quantile};

/// The index of the first of `items` (in ascending time `t`) after `bound`, searching forward
/// from `from`. Evaluation steps move forward (`@` pins them, which is not backward either), so
/// each sample is passed once per series; a bound that moves back is searched afresh.
#[inline]
pub(crate) fn advance<T>(items: &[T], t: impl Fn(&T) -> i64, from: usize, bound: i64) -> usize {
    if from > items.len() || (from > 0 && t(&items[from - 1]) > bound) {
        return items.partition_point(|x| t(x) <= bound);
    }
    from + items[from..].iter().take_while(|x| t(x) <= bound).count()
}

/// An error a function call fails the query with (Prometheus panics with these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError(pub String);

impl fmt::Display for FunctionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FunctionError {}

/// The type of a PromQL expression or function argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    Scalar,
    /// Instant vector.
    Vector,
    /// Range vector.
    Matrix,
    String,
}

impl ValueType {
    /// The name Prometheus uses in error messages (`DocumentedType`).
    pub fn documented_name(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::Vector => "instant vector",
            ValueType::Matrix => "range vector",
            ValueType::String => "string",
        }
    }
}

/// One PromQL function's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDef {
    pub name: &'static str,
    pub arg_types: &'static [ValueType],
    /// 0: exactly `arg_types.len()` arguments. n > 0: the last argument type is optional and may
    /// be given up to n times. -1: the last argument may be repeated without limit (or omitted).
    pub variadic: i32,
    pub return_type: ValueType,
    /// Only available with `--enable-feature=promql-experimental-functions`.
    pub experimental: bool,
}

use ValueType::{Matrix as M, Scalar as S, String as T, Vector as V};

const fn f(
    name: &'static str,
    arg_types: &'static [ValueType],
    variadic: i32,
    return_type: ValueType,
    experimental: bool,
) -> FunctionDef {
    FunctionDef { name, arg_types, variadic, return_type, experimental }
}

/// All PromQL functions, sorted by name.
pub static FUNCTIONS: &[FunctionDef] = &[
    f("abs", &[V], 0, V, false),
    f("absent", &[V], 0, V, false),
    f("absent_over_time", &[M], 0, V, false),
    f("acos", &[V], 0, V, false),
    f("acosh", &[V], 0, V, false),
    f("asin", &[V], 0, V, false),
    f("asinh", &[V], 0, V, false),
    f("atan", &[V], 0, V, false),
    f("atanh", &[V], 0, V, false),
    f("avg_over_time", &[M], 0, V, false),
    f("ceil", &[V], 0, V, false),
    f("changes", &[M], 0, V, false),
    f("clamp", &[V, S, S], 0, V, false),
    f("clamp_max", &[V, S], 0, V, false),
    f("clamp_min", &[V, S], 0, V, false),
    f("cos", &[V], 0, V, false),
    f("cosh", &[V], 0, V, false),
    f("count_over_time", &[M], 0, V, false),
    f("day_of_month", &[V], 1, V, false),
    f("day_of_week", &[V], 1, V, false),
    f("day_of_year", &[V], 1, V, false),
    f("days_in_month", &[V], 1, V, false),
    f("deg", &[V], 0, V, false),
    f("delta", &[M], 0, V, false),
    f("deriv", &[M], 0, V, false),
    f("double_exponential_smoothing", &[M, S, S], 0, V, true),
    f("end", &[], 0, S, true),
    f("exp", &[V], 0, V, false),
    f("first_over_time", &[M], 0, V, false),
    f("floor", &[V], 0, V, false),
    f("histogram_avg", &[V], 0, V, false),
    f("histogram_count", &[V], 0, V, false),
    f("histogram_fraction", &[S, S, V], 0, V, false),
    f("histogram_quantile", &[S, V], 0, V, false),
    f("histogram_quantiles", &[V, T, S, S], 9, V, true),
    f("histogram_stddev", &[V], 0, V, false),
    f("histogram_stdvar", &[V], 0, V, false),
    f("histogram_sum", &[V], 0, V, false),
    f("hour", &[V], 1, V, false),
    f("idelta", &[M], 0, V, false),
    f("increase", &[M], 0, V, false),
    f("info", &[V, V], 1, V, true),
    f("irate", &[M], 0, V, false),
    f("label_join", &[V, T, T, T], -1, V, false),
    f("label_replace", &[V, T, T, T, T], 0, V, false),
    f("last_over_time", &[M], 0, V, false),
    f("ln", &[V], 0, V, false),
    f("log10", &[V], 0, V, false),
    f("log2", &[V], 0, V, false),
    f("mad_over_time", &[M], 0, V, true),
    f("max_of", &[S, S], 0, S, true),
    f("max_over_time", &[M], 0, V, false),
    f("min_of", &[S, S], 0, S, true),
    f("min_over_time", &[M], 0, V, false),
    f("minute", &[V], 1, V, false),
    f("month", &[V], 1, V, false),
    f("pi", &[], 0, S, false),
    f("predict_linear", &[M, S], 0, V, false),
    f("present_over_time", &[M], 0, V, false),
    f("quantile_over_time", &[S, M], 0, V, false),
    f("rad", &[V], 0, V, false),
    f("range", &[], 0, S, true),
    f("rate", &[M], 0, V, false),
    f("resets", &[M], 0, V, false),
    f("round", &[V, S], 1, V, false),
    f("scalar", &[V], 0, S, false),
    f("sgn", &[V], 0, V, false),
    f("sin", &[V], 0, V, false),
    f("sinh", &[V], 0, V, false),
    f("sort", &[V], 0, V, false),
    f("sort_by_label", &[V, T], -1, V, true),
    f("sort_by_label_desc", &[V, T], -1, V, true),
    f("sort_desc", &[V], 0, V, false),
    f("sqrt", &[V], 0, V, false),
    f("start", &[], 0, S, true),
    f("start_timestamp", &[V], 0, V, true),
    f("stddev_over_time", &[M], 0, V, false),
    f("stdvar_over_time", &[M], 0, V, false),
    f("step", &[], 0, S, true),
    f("sum_over_time", &[M], 0, V, false),
    f("tan", &[V], 0, V, false),
    f("tanh", &[V], 0, V, false),
    f("time", &[], 0, S, false),
    f("timestamp", &[V], 0, V, false),
    f("ts_of_first_over_time", &[M], 0, V, true),
    f("ts_of_last_over_time", &[M], 0, V, true),
    f("ts_of_max_over_time", &[M], 0, V, true),
    f("ts_of_min_over_time", &[M], 0, V, true),
    f("vector", &[S], 0, V, false),
    f("year", &[V], 1, V, false),
];

/// Functions whose result changes with the evaluation time even when their arguments do not, or
/// that use their argument's timestamps (Prometheus's `AtModifierUnsafeFunctions`).
pub const AT_MODIFIER_UNSAFE_FUNCTIONS: &[&str] = &[
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "days_in_month",
    "end",
    "hour",
    "minute",
    "month",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
    "year",
];

/// Functions that accept an `anchored` range selector.
pub const ANCHORED_SAFE_FUNCTIONS: &[&str] = &["changes", "delta", "increase", "rate", "resets"];

/// Functions that accept a `smoothed` range selector.
pub const SMOOTHED_SAFE_FUNCTIONS: &[&str] = &["delta", "increase", "rate"];

/// Looks a function up by name.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS.binary_search_by(|d| d.name.cmp(name)).ok().map(|i| &FUNCTIONS[i])
}

impl FunctionDef {
    /// The type argument `i` must have, or `None` when the function takes no such argument.
    pub fn arg_type(&self, i: usize) -> Option<ValueType> {
        match self.arg_types.get(i) {
            Some(t) => Some(*t),
            None if self.variadic != 0 => self.arg_types.last().copied(),
            None => None,
        }
    }

    /// Checks the number of arguments as Prometheus's parser does, with its error texts.
    pub fn check_arg_count(&self, n: usize) -> Result<(), FunctionError> {
        let nargs = self.arg_types.len();
        if self.variadic == 0 {
            if nargs != n {
                return Err(FunctionError(format!(
                    "expected {nargs} argument(s) in call to {:?}, got {n}",
                    self.name
                )));
            }
            return Ok(());
        }
        let na = nargs.saturating_sub(1);
        if na > n {
            return Err(FunctionError(format!(
                "expected at least {na} argument(s) in call to {:?}, got {n}",
                self.name
            )));
        }
        if self.variadic > 0 {
            let max = na + self.variadic as usize;
            if max < n {
                return Err(FunctionError(format!(
                    "expected at most {max} argument(s) in call to {:?}, got {n}",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// Validates a call as Prometheus's parser does: known function, enabled if experimental,
/// argument count and argument types. Errors carry Prometheus's texts.
pub fn check_call(
    name: &str,
    arg_types: &[ValueType],
    experimental_enabled: bool,
) -> Result<&'static FunctionDef, FunctionError> {
    let def = lookup(name).ok_or_else(|| FunctionError(format!("unknown function with name {name:?}")))?;
    if def.experimental && !experimental_enabled {
        return Err(FunctionError(format!("function {name:?} is not enabled")));
    }
    def.check_arg_count(arg_types.len())?;
    for (i, t) in arg_types.iter().enumerate() {
        let Some(want) = def.arg_type(i) else { break };
        if *t != want {
            return Err(FunctionError(format!(
                "expected type {} in call to function {name:?}, got {}",
                want.documented_name(),
                t.documented_name()
            )));
        }
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_table_is_sorted_and_complete() {
        assert!(FUNCTIONS.windows(2).all(|w| w[0].name < w[1].name));
        assert_eq!(FUNCTIONS.len(), 90);
        let rate = lookup("rate").unwrap();
        assert_eq!(rate.arg_types, &[ValueType::Matrix]);
        assert_eq!(rate.return_type, ValueType::Vector);
        assert!(!rate.experimental);
        assert!(lookup("holt_winters").is_none());
        assert!(lookup("double_exponential_smoothing").unwrap().experimental);
        assert!(lookup("mad_over_time").unwrap().experimental);
        assert!(!lookup("first_over_time").unwrap().experimental);
        assert_eq!(lookup("label_join").unwrap().variadic, -1);
        assert_eq!(lookup("histogram_quantiles").unwrap().variadic, 9);
        assert_eq!(lookup("pi").unwrap().return_type, ValueType::Scalar);
    }

    #[test]
    fn functions_check_call_errors() {
        use ValueType::*;
        assert!(check_call("round", &[Vector], false).is_ok());
        assert!(check_call("round", &[Vector, Scalar], false).is_ok());
        assert_eq!(
            check_call("round", &[Vector, Scalar, Scalar], false).unwrap_err().0,
            "expected at most 2 argument(s) in call to \"round\", got 3"
        );
        assert_eq!(
            check_call("rate", &[], false).unwrap_err().0,
            "expected 1 argument(s) in call to \"rate\", got 0"
        );
        assert_eq!(
            check_call("label_join", &[Vector, String], false).unwrap_err().0,
            "expected at least 3 argument(s) in call to \"label_join\", got 2"
        );
        assert!(check_call("label_join", &[Vector, String, String, String, String, String], false).is_ok());
        assert!(check_call("year", &[], false).is_ok());
        assert_eq!(
            check_call("rate", &[Vector], false).unwrap_err().0,
            "expected type range vector in call to function \"rate\", got instant vector"
        );
        assert_eq!(
            check_call("label_join", &[Vector, String, String, Scalar], false).unwrap_err().0,
            "expected type string in call to function \"label_join\", got scalar"
        );
        assert_eq!(check_call("foo", &[], true).unwrap_err().0, "unknown function with name \"foo\"");
        assert_eq!(
            check_call("mad_over_time", &[Matrix], false).unwrap_err().0,
            "function \"mad_over_time\" is not enabled"
        );
        assert!(check_call("mad_over_time", &[Matrix], true).is_ok());
        assert_eq!(lookup("label_join").unwrap().arg_type(7), Some(String));
        assert_eq!(lookup("rate").unwrap().arg_type(1), None);
    }
}
