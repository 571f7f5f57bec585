//! Compaction and resolution reduction (Prometheus's `compactBuckets` and `reduceResolution`).

use super::{CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, HistogramError, HistogramErrorKind, Span};

/// Bucket counts: absolute `f64` counts or delta-encoded `i64` counts, whose arithmetic wraps
/// as Go's `int64` does.
pub(crate) trait Count: Copy + PartialEq {
    const ZERO: Self;
    fn plus(self, other: Self) -> Self;
    fn negated(self) -> Self;
}

impl Count for i64 {
    const ZERO: i64 = 0;
    fn plus(self, other: i64) -> i64 {
        self.wrapping_add(other)
    }
    fn negated(self) -> i64 {
        self.wrapping_neg()
    }
}

impl Count for f64 {
    const ZERO: f64 = 0.0;
    fn plus(self, other: f64) -> f64 {
        self + other
    }
    fn negated(self) -> f64 {
        -self
    }
}

/// The bucket index in `target` schema of bucket `idx` in `origin` schema (`origin ≥ target`).
pub(crate) fn target_idx(idx: i32, origin: i32, target: i32) -> i32 {
    // A shift of 32 or more on Go's int32 leaves only the sign, as a shift by 31 does.
    let shift = (i64::from(origin) - i64::from(target)).clamp(0, 31) as u32;
    (idx.wrapping_sub(1) >> shift).wrapping_add(1)
}

/// Whether the spans describe exactly `n` buckets and no span but the first has a negative
/// offset; the precondition for the in-place algorithms, which leave other input unchanged.
pub(crate) fn spans_fit(spans: &[Span], n: usize) -> bool {
    spans.iter().skip(1).all(|s| s.offset >= 0) && super::span_bucket_count(spans) == n as u64
}

/// Prometheus's `compactBuckets`: removes empty buckets at the start and end of spans, merges
/// adjacent spans, splits spans at runs of more than `max_empty` empty buckets and merges spans
/// at most `max_empty` apart. `comp` holds Kahan compensation values parallel to `buckets` (a
/// bucket counts as empty only if its compensation is 0, too). Like Prometheus's, it copes with
/// spans that do not fit the buckets, except that spans are then not merged across gaps.
pub(crate) fn compact_buckets<T: Count>(
    buckets: &mut Vec<T>,
    mut comp: Option<&mut Vec<f64>>,
    spans: &mut Vec<Span>,
    max_empty: usize,
    deltas: bool,
) {
    if comp.as_ref().is_some_and(|c| c.len() != buckets.len()) {
        return;
    }
    let max_empty = i64::try_from(max_empty).unwrap_or(i64::MAX);
    // Fast path: no empty bucket, no offset ≤ max_empty and no empty span.
    let mut cur = T::ZERO;
    let mut nothing_to_do = true;
    for &b in buckets.iter() {
        cur = if deltas { cur.plus(b) } else { b };
        if cur == T::ZERO {
            nothing_to_do = false;
            break;
        }
    }
    if nothing_to_do && spans.iter().all(|s| i64::from(s.offset) > max_empty && s.length != 0) {
        return;
    }

    // Merge spans with zero offset, then drop spans of zero length.
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for (i, &s) in spans.iter().enumerate() {
        match merged.last_mut() {
            Some(last) if i > 0 && s.offset == 0 => last.length = last.length.wrapping_add(s.length),
            _ => merged.push(s),
        }
    }
    let mut carry = 0i32;
    spans.clear();
    for s in merged {
        if s.length == 0 {
            carry = carry.wrapping_add(s.offset);
            continue;
        }
        spans.push(Span { offset: s.offset.wrapping_add(carry), length: s.length });
        carry = 0;
    }
    if spans.is_empty() {
        buckets.clear();
        if let Some(c) = comp.as_deref_mut() {
            c.clear();
        }
        return;
    }

    let (mut i_bucket, mut i_span, mut pos_in_span) = (0usize, 0usize, 0u32);
    cur = T::ZERO;
    // Cut out empty buckets at the start and end of spans, and runs of more than max_empty
    // empty buckets in the middle of a span.
    while i_bucket < buckets.len() && i_span < spans.len() {
        cur = if deltas { cur.plus(buckets[i_bucket]) } else { buckets[i_bucket] };
        // Number of consecutive empty buckets starting here, within the current span.
        let n_empty = {
            let mut i = 0usize;
            let mut abs = cur;
            let mut c = comp.as_deref().map_or(0.0, |c| c[i_bucket]);
            while (i as u64) + u64::from(pos_in_span) < u64::from(spans[i_span].length)
                && abs == T::ZERO
                && c == 0.0
            {
                i += 1;
                if i + i_bucket >= buckets.len() {
                    break;
                }
                abs = buckets[i + i_bucket];
                c = comp.as_deref().map_or(0.0, |c| c[i + i_bucket]);
            }
            i
        };
        if n_empty == 0 {
            i_bucket += 1;
            pos_in_span += 1;
            if pos_in_span >= spans[i_span].length {
                pos_in_span = 0;
                i_span += 1;
            }
            continue;
        }
        let remaining = u64::from(spans[i_span].length - pos_in_span);
        if pos_in_span > 0 && (n_empty as u64) < remaining && n_empty as i64 <= max_empty {
            // Few enough empty buckets in the middle of a span: keep them.
            i_bucket += n_empty;
            if deltas {
                cur = T::ZERO;
            }
            pos_in_span += n_empty as u32;
            continue;
        }
        if deltas && i_bucket + n_empty < buckets.len() {
            cur = buckets[i_bucket].negated();
            buckets[i_bucket + n_empty] = buckets[i_bucket + n_empty].plus(buckets[i_bucket]);
        }
        buckets.drain(i_bucket..i_bucket + n_empty);
        if let Some(c) = comp.as_deref_mut() {
            c.drain(i_bucket..i_bucket + n_empty);
        }
        let n = n_empty as u32;
        if pos_in_span == 0 {
            if n == spans[i_span].length {
                // The whole span is empty.
                let offset = spans[i_span].offset;
                spans.remove(i_span);
                if let Some(next) = spans.get_mut(i_span) {
                    next.offset = next.offset.wrapping_add(offset).wrapping_add(n as i32);
                }
                continue;
            }
            spans[i_span].length -= n;
            spans[i_span].offset = spans[i_span].offset.wrapping_add(n as i32);
            continue;
        }
        // In the middle or at the end of the span: split it.
        let new_span = Span { offset: n as i32, length: spans[i_span].length - pos_in_span - n };
        spans[i_span].length = pos_in_span;
        i_span += 1;
        pos_in_span = 0;
        if new_span.length == 0 {
            if let Some(next) = spans.get_mut(i_span) {
                next.offset = next.offset.wrapping_add(n as i32);
            }
            continue;
        }
        spans.insert(i_span, new_span);
    }
    if max_empty == 0 || buckets.is_empty() || !spans_fit(spans, buckets.len()) {
        // With spans that do not fit the buckets, Prometheus's merging below could panic.
        return;
    }

    // Merge spans that are at most max_empty buckets apart, inserting empty buckets.
    let mut i_bucket = spans[0].length as usize;
    let sum = |b: &[T]| b.iter().fold(T::ZERO, |acc, &x| acc.plus(x));
    if deltas {
        cur = sum(&buckets[..i_bucket.min(buckets.len())]);
    }
    let mut i_span = 1;
    while i_span < spans.len() {
        let l = spans[i_span].length as usize;
        if i64::from(spans[i_span].offset) > max_empty {
            if deltas {
                cur = cur.plus(sum(&buckets[i_bucket..(i_bucket + l).min(buckets.len())]));
            }
            i_bucket += l;
            i_span += 1;
            continue;
        }
        let offset = spans[i_span].offset.max(0) as usize;
        spans[i_span - 1].length =
            spans[i_span - 1].length.wrapping_add(offset as u32).wrapping_add(l as u32);
        spans.remove(i_span);
        let at = i_bucket.min(buckets.len());
        buckets.splice(at..at, std::iter::repeat_n(T::ZERO, offset));
        if deltas && offset > 0 && at + offset < buckets.len() {
            buckets[at] = cur.negated();
            buckets[at + offset] = buckets[at + offset].plus(cur);
        }
        if let Some(c) = comp.as_deref_mut() {
            c.splice(at..at, std::iter::repeat_n(0.0, offset));
        }
        i_bucket += offset;
        if deltas {
            cur = sum(&buckets[i_bucket.min(buckets.len())..(i_bucket + l).min(buckets.len())]);
        }
        i_bucket += l;
    }
}

fn reduce_error(spans: &[Span], n: usize) -> HistogramError {
    if let Some((i, s)) = spans.iter().enumerate().skip(1).find(|(_, s)| s.offset < 0) {
        return HistogramError::with_context(
            HistogramErrorKind::SpanNegativeOffset,
            format!("span number {} with offset {}", i + 1, s.offset),
        );
    }
    let need = super::span_bucket_count(spans);
    let ctx = if need > n as u64 {
        format!("have {n} buckets but spans need more")
    } else {
        format!("spans need {need} buckets, have {n} buckets")
    };
    HistogramError::with_context(HistogramErrorKind::SpansBucketsMismatch, ctx)
}

/// Prometheus's `reduceResolution` for absolute (`deltas == false`) or delta-encoded counts:
/// the spans and buckets of `origin` schema merged into the lower `target` schema.
pub(crate) fn reduce_resolution<T: Count>(
    spans: &[Span],
    buckets: &[T],
    origin: i32,
    target: i32,
    deltas: bool,
) -> Result<(Vec<Span>, Vec<T>), HistogramError> {
    if !spans_fit(spans, buckets.len()) {
        return Err(reduce_error(spans, buckets.len()));
    }
    let mut out_spans: Vec<Span> = Vec::new();
    let mut out: Vec<T> = Vec::new();
    let (mut idx, mut pos) = (0i32, 0usize);
    let (mut last_target, mut last_count, mut last_target_count) = (0i32, T::ZERO, T::ZERO);
    for span in spans {
        idx = idx.wrapping_add(span.offset);
        for _ in 0..span.length {
            let b = buckets[pos];
            let ti = target_idx(idx, origin, target);
            if out_spans.is_empty() {
                out_spans.push(Span { offset: ti, length: 1 });
                out.push(b);
                last_target = ti;
                last_count = b;
                last_target_count = b;
            } else if ti == last_target {
                if deltas {
                    last_count = last_count.plus(b);
                    if let Some(x) = out.last_mut() {
                        *x = x.plus(last_count);
                    }
                    last_target_count = last_target_count.plus(last_count);
                } else if let Some(x) = out.last_mut() {
                    *x = x.plus(b);
                }
            } else {
                if ti == last_target.wrapping_add(1) {
                    if let Some(s) = out_spans.last_mut() {
                        s.length += 1;
                    }
                } else {
                    out_spans.push(Span { offset: ti.wrapping_sub(last_target).wrapping_sub(1), length: 1 });
                }
                last_target = ti;
                if deltas {
                    last_count = last_count.plus(b);
                    out.push(last_count.plus(last_target_count.negated()));
                    last_target_count = last_count;
                } else {
                    out.push(b);
                }
            }
            idx = idx.wrapping_add(1);
            pos += 1;
        }
    }
    Ok((out_spans, out))
}

fn check_reduce(schema: i32, target: i32) -> Result<(), HistogramError> {
    if schema == CUSTOM_BUCKETS_SCHEMA {
        return Err(HistogramError::invalid_operation(
            "cannot reduce resolution when there are custom buckets",
        ));
    }
    if target == CUSTOM_BUCKETS_SCHEMA {
        return Err(HistogramError::invalid_operation("cannot reduce resolution to custom buckets schema"));
    }
    if target >= schema {
        return Err(HistogramError::invalid_operation(format!(
            "cannot reduce resolution from schema {schema} to {target}"
        )));
    }
    Ok(())
}

impl Histogram {
    /// Prometheus's `Histogram.Compact`, on the delta-encoded buckets.
    pub fn compact(&mut self, max_empty_buckets: usize) -> &mut Self {
        compact_buckets(&mut self.positive_buckets, None, &mut self.positive_spans, max_empty_buckets, true);
        compact_buckets(&mut self.negative_buckets, None, &mut self.negative_spans, max_empty_buckets, true);
        self
    }

    /// Merges buckets down to the lower-resolution exponential `target` schema, as Prometheus's
    /// `Histogram.ReduceResolution`. Returns `None` (leaving the histogram unchanged) when that
    /// is not possible; [`Histogram::try_reduce_resolution`] says why.
    pub fn reduce_resolution(&mut self, target: i32) -> Option<()> {
        self.try_reduce_resolution(target).ok()
    }

    /// [`Histogram::reduce_resolution`] with Prometheus's error.
    pub fn try_reduce_resolution(&mut self, target: i32) -> Result<(), HistogramError> {
        check_reduce(self.schema, target)?;
        let (ps, pb) =
            reduce_resolution(&self.positive_spans, &self.positive_buckets, self.schema, target, true)?;
        let (ns, nb) =
            reduce_resolution(&self.negative_spans, &self.negative_buckets, self.schema, target, true)?;
        (self.positive_spans, self.positive_buckets) = (ps, pb);
        (self.negative_spans, self.negative_buckets) = (ns, nb);
        self.schema = target;
        Ok(())
    }
}

impl FloatHistogram {
    /// Prometheus's `FloatHistogram.Compact`: removes empty buckets at the start and end of
    /// spans, merges adjacent spans, splits spans at runs of more than `max_empty_buckets` empty
    /// buckets and merges spans at most that far apart. Pass `usize::MAX` to get one span per
    /// side, 0 for no empty buckets at all (what PromQL does after arithmetic).
    pub fn compact(&mut self, max_empty_buckets: usize) -> &mut Self {
        compact_buckets(&mut self.positive_buckets, None, &mut self.positive_spans, max_empty_buckets, false);
        compact_buckets(&mut self.negative_buckets, None, &mut self.negative_spans, max_empty_buckets, false);
        self
    }

    /// Compacts this histogram and its Kahan compensation histogram together.
    pub(crate) fn kahan_compact(&mut self, max_empty_buckets: usize, c: &mut FloatHistogram) {
        compact_buckets(
            &mut self.positive_buckets,
            Some(&mut c.positive_buckets),
            &mut self.positive_spans,
            max_empty_buckets,
            false,
        );
        compact_buckets(
            &mut self.negative_buckets,
            Some(&mut c.negative_buckets),
            &mut self.negative_spans,
            max_empty_buckets,
            false,
        );
    }

    /// Float counterpart of [`Histogram::reduce_resolution`].
    pub fn reduce_resolution(&mut self, target: i32) -> Option<()> {
        self.try_reduce_resolution(target).ok()
    }

    /// Prometheus's `FloatHistogram.ReduceResolution`.
    pub fn try_reduce_resolution(&mut self, target: i32) -> Result<(), HistogramError> {
        check_reduce(self.schema, target)?;
        let (ps, pb) =
            reduce_resolution(&self.positive_spans, &self.positive_buckets, self.schema, target, false)?;
        let (ns, nb) =
            reduce_resolution(&self.negative_spans, &self.negative_buckets, self.schema, target, false)?;
        (self.positive_spans, self.positive_buckets) = (ps, pb);
        (self.negative_spans, self.negative_buckets) = (ns, nb);
        self.schema = target;
        Ok(())
    }

    /// Prometheus's `CopyToSchema`: a copy in the lower-resolution `target` schema (a plain
    /// copy for the same schema). The copy's counter reset hint is Unknown, as in Prometheus.
    /// Errors where Prometheus panics: custom buckets, a higher target schema, bad spans.
    pub fn copy_to_schema(&self, target: i32) -> Result<FloatHistogram, HistogramError> {
        if target == self.schema {
            return Ok(self.go_copy());
        }
        if self.uses_custom_buckets() {
            return Err(HistogramError::invalid_operation(format!(
                "cannot reduce resolution to {target} when there are custom buckets"
            )));
        }
        if target == CUSTOM_BUCKETS_SCHEMA {
            return Err(HistogramError::invalid_operation(
                "cannot reduce resolution to custom buckets schema",
            ));
        }
        if target > self.schema {
            return Err(HistogramError::invalid_operation(format!(
                "cannot copy from schema {} to {target}",
                self.schema
            )));
        }
        let (positive_spans, positive_buckets) =
            reduce_resolution(&self.positive_spans, &self.positive_buckets, self.schema, target, false)?;
        let (negative_spans, negative_buckets) =
            reduce_resolution(&self.negative_spans, &self.negative_buckets, self.schema, target, false)?;
        Ok(FloatHistogram {
            counter_reset_hint: Default::default(),
            schema: target,
            zero_threshold: self.zero_threshold,
            zero_count: self.zero_count,
            count: self.count,
            sum: self.sum,
            positive_spans,
            negative_spans,
            positive_buckets,
            negative_buckets,
            custom_values: Vec::new(),
        })
    }
}
