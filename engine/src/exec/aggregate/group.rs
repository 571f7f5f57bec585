//! The aggregations that reduce each group to one sample: `sum`, `avg`, `count`, `group`, `min`,
//! `max`, `stddev`, `stdvar` and `quantile`, fed one input sample at a time in input order,
//! as Prometheus's `aggregation` does (its results depend on that order in the last bits).
//!
//! Native histograms: `sum` and `avg` add them (Kahan-compensated), `count` and `group` count
//! them, the others ignore them with an info annotation. A group mixing floats and histograms
//! gives no result for `sum` and `avg`, with a warning.

use std::sync::Arc;

use quiver_proto::{CounterResetHint, FloatHistogram, HistogramError, HistogramErrorKind, kahan_sum_inc};

use super::super::common::Val;
use crate::annotations::{Annotation, HistogramOperation};
use crate::error::{EngineError, Result};
use crate::functions::quantile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GroupOp {
    Sum,
    Avg,
    Count,
    Group,
    Min,
    Max,
    Stddev,
    Stdvar,
    Quantile,
}

impl GroupOp {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sum" => Self::Sum,
            "avg" => Self::Avg,
            "count" => Self::Count,
            "group" => Self::Group,
            "min" => Self::Min,
            "max" => Self::Max,
            "stddev" => Self::Stddev,
            "stdvar" => Self::Stdvar,
            "quantile" => Self::Quantile,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sum => "sum",
            Self::Avg => "avg",
            Self::Count => "count",
            Self::Group => "group",
            Self::Min => "min",
            Self::Max => "max",
            Self::Stddev => "stddev",
            Self::Stdvar => "stdvar",
            Self::Quantile => "quantile",
        }
    }

    fn ignored(self) -> Annotation {
        Annotation::HistogramIgnoredInAggregation { aggregation: self.name().into() }
    }
}

/// One group's running state at one step (Prometheus's `groupedAggregation`).
#[derive(Debug, Default)]
pub(super) struct GroupAcc {
    /// Whether a sample started the group; a histogram that the operation ignores does not.
    seen: bool,
    float_value: f64,
    float_mean: f64,
    float_c: f64,
    count: f64,
    /// Histograms and quantile's values, boxed: an aggregation holds one state per group and
    /// step, mostly over floats only, and the states stay small without these inline.
    extra: Option<Box<Extra>>,
    has_float: bool,
    has_histogram: bool,
    /// Exponential and custom buckets met: the group gives no result.
    incompatible: bool,
    /// The direct mean would overflow: avg switched to the incremental mean.
    float_incremental: bool,
    hist_incremental: bool,
    counter_reset_seen: bool,
    not_counter_reset_seen: bool,
    drop_name: bool,
}

/// What a group holds besides floats.
#[derive(Debug, Default)]
struct Extra {
    hist_value: Option<Box<FloatHistogram>>,
    hist_mean: Option<Box<FloatHistogram>>,
    hist_c: Option<Box<FloatHistogram>>,
    values: Vec<f64>,
}

/// The state of a group without histograms or values.
static NO_EXTRA: Extra = Extra { hist_value: None, hist_mean: None, hist_c: None, values: Vec::new() };

impl GroupAcc {
    fn x(&self) -> &Extra {
        self.extra.as_deref().unwrap_or(&NO_EXTRA)
    }

    fn x_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_default()
    }

    /// Adds one sample of a series: `drop_name` says whether the series' metric name is marked
    /// for dropping, `metric_name` names the series in annotations.
    pub(super) fn add(
        &mut self,
        op: GroupOp,
        v: &Val,
        drop_name: bool,
        metric_name: &str,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        let (f, h) = match v {
            Val::F(f) => (*f, None),
            Val::H(h) => (0.0, Some(h)),
        };
        if !self.seen {
            self.start(op, f, h, drop_name, annotations);
            return Ok(());
        }
        if self.incompatible {
            return Ok(());
        }
        self.drop_name |= drop_name;
        match op {
            GroupOp::Sum => match h {
                Some(h) => self.sum_histogram(h, metric_name, annotations)?,
                None => {
                    self.has_float = true;
                    (self.float_value, self.float_c) = kahan_sum_inc(f, self.float_value, self.float_c);
                }
            },
            GroupOp::Avg => {
                self.count += 1.0;
                match h {
                    Some(h) => self.avg_histogram(h, metric_name, annotations)?,
                    None => self.avg_float(f),
                }
            }
            GroupOp::Count => self.count += 1.0,
            GroupOp::Group => {}
            GroupOp::Min | GroupOp::Max if h.is_some() => annotations.push(op.ignored()),
            GroupOp::Max => {
                if self.float_value < f || self.float_value.is_nan() {
                    self.float_value = f;
                }
            }
            GroupOp::Min => {
                if self.float_value > f || self.float_value.is_nan() {
                    self.float_value = f;
                }
            }
            GroupOp::Stddev | GroupOp::Stdvar | GroupOp::Quantile if h.is_some() => {
                annotations.push(op.ignored())
            }
            GroupOp::Stddev | GroupOp::Stdvar => {
                // Welford's online variance, uncompensated as in Prometheus.
                self.count += 1.0;
                let delta = f - self.float_mean;
                self.float_mean += delta / self.count;
                self.float_value += delta * (f - self.float_mean);
            }
            GroupOp::Quantile => self.x_mut().values.push(f),
        }
        Ok(())
    }

    /// `add` of a float to a `sum`, the commonest case, without the general dispatch: the same
    /// state as `add(GroupOp::Sum, &Val::F(f), ..)` leaves.
    #[inline]
    pub(super) fn add_float_sum(&mut self, f: f64, drop_name: bool) {
        if !self.seen {
            // `start` raises no annotation for a float.
            self.start(GroupOp::Sum, f, None, drop_name, &mut Vec::new());
            return;
        }
        if self.incompatible {
            return;
        }
        self.drop_name |= drop_name;
        self.has_float = true;
        (self.float_value, self.float_c) = kahan_sum_inc(f, self.float_value, self.float_c);
    }

    fn start(
        &mut self,
        op: GroupOp,
        f: f64,
        h: Option<&Arc<FloatHistogram>>,
        drop_name: bool,
        annotations: &mut Vec<Annotation>,
    ) {
        *self =
            GroupAcc { seen: true, float_value: f, float_mean: f, count: 1.0, drop_name, ..Self::default() };
        match op {
            GroupOp::Sum | GroupOp::Avg => match h {
                None => self.has_float = true,
                Some(h) => {
                    self.note_hint(h);
                    self.x_mut().hist_value = Some(Box::new(FloatHistogram::clone(h)));
                    self.has_histogram = true;
                }
            },
            GroupOp::Group => self.float_value = 1.0,
            GroupOp::Count => {}
            _ if h.is_some() => {
                self.seen = false;
                annotations.push(op.ignored());
            }
            GroupOp::Stddev | GroupOp::Stdvar => {
                self.float_value = if f.is_nan() || f.is_infinite() { f64::NAN } else { 0.0 };
            }
            GroupOp::Quantile => self.x_mut().values = vec![f],
            GroupOp::Min | GroupOp::Max => {}
        }
    }

    fn note_hint(&mut self, h: &FloatHistogram) {
        match h.counter_reset_hint {
            CounterResetHint::CounterReset => self.counter_reset_seen = true,
            CounterResetHint::NotCounterReset => self.not_counter_reset_seen = true,
            _ => {}
        }
    }

    /// A failed histogram addition: a mix of exponential and custom buckets makes the group
    /// incompatible (with a warning naming the series); any other error means a malformed
    /// histogram, which fails the query rather than giving a wrong sum.
    fn incompatible(
        &mut self,
        e: HistogramError,
        metric_name: &str,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        if e.kind() != HistogramErrorKind::IncompatibleSchema {
            return Err(EngineError::Eval(e.to_string()));
        }
        annotations.push(Annotation::MixedExponentialCustomHistograms { metric_name: metric_name.into() });
        self.incompatible = true;
        Ok(())
    }

    fn sum_histogram(
        &mut self,
        h: &FloatHistogram,
        metric_name: &str,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        self.has_histogram = true;
        // A group that started with a float gives no result anyway.
        if self.x().hist_value.is_none() {
            return Ok(());
        }
        self.note_hint(h);
        let x = self.x_mut();
        let Some(value) = x.hist_value.as_mut() else { return Ok(()) };
        let c = x.hist_c.get_or_insert_with(|| Box::new(value.new_compensation()));
        match value.kahan_add(h, c) {
            Ok(o) if o.nhcb_bounds_reconciled => annotations.push(mismatched_custom_buckets()),
            Ok(_) => {}
            Err(e) => self.incompatible(e, metric_name, annotations)?,
        }
        Ok(())
    }

    /// Prometheus's avg: the direct mean (a Kahan sum divided at the end) while the sum stays
    /// finite, then the incremental mean, which cannot overflow.
    fn avg_float(&mut self, f: f64) {
        self.has_float = true;
        if !self.float_incremental {
            let (sum, c) = kahan_sum_inc(f, self.float_value, self.float_c);
            if !sum.is_infinite() {
                (self.float_value, self.float_c) = (sum, c);
                return;
            }
            self.float_incremental = true;
            self.float_mean = self.float_value / (self.count - 1.0);
            self.float_c /= self.count - 1.0;
        }
        let q = (self.count - 1.0) / self.count;
        (self.float_mean, self.float_c) =
            kahan_sum_inc(f / self.count, q * self.float_mean, q * self.float_c);
    }

    /// avg of histograms, the same two ways as [`GroupAcc::avg_float`].
    fn avg_histogram(
        &mut self,
        h: &FloatHistogram,
        metric_name: &str,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        self.has_histogram = true;
        if self.x().hist_value.is_none() {
            return Ok(());
        }
        self.note_hint(h);
        let count = self.count;
        if !self.hist_incremental {
            let Some(mut sum) = self.x().hist_value.clone() else { return Ok(()) };
            let mut c = self.x().hist_c.clone().unwrap_or_else(|| Box::new(sum.new_compensation()));
            match sum.kahan_add(h, &mut c) {
                Ok(o) if o.nhcb_bounds_reconciled => annotations.push(mismatched_custom_buckets()),
                Ok(_) => {}
                Err(e) => return self.incompatible(e, metric_name, annotations),
            }
            if !sum.has_overflow() {
                let x = self.x_mut();
                (x.hist_value, x.hist_c) = (Some(sum), Some(c));
                return Ok(());
            }
            self.hist_incremental = true;
            let x = self.x_mut();
            let Some(mut mean) = x.hist_value.clone() else { return Ok(()) };
            mean.div(count - 1.0);
            x.hist_mean = Some(mean);
            if let Some(c) = x.hist_c.as_mut() {
                c.div(count - 1.0);
            }
        }
        let q = (count - 1.0) / count;
        let x = self.x_mut();
        if let Some(c) = x.hist_c.as_mut() {
            c.mul(q);
        }
        let mut to_add = h.clone();
        to_add.div(count);
        let Some(mean) = x.hist_mean.as_mut() else { return Ok(()) };
        mean.mul(q);
        let c = x.hist_c.get_or_insert_with(|| Box::new(mean.new_compensation()));
        match mean.kahan_add(&to_add, c) {
            Ok(o) if o.nhcb_bounds_reconciled => annotations.push(mismatched_custom_buckets()),
            Ok(_) => {}
            Err(e) => self.incompatible(e, metric_name, annotations)?,
        }
        Ok(())
    }

    /// The group's result at `q` (quantile's parameter at this step) and whether its metric
    /// name is to be dropped; `None` when the group gives no sample. Leaves the group empty for
    /// the next step.
    pub(super) fn finish(
        &mut self,
        op: GroupOp,
        q: f64,
        annotations: &mut Vec<Annotation>,
    ) -> Option<(Val, bool)> {
        // Read in place, then reset: moving the state out first copied it through the stack
        // field by field, and reading the copy back stalled on every group and step.
        let out = self.result(op, q, annotations);
        *self = Self::default();
        out
    }

    fn result(&mut self, op: GroupOp, q: f64, annotations: &mut Vec<Annotation>) -> Option<(Val, bool)> {
        if !self.seen {
            return None;
        }
        let mut hist = None;
        match op {
            GroupOp::Sum | GroupOp::Avg => {
                if self.has_float && self.has_histogram {
                    annotations.push(Annotation::MixedFloatsHistogramsAgg);
                    return None;
                }
                if self.incompatible {
                    return None;
                }
                if self.has_histogram {
                    hist = self.histogram_result(op);
                } else if op == GroupOp::Sum {
                    self.float_value += self.float_c;
                } else if self.float_incremental {
                    self.float_value = self.float_mean + self.float_c;
                } else {
                    self.float_value = self.float_value / self.count + self.float_c / self.count;
                }
            }
            GroupOp::Count => self.float_value = self.count,
            GroupOp::Stdvar => self.float_value /= self.count,
            GroupOp::Stddev => self.float_value = (self.float_value / self.count).sqrt(),
            GroupOp::Quantile => self.float_value = quantile(q, &mut self.x_mut().values),
            GroupOp::Group | GroupOp::Min | GroupOp::Max => {}
        }
        if self.counter_reset_seen && self.not_counter_reset_seen {
            annotations
                .push(Annotation::HistogramCounterResetCollision { operation: HistogramOperation::Agg });
        }
        let v = match hist {
            Some(h) => Val::H(Arc::new(h)),
            None => Val::F(self.float_value),
        };
        Some((v, self.drop_name))
    }

    /// The sum or mean of the group's histograms, compensation added, compacted. Adding the
    /// compensation cannot fail once the additions before it succeeded.
    fn histogram_result(&mut self, op: GroupOp) -> Option<FloatHistogram> {
        let (count, incremental) = (self.count, self.hist_incremental);
        let x = self.x_mut();
        let mut h = if op == GroupOp::Avg && incremental {
            let mut mean = *x.hist_mean.take()?;
            if let Some(c) = &x.hist_c {
                let _ = mean.add(c);
            }
            mean
        } else {
            let mut value = *x.hist_value.take()?;
            if op == GroupOp::Avg {
                value.div(count);
            }
            if let Some(c) = x.hist_c.as_mut() {
                if op == GroupOp::Avg {
                    c.div(count);
                }
                let _ = value.add(c);
            }
            value
        };
        h.compact(0);
        Some(h)
    }

    /// Folds in the state `other` built over another partition's series, for the same group at
    /// the same step, as if its samples had come after this one's: sums and counts add (Kahan
    /// compensated), min and max compare, means are weighted by their counts (switching to the
    /// incremental mean when the merged sum overflows, as adding one at a time does), variances
    /// combine by Chan's formula, quantile values are pooled.
    pub(super) fn merge(
        &mut self,
        op: GroupOp,
        other: GroupAcc,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        if !other.seen {
            return Ok(());
        }
        if !self.seen {
            *self = other;
            return Ok(());
        }
        self.drop_name |= other.drop_name;
        self.counter_reset_seen |= other.counter_reset_seen;
        self.not_counter_reset_seen |= other.not_counter_reset_seen;
        self.has_float |= other.has_float;
        self.has_histogram |= other.has_histogram;
        self.incompatible |= other.incompatible;
        if self.incompatible {
            return Ok(());
        }
        match op {
            GroupOp::Sum => {
                (self.float_value, self.float_c) =
                    kahan_sum_inc(other.float_value, self.float_value, self.float_c);
                self.float_c += other.float_c;
                if let Some(x) = other.extra {
                    self.merge_histogram_sums(x.hist_value, x.hist_c, annotations)?;
                }
            }
            GroupOp::Avg => self.merge_means(other, annotations)?,
            GroupOp::Count => self.count += other.count,
            GroupOp::Group => {}
            GroupOp::Max => {
                if self.float_value < other.float_value || self.float_value.is_nan() {
                    self.float_value = other.float_value;
                }
            }
            GroupOp::Min => {
                if self.float_value > other.float_value || self.float_value.is_nan() {
                    self.float_value = other.float_value;
                }
            }
            GroupOp::Stddev | GroupOp::Stdvar => {
                let n = self.count + other.count;
                let delta = other.float_mean - self.float_mean;
                self.float_value += other.float_value + delta * delta * self.count * other.count / n;
                self.float_mean += delta * other.count / n;
                self.count = n;
            }
            GroupOp::Quantile => {
                if let Some(x) = other.extra {
                    self.x_mut().values.extend(x.values);
                }
            }
        }
        Ok(())
    }

    /// Adds another partition's histogram sum and compensation to this one's.
    fn merge_histogram_sums(
        &mut self,
        value: Option<Box<FloatHistogram>>,
        c: Option<Box<FloatHistogram>>,
        annotations: &mut Vec<Annotation>,
    ) -> Result<()> {
        // Float-only states have no `Extra`; making one per merge would allocate per group and step.
        let (Some(value), Some(x)) = (value, self.extra.as_deref_mut()) else {
            return Ok(());
        };
        let Some(mine) = x.hist_value.as_mut() else {
            return Ok(());
        };
        let comp = x.hist_c.get_or_insert_with(|| Box::new(mine.new_compensation()));
        let mut added = Vec::new();
        for h in std::iter::once(*value).chain(c.map(|c| *c)) {
            match mine.kahan_add(&h, comp) {
                Ok(o) => added.push(o.nhcb_bounds_reconciled),
                Err(e) => return self.incompatible(e, "", annotations),
            }
        }
        if added.iter().any(|&r| r) {
            annotations.push(mismatched_custom_buckets());
        }
        Ok(())
    }

    /// The group's mean so far, as (float, histogram), whichever way it was kept.
    fn mean(&self) -> (f64, Option<FloatHistogram>) {
        let f = if self.float_incremental {
            self.float_mean + self.float_c
        } else {
            self.float_value / self.count + self.float_c / self.count
        };
        let h = if self.hist_incremental {
            self.x().hist_mean.as_deref().map(|m| {
                let mut m = m.clone();
                if let Some(c) = &self.x().hist_c {
                    let _ = m.add(c);
                }
                m
            })
        } else {
            self.x().hist_value.as_deref().map(|v| {
                let mut v = v.clone();
                if let Some(c) = &self.x().hist_c {
                    let _ = v.add(c);
                }
                v.div(self.count);
                v
            })
        };
        (f, h)
    }

    fn merge_means(&mut self, other: GroupAcc, annotations: &mut Vec<Annotation>) -> Result<()> {
        let (n0, n1) = (self.count, other.count);
        let n = n0 + n1;
        let ((m0, h0), (m1, h1)) = (self.mean(), other.mean());
        let (sum, c) = kahan_sum_inc(other.float_value, self.float_value, self.float_c);
        if !self.float_incremental && !other.float_incremental && !sum.is_infinite() {
            (self.float_value, self.float_c) = (sum, c + other.float_c);
        } else {
            self.float_mean = m0 * (n0 / n) + m1 * (n1 / n);
            self.float_c = 0.0;
            self.float_incremental = true;
        }
        if self.x().hist_value.is_some() && other.x().hist_value.is_some() {
            let direct = !self.hist_incremental && !other.hist_incremental;
            if direct {
                let x = other.extra.map(|x| *x).unwrap_or_default();
                self.merge_histogram_sums(x.hist_value, x.hist_c, annotations)?;
            }
            if (!direct || self.x().hist_value.as_ref().is_some_and(|v| v.has_overflow()))
                && let (Some(mut a), Some(mut b)) = (h0, h1)
            {
                a.mul(n0 / n);
                b.mul(n1 / n);
                if let Err(e) = a.add(&b) {
                    self.count = n;
                    return self.incompatible(e, "", annotations);
                }
                let x = self.x_mut();
                x.hist_mean = Some(Box::new(a));
                x.hist_c = None;
                self.hist_incremental = true;
            }
        }
        self.count = n;
        Ok(())
    }
}

fn mismatched_custom_buckets() -> Annotation {
    Annotation::MismatchedCustomBucketsHistograms { operation: HistogramOperation::Agg }
}
