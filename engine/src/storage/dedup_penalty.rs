//! The two ways Thanos's querier merges the samples of HA replicas of one series
//! (`--deduplication.func`), over decoded samples:
//!
//! - [`penalty`]: Thanos's `dedupSeriesIterator`. Stay on one replica; when the other has a
//!   sample first, switch, but give the replica left behind a penalty of twice the last gap (5 s
//!   at the start) before it may be picked again, so a scrape interval is never halved by
//!   interleaving replicas. More than two replicas combine left-deep, `((r0 ⊕ r1) ⊕ r2) ⊕ ...`.
//!   For counters (`rate`, `increase`, `irate`, `resets`) a replica switched to whose value is
//!   below the last one emitted is lifted by the difference from then on, so a switch never
//!   looks like a counter reset.
//! - [`chain`]: Prometheus's `ChainedSeriesMerge`: every sample of every replica in time order,
//!   one per timestamp.
//!
//! Iterators only move forward, as Prometheus's chunk iterators do; the quirks of Thanos's
//! iterator (which side is read for the value before a switch, adjustments reaching both sides)
//! are kept, since results must match what a Thanos querier returns.

use crate::value::Point as Value;

/// A replica's samples in time order.
pub(crate) type Samples = Vec<(i64, Value)>;

/// What an iterator holds now (Prometheus's `chunkenc.ValueType`, histograms as one kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    None,
    Float,
    Histogram,
}

fn kind_of(v: &Value) -> Kind {
    match v {
        Value::Float(_) => Kind::Float,
        Value::Histogram(_) => Kind::Histogram,
    }
}

const INITIAL_PENALTY: i64 = 5000;

/// Thanos's penalty deduplication of `replicas` (each in time order); `counter` turns on the
/// counter adjustment.
pub(crate) fn penalty(mut replicas: Vec<Samples>, counter: bool) -> Samples {
    if replicas.len() <= 1 {
        return replicas.pop().unwrap_or_default();
    }
    let mut iter = replicas.iter().map(|r| Iter::Leaf(Leaf::new(r, counter)));
    let Some(first) = iter.next() else { return Vec::new() };
    let mut it = iter.fold(first, |a, b| Iter::Dedup(Box::new(Dedup::new(a, b))));
    let mut out = Vec::with_capacity(replicas.iter().map(Vec::len).max().unwrap_or(0));
    while it.next() != Kind::None {
        out.push((it.at_t(), it.at()));
    }
    out
}

/// Prometheus's chained merge: all samples in time order, the first replica's winning a
/// timestamp several share.
pub(crate) fn chain(replicas: Vec<Samples>) -> Samples {
    let mut pos = vec![0usize; replicas.len()];
    let mut out = Vec::with_capacity(replicas.iter().map(Vec::len).max().unwrap_or(0));
    let mut last = i64::MIN;
    loop {
        let next =
            replicas.iter().zip(&pos).enumerate().filter_map(|(i, (r, &p))| r.get(p).map(|s| (s.0, i))).min();
        let Some((t, i)) = next else { break };
        if out.is_empty() || t != last {
            out.push(replicas[i][pos[i]].clone());
            last = t;
        }
        pos[i] += 1;
    }
    out
}

/// An iterator over one replica's samples, with the counter adjustment when on.
#[derive(Debug)]
struct Leaf<'a> {
    samples: &'a [(i64, Value)],
    /// The current sample; `None` before the first `next`.
    pos: Option<usize>,
    counter: bool,
    adjust: f64,
}

impl<'a> Leaf<'a> {
    fn new(samples: &'a [(i64, Value)], counter: bool) -> Self {
        Self { samples, pos: None, counter, adjust: 0.0 }
    }

    fn kind(&self) -> Kind {
        self.pos.and_then(|p| self.samples.get(p)).map_or(Kind::None, |s| kind_of(&s.1))
    }

    fn next(&mut self) -> Kind {
        let n = self.samples.len();
        self.pos = Some(self.pos.map_or(0, |p| (p + 1).min(n)));
        self.kind()
    }

    /// To the first sample at or after `t`; no move when the current one is.
    fn seek(&mut self, t: i64) -> Kind {
        let mut p = self.pos.unwrap_or(0);
        while p < self.samples.len() && self.samples[p].0 < t {
            p += 1;
        }
        self.pos = Some(p);
        self.kind()
    }

    /// The current timestamp; past the end, the last one's (as Prometheus's iterators keep it).
    fn at_t(&self) -> i64 {
        let p = self.pos.unwrap_or(0).min(self.samples.len().saturating_sub(1));
        self.samples.get(p).map_or(i64::MIN, |s| s.0)
    }

    fn at(&self) -> Value {
        let p = self.pos.unwrap_or(0).min(self.samples.len().saturating_sub(1));
        match self.samples.get(p) {
            Some((_, Value::Float(v))) => Value::Float(v + self.adjust),
            Some((_, v)) => v.clone(),
            None => Value::Float(0.0),
        }
    }

    fn at_float(&self) -> f64 {
        match self.at() {
            Value::Float(v) => v,
            _ => 0.0,
        }
    }

    /// Thanos's `counterErrAdjustSeriesIterator.adjustAtValue`: a replica whose (adjusted) value
    /// is below the last one emitted did not see the counter's latest increments.
    fn adjust_at_value(&mut self, last: f64) {
        if self.counter {
            let v = self.at_float();
            if last > v {
                self.adjust += last - v;
            }
        }
    }
}

/// Thanos's `dedupSeriesIterator` over two iterators.
#[derive(Debug)]
struct Dedup<'a> {
    a: Iter<'a>,
    b: Iter<'a>,
    aval: Kind,
    bval: Kind,
    last_t: i64,
    pen_a: i64,
    pen_b: i64,
    use_a: bool,
    /// Which side the value comes from (`lastIter`).
    last_is_a: bool,
}

impl<'a> Dedup<'a> {
    fn new(mut a: Iter<'a>, mut b: Iter<'a>) -> Self {
        let aval = a.next();
        let bval = b.next();
        Self { a, b, aval, bval, last_t: i64::MIN, pen_a: 0, pen_b: 0, use_a: true, last_is_a: true }
    }

    fn last_iter(&self) -> &Iter<'a> {
        if self.last_is_a { &self.a } else { &self.b }
    }

    fn last_float_val(&self) -> Option<f64> {
        let float = if self.use_a { self.aval == Kind::Float } else { self.bval == Kind::Float };
        float.then(|| self.last_iter().at_float())
    }

    fn next(&mut self) -> Kind {
        let last = self.last_float_val();
        let last_use_a = self.use_a;
        let out = self.advance();
        if self.use_a != last_use_a
            && let Some(v) = last
        {
            // A switch of replicas: the side now read may lag the counter.
            self.adjust_at_value(v);
        }
        out
    }

    fn advance(&mut self) -> Kind {
        // Both sides at least past the last sample plus their penalty.
        if self.aval != Kind::None {
            self.aval = self.a.seek(self.last_t.saturating_add(1).saturating_add(self.pen_a));
        }
        if self.bval != Kind::None {
            self.bval = self.b.seek(self.last_t.saturating_add(1).saturating_add(self.pen_b));
        }
        if self.aval == Kind::None {
            self.use_a = false;
            if self.bval != Kind::None {
                self.last_t = self.b.at_t();
                self.last_is_a = false;
                self.pen_b = 0;
            }
            return self.bval;
        }
        if self.bval == Kind::None {
            self.use_a = true;
            self.last_t = self.a.at_t();
            self.last_is_a = true;
            self.pen_a = 0;
            return self.aval;
        }
        let (ta, tb) = (self.a.at_t(), self.b.at_t());
        self.use_a = ta <= tb;
        // The side not picked waits twice the last gap, so that replicas' samples close together
        // do not double the sampling rate.
        if self.use_a {
            self.pen_b = if self.last_t != i64::MIN { 2 * (ta - self.last_t) } else { INITIAL_PENALTY };
            self.pen_a = 0;
            self.last_t = ta;
            self.last_is_a = true;
            return self.aval;
        }
        self.pen_a = if self.last_t != i64::MIN { 2 * (tb - self.last_t) } else { INITIAL_PENALTY };
        self.pen_b = 0;
        self.last_t = tb;
        self.last_is_a = false;
        self.bval
    }

    /// Iterates with `next`, not the sides' own seeks, so no gap is skipped.
    fn seek(&mut self, t: i64) -> Kind {
        loop {
            let ts = self.at_t();
            if ts >= t {
                return if self.use_a { self.a.seek(ts) } else { self.b.seek(ts) };
            }
            if self.next() == Kind::None {
                return Kind::None;
            }
        }
    }

    fn at_t(&self) -> i64 {
        if self.use_a { self.a.at_t() } else { self.b.at_t() }
    }

    fn adjust_at_value(&mut self, last: f64) {
        if self.aval == Kind::Float {
            self.a.adjust_at_value(last);
        }
        if self.bval == Kind::Float {
            self.b.adjust_at_value(last);
        }
    }
}

#[derive(Debug)]
enum Iter<'a> {
    Leaf(Leaf<'a>),
    Dedup(Box<Dedup<'a>>),
}

impl Iter<'_> {
    fn next(&mut self) -> Kind {
        match self {
            Iter::Leaf(l) => l.next(),
            Iter::Dedup(d) => d.next(),
        }
    }

    fn seek(&mut self, t: i64) -> Kind {
        match self {
            Iter::Leaf(l) => l.seek(t),
            Iter::Dedup(d) => d.seek(t),
        }
    }

    fn at_t(&self) -> i64 {
        match self {
            Iter::Leaf(l) => l.at_t(),
            Iter::Dedup(d) => d.at_t(),
        }
    }

    fn at(&self) -> Value {
        match self {
            Iter::Leaf(l) => l.at(),
            Iter::Dedup(d) => d.last_iter().at(),
        }
    }

    fn at_float(&self) -> f64 {
        match self.at() {
            Value::Float(v) => v,
            _ => 0.0,
        }
    }

    fn adjust_at_value(&mut self, last: f64) {
        match self {
            Iter::Leaf(l) => l.adjust_at_value(last),
            Iter::Dedup(d) => d.adjust_at_value(last),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn floats(s: &[(i64, f64)]) -> Samples {
        s.iter().map(|&(t, v)| (t, Value::Float(v))).collect()
    }

    fn pairs(s: &Samples) -> Vec<(i64, f64)> {
        s.iter()
            .map(|(t, v)| match v {
                Value::Float(f) => (*t, *f),
                _ => (*t, f64::NAN),
            })
            .collect()
    }

    /// Thanos's `TestDedupSeriesIterator` cases.
    #[test]
    fn penalty_as_thanos() {
        // Single dedup after 2 deltas: once the gap is over twice the interval, switch and stay.
        let a = floats(&[(10000, 1.0), (20000, 1.0), (30000, 1.0), (60000, 1.0), (70000, 1.0)]);
        let b = floats(&[(10100, 2.0), (20100, 2.0), (30100, 2.0), (40100, 2.0), (50100, 2.0), (60100, 2.0)]);
        assert_eq!(
            pairs(&penalty(vec![a, b], false)),
            [(10000, 1.0), (20000, 1.0), (30000, 1.0), (50100, 2.0), (60100, 2.0)]
        );
        // No switch on a single delta sized gap.
        let a = floats(&[(10000, 1.0), (20000, 1.0), (40000, 1.0)]);
        let b = floats(&[(10000, 2.0), (20000, 2.0), (30000, 2.0), (40000, 2.0)]);
        assert_eq!(pairs(&penalty(vec![a, b], false)), [(10000, 1.0), (20000, 1.0), (40000, 1.0)]);
        // The earlier replica is picked first, the other only after its penalty.
        let a = floats(&[(10000, 1.0), (20000, 1.0), (30000, 1.0), (40000, 1.0)]);
        let b = floats(&[(5000, 2.0), (15000, 2.0), (25000, 2.0)]);
        let out = pairs(&penalty(vec![a, b], false));
        assert_eq!(out[0], (5000, 2.0));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "{out:?}");
    }

    #[test]
    fn three_replicas_and_one_empty() {
        let a = floats(&[(1000, 1.0), (2000, 1.0)]);
        let b = floats(&[]);
        let c = floats(&[(60000, 3.0), (61000, 3.0)]);
        assert_eq!(
            pairs(&penalty(vec![a, b, c], false)),
            [(1000, 1.0), (2000, 1.0), (60000, 3.0), (61000, 3.0)]
        );
        assert!(penalty(Vec::new(), false).is_empty());
    }

    /// A switch to a replica whose counter lags is lifted by the lag from then on, so rate sees
    /// no reset; without the counter flag values pass as they are.
    #[test]
    fn counter_adjustment_at_a_switch() {
        let a = floats(&[(10000, 10.0), (20000, 20.0), (30000, 30.0)]);
        // b restarted: its counter is behind a's.
        let b = floats(&[(10001, 5.0), (20001, 15.0), (30001, 25.0), (60001, 25.0), (70001, 35.0)]);
        let out = pairs(&penalty(vec![a.clone(), b.clone()], true));
        assert_eq!(out, [(10000, 10.0), (20000, 20.0), (30000, 30.0), (60001, 30.0), (70001, 40.0)]);
        let plain = pairs(&penalty(vec![a, b], false));
        assert_eq!(plain[3], (60001, 25.0));
    }

    #[test]
    fn chain_keeps_one_sample_per_timestamp() {
        let a = floats(&[(1, 1.0), (3, 1.0), (5, 1.0)]);
        let b = floats(&[(2, 2.0), (3, 2.0), (6, 2.0)]);
        assert_eq!(pairs(&chain(vec![a, b])), [(1, 1.0), (2, 2.0), (3, 1.0), (5, 1.0), (6, 2.0)]);
    }

    #[test]
    fn histograms_and_floats_mix() {
        let h = Value::Histogram(quiver_proto::FloatHistogram::default());
        let a = vec![(0, Value::Float(0.0))];
        let b = vec![(10000, h.clone()), (20000, h.clone()), (30000, h.clone()), (40000, h)];
        let out = penalty(vec![a, b], true);
        assert_eq!(out.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 10000, 20000, 30000, 40000]);
    }
}
