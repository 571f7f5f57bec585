//! Functions whose output is not one sample per input sample: `absent`, the `sort` family,
//! `timestamp` of an expression, `min_of`/`max_of`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use quiver_planner::node::Call;
use quiver_proto::{Label, Labels};

use super::common::{QueryContext, Rows};
use crate::annotations::Annotation;
use crate::error::Result;
use crate::functions::{go_max, go_min};

/// Evaluates `node` if it is one of these functions.
pub(super) fn eval(node: &Call, qctx: &QueryContext, inputs: &mut Vec<Rows>) -> Result<Option<Rows>> {
    let name = node.func.as_str();
    let mut rows = Rows::default();
    match name {
        "absent" => {
            let input = inputs.pop().unwrap_or_default();
            let present: std::collections::HashSet<i64> = input.ts.iter().copied().collect();
            let mut labels = Vec::new();
            for pair in node.strings.chunks(2) {
                if let [n, v] = pair {
                    labels.push(Label::new(n.clone(), v.clone()));
                }
            }
            labels.sort();
            let id = qctx.series.add(Labels::from_sorted(labels).unwrap_or_default(), false);
            for t in node.steps.timestamps().filter(|t| !present.contains(t)) {
                rows.push(id, t, 1.0);
            }
            Ok(Some(rows))
        }
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => {
            let input = inputs.pop().unwrap_or_default();
            if node.steps.len() > 1 {
                qctx.warn(Annotation::SortInRangeQuery.message(crate::annotations::at(node.pos)));
                return Ok(Some(input));
            }
            Ok(Some(sort(name, &node.strings, qctx, input)))
        }
        "timestamp" => {
            // Of an expression, not a selector: the evaluation time.
            let input = inputs.pop().unwrap_or_default();
            for i in 0..input.len() {
                rows.push(
                    qctx.series.with_name_dropped(input.series[i]),
                    input.ts[i],
                    input.ts[i] as f64 / 1000.0,
                );
            }
            Ok(Some(rows.sorted()))
        }
        "min_of" | "max_of" => {
            let scalars: Vec<BTreeMap<i64, f64>> =
                inputs.iter().map(|r| (0..r.len()).map(|i| (r.ts[i], r.values[i])).collect()).collect();
            let empty = qctx.series.add(Labels::empty(), false);
            for t in node.steps.timestamps() {
                let arg = |i: usize| scalars.get(i).and_then(|m| m.get(&t)).copied().unwrap_or(f64::NAN);
                let (a, b) = (arg(0), arg(1));
                let v = if name == "min_of" { go_min(a, b) } else { go_max(a, b) };
                rows.push(empty, t, v);
            }
            Ok(Some(rows))
        }
        _ => Ok(None),
    }
}

/// An instant query's result order. `sort`/`sort_desc` keep floats only and put NaN last.
fn sort(name: &str, by: &[String], qctx: &QueryContext, input: Rows) -> Rows {
    let mut idx: Vec<usize> = (0..input.len()).collect();
    let labels: Vec<Arc<Labels>> = input.series.iter().map(|id| qctx.series.visible(*id)).collect();
    match name {
        "sort" | "sort_desc" => {
            idx.retain(|&i| input.hist(i).is_none());
            let desc = name == "sort_desc";
            idx.sort_by(|&a, &b| {
                let (x, y) = (input.values[a], input.values[b]);
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ if desc => y.partial_cmp(&x).unwrap_or(Ordering::Equal),
                    _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                }
            });
        }
        _ => {
            let desc = name == "sort_by_label_desc";
            idx.sort_by(|&a, &b| {
                for l in by {
                    let (x, y) = (labels[a].get(l).unwrap_or(""), labels[b].get(l).unwrap_or(""));
                    if x == y {
                        continue;
                    }
                    let o = if natural_less(x, y) { Ordering::Less } else { Ordering::Greater };
                    return if desc { o.reverse() } else { o };
                }
                let o = labels[a].cmp(&labels[b]);
                if desc { o.reverse() } else { o }
            });
        }
    }
    let mut out = Rows::default();
    for i in idx {
        out.push_val(input.series[i], input.ts[i], input.val(i));
    }
    out
}

/// Natural order as Prometheus's `sort_by_label` compares label values: runs of digits compare
/// as numbers, other runs as strings.
pub(crate) fn natural_less(a: &str, b: &str) -> bool {
    let (ca, cb) = (chunks(a), chunks(b));
    for (i, x) in ca.iter().enumerate() {
        let Some(y) = cb.get(i) else { return false };
        let equal = match (x.parse::<i64>(), y.parse::<i64>()) {
            (Ok(p), Ok(q)) if p != q => return p < q,
            (Ok(_), Ok(_)) => true,
            _ if x != y => return x < y,
            _ => true,
        };
        if equal {
            if i == ca.len() - 1 {
                return true;
            }
            if i == cb.len() - 1 {
                return false;
            }
        }
    }
    false
}

fn chunks(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_digit: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let d = c.is_ascii_digit();
        if prev_digit.is_some_and(|p| p != d) {
            out.push(&s[start..i]);
            start = i;
        }
        prev_digit = Some(d);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_digit_runs_as_numbers() {
        assert!(natural_less("a2", "a10"));
        assert!(!natural_less("a10", "a2"));
        assert!(natural_less("1.2.3.4", "10.0.0.1"));
        assert!(natural_less("abc", "abd"));
        assert!(natural_less("x", "x1"));
        assert!(!natural_less("x1", "x"));
    }
}
