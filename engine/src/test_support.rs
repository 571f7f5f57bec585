//! What the engine's unit tests share: running an inline promqltest script against the in-memory
//! engine, building float histograms, a source with fixed answers.

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

/// A source that answers every series request with the same frames, recording the requests.
#[derive(Debug, Default)]
pub(crate) struct FixedStore {
    frames: Vec<Result<quiver_proto::SeriesFrame, quiver_proto::StoreError>>,
    pub(crate) requests: std::sync::Mutex<Vec<quiver_proto::SeriesRequest>>,
}

impl FixedStore {
    pub(crate) fn new(frames: Vec<Result<quiver_proto::SeriesFrame, quiver_proto::StoreError>>) -> Self {
        Self { frames, requests: Default::default() }
    }

    pub(crate) fn of_series(series: Vec<quiver_proto::StoreSeries>) -> Self {
        Self::new(series.into_iter().map(|s| Ok(quiver_proto::SeriesFrame::Series(s))).collect())
    }
}

impl quiver_proto::SeriesStore for FixedStore {
    fn name(&self) -> &str {
        "fixed"
    }
    fn info(&self) -> quiver_proto::StoreFuture<'_, quiver_proto::StoreInfo> {
        Box::pin(async { Ok(quiver_proto::StoreInfo::empty()) })
    }
    fn series(self: Arc<Self>, req: quiver_proto::SeriesRequest) -> quiver_proto::SeriesStream {
        self.requests.lock().unwrap().push(req);
        Box::pin(futures::stream::iter(self.frames.clone()))
    }
    fn label_names<'a>(
        &'a self,
        _: &'a quiver_proto::LabelsRequest,
    ) -> quiver_proto::StoreFuture<'a, quiver_proto::LabelsAnswer> {
        Box::pin(async { Ok(quiver_proto::LabelsAnswer::default()) })
    }
    fn label_values<'a>(
        &'a self,
        _: &'a str,
        _: &'a quiver_proto::LabelsRequest,
    ) -> quiver_proto::StoreFuture<'a, quiver_proto::LabelsAnswer> {
        Box::pin(async { Ok(quiver_proto::LabelsAnswer::default()) })
    }
}
