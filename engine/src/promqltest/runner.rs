//! Running parsed scripts against a [`TestEngine`] and reporting a per-eval outcome.

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::commands::{Command, EvalCmd, EvalKind, ParseError, Script};
use super::compare::{assert_matrix_sorted, check_annotations, check_expected_failure, compare_result};
use super::parse::parse_script;
use super::skiplist::SkipList;
use crate::value::{Point, QueryOutput, Value, VectorSample};

/// The engine under test, as the runner drives it.
pub trait TestEngine {
    fn clear(&mut self);
    /// Series with their samples; stale markers are `Point::Float` with quiver_proto::STALE_NAN_BITS.
    fn load(&mut self, series: Vec<(quiver_proto::Labels, Vec<(i64, Point)>)>) -> Result<(), String>;
    fn instant(&mut self, query: &str, t_ms: i64) -> Result<QueryOutput, String>;
    fn range(&mut self, query: &str, start_ms: i64, end_ms: i64, step_ms: i64)
    -> Result<QueryOutput, String>;
}

/// Rewrites an instant query for promqltest's step-invariance check: every selector and subquery
/// without one gets `@ <t_ms/1000>` (selectors inside a subquery that has `@` stay as they are),
/// and the expression is printed back as Prometheus's `expr.String()` does. `Ok(None)` when the
/// query calls a function whose result depends on the evaluation time
/// (`promql.AtModifierUnsafeFunctions`), which promqltest does not re-run.
pub type AtModifierRewriter = dyn Fn(&str, i64) -> Result<Option<String>, String>;

/// How evals are run.
pub struct RunOptions {
    /// After an instant query passes, run it as a range query from `t-1m` to `t+1m` step `1m`
    /// and compare the middle step too (promqltest does; skipped for `ordered`, `expect string`,
    /// `expect range vector` and queries using `start()`, `end()`, `range()` or `step()`).
    pub check_range_mode: bool,
    /// promqltest also runs every instant query with `@` modifiers at five more evaluation
    /// times (`-10t, 0, t/5, t, 10t`, or `-1s, 0, 1s` for `t = 0`), each expected to give the
    /// same result. That needs a PromQL printer; `None` leaves these runs out. The default is
    /// [`promql_parser_at_rewriter`](super::promql_parser_at_rewriter).
    pub at_modifier_rewriter: Option<Box<AtModifierRewriter>>,
}

impl Default for RunOptions {
    /// As promqltest: the range-mode cross-check and the `@` modifier runs.
    fn default() -> Self {
        Self {
            check_range_mode: true,
            at_modifier_rewriter: Some(Box::new(super::at_rewrite::promql_parser_at_rewriter)),
        }
    }
}

impl fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOptions")
            .field("check_range_mode", &self.check_range_mode)
            .field("at_modifier_rewriter", &self.at_modifier_rewriter.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

/// What happened to one eval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// The outcome of the eval on `line` of `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalResult {
    pub file: String,
    pub line: usize,
    pub expr: String,
    pub outcome: Outcome,
}

/// The results of one script, and errors outside evals (a script that does not parse, a load
/// the engine rejects).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub results: Vec<EvalResult>,
    pub errors: Vec<String>,
}

/// Results of a run over several scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: Vec<FileReport>,
}

impl Summary {
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.files.iter().flat_map(|r| &r.results).filter(|r| f(&r.outcome)).count()
    }

    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Passed))
    }

    /// Failed evals plus errors outside evals.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
            + self.files.iter().map(|f| f.errors.len()).sum::<usize>()
    }

    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }
}

/// Lists every failure and error, then ends with the line `N passed, M failed, K skipped`.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            for e in &file.errors {
                writeln!(f, "ERROR {}: {e}", file.file)?;
            }
            for r in &file.results {
                if let Outcome::Failed(reason) = &r.outcome {
                    writeln!(f, "FAIL {}:{}: {}: {reason}", r.file, r.line, r.expr)?;
                }
            }
        }
        write!(f, "{} passed, {} failed, {} skipped", self.passed(), self.failed(), self.skipped())
    }
}

/// A script of the corpus: its name (path relative to the corpus directory, with `/`) and the
/// parsed script or its parse error.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    pub name: String,
    pub script: Result<Script, ParseError>,
}

/// Reads and parses the `*.test` files in `dir` (and its subdirectories with `recursive`),
/// sorted by name.
pub fn load_corpus(dir: &Path, recursive: bool) -> Result<Vec<CorpusFile>, String> {
    fn walk(dir: &Path, prefix: &str, recursive: bool, out: &mut Vec<CorpusFile>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
            if path.is_dir() {
                if recursive {
                    walk(&path, &format!("{prefix}{name}/"), recursive, out)?;
                }
            } else if name.ends_with(".test") {
                let text =
                    std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
                out.push(CorpusFile { name: format!("{prefix}{name}"), script: parse_script(&text) });
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", recursive, &mut out)?;
    Ok(out)
}

/// Runs every file after checking the skip list against them: an entry naming a line of one of
/// these files that is not an eval is an error ([`SkipList::check_lines`]; entries for other
/// files are ignored, [`SkipList::check`] is the strict check). A file that does not parse
/// counts as one error.
pub fn run_corpus<E: TestEngine + ?Sized>(
    files: &[CorpusFile],
    engine: &mut E,
    skips: &SkipList,
    options: &RunOptions,
) -> Result<Summary, String> {
    let parsed: Vec<(&str, &Script)> =
        files.iter().filter_map(|f| f.script.as_ref().ok().map(|s| (f.name.as_str(), s))).collect();
    skips.check_lines(&parsed)?;
    let mut summary = Summary::default();
    for f in files {
        match &f.script {
            Ok(script) => summary.files.push(run_script(&f.name, script, engine, skips, options)),
            Err(e) => summary.files.push(FileReport {
                file: f.name.clone(),
                results: Vec::new(),
                errors: vec![format!("parse error: {e}")],
            }),
        }
    }
    Ok(summary)
}

/// Runs one script from a clean engine, command by command. Evals after a load that failed (up
/// to the next `clear`) fail with that load's error.
pub fn run_script<E: TestEngine + ?Sized>(
    file: &str,
    script: &Script,
    engine: &mut E,
    skips: &SkipList,
    options: &RunOptions,
) -> FileReport {
    let mut report = FileReport { file: file.to_string(), ..Default::default() };
    engine.clear();
    let mut load_failure: Option<String> = None;
    for cmd in &script.commands {
        match cmd {
            Command::Clear { .. } => {
                engine.clear();
                load_failure = None;
            }
            Command::Load(load) => {
                if let Err(e) = load.samples().and_then(|s| engine.load(s)) {
                    let msg = format!("load at line {} failed: {e}", load.line);
                    report.errors.push(msg.clone());
                    load_failure.get_or_insert(msg);
                }
            }
            Command::Eval(ev) => {
                let outcome = if let Some(reason) = skips.reason(file, ev.line) {
                    Outcome::Skipped(reason.to_string())
                } else if let Some(load_err) = &load_failure {
                    Outcome::Failed(format!("data not loaded: {load_err}"))
                } else {
                    match run_eval(ev, engine, options) {
                        Ok(()) => Outcome::Passed,
                        Err(e) => Outcome::Failed(e),
                    }
                };
                report.results.push(EvalResult {
                    file: file.to_string(),
                    line: ev.line,
                    expr: ev.expr.clone(),
                    outcome,
                });
            }
        }
    }
    report
}

/// Runs one eval; `Err` says why it failed.
pub fn run_eval<E: TestEngine + ?Sized>(
    ev: &EvalCmd,
    engine: &mut E,
    options: &RunOptions,
) -> Result<(), String> {
    match ev.kind {
        EvalKind::Range { .. } => {
            let (start_ms, end_ms, step_ms) = ev.window();
            let out = match engine.range(&ev.expr, start_ms, end_ms, step_ms) {
                Err(e) if ev.is_fail() => return check_expected_failure(ev, &e),
                Err(e) => {
                    return Err(format!("error evaluating query {:?} (line {}): {e}", ev.expr, ev.line));
                }
                Ok(out) => out,
            };
            if ev.is_fail() {
                return Err(format!(
                    "expected error evaluating query {:?} (line {}) but got none",
                    ev.expr, ev.line
                ));
            }
            check_annotations(ev, &ev.expr, &out.annotations)?;
            compare_result(ev, &out.value)
                .map_err(|e| format!("error in eval {} (line {}): {e}", ev.expr, ev.line))
        }
        EvalKind::Instant { .. } => {
            let t = ev.eval_time_ms();
            run_instant_query(ev, &ev.expr, t, engine, options)?;
            if let Some(rewrite) = &options.at_modifier_rewriter
                && let Some(q) = rewrite(&ev.expr, t)?
            {
                for et in at_modifier_eval_times(t) {
                    run_instant_query(ev, &q, et, engine, options)
                        .map_err(|e| format!("{e} (in the @ modifier run at {et}ms)"))?;
                }
            }
            Ok(())
        }
    }
}

/// The extra evaluation times of promqltest's `atModifierTestCases`.
pub fn at_modifier_eval_times(t: i64) -> Vec<i64> {
    if t == 0 { vec![-1000, 0, 1000] } else { vec![t.saturating_mul(-10), 0, t / 5, t, t.saturating_mul(10)] }
}

static QUERY_CONTEXT_FUNCS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(start|end|range|step)\(\)").ok());

fn run_instant_query<E: TestEngine + ?Sized>(
    ev: &EvalCmd,
    query: &str,
    t: i64,
    engine: &mut E,
    options: &RunOptions,
) -> Result<(), String> {
    let out: QueryOutput = match engine.instant(query, t) {
        Err(e) if ev.is_fail() => return check_expected_failure(ev, &e),
        Err(e) => return Err(format!("error evaluating query {query:?} (line {}): {e}", ev.line)),
        Ok(out) => out,
    };
    if ev.is_fail() {
        return Err(format!("expected error evaluating query {query:?} (line {}) but got none", ev.line));
    }
    check_annotations(ev, query, &out.annotations)?;
    compare_result(ev, &out.value).map_err(|e| format!("error in eval {query} (line {}): {e}", ev.line))?;

    if ev.exclude_from_range_query || !options.check_range_mode {
        return Ok(());
    }
    if QUERY_CONTEXT_FUNCS.as_ref().is_some_and(|r| r.is_match(query)) {
        return Ok(());
    }
    let range = engine
        .range(query, t.saturating_sub(60_000), t.saturating_add(60_000), 60_000)
        .map_err(|e| format!("error evaluating query {query:?} (line {}) in range mode: {e}", ev.line))?;
    if ev.is_ordered() {
        // Range results are always sorted by labels.
        return Ok(());
    }
    let Value::Matrix(m) = &range.value else {
        return Err(format!(
            "range query for {query:?} (line {}) in range mode did not return a matrix",
            ev.line
        ));
    };
    assert_matrix_sorted(m)?;
    let mut vec = Vec::with_capacity(m.len());
    for s in m {
        if let Some(&(pt, f)) = s.floats.iter().find(|(pt, _)| *pt == t) {
            vec.push(VectorSample { labels: s.labels.clone(), t: pt, point: Point::Float(f) });
        }
        if let Some((pt, h)) = s.histograms.iter().find(|(pt, _)| *pt == t) {
            vec.push(VectorSample { labels: s.labels.clone(), t: *pt, point: Point::Histogram(h.clone()) });
        }
    }
    let value = if matches!(out.value, Value::Scalar { .. }) {
        let Some(first) = vec.first() else {
            return Err(format!(
                "error in eval {query} (line {}) range mode: no sample at the evaluation time for a scalar result",
                ev.line
            ));
        };
        let v = match &first.point {
            Point::Float(f) => *f,
            Point::Histogram(_) => 0.0,
        };
        Value::Scalar { t, v }
    } else {
        Value::Vector(vec)
    };
    compare_result(ev, &value)
        .map_err(|e| format!("error in eval {query} (line {}) range mode: {e}", ev.line))
}
