//! Random (mostly invalid) histograms through every operation: nothing may panic or hang,
//! and on valid input some algebraic properties hold.

use super::{
    CUSTOM_BUCKETS_SCHEMA, FloatHistogram, Histogram, Span, histogram_fraction, histogram_quantile,
    histogram_stdvar,
};

/// xorshift64*, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn random_spans(r: &mut Rng, weird: bool) -> Vec<Span> {
    let n = r.below(4) as usize;
    (0..n)
        .map(|i| {
            let offset = if weird && r.below(8) == 0 {
                r.pick(&[i32::MIN, i32::MAX, -1, -100])
            } else if i == 0 {
                r.below(9) as i32 - 4
            } else {
                r.below(4) as i32
            };
            let length = if weird && r.below(16) == 0 { u32::MAX } else { r.below(4) as u32 };
            Span { offset, length }
        })
        .collect()
}

fn random_counts(r: &mut Rng, spans: &[Span], weird: bool) -> Vec<f64> {
    let fit = spans.iter().map(|s| u64::from(s.length)).sum::<u64>().min(16) as usize;
    let n = if weird && r.below(4) == 0 { r.below(6) as usize } else { fit };
    (0..n)
        .map(|_| {
            if weird && r.below(10) == 0 {
                r.pick(&[f64::NAN, f64::INFINITY, -1.0])
            } else {
                r.below(5) as f64
            }
        })
        .collect()
}

fn random_histogram(r: &mut Rng, weird: bool) -> FloatHistogram {
    let schema = if weird && r.below(6) == 0 {
        r.pick(&[9, 52, -9, i32::MIN, i32::MAX, -5])
    } else if r.below(4) == 0 {
        CUSTOM_BUCKETS_SCHEMA
    } else {
        r.below(13) as i32 - 4
    };
    let positive_spans = random_spans(r, weird);
    let positive_buckets = random_counts(r, &positive_spans, weird);
    let custom = schema == CUSTOM_BUCKETS_SCHEMA;
    let (negative_spans, negative_buckets) = if custom && !weird {
        (Vec::new(), Vec::new())
    } else {
        let s = random_spans(r, weird);
        let b = random_counts(r, &s, weird);
        (s, b)
    };
    let custom_values = if custom || (weird && r.below(5) == 0) {
        let mut v: Vec<f64> = (0..r.below(6)).map(|i| i as f64 * 1.5 - 2.0).collect();
        if weird && r.below(4) == 0 {
            v.push(r.pick(&[f64::NAN, f64::INFINITY, -10.0]));
        }
        v
    } else {
        Vec::new()
    };
    let zero_threshold = if custom && !weird { 0.0 } else { r.pick(&[0.0, 0.001, 0.5, 1.0, 3.0]) };
    let zero_threshold =
        if weird && r.below(10) == 0 { r.pick(&[f64::NAN, f64::INFINITY]) } else { zero_threshold };
    let zero_count = if custom && !weird { 0.0 } else { r.below(3) as f64 };
    let total = positive_buckets.iter().chain(&negative_buckets).sum::<f64>() + zero_count;
    FloatHistogram {
        counter_reset_hint: super::CounterResetHint::from_i32(r.below(4) as i32),
        schema,
        zero_threshold,
        zero_count,
        count: if weird && r.below(5) == 0 { r.pick(&[f64::NAN, -1.0, 0.0]) } else { total },
        sum: if weird && r.below(5) == 0 { r.pick(&[f64::NAN, f64::INFINITY]) } else { total * 1.5 },
        positive_spans,
        negative_spans,
        positive_buckets,
        negative_buckets,
        custom_values,
    }
}

fn exercise(a: &FloatHistogram, b: &FloatHistogram, r: &mut Rng) {
    const N: usize = 1000;
    let _ = a.to_string();
    let _ = a.validate();
    let _ = a.equals(b);
    let _ = a.detect_reset(b);
    let _ = a.has_overflow();
    let _ = a.all_bucket_iter().take(N).count();
    let _ = a.all_reverse_bucket_iter().take(N).count();
    let _ = histogram_quantile(r.pick(&[0.0, 0.1, 0.5, 0.99, 1.0, f64::NAN]), a);
    let _ = histogram_fraction(r.pick(&[-1.0, 0.0, 0.7]), r.pick(&[0.5, 2.0, f64::INFINITY]), a);
    let _ = histogram_stdvar(a);
    for target in [a.schema, a.schema.saturating_sub(1), -4, CUSTOM_BUCKETS_SCHEMA] {
        if let Ok(it) = a.bucket_iter_to_schema(r.below(2) == 0, r.pick(&[0.0, 0.5]), target) {
            let _ = it.take(N).count();
        }
        let _ = a.copy_to_schema(target);
        let _ = a.clone().reduce_resolution(target);
    }
    for max in [0, 1, 3] {
        a.clone().compact(max);
    }
    let (mut x, mut y, mut z) = (a.clone(), a.clone(), a.clone());
    let _ = x.add(b);
    let _ = y.sub(b);
    let mut c = z.new_compensation();
    let _ = z.kahan_add(b, &mut c);
    x.clone().mul(-2.0).div(r.pick(&[0.0, 3.0, f64::NAN]));
    let i = Histogram {
        schema: a.schema,
        zero_threshold: a.zero_threshold,
        zero_count: a.zero_count as u64,
        count: a.count as u64,
        positive_spans: a.positive_spans.clone(),
        negative_spans: a.negative_spans.clone(),
        positive_buckets: a.positive_buckets.iter().map(|&v| v as i64 - 1).collect(),
        negative_buckets: a.negative_buckets.iter().map(|&v| v as i64).collect(),
        custom_values: a.custom_values.clone(),
        ..Default::default()
    };
    let _ = i.to_string();
    let _ = i.validate();
    let _ = i.to_float();
    i.clone().compact(1);
    let _ = i.clone().reduce_resolution(-1);
    if let Ok(it) = i.cumulative_bucket_iter() {
        let _ = it.take(N).count();
    }
}

#[test]
fn random_histograms_never_panic() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..4000 {
        let weird = round % 2 == 0;
        let a = random_histogram(&mut r, weird);
        let b = random_histogram(&mut r, weird);
        exercise(&a, &b, &mut r);
    }
}

#[test]
fn random_valid_histograms_add_sub_round_trip() {
    let mut r = Rng(42);
    let mut checked = 0;
    for _ in 0..3000 {
        let a = random_histogram(&mut r, false);
        let b = random_histogram(&mut r, false);
        if a.validate().is_err()
            || b.validate().is_err()
            || a.uses_custom_buckets() != b.uses_custom_buckets()
        {
            continue;
        }
        if a.custom_values != b.custom_values || a.zero_threshold != b.zero_threshold {
            continue;
        }
        // a + b - b has a's counts (in the lower schema of both), and a + b is not a reset
        // after a (given b has no counter reset hint).
        let mut sum = a.clone();
        sum.add(&b).unwrap();
        sum.validate().unwrap();
        assert_eq!(sum.count, a.count + b.count);
        let mut back = sum.clone();
        back.sub(&b).unwrap();
        back.compact(0);
        let mut want = a.copy_to_schema(a.schema.min(b.schema)).unwrap();
        want.compact(0);
        assert_eq!(back.positive_buckets.iter().sum::<f64>(), want.positive_buckets.iter().sum::<f64>());
        assert_eq!(back.zero_count, want.zero_count);
        sum.counter_reset_hint = super::CounterResetHint::Unknown;
        if b.schema >= a.schema {
            assert!(!sum.detect_reset(&a), "{a} + {b} = {sum}");
        }
        // Quantiles are monotonic in q (unless populated buckets lie inside the zero bucket,
        // which the generator does not avoid).
        let qs: Vec<f64> =
            [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0].iter().map(|&q| histogram_quantile(q, &sum).0).collect();
        if sum.count > 0.0 && sum.zero_threshold == 0.0 {
            assert!(qs.windows(2).all(|w| w[0] <= w[1]), "{sum}: {qs:?}");
        }
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
}
