//! The input of an aggregation regrouped step by step. Operators emit rows series by series;
//! an aggregation reads them step by step, each step's samples in the order of its members
//! (series sorted by labels, as Prometheus iterates them).

use quiver_planner::EvalSteps;

use super::super::common::{Rows, Val};

/// Rows grouped by step, steps ascending.
#[derive(Debug)]
pub(super) struct StepRows {
    /// Each step with rows: its timestamp and the end of its rows in `entries`.
    steps: Vec<(i64, usize)>,
    entries: Vec<Entry>,
    /// Whether any row holds a histogram.
    hists: bool,
}

/// One input row at its step. The float value is copied here because the rows are stored series
/// by series and read step by step: reading it from the rows would miss the cache every time.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Entry {
    pub(super) member: u32,
    row: u32,
    value: f64,
}

impl StepRows {
    /// Groups `input` by step; `members[m]` is the series id of member `m`, and rows of other
    /// series are left out. Within a step, entries go by member, then row order. Two counting
    /// passes over the rows, no hashing or sorting per sample: rows are ordered by member, then
    /// dealt out to their steps in that order.
    pub(super) fn new(input: &Rows, members: &[u32], grid: EvalSteps) -> Self {
        let n = members.len();
        let max_id = members.iter().max().map_or(0, |&id| id as usize);
        let mut member_of = vec![u32::MAX; max_id + 1];
        for (m, &id) in members.iter().enumerate() {
            member_of[id as usize] = m as u32;
        }
        // Rows of other series map past the end.
        let member =
            |row: usize| member_of.get(input.series[row] as usize).map_or(usize::MAX, |&m| m as usize);
        // Rows by member, stable: count, prefix sums, place.
        let mut start = vec![0usize; n + 1];
        for row in 0..input.len() {
            let m = member(row);
            if m < n {
                start[m + 1] += 1;
            }
        }
        for m in 0..n {
            start[m + 1] += start[m];
        }
        let mut order = vec![0u32; start[n]];
        for row in 0..input.len() {
            let m = member(row);
            if m < n {
                order[start[m]] = row as u32;
                start[m] += 1;
            }
        }
        // Then by step, stable, the same way.
        let slots = StepSlots::new(&input.ts, grid);
        let slot_of: Vec<u32> = input.ts.iter().map(|&t| slots.slot(t) as u32).collect();
        let mut at = vec![0usize; slots.len() + 1];
        for &row in &order {
            at[slot_of[row as usize] as usize + 1] += 1;
        }
        for s in 0..slots.len() {
            at[s + 1] += at[s];
        }
        let steps: Vec<(i64, usize)> =
            (0..slots.len()).filter(|&s| at[s + 1] > at[s]).map(|s| (slots.ts(s), at[s + 1])).collect();
        let mut entries = vec![Entry::default(); order.len()];
        for row in order {
            let s = slot_of[row as usize] as usize;
            let (member, value) = (member(row as usize) as u32, input.values[row as usize]);
            entries[at[s]] = Entry { member, row, value };
            at[s] += 1;
        }
        StepRows { steps, entries, hists: input.has_histograms() }
    }

    /// The value of an entry of `input`, the rows the entries were made from.
    pub(super) fn val(&self, e: &Entry, input: &Rows) -> Val {
        if self.hists { input.val(e.row as usize) } else { Val::F(e.value) }
    }

    /// Each step's timestamp and entries.
    pub(super) fn iter(&self) -> impl Iterator<Item = (i64, &[Entry])> {
        let starts = std::iter::once(0).chain(self.steps.iter().map(|s| s.1));
        self.steps.iter().zip(starts).map(|(&(t, end), start)| (t, &self.entries[start..end]))
    }
}

/// The distinct timestamps of some rows, ascending, each with its slot.
enum StepSlots {
    /// Every timestamp is one of the evaluation steps (the usual case): the slot is the step's
    /// index, found by arithmetic.
    Grid(EvalSteps),
    /// Other timestamps: sorted and deduplicated, found by binary search.
    Sorted(Vec<i64>),
}

impl StepSlots {
    fn new(ts: &[i64], grid: EvalSteps) -> Self {
        let on_grid = |t: i64| t >= grid.start && t <= grid.end && (t - grid.start) % grid.step == 0;
        if grid.step > 0 && ts.iter().all(|&t| on_grid(t)) {
            return Self::Grid(grid);
        }
        let mut ts = ts.to_vec();
        ts.sort_unstable();
        ts.dedup();
        Self::Sorted(ts)
    }

    fn len(&self) -> usize {
        match self {
            Self::Grid(g) => g.len(),
            Self::Sorted(ts) => ts.len(),
        }
    }

    fn ts(&self, slot: usize) -> i64 {
        match self {
            Self::Grid(g) => g.start + slot as i64 * g.step,
            Self::Sorted(ts) => ts[slot],
        }
    }

    fn slot(&self, t: i64) -> usize {
        match self {
            Self::Grid(g) => ((t - g.start) / g.step) as usize,
            Self::Sorted(ts) => ts.partition_point(|&x| x < t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::rows::tests::rows;

    fn grouped(s: &StepRows) -> Vec<(i64, Vec<(u32, f64)>)> {
        s.iter().map(|(t, es)| (t, es.iter().map(|e| (e.member, e.value)).collect())).collect()
    }

    #[test]
    fn groups_by_step_in_member_order() {
        // Series 7 is member 0, series 3 member 1; series 5 is no member.
        let input = rows(&[(3, 0, 1.0), (3, 10, 2.0), (5, 0, 9.0), (7, 10, 3.0), (7, 20, 4.0), (7, 0, 5.0)]);
        let want = vec![(0, vec![(0, 5.0), (1, 1.0)]), (10, vec![(0, 3.0), (1, 2.0)]), (20, vec![(0, 4.0)])];
        assert_eq!(grouped(&StepRows::new(&input, &[7, 3], EvalSteps::range(0, 20, 10))), want);
        // Timestamps off the grid take the sorted path, with the same result.
        assert_eq!(grouped(&StepRows::new(&input, &[7, 3], EvalSteps::range(0, 20, 7))), want);
    }
}
