//! `BinaryExec`: arithmetic, comparison and set operators between scalars and vectors, with
//! Prometheus's vector matching (`on`, `ignoring`, `group_left`, `group_right`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use quiver_planner::node::{Binary, Cardinality, VectorMatching};
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::common::{QueryContext, Rows, prom_exec};
use crate::error::{EngineError, Result};

prom_exec!(BinaryExec, Binary);

fn is_comparison(op: &str) -> bool {
    matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=")
}

/// Applies `op`; for a comparison returns the left value and whether the pair passes.
fn apply(op: &str, l: f64, r: f64) -> (f64, bool) {
    match op {
        "+" => (l + r, true),
        "-" => (l - r, true),
        "*" => (l * r, true),
        "/" => (l / r, true),
        "%" => (l % r, true),
        "^" => (l.powf(r), true),
        "atan2" => (l.atan2(r), true),
        "==" => (l, l == r),
        "!=" => (l, l != r),
        ">" => (l, l > r),
        "<" => (l, l < r),
        ">=" => (l, l >= r),
        "<=" => (l, l <= r),
        _ => (f64::NAN, false),
    }
}

/// The labels two series are matched on.
fn signature(labels: &Labels, matching: Option<&VectorMatching>) -> Labels {
    let keep: Vec<Label> = labels
        .iter()
        .filter(|l| match matching {
            Some(m) if m.on => m.labels.contains(&l.name),
            Some(m) => !m.labels.contains(&l.name) && l.name != METRIC_NAME,
            None => l.name != METRIC_NAME,
        })
        .cloned()
        .collect();
    Labels::from_sorted(keep).unwrap_or_default()
}

struct Ctx<'a> {
    node: &'a Binary,
    qctx: &'a QueryContext,
    /// Visible labels per series id, computed once.
    labels: HashMap<u32, Labels>,
    sigs: HashMap<u32, Labels>,
}

impl Ctx<'_> {
    fn labels(&mut self, id: u32) -> Labels {
        let q = self.qctx;
        self.labels.entry(id).or_insert_with(|| q.series.get(id).visible_labels()).clone()
    }
    fn sig(&mut self, id: u32) -> Labels {
        if let Some(s) = self.sigs.get(&id) {
            return s.clone();
        }
        let l = self.labels(id);
        let s = signature(&l, self.node.matching.as_ref());
        self.sigs.insert(id, s.clone());
        s
    }
    /// Whether the result of `op` loses the metric name: arithmetic, or a comparison with `bool`.
    fn drops_name(&self) -> bool {
        !is_comparison(&self.node.op) || self.node.return_bool
    }
}

impl BinaryExec {
    async fn run(node: Binary, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let rhs = inputs.pop().unwrap_or_default().float_by_step("binary operators")?;
        let lhs = inputs.pop().unwrap_or_default().float_by_step("binary operators")?;
        let mut cx = Ctx { node: &node, qctx: &qctx, labels: HashMap::new(), sigs: HashMap::new() };
        let mut rows = Rows::default();
        let empty = Vec::new();
        for t in node.steps.timestamps() {
            let l = lhs.get(&t).unwrap_or(&empty);
            let r = rhs.get(&t).unwrap_or(&empty);
            match (node.lhs_scalar, node.rhs_scalar) {
                (true, true) => {
                    if let (Some(a), Some(b)) = (l.first(), r.first()) {
                        let (v, keep) = apply(&node.op, a.1, b.1);
                        let v = if is_comparison(&node.op) { f64::from(u8::from(keep)) } else { v };
                        rows.push(a.0, t, v);
                    }
                }
                (false, true) => {
                    Self::vector_scalar(&mut cx, &mut rows, t, l, r.first().map(|s| s.1), false)?
                }
                (true, false) => Self::vector_scalar(&mut cx, &mut rows, t, r, l.first().map(|s| s.1), true)?,
                (false, false) => match node.card {
                    Cardinality::ManyToMany => Self::set_op(&mut cx, &mut rows, t, l, r),
                    _ => Self::vector_vector(&mut cx, &mut rows, t, l, r)?,
                },
            }
        }
        Ok(rows.sorted())
    }

    fn vector_scalar(
        cx: &mut Ctx<'_>,
        rows: &mut Rows,
        t: i64,
        vector: &[(u32, f64)],
        scalar: Option<f64>,
        scalar_left: bool,
    ) -> Result<()> {
        let Some(s) = scalar else { return Ok(()) };
        let op = cx.node.op.clone();
        let comparison = is_comparison(&op);
        for &(id, v) in vector {
            let (l, r) = if scalar_left { (s, v) } else { (v, s) };
            let (mut value, keep) = apply(&op, l, r);
            if comparison {
                // The vector's own value is kept, whichever side it is on.
                value = v;
                if cx.node.return_bool {
                    value = f64::from(u8::from(keep));
                } else if !keep {
                    continue;
                }
            }
            let out = if cx.drops_name() { cx.qctx.series.with_name_dropped(id) } else { id };
            rows.push(out, t, value);
        }
        Ok(())
    }

    fn set_op(cx: &mut Ctx<'_>, rows: &mut Rows, t: i64, l: &[(u32, f64)], r: &[(u32, f64)]) {
        let rsigs: std::collections::HashSet<Labels> = r.iter().map(|(id, _)| cx.sig(*id)).collect();
        match cx.node.op.as_str() {
            "and" => l
                .iter()
                .filter(|(id, _)| rsigs.contains(&cx.sig(*id)))
                .for_each(|(id, v)| rows.push(*id, t, *v)),
            "unless" => l
                .iter()
                .filter(|(id, _)| !rsigs.contains(&cx.sig(*id)))
                .for_each(|(id, v)| rows.push(*id, t, *v)),
            _ => {
                let lsigs: std::collections::HashSet<Labels> = l.iter().map(|(id, _)| cx.sig(*id)).collect();
                l.iter().for_each(|(id, v)| rows.push(*id, t, *v));
                r.iter()
                    .filter(|(id, _)| !lsigs.contains(&cx.sig(*id)))
                    .for_each(|(id, v)| rows.push(*id, t, *v));
            }
        }
    }

    fn vector_vector(
        cx: &mut Ctx<'_>,
        rows: &mut Rows,
        t: i64,
        l: &[(u32, f64)],
        r: &[(u32, f64)],
    ) -> Result<()> {
        // Prometheus matches the "many" side against the "one" side; group_right swaps them.
        let (many, one, swapped) = match &cx.node.card {
            Cardinality::OneToMany(_) => (r, l, true),
            _ => (l, r, false),
        };
        let mut one_by_sig: HashMap<Labels, (u32, f64)> = HashMap::new();
        for &(id, v) in one {
            let sig = cx.sig(id);
            if let Some(prev) = one_by_sig.insert(sig.clone(), (id, v)) {
                let side = if swapped { "left" } else { "right" };
                let (a, b) = (cx.labels(prev.0), cx.labels(id));
                return Err(EngineError::Eval(format!(
                    "found duplicate series for the match group {sig} on the {side} hand-side of the operation: [{a}, {b}];many-to-many matching not allowed: matching labels must be unique on one side"
                )));
            }
        }
        let include: Vec<String> = match &cx.node.card {
            Cardinality::ManyToOne(l) | Cardinality::OneToMany(l) => l.clone(),
            _ => Vec::new(),
        };
        let one_to_one = matches!(cx.node.card, Cardinality::OneToOne);
        let mut seen_many: HashMap<Labels, u32> = HashMap::new();
        let mut out_seen: BTreeMap<Labels, ()> = BTreeMap::new();
        let op = cx.node.op.clone();
        for &(id, v) in many {
            let sig = cx.sig(id);
            let Some(&(oid, ov)) = one_by_sig.get(&sig) else { continue };
            if one_to_one && seen_many.insert(sig.clone(), id).is_some() {
                return Err(EngineError::Eval(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                ));
            }
            let (lv, rv) = if swapped { (ov, v) } else { (v, ov) };
            let (mut value, keep) = apply(&op, lv, rv);
            if is_comparison(&op) {
                if cx.node.return_bool {
                    value = f64::from(u8::from(keep));
                } else if !keep {
                    continue;
                } else {
                    value = lv;
                }
            }
            let labels = Self::result_labels(cx, id, oid, &include, one_to_one);
            let drop = cx.drops_name();
            let out = cx.qctx.series.intern(labels.clone(), drop && labels.metric_name().is_some());
            let visible = cx.qctx.series.get(out).visible_labels();
            if out_seen.insert(visible, ()).is_some() {
                return Err(EngineError::Eval("vector cannot contain metrics with the same labelset".into()));
            }
            rows.push(out, t, value);
        }
        Ok(())
    }

    fn result_labels(
        cx: &mut Ctx<'_>,
        many_id: u32,
        one_id: u32,
        include: &[String],
        one_to_one: bool,
    ) -> Labels {
        let base = cx.labels(many_id);
        let mut kept: Vec<Label> = base
            .iter()
            .filter(|l| {
                if !one_to_one {
                    return true;
                }
                match &cx.node.matching {
                    Some(m) if m.on => m.labels.contains(&l.name),
                    Some(m) => !m.labels.contains(&l.name),
                    None => true,
                }
            })
            .cloned()
            .collect();
        if !include.is_empty() {
            let one = cx.labels(one_id);
            kept.retain(|l| !include.contains(&l.name));
            for name in include {
                if let Some(v) = one.get(name) {
                    kept.push(Label::new(name.clone(), v));
                }
            }
            kept.sort();
        }
        Labels::from_sorted(kept).unwrap_or_default()
    }
}
