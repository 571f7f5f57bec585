//! The commands of a parsed test script: `load`, `clear` and `eval` with their expectations.

use std::fmt;

use quiver_proto::Labels;
use regex::Regex;

use super::series::SequenceValue;
/// Go's zero `time.Time` (year 1) in Unix milliseconds: the end of the comparison window of an
/// instant query without `expect range vector`.
pub(super) const GO_ZERO_TIME_MS: i64 = -62_135_596_800_000;

/// A script error with the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// A parsed test script.
#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

impl Script {
    /// The `eval` commands in order.
    pub fn evals(&self) -> impl Iterator<Item = &EvalCmd> {
        self.commands.iter().filter_map(|c| match c {
            Command::Eval(e) => Some(&**e),
            _ => None,
        })
    }
}

#[derive(Debug, Clone)]
pub enum Command {
    Load(LoadCmd),
    Clear { line: usize },
    Eval(Box<EvalCmd>),
}

/// `load <interval>` or `load_with_nhcb <interval>` with its series.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadCmd {
    pub line: usize,
    pub interval_ms: i64,
    pub with_nhcb: bool,
    pub series: Vec<LoadSeries>,
}

/// One series line of a `load` block.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSeries {
    pub line: usize,
    pub labels: Labels,
    /// Position `i` is at `i × interval` milliseconds.
    pub values: Vec<SequenceValue>,
    /// From a preceding `metric@st <offsets>` line: per position, the start timestamp's offset in
    /// milliseconds from the sample's timestamp (`None` for `_`).
    pub start_timestamps: Option<Vec<Option<i64>>>,
}

/// The kind of query an `eval` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalKind {
    Instant { at_ms: i64 },
    Range { start_ms: i64, end_ms: i64, step_ms: i64 },
}

/// The type of an `expect` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectKind {
    Ordered,
    Fail,
    Warn,
    NoWarn,
    Info,
    NoInfo,
}

/// How an `expect` line matches a message.
#[derive(Debug, Clone)]
pub enum ExpectMatcher {
    /// `msg: <text>`: exact match.
    Message(String),
    /// `regex: <pattern>`, or `^.*$` when the line gives no message.
    Regex(Regex),
}

impl ExpectMatcher {
    pub fn matches(&self, s: &str) -> bool {
        match self {
            ExpectMatcher::Message(m) => m == s,
            ExpectMatcher::Regex(r) => r.is_match(s),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ExpectMatcher::Message(m) => format!("message {m:?}"),
            ExpectMatcher::Regex(r) => format!("pattern {:?}", r.as_str()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Expect {
    pub line: usize,
    pub kind: ExpectKind,
    pub matcher: ExpectMatcher,
}

/// An expected result series (or, for instant queries, sample).
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedSeries {
    pub line: usize,
    /// Position for `ordered` (1-based, counted as promqltest counts it).
    pub pos: usize,
    pub labels: Labels,
    pub values: Vec<SequenceValue>,
}

/// `eval instant at <time> <query>` or `eval range from <start> to <end> step <step> <query>`
/// with its expectations.
#[derive(Debug, Clone)]
pub struct EvalCmd {
    pub line: usize,
    pub expr: String,
    pub kind: EvalKind,
    /// `expect range vector from <start> to <end> step <step>` (instant queries).
    pub range_vector: Option<(i64, i64, i64)>,
    /// `expect string "<s>"`.
    pub expected_string: Option<String>,
    /// The deprecated `eval_fail`, `eval_warn`, `eval_info`, `eval_ordered` forms.
    pub legacy_fail: bool,
    pub legacy_warn: bool,
    pub legacy_info: bool,
    pub legacy_ordered: bool,
    /// The deprecated `expected_fail_message` / `expected_fail_regexp` lines of `eval_fail`.
    pub expected_fail_message: Option<String>,
    pub expected_fail_regexp: Option<Regex>,
    pub expects: Vec<Expect>,
    /// A bare number line: a scalar result is expected.
    pub expected_scalar: Option<f64>,
    pub expected_series: Vec<ExpectedSeries>,
    /// Set by `expect range vector` and `expect string`: no range-mode cross-check.
    pub exclude_from_range_query: bool,
}

impl EvalCmd {
    pub fn is_range(&self) -> bool {
        matches!(self.kind, EvalKind::Range { .. })
    }

    pub fn expects_of(&self, kind: ExpectKind) -> impl Iterator<Item = &Expect> {
        self.expects.iter().filter(move |e| e.kind == kind)
    }

    pub fn has_expect(&self, kind: ExpectKind) -> bool {
        self.expects_of(kind).next().is_some()
    }

    pub fn is_fail(&self) -> bool {
        self.legacy_fail || self.has_expect(ExpectKind::Fail)
    }

    pub fn is_ordered(&self) -> bool {
        self.legacy_ordered || self.has_expect(ExpectKind::Ordered)
    }

    /// The time an instant query runs at: the `expect range vector` end if given, else `at`.
    pub fn eval_time_ms(&self) -> i64 {
        match (self.kind, self.range_vector) {
            (EvalKind::Instant { .. }, Some((_, end, _))) => end,
            (EvalKind::Instant { at_ms }, None) => at_ms,
            (EvalKind::Range { start_ms, .. }, _) => start_ms,
        }
    }

    /// promqltest's `start`, `end`, `step`: the range a range query runs over, and the
    /// timestamps expected matrix points are placed at. `expect range vector` overrides them (for
    /// range queries too, as in promqltest).
    pub fn window(&self) -> (i64, i64, i64) {
        match (self.kind, self.range_vector) {
            (_, Some(rv)) => rv,
            (EvalKind::Range { start_ms, end_ms, step_ms }, None) => (start_ms, end_ms, step_ms),
            (EvalKind::Instant { at_ms }, None) => (at_ms, GO_ZERO_TIME_MS, 0),
        }
    }
}
