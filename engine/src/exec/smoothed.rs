//! `x smoothed`, the experimental instant-selector modifier: at each step the value is
//! interpolated between the newest sample at or before the step and the oldest one after it,
//! both within the lookback delta (Prometheus's `smoothSeries`). Without a later sample the
//! earlier one is carried forward; without an earlier one the step has no value.

use std::sync::Arc;

use quiver_planner::node::VectorSelect;
use quiver_proto::{CounterResetHint, FloatHistogram};

use super::common::{QueryContext, Rows, SeriesSamples};
use crate::annotations::{Annotation, at};
use crate::error::{EngineError, Result};
use crate::functions::range_hist::interpolate_between;
use crate::functions::range_rate::interpolate;

/// One series' smoothed values at `steps` (`(step, time read at)`), into `rows` as `id`.
pub(super) fn smoothed_series(
    qctx: &QueryContext,
    node: &VectorSelect,
    steps: &[(i64, i64)],
    samples: &SeriesSamples,
    metric_name: &str,
    id: u32,
    rows: &mut Rows,
) -> Result<()> {
    let lookback_ms = node.lookback_ms;
    let warn = |a: Annotation| qctx.warn(a.message(at(node.pos)));
    for &(step, t) in steps {
        // The non-stale samples in (t - lookback, t + lookback].
        let lo = samples.ts.partition_point(|&x| x <= t - lookback_ms);
        let hi = samples.ts.partition_point(|&x| x <= t + lookback_ms);
        let live: Vec<usize> = (lo..hi).filter(|&i| !samples.is_stale(i)).collect();
        let hists = live.iter().filter(|&&i| samples.hist(i).is_some()).count();
        if hists > 0 && hists < live.len() {
            warn(Annotation::MixedFloatsHistograms { metric_name: metric_name.to_string() });
            continue;
        }
        // The first sample at or after t, and the one before it.
        let next = live.iter().position(|&i| samples.ts[i] >= t);
        let (prev, next) = match next {
            Some(k) if samples.ts[live[k]] == t => {
                rows.push_val(id, step, samples.val(live[k]));
                continue;
            }
            Some(0) => continue,
            Some(k) => (live[k - 1], Some(live[k])),
            None => match live.last() {
                Some(&p) => (p, None),
                None => continue,
            },
        };
        match (samples.hist(prev), next) {
            (None, Some(n)) => {
                let v = interpolate(
                    (samples.ts[prev], samples.values[prev]),
                    (samples.ts[n], samples.values[n]),
                    t,
                    false,
                );
                rows.push(id, step, v);
            }
            (None, None) => rows.push(id, step, samples.values[prev]),
            (Some(p), Some(n)) => {
                let Some(nh) = samples.hist(n) else { continue };
                if p.uses_custom_buckets() != nh.uses_custom_buckets() {
                    warn(Annotation::MixedExponentialCustomHistograms {
                        metric_name: metric_name.to_string(),
                    });
                    continue;
                }
                let is_counter = p.counter_reset_hint != CounterResetHint::Gauge
                    || nh.counter_reset_hint != CounterResetHint::Gauge;
                let (h, annos) = interpolate_between(
                    metric_name,
                    (samples.ts[prev], p),
                    (samples.ts[n], nh),
                    t,
                    is_counter,
                )
                .map_err(|e| EngineError::Eval(e.0))?;
                for a in annos {
                    warn(a);
                }
                if let Some(h) = h {
                    rows.push_hist(id, step, Arc::new(h));
                }
            }
            (Some(p), None) => {
                // The hint described p's relation to its predecessor, not its value.
                let mut h = FloatHistogram::clone(p);
                h.counter_reset_hint = CounterResetHint::Unknown;
                rows.push_hist(id, step, Arc::new(h));
            }
        }
    }
    Ok(())
}
