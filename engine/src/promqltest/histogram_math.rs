//! The parts of Prometheus's `model/histogram` that promqltest needs on float histograms: `Add`
//! and `Sub` (for the `{{...}}+{{...}}xN` notation), bucket boundaries and zero-bucket
//! reconciliation. Ported from Prometheus so that expanded series come out exactly as there.

use quiver_proto::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram, Span};

use super::histogram_compact::compact;

fn is_exponential_schema(schema: i32) -> bool {
    (quiver_proto::EXPONENTIAL_SCHEMA_MIN..=quiver_proto::EXPONENTIAL_SCHEMA_MAX).contains(&schema)
}

/// Go's `math.Ldexp`: `frac × 2^exp` without intermediate overflow.
fn ldexp(frac: f64, exp: i64) -> f64 {
    let exp = exp.clamp(-2200, 2200) as i32;
    let half = exp / 2;
    frac * 2f64.powi(half) * 2f64.powi(exp - half)
}

/// Upper bound of bucket `idx` in an exponential schema (`getBoundExponential`). Prometheus takes
/// the fraction from a precalculated table; `exp2` gives the same values to within rounding.
pub(super) fn get_bound_exponential(idx: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = i64::from(idx) << (-schema).clamp(0, 31);
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let schema = schema.min(30);
    let frac_idx = idx & ((1 << schema) - 1);
    let frac =
        if frac_idx == 0 { 0.5 } else { f64::exp2(f64::from(frac_idx) / f64::from(1 << schema) - 1.0) };
    let exp = i64::from(idx >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

/// `getBound`: custom bounds (with ±Inf beyond them) or the exponential bound.
pub(super) fn get_bound(idx: i32, schema: i32, custom_values: &[f64]) -> f64 {
    if schema == CUSTOM_BUCKETS_SCHEMA {
        let len = custom_values.len() as i64;
        let i = i64::from(idx);
        return if i >= len {
            f64::INFINITY
        } else if i < 0 {
            f64::NEG_INFINITY
        } else {
            custom_values[i as usize]
        };
    }
    get_bound_exponential(idx, schema)
}

/// Bucket indexes in span order, one per bucket count (as the bucket iterators walk them).
fn bucket_indexes(spans: &[Span], n: usize) -> Vec<i32> {
    let mut out = Vec::with_capacity(n);
    let mut idx: i32 = 0;
    let mut first = true;
    for span in spans {
        idx = idx.wrapping_add(span.offset);
        for _ in 0..span.length {
            if out.len() >= n {
                return out;
            }
            if !first {
                idx = idx.wrapping_add(1);
            }
            first = false;
            out.push(idx);
        }
        // The next span's offset counts from the bucket after this span's last one.
        if !first {
            idx = idx.wrapping_add(1);
            first = true;
        }
    }
    out
}

/// `zeroCountForLargerThreshold`: the zero count if the threshold were `larger` (moved up to the
/// next bucket boundary if it falls inside a populated bucket), and that threshold.
fn zero_count_for_larger_threshold(h: &FloatHistogram, mut larger: f64) -> (f64, f64) {
    if larger <= h.zero_threshold {
        return (h.zero_count, larger.max(h.zero_threshold));
    }
    let pos = bucket_indexes(&h.positive_spans, h.positive_buckets.len());
    let neg = bucket_indexes(&h.negative_spans, h.negative_buckets.len());
    'outer: for _ in 0..10_000 {
        let mut count = h.zero_count;
        for (k, &idx) in pos.iter().enumerate() {
            let (lower, upper) = (get_bound(idx - 1, h.schema, &[]), get_bound(idx, h.schema, &[]));
            if lower >= larger {
                break;
            }
            count += h.positive_buckets[k];
            if upper > larger {
                if h.positive_buckets[k] != 0.0 {
                    larger = upper;
                }
                break;
            }
        }
        for (k, &idx) in neg.iter().enumerate() {
            let (lower, upper) = (-get_bound(idx, h.schema, &[]), -get_bound(idx - 1, h.schema, &[]));
            if upper <= -larger {
                break;
            }
            count += h.negative_buckets[k];
            if lower < -larger {
                if h.negative_buckets[k] != 0.0 {
                    larger = -lower;
                    continue 'outer;
                }
                break;
            }
        }
        return (count, larger);
    }
    (h.zero_count, larger)
}

/// `trimBucketsInZeroBucket`: empties the buckets inside the zero bucket and compacts.
fn trim_buckets_in_zero_bucket(h: &mut FloatHistogram) {
    let pos = bucket_indexes(&h.positive_spans, h.positive_buckets.len());
    for (k, &idx) in pos.iter().enumerate() {
        if get_bound(idx - 1, h.schema, &[]) >= h.zero_threshold {
            break;
        }
        h.positive_buckets[k] = 0.0;
    }
    let neg = bucket_indexes(&h.negative_spans, h.negative_buckets.len());
    for (k, &idx) in neg.iter().enumerate() {
        if -get_bound(idx - 1, h.schema, &[]) <= -h.zero_threshold {
            break;
        }
        h.negative_buckets[k] = 0.0;
    }
    compact(h, 0);
}

/// `reconcileZeroBuckets`: widens the receiver's zero bucket as needed and returns the zero
/// count `other` would have with the common threshold.
fn reconcile_zero_buckets(h: &mut FloatHistogram, other: &FloatHistogram) -> Result<f64, String> {
    let mut other_count = other.zero_count;
    let mut other_threshold = other.zero_threshold;
    if other_threshold.is_nan() || h.zero_threshold.is_nan() {
        return Err("cannot reconcile NaN zero thresholds".into());
    }
    for _ in 0..10_000 {
        if other_threshold == h.zero_threshold {
            return Ok(other_count);
        }
        if h.zero_threshold > other_threshold {
            (other_count, other_threshold) = zero_count_for_larger_threshold(other, h.zero_threshold);
        }
        if other_threshold > h.zero_threshold {
            (h.zero_count, h.zero_threshold) = zero_count_for_larger_threshold(h, other_threshold);
            trim_buckets_in_zero_bucket(h);
        }
    }
    Err("zero thresholds did not converge".into())
}

/// `adjustCounterReset` for addition and subtraction.
fn adjust_counter_reset(h: &mut FloatHistogram, other: &FloatHistogram) {
    use CounterResetHint::*;
    let (a, b) = (h.counter_reset_hint, other.counter_reset_hint);
    h.counter_reset_hint = match (a, b) {
        _ if a == b => a,
        (Gauge, _) => Gauge,
        (_, Gauge) => Gauge,
        (Unknown, _) | (_, Unknown) => Unknown,
        // CounterReset against NotCounterReset: a collision, "unknown".
        _ => Unknown,
    };
}

fn spans_cover(spans: &[Span], n: usize) -> bool {
    spans.iter().map(|s| s.length as usize).sum::<usize>() == n
}

/// `FloatHistogram.Add` (or `Sub` with `subtract`) of `other` into `h`.
pub(super) fn add_histogram(
    h: &mut FloatHistogram,
    other: &FloatHistogram,
    subtract: bool,
) -> Result<(), String> {
    if h.uses_custom_buckets() != other.uses_custom_buckets() {
        return Err("histograms have incompatible schemas".into());
    }
    for x in [&*h, other] {
        if !spans_cover(&x.positive_spans, x.positive_buckets.len())
            || !spans_cover(&x.negative_spans, x.negative_buckets.len())
        {
            return Err("histogram spans and buckets do not match".into());
        }
    }
    let sign = if subtract { -1.0 } else { 1.0 };
    adjust_counter_reset(h, other);
    if !h.uses_custom_buckets() {
        let other_zero = reconcile_zero_buckets(h, other)?;
        h.zero_count += sign * other_zero;
    }
    h.count += sign * other.count;
    h.sum += sign * other.sum;

    if h.uses_custom_buckets() {
        if h.custom_values == other.custom_values {
            let (spans, buckets) = add_buckets(
                h.schema,
                h.zero_threshold,
                subtract,
                std::mem::take(&mut h.positive_spans),
                std::mem::take(&mut h.positive_buckets),
                &other.positive_spans,
                &other.positive_buckets,
            );
            h.positive_spans = spans;
            h.positive_buckets = buckets;
        } else {
            let bounds = intersect_custom_bucket_bounds(&h.custom_values, &other.custom_values);
            let (spans, buckets) = add_custom_buckets_with_mismatches(subtract, h, other, &bounds);
            h.positive_spans = spans;
            h.positive_buckets = buckets;
            h.custom_values = bounds;
        }
        return Ok(());
    }

    let reduce = |spans: Vec<Span>, buckets: Vec<f64>, from: i32, to: i32| -> Result<_, String> {
        let mut tmp = FloatHistogram {
            schema: from,
            positive_spans: spans,
            positive_buckets: buckets,
            ..Default::default()
        };
        tmp.reduce_resolution(to).ok_or_else(|| "cannot reduce histogram resolution".to_string())?;
        Ok((tmp.positive_spans, tmp.positive_buckets))
    };
    let mut hp = (std::mem::take(&mut h.positive_spans), std::mem::take(&mut h.positive_buckets));
    let mut hn = (std::mem::take(&mut h.negative_spans), std::mem::take(&mut h.negative_buckets));
    let mut op = (other.positive_spans.clone(), other.positive_buckets.clone());
    let mut on = (other.negative_spans.clone(), other.negative_buckets.clone());
    if other.schema < h.schema {
        hp = reduce(hp.0, hp.1, h.schema, other.schema)?;
        hn = reduce(hn.0, hn.1, h.schema, other.schema)?;
        h.schema = other.schema;
    } else if other.schema > h.schema {
        op = reduce(op.0, op.1, other.schema, h.schema)?;
        on = reduce(on.0, on.1, other.schema, h.schema)?;
    }
    (h.positive_spans, h.positive_buckets) =
        add_buckets(h.schema, h.zero_threshold, subtract, hp.0, hp.1, &op.0, &op.1);
    (h.negative_spans, h.negative_buckets) =
        add_buckets(h.schema, h.zero_threshold, subtract, hn.0, hn.1, &on.0, &on.1);
    Ok(())
}

/// `addBuckets`: adds (or subtracts) the B buckets into the A buckets, inserting buckets and
/// spans as needed. B buckets whose upper bound is at most `threshold` are ignored.
/// Both sides must have spans that cover their buckets (checked by the caller).
fn add_buckets(
    schema: i32,
    threshold: f64,
    negative: bool,
    mut spans_a: Vec<Span>,
    mut buckets_a: Vec<f64>,
    spans_b: &[Span],
    buckets_b: &[f64],
) -> (Vec<Span>, Vec<f64>) {
    let mut i_span: i64 = -1;
    let mut i_bucket: i64 = -1;
    let mut i_in_span: i64 = 0;
    let mut index_a: i64 = 0;
    let mut index_b: i64 = 0;
    let mut b_idx_b = 0usize;
    let mut lower_than_threshold = true;

    for span_b in spans_b {
        index_b += i64::from(span_b.offset);
        for _ in 0..span_b.length {
            'next: {
                if lower_than_threshold
                    && is_exponential_schema(schema)
                    && get_bound_exponential(index_b as i32, schema) <= threshold
                {
                    break 'next;
                }
                lower_than_threshold = false;
                let mut bucket_b = buckets_b[b_idx_b];
                if negative {
                    bucket_b *= -1.0;
                }
                if i_span == -1 {
                    if spans_a.is_empty() || i64::from(spans_a[0].offset) > index_b {
                        // Add bucket before all others.
                        buckets_a.insert(0, bucket_b);
                        if !spans_a.is_empty() && i64::from(spans_a[0].offset) == index_b + 1 {
                            spans_a[0].length += 1;
                            spans_a[0].offset -= 1;
                            break 'next;
                        }
                        spans_a.insert(0, Span { offset: index_b as i32, length: 1 });
                        if spans_a.len() > 1 {
                            // The formerly first span's absolute offset becomes relative.
                            spans_a[1].offset -= (index_b + 1) as i32;
                        }
                        break 'next;
                    } else if i64::from(spans_a[0].offset) == index_b {
                        buckets_a[0] += bucket_b;
                        break 'next;
                    }
                    i_span = 0;
                    i_bucket = 0;
                    i_in_span = 0;
                    index_a = i64::from(spans_a[0].offset);
                }
                let mut delta_index = index_b - index_a;
                loop {
                    let remaining_in_span = i64::from(spans_a[i_span as usize].length) - i_in_span;
                    if delta_index < remaining_in_span {
                        // Bucket is in the current span.
                        i_bucket += delta_index;
                        i_in_span += delta_index;
                        buckets_a[i_bucket as usize] += bucket_b;
                        break;
                    }
                    delta_index -= remaining_in_span;
                    i_bucket += remaining_in_span;
                    i_span += 1;
                    let n_spans = spans_a.len() as i64;
                    if i_span == n_spans || delta_index < i64::from(spans_a[i_span as usize].offset) {
                        // Bucket is in the gap behind the previous span (or after the last one).
                        buckets_a.insert(i_bucket as usize, bucket_b);
                        if delta_index == 0 {
                            // Directly after the previous span: extend it.
                            if i_span < n_spans {
                                spans_a[i_span as usize].offset -= 1;
                            }
                            i_span -= 1;
                            i_in_span = i64::from(spans_a[i_span as usize].length);
                            spans_a[i_span as usize].length += 1;
                        } else if i_span < n_spans
                            && delta_index == i64::from(spans_a[i_span as usize].offset) - 1
                        {
                            // Directly before the next span: extend that one.
                            i_in_span = 0;
                            spans_a[i_span as usize].offset -= 1;
                            spans_a[i_span as usize].length += 1;
                        } else {
                            // A new span of its own.
                            i_in_span = 0;
                            if i_span < n_spans {
                                spans_a[i_span as usize].offset -= (delta_index + 1) as i32;
                            }
                            spans_a.insert(i_span as usize, Span { offset: delta_index as i32, length: 1 });
                        }
                        break 'next;
                    }
                    // Try the start of the next span.
                    delta_index -= i64::from(spans_a[i_span as usize].offset);
                    i_in_span = 0;
                }
            }
            index_a = index_b;
            index_b += 1;
            b_idx_b += 1;
        }
    }
    (spans_a, buckets_a)
}

/// `intersectCustomBucketBounds`.
fn intersect_custom_bucket_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(a[i]);
            i += 1;
            j += 1;
        } else if a[i] < b[j] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// `addCustomBucketsWithMismatches`: maps both custom-bucket layouts onto the intersected bounds.
fn add_custom_buckets_with_mismatches(
    negative: bool,
    a: &FloatHistogram,
    b: &FloatHistogram,
    bounds: &[f64],
) -> (Vec<Span>, Vec<f64>) {
    let mut target = vec![0.0; bounds.len() + 1];
    let mut comp = vec![0.0; bounds.len() + 1];
    let mut map = |spans: &[Span], buckets: &[f64], src_bounds: &[f64], neg: bool| {
        let (mut src_idx, mut bucket_idx, mut intersect_idx) = (0i64, 0usize, 0usize);
        for span in spans {
            src_idx += i64::from(span.offset);
            for _ in 0..span.length {
                if bucket_idx < buckets.len() {
                    let value = buckets[bucket_idx];
                    let mut t = target.len() - 1;
                    if src_idx >= 0 && (src_idx as usize) < src_bounds.len() {
                        let src_bound = src_bounds[src_idx as usize];
                        while intersect_idx < bounds.len() {
                            if bounds[intersect_idx] >= src_bound {
                                t = intersect_idx;
                                break;
                            }
                            intersect_idx += 1;
                        }
                    }
                    let v = if neg { -value } else { value };
                    (target[t], comp[t]) = quiver_proto::kahan_sum_inc(v, target[t], comp[t]);
                }
                src_idx += 1;
                bucket_idx += 1;
            }
        }
    };
    map(&a.positive_spans, &a.positive_buckets, &a.custom_values, false);
    map(&b.positive_spans, &b.positive_buckets, &b.custom_values, negative);

    let mut spans: Vec<Span> = Vec::new();
    let mut buckets = Vec::new();
    let mut last_idx: i64 = -1;
    for (i, (&v, &c)) in target.iter().zip(&comp).enumerate() {
        if v == 0.0 && c == 0.0 {
            continue;
        }
        buckets.push(v);
        let idx = i as i64;
        match spans.last_mut() {
            Some(last) if idx == last_idx + 1 => last.length += 1,
            Some(_) => spans.push(Span { offset: (idx - last_idx - 1) as i32, length: 1 }),
            None => spans.push(Span { offset: idx as i32, length: 1 }),
        }
        last_idx = idx;
    }
    (spans, buckets)
}
