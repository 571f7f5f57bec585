//! Prometheus's own PromQL test corpus (`../shared/conformance/promql/*.test`) against Quiver's
//! engine. Every eval must pass except those in `tests/promql/skip.txt`; a skipped eval that
//! passes now must leave the list, so the list only shrinks.

use std::collections::BTreeSet;

use quiver_engine::ScriptEngine;
use quiver_engine::promqltest::{CorpusFile, Outcome, RunOptions, SkipList, load_corpus, run_corpus};
use quiver_tests::shared::corpus_or_skip;

#[test]
fn corpus_passes_except_the_skip_list() {
    let Some(dir) = corpus_or_skip("promql_corpus::corpus_passes_except_the_skip_list") else { return };
    let files = load_corpus(&dir, false).expect("corpus");
    assert!(files.len() >= 11, "corpus files found: {}", files.len());
    let skip_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/promql/skip.txt")).expect("skip list");
    let skips = SkipList::parse(&skip_text).expect("skip list parses");
    assert!(skips.entries.iter().all(|e| e.line.is_some()), "skip whole files nowhere: list each eval");
    let listed: BTreeSet<(String, usize)> =
        skips.entries.iter().filter_map(|e| e.line.map(|l| (e.file.clone(), l))).collect();

    // Run every eval, skipped or not, to see both regressions and evals that pass now.
    let mut engine = ScriptEngine::new().expect("engine");
    let summary = run_corpus(&files, &mut engine, &SkipList::default(), &RunOptions::default()).expect("run");
    for f in &summary.files {
        assert!(f.errors.is_empty(), "{}: {:?}", f.file, f.errors);
    }
    let mut regressions = Vec::new();
    let mut now_passing = Vec::new();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for r in summary.files.iter().flat_map(|f| &f.results) {
        let key = (r.file.clone(), r.line);
        match (&r.outcome, listed.contains(&key)) {
            (Outcome::Passed, false) => passed += 1,
            (Outcome::Passed, true) => now_passing.push(format!("{}:{}", r.file, r.line)),
            (Outcome::Failed(why), false) => {
                failed += 1;
                regressions.push(format!("{}:{}: {}: {why}", r.file, r.line, r.expr));
            }
            (Outcome::Failed(_) | Outcome::Skipped(_), true) => skipped += 1,
            (Outcome::Skipped(_), false) => skipped += 1,
        }
    }
    let total = passed + failed + skipped + now_passing.len();
    println!(
        "PromQL corpus: {} of {total} evals pass ({:.1}%)",
        passed + now_passing.len(),
        100.0 * (passed + now_passing.len()) as f64 / total as f64
    );
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert!(regressions.is_empty(), "evals not in the skip list fail:\n{}", regressions.join("\n"));
    assert!(
        now_passing.is_empty(),
        "these skipped evals pass now; remove them from tests/promql/skip.txt:\n{}",
        now_passing.join("\n")
    );
}

/// Quiver's own scripts (`tests/promql/quiver/*.test`), for what the corpus covers lightly:
/// every eval passes, none is skipped.
#[test]
fn own_scripts_pass() {
    let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/promql/quiver"));
    let files = load_corpus(dir, false).expect("own scripts");
    assert!(files.len() >= 3, "own scripts found: {}", files.len());
    assert_all_pass(&files, 20);
}

/// The files of the experimental corpus (`experimental/`, features behind flags) that pass
/// whole, and must keep passing; the others need syntax promql-parser 0.11 lacks.
const EXPERIMENTAL_PASSING: &[&str] = &[
    "duration_expression.test",
    "extended_vectors.test",
    "fill-modifier.test",
    "info.test",
    "type_and_unit.test",
];

#[test]
fn experimental_files_that_pass_keep_passing() {
    let Some(corpus) = corpus_or_skip("promql_corpus::experimental_files_that_pass_keep_passing") else {
        return;
    };
    let dir = corpus.join("experimental");
    let files: Vec<CorpusFile> = load_corpus(&dir, false)
        .expect("experimental corpus")
        .into_iter()
        .filter(|f| EXPERIMENTAL_PASSING.contains(&f.name.as_str()))
        .collect();
    assert_eq!(files.len(), EXPERIMENTAL_PASSING.len(), "experimental files found");
    assert_all_pass(&files, 380);
}

/// Every eval of `files` passes (none skipped), and there are at least `min_evals`.
fn assert_all_pass(files: &[CorpusFile], min_evals: usize) {
    let mut engine = ScriptEngine::new().expect("engine");
    let summary = run_corpus(files, &mut engine, &SkipList::default(), &RunOptions::default()).expect("run");
    let mut evals = 0;
    for f in &summary.files {
        assert!(f.errors.is_empty(), "{}: {:?}", f.file, f.errors);
        for r in &f.results {
            evals += 1;
            assert!(
                matches!(r.outcome, Outcome::Passed),
                "{}:{}: {}: {:?}",
                r.file,
                r.line,
                r.expr,
                r.outcome
            );
        }
    }
    assert!(evals >= min_evals, "evals run: {evals}");
}
