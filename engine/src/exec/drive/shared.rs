//! How the partitions of a selector split its source's series between them.
//!
//! A source that keeps to shards itself ([`SeriesStore::shards_exactly`]: blocks, heads, memory
//! and merges of them) is read once per partition, each asking for its own shard by series
//! hash. Each partition then reads its own chunks on its own core, the sources' work included;
//! what is repeated is the postings and reading the series entries (a block places an entry in
//! its shard from its label references, and builds only its own).
//!
//! Any other source (a remote endpoint, whose hash may not be ours) is opened once, when a
//! partition first asks for its series, and a dealer task hands the series out to the
//! partitions in turn, [`DEAL_SERIES`] at a time: the index and the chunks are read once by one
//! task, while decoding and evaluation run on every core. The deal depends only on the order of
//! the series, so each partition gets the same series from one run to the next.

use std::sync::{Arc, Mutex};

use futures::channel::mpsc;
use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use quiver_proto::{SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, ShardInfo, StoreError};

/// Series per deal: enough that a partition's batches fill, few enough to balance the load and
/// to start every partition early (64 made the rate aggregations of the bench about 2.5% slower,
/// A/B both ways).
pub(crate) const DEAL_SERIES: usize = 32;
/// Deals waiting for each partition: 128 series read ahead of it.
const DEALS_AHEAD: usize = 4;

type Deal = Result<Vec<SeriesFrame>, StoreError>;

/// The source of one selector, to be split among its partitions.
#[derive(Debug, Default)]
pub(crate) struct SharedSource {
    state: Mutex<Option<Dealt>>,
}

struct Dealt {
    /// Each partition's receiver, until it takes it.
    receivers: Vec<Option<mpsc::Receiver<Deal>>>,
    /// The dealer, started by the first partition polled (so inside the runtime).
    dealer: Arc<Mutex<Option<BoxFuture<'static, ()>>>>,
}

impl std::fmt::Debug for Dealt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dealt({} partitions)", self.receivers.len())
    }
}

impl SharedSource {
    /// Partition `p` of `n`'s share of `store`'s answer to `req`: shard `p` of `n` when the
    /// store keeps to shards (and the request is not sharded already), else a share of the one
    /// stream opened by the first partition to ask. With one partition, the answer itself.
    pub(crate) fn partition(
        &self,
        p: usize,
        n: usize,
        store: Arc<dyn SeriesStore>,
        mut req: SeriesRequest,
    ) -> SeriesStream {
        if n <= 1 {
            return store.series(req);
        }
        if req.shard.is_none() && store.shards_exactly() {
            req.shard = Some(ShardInfo::of(p, n));
            return store.series(req);
        }
        let open = move || store.series(req);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let dealt = state.get_or_insert_with(|| {
            let (senders, receivers): (Vec<_>, Vec<_>) =
                (0..n).map(|_| mpsc::channel::<Deal>(DEALS_AHEAD)).unzip();
            Dealt {
                receivers: receivers.into_iter().map(Some).collect(),
                dealer: Arc::new(Mutex::new(Some(deal(open(), senders).boxed()))),
            }
        });
        let rx = dealt.receivers.get_mut(p).and_then(Option::take);
        let dealer = Arc::clone(&dealt.dealer);
        drop(state);
        let Some(rx) = rx else {
            let e = StoreError::invalid("engine", format!("partition {p} of a selector read twice"));
            return quiver_proto::store::failed_stream(e);
        };
        let frames = futures::stream::once(async move {
            if let Some(d) = dealer.lock().unwrap_or_else(|e| e.into_inner()).take() {
                tokio::spawn(d);
            }
            rx
        })
        .flatten()
        .flat_map(|deal| {
            let items: Vec<Result<SeriesFrame, StoreError>> = match deal {
                Ok(frames) => frames.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(e)],
            };
            futures::stream::iter(items)
        });
        Box::pin(frames)
    }
}

/// Hands the source's series out to `senders` in turn, [`DEAL_SERIES`] at a time; an error goes
/// to every partition. Stops when the source ends or no partition reads any more.
async fn deal(mut source: SeriesStream, mut senders: Vec<mpsc::Sender<Deal>>) {
    let n = senders.len();
    let mut open = vec![true; n];
    let mut turn = 0;
    let mut hand: Vec<SeriesFrame> = Vec::with_capacity(DEAL_SERIES);
    let mut in_hand = 0;
    while let Some(frame) = source.next().await {
        match frame {
            Ok(f) => {
                in_hand += usize::from(matches!(f, SeriesFrame::Series(_)));
                hand.push(f);
            }
            Err(e) => {
                for s in &mut senders {
                    let _ = s.send(Err(e.clone())).await;
                }
                return;
            }
        }
        if in_hand == DEAL_SERIES {
            if !give(&mut senders, &mut open, turn, std::mem::take(&mut hand)).await {
                return;
            }
            turn = (turn + 1) % n;
            in_hand = 0;
        }
    }
    if !hand.is_empty() {
        give(&mut senders, &mut open, turn, hand).await;
    }
}

/// Sends a deal to partition `turn`; whether any partition still reads.
async fn give(
    senders: &mut [mpsc::Sender<Deal>],
    open: &mut [bool],
    turn: usize,
    hand: Vec<SeriesFrame>,
) -> bool {
    if open[turn] && senders[turn].send(Ok(hand)).await.is_err() {
        open[turn] = false;
    }
    open.iter().any(|&o| o)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use futures::StreamExt;
    use quiver_proto::{
        Matcher, SeriesFrame, SeriesRequest, SeriesStore, ShardInfo, StoreError, StoreSeries, TimeRange,
    };

    use super::{DEAL_SERIES, SharedSource};
    use crate::storage::MemoryStore;
    use crate::test_support::FixedStore;
    use crate::value::Point;

    fn series(i: usize) -> Result<SeriesFrame, StoreError> {
        let labels = quiver_proto::Labels::from_pairs([("i", format!("{i:04}"))]).unwrap();
        Ok(SeriesFrame::Series(StoreSeries { labels, chunks: Vec::new() }))
    }

    fn request() -> SeriesRequest {
        SeriesRequest::new(vec![Matcher::equal("__name__", "m")], TimeRange::new(0, 1_000))
    }

    /// Every partition's frames, read concurrently: series as their `i` label, warnings as
    /// `w:` and their text, an error as `error`.
    async fn split(n: usize, store: Arc<dyn SeriesStore>) -> Vec<Vec<String>> {
        let shared = SharedSource::default();
        let streams: Vec<_> = (0..n).map(|p| shared.partition(p, n, Arc::clone(&store), request())).collect();
        let reads = streams.into_iter().map(|s| {
            s.map(|f| match f {
                Ok(SeriesFrame::Series(s)) => s.labels.get("i").unwrap_or_default().to_string(),
                Ok(SeriesFrame::Warning(w)) => format!("w:{w}"),
                Err(_) => "error".to_string(),
            })
            .collect::<Vec<String>>()
        });
        tokio::spawn(futures::future::join_all(reads)).await.unwrap()
    }

    async fn dealt(n: usize, frames: Vec<Result<SeriesFrame, StoreError>>) -> Vec<Vec<String>> {
        split(n, Arc::new(FixedStore::new(frames))).await
    }

    /// Deals of DEAL_SERIES series in source order go to the partitions in turn: every series
    /// once, and the same series to the same partition on every run.
    #[tokio::test]
    async fn series_are_dealt_in_turn_in_source_order() {
        for (n, count) in [(2, 444), (3, 148), (2, 7), (4, 9 * DEAL_SERIES + 1)] {
            let got = dealt(n, (0..count).map(series).collect()).await;
            for (p, share) in got.iter().enumerate() {
                let want: Vec<String> =
                    (0..count).filter(|i| i / DEAL_SERIES % n == p).map(|i| format!("{i:04}")).collect();
                assert_eq!(share, &want, "partition {p} of {n}, {count} series");
            }
        }
    }

    /// A warning reaches one partition, in its place among the series; an error reaches all.
    #[tokio::test]
    async fn warnings_go_once_and_errors_everywhere() {
        let frames = vec![series(0), Ok(SeriesFrame::Warning("partial".into())), series(1)];
        assert_eq!(dealt(2, frames).await, vec![vec!["0000", "w:partial", "0001"], vec![]]);
        let frames = vec![series(0), series(1), Err(StoreError::unavailable("s", "down"))];
        let got = dealt(2, frames).await;
        assert!(got.iter().all(|share| share.last().map(String::as_str) == Some("error")), "{got:?}");
    }

    /// A source that keeps to shards is read once per partition, each its own shard by series
    /// hash: every series once, each partition's in label order, the same split on every run.
    #[tokio::test]
    async fn sharding_sources_give_each_partition_its_shard() {
        let mut store = MemoryStore::new();
        let count = 300;
        for i in 0..count {
            let labels =
                quiver_proto::Labels::from_pairs([("__name__", "m".to_string()), ("i", format!("{i:04}"))])
                    .unwrap();
            store.append(labels, vec![(500, Point::Float(i as f64))]);
        }
        let store: Arc<dyn SeriesStore> = Arc::new(store);
        assert!(store.shards_exactly());
        for n in [2, 3] {
            let got = split(n, Arc::clone(&store)).await;
            for (p, share) in got.iter().enumerate() {
                let shard = ShardInfo::of(p, n);
                let want: Vec<String> = (0..count)
                    .map(|i| format!("{i:04}"))
                    .filter(|i| {
                        shard.owns(
                            &quiver_proto::Labels::from_pairs([("__name__", "m"), ("i", i.as_str())])
                                .unwrap(),
                        )
                    })
                    .collect();
                assert!(want.len() > count / n / 2, "partition {p} of {n}: {} series", want.len());
                assert_eq!(share, &want, "partition {p} of {n}");
            }
            assert_eq!(got.iter().map(Vec::len).sum::<usize>(), count);
            assert_eq!(split(n, Arc::clone(&store)).await, got);
        }
    }
}
