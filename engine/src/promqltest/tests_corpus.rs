//! Every script of the conformance corpus parses, with the right number of evals, and every load
//! block turns into samples.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::PathBuf;

use super::*;

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/conformance/promql"))
}

/// An independent count: lines that start with `eval` once trimmed.
fn count_eval_lines(text: &str) -> usize {
    text.lines().filter(|l| l.trim().starts_with("eval")).count()
}

fn check_dir(sub: &str) -> Vec<(String, usize)> {
    let dir = corpus_dir().join(sub);
    let files = load_corpus(&dir, false).unwrap_or_else(|e| panic!("corpus at {}: {e}", dir.display()));
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let mut counts = Vec::new();
    for f in &files {
        let script = f.script.as_ref().unwrap_or_else(|e| panic!("{}: {e}", f.name));
        let text = std::fs::read_to_string(dir.join(&f.name)).unwrap();
        let evals = script.evals().count();
        assert_eq!(evals, count_eval_lines(&text), "{}: evals found vs eval lines", f.name);
        for ev in script.evals() {
            assert!(
                text.lines().nth(ev.line - 1).unwrap().trim().starts_with("eval"),
                "{}:{}",
                f.name,
                ev.line
            );
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
    let counts = check_dir("");
    println!("{counts:?}");
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 1670);
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
    let counts = check_dir("experimental");
    println!("{counts:?}");
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(total, 411);
}

#[test]
fn corpus_recursive_names_and_skip_list_check() {
    let files = load_corpus(&corpus_dir(), true).unwrap();
    assert!(files.iter().any(|f| f.name == "experimental/info.test"));
    let scripts: Vec<(&str, &Script)> =
        files.iter().map(|f| (f.name.as_str(), f.script.as_ref().unwrap())).collect();
    let first_eval = scripts[0].1.evals().next().unwrap().line;
    let ok = SkipList::parse(&format!(
        "# comment\n\n{}:{first_eval}  a reason\nexperimental/info.test:*  later\n",
        scripts[0].0
    ))
    .unwrap();
    ok.check(&scripts).unwrap();
    let bad =
        SkipList::parse(&format!("{}:{}  not an eval\nnope.test:1  no file\n", scripts[0].0, first_eval + 1))
            .unwrap();
    let err = bad.check(&scripts).unwrap_err();
    assert!(err.contains("is not an eval command") && err.contains("no test file"), "{err}");
    let err = bad.check_lines(&scripts).unwrap_err();
    assert!(err.contains("is not an eval command") && !err.contains("no test file"), "{err}");
    let mut engine_files = load_corpus(&corpus_dir(), false).unwrap();
    engine_files.truncate(1);
    struct NoEngine;
    impl TestEngine for NoEngine {
        fn clear(&mut self) {}
        fn load(&mut self, _: SeriesSamples) -> Result<(), String> {
            Ok(())
        }
        fn instant(&mut self, _: &str, _: i64) -> Result<crate::value::QueryOutput, String> {
            Err("no engine".into())
        }
        fn range(&mut self, _: &str, _: i64, _: i64, _: i64) -> Result<crate::value::QueryOutput, String> {
            Err("no engine".into())
        }
    }
    let opts = RunOptions { check_range_mode: true, at_modifier_rewriter: None };
    assert!(run_corpus(&engine_files, &mut NoEngine, &bad, &opts).is_err());
    let summary = run_corpus(&engine_files, &mut NoEngine, &ok, &opts).unwrap();
    assert_eq!((summary.passed() + summary.failed(), summary.skipped()), (159, 1));
}

#[test]
fn corpus_annotations_and_nhcb_details() {
    let files = load_corpus(&corpus_dir(), true).unwrap();
    let mut nhcb_loads = 0;
    let mut st_series = 0;
    let mut exact_msgs = 0;
    for f in &files {
        let script = f.script.as_ref().unwrap();
        for cmd in &script.commands {
            match cmd {
                Command::Load(l) if l.with_nhcb => {
                    nhcb_loads += 1;
                    let samples = l.samples().unwrap();
                    assert!(
                        samples.iter().any(|(_, pts)| pts
                            .iter()
                            .any(|(_, p)| matches!(p, crate::value::Point::Histogram(_)))),
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
