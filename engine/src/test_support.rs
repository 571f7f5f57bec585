//! What the engine's unit tests share: running an inline promqltest script against the in-memory
//! engine, and building float histograms.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use quiver_proto::{CounterResetHint, FloatHistogram, Span};

use crate::ScriptEngine;
use crate::exec::Val;
use crate::promqltest::{Outcome, RunOptions, SkipList, parse_script, run_script};

/// xorshift64 from `seed` (not 0): deterministic pseudo-random bits for tests that sweep inputs.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Runs a promqltest script (instant evals also at the other times the corpus runner uses) and
/// returns each eval that did not pass, as `line N: why`.
pub(crate) fn script_failures(script: &str) -> Vec<String> {
    let parsed = parse_script(script).expect("script parses");
    let mut engine = ScriptEngine::new().expect("engine");
    let report =
        run_script("inline.test", &parsed, &mut engine, &SkipList::default(), &RunOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(!report.results.is_empty(), "the script has no evals");
    report
        .results
        .into_iter()
        .filter_map(|r| match r.outcome {
            Outcome::Passed => None,
            o => Some(format!("line {}: {o:?}", r.line)),
        })
        .collect()
}

/// Fails with every eval of `script` that does not pass.
pub(crate) fn assert_script_passes(script: &str) {
    let failed = script_failures(script);
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// A histogram with consecutive positive buckets from index 0, its sum equal to its count.
pub(crate) fn float_hist(count: f64, buckets: &[f64], hint: CounterResetHint) -> FloatHistogram {
    FloatHistogram {
        counter_reset_hint: hint,
        count,
        sum: count,
        positive_spans: vec![Span { offset: 0, length: buckets.len() as u32 }],
        positive_buckets: buckets.to_vec(),
        ..FloatHistogram::default()
    }
}

/// [`float_hist`] as a sample value.
pub(crate) fn hist_val(count: f64, buckets: &[f64], hint: CounterResetHint) -> Val {
    Val::H(Arc::new(float_hist(count, buckets, hint)))
}
