//! `FloatHistogram.Compact` from Prometheus's `model/histogram`, which promqltest applies to both
//! sides before comparing histograms and `load_with_nhcb` applies to the histograms it builds.

use quiver_proto::{FloatHistogram, Span};

/// `FloatHistogram.Compact(maxEmptyBuckets)`.
pub(super) fn compact(h: &mut FloatHistogram, max_empty_buckets: i64) {
    compact_buckets(&mut h.positive_buckets, &mut h.positive_spans, max_empty_buckets);
    compact_buckets(&mut h.negative_buckets, &mut h.negative_spans, max_empty_buckets);
}

/// `compactBuckets` for absolute float counts: drops empty buckets at the start and end of spans
/// and runs of more than `max_empty` empty buckets inside them, merges spans closer than
/// `max_empty` buckets, and removes zero-length spans and zero offsets.
fn compact_buckets(buckets: &mut Vec<f64>, spans: &mut Vec<Span>, max_empty: i64) {
    let nothing_to_do = buckets.iter().all(|&b| b != 0.0)
        && spans.iter().all(|s| i64::from(s.offset) > max_empty && s.length != 0);
    if nothing_to_do {
        return;
    }
    // Merge spans with zero offset.
    if spans.len() > 1 {
        let mut i_span = 0;
        for i in 1..spans.len() {
            let span = spans[i];
            if span.offset == 0 {
                spans[i_span].length += span.length;
                continue;
            }
            i_span += 1;
            if i != i_span {
                spans[i_span] = span;
            }
        }
        spans.truncate(i_span + 1);
    }
    // Drop zero-length spans.
    let mut i_span = 0;
    for i in 0..spans.len() {
        let span = spans[i];
        if span.length == 0 {
            if i + 1 < spans.len() {
                spans[i + 1].offset += span.offset;
            }
            continue;
        }
        if i != i_span {
            spans[i_span] = span;
        }
        i_span += 1;
    }
    spans.truncate(i_span);
    if spans.is_empty() {
        buckets.clear();
        return;
    }

    let (mut i_bucket, mut i_span, mut pos_in_span) = (0usize, 0usize, 0u32);
    while i_bucket < buckets.len() && i_span < spans.len() {
        // Number of empty buckets starting here (within the current span).
        let mut n_empty = 0usize;
        let mut abs = buckets[i_bucket];
        while (n_empty as u64) + u64::from(pos_in_span) < u64::from(spans[i_span].length) && abs == 0.0 {
            n_empty += 1;
            if n_empty + i_bucket >= buckets.len() {
                break;
            }
            abs = buckets[n_empty + i_bucket];
        }
        if n_empty > 0 {
            let len = spans[i_span].length;
            if pos_in_span > 0
                && (n_empty as u64) < u64::from(len - pos_in_span)
                && n_empty as i64 <= max_empty
            {
                // Few enough empty buckets inside a span: keep them.
                i_bucket += n_empty;
                pos_in_span += n_empty as u32;
                continue;
            }
            buckets.drain(i_bucket..i_bucket + n_empty);
            if pos_in_span == 0 {
                if n_empty == len as usize {
                    // The whole span is empty.
                    let offset = spans[i_span].offset;
                    spans.remove(i_span);
                    if spans.len() > i_span {
                        spans[i_span].offset += offset + n_empty as i32;
                    }
                    continue;
                }
                spans[i_span].length -= n_empty as u32;
                spans[i_span].offset += n_empty as i32;
                continue;
            }
            // In the middle or at the end of the span: split it.
            let new_span = Span { offset: n_empty as i32, length: len - pos_in_span - n_empty as u32 };
            spans[i_span].length = pos_in_span;
            i_span += 1;
            pos_in_span = 0;
            if new_span.length == 0 {
                if i_span < spans.len() {
                    spans[i_span].offset += n_empty as i32;
                }
                continue;
            }
            spans.insert(i_span, new_span);
            continue;
        }
        i_bucket += 1;
        pos_in_span += 1;
        if pos_in_span >= spans[i_span].length {
            pos_in_span = 0;
            i_span += 1;
        }
    }
    if max_empty == 0 || buckets.is_empty() || spans.is_empty() {
        return;
    }
    // Merge spans separated by few enough empty buckets.
    let mut i_bucket = spans[0].length as usize;
    let mut i_span = 1;
    while i_span < spans.len() {
        let offset = spans[i_span].offset;
        if i64::from(offset) > max_empty || offset < 0 {
            i_bucket += spans[i_span].length as usize;
            i_span += 1;
            continue;
        }
        let l = spans[i_span].length as usize;
        spans[i_span - 1].length += offset as u32 + spans[i_span].length;
        spans.remove(i_span);
        let at = i_bucket.min(buckets.len());
        buckets.splice(at..at, std::iter::repeat_n(0.0, offset as usize));
        i_bucket += offset as usize + l;
    }
}
