//! Tests of the integer histogram chunk: Prometheus-written golden chunks, round trips, and
//! malformed input.

use super::*;
use crate::chunkenc::histogram_meta::test_support::{
    Rng, canonical_float, canonical_int, expected_hint, golden_series, without_242_padding,
};
use crate::histogram::CUSTOM_BUCKETS_SCHEMA;
use crate::sample::STALE_NAN_BITS;
use std::collections::BTreeMap;

fn spans_from(indices: &[i64], rng: &mut Rng) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut next = 0i64;
    for &i in indices {
        match spans.last_mut() {
            // Sometimes split a run into two spans with offset 0, as producers may.
            Some(s) if i == next && rng.below(8) != 0 => s.length += 1,
            _ => {
                spans.push(Span { offset: (i - next) as i32, length: 1 });
                if rng.below(10) == 0 {
                    spans.push(Span { offset: 0, length: 0 });
                }
            }
        }
        next = i + 1;
    }
    spans
}

fn to_deltas(counts: &[u64]) -> Vec<i64> {
    let mut prev = 0i64;
    counts
        .iter()
        .map(|&c| {
            let d = c as i64 - prev;
            prev = c as i64;
            d
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn make(
    rng: &mut Rng,
    schema: i32,
    pos: &BTreeMap<i64, u64>,
    neg: &BTreeMap<i64, u64>,
    zero_count: u64,
    sum: f64,
    hint: CounterResetHint,
    custom: &[f64],
) -> Histogram {
    let pi: Vec<i64> = pos.keys().copied().collect();
    let ni: Vec<i64> = neg.keys().copied().collect();
    let custom_schema = schema == CUSTOM_BUCKETS_SCHEMA;
    Histogram {
        counter_reset_hint: hint,
        schema,
        zero_threshold: if custom_schema {
            0.0
        } else {
            [0.0, 2f64.powi(-128), 0.001][(schema.rem_euclid(3)) as usize]
        },
        zero_count,
        count: pos.values().sum::<u64>() + neg.values().sum::<u64>() + zero_count,
        sum,
        positive_spans: spans_from(&pi, rng),
        negative_spans: spans_from(&ni, rng),
        positive_buckets: to_deltas(&pos.values().copied().collect::<Vec<_>>()),
        negative_buckets: to_deltas(&neg.values().copied().collect::<Vec<_>>()),
        custom_values: if custom_schema { custom.to_vec() } else { Vec::new() },
    }
}

/// A series that exercises every path of the appender: growing layouts (recoding), zero
/// buckets that disappear, counter resets, schema changes, stale markers, odd sums, wide
/// counts and timestamps; gauge series go up and down with layouts changing both ways.
fn random_series(seed: u64, gauge: bool) -> Vec<(i64, Histogram)> {
    let mut rng = Rng(seed);
    let custom = vec![0.1, 0.5, 1.0, 2.5, 1e6, 33554.43, 7.0e-4];
    let schemas = [-4, -2, 0, 1, 3, 8, CUSTOM_BUCKETS_SCHEMA];
    let mut schema = schemas[rng.below(schemas.len() as u64) as usize];
    let mut pos: BTreeMap<i64, u64> = BTreeMap::new();
    let mut neg: BTreeMap<i64, u64> = BTreeMap::new();
    let mut zero_count = 0u64;
    let mut sum = 0.0f64;
    let mut t = 1_700_000_000_000i64 + rng.below(1000) as i64;
    let hint = if gauge { CounterResetHint::Gauge } else { CounterResetHint::Unknown };
    let range = |schema: i32| if schema == CUSTOM_BUCKETS_SCHEMA { 0..8i64 } else { -20..20i64 };
    let mut out = Vec::new();
    for step in 0..300 {
        t += [15_000, 15_000, 15_001, 14_999, 1, 0, 60_000, 1 << 33][rng.below(8) as usize];
        let r = rng.below(100);
        if step > 0 && r < 3 {
            out.push((t, Histogram { sum: f64::from_bits(STALE_NAN_BITS), ..Default::default() }));
            continue;
        }
        if r < 5 {
            schema = schemas[rng.below(schemas.len() as u64) as usize];
            pos.clear();
            neg.clear();
        } else if r < 9 && !gauge {
            // Counter reset.
            pos.clear();
            neg.clear();
            zero_count = 0;
        }
        let custom_schema = schema == CUSTOM_BUCKETS_SCHEMA;
        if custom_schema {
            neg.clear();
            zero_count = 0;
        }
        let widen = [1u64, 10, 1000, 1 << 20, 1 << 40][rng.below(5) as usize];
        for c in pos.values_mut().chain(neg.values_mut()) {
            if gauge {
                *c = rng.below(widen);
            } else if rng.below(3) != 0 {
                *c += rng.below(widen);
            }
        }
        if !custom_schema {
            zero_count = if gauge { rng.below(50) } else { zero_count + rng.below(5) };
        }
        for _ in 0..rng.below(3) {
            pos.entry(rng.below(40) as i64 + range(schema).start).or_insert_with(|| rng.below(widen));
            let pos_range = range(schema);
            pos.retain(|k, _| pos_range.contains(k));
            if !custom_schema && rng.below(2) == 0 {
                neg.entry(rng.below(40) as i64 - 20).or_insert(0);
            }
        }
        // Empty buckets may leave a counter histogram; any bucket may leave a gauge one.
        if rng.below(6) == 0
            && let Some((&k, _)) = pos.iter().find(|(_, c)| gauge || **c == 0)
        {
            pos.remove(&k);
        }
        sum = match rng.below(12) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => sum,
            3 => -sum,
            _ => sum + rng.below(1 << 20) as f64 / 7.0,
        };
        let h = make(&mut rng, schema, &pos, &neg, zero_count, sum, hint, &custom);
        out.push((t, h));
    }
    out
}

/// Encodes, then decodes every chunk and checks the samples, hints and that re-encoding the
/// decoded (expanded) samples from scratch gives the same bytes.
fn round_trip(samples: &[(i64, Histogram)]) -> usize {
    let chunks = encode_histogram_chunks(samples).unwrap();
    let mut decoded = Vec::new();
    for chunk in &chunks {
        let it = HistogramIter::new(chunk).unwrap();
        let header = it.counter_reset_header();
        let got = decode_histograms(chunk).unwrap();
        assert_eq!(got.len(), histogram_num_samples(chunk).unwrap());
        let mut again = HistogramAppender::with_header(header);
        for (i, (t, h)) in got.iter().enumerate() {
            if !h.is_stale() {
                assert_eq!(h.counter_reset_hint, expected_hint(header, i));
            }
            again.append_raw(*t, h);
        }
        assert_eq!(again.bytes(), chunk.as_slice(), "re-encoding a decoded chunk");
        decoded.extend(got);
    }
    assert_eq!(decoded.len(), samples.len());
    for ((t0, h0), (t1, h1)) in samples.iter().zip(&decoded) {
        assert_eq!(t0, t1);
        assert_eq!(canonical_int(h0), canonical_int(h1), "at t={t0}");
    }
    chunks.len()
}

#[test]
fn round_trips_random_counter_series() {
    let mut total_chunks = 0;
    for seed in 1..40u64 {
        total_chunks += round_trip(&random_series(seed * 0x9e37_79b9, false));
    }
    assert!(total_chunks > 100, "the series should cut chunks: {total_chunks}");
}

#[test]
fn round_trips_random_gauge_series() {
    for seed in 1..40u64 {
        round_trip(&random_series(seed * 0x2545_f491, true));
    }
}

#[test]
fn custom_buckets_round_trip() {
    let custom = vec![0.25, 1.0, 2.5, 100.0, 1e9];
    let samples: Vec<(i64, Histogram)> = (0..50)
        .map(|i| {
            let h = Histogram {
                schema: CUSTOM_BUCKETS_SCHEMA,
                count: 10 * i as u64,
                sum: i as f64 * 1.5,
                positive_spans: vec![Span { offset: 0, length: 3 }, Span { offset: 2, length: 1 }],
                positive_buckets: vec![i, 0, i, -i],
                custom_values: custom.clone(),
                ..Default::default()
            };
            (1000 * i, h)
        })
        .collect();
    let chunks = encode_histogram_chunks(&samples).unwrap();
    assert_eq!(chunks.len(), 1);
    let got = decode_histograms(&chunks[0]).unwrap();
    assert_eq!(got[7].1.custom_values, custom);
    assert_eq!(got[7].1.positive_buckets, vec![7, 0, 7, -7]);
    round_trip(&samples);

    // Other bounds are a counter reset for Prometheus: a new chunk.
    let mut a = HistogramAppender::new();
    a.append(0, &samples[1].1).unwrap();
    let mut other = samples[2].1.clone();
    other.custom_values[4] = 1e10;
    assert_eq!(a.append(1, &other).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::CounterReset));
}

fn simple(count: u64, buckets: &[(i32, u32)], deltas: &[i64]) -> Histogram {
    Histogram {
        count,
        sum: count as f64,
        positive_spans: buckets.iter().map(|&(offset, length)| Span { offset, length }).collect(),
        positive_buckets: deltas.to_vec(),
        ..Default::default()
    }
}

#[test]
fn counter_reset_headers_follow_prometheus() {
    let h1 = simple(5, &[(0, 2)], &[2, 1]);
    let mut a = HistogramAppender::new();
    assert_eq!(a.append(1, &h1).unwrap(), AppendOutcome::Appended);
    assert_eq!(a.counter_reset_header(), CounterResetHeader::Unknown);
    // Count goes down.
    assert_eq!(
        a.append(2, &simple(4, &[(0, 2)], &[2, 0])).unwrap(),
        AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
    );
    // A bucket goes down.
    assert_eq!(
        a.append(2, &simple(9, &[(0, 2)], &[1, 5])).unwrap(),
        AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
    );
    // A non-empty bucket disappears.
    assert_eq!(
        a.append(2, &simple(9, &[(1, 1)], &[9])).unwrap(),
        AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
    );
    // Schema change: unknown.
    let mut s = simple(9, &[(0, 2)], &[2, 1]);
    s.schema = 2;
    assert_eq!(a.append(2, &s).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));
    // An explicit hint.
    let mut r = simple(9, &[(0, 2)], &[2, 1]);
    r.counter_reset_hint = CounterResetHint::CounterReset;
    assert_eq!(a.append(2, &r).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::CounterReset));
    // A gauge sample in a counter chunk.
    let mut g = simple(9, &[(0, 2)], &[2, 1]);
    g.counter_reset_hint = CounterResetHint::Gauge;
    assert_eq!(a.append(2, &g).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Gauge));
    // A stale marker fits, then only stale markers do.
    let stale = Histogram { sum: f64::from_bits(STALE_NAN_BITS), ..Default::default() };
    assert_eq!(a.append(2, &stale).unwrap(), AppendOutcome::Appended);
    assert_eq!(a.append(3, &stale).unwrap(), AppendOutcome::Appended);
    assert_eq!(a.append(4, &h1).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));

    // A counter sample in a gauge chunk: Prometheus says "not a reset".
    let mut gauge = HistogramAppender::new();
    gauge.append(1, &g).unwrap();
    assert_eq!(gauge.counter_reset_header(), CounterResetHeader::Gauge);
    assert_eq!(gauge.append(2, &h1).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::NotCounterReset));

    // A chunk cut for its size: the header comes from comparing with the previous chunk.
    let mut next = HistogramAppender::new();
    next.append_after(Some(&a), 5, &h1).unwrap();
    assert_eq!(next.counter_reset_header(), CounterResetHeader::Unknown); // `a` ends stale
    let mut prev = HistogramAppender::new();
    prev.append(1, &h1).unwrap();
    let mut next = HistogramAppender::new();
    next.append_after(Some(&prev), 5, &simple(6, &[(0, 2)], &[2, 2])).unwrap();
    assert_eq!(next.counter_reset_header(), CounterResetHeader::NotCounterReset);
    let mut next = HistogramAppender::new();
    next.append_after(Some(&prev), 5, &simple(1, &[(0, 1)], &[1])).unwrap();
    assert_eq!(next.counter_reset_header(), CounterResetHeader::CounterReset);

    assert!(matches!(prev.append(0, &h1), Err(Error::OutOfOrder { .. })));
    assert!(matches!(prev.append(9, &simple(1, &[(0, 2)], &[1])), Err(Error::InvalidHistogram(_))));
}

#[test]
fn layout_growth_recodes_and_empty_buckets_may_vanish() {
    let mut a = HistogramAppender::new();
    a.append(1, &simple(3, &[(0, 2)], &[1, -1])).unwrap(); // buckets 0:1, 1:0
    // Bucket 1 (empty) is gone, bucket 3 is new: recoded to buckets 0, 1, 3.
    assert_eq!(a.append(2, &simple(5, &[(0, 1), (2, 1)], &[2, 1])).unwrap(), AppendOutcome::Recoded);
    // The original layout again: bucket 3 (non-empty) missing is a reset.
    assert_eq!(
        a.append(3, &simple(5, &[(0, 2)], &[2, -2])).unwrap(),
        AppendOutcome::NewChunk(CounterResetHeader::CounterReset)
    );
    assert_eq!(a.append(3, &simple(6, &[(0, 1), (2, 1)], &[3, 0])).unwrap(), AppendOutcome::Appended);
    let got = decode_histograms(a.bytes()).unwrap();
    let layout = vec![Span { offset: 0, length: 2 }, Span { offset: 1, length: 1 }];
    assert!(got.iter().all(|(_, h)| h.positive_spans == layout));
    assert_eq!(got[0].1.positive_buckets, vec![1, -1, 0]);
    assert_eq!(got[1].1.positive_buckets, vec![2, -2, 3]);
    assert_eq!(got[2].1.positive_buckets, vec![3, -3, 3]);
}

#[test]
fn higher_schemas_are_reduced_when_read() {
    // Prometheus accepts schemas up to 52 in chunks (for newer writers) and reads them at 8.
    let mut a = HistogramAppender::new();
    let h = Histogram {
        schema: 10,
        count: 10,
        sum: 1.0,
        positive_spans: vec![Span { offset: 1, length: 8 }],
        positive_buckets: vec![1, 0, 0, 0, 1, 0, 0, 0],
        ..Default::default()
    };
    a.append_raw(1, &h);
    let got = decode_histograms(a.bytes()).unwrap();
    assert_eq!(got[0].1.schema, 8);
    assert_eq!(got[0].1.positive_spans, vec![Span { offset: 1, length: 2 }]);
    assert_eq!(got[0].1.positive_buckets, vec![4, 4]);
    let mut fh = FloatHistogram::default();
    let mut it = HistogramIter::new(a.bytes()).unwrap();
    assert!(it.advance().unwrap());
    it.at_float_histogram(&mut fh);
    assert_eq!(fh.schema, 8);
    assert_eq!(fh.positive_buckets, vec![4.0, 8.0]);
}

#[test]
fn float_view_of_integer_chunk() {
    let samples = random_series(77, false);
    let chunks = encode_histogram_chunks(&samples).unwrap();
    let mut i = 0;
    for chunk in &chunks {
        let mut it = HistogramIter::new(chunk).unwrap();
        let mut fh = FloatHistogram::default();
        while it.advance().unwrap() {
            it.at_float_histogram(&mut fh);
            if !samples[i].1.is_stale() {
                let mut h = Histogram::default();
                it.at_histogram(&mut h);
                let want = h.to_float();
                assert_eq!(canonical_float(&fh), canonical_float(&want));
                assert_eq!(canonical_float(&fh), canonical_float(&samples[i].1.to_float()));
                assert_eq!(
                    (&fh.positive_spans, fh.counter_reset_hint),
                    (&want.positive_spans, want.counter_reset_hint)
                );
            }
            assert_eq!(fh.sum.to_bits(), samples[i].1.sum.to_bits());
            i += 1;
        }
    }
    assert_eq!(i, samples.len());
}

/// Chunks written by Prometheus 2.42 (see testdata/make_histogram_golden.py): our appender
/// writes the same bytes, chunk for chunk, and our iterator reads the samples back.
#[test]
fn matches_prometheus_golden_chunks() {
    let mut checked = 0;
    for series in golden_series().into_iter().filter(|s| !s.ints.is_empty()) {
        let mut ours: Vec<Vec<u8>> = Vec::new();
        let mut app = HistogramAppender::new();
        for (t, h) in &series.ints {
            // Prometheus also cuts chunks by time and size: follow its sample counts, unless
            // the appender itself asks for a new chunk (then its header applies).
            let full = series.chunks.get(ours.len()).is_some_and(|c| c.2 == app.num_samples());
            let appender_cuts = matches!(app.clone().append(*t, h).unwrap(), AppendOutcome::NewChunk(_));
            if full && !appender_cuts {
                let prev = std::mem::take(&mut app);
                app.append_after(Some(&prev), *t, h).unwrap();
                ours.push(prev.into_bytes());
                continue;
            }
            if let AppendOutcome::NewChunk(header) = app.append(*t, h).unwrap() {
                ours.push(std::mem::replace(&mut app, HistogramAppender::with_header(header)).into_bytes());
                app.append(*t, h).unwrap();
            }
        }
        ours.push(app.into_bytes());
        let golden: Vec<&Vec<u8>> = series.chunks.iter().map(|c| &c.0).collect();
        assert_eq!(ours.len(), golden.len(), "{}: chunk count", series.name);
        for (n, (o, g)) in ours.iter().zip(&golden).enumerate() {
            assert_eq!(o.as_slice(), without_242_padding(o, g), "{} chunk {n}", series.name);
        }

        let mut decoded = Vec::new();
        for (bytes, enc, n) in &series.chunks {
            assert_eq!(*enc, 2);
            let header = HistogramIter::new(bytes).unwrap().counter_reset_header();
            let got = decode_histograms(bytes).unwrap();
            assert_eq!(got.len(), *n);
            for (i, (_, h)) in got.iter().enumerate() {
                if !h.is_stale() {
                    assert_eq!(h.counter_reset_hint, expected_hint(header, i), "{}", series.name);
                }
            }
            decoded.extend(got);
        }
        assert_eq!(decoded.len(), series.ints.len());
        for ((t0, h0), (t1, h1)) in series.ints.iter().zip(&decoded) {
            assert_eq!(t0, t1, "{}", series.name);
            assert_eq!(canonical_int(h0), canonical_int(h1), "{} t={t0}", series.name);
        }
        checked += 1;
    }
    assert_eq!(checked, 8);
}

/// The headers Prometheus 2.42 chose, pinned so that the golden files stay meaningful.
#[test]
fn golden_chunks_cover_every_header() {
    let mut headers = std::collections::BTreeSet::new();
    for s in golden_series() {
        for (bytes, _, _) in &s.chunks {
            headers.insert(CounterResetHeader::from_flags(bytes[FLAGS_POS]) as u8);
        }
    }
    assert_eq!(headers.len(), 4, "{headers:?}");
}

#[test]
fn truncated_and_garbage_chunks_error_without_panic() {
    let mut rng = Rng(0xdead_beef);
    let mut chunks = encode_histogram_chunks(&random_series(5, false)).unwrap();
    chunks.extend(encode_histogram_chunks(&random_series(6, true)).unwrap());
    chunks.extend(golden_series().into_iter().flat_map(|s| s.chunks).filter(|c| c.1 == 2).map(|c| c.0));
    for chunk in &chunks {
        // Prometheus may leave one empty padding byte at the end; without it the chunk is whole.
        let whole = if chunk.last() == Some(&0) && decode_histograms(&chunk[..chunk.len() - 1]).is_ok() {
            chunk.len() - 1
        } else {
            chunk.len()
        };
        for cut in 0..whole {
            assert!(decode_histograms(&chunk[..cut]).is_err(), "cut at {cut} of {} decoded", chunk.len());
        }
        // Flipped bits: any outcome but a panic.
        for _ in 0..50 {
            let mut c = chunk.clone();
            let i = rng.below(c.len() as u64) as usize;
            c[i] ^= 1 << rng.below(8);
            let _ = decode_histograms(&c);
        }
    }
    for _ in 0..5000 {
        let len = rng.below(80) as usize;
        let mut junk = rng.junk(len);
        if len >= 2 && rng.below(2) == 0 {
            junk[0] = 0;
            junk[1] = rng.below(4) as u8;
        }
        let _ = decode_histograms(&junk);
    }
    // A layout claiming far more buckets than the chunk holds is rejected, not allocated.
    let mut w = BitWriter::new();
    w.write_bits(1 << 16, 24);
    write_layout(&mut w, 0, 0.0, &[Span { offset: 0, length: u32::MAX }], &[], &[]);
    assert!(decode_histograms(w.bytes()).is_err());
}
