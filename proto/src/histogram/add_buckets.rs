//! Bucket-level addition: Prometheus's `addBuckets`/`kahanAddBuckets`,
//! `addCustomBucketsWithMismatches` and `kahanReduceResolution`.
//!
//! Callers guarantee that spans and buckets fit together ([`super::compact::spans_fit`]) and
//! that compensation slices are as long as their buckets; indexes are computed in `i64`, so
//! absurd offsets cannot make them wrap.

use super::Span;
use super::bounds::get_bound_exponential;
use super::compact::target_idx;
use super::gomath::kahan_sum_inc;
use super::{EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MIN};

/// Adds `b` (and its compensation `cb`) into bucket `i` of `buckets`, with Kahan summation
/// when there are compensation buckets.
fn add_into(buckets: &mut [f64], comp: Option<&mut Vec<f64>>, i: usize, b: f64, cb: f64) {
    // Out of range only for pathological spans of length 0 (where Prometheus panics).
    let Some(x) = buckets.get_mut(i) else { return };
    match comp.and_then(|c| c.get_mut(i)) {
        None => *x += b,
        Some(c) => {
            (*x, *c) = kahan_sum_inc(b, *x, *c);
            if cb != 0.0 {
                (*x, *c) = kahan_sum_inc(cb, *x, *c);
            }
        }
    }
}

/// Adds (or with `negative` subtracts) the buckets `spans_b`/`buckets_b` to `spans_a`/`buckets_a`,
/// inserting buckets missing in A. All in one `schema`; B's buckets with an upper bound ≤
/// `threshold` (in the zero bucket) are ignored for exponential schemas. With `comp_a`, the
/// addition is Kahan summation into the compensation buckets `comp_a`, and `comp_b` (B's
/// compensation) is added too.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_buckets(
    schema: i32,
    threshold: f64,
    negative: bool,
    spans_a: &mut Vec<Span>,
    buckets_a: &mut Vec<f64>,
    mut comp_a: Option<&mut Vec<f64>>,
    spans_b: &[Span],
    buckets_b: &[f64],
    comp_b: Option<&[f64]>,
) {
    let exponential = (EXPONENTIAL_SCHEMA_MIN..=EXPONENTIAL_SCHEMA_MAX).contains(&schema);
    let mut i_span: Option<usize> = None;
    let (mut i_bucket, mut i_in_span) = (0usize, 0i64);
    let (mut index_a, mut index_b) = (0i64, 0i64);
    let mut b_idx = 0usize;
    let mut lower_than_threshold = true;
    let insert =
        |buckets_a: &mut Vec<f64>, comp_a: &mut Option<&mut Vec<f64>>, at: usize, b: f64, cb: f64| {
            buckets_a.insert(at, b);
            if let Some(c) = comp_a.as_deref_mut() {
                c.insert(at, cb);
            }
        };
    for span_b in spans_b {
        index_b += i64::from(span_b.offset);
        for _ in 0..span_b.length {
            'next: {
                if lower_than_threshold
                    && exponential
                    && get_bound_exponential(index_b as i32, schema) <= threshold
                {
                    break 'next;
                }
                lower_than_threshold = false;
                let (mut b, mut cb) = (buckets_b[b_idx], comp_b.map_or(0.0, |c| c[b_idx]));
                if negative {
                    b = -b;
                    cb = -cb;
                }
                let mut is = match i_span {
                    Some(is) => is,
                    None => {
                        let first = spans_a.first().map(|s| i64::from(s.offset));
                        match first {
                            Some(off) if off == index_b => {
                                add_into(buckets_a, comp_a.as_deref_mut(), 0, b, cb);
                                break 'next;
                            }
                            Some(off) if off < index_b => {
                                (i_bucket, i_in_span, index_a) = (0, 0, off);
                                0
                            }
                            _ => {
                                // Before all other buckets.
                                insert(buckets_a, &mut comp_a, 0, b, cb);
                                if first == Some(index_b + 1) {
                                    spans_a[0].length += 1;
                                    spans_a[0].offset -= 1;
                                    break 'next;
                                }
                                spans_a.insert(0, Span { offset: index_b as i32, length: 1 });
                                if let Some(s) = spans_a.get_mut(1) {
                                    s.offset = (i64::from(s.offset) - (index_b + 1)) as i32;
                                }
                                break 'next;
                            }
                        }
                    }
                };
                let mut delta = index_b - index_a;
                loop {
                    let remaining = i64::from(spans_a[is].length) - i_in_span;
                    if delta < remaining {
                        // In the current span.
                        i_bucket += delta as usize;
                        i_in_span += delta;
                        add_into(buckets_a, comp_a.as_deref_mut(), i_bucket, b, cb);
                        break;
                    }
                    delta -= remaining;
                    i_bucket += remaining as usize;
                    is += 1;
                    let next_offset = spans_a.get(is).map(|s| i64::from(s.offset));
                    if next_offset.is_none_or(|off| delta < off) {
                        // In the gap after the previous span, or after the last span.
                        insert(buckets_a, &mut comp_a, i_bucket, b, cb);
                        if delta == 0 {
                            // Directly after the previous span: extend it.
                            if let Some(s) = spans_a.get_mut(is) {
                                s.offset -= 1;
                            }
                            is -= 1;
                            i_in_span = i64::from(spans_a[is].length);
                            spans_a[is].length += 1;
                        } else if next_offset == Some(delta + 1) {
                            // Directly before the next span: extend it.
                            i_in_span = 0;
                            spans_a[is].offset -= 1;
                            spans_a[is].length += 1;
                        } else {
                            i_in_span = 0;
                            if let Some(s) = spans_a.get_mut(is) {
                                s.offset = (i64::from(s.offset) - (delta + 1)) as i32;
                            }
                            spans_a.insert(is, Span { offset: delta as i32, length: 1 });
                        }
                        break;
                    }
                    // Try the start of the next span.
                    delta -= next_offset.unwrap_or(0);
                    i_in_span = 0;
                }
                i_span = Some(is);
            }
            index_a = index_b;
            index_b += 1;
            b_idx += 1;
        }
    }
}

/// Prometheus's `intersectCustomBucketBounds`: the bounds both sets have.
pub(crate) fn intersect_custom_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
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

/// One side of custom-bucket histograms to map onto intersected bounds.
pub(crate) struct CustomSide<'a> {
    pub(crate) spans: &'a [Span],
    pub(crate) buckets: &'a [f64],
    pub(crate) bounds: &'a [f64],
}

/// Prometheus's `addCustomBucketsWithMismatches`: maps A (with its compensation `comp_a`) and
/// B (subtracted if `negative`) onto the buckets of the `intersected` bounds, summing with
/// Kahan summation, and returns the populated buckets with their spans and compensations.
pub(crate) fn add_custom_buckets_with_mismatches(
    negative: bool,
    a: CustomSide<'_>,
    b: CustomSide<'_>,
    comp_a: Option<&[f64]>,
    intersected: &[f64],
) -> (Vec<Span>, Vec<f64>, Vec<f64>) {
    let n = intersected.len() + 1;
    let mut target = vec![0.0; n];
    let mut c_target = vec![0.0; n];
    let mut map = |side: &CustomSide<'_>, negative: bool, comp: Option<&[f64]>| {
        let (mut src_idx, mut bucket_idx, mut intersect_idx) = (0i64, 0usize, 0usize);
        for span in side.spans {
            src_idx += i64::from(span.offset);
            for _ in 0..span.length {
                if let Some(&value) = side.buckets.get(bucket_idx) {
                    let mut t = n - 1;
                    if let Some(&src_bound) = usize::try_from(src_idx).ok().and_then(|i| side.bounds.get(i)) {
                        while intersect_idx < intersected.len() {
                            if intersected[intersect_idx] >= src_bound {
                                t = intersect_idx;
                                break;
                            }
                            intersect_idx += 1;
                        }
                    }
                    if negative {
                        (target[t], c_target[t]) = kahan_sum_inc(-value, target[t], c_target[t]);
                    } else {
                        (target[t], c_target[t]) = kahan_sum_inc(value, target[t], c_target[t]);
                        if let Some(&cv) = comp.and_then(|c| c.get(bucket_idx)) {
                            (target[t], c_target[t]) = kahan_sum_inc(cv, target[t], c_target[t]);
                        }
                    }
                }
                src_idx += 1;
                bucket_idx += 1;
            }
        }
    };
    map(&a, false, comp_a);
    map(&b, negative, None);

    let (mut spans, mut buckets, mut comps) = (Vec::<Span>::new(), Vec::new(), Vec::new());
    let mut last: i64 = -1;
    for (i, (&v, &c)) in target.iter().zip(&c_target).enumerate() {
        if v == 0.0 && c == 0.0 {
            continue;
        }
        buckets.push(v);
        comps.push(c);
        let i = i as i64;
        match spans.last_mut() {
            Some(s) if i == last + 1 => s.length += 1,
            Some(_) => spans.push(Span { offset: (i - last - 1) as i32, length: 1 }),
            None => spans.push(Span { offset: i as i32, length: 1 }),
        }
        last = i;
    }
    (spans, buckets, comps)
}

/// Prometheus's `kahanReduceResolution`: merges buckets and their Kahan compensations into the
/// lower `target` schema, summing both with Kahan summation.
pub(crate) fn kahan_reduce_resolution(
    spans: &[Span],
    buckets: &[f64],
    comp: &[f64],
    origin: i32,
    target: i32,
) -> (Vec<Span>, Vec<f64>, Vec<f64>) {
    let (mut out_spans, mut out, mut out_c) = (Vec::<Span>::new(), Vec::<f64>::new(), Vec::<f64>::new());
    let (mut idx, mut pos, mut last_target) = (0i32, 0usize, 0i32);
    for span in spans {
        idx = idx.wrapping_add(span.offset);
        for _ in 0..span.length {
            let (b, c) = (buckets[pos], comp.get(pos).copied().unwrap_or(0.0));
            let ti = target_idx(idx, origin, target);
            match (out.last_mut(), out_c.last_mut()) {
                (Some(t), Some(tc)) if ti == last_target => {
                    (*t, *tc) = kahan_sum_inc(b, *t, *tc);
                    (*t, *tc) = kahan_sum_inc(c, *t, *tc);
                }
                _ => {
                    if out_spans.is_empty() {
                        out_spans.push(Span { offset: ti, length: 1 });
                    } else if ti == last_target.wrapping_add(1) {
                        if let Some(s) = out_spans.last_mut() {
                            s.length += 1;
                        }
                    } else {
                        out_spans
                            .push(Span { offset: ti.wrapping_sub(last_target).wrapping_sub(1), length: 1 });
                    }
                    last_target = ti;
                    out.push(b);
                    out_c.push(c);
                }
            }
            idx = idx.wrapping_add(1);
            pos += 1;
        }
    }
    (out_spans, out, out_c)
}
