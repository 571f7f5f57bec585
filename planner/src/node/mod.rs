//! The PromQL extension nodes. Each is a `UserDefinedLogicalNodeCore`; the engine has a
//! `FooExec` of the same name for each `Foo` here.

mod aggregate;
mod binary;
mod call;
mod literal;
mod matrix_select;
mod range_call;
mod subquery;
mod vector_select;

use std::fmt;

pub use aggregate::Aggregate;
pub use binary::{Binary, Cardinality, VectorMatching};
pub use call::Call;
pub use literal::NumberLiteral;
pub use matrix_select::MatrixSelect;
pub use range_call::RangeCall;
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
        Ok(())
    }
}
