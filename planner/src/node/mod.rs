//! The PromQL extension nodes. Each is a `UserDefinedLogicalNodeCore`; the engine has a
//! `FooExec` of the same name for each `Foo` here.

mod aggregate;
mod binary;
mod call;
mod info;
mod literal;
mod matrix_select;
mod range_call;
mod subquery;
mod vector_select;

use std::fmt;

pub use aggregate::Aggregate;
pub use binary::{Binary, Cardinality, VectorMatching};
pub use call::Call;
pub use info::Info;
pub use literal::NumberLiteral;
pub use matrix_select::MatrixSelect;
pub use range_call::{RangeCall, RangeParam};
pub use subquery::Subquery;
pub use vector_select::VectorSelect;

/// An `f64` that can live in a logical node (which must be `Eq + Hash + Ord`): compared by bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct F64Bits(u64);

impl F64Bits {
    pub fn new(v: f64) -> Self {
        Self(v.to_bits())
    }
    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl fmt::Debug for F64Bits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// A label matcher as plain data (the compiled regex lives in the engine).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MatcherSpec {
    pub name: String,
    pub op: MatchKind,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchKind {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl fmt::Display for MatcherSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            MatchKind::Equal => "=",
            MatchKind::NotEqual => "!=",
            MatchKind::Regex => "=~",
            MatchKind::NotRegex => "!~",
        };
        write!(f, "{}{}{:?}", self.name, op, self.value)
    }
}

/// What a selector reads: matchers, `offset` and `@` (already resolved to milliseconds; `@
/// start()` and `@ end()` become the query's start and end).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    pub matchers: Vec<MatcherSpec>,
    pub offset_ms: i64,
    pub at_ms: Option<i64>,
    /// Below `histogram_count`/`histogram_sum`/`histogram_avg` (and no function, trim or subquery
    /// that needs buckets): native histograms are read as Prometheus's `HistogramStatsIterator`
    /// reads them, without buckets and with counter resets detected between the samples read.
    pub histogram_stats: bool,
    pub modifier: SelectorModifier,
}

/// The experimental modifiers of a selector (`--enable-feature=promql-extended-range-selectors`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SelectorModifier {
    #[default]
    None,
    /// `x[5m] anchored`: a range function also sees the last sample before the range.
    Anchored,
    /// `x[5m] smoothed`, `x smoothed`: values at the range's ends (or the step) interpolated
    /// from the samples around them.
    Smoothed,
}

impl fmt::Display for SelectorModifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SelectorModifier::None => "",
            SelectorModifier::Anchored => "anchored",
            SelectorModifier::Smoothed => "smoothed",
        })
    }
}

/// What [`Selector::step_times`] computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTimes {
    /// `(step, time read at)` per step.
    pub times: Vec<(i64, i64)>,
    pub lo: i64,
    pub hi: i64,
}

impl Selector {
    /// The time a selector reads at when evaluated at `t`: `@` pins it, `offset` moves it back.
    pub fn read_at(&self, t: i64) -> i64 {
        self.at_ms.unwrap_or(t) - self.offset_ms
    }

    /// Each step with the time it reads at, and the earliest and latest of those times; `None`
    /// without steps.
    pub fn step_times(&self, steps: impl Iterator<Item = i64>) -> Option<StepTimes> {
        let times: Vec<(i64, i64)> = steps.map(|t| (t, self.read_at(t))).collect();
        let lo = times.iter().map(|s| s.1).min()?;
        let hi = times.iter().map(|s| s.1).max()?;
        Some(StepTimes { times, lo, hi })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m: Vec<String> = self.matchers.iter().map(ToString::to_string).collect();
        write!(f, "{{{}}}", m.join(", "))?;
        if self.offset_ms != 0 {
            write!(f, " offset {}ms", self.offset_ms)?;
        }
        if let Some(at) = self.at_ms {
            write!(f, " @ {at}ms")?;
        }
        if self.histogram_stats {
            write!(f, " histogram_stats")?;
        }
        if self.modifier != SelectorModifier::None {
            write!(f, " {}", self.modifier)?;
        }
        Ok(())
    }
}
