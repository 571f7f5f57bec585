//! Histogram arithmetic: Prometheus's `Add`, `Sub`, `KahanAdd`, `Mul` and `Div`.

use std::cmp::Ordering;

use super::add_buckets::{
    CustomSide, add_buckets, add_custom_buckets_with_mismatches, intersect_custom_bounds,
    kahan_reduce_resolution,
};
use super::compact::{reduce_resolution, spans_fit};
use super::gomath::kahan_sum_inc;
use super::{CounterResetHint, FloatHistogram, HistogramError, HistogramErrorKind, Span};

/// What [`FloatHistogram::add`], [`FloatHistogram::sub`] and [`FloatHistogram::kahan_add`]
/// report besides the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AddOutcome {
    /// One histogram said CounterReset, the other NotCounterReset; the result's hint was set
    /// to Unknown (PromQL warns about this).
    pub counter_reset_collision: bool,
    /// The histograms had different custom bucket bounds and were added on the bounds both
    /// have (PromQL adds an info annotation).
    pub nhcb_bounds_reconciled: bool,
}

fn check_fit(h: &FloatHistogram, what: &str) -> Result<(), HistogramError> {
    for (side, spans, n) in [
        ("positive", &h.positive_spans, h.positive_buckets.len()),
        ("negative", &h.negative_spans, h.negative_buckets.len()),
    ] {
        if !spans_fit(spans, n) {
            return Err(HistogramError::with_context(
                HistogramErrorKind::SpansBucketsMismatch,
                format!(
                    "{what}, {side} side: spans need {} buckets, have {n} buckets",
                    super::span_bucket_count(spans)
                ),
            ));
        }
    }
    Ok(())
}

impl FloatHistogram {
    /// Both exponential or both custom buckets (Prometheus's `checkSchemaAndBounds`), and (our
    /// addition, where Prometheus would panic) spans that fit the buckets.
    fn check_compatible(&self, other: &FloatHistogram) -> Result<(), HistogramError> {
        if self.uses_custom_buckets() != other.uses_custom_buckets() {
            return Err(HistogramError::new(HistogramErrorKind::IncompatibleSchema));
        }
        check_fit(self, "receiving histogram")?;
        check_fit(other, "other histogram")
    }

    /// The counter reset hint of a sum or difference (Prometheus's `adjustCounterReset`); true
    /// for the CounterReset/NotCounterReset collision.
    fn adjust_counter_reset(&mut self, other: &FloatHistogram) -> bool {
        use CounterResetHint::*;
        match (self.counter_reset_hint, other.counter_reset_hint) {
            (a, b) if a == b => false,
            (Gauge, _) => false,
            (_, Gauge) => {
                self.counter_reset_hint = Gauge;
                false
            }
            (Unknown, _) => false,
            (_, Unknown) => {
                self.counter_reset_hint = Unknown;
                false
            }
            _ => {
                self.counter_reset_hint = Unknown;
                true
            }
        }
    }

    /// Adds `other` to this histogram as Prometheus's `FloatHistogram.Add`: counts, sum and
    /// buckets are added, missing buckets inserted. The schema is reduced to the lower of both,
    /// the zero bucket widened to cover both zero buckets. Custom-bucket histograms with
    /// different bounds are added on the bounds both have. The result may have empty buckets or
    /// adjacent spans; call [`FloatHistogram::compact`] to normalise. Errors (before changing
    /// anything) for a mix of exponential and custom buckets, or spans that do not fit.
    pub fn add(&mut self, other: &FloatHistogram) -> Result<AddOutcome, HistogramError> {
        self.add_or_sub(other, false)
    }

    /// Subtracts `other` like [`FloatHistogram::add`] adds it. The counter reset hint is
    /// adjusted as for addition; PromQL's `-` sets it to Gauge afterwards.
    pub fn sub(&mut self, other: &FloatHistogram) -> Result<AddOutcome, HistogramError> {
        self.add_or_sub(other, true)
    }

    fn add_or_sub(&mut self, other: &FloatHistogram, negative: bool) -> Result<AddOutcome, HistogramError> {
        self.check_compatible(other)?;
        let mut outcome =
            AddOutcome { counter_reset_collision: self.adjust_counter_reset(other), ..Default::default() };
        if !self.uses_custom_buckets() {
            let (other_zero, _) = self.reconcile_zero_buckets(other, None);
            if negative {
                self.zero_count -= other_zero;
            } else {
                self.zero_count += other_zero;
            }
        }
        if negative {
            self.count -= other.count;
            self.sum -= other.sum;
        } else {
            self.count += other.count;
            self.sum += other.sum;
        }

        if self.uses_custom_buckets() {
            if self.custom_values == other.custom_values {
                add_buckets(
                    self.schema,
                    self.zero_threshold,
                    negative,
                    &mut self.positive_spans,
                    &mut self.positive_buckets,
                    None,
                    &other.positive_spans,
                    &other.positive_buckets,
                    None,
                );
            } else {
                outcome.nhcb_bounds_reconciled = true;
                let intersected = intersect_custom_bounds(&self.custom_values, &other.custom_values);
                let (spans, buckets, _) = add_custom_buckets_with_mismatches(
                    negative,
                    self.custom_side(),
                    other.custom_side(),
                    None,
                    &intersected,
                );
                (self.positive_spans, self.positive_buckets) = (spans, buckets);
                self.custom_values = intersected;
            }
            return Ok(outcome);
        }

        let (mut other_pos, mut other_neg) = (None, None);
        match other.schema.cmp(&self.schema) {
            Ordering::Less => {
                let target = other.schema;
                (self.positive_spans, self.positive_buckets) = reduce_resolution(
                    &self.positive_spans,
                    &self.positive_buckets,
                    self.schema,
                    target,
                    false,
                )?;
                (self.negative_spans, self.negative_buckets) = reduce_resolution(
                    &self.negative_spans,
                    &self.negative_buckets,
                    self.schema,
                    target,
                    false,
                )?;
                self.schema = target;
            }
            Ordering::Greater => {
                other_pos = Some(reduce_resolution(
                    &other.positive_spans,
                    &other.positive_buckets,
                    other.schema,
                    self.schema,
                    false,
                )?);
                other_neg = Some(reduce_resolution(
                    &other.negative_spans,
                    &other.negative_buckets,
                    other.schema,
                    self.schema,
                    false,
                )?);
            }
            Ordering::Equal => {}
        }
        let (ops, opb) = other_pos
            .as_ref()
            .map_or((&other.positive_spans[..], &other.positive_buckets[..]), |(s, b)| (&s[..], &b[..]));
        let (ons, onb) = other_neg
            .as_ref()
            .map_or((&other.negative_spans[..], &other.negative_buckets[..]), |(s, b)| (&s[..], &b[..]));
        let (schema, zt) = (self.schema, self.zero_threshold);
        add_buckets(
            schema,
            zt,
            negative,
            &mut self.positive_spans,
            &mut self.positive_buckets,
            None,
            ops,
            opb,
            None,
        );
        add_buckets(
            schema,
            zt,
            negative,
            &mut self.negative_spans,
            &mut self.negative_buckets,
            None,
            ons,
            onb,
            None,
        );
        Ok(outcome)
    }

    fn custom_side(&self) -> CustomSide<'_> {
        CustomSide {
            spans: &self.positive_spans,
            buckets: &self.positive_buckets,
            bounds: &self.custom_values,
        }
    }

    /// An empty Kahan compensation histogram for [`FloatHistogram::kahan_add`], with this
    /// histogram's layout and all counts 0 (Prometheus's `newCompensationHistogram`).
    pub fn new_compensation(&self) -> FloatHistogram {
        let custom = self.uses_custom_buckets();
        FloatHistogram {
            counter_reset_hint: self.counter_reset_hint,
            schema: self.schema,
            zero_threshold: self.zero_threshold,
            zero_count: 0.0,
            count: 0.0,
            sum: 0.0,
            positive_spans: self.positive_spans.clone(),
            negative_spans: self.negative_spans.clone(),
            positive_buckets: vec![0.0; self.positive_buckets.len()],
            negative_buckets: if custom { Vec::new() } else { vec![0.0; self.negative_buckets.len()] },
            custom_values: self.custom_values.clone(),
        }
    }

    /// Prometheus's `KahanAdd`: [`FloatHistogram::add`] with Kahan–Neumaier summation, the
    /// running compensation kept in `c` (start with [`FloatHistogram::new_compensation`] of the
    /// first summand; the final value is this histogram plus `c`). PromQL's `sum` and `avg`
    /// aggregate native histograms this way.
    pub fn kahan_add(
        &mut self,
        other: &FloatHistogram,
        c: &mut FloatHistogram,
    ) -> Result<AddOutcome, HistogramError> {
        self.check_compatible(other)?;
        if c.positive_buckets.len() != self.positive_buckets.len()
            || (!self.uses_custom_buckets() && c.negative_buckets.len() != self.negative_buckets.len())
        {
            return Err(HistogramError::with_context(
                HistogramErrorKind::SpansBucketsMismatch,
                "compensation histogram does not match the receiving histogram",
            ));
        }
        let mut outcome =
            AddOutcome { counter_reset_collision: self.adjust_counter_reset(other), ..Default::default() };
        if !self.uses_custom_buckets() {
            let (other_zero, other_c_zero) = self.reconcile_zero_buckets(other, Some(&mut *c));
            (self.zero_count, c.zero_count) = kahan_sum_inc(other_zero, self.zero_count, c.zero_count);
            (self.zero_count, c.zero_count) = kahan_sum_inc(other_c_zero, self.zero_count, c.zero_count);
        }
        (self.count, c.count) = kahan_sum_inc(other.count, self.count, c.count);
        (self.sum, c.sum) = kahan_sum_inc(other.sum, self.sum, c.sum);

        if self.uses_custom_buckets() {
            if self.custom_values == other.custom_values {
                add_buckets(
                    self.schema,
                    self.zero_threshold,
                    false,
                    &mut self.positive_spans,
                    &mut self.positive_buckets,
                    Some(&mut c.positive_buckets),
                    &other.positive_spans,
                    &other.positive_buckets,
                    None,
                );
            } else {
                outcome.nhcb_bounds_reconciled = true;
                let intersected = intersect_custom_bounds(&self.custom_values, &other.custom_values);
                let (spans, buckets, comps) = add_custom_buckets_with_mismatches(
                    false,
                    self.custom_side(),
                    other.custom_side(),
                    Some(&c.positive_buckets),
                    &intersected,
                );
                (self.positive_spans, self.positive_buckets, c.positive_buckets) = (spans, buckets, comps);
                c.custom_values.clone_from(&intersected);
                self.custom_values = intersected;
            }
            c.positive_spans.clone_from(&self.positive_spans);
            return Ok(outcome);
        }

        type Side = (Vec<Span>, Vec<f64>, Vec<f64>);
        let (mut other_pos, mut other_neg): (Option<Side>, Option<Side>) = (None, None);
        match other.schema.cmp(&self.schema) {
            Ordering::Less => {
                let target = other.schema;
                (self.positive_spans, self.positive_buckets, c.positive_buckets) = kahan_reduce_resolution(
                    &self.positive_spans,
                    &self.positive_buckets,
                    &c.positive_buckets,
                    self.schema,
                    target,
                );
                (self.negative_spans, self.negative_buckets, c.negative_buckets) = kahan_reduce_resolution(
                    &self.negative_spans,
                    &self.negative_buckets,
                    &c.negative_buckets,
                    self.schema,
                    target,
                );
                self.schema = target;
            }
            Ordering::Greater => {
                if !other.positive_buckets.is_empty() {
                    let zeros = vec![0.0; other.positive_buckets.len()];
                    other_pos = Some(kahan_reduce_resolution(
                        &other.positive_spans,
                        &other.positive_buckets,
                        &zeros,
                        other.schema,
                        self.schema,
                    ));
                }
                if !other.negative_buckets.is_empty() {
                    let zeros = vec![0.0; other.negative_buckets.len()];
                    other_neg = Some(kahan_reduce_resolution(
                        &other.negative_spans,
                        &other.negative_buckets,
                        &zeros,
                        other.schema,
                        self.schema,
                    ));
                }
            }
            Ordering::Equal => {}
        }
        let side = |s: &Option<Side>,
                    spans: &'_ [Span],
                    buckets: &'_ [f64]|
         -> (Vec<Span>, Vec<f64>, Option<Vec<f64>>) {
            match s {
                Some((sp, b, cb)) => (sp.clone(), b.clone(), Some(cb.clone())),
                None => (spans.to_vec(), buckets.to_vec(), None),
            }
        };
        let (ops, opb, opc) = side(&other_pos, &other.positive_spans, &other.positive_buckets);
        let (ons, onb, onc) = side(&other_neg, &other.negative_spans, &other.negative_buckets);
        let (schema, zt) = (self.schema, self.zero_threshold);
        add_buckets(
            schema,
            zt,
            false,
            &mut self.positive_spans,
            &mut self.positive_buckets,
            Some(&mut c.positive_buckets),
            &ops,
            &opb,
            opc.as_deref(),
        );
        add_buckets(
            schema,
            zt,
            false,
            &mut self.negative_spans,
            &mut self.negative_buckets,
            Some(&mut c.negative_buckets),
            &ons,
            &onb,
            onc.as_deref(),
        );
        c.schema = self.schema;
        c.zero_threshold = self.zero_threshold;
        c.positive_spans.clone_from(&self.positive_spans);
        c.negative_spans.clone_from(&self.negative_spans);
        Ok(outcome)
    }

    /// Scales all counts and the sum by `factor` (Prometheus's `Mul`); a negative factor makes
    /// the histogram a gauge histogram.
    pub fn mul(&mut self, factor: f64) -> &mut Self {
        self.zero_count *= factor;
        self.count *= factor;
        self.sum *= factor;
        self.positive_buckets.iter_mut().for_each(|b| *b *= factor);
        self.negative_buckets.iter_mut().for_each(|b| *b *= factor);
        if factor < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
        self
    }

    /// Divides all counts and the sum by `scalar` (Prometheus's `Div`). Division by zero makes
    /// count, zero count and sum infinite (or NaN) and removes all buckets; a negative scalar
    /// makes the histogram a gauge histogram.
    pub fn div(&mut self, scalar: f64) -> &mut Self {
        self.zero_count /= scalar;
        self.count /= scalar;
        self.sum /= scalar;
        if scalar == 0.0 {
            self.positive_buckets.clear();
            self.negative_buckets.clear();
            self.positive_spans.clear();
            self.negative_spans.clear();
            return self;
        }
        self.positive_buckets.iter_mut().for_each(|b| *b /= scalar);
        self.negative_buckets.iter_mut().for_each(|b| *b /= scalar);
        if scalar < 0.0 {
            self.counter_reset_hint = CounterResetHint::Gauge;
        }
        self
    }
}
