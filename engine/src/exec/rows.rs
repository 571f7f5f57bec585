//! The rows operators exchange: (series id, step timestamp, sample), where a sample is a float or
//! a native histogram. In Arrow batches a histogram travels as an index into the query's
//! [`HistArena`] (the `hist` column), so batches stay flat columns and a histogram is never
//! copied between operators.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, Float64Array, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::SchemaRef;
use quiver_proto::FloatHistogram;

use crate::error::{EngineError, Result};

pub(crate) type Hist = Arc<FloatHistogram>;

/// One sample's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    F(f64),
    H(Hist),
}

impl Val {
    pub(crate) fn float(&self) -> Option<f64> {
        match self {
            Val::F(v) => Some(*v),
            Val::H(_) => None,
        }
    }

    #[expect(dead_code, reason = "the histogram-aware operators use it")]
    pub(crate) fn hist(&self) -> Option<&Hist> {
        match self {
            Val::F(_) => None,
            Val::H(h) => Some(h),
        }
    }
}

/// The histograms travelling between the operators of one query, addressed by the `hist` column
/// of their batches. Each batch is read once, by the operator it is sent to, which takes its
/// histograms out; their slots are then reused, so the arena holds only the histograms of
/// batches in flight, not every histogram the query ever passed on.
#[derive(Debug, Default)]
pub(crate) struct HistArena {
    inner: Mutex<ArenaSlots>,
}

#[derive(Debug, Default)]
struct ArenaSlots {
    items: Vec<Option<Hist>>,
    free: Vec<u32>,
}

impl HistArena {
    fn put(&self, h: &Hist) -> u32 {
        let mut a = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match a.free.pop() {
            Some(i) => {
                a.items[i as usize] = Some(Arc::clone(h));
                i
            }
            None => {
                a.items.push(Some(Arc::clone(h)));
                (a.items.len() - 1) as u32
            }
        }
    }

    fn take(&self, i: u32) -> Option<Hist> {
        let mut a = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let h = a.items.get_mut(i as usize).and_then(Option::take)?;
        a.free.push(i);
        Some(h)
    }
}

/// Rows of (series id, step timestamp, value), the columns of `quiver_planner::sample_schema`.
/// Row `i` is a histogram when [`Rows::hist`] gives one (`values[i]` is then unused).
#[derive(Debug, Default, Clone)]
pub(crate) struct Rows {
    pub(crate) series: Vec<u32>,
    pub(crate) ts: Vec<i64>,
    pub(crate) values: Vec<f64>,
    /// Empty while every row is a float (no slot written per row); else one per row.
    hists: Vec<Option<Hist>>,
}

impl Rows {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            series: Vec::with_capacity(n),
            ts: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            hists: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, series: u32, ts: i64, v: f64) {
        self.series.push(series);
        self.ts.push(ts);
        self.values.push(v);
        if !self.hists.is_empty() {
            self.hists.push(None);
        }
    }

    pub(crate) fn push_hist(&mut self, series: u32, ts: i64, h: Hist) {
        self.with_hist_slots();
        self.series.push(series);
        self.ts.push(ts);
        self.values.push(f64::NAN);
        self.hists.push(Some(h));
    }

    pub(crate) fn push_val(&mut self, series: u32, ts: i64, v: Val) {
        match v {
            Val::F(f) => self.push(series, ts, f),
            Val::H(h) => self.push_hist(series, ts, h),
        }
    }

    pub(crate) fn val(&self, i: usize) -> Val {
        match self.hist(i) {
            Some(h) => Val::H(Arc::clone(h)),
            None => Val::F(self.values[i]),
        }
    }

    /// Row `i`'s histogram; `None` for a float.
    #[inline]
    pub(crate) fn hist(&self, i: usize) -> Option<&Hist> {
        self.hists.get(i).and_then(Option::as_ref)
    }

    pub(crate) fn len(&self) -> usize {
        self.series.len()
    }

    pub(crate) fn has_histograms(&self) -> bool {
        !self.hists.is_empty() && self.hists.iter().any(Option::is_some)
    }

    /// Gives the rows a histogram slot each (they get one only once a histogram arrives):
    /// called before rows holding a histogram are added.
    fn with_hist_slots(&mut self) {
        if self.hists.is_empty() {
            self.hists.resize(self.series.len(), None);
        }
    }

    /// After float rows were added: a float slot for each of them, if the rows have slots.
    fn pad_hist_slots(&mut self) {
        if !self.hists.is_empty() {
            self.hists.resize(self.series.len(), None);
        }
    }

    /// About what the rows take in memory, for the query's memory pool.
    pub(crate) fn mem_bytes(&self) -> usize {
        self.series.capacity() * 4 + (self.ts.capacity() + self.values.capacity() + self.hists.capacity()) * 8
    }

    /// Rows one after another, in order; the first's columns are kept and the rest appended.
    pub(crate) fn concat(parts: impl IntoIterator<Item = Rows>) -> Rows {
        let mut parts = parts.into_iter();
        let mut out = parts.next().unwrap_or_default();
        for mut p in parts {
            out.append(&mut p);
        }
        out
    }

    pub(crate) fn append(&mut self, other: &mut Rows) {
        if !other.hists.is_empty() {
            self.with_hist_slots();
        }
        self.series.append(&mut other.series);
        self.ts.append(&mut other.ts);
        self.values.append(&mut other.values);
        self.hists.append(&mut other.hists);
        self.pad_hist_slots();
    }

    /// Each run of rows of one series: `(series, start..end)`, in row order.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (u32, std::ops::Range<usize>)> + '_ {
        let mut i = 0;
        std::iter::from_fn(move || {
            let id = *self.series.get(i)?;
            let start = i;
            i += self.series[i..].iter().take_while(|&&s| s == id).count();
            Some((id, start..i))
        })
    }

    /// Rows `range` moved into rows of their own (the rest stay, in place).
    fn take_range(&mut self, range: std::ops::Range<usize>) -> Rows {
        Rows {
            series: self.series.drain(range.clone()).collect(),
            ts: self.ts.drain(range.clone()).collect(),
            values: self.values.drain(range.clone()).collect(),
            hists: if self.hists.is_empty() { Vec::new() } else { self.hists.drain(range).collect() },
        }
    }

    /// Splits sorted rows into parts of about `target` rows each, never splitting a series
    /// (operators downstream see each series whole, in one batch).
    pub(crate) fn split_by_series(mut self, target: usize) -> Vec<Rows> {
        if self.len() <= target {
            return vec![self];
        }
        let mut cuts = Vec::new();
        let mut size = 0;
        for (_, r) in self.runs() {
            if size > 0 && size + r.len() > target {
                cuts.push(r.start);
                size = 0;
            }
            size += r.len();
        }
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        for &cut in cuts.iter().rev() {
            parts.push(self.take_range(cut..self.len()));
        }
        parts.push(self);
        parts.reverse();
        parts
    }

    /// The rows as a batch; the columns' buffers are moved, not copied.
    pub(crate) fn into_batch(self, schema: SchemaRef, arena: &HistArena) -> Result<RecordBatch> {
        let hist: UInt32Array = if self.has_histograms() {
            self.hists.iter().map(|h| h.as_ref().map(|h| arena.put(h))).collect()
        } else {
            UInt32Array::new_null(self.len())
        };
        let cols: Vec<Arc<dyn Array>> = vec![
            Arc::new(UInt32Array::from(self.series)),
            Arc::new(Int64Array::from(self.ts)),
            Arc::new(Float64Array::from(self.values)),
            Arc::new(hist),
        ];
        RecordBatch::try_new(schema, cols).map_err(|e| EngineError::DataFusion(e.into()))
    }

    /// A batch of floats only, as its columns (series, timestamp, value), read in place; `None`
    /// when the batch holds histograms (read it with [`Rows::extend_from_record_batch`]).
    pub(crate) fn float_columns(b: &RecordBatch) -> Option<(&[u32], &[i64], &[f64])> {
        let s = b.column(0).as_any().downcast_ref::<UInt32Array>()?;
        let t = b.column(1).as_any().downcast_ref::<Int64Array>()?;
        let v = b.column(2).as_any().downcast_ref::<Float64Array>()?;
        let h = b.column(3).as_any().downcast_ref::<UInt32Array>()?;
        (h.null_count() == h.len()).then(|| (&s.values()[..], &t.values()[..], &v.values()[..]))
    }

    /// Appends a batch's rows, taking its histograms out of the arena: a batch is read once.
    pub(crate) fn extend_from_record_batch(&mut self, b: &RecordBatch, arena: &HistArena) -> Result<()> {
        let bad = || EngineError::Eval("internal: operator input has an unexpected schema".into());
        let s = b.column(0).as_any().downcast_ref::<UInt32Array>().ok_or_else(bad)?;
        let t = b.column(1).as_any().downcast_ref::<Int64Array>().ok_or_else(bad)?;
        let v = b.column(2).as_any().downcast_ref::<Float64Array>().ok_or_else(bad)?;
        let h = b.column(3).as_any().downcast_ref::<UInt32Array>().ok_or_else(bad)?;
        if h.null_count() != h.len() {
            self.with_hist_slots();
        }
        self.series.extend(s.values().iter());
        self.ts.extend(t.values().iter());
        self.values.extend(v.values().iter());
        if h.null_count() == h.len() {
            self.pad_hist_slots();
        } else {
            for i in h {
                self.hists.push(match i {
                    Some(i) => Some(arena.take(i).ok_or_else(bad)?),
                    None => None,
                });
            }
        }
        Ok(())
    }

    /// Samples grouped by step timestamp, in row order within a step. Each row's step is found
    /// next to the previous row's (rows go series by series, step by step) or by binary search,
    /// and each step's samples are allocated once.
    pub(crate) fn by_step(&self) -> BTreeMap<i64, Vec<(u32, Val)>> {
        let mut steps = self.ts.clone();
        steps.sort_unstable();
        steps.dedup();
        let mut prev = 0;
        let slots: Vec<usize> = self
            .ts
            .iter()
            .map(|&t| {
                prev = match steps.get(prev + 1) {
                    Some(&next) if next == t => prev + 1,
                    _ => steps.partition_point(|&x| x < t),
                };
                prev
            })
            .collect();
        let mut sizes = vec![0usize; steps.len()];
        for &s in &slots {
            sizes[s] += 1;
        }
        let mut groups: Vec<Vec<(u32, Val)>> = sizes.into_iter().map(Vec::with_capacity).collect();
        for (i, &s) in slots.iter().enumerate() {
            groups[s].push((self.series[i], self.val(i)));
        }
        steps.into_iter().zip(groups).collect()
    }

    /// Rows sorted by (series, timestamp), the order every operator emits. Operators that
    /// produce series by series are mostly sorted already: then the rows are returned as they are.
    pub(crate) fn sorted(mut self) -> Self {
        let key = |i: usize| (self.series[i], self.ts[i]);
        if (1..self.len()).all(|i| key(i - 1) <= key(i)) {
            return self;
        }
        let mut idx: Vec<usize> = (0..self.len()).collect();
        idx.sort_by_key(|&i| (self.series[i], self.ts[i]));
        self.series = idx.iter().map(|&i| self.series[i]).collect();
        self.ts = idx.iter().map(|&i| self.ts[i]).collect();
        self.values = idx.iter().map(|&i| self.values[i]).collect();
        if !self.hists.is_empty() {
            self.hists = idx.iter().map(|&i| self.hists[i].clone()).collect();
        }
        self
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Float rows of `(series, t, value)`, in the given order.
    pub(crate) fn rows(samples: &[(u32, i64, f64)]) -> Rows {
        let mut r = Rows::default();
        for &(s, t, v) in samples {
            r.push(s, t, v);
        }
        r
    }

    #[test]
    fn by_step_keeps_row_order_within_a_step() {
        let r = rows(&[(2, 20, 1.0), (2, 10, 2.0), (1, 10, 3.0), (1, 30, 4.0), (3, 20, 5.0)]);
        let got: Vec<(i64, Vec<(u32, f64)>)> = r
            .by_step()
            .into_iter()
            .map(|(t, s)| (t, s.into_iter().map(|(id, v)| (id, v.float().unwrap())).collect()))
            .collect();
        let want = vec![(10, vec![(2, 2.0), (1, 3.0)]), (20, vec![(2, 1.0), (3, 5.0)]), (30, vec![(1, 4.0)])];
        assert_eq!(got, want);
    }

    /// Each row as `(series, t, value or NaN, whether a histogram)`, with the slot invariant checked.
    fn shape(r: &Rows) -> Vec<(u32, i64, u64, bool)> {
        assert!(
            r.hists.is_empty() || r.hists.len() == r.len(),
            "{} slots for {} rows",
            r.hists.len(),
            r.len()
        );
        (0..r.len()).map(|i| (r.series[i], r.ts[i], r.values[i].to_bits(), r.hist(i).is_some())).collect()
    }

    #[test]
    fn histogram_slots_appear_only_with_a_histogram_and_survive_every_reshaping() {
        let h = || Arc::new(FloatHistogram { count: 1.0, ..Default::default() });
        let floats = rows(&[(1, 10, 1.0), (1, 20, 2.0), (2, 10, 3.0)]);
        assert!(floats.hists.is_empty() && !floats.has_histograms());
        let mut mixed = rows(&[(3, 10, 4.0)]);
        mixed.push_hist(3, 20, h());
        mixed.push(4, 10, 5.0);
        assert_eq!(
            shape(&mixed),
            vec![
                (3, 10, 4f64.to_bits(), false),
                (3, 20, f64::NAN.to_bits(), true),
                (4, 10, 5f64.to_bits(), false)
            ]
        );
        // Appending floats to mixed rows and mixed rows to floats keeps one slot per row.
        let mut a = mixed.clone();
        a.append(&mut floats.clone());
        let mut b = floats.clone();
        b.append(&mut mixed.clone());
        assert_eq!(shape(&a).len(), 6);
        assert_eq!(shape(&b).iter().filter(|r| r.3).count(), 1);
        assert_eq!(shape(&b)[4], (3, 20, f64::NAN.to_bits(), true));
        // Sorting, splitting and a trip through a record batch keep each row's kind.
        let sorted = b.sorted();
        assert_eq!(
            shape(&sorted).iter().map(|r| (r.0, r.1, r.3)).collect::<Vec<_>>(),
            vec![
                (1, 10, false),
                (1, 20, false),
                (2, 10, false),
                (3, 10, false),
                (3, 20, true),
                (4, 10, false)
            ]
        );
        let parts = sorted.split_by_series(2);
        assert!(parts.iter().all(|p| !shape(p).is_empty()));
        assert_eq!(
            parts.iter().map(|p| p.has_histograms()).collect::<Vec<_>>(),
            vec![false, false, true, false]
        );
        let arena = HistArena::default();
        let schema = crate::exec::common::arrow_schema();
        let mut back = Rows::default();
        for p in parts {
            let batch = p.into_batch(Arc::clone(&schema), &arena).unwrap();
            back.extend_from_record_batch(&batch, &arena).unwrap();
            shape(&back);
        }
        assert_eq!(back.len(), 6);
        assert_eq!((0..6).filter(|&i| back.hist(i).is_some()).collect::<Vec<_>>(), vec![4]);
        let mut floats_back = Rows::default();
        let batch = floats.clone().into_batch(Arc::clone(&schema), &arena).unwrap();
        floats_back.extend_from_record_batch(&batch, &arena).unwrap();
        assert!(floats_back.hists.is_empty());
        assert!(Rows::float_columns(&batch).is_some());
    }

    #[test]
    fn sorted_orders_by_series_then_time() {
        let r = rows(&[(2, 20, 1.0), (2, 10, 2.0), (1, 30, 3.0)]).sorted();
        assert_eq!((r.series, r.ts, r.values), (vec![1, 2, 2], vec![30, 10, 20], vec![3.0, 2.0, 1.0]));
        let already = rows(&[(1, 10, 1.0), (1, 20, 2.0), (2, 10, 3.0)]).sorted();
        assert_eq!(already.values, vec![1.0, 2.0, 3.0]);
    }
}
