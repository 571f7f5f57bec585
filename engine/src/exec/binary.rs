//! `BinaryExec`: arithmetic, comparison, trim and set operators between scalars and vectors of
//! floats and native histograms, with Prometheus's vector matching (`on`, `ignoring`,
//! `group_left`, `group_right`). What one pair of samples gives is in [`binary_elem`].
//!
//! [`binary_elem`]: super::binary_elem

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::FutureExt;
use futures::future::BoxFuture;
use quiver_planner::node::{Binary, Cardinality, VectorMatching};
use quiver_proto::{Label, Labels, METRIC_NAME};

use super::binary_elem::{Op, elem};
use super::common::{Emission, ExecCore, fmt_partitions, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{BatchEval, BlockingStream, Kernel, MapStream, SideInputs};
use super::rows::{Rows, Val};
use crate::annotations::{Annotation, at};
use crate::error::{EngineError, Result};
use crate::series_table::{has_metadata, without_name};

/// The operator between a vector and a scalar streams over the vector, in as many partitions as
/// it has, the scalar read once as a side input; between two vectors (vector matching) or two
/// scalars it reads both sides whole, building its matching tables once for all steps.
#[derive(Debug)]
pub(crate) struct BinaryExec {
    node: Binary,
    core: ExecCore,
    /// With one vector side: which child it is, and the scalar side.
    vector_side: Option<usize>,
    scalar: SideInputs,
}

pub(crate) type BinaryScalarStream = MapStream<BinaryScalarEval>;
pub(crate) type BinaryStream = BlockingStream<BinaryKernel>;

impl BinaryExec {
    /// `children` are the left and right operands.
    pub(crate) fn new(node: Binary, children: Vec<Arc<dyn ExecutionPlan>>, qctx: Arc<QueryContext>) -> Self {
        let vector_side = match (node.lhs_scalar, node.rhs_scalar) {
            (false, true) => Some(0),
            (true, false) => Some(1),
            _ => None,
        };
        let (partitions, emission, scalar) = match vector_side {
            Some(v) => {
                let n = children.get(v).map_or(1, |c| c.properties().output_partitioning().partition_count());
                (
                    n,
                    Emission::Incremental,
                    SideInputs::new(children.get(1 - v).cloned().into_iter().collect()),
                )
            }
            None => (1, Emission::Final, SideInputs::default()),
        };
        let props = properties(partitions, emission, true);
        Self { node, core: ExecCore::new(children, qctx, props), vector_side, scalar }
    }
}

impl DisplayAs for BinaryExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BinaryExec: ")?;
        self.node.fmt_for_explain(f)?;
        fmt_partitions(f, &self.core)
    }
}

impl ExecutionPlan for BinaryExec {
    plan_accessors!("BinaryExec");

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self::new(self.node.clone(), children, Arc::clone(&self.core.qctx))))
    }

    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> datafusion::error::Result<SendableRecordBatchStream> {
        let qctx = Arc::clone(&self.core.qctx);
        let metrics = self.core.metrics_for(partition);
        if let Some(v) = self.vector_side
            && let Some(vector) = self.core.children.get(v)
        {
            let input = vector.execute(partition, Arc::clone(&ctx))?;
            let scalar = self.scalar.get(ctx, Arc::clone(&qctx));
            let eval =
                BinaryScalarEval { node: self.node.clone(), qctx: Arc::clone(&qctx), vector_left: v == 0 };
            return Ok(Box::pin(BinaryScalarStream::new(input, scalar, eval, qctx, metrics)));
        }
        let kernel = BinaryKernel { node: self.node.clone(), qctx: Arc::clone(&qctx) };
        let children = self.core.children.clone();
        Ok(Box::pin(BinaryStream::new(kernel, children, ctx, qctx, metrics, "BinaryExec")))
    }
}

/// A vector and a scalar, one batch of the vector's series at a time.
pub(crate) struct BinaryScalarEval {
    node: Binary,
    qctx: Arc<QueryContext>,
    vector_left: bool,
}

impl BatchEval for BinaryScalarEval {
    fn eval(&mut self, input: Rows, sides: &[Arc<Rows>], out: &mut Rows) -> Result<()> {
        let scalar = sides.first().map(|s| Rows::clone(s)).unwrap_or_default();
        let inputs = if self.vector_left { vec![input, scalar] } else { vec![scalar, input] };
        let mut rows = BinaryExec::eval(&self.node, &self.qctx, inputs)?;
        out.append(&mut rows);
        Ok(())
    }
}

/// Two vectors (or two scalars), whole.
pub(crate) struct BinaryKernel {
    node: Binary,
    qctx: Arc<QueryContext>,
}

impl Kernel for BinaryKernel {
    fn run(self, inputs: Vec<Rows>) -> BoxFuture<'static, Result<Rows>> {
        async move { BinaryExec::eval(&self.node, &self.qctx, inputs) }.boxed()
    }
}

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

/// Label sets numbered in order of first sight, so that steps compare and hash numbers.
#[derive(Debug, Default)]
struct Interned<K> {
    ids: HashMap<K, u32>,
}

impl<K: std::hash::Hash + Eq> Interned<K> {
    fn id(&mut self, k: K) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(k).or_insert(next)
    }
}

/// What a matched pair of series gives, worked out at its first match and reused at every step.
struct Pair {
    /// The result's labels.
    labels: Labels,
    /// Many-to-one matching: the labels that must be unique within a match group, interned.
    key: u32,
    /// The output series and its visible labels (interned), once a sample was kept.
    out: Option<(u32, u32)>,
}

/// The operator's state across steps: everything derived from labels is computed once per series
/// (or matched pair), so a step deals in numbers.
struct Ctx<'a> {
    node: &'a Binary,
    op: Op,
    qctx: &'a QueryContext,
    /// The signature (interned) of each input series, by series id; `u32::MAX` until computed.
    sig_of: Vec<u32>,
    sigs: Interned<Labels>,
    /// Signature labels by interned id, for error messages.
    sig_labels: Vec<Labels>,
    pairs: HashMap<(u32, u32), Pair>,
    keys: Interned<Labels>,
    visible: Interned<Arc<Labels>>,
    /// `fill()` stand-ins by match group.
    fill_ids: HashMap<u32, u32>,
}

impl Ctx<'_> {
    fn labels(&self, id: u32) -> Arc<Labels> {
        self.qctx.series.visible(id)
    }

    /// The interned signature of a series.
    fn sig(&mut self, id: u32) -> u32 {
        if let Some(&s) = self.sig_of.get(id as usize)
            && s != u32::MAX
        {
            return s;
        }
        let sig = signature(&self.qctx.entry(id).labels, self.node.matching.as_ref());
        let s = self.sigs.id(sig.clone());
        if s as usize == self.sig_labels.len() {
            self.sig_labels.push(sig);
        }
        if self.sig_of.len() <= id as usize {
            self.sig_of.resize(id as usize + 1, u32::MAX);
        }
        self.sig_of[id as usize] = s;
        s
    }

    /// Matches series `many` with series `one` (once), and gives the pair's grouping key.
    fn pair_key(&mut self, many: u32, one: u32, include: &[String], one_to_one: bool) -> u32 {
        if let Some(p) = self.pairs.get(&(many, one)) {
            return p.key;
        }
        let labels = BinaryExec::result_labels(self, many, one, include, one_to_one);
        let key = if self.op.changes_metric_schema() { without_name(&labels) } else { labels.clone() };
        let key = self.keys.id(key);
        self.pairs.insert((many, one), Pair { labels, key, out: None });
        key
    }

    /// The output series of a pair [`Ctx::pair_key`] matched, and its interned visible labels;
    /// the series is registered at the pair's first kept sample, as Prometheus would meet it.
    fn out(&mut self, many: u32, one: u32) -> (u32, u32) {
        let drops_name = self.drops_name();
        let (qctx, pairs, visible) = (self.qctx, &mut self.pairs, &mut self.visible);
        let Some(p) = pairs.get_mut(&(many, one)) else { return (many, u32::MAX) };
        *p.out.get_or_insert_with(|| {
            let drop = drops_name && has_metadata(&p.labels);
            let out = qctx.series.add(p.labels.clone(), drop);
            (out, visible.id(qctx.series.visible(out)))
        })
    }
    /// The stand-in series of a match group a side lacks, under `fill()`: it has the group's
    /// matching labels only, as in Prometheus.
    fn fill_series(&mut self, sig: u32) -> u32 {
        if let Some(&id) = self.fill_ids.get(&sig) {
            return id;
        }
        let id = self.qctx.series.add(self.sig_labels[sig as usize].clone(), false);
        self.fill_ids.insert(sig, id);
        id
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

/// One step's matching of the "many" side against the "one" side: the groups matched so far
/// (to find duplicates), and the step's annotation.
struct Matches {
    t: i64,
    swapped: bool,
    include: Vec<String>,
    one_to_one: bool,
    /// One-to-one: the match groups used.
    matched: HashSet<u32>,
    /// Many-to-one: the result label sets per match group.
    grouped: HashMap<u32, HashSet<u32>>,
    out_seen: HashSet<u32>,
    last: Option<Annotation>,
}

impl Matches {
    /// The operator over one matched pair (Prometheus's `doBinOp`).
    fn pair(
        &mut self,
        cx: &mut Ctx<'_>,
        rows: &mut Rows,
        sig: u32,
        (id, v): (u32, &Val),
        (oid, ov): (u32, &Val),
    ) -> Result<()> {
        let (lv, rv) = if self.swapped { (ov, v) } else { (v, ov) };
        let e = match elem(cx.op, lv, rv)? {
            Ok(e) => e,
            Err(a) => {
                self.last = Some(a);
                return Ok(());
            }
        };
        if e.info.is_some() {
            self.last = e.info;
        }
        let (val, keep) = if cx.node.return_bool { (bool_val(e.keep), true) } else { (e.val, e.keep) };
        let key = cx.pair_key(id, oid, &self.include, self.one_to_one);
        if self.one_to_one {
            if !self.matched.insert(sig) {
                return Err(EngineError::Eval(
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                ));
            }
        } else if !self.grouped.entry(sig).or_default().insert(key) {
            return Err(EngineError::Eval(
                "multiple matches for labels: grouping labels must ensure unique matches".into(),
            ));
        }
        if !keep {
            return Ok(());
        }
        let (out, visible) = cx.out(id, oid);
        if !self.out_seen.insert(visible) {
            return Err(EngineError::Eval("vector cannot contain metrics with the same labelset".into()));
        }
        rows.push_val(out, self.t, val);
        Ok(())
    }
}

fn bool_val(keep: bool) -> Val {
    Val::F(f64::from(u8::from(keep)))
}

impl BinaryExec {
    fn eval(node: &Binary, qctx: &QueryContext, mut inputs: Vec<Rows>) -> Result<Rows> {
        let op = Op::parse(&node.op)?;
        let rhs = inputs.pop().unwrap_or_default().by_step();
        let lhs = inputs.pop().unwrap_or_default().by_step();
        let mut cx = Ctx {
            node,
            op,
            qctx,
            sig_of: Vec::new(),
            sigs: Interned::default(),
            sig_labels: Vec::new(),
            pairs: HashMap::new(),
            keys: Interned::default(),
            visible: Interned::default(),
            fill_ids: HashMap::new(),
        };
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
        let rsigs: HashSet<u32> = r.iter().map(|(id, _)| cx.sig(*id)).collect();
        let mut push = |(id, v): &(u32, Val)| rows.push_val(*id, t, v.clone());
        match cx.op {
            Op::And => l.iter().filter(|(id, _)| rsigs.contains(&cx.sig(*id))).for_each(&mut push),
            Op::Unless => l.iter().filter(|(id, _)| !rsigs.contains(&cx.sig(*id))).for_each(&mut push),
            _ => {
                let lsigs: HashSet<u32> = l.iter().map(|(id, _)| cx.sig(*id)).collect();
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
        let (fill_lhs, fill_rhs) = (cx.node.fill_lhs.map(|v| v.get()), cx.node.fill_rhs.map(|v| v.get()));
        if (l.is_empty() && r.is_empty())
            || ((l.is_empty() || r.is_empty()) && fill_lhs.is_none() && fill_rhs.is_none())
        {
            // Nothing can match; not even duplicates on one side are an error then.
            return Ok(None);
        }
        // Prometheus matches the "many" side against the "one" side; group_right swaps them
        // (and, as Prometheus does, the fill values keep their meaning for the swapped sides:
        // `fill_rhs` stands in for a missing "one", `fill_lhs` for a missing "many").
        let (many, one, swapped) = match &cx.node.card {
            Cardinality::OneToMany(_) => (r, l, true),
            _ => (l, r, false),
        };
        let mut one_by_sig: HashMap<u32, (u32, &Val)> = HashMap::with_capacity(one.len());
        for (id, v) in one {
            let s = cx.sig(*id);
            if let Some((prev, _)) = one_by_sig.insert(s, (*id, v)) {
                let sig = &cx.sig_labels[s as usize];
                let side = if swapped { "left" } else { "right" };
                let mut dup = [cx.labels(prev).to_string(), cx.labels(*id).to_string()];
                dup.sort();
                return Err(EngineError::Eval(format!(
                    "found duplicate series for the match group {sig} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                    dup[0], dup[1]
                )));
            }
        }
        let mut m = Matches {
            t,
            swapped,
            include: match &cx.node.card {
                Cardinality::ManyToOne(l) | Cardinality::OneToMany(l) => l.clone(),
                _ => Vec::new(),
            },
            one_to_one: matches!(cx.node.card, Cardinality::OneToOne),
            matched: HashSet::new(),
            grouped: HashMap::new(),
            out_seen: HashSet::new(),
            last: None,
        };
        for (id, v) in many {
            let sig = cx.sig(*id);
            match (one_by_sig.get(&sig), fill_rhs) {
                (Some(&(oid, ov)), _) => m.pair(cx, rows, sig, (*id, v), (oid, ov))?,
                (None, Some(fill)) => {
                    let oid = cx.fill_series(sig);
                    m.pair(cx, rows, sig, (*id, v), (oid, &Val::F(fill)))?;
                }
                (None, None) => {}
            }
        }
        if let Some(fill) = fill_lhs {
            for (id, v) in one {
                let sig = cx.sig(*id);
                let done = if m.one_to_one { m.matched.contains(&sig) } else { m.grouped.contains_key(&sig) };
                if !done {
                    let fake = cx.fill_series(sig);
                    m.pair(cx, rows, sig, (fake, &Val::F(fill)), (*id, v))?;
                }
            }
        }
        Ok(m.last)
    }

    fn result_labels(
        cx: &Ctx<'_>,
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
