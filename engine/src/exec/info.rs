//! `InfoExec`: `info(v, {selector})` as Prometheus's `evalInfo` computes it. The info series
//! are selected once, for the identifying label values (`instance`, `job`) that `v` has; at each
//! step each series of `v` takes the data labels of the newest matching info series per info
//! metric.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use datafusion::execution::TaskContext;
use datafusion::logical_expr::UserDefinedLogicalNodeCore;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, SendableRecordBatchStream};
use futures::FutureExt;
use futures::future::BoxFuture;
use quiver_planner::node::{Info, StepTimes};
use quiver_proto::{Labels, METRIC_NAME, MatchOp, Matcher, TimeRange};

use super::common::{Emission, ExecCore, compile_matchers, plan_accessors, properties};
use super::context::QueryContext;
use super::drive::{BlockingStream, Kernel};
use super::rows::Rows;
use super::samples::{decode_samples, newest_in_lookback};
use crate::error::{EngineError, Result};

/// Joins its whole input with the info series it selects itself.
#[derive(Debug)]
pub(crate) struct InfoExec {
    node: Info,
    core: ExecCore,
}

pub(crate) type InfoStream = BlockingStream<InfoKernel>;

impl InfoExec {
    pub(crate) fn new(node: Info, children: Vec<Arc<dyn ExecutionPlan>>, qctx: Arc<QueryContext>) -> Self {
        let props = properties(1, Emission::Final, true);
        Self { node, core: ExecCore::new(children, qctx, props) }
    }
}

impl DisplayAs for InfoExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfoExec: ")?;
        self.node.fmt_for_explain(f)
    }
}

impl ExecutionPlan for InfoExec {
    plan_accessors!("InfoExec");

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
        let kernel = InfoKernel { node: self.node.clone(), qctx: Arc::clone(&qctx) };
        let children = self.core.children.clone();
        Ok(Box::pin(InfoStream::new(kernel, children, ctx, qctx, metrics, "InfoExec")))
    }
}

pub(crate) struct InfoKernel {
    node: Info,
    qctx: Arc<QueryContext>,
}

impl Kernel for InfoKernel {
    fn run(self, inputs: Vec<Rows>) -> BoxFuture<'static, Result<Rows>> {
        async move { InfoExec::eval(self.node, self.qctx, inputs).await }.boxed()
    }
}

/// The labels an info series is joined on.
const IDENTIFYING: [&str; 2] = ["instance", "job"];
const TARGET_INFO: &str = "target_info";

/// One info series: its labels, its metric name and identifying label values (what it is
/// joined on), and per step the timestamp of its sample in effect then.
struct InfoSeries {
    labels: Arc<Labels>,
    name: String,
    ids: Vec<String>,
    at_step: HashMap<i64, i64>,
}

/// The newest info sample at a step per (info metric, identifying label values).
type Newest<'a> = HashMap<(&'a str, &'a [String]), (i64, &'a InfoSeries)>;

impl InfoExec {
    async fn eval(node: Info, qctx: Arc<QueryContext>, mut inputs: Vec<Rows>) -> Result<Rows> {
        let base = inputs.pop().unwrap_or_default();
        let all = compile_matchers(&node.data_matchers)?;
        let (name_matchers, data): (Vec<Matcher>, Vec<Matcher>) =
            all.into_iter().partition(|m| m.name == METRIC_NAME);
        let name_matchers = if node.has_selector {
            effective_name_matchers(name_matchers)?
        } else {
            vec![Matcher::new(MatchOp::Equal, METRIC_NAME, TARGET_INFO).map_err(eval)?]
        };
        // Data label matchers by label name.
        let mut data_by_name: BTreeMap<String, Vec<Matcher>> = BTreeMap::new();
        for m in data {
            data_by_name.entry(m.name.clone()).or_default().push(m);
        }

        // Series of `v` that are info series themselves are passed on unchanged.
        let base_ids: BTreeSet<u32> = base.series.iter().copied().collect();
        let mut ignored: HashSet<u32> = HashSet::new();
        let mut id_values: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for &id in &base_ids {
            let labels = qctx.entry(id).labels;
            let name = labels.metric_name().unwrap_or_default();
            if name_matchers.iter().all(|m| m.matches(name)) {
                ignored.insert(id);
                continue;
            }
            for l in IDENTIFYING {
                if let Some(v) = labels.get(l).filter(|v| !v.is_empty()) {
                    id_values.entry(l).or_default().insert(v.to_string());
                }
            }
        }
        let infos = if id_values.is_empty() {
            Vec::new()
        } else {
            Self::select_info(&node, &qctx, &id_values, &data_by_name, &name_matchers).await?
        };
        let info_names: BTreeSet<&str> = infos.iter().map(|s| s.name.as_str()).collect();

        let mut rows = Rows::default();
        let by_step = base.by_step();
        let mut out_ids: HashMap<(u32, Vec<(String, String)>), u32> = HashMap::new();
        for (t, samples) in &by_step {
            qctx.check()?;
            // The newest info sample per (info metric, identifying labels) at this step.
            let mut newest: Newest<'_> = HashMap::new();
            for s in &infos {
                let Some(&orig) = s.at_step.get(t) else { continue };
                let key = (s.name.as_str(), s.ids.as_slice());
                match newest.get(&key) {
                    Some(&(prev, _)) if prev > orig => {}
                    Some(&(prev, existing)) if prev == orig => {
                        return Err(EngineError::Eval(format!(
                            "found duplicate series for info metric: existing {} @ {prev}, new {} @ {orig}",
                            existing.labels, s.labels
                        )));
                    }
                    _ => {
                        newest.insert(key, (orig, s));
                    }
                }
            }
            let mut seen_out: HashSet<Arc<Labels>> = HashSet::new();
            for (id, v) in samples {
                if ignored.contains(id) {
                    rows.push_val(*id, *t, v.clone());
                    continue;
                }
                let entry = qctx.entry(*id);
                let ids = identifying(&entry.labels);
                let Some(added) =
                    Self::data_labels(&entry.labels, &ids, &info_names, &newest, &data_by_name)?
                else {
                    continue;
                };
                let out = match out_ids.get(&(*id, added.clone())) {
                    Some(&out) => out,
                    None => {
                        let extra = Labels::from_pairs(added.iter().map(|(n, v)| (n.as_str(), v.as_str())))
                            .map_err(eval)?;
                        let out = qctx.series.add(entry.labels.merged_with(&extra), entry.drop_name);
                        out_ids.insert((*id, added), out);
                        out
                    }
                };
                if !seen_out.insert(qctx.series.visible(out)) {
                    return Err(EngineError::Eval(
                        "vector cannot contain metrics with the same labelset".into(),
                    ));
                }
                rows.push_val(out, *t, v.clone());
            }
        }
        Ok(rows.sorted())
    }

    /// The data labels a series of `v` gains at a step; `None` when it has to be left out (no
    /// info series matched while a data matcher needs a value).
    fn data_labels(
        base: &Labels,
        ids: &[String],
        info_names: &BTreeSet<&str>,
        newest: &Newest<'_>,
        data: &BTreeMap<String, Vec<Matcher>>,
    ) -> Result<Option<Vec<(String, String)>>> {
        let mut added: BTreeMap<String, String> = BTreeMap::new();
        let mut seen = 0;
        for name in info_names {
            let Some((_, info)) = newest.get(&(*name, ids)) else { continue };
            for l in info.labels.iter().filter(|l| l.name != METRIC_NAME) {
                if !data.is_empty() && !data.contains_key(&l.name) {
                    continue;
                }
                if added.get(&l.name).is_some_and(|v| *v != l.value) {
                    return Err(EngineError::Eval(format!("conflicting label: {}", l.name)));
                }
                if base.get(&l.name).is_some() {
                    continue;
                }
                added.insert(l.name.clone(), l.value.clone());
            }
            seen += 1;
        }
        if seen == 0 && data.values().flatten().any(|m| !m.matches("")) {
            return Ok(None);
        }
        Ok(Some(added.into_iter().collect()))
    }

    /// The info series for the identifying values of `v`, each evaluated at every step as an
    /// instant selector would (as of the first selector's `@` and offset).
    async fn select_info(
        node: &Info,
        qctx: &QueryContext,
        id_values: &BTreeMap<&str, BTreeSet<String>>,
        data: &BTreeMap<String, Vec<Matcher>>,
        name_matchers: &[Matcher],
    ) -> Result<Vec<InfoSeries>> {
        let mut matchers = Vec::new();
        for (name, values) in id_values {
            let re = values.iter().map(|v| regex::escape(v)).collect::<Vec<_>>().join("|");
            matchers.push(Matcher::new(MatchOp::RegexMatch, *name, re).map_err(eval)?);
        }
        matchers.extend(data.values().flatten().cloned());
        matchers.extend(name_matchers.iter().cloned());
        let Some(StepTimes { times: steps, lo, hi }) = node.reference.step_times(node.steps.timestamps())
        else {
            return Ok(Vec::new());
        };
        let range = TimeRange::new(lo - node.lookback_ms + 1, hi);
        let mut out = Vec::new();
        for s in qctx.select_all(&matchers, range).await? {
            let samples = decode_samples(&s)?;
            qctx.account(samples.len())?;
            let mut at_step = HashMap::new();
            let mut cursor = 0;
            for &(t, r) in &steps {
                let Some(i) = newest_in_lookback(&samples, &mut cursor, r, node.lookback_ms) else {
                    continue;
                };
                if samples.hist(i).is_some() {
                    return Err(EngineError::Eval("info sample should be float".into()));
                }
                at_step.insert(t, samples.ts[i]);
            }
            let name = s.labels.metric_name().unwrap_or_default().to_string();
            let ids = identifying(&s.labels);
            out.push(InfoSeries { labels: Arc::new(s.labels), name, ids, at_step });
        }
        Ok(out)
    }
}

/// The values of the identifying labels (empty when missing).
fn identifying(labels: &Labels) -> Vec<String> {
    IDENTIFYING.iter().map(|l| labels.get(l).unwrap_or_default().to_string()).collect()
}

/// The `__name__` matchers that pick the info metrics (Prometheus's `effectiveInfoNameMatchers`):
/// as given when one of them is positive, after a `.+_info` one when all are negative, and
/// `target_info` when there are none.
fn effective_name_matchers(given: Vec<Matcher>) -> Result<Vec<Matcher>> {
    if given.iter().any(|m| matches!(m.op, MatchOp::Equal | MatchOp::RegexMatch)) {
        return Ok(given);
    }
    if given.is_empty() {
        return Ok(vec![Matcher::new(MatchOp::Equal, METRIC_NAME, TARGET_INFO).map_err(eval)?]);
    }
    let mut out = vec![Matcher::new(MatchOp::RegexMatch, METRIC_NAME, ".+_info").map_err(eval)?];
    out.extend(given);
    Ok(out)
}

fn eval(e: quiver_proto::Error) -> EngineError {
    EngineError::Eval(e.to_string())
}
