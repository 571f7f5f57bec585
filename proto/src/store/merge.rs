//! A sorted merge of sources: one source whose series are those of all of them. Series with the
//! same labels in several sources become one, their chunks concatenated in time order (identical
//! chunks, as replicated sources return them, kept once). Written once for every fan-out: blocks
//! of a bucket, the querier's endpoints, the head and the bucket of `quiver up`.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;

use super::{
    LabelsAnswer, LabelsRequest, LimitKind, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream,
    StoreError, StoreFuture, StoreInfo, StoreSeries,
};

/// Sources merged into one.
#[derive(Debug)]
pub struct MergeStore {
    name: String,
    stores: Vec<Arc<dyn SeriesStore>>,
}

impl MergeStore {
    pub fn new(name: impl Into<String>, stores: Vec<Arc<dyn SeriesStore>>) -> Self {
        Self { name: name.into(), stores }
    }

    pub fn stores(&self) -> &[Arc<dyn SeriesStore>] {
        &self.stores
    }
}

impl SeriesStore for MergeStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            let infos = futures::future::try_join_all(self.stores.iter().map(|s| s.info())).await?;
            let mut out = StoreInfo::empty();
            for i in infos {
                out.merge(i);
            }
            Ok(out)
        })
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        let limit = req.limits.series;
        let children = self
            .stores
            .iter()
            .map(|s| Child { stream: Arc::clone(s).series(req.clone()), head: None, done: false })
            .collect();
        Box::pin(Merge { name: self.name.clone(), children, limit, merged: 0, failed: false })
    }

    fn shards_exactly(&self) -> bool {
        self.stores.iter().all(|s| s.shards_exactly())
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let answers =
                futures::future::try_join_all(self.stores.iter().map(|s| s.label_names(req))).await?;
            Ok(union(answers, req.limit))
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let answers =
                futures::future::try_join_all(self.stores.iter().map(|s| s.label_values(name, req))).await?;
            Ok(union(answers, req.limit))
        })
    }
}

/// The sorted union of several answers, cut to `limit` (0: all).
fn union(answers: Vec<LabelsAnswer>, limit: usize) -> LabelsAnswer {
    let mut values = BTreeSet::new();
    let mut warnings = Vec::new();
    for a in answers {
        values.extend(a.values);
        warnings.extend(a.warnings);
    }
    let mut values: Vec<String> = values.into_iter().collect();
    if limit > 0 {
        values.truncate(limit);
    }
    LabelsAnswer { values, warnings }
}

struct Child {
    stream: SeriesStream,
    head: Option<StoreSeries>,
    done: bool,
}

/// The merge itself: each child's next series is held as its head; the smallest heads (by
/// labels) are merged and handed on. Warnings pass through as they come.
struct Merge {
    name: String,
    children: Vec<Child>,
    limit: u64,
    merged: u64,
    failed: bool,
}

impl Stream for Merge {
    type Item = Result<SeriesFrame, StoreError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        // Every child that can must show its head before the smallest is known; they all
        // progress in this one poll, so their I/O overlaps.
        let mut waiting = false;
        for c in &mut this.children {
            while !c.done && c.head.is_none() {
                match c.stream.as_mut().poll_next(cx) {
                    Poll::Ready(Some(Ok(SeriesFrame::Series(s)))) => c.head = Some(s),
                    Poll::Ready(Some(Ok(SeriesFrame::Warning(w)))) => {
                        return Poll::Ready(Some(Ok(SeriesFrame::Warning(w))));
                    }
                    Poll::Ready(Some(Err(e))) => {
                        this.failed = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Poll::Ready(None) => c.done = true,
                    Poll::Pending => {
                        waiting = true;
                        break;
                    }
                }
            }
        }
        if waiting {
            return Poll::Pending;
        }
        // The first child holding the smallest labels takes the later ones' equal series: no
        // copy of the labels to compare against.
        let first = this
            .children
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.head.as_ref().map(|s| (i, &s.labels)))
            .min_by(|a, b| a.1.cmp(b.1))
            .map(|(i, _)| i);
        let Some((first, mut out)) = first.and_then(|i| this.children[i].head.take().map(|s| (i, s))) else {
            return Poll::Ready(None);
        };
        let mut several = false;
        for c in &mut this.children[first + 1..] {
            if c.head.as_ref().is_some_and(|s| s.labels == out.labels)
                && let Some(s) = c.head.take()
            {
                out.chunks.extend(s.chunks);
                several = true;
            }
        }
        if several {
            out.chunks.sort_by_key(|c| (c.min_time, c.max_time));
            out.chunks.dedup();
        }
        this.merged += 1;
        if this.limit > 0 && this.merged > this.limit {
            this.failed = true;
            return Poll::Ready(Some(Err(StoreError::LimitExceeded {
                store: this.name.clone(),
                what: LimitKind::Series,
                limit: this.limit,
                got: this.merged,
            })));
        }
        Poll::Ready(Some(Ok(SeriesFrame::Series(out))))
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;
    use crate::chunkenc::{Encoding, RawChunk};
    use crate::{Labels, Matcher, TimeRange};

    /// A source of fixed series (each a list of chunk start times).
    #[derive(Debug)]
    struct Fixed(&'static str, Vec<(Labels, Vec<i64>)>);

    fn chunk(t: i64) -> RawChunk {
        RawChunk {
            min_time: t,
            max_time: t + 9,
            encoding: Encoding::Xor,
            data: bytes::Bytes::from(vec![0u8, 0]),
        }
    }

    impl SeriesStore for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn info(&self) -> StoreFuture<'_, StoreInfo> {
            Box::pin(async { Ok(StoreInfo::empty()) })
        }
        fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
            let frames: Vec<Result<SeriesFrame, StoreError>> = self
                .1
                .iter()
                .filter(|(l, _)| req.matchers.iter().all(|m| m.matches_labels(l)))
                .map(|(l, ts)| {
                    Ok(SeriesFrame::Series(StoreSeries {
                        labels: l.clone(),
                        chunks: ts.iter().map(|&t| chunk(t)).collect(),
                    }))
                })
                .chain(std::iter::once(Ok(SeriesFrame::Warning(format!("{} says hi", self.0)))))
                .collect();
            Box::pin(futures::stream::iter(frames))
        }
        fn label_names<'a>(&'a self, _: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
            Box::pin(async {
                let mut values: Vec<String> =
                    self.1.iter().flat_map(|(l, _)| l.iter().map(|l| l.name.clone())).collect();
                values.sort();
                values.dedup();
                Ok(LabelsAnswer { values, warnings: Vec::new() })
            })
        }
        fn label_values<'a>(&'a self, name: &'a str, _: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
            Box::pin(async move {
                let values = self.1.iter().filter_map(|(l, _)| l.get(name).map(str::to_string)).collect();
                Ok(LabelsAnswer { values, warnings: Vec::new() })
            })
        }
    }

    fn l(v: &str) -> Labels {
        Labels::from_pairs([("__name__", "m"), ("i", v)]).unwrap_or_default()
    }

    #[tokio::test]
    async fn merges_sorted_series_and_their_chunks() {
        let a = Fixed("a", vec![(l("1"), vec![0, 20]), (l("3"), vec![0])]);
        let b = Fixed("b", vec![(l("1"), vec![10, 20]), (l("2"), vec![5]), (l("4"), vec![1])]);
        let merged = Arc::new(MergeStore::new("both", vec![Arc::new(a), Arc::new(b)]));
        let req = SeriesRequest::new(vec![Matcher::equal("__name__", "m")], TimeRange::ALL);
        let frames: Vec<SeriesFrame> =
            merged.series(req).map(|f| f.unwrap_or(SeriesFrame::Warning("error".into()))).collect().await;
        let mut series = Vec::new();
        let mut warnings = Vec::new();
        for f in frames {
            match f {
                SeriesFrame::Series(s) => series.push((
                    s.labels.get("i").unwrap_or("").to_string(),
                    s.chunks.iter().map(|c| c.min_time).collect::<Vec<_>>(),
                )),
                SeriesFrame::Warning(w) => warnings.push(w),
            }
        }
        let want: Vec<(String, Vec<i64>)> = vec![
            ("1".into(), vec![0, 10, 20]),
            ("2".into(), vec![5]),
            ("3".into(), vec![0]),
            ("4".into(), vec![1]),
        ];
        assert_eq!(series, want);
        warnings.sort();
        assert_eq!(warnings, vec!["a says hi".to_string(), "b says hi".to_string()]);
    }

    #[tokio::test]
    async fn series_limit_and_label_union() {
        let a = Fixed("a", vec![(l("1"), vec![0]), (l("3"), vec![0])]);
        let b = Fixed("b", vec![(l("2"), vec![0])]);
        let merged = Arc::new(MergeStore::new("both", vec![Arc::new(a), Arc::new(b)]));
        let mut req = SeriesRequest::new(Vec::new(), TimeRange::ALL);
        req.limits.series = 2;
        let results: Vec<Result<SeriesFrame, StoreError>> = Arc::clone(&merged).series(req).collect().await;
        let err = results.into_iter().find_map(Result::err);
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("both: exceeded series limit: limit 2 violated (got 3)".to_string())
        );
        let req = LabelsRequest { limit: 2, ..LabelsRequest::new(Vec::new(), TimeRange::ALL) };
        let values = merged.label_values("i", &req).await.map(|a| a.values).unwrap_or_default();
        assert_eq!(values, vec!["1".to_string(), "2".to_string()]);
        let names = merged.label_names(&req).await.map(|a| a.values).unwrap_or_default();
        assert_eq!(names, vec!["__name__".to_string(), "i".to_string()]);
    }
}
