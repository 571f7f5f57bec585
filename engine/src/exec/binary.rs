//! `BinaryExec`: arithmetic, comparison, trim and set operators between scalars and vectors of
//! floats and native histograms, with Prometheus's vector matching (`on`, `ignoring`,
//! `group_left`, `group_right`). What one pair of samples gives is in [`binary_elem`].
//!
//! [`binary_elem`]: super::binary_elem

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use quiver_planner::node::{Binary, Cardinality, VectorMatching};
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::binary_elem::{Op, elem};
use super::common::{QueryContext, Rows, Val, prom_exec};
use crate::annotations::{Annotation, at};
use crate::error::{EngineError, Result};
use crate::series_table::without_name;

prom_exec!(BinaryExec, Binary);

/// The samples of one step: (series id, value).
type Samples = [(u32, Val)];

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
    op: Op,
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
    /// Whether the result loses the metric name: arithmetic, or a comparison with `bool`.
    fn drops_name(&self) -> bool {
        self.op.changes_metric_schema() || self.node.return_bool
    }
    /// Reports a step's annotation. Prometheus keeps one per step and operator, the last one
    /// an element produced.
    fn annotate(&self, a: Option<Annotation>) {
        match a {
            Some(a) if a.is_warning() => self.qctx.warn(a.message(at(self.node.pos))),
            Some(a) => self.qctx.info(a.message(at(self.node.pos))),
            None => {}
        }
    }
}

fn bool_val(keep: bool) -> Val {
    Val::F(f64::from(u8::from(keep)))
}

impl BinaryExec {
    async fn run(node: Binary, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let op = Op::parse(&node.op)?;
        let rhs = inputs.pop().unwrap_or_default().by_step();
        let lhs = inputs.pop().unwrap_or_default().by_step();
        let mut cx = Ctx { node: &node, op, qctx: &qctx, labels: HashMap::new(), sigs: HashMap::new() };
        let mut rows = Rows::default();
        let empty = Vec::new();
        let scalar = |s: &Samples| s.first().and_then(|(_, v)| v.float());
        for t in node.steps.timestamps() {
            qctx.check()?;
            let l = lhs.get(&t).unwrap_or(&empty);
            let r = rhs.get(&t).unwrap_or(&empty);
            let annotation = match (node.lhs_scalar, node.rhs_scalar) {
                (true, true) => {
                    if let (Some((id, _)), Some(a), Some(b)) = (l.first(), scalar(l), scalar(r)) {
                        rows.push(*id, t, op.scalar(a, b)?);
                    }
                    None
                }
                (false, true) => Self::vector_scalar(&mut cx, &mut rows, t, l, scalar(r), false)?,
                (true, false) => Self::vector_scalar(&mut cx, &mut rows, t, r, scalar(l), true)?,
                (false, false) => match node.card {
                    Cardinality::ManyToMany => {
                        Self::set_op(&mut cx, &mut rows, t, l, r);
                        None
                    }
                    _ => Self::vector_vector(&mut cx, &mut rows, t, l, r)?,
                },
            };
            cx.annotate(annotation);
        }
        Ok(rows.sorted())
    }

    /// Prometheus's `VectorscalarBinop`; returns the step's annotation.
    fn vector_scalar(
        cx: &mut Ctx<'_>,
        rows: &mut Rows,
        t: i64,
        vector: &Samples,
        scalar: Option<f64>,
        scalar_left: bool,
    ) -> Result<Option<Annotation>> {
        let Some(s) = scalar else { return Ok(None) };
        let s = Val::F(s);
        let mut last = None;
        for (id, v) in vector {
            let (l, r) = if scalar_left { (&s, v) } else { (v, &s) };
            let e = match elem(cx.op, l, r)? {
                Ok(e) => e,
                Err(a) => {
                    last = Some(a);
                    continue;
                }
            };
            let (mut val, mut keep) = (e.val, e.keep);
            if cx.op.is_comparison() && scalar_left {
                // The vector's own value is kept, whichever side it is on.
                val = v.clone();
            }
            if cx.node.return_bool {
                val = bool_val(keep);
                keep = true;
            }
            if keep {
                let out = if cx.drops_name() { cx.qctx.series.with_name_dropped(*id) } else { *id };
                rows.push_val(out, t, val);
            }
        }
        Ok(last)
    }

    fn set_op(cx: &mut Ctx<'_>, rows: &mut Rows, t: i64, l: &Samples, r: &Samples) {
        let rsigs: HashSet<Labels> = r.iter().map(|(id, _)| cx.sig(*id)).collect();
        let mut push = |(id, v): &(u32, Val)| rows.push_val(*id, t, v.clone());
        match cx.op {
            Op::And => l.iter().filter(|(id, _)| rsigs.contains(&cx.sig(*id))).for_each(&mut push),
            Op::Unless => l.iter().filter(|(id, _)| !rsigs.contains(&cx.sig(*id))).for_each(&mut push),
            _ => {
                let lsigs: HashSet<Labels> = l.iter().map(|(id, _)| cx.sig(*id)).collect();
                l.iter().for_each(&mut push);
                r.iter().filter(|(id, _)| !lsigs.contains(&cx.sig(*id))).for_each(&mut push);
            }
        }
    }

    /// Prometheus's `VectorBinop`; returns the step's annotation.
    fn vector_vector(
        cx: &mut Ctx<'_>,
        rows: &mut Rows,
        t: i64,
        l: &Samples,
        r: &Samples,
    ) -> Result<Option<Annotation>> {
        if l.is_empty() || r.is_empty() {
            // Nothing can match; not even duplicates on one side are an error then.
            return Ok(None);
        }
        // Prometheus matches the "many" side against the "one" side; group_right swaps them.
        let (many, one, swapped) = match &cx.node.card {
            Cardinality::OneToMany(_) => (r, l, true),
            _ => (l, r, false),
        };
        let mut one_by_sig: HashMap<Labels, (u32, &Val)> = HashMap::new();
        for (id, v) in one {
            let sig = cx.sig(*id);
            if let Some((prev, _)) = one_by_sig.insert(sig.clone(), (*id, v)) {
                let side = if swapped { "left" } else { "right" };
                let mut dup = [cx.labels(prev).to_string(), cx.labels(*id).to_string()];
                dup.sort();
                return Err(EngineError::Eval(format!(
                    "found duplicate series for the match group {sig} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                    dup[0], dup[1]
                )));
            }
        }
        let include: Vec<String> = match &cx.node.card {
            Cardinality::ManyToOne(l) | Cardinality::OneToMany(l) => l.clone(),
            _ => Vec::new(),
        };
        let one_to_one = matches!(cx.node.card, Cardinality::OneToOne);
        // One-to-one: the match groups used. Many-to-one: the result label sets per group.
        let mut matched: HashSet<Labels> = HashSet::new();
        let mut grouped: HashMap<Labels, HashSet<Labels>> = HashMap::new();
        let mut out_seen: HashSet<Labels> = HashSet::new();
        let mut last = None;
        for (id, v) in many {
            let sig = cx.sig(*id);
            let Some(&(oid, ov)) = one_by_sig.get(&sig) else { continue };
            let (lv, rv) = if swapped { (ov, v) } else { (v, ov) };
            let e = match elem(cx.op, lv, rv)? {
                Ok(e) => e,
                Err(a) => {
                    last = Some(a);
                    continue;
                }
            };
            if e.info.is_some() {
                last = e.info;
            }
            let (val, keep) = if cx.node.return_bool { (bool_val(e.keep), true) } else { (e.val, e.keep) };
            let labels = Self::result_labels(cx, *id, oid, &include, one_to_one);
            if one_to_one {
                if !matched.insert(sig) {
                    return Err(EngineError::Eval(
                        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                    ));
                }
            } else {
                let key = if cx.op.changes_metric_schema() { without_name(&labels) } else { labels.clone() };
                if !grouped.entry(sig).or_default().insert(key) {
                    return Err(EngineError::Eval(
                        "multiple matches for labels: grouping labels must ensure unique matches".into(),
                    ));
                }
            }
            if !keep {
                continue;
            }
            let drop = cx.drops_name() && labels.metric_name().is_some();
            let out = cx.qctx.series.intern(labels, drop);
            if !out_seen.insert(cx.qctx.series.get(out).visible_labels()) {
                return Err(EngineError::Eval("vector cannot contain metrics with the same labelset".into()));
            }
            rows.push_val(out, t, val);
        }
        Ok(last)
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

#[cfg(test)]
#[path = "tests_binary.rs"]
mod tests;
