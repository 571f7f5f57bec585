//! Every script of Prometheus's PromQL corpus (`../shared/conformance/promql`) parses, with the
//! right number of evals; every load block turns into samples; the skip list is checked against
//! the scripts; and mutated scripts never panic the parser.

use std::path::Path;

use quiver_engine::promqltest::{
    Command, ExpectMatcher, RunOptions, Script, SeriesSamples, SkipList, TestEngine, load_corpus,
    parse_script, run_corpus,
};
use quiver_engine::value::{Point, QueryOutput};
use quiver_tests::shared::corpus_or_skip;

/// An independent count: lines that start with `eval` once trimmed.
fn count_eval_lines(text: &str) -> usize {
    text.lines().filter(|l| l.trim().starts_with("eval")).count()
}

fn check_dir(dir: &Path) -> Vec<(String, usize)> {
    let files = load_corpus(dir, false).unwrap_or_else(|e| panic!("corpus at {}: {e}", dir.display()));
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let mut counts = Vec::new();
    for f in &files {
        let script = f.script.as_ref().unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let text = std::fs::read_to_string(dir.join(&f.name)).expect("read script");
        let evals = script.evals().count();
        assert_eq!(evals, count_eval_lines(&text), "{}: evals found vs eval lines", f.name);
        for ev in script.evals() {
            let line = text.lines().nth(ev.line - 1).unwrap_or_default();
            assert!(line.trim().starts_with("eval"), "{}:{}", f.name, ev.line);
        }
        for cmd in &script.commands {
            if let Command::Load(load) = cmd {
                let samples = load.samples().unwrap_or_else(|e| panic!("{}:{}: {e}", f.name, load.line));
                assert!(samples.len() >= load.series.len().min(1), "{}:{}", f.name, load.line);
            }
        }
        counts.push((f.name.clone(), evals));
    }
    counts
}

#[test]
fn corpus_top_level_parses_with_all_evals() {
    let Some(dir) = corpus_or_skip("promql_corpus_scripts::corpus_top_level_parses_with_all_evals") else {
        return;
    };
    let counts = check_dir(&dir);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 1670, "{counts:?}");
    let expect = [
        ("aggregators.test", 160),
        ("functions.test", 431),
        ("histograms.test", 185),
        ("limit.test", 37),
        ("literals.test", 25),
        ("name_label_dropping.test", 30),
        ("native_histograms.test", 522),
        ("operators.test", 214),
        ("range_queries.test", 18),
        ("selectors.test", 31),
        ("staleness.test", 17),
    ];
    for (name, n) in expect {
        assert!(counts.contains(&(name.to_string(), n)), "{name}: {counts:?}");
    }
}

#[test]
fn corpus_experimental_parses_with_all_evals() {
    let Some(dir) = corpus_or_skip("promql_corpus_scripts::corpus_experimental_parses_with_all_evals") else {
        return;
    };
    let counts = check_dir(&dir.join("experimental"));
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 411, "{counts:?}");
}

/// An engine that answers nothing: the runner's skip-list handling without evaluation.
struct NoEngine;

impl TestEngine for NoEngine {
    fn clear(&mut self) {}
    fn load(&mut self, _: SeriesSamples) -> Result<(), String> {
        Ok(())
    }
    fn instant(&mut self, _: &str, _: i64) -> Result<QueryOutput, String> {
        Err("no engine".into())
    }
    fn range(&mut self, _: &str, _: i64, _: i64, _: i64) -> Result<QueryOutput, String> {
        Err("no engine".into())
    }
}

#[test]
fn corpus_recursive_names_and_skip_list_check() {
    let Some(dir) = corpus_or_skip("promql_corpus_scripts::corpus_recursive_names_and_skip_list_check")
    else {
        return;
    };
    let files = load_corpus(&dir, true).expect("corpus");
    assert!(files.iter().any(|f| f.name == "experimental/info.test"));
    let scripts: Vec<(&str, &Script)> =
        files.iter().map(|f| (f.name.as_str(), f.script.as_ref().expect("script parses"))).collect();
    let first_eval = scripts[0].1.evals().next().expect("an eval").line;
    let ok = SkipList::parse(&format!(
        "# comment\n\n{}:{first_eval}  a reason\nexperimental/info.test:*  later\n",
        scripts[0].0
    ))
    .expect("skip list parses");
    ok.check(&scripts).expect("skip list matches the scripts");
    let bad =
        SkipList::parse(&format!("{}:{}  not an eval\nnope.test:1  no file\n", scripts[0].0, first_eval + 1))
            .expect("skip list parses");
    let err = bad.check(&scripts).expect_err("bad skip list");
    assert!(err.contains("is not an eval command") && err.contains("no test file"), "{err}");
    let err = bad.check_lines(&scripts).expect_err("bad skip list");
    assert!(err.contains("is not an eval command") && !err.contains("no test file"), "{err}");
    let mut engine_files = load_corpus(&dir, false).expect("corpus");
    engine_files.truncate(1);
    let opts = RunOptions { check_range_mode: true, at_modifier_rewriter: None };
    assert!(run_corpus(&engine_files, &mut NoEngine, &bad, &opts).is_err());
    let summary = run_corpus(&engine_files, &mut NoEngine, &ok, &opts).expect("run");
    assert_eq!((summary.passed() + summary.failed(), summary.skipped()), (159, 1));
}

#[test]
fn corpus_annotations_and_nhcb_details() {
    let Some(dir) = corpus_or_skip("promql_corpus_scripts::corpus_annotations_and_nhcb_details") else {
        return;
    };
    let files = load_corpus(&dir, true).expect("corpus");
    let mut nhcb_loads = 0;
    let mut st_series = 0;
    let mut exact_msgs = 0;
    for f in &files {
        let script = f.script.as_ref().expect("script parses");
        for cmd in &script.commands {
            match cmd {
                Command::Load(l) if l.with_nhcb => {
                    nhcb_loads += 1;
                    let samples = l.samples().expect("samples");
                    assert!(
                        samples
                            .iter()
                            .any(|(_, pts)| pts.iter().any(|(_, p)| matches!(p, Point::Histogram(_)))),
                        "{}:{} produced no histograms",
                        f.name,
                        l.line
                    );
                }
                Command::Load(l) => {
                    st_series += l.series.iter().filter(|s| s.start_timestamps.is_some()).count()
                }
                Command::Eval(ev) => {
                    exact_msgs +=
                        ev.expects.iter().filter(|e| matches!(e.matcher, ExpectMatcher::Message(_))).count();
                }
                Command::Clear { .. } => {}
            }
        }
    }
    assert_eq!(nhcb_loads, 33);
    assert!(st_series >= 30, "{st_series}");
    assert_eq!(exact_msgs, 91);
}

/// Random cuts of two corpus scripts with random bytes changed: the parser and the load
/// expansion return errors, never panic.
#[test]
fn mutated_corpus_never_panics() {
    let Some(dir) = corpus_or_skip("promql_corpus_scripts::mutated_corpus_never_panics") else { return };
    let text = std::fs::read_to_string(dir.join("native_histograms.test")).expect("read script")
        + &std::fs::read_to_string(dir.join("functions.test")).expect("read script");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let bytes = text.as_bytes();
    for _ in 0..300 {
        let start = (next() as usize) % bytes.len();
        let len = 200 + (next() as usize) % 2000;
        let mut chunk = bytes[start..(start + len).min(bytes.len())].to_vec();
        for _ in 0..(next() % 6) {
            let i = (next() as usize) % chunk.len();
            let set = b"{}[]()x+-_: \n\"'`0123456789.eE#";
            chunk[i] = set[(next() as usize) % set.len()];
        }
        let s = String::from_utf8_lossy(&chunk);
        if let Ok(script) = parse_script(&s) {
            for cmd in &script.commands {
                if let Command::Load(l) = cmd {
                    let _ = l.samples();
                }
            }
        }
    }
}
