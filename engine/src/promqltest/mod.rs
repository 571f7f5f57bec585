//! A parser and runner for Prometheus's PromQL test scripts (the `promql/promqltest` language,
//! see `FORMAT.md` beside the corpus), so Quiver's engine can be checked against Prometheus's own
//! tests.
//!
//! - [`parse_script`] turns a script into [`Command`]s with their line numbers: `load` /
//!   `load_with_nhcb` blocks (series in the expanding notation, native histogram literals,
//!   `@st` start-timestamp lines), `clear`, and `eval instant` / `eval range` with every
//!   `expect` line, the deprecated `eval_fail`/`eval_warn`/`eval_info`/`eval_ordered` and
//!   `expected_fail_message`/`expected_fail_regexp` forms, and the expected results.
//! - [`run_script`] / [`run_corpus`] drive an engine through the [`TestEngine`] trait and compare
//!   results as promqltest does (relative float tolerance `1e-6`, NaN equal to NaN, stale NaN
//!   only to stale NaN, histograms compacted and compared field by field with the counter reset
//!   hint only when the expectation gives one, unordered unless `ordered`, annotations only when
//!   `expect warn/info/no_warn/no_info` lines ask for them, instant queries cross-checked as
//!   range queries). Each eval ends [`Outcome::Passed`], [`Outcome::Failed`] or
//!   [`Outcome::Skipped`] (by [`SkipList`]).
//!
//! Differences from promqltest:
//! - query expressions are not parsed when the script is read (the engine reports invalid ones
//!   when they run);
//! - promqltest re-runs every instant query with `@` modifiers at five more times, printing the
//!   rewritten query with Prometheus's printer; here the printing is `promql-parser`'s
//!   ([`promql_parser_at_rewriter`], the default [`RunOptions::at_modifier_rewriter`]), close to
//!   but not exactly Prometheus's, and queries `promql-parser` cannot parse are not re-run;
//! - start timestamps from `@st` lines are parsed ([`LoadSeries::start_timestamps`]) but
//!   [`TestEngine::load`] does not carry them;
//! - `load_with_nhcb` takes classic series in line order where Prometheus takes Go map order
//!   (only visible with conflicting duplicate `le` bounds).

mod at_rewrite;
mod commands;
mod compare;
mod histogram_compact;
mod histogram_compare;
mod histogram_desc;
mod literals;
mod load;
mod nhcb;
mod parse;
mod runner;
mod series;
mod skiplist;
mod start_timestamps;

#[cfg(test)]
mod tests_notation;
#[cfg(test)]
mod tests_runner;

pub use at_rewrite::promql_parser_at_rewriter;
pub use commands::{
    Command, EvalCmd, EvalKind, Expect, ExpectKind, ExpectMatcher, ExpectedSeries, LoadCmd, LoadSeries,
    ParseError, Script,
};
pub use histogram_compare::{DEFAULT_EPSILON, almost_equal, histograms_match, test_expression};
pub use literals::parse_duration_ms;
pub use load::SeriesSamples;
pub use parse::parse_script;
pub use runner::{
    AtModifierRewriter, CorpusFile, EvalResult, FileReport, Outcome, RunOptions, Summary, TestEngine,
    at_modifier_eval_times, load_corpus, run_corpus, run_eval, run_script,
};
pub use series::{SequenceValue, parse_series_desc};
pub use skiplist::{SkipEntry, SkipList};
