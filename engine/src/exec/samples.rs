//! One series' samples, decoded from its chunks: floats and native histograms in time order,
//! with the searches the selectors make over them.

use std::sync::Arc;

use quiver_proto::chunkenc::{
    Encoding, decode_float_histograms, decode_histograms, decode_xor_into, xor_num_samples,
};
use quiver_proto::{CounterResetHint, FloatHistogram, StoreSeries, is_stale_nan};

use super::rows::{Hist, Val};
use crate::error::{EngineError, Result};

pub(crate) use crate::functions::advance;

/// The sample an instant selector reads at `eval`: the newest in the left-open lookback window
/// `(eval - lookback, eval]`, unless it is a staleness marker. `cursor` carries the search from
/// one step to the next (see [`advance`]).
pub(crate) fn newest_in_lookback(
    samples: &SeriesSamples,
    cursor: &mut usize,
    eval: i64,
    lookback_ms: i64,
) -> Option<usize> {
    *cursor = advance(&samples.ts, |&t| t, *cursor, eval);
    let i = cursor.checked_sub(1)?;
    (samples.ts[i] > eval - lookback_ms && !samples.is_stale(i)).then_some(i)
}

/// Histogram samples with their timestamps.
pub(crate) type TimedHists = Vec<(i64, Hist)>;

/// One series' samples in time order: floats, and for a histogram sample `hists[i]` (with
/// `values[i]` unused). `hists` is empty when the series has no histogram samples.
#[derive(Debug, Default)]
pub(crate) struct SeriesSamples {
    pub(crate) ts: Vec<i64>,
    pub(crate) values: Vec<f64>,
    pub(crate) hists: Vec<Option<Hist>>,
}

impl SeriesSamples {
    pub(crate) fn len(&self) -> usize {
        self.ts.len()
    }

    pub(crate) fn hist(&self, i: usize) -> Option<&Hist> {
        self.hists.get(i).and_then(Option::as_ref)
    }

    /// Whether sample `i` is a staleness marker (float or histogram).
    pub(crate) fn is_stale(&self, i: usize) -> bool {
        match self.hist(i) {
            Some(h) => h.is_stale(),
            None => is_stale_nan(self.values[i]),
        }
    }

    pub(crate) fn val(&self, i: usize) -> Val {
        match self.hist(i) {
            Some(h) => Val::H(Arc::clone(h)),
            None => Val::F(self.values[i]),
        }
    }

    /// The non-stale float and histogram samples, for range functions.
    pub(crate) fn split(&self) -> (Vec<(i64, f64)>, TimedHists) {
        let mut f = Vec::with_capacity(if self.hists.is_empty() { self.len() } else { 0 });
        let mut h = Vec::new();
        for i in 0..self.len() {
            if self.is_stale(i) {
                continue;
            }
            match self.hist(i) {
                Some(x) => h.push((self.ts[i], Arc::clone(x))),
                None => f.push((self.ts[i], self.values[i])),
            }
        }
        (f, h)
    }
}

/// A histogram as Prometheus's `HistogramStatsIterator` hands it on below `histogram_count` and
/// friends: schema, count and sum only, and an unknown counter reset hint replaced by what
/// comparing it with the previous histogram read (if any) shows. The first histogram of a chunk
/// always has an unknown hint (even in a chunk cut for a reset), so this is where such resets
/// become explicit hints, and where conflicting hints (a warning when summed) come from.
pub(crate) fn stats_histogram(h: &FloatHistogram, prev: Option<&FloatHistogram>) -> FloatHistogram {
    let strip = |h: &FloatHistogram| FloatHistogram {
        counter_reset_hint: h.counter_reset_hint,
        schema: h.schema,
        count: h.count,
        sum: h.sum,
        ..FloatHistogram::default()
    };
    let mut out = strip(h);
    if h.counter_reset_hint == CounterResetHint::Unknown
        && !h.is_stale()
        && let Some(p) = prev.filter(|p| !p.is_stale())
    {
        // Detected on the whole histograms: the iterator reads buckets, it only hands them not on.
        out.counter_reset_hint = if h.detect_reset(p) {
            CounterResetHint::CounterReset
        } else {
            CounterResetHint::NotCounterReset
        };
    }
    out
}

/// Decodes a series' samples from its chunks (XOR and both native histogram encodings), merging
/// overlapping chunks by timestamp.
pub(crate) fn decode_samples(s: &StoreSeries) -> Result<SeriesSamples> {
    decode_samples_in(s, None)
}

/// As [`decode_samples`], decoding only the chunks some of `windows` needs.
pub(crate) fn decode_samples_in(s: &StoreSeries, windows: Option<&Windows>) -> Result<SeriesSamples> {
    let mut out = SeriesSamples::default();
    decode_samples_into(s, windows, &mut out)?;
    Ok(out)
}

/// As [`decode_samples_in`], into `out` (cleared first), whose buffers a caller decoding series
/// after series reuses.
pub(crate) fn decode_samples_into(
    s: &StoreSeries,
    windows: Option<&Windows>,
    out: &mut SeriesSamples,
) -> Result<()> {
    out.ts.clear();
    out.values.clear();
    out.hists.clear();
    let mut sorted = true;
    let err = |e: quiver_proto::Error| EngineError::Eval(format!("{}: {e}", s.labels));
    // XOR chunks say in their header how many samples they hold: size the columns once.
    let wanted =
        |c: &&quiver_proto::chunkenc::RawChunk| windows.is_none_or(|w| w.needs(c.min_time, c.max_time));
    let floats: usize = s
        .chunks
        .iter()
        .filter(wanted)
        .filter(|c| c.encoding == Encoding::Xor)
        .map(|c| xor_num_samples(&c.data).unwrap_or(0))
        .sum();
    out.ts.reserve(floats);
    out.values.reserve(floats);
    for c in s.chunks.iter().filter(wanted) {
        let before = out.ts.len();
        match c.encoding {
            Encoding::Xor => {
                decode_xor_into(&c.data, &mut out.ts, &mut out.values).map_err(err)?;
                if !out.hists.is_empty() {
                    out.hists.resize(out.ts.len(), None);
                }
            }
            Encoding::Histogram | Encoding::FloatHistogram => {
                let hs: Vec<(i64, FloatHistogram)> = if c.encoding == Encoding::Histogram {
                    decode_histograms(&c.data)
                        .map_err(err)?
                        .into_iter()
                        .map(|(t, h)| (t, h.to_float()))
                        .collect()
                } else {
                    decode_float_histograms(&c.data).map_err(err)?
                };
                out.hists.resize(out.ts.len(), None);
                for (t, h) in hs {
                    out.ts.push(t);
                    out.values.push(f64::NAN);
                    out.hists.push(Some(Arc::new(h)));
                }
            }
        }
        if before > 0 && out.ts.len() > before && out.ts[before] <= out.ts[before - 1] {
            sorted = false;
        }
    }
    if !sorted {
        let mut idx: Vec<usize> = (0..out.len()).collect();
        idx.sort_by_key(|&i| out.ts[i]);
        idx.dedup_by_key(|i| out.ts[*i]);
        let hist = |i: usize| out.hists.get(i).cloned().flatten();
        let merged = SeriesSamples {
            ts: idx.iter().map(|&i| out.ts[i]).collect(),
            values: idx.iter().map(|&i| out.values[i]).collect(),
            hists: if out.hists.is_empty() { Vec::new() } else { idx.iter().map(|&i| hist(i)).collect() },
        };
        *out = merged;
    }
    Ok(())
}

/// The windows a selector reads a series in: around each time it reads at, from `before` ahead
/// of it (exclusive) to `after` past it. A chunk outside every window is never decoded.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    /// The times read at, ascending.
    reads: Vec<i64>,
    before: i64,
    after: i64,
}

impl Windows {
    pub(crate) fn new(mut reads: Vec<i64>, before: i64, after: i64) -> Self {
        reads.sort_unstable();
        Self { reads, before, after }
    }

    /// Whether a chunk spanning `[min, max]` has a sample some window holds.
    pub(crate) fn needs(&self, min: i64, max: i64) -> bool {
        let i = self.reads.partition_point(|&r| r < min.saturating_sub(self.after));
        self.reads.get(i).is_some_and(|&r| r < max.saturating_add(self.before))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(count: f64, buckets: Vec<f64>, hint: CounterResetHint) -> FloatHistogram {
        crate::test_support::float_hist(count, &buckets, hint)
    }

    #[test]
    fn stats_histograms_lose_buckets_and_learn_resets_from_them() {
        let prev = hist(4.0, vec![1.0, 2.0, 1.0], CounterResetHint::NotCounterReset);
        // The count grew, but a bucket shrank: a reset only the buckets show.
        let cur = hist(5.0, vec![1.0, 1.0, 3.0], CounterResetHint::Unknown);
        let s = stats_histogram(&cur, Some(&prev));
        assert_eq!(s.counter_reset_hint, CounterResetHint::CounterReset);
        assert!(s.positive_buckets.is_empty() && s.positive_spans.is_empty());
        assert_eq!((s.count, s.sum), (5.0, 5.0));
        let grown = hist(6.0, vec![1.0, 2.0, 3.0], CounterResetHint::Unknown);
        assert_eq!(stats_histogram(&grown, Some(&cur)).counter_reset_hint, CounterResetHint::NotCounterReset);
        // Nothing read before, or a hint the chunk already gave: left as it is.
        assert_eq!(stats_histogram(&cur, None).counter_reset_hint, CounterResetHint::Unknown);
        let gauge = hist(1.0, vec![1.0], CounterResetHint::Gauge);
        assert_eq!(stats_histogram(&gauge, Some(&prev)).counter_reset_hint, CounterResetHint::Gauge);
    }
}
