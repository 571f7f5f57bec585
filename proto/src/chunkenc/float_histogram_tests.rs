//! Tests of the float histogram chunk: Prometheus-written golden chunks, round trips, and
//! malformed input.

use super::*;
use crate::chunkenc::histogram_meta::test_support::{
    Rng, canonical_float, expected_hint, golden_series, without_242_padding,
};
use crate::histogram::CUSTOM_BUCKETS_SCHEMA;
use crate::sample::STALE_NAN_BITS;
use std::collections::BTreeMap;

fn spans_from(indices: &[i64]) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut next = 0i64;
    for &i in indices {
        match spans.last_mut() {
            Some(s) if i == next => s.length += 1,
            _ => spans.push(Span { offset: (i - next) as i32, length: 1 }),
        }
        next = i + 1;
    }
    spans
}

fn random_value(rng: &mut Rng) -> f64 {
    match rng.below(10) {
        0 => 0.0,
        1 => rng.below(1000) as f64,
        2 => f64::from_bits(rng.next() >> 2),
        _ => rng.below(1 << 30) as f64 / 1024.0,
    }
}

/// Float counterpart of the integer chunk's random series: layouts that grow (recoding),
/// empty buckets that vanish, resets, schema changes, custom buckets, stale markers, odd
/// sums; gauge series with layouts changing both ways.
fn random_series(seed: u64, gauge: bool) -> Vec<(i64, FloatHistogram)> {
    let mut rng = Rng(seed);
    let custom = vec![-1.0, 0.001, 0.5, 17.25, 1e300];
    let schemas = [-4, -1, 0, 2, 5, 8, CUSTOM_BUCKETS_SCHEMA];
    let mut schema = schemas[rng.below(schemas.len() as u64) as usize];
    let mut pos: BTreeMap<i64, f64> = BTreeMap::new();
    let mut neg: BTreeMap<i64, f64> = BTreeMap::new();
    let mut zero_count = 0.0f64;
    let mut sum = 0.0f64;
    let mut t = -5_000i64;
    let mut out = Vec::new();
    for step in 0..300 {
        t += [15_000, 15_000, 14_990, 1, 0, 3_600_000, -1i64 << 40][rng.below(7) as usize].max(0);
        let r = rng.below(100);
        if step > 0 && r < 3 {
            let stale =
                FloatHistogram { sum: f64::from_bits(STALE_NAN_BITS), count: 1.0, ..Default::default() };
            out.push((t, stale));
            continue;
        }
        if r < 5 {
            schema = schemas[rng.below(schemas.len() as u64) as usize];
            pos.clear();
            neg.clear();
        } else if r < 9 && !gauge {
            pos.clear();
            neg.clear();
            zero_count = 0.0;
        }
        let custom_schema = schema == CUSTOM_BUCKETS_SCHEMA;
        if custom_schema {
            neg.clear();
            zero_count = 0.0;
        }
        for c in pos.values_mut().chain(neg.values_mut()) {
            if gauge {
                *c = random_value(&mut rng);
            } else if rng.below(3) != 0 {
                *c += random_value(&mut rng).min(1e12);
            }
        }
        if !custom_schema {
            zero_count = if gauge { random_value(&mut rng) } else { zero_count + rng.below(4) as f64 * 0.5 };
        }
        for _ in 0..rng.below(3) {
            let hi = if custom_schema { 6 } else { 30 };
            let lo = if custom_schema { 0 } else { -30 };
            pos.entry(lo + rng.below((hi - lo) as u64) as i64).or_insert_with(|| random_value(&mut rng));
            if !custom_schema && rng.below(2) == 0 {
                neg.entry(rng.below(30) as i64 - 15).or_insert(0.0);
            }
        }
        if rng.below(6) == 0
            && let Some((&k, _)) = pos.iter().find(|(_, c)| gauge || **c == 0.0)
        {
            pos.remove(&k);
        }
        sum = match rng.below(10) {
            0 => f64::NAN,
            1 => f64::NEG_INFINITY,
            2 => sum,
            _ => sum + random_value(&mut rng),
        };
        let pi: Vec<i64> = pos.keys().copied().collect();
        let ni: Vec<i64> = neg.keys().copied().collect();
        let h = FloatHistogram {
            counter_reset_hint: if gauge { CounterResetHint::Gauge } else { CounterResetHint::Unknown },
            schema,
            zero_threshold: if custom_schema { 0.0 } else { 2f64.powi(-128) },
            zero_count,
            count: pos.values().chain(neg.values()).sum::<f64>() + zero_count,
            sum,
            positive_spans: spans_from(&pi),
            negative_spans: spans_from(&ni),
            positive_buckets: pos.values().copied().collect(),
            negative_buckets: neg.values().copied().collect(),
            custom_values: if custom_schema { custom.clone() } else { Vec::new() },
        };
        out.push((t, h));
    }
    out
}

fn round_trip(samples: &[(i64, FloatHistogram)]) -> usize {
    let chunks = encode_float_histogram_chunks(samples).unwrap();
    let mut decoded = Vec::new();
    for chunk in &chunks {
        let header = FloatHistogramIter::new(chunk).unwrap().counter_reset_header();
        let got = decode_float_histograms(chunk).unwrap();
        assert_eq!(got.len(), float_histogram_num_samples(chunk).unwrap());
        let mut again = FloatHistogramAppender::with_header(header);
        for (i, (t, h)) in got.iter().enumerate() {
            if !h.is_stale() {
                assert_eq!(h.counter_reset_hint, expected_hint(header, i));
            }
            again.append_raw(*t, h);
        }
        // Stale markers decode without their count, which the chunk stores as 0 anyway.
        assert_eq!(again.bytes(), chunk.as_slice(), "re-encoding a decoded chunk");
        decoded.extend(got);
    }
    assert_eq!(decoded.len(), samples.len());
    for ((t0, h0), (t1, h1)) in samples.iter().zip(&decoded) {
        assert_eq!(t0, t1);
        assert_eq!(canonical_float(h0), canonical_float(h1), "at t={t0}");
    }
    chunks.len()
}

#[test]
fn round_trips_random_counter_series() {
    let mut chunks = 0;
    for seed in 1..40u64 {
        chunks += round_trip(&random_series(seed * 0x9e37_79b9, false));
    }
    assert!(chunks > 100, "{chunks}");
}

#[test]
fn round_trips_random_gauge_series() {
    for seed in 1..40u64 {
        round_trip(&random_series(seed * 0x2545_f491, true));
    }
}

fn simple(count: f64, spans: &[(i32, u32)], buckets: &[f64]) -> FloatHistogram {
    FloatHistogram {
        count,
        sum: count * 2.0,
        positive_spans: spans.iter().map(|&(offset, length)| Span { offset, length }).collect(),
        positive_buckets: buckets.to_vec(),
        ..Default::default()
    }
}

#[test]
fn counter_reset_headers_follow_prometheus() {
    let h1 = simple(3.0, &[(0, 2)], &[1.0, 2.0]);
    let mut a = FloatHistogramAppender::new();
    assert_eq!(a.append(1, &h1).unwrap(), AppendOutcome::Appended);
    let reset = AppendOutcome::NewChunk(CounterResetHeader::CounterReset);
    assert_eq!(a.append(2, &simple(2.5, &[(0, 2)], &[1.0, 1.5])).unwrap(), reset);
    assert_eq!(a.append(2, &simple(9.0, &[(0, 2)], &[0.5, 8.5])).unwrap(), reset);
    assert_eq!(a.append(2, &simple(9.0, &[(1, 1)], &[9.0])).unwrap(), reset);
    let mut s = simple(9.0, &[(0, 2)], &[1.0, 2.0]);
    s.zero_threshold = 0.5;
    assert_eq!(a.append(2, &s).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));
    // Growth recodes; an empty bucket may vanish.
    assert_eq!(a.append(2, &simple(4.0, &[(0, 3)], &[1.0, 2.0, 0.0])).unwrap(), AppendOutcome::Recoded);
    assert_eq!(a.append(3, &simple(4.5, &[(0, 2)], &[1.5, 2.0])).unwrap(), AppendOutcome::Appended);
    let got = decode_float_histograms(a.bytes()).unwrap();
    assert_eq!(got[0].1.positive_buckets, vec![1.0, 2.0, 0.0]);
    assert_eq!(got[2].1.positive_buckets, vec![1.5, 2.0, 0.0]);

    // After a size cut, Prometheus's float appender says "no reset" even for a new schema.
    let mut next = FloatHistogramAppender::new();
    next.append_after(Some(&a), 5, &s).unwrap();
    assert_eq!(next.counter_reset_header(), CounterResetHeader::NotCounterReset);
    let mut next = FloatHistogramAppender::new();
    next.append_after(Some(&a), 5, &simple(1.0, &[(0, 1)], &[1.0])).unwrap();
    assert_eq!(next.counter_reset_header(), CounterResetHeader::CounterReset);

    let mut g = FloatHistogramAppender::new();
    let mut gh = h1.clone();
    gh.counter_reset_hint = CounterResetHint::Gauge;
    g.append(1, &gh).unwrap();
    assert_eq!(g.counter_reset_header(), CounterResetHeader::Gauge);
    assert_eq!(g.append(2, &h1).unwrap(), AppendOutcome::NewChunk(CounterResetHeader::Unknown));
    assert!(matches!(g.append(0, &gh), Err(Error::OutOfOrder { .. })));
}

#[test]
fn custom_buckets_round_trip() {
    let custom = vec![0.001, 0.25, 33554.43, 1e300];
    let samples: Vec<(i64, FloatHistogram)> = (0..20)
        .map(|i| {
            let f = i as f64;
            let h = FloatHistogram {
                schema: CUSTOM_BUCKETS_SCHEMA,
                count: 4.5 * f,
                sum: f * 0.1,
                positive_spans: vec![Span { offset: 1, length: 3 }],
                positive_buckets: vec![f, 2.0 * f, 1.5 * f],
                custom_values: custom.clone(),
                ..Default::default()
            };
            (i * 60_000, h)
        })
        .collect();
    assert_eq!(round_trip(&samples), 1);
    let got = decode_float_histograms(&encode_float_histogram_chunks(&samples).unwrap()[0]).unwrap();
    assert_eq!(got[3].1.custom_values, custom);
}

/// Float histogram chunks written by Prometheus 2.42 (testdata/make_histogram_golden.py).
#[test]
fn matches_prometheus_golden_chunks() {
    let mut checked = 0;
    for series in golden_series().into_iter().filter(|s| !s.floats.is_empty()) {
        let mut ours: Vec<Vec<u8>> = Vec::new();
        let mut app = FloatHistogramAppender::new();
        for (t, h) in &series.floats {
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
                ours.push(
                    std::mem::replace(&mut app, FloatHistogramAppender::with_header(header)).into_bytes(),
                );
                app.append(*t, h).unwrap();
            }
        }
        ours.push(app.into_bytes());
        assert_eq!(ours.len(), series.chunks.len(), "{}: chunk count", series.name);
        for (n, (o, g)) in ours.iter().zip(&series.chunks).enumerate() {
            assert_eq!(o.as_slice(), without_242_padding(o, &g.0), "{} chunk {n}", series.name);
        }
        let mut decoded = Vec::new();
        for (bytes, enc, n) in &series.chunks {
            assert_eq!(*enc, 3);
            let header = FloatHistogramIter::new(bytes).unwrap().counter_reset_header();
            let got = decode_float_histograms(bytes).unwrap();
            assert_eq!(got.len(), *n);
            for (i, (_, h)) in got.iter().enumerate() {
                if !h.is_stale() {
                    assert_eq!(h.counter_reset_hint, expected_hint(header, i));
                }
            }
            decoded.extend(got);
        }
        for ((t0, h0), (t1, h1)) in series.floats.iter().zip(&decoded) {
            assert_eq!(t0, t1, "{}", series.name);
            assert_eq!(canonical_float(h0), canonical_float(h1), "{} t={t0}", series.name);
        }
        assert_eq!(decoded.len(), series.floats.len());
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn truncated_and_garbage_chunks_error_without_panic() {
    let mut rng = Rng(0x1234_5678);
    let mut chunks = encode_float_histogram_chunks(&random_series(11, false)).unwrap();
    chunks.extend(encode_float_histogram_chunks(&random_series(12, true)).unwrap());
    chunks.extend(golden_series().into_iter().flat_map(|s| s.chunks).filter(|c| c.1 == 3).map(|c| c.0));
    for chunk in &chunks {
        let whole = if chunk.last() == Some(&0) && decode_float_histograms(&chunk[..chunk.len() - 1]).is_ok()
        {
            chunk.len() - 1
        } else {
            chunk.len()
        };
        for cut in 0..whole {
            assert!(decode_float_histograms(&chunk[..cut]).is_err(), "cut at {cut} of {}", chunk.len());
        }
        for _ in 0..50 {
            let mut c = chunk.clone();
            let i = rng.below(c.len() as u64) as usize;
            c[i] ^= 1 << rng.below(8);
            let _ = decode_float_histograms(&c);
        }
    }
    for _ in 0..5000 {
        let len = rng.below(120) as usize;
        let mut junk = rng.junk(len);
        if len >= 2 {
            junk[0] = 0;
            junk[1] = rng.below(3) as u8;
        }
        let _ = decode_float_histograms(&junk);
    }
}
