//! `topk`, `bottomk`, `limitk` and `limit_ratio`: each group keeps some of its input samples,
//! as Prometheus's `aggregationK` picks them. topk and bottomk keep the k largest or smallest
//! floats in a binary heap (ignoring histograms, with an info annotation); limitk keeps the first
//! k samples and limit_ratio the samples whose series' label hash falls in the ratio, histograms
//! included. The heap is Go's `container/heap` with Prometheus's orderings, so ties are broken,
//! and an instant query's samples ordered, as Prometheus does.

use quiver_proto::Labels;
use twox_hash::XxHash64;

use super::super::common::Val;
use crate::annotations::Annotation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KOp {
    Topk,
    Bottomk,
    Limitk,
    LimitRatio,
}

impl KOp {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "topk" => Self::Topk,
            "bottomk" => Self::Bottomk,
            "limitk" => Self::Limitk,
            "limit_ratio" => Self::LimitRatio,
            _ => return None,
        })
    }

    /// Prometheus's heap order: topk's heap (also used by limitk and limit_ratio) has the
    /// smallest value on top, bottomk's the largest; NaN goes on top of both.
    fn less(self, a: f64, b: f64) -> bool {
        a.is_nan() || if self == Self::Bottomk { a > b } else { a < b }
    }
}

/// A sample in a group's heap; `f` is 0 for a histogram (Prometheus orders them so).
#[derive(Debug, Clone)]
struct Entry {
    member: usize,
    f: f64,
    v: Val,
}

/// Go's `container/heap` over `Entry` with `KOp::less`.
#[derive(Debug)]
struct GoHeap {
    op: KOp,
    items: Vec<Entry>,
}

impl GoHeap {
    fn less(&self, i: usize, j: usize) -> bool {
        self.op.less(self.items[i].f, self.items[j].f)
    }

    fn push(&mut self, e: Entry) {
        self.items.push(e);
        self.up(self.items.len() - 1);
    }

    /// `heap.Fix(h, 0)`.
    fn fix_top(&mut self) {
        if !self.down(0) {
            self.up(0);
        }
    }

    fn up(&mut self, mut j: usize) {
        while j > 0 {
            let i = (j - 1) / 2;
            if !self.less(j, i) {
                break;
            }
            self.items.swap(i, j);
            j = i;
        }
    }

    fn down(&mut self, i0: usize) -> bool {
        let n = self.items.len();
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            if j1 + 1 < n && self.less(j1 + 1, j1) {
                j = j1 + 1;
            }
            if !self.less(j, i) {
                break;
            }
            self.items.swap(i, j);
            i = j;
        }
        i > i0
    }

    /// `sort.Sort(sort.Reverse(heap))`: largest first for topk, smallest first for bottomk.
    /// Go sorts up to 12 elements by insertion sort, which is reproduced exactly (ties and NaN
    /// included); longer heaps are sorted stably by the same order, NaN last.
    fn into_sorted(mut self) -> Vec<Entry> {
        let n = self.items.len();
        if n <= 12 {
            for i in 1..n {
                let mut j = i;
                while j > 0 && self.less(j - 1, j) {
                    self.items.swap(j, j - 1);
                    j -= 1;
                }
            }
        } else {
            let bottom = self.op == KOp::Bottomk;
            self.items.sort_by(|a, b| match (a.f.is_nan(), b.f.is_nan()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ if bottom => a.f.total_cmp(&b.f),
                _ => b.f.total_cmp(&a.f),
            });
        }
        self.items
    }
}

/// The sampling offset in [0, 1] of a series for limit_ratio: Prometheus's `labels.Hash()` (the
/// default `stringlabels` build: xxhash64 of each name and value, length-prefixed) over the
/// largest u64, so the same series is picked at every step and by every replica.
pub(super) fn ratio_offset(labels: &Labels) -> f64 {
    XxHash64::oneshot(0, &stringlabels_bytes(labels)) as f64 / u64::MAX as f64
}

/// The bytes of a label set in Prometheus's `stringlabels` layout: each name and value preceded
/// by its length, one byte below 255, else 255 and three bytes little-endian.
pub(super) fn stringlabels_bytes(labels: &Labels) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    for l in labels {
        for s in [&l.name, &l.value] {
            let n = s.len();
            if n < 255 {
                buf.push(n as u8);
            } else {
                buf.extend_from_slice(&[255, n as u8, (n >> 8) as u8, (n >> 16) as u8]);
            }
            buf.extend_from_slice(s.as_bytes());
        }
    }
    buf
}

/// Whether a series with sampling `offset` is kept by `ratio` in [-1, 1]: a positive ratio
/// keeps the offsets below it, a negative one the complement from the top.
fn ratio_keeps(ratio: f64, offset: f64) -> bool {
    (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
}

/// Picks samples for one operation over a fixed set of input series.
#[derive(Debug)]
pub(super) struct Selector {
    op: KOp,
    /// Group of each input series.
    group_of: Vec<usize>,
    groups: usize,
    /// limit_ratio's sampling offset of each input series.
    offsets: Vec<f64>,
}

impl Selector {
    pub(super) fn new(op: KOp, group_of: &[usize], groups: usize, labels: &[&Labels]) -> Self {
        let offsets =
            if op == KOp::LimitRatio { labels.iter().map(|l| ratio_offset(l)).collect() } else { Vec::new() };
        Self { op, group_of: group_of.to_vec(), groups, offsets }
    }

    /// The samples kept at one step, from `samples` (input series index, value) in input order,
    /// given the parameter's value at this step; in Prometheus's instant-query order.
    pub(super) fn step(
        &self,
        param: f64,
        samples: &[(usize, Val)],
        annotations: &mut Vec<Annotation>,
    ) -> Vec<(usize, Val)> {
        let op = self.op;
        // k is capped by the number of input series over the whole range, as in Prometheus.
        let k = (param as i64).min(self.group_of.len() as i64);
        let ratio = param.clamp(-1.0, 1.0);
        let nothing = match op {
            KOp::LimitRatio => param == 0.0,
            _ => k < 1,
        };
        if nothing || samples.is_empty() {
            return Vec::new();
        }
        let k = k.max(0) as usize;
        let mut heaps: Vec<Option<GoHeap>> = (0..self.groups).map(|_| None).collect();
        for (m, v) in samples {
            let (f, is_hist) = match v {
                Val::F(f) => (*f, false),
                Val::H(_) => (0.0, true),
            };
            let e = Entry { member: *m, f, v: v.clone() };
            let heap = heaps[self.group_of[*m]].get_or_insert_with(|| GoHeap { op, items: Vec::new() });
            match op {
                KOp::Topk | KOp::Bottomk if is_hist => {
                    let aggregation = if op == KOp::Topk { "topk" } else { "bottomk" };
                    annotations
                        .push(Annotation::HistogramIgnoredInAggregation { aggregation: aggregation.into() });
                }
                KOp::Topk | KOp::Bottomk => {
                    if heap.items.len() < k {
                        heap.push(e);
                        continue;
                    }
                    // The top is the smallest kept value for topk, the largest for bottomk.
                    let top = heap.items[0].f;
                    let better = if op == KOp::Topk { top < f } else { top > f };
                    if better || (top.is_nan() && !f.is_nan()) {
                        heap.items[0] = e;
                        if k > 1 {
                            heap.fix_top();
                        }
                    }
                }
                KOp::Limitk => {
                    if heap.items.len() < k {
                        heap.push(e);
                    }
                }
                KOp::LimitRatio => {
                    if ratio_keeps(ratio, self.offsets[*m]) {
                        heap.push(e);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for heap in heaps.into_iter().flatten() {
            let items = match op {
                KOp::Topk | KOp::Bottomk if heap.items.len() > 1 => heap.into_sorted(),
                _ => heap.items,
            };
            out.extend(items.into_iter().map(|e| (e.member, e.v)));
        }
        out
    }
}
