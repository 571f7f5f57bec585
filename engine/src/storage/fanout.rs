//! The querier's fan-out: one source over many members (remote StoreAPI endpoints, and the
//! in-process stores of `quiver up`), asking per request only the members whose external labels
//! and time range can match it, as Thanos's proxy store does:
//!
//! - a member's label sets match when one of them has no label contradicting a matcher (a
//!   matcher on a label the set lacks does not count), or when it has none;
//! - its time range must overlap the request's;
//! - `storeMatch[]` selectors, when given, pick members by `__address__` (any selector may match).
//!
//! A member that fails (or is known to be down) gives a warning naming it and the others still
//! answer (partial response), or, with partial response off, fails the request; warnings of the
//! members themselves then fail it too, as Thanos's `ABORT` strategy does.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, Matcher, MergeStore, SeriesFrame, SeriesRequest, SeriesStore,
    SeriesStream, StoreError, StoreFuture, StoreInfo, TimeRange,
};

/// One source the fan-out may ask.
#[derive(Debug, Clone)]
pub struct Member {
    pub store: Arc<dyn SeriesStore>,
    /// Its address, for `storeMatch[]`; `None` for an in-process store, which no `storeMatch[]`
    /// selects (as in Thanos).
    pub address: Option<String>,
    /// What it serves, when known.
    pub info: Option<StoreInfo>,
    /// Why it is known to be unreachable now; it is then not asked.
    pub down: Option<String>,
}

impl Member {
    /// An in-process store, always up.
    pub fn local(store: Arc<dyn SeriesStore>, info: Option<StoreInfo>) -> Self {
        Self { store, address: None, info, down: None }
    }

    fn matches(&self, matchers: &[Matcher], range: &TimeRange, store_match: &[Vec<Matcher>]) -> bool {
        if !store_match.is_empty() {
            let Some(addr) = &self.address else { return false };
            let picked = store_match
                .iter()
                .any(|set| set.iter().filter(|m| m.name == "__address__").all(|m| m.matches(addr)));
            if !picked {
                return false;
            }
        }
        let Some(info) = &self.info else { return true };
        if range.min > info.max_time || range.max < info.min_time {
            return false;
        }
        label_sets_match(matchers, &info.label_sets)
    }
}

/// Thanos's `LabelSetsMatch`: some set has no label a matcher rejects (or there are no sets).
pub fn label_sets_match(matchers: &[Matcher], sets: &[Labels]) -> bool {
    sets.is_empty()
        || sets.iter().any(|set| matchers.iter().all(|m| set.get(&m.name).is_none_or(|v| m.matches(v))))
}

/// How one request fans out.
#[derive(Debug, Clone, Default)]
pub struct FanoutOptions {
    /// Failing members give warnings (true) or fail the request (false).
    pub partial_response: bool,
    /// `storeMatch[]`: selectors on `__address__`.
    pub store_match: Vec<Vec<Matcher>>,
    /// `max_source_resolution`: the coarsest downsampled data the members may answer with
    /// (milliseconds; 0 for raw only), sent as StoreAPI's `max_resolution_window`.
    pub max_resolution_ms: i64,
}

/// Members fanned out to for one request.
#[derive(Debug)]
pub struct Fanout {
    name: String,
    members: Vec<Member>,
    opts: FanoutOptions,
}

impl Fanout {
    pub fn new(name: impl Into<String>, members: Vec<Member>, opts: FanoutOptions) -> Self {
        Self { name: name.into(), members, opts }
    }

    /// The members to ask for `matchers` over `range`: those up, and those down as errors.
    fn pick(&self, matchers: &[Matcher], range: &TimeRange) -> (Vec<Arc<dyn SeriesStore>>, Vec<StoreError>) {
        let mut up = Vec::new();
        let mut down = Vec::new();
        for m in self.members.iter().filter(|m| m.matches(matchers, range, &self.opts.store_match)) {
            match &m.down {
                None => up.push(Arc::clone(&m.store)),
                Some(why) => down.push(StoreError::unavailable(m.store.name(), why)),
            }
        }
        (up, down)
    }

    /// A member's error as the request takes it: a warning, or the request's failure.
    fn failed(&self, e: StoreError, what: &str) -> Result<String, StoreError> {
        if self.opts.partial_response { Ok(format!("{what} {}: {e}", e.store())) } else { Err(e) }
    }

    /// Label names, or the values of `name`, from every member that can match.
    async fn labels(&self, req: &LabelsRequest, name: Option<&str>) -> Result<LabelsAnswer, StoreError> {
        let what =
            if name.is_some() { "fetch label values from store" } else { "fetch label names from store" };
        let (up, down) = self.pick(&req.matchers, &req.range);
        let mut warnings = Vec::new();
        for e in down {
            warnings.push(self.failed(e, what)?);
        }
        let answers = futures::future::join_all(up.iter().map(|s| match name {
            Some(n) => s.label_values(n, req),
            None => s.label_names(req),
        }))
        .await;
        let mut values = std::collections::BTreeSet::new();
        for a in answers {
            match a {
                Ok(a) => {
                    if !self.opts.partial_response
                        && let Some(w) = a.warnings.first()
                    {
                        return Err(StoreError::unavailable(&self.name, w));
                    }
                    values.extend(a.values);
                    warnings.extend(a.warnings);
                }
                Err(e) => warnings.push(self.failed(e, what)?),
            }
        }
        let mut values: Vec<String> = values.into_iter().collect();
        if req.limit > 0 {
            values.truncate(req.limit);
        }
        Ok(LabelsAnswer { values, warnings })
    }
}

impl SeriesStore for Fanout {
    fn name(&self) -> &str {
        &self.name
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let mut out = StoreInfo::empty();
            for m in &self.members {
                match &m.info {
                    Some(i) => out.merge(i.clone()),
                    None => {
                        out.merge(StoreInfo { min_time: i64::MIN, max_time: i64::MAX, ..StoreInfo::empty() })
                    }
                }
            }
            Ok(out)
        })
    }

    fn series(self: Arc<Self>, mut req: SeriesRequest) -> SeriesStream {
        req.max_resolution_ms = req.max_resolution_ms.max(self.opts.max_resolution_ms);
        let (up, down) = self.pick(&req.matchers, &req.range);
        let mut first = Vec::new();
        for e in down {
            match self.failed(e, "fetch series for") {
                Ok(w) => first.push(Ok(SeriesFrame::Warning(w))),
                Err(e) => return quiver_proto::store::failed_stream(e),
            }
        }
        let partial = self.opts.partial_response;
        let guarded: Vec<Arc<dyn SeriesStore>> =
            up.into_iter().map(|s| Arc::new(Guarded { inner: s, partial }) as Arc<dyn SeriesStore>).collect();
        let merged = Arc::new(MergeStore::new(self.name.clone(), guarded)).series(req);
        Box::pin(futures::StreamExt::chain(futures::stream::iter(first), merged))
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(self.labels(req, None))
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(self.labels(req, Some(name)))
    }
}

/// A member's series answer under the request's partial response strategy: with it, an error
/// ends that member's answer as a warning; without it, a warning is an error.
#[derive(Debug)]
struct Guarded {
    inner: Arc<dyn SeriesStore>,
    partial: bool,
}

impl SeriesStore for Guarded {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        self.inner.info()
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        let inner = Arc::clone(&self.inner).series(req);
        Box::pin(GuardedStream {
            inner,
            partial: self.partial,
            name: self.inner.name().to_string(),
            done: false,
        })
    }

    fn shards_exactly(&self) -> bool {
        self.inner.shards_exactly()
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.inner.label_names(req)
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.inner.label_values(name, req)
    }
}

struct GuardedStream {
    inner: SeriesStream,
    partial: bool,
    name: String,
    done: bool,
}

impl Stream for GuardedStream {
    type Item = Result<SeriesFrame, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let polled = self.inner.as_mut().poll_next(cx);
        match polled {
            // The caller's own cancellation is never a member's partial failure.
            Poll::Ready(Some(Err(e))) if self.partial && !matches!(e, StoreError::Cancelled { .. }) => {
                self.done = true;
                Poll::Ready(Some(Ok(SeriesFrame::Warning(format!("fetch series for {}: {e}", self.name)))))
            }
            Poll::Ready(Some(Ok(SeriesFrame::Warning(w)))) if !self.partial => {
                self.done = true;
                Poll::Ready(Some(Err(StoreError::unavailable(&self.name, w))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use quiver_proto::MatchOp;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied()).unwrap()
    }

    #[test]
    fn label_sets_match_as_thanos() {
        let sets = [labels(&[("cluster", "eu"), ("replica", "a")]), labels(&[("cluster", "us")])];
        let m = |n: &str, v: &str| Matcher::equal(n, v);
        assert!(label_sets_match(&[m("cluster", "eu")], &sets));
        assert!(label_sets_match(&[m("cluster", "us"), m("replica", "b")], &sets));
        assert!(!label_sets_match(&[m("cluster", "asia")], &sets));
        // Labels the sets lack do not count; no sets match everything.
        assert!(label_sets_match(&[m("job", "x")], &sets));
        assert!(label_sets_match(&[m("cluster", "asia")], &[]));
        let re = Matcher::new(MatchOp::RegexMatch, "cluster", "e.*").unwrap();
        assert!(label_sets_match(&[re], &sets));
    }
}
