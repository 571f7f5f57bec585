//! The querier's StoreAPI endpoints (`--endpoint`, file SD): each one's `Info` is asked every
//! interval (5 s, as Thanos's `--endpoint.info-timeout`) to learn its external labels and time
//! range; one that fails is shown as unhealthy, left out of queries (with a warning naming it),
//! and asked again with a backoff that doubles up to a minute, so it never holds up a query.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::fanout::{Fanout, FanoutOptions, Member};
use super::remote::{RemoteStatus, RemoteStore};

/// Longest wait between two `Info` calls to an endpoint that keeps failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Entry {
    store: Arc<RemoteStore>,
    /// When to ask its `Info` next, and the wait after a failure.
    next: Mutex<(Instant, Duration)>,
}

/// An endpoint as the querier shows it.
#[derive(Debug, Clone)]
pub struct EndpointStatus {
    pub addr: String,
    pub status: RemoteStatus,
}

/// The endpoints a querier fans out to.
#[derive(Debug)]
pub struct EndpointSet {
    entries: RwLock<BTreeMap<String, Arc<Entry>>>,
    interval: Duration,
}

impl EndpointSet {
    /// Endpoints asked for `Info` every `interval` (also each call's timeout).
    pub fn new(interval: Duration) -> Self {
        Self { entries: RwLock::new(BTreeMap::new()), interval }
    }

    /// Makes the set exactly `addrs`: new ones join (asked at the next refresh), gone ones leave.
    /// Returns the addresses that are not valid endpoints.
    pub fn set(&self, addrs: &[String]) -> Vec<String> {
        let mut bad = Vec::new();
        let Ok(mut entries) = self.entries.write() else { return bad };
        entries.retain(|a, _| addrs.contains(a));
        for a in addrs {
            if entries.contains_key(a) {
                continue;
            }
            match RemoteStore::new(a, self.interval) {
                Ok(store) => {
                    let next = Mutex::new((Instant::now(), self.interval));
                    entries.insert(a.clone(), Arc::new(Entry { store: Arc::new(store), next }));
                }
                Err(e) => bad.push(format!("{a}: {e}")),
            }
        }
        bad
    }

    fn entries(&self) -> Vec<Arc<Entry>> {
        self.entries.read().map(|e| e.values().cloned().collect()).unwrap_or_default()
    }

    /// Asks `Info` of every endpoint that is due, all at once.
    pub async fn refresh(&self) {
        let now = Instant::now();
        let due: Vec<Arc<Entry>> = self
            .entries()
            .into_iter()
            .filter(|e| e.next.lock().map(|n| n.0 <= now).unwrap_or(true))
            .collect();
        futures::future::join_all(due.iter().map(|e| async move {
            let ok = e.store.refresh(self.interval).await;
            if let Ok(mut next) = e.next.lock() {
                let wait = match &ok {
                    Ok(_) => self.interval,
                    Err(err) => {
                        tracing::warn!(endpoint = e.store.addr(), "endpoint unhealthy: {err}");
                        (next.1 * 2).min(MAX_BACKOFF)
                    }
                };
                *next = (Instant::now() + wait, wait);
            }
        }))
        .await;
    }

    /// Refreshes every interval until the set is dropped.
    pub fn spawn_refresher(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        let interval = self.interval;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval.min(Duration::from_secs(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(set) = weak.upgrade() else { return };
                set.refresh().await;
            }
        })
    }

    pub fn statuses(&self) -> Vec<EndpointStatus> {
        self.entries()
            .iter()
            .map(|e| EndpointStatus { addr: e.store.addr().to_string(), status: e.store.status() })
            .collect()
    }

    /// The endpoints as fan-out members: an endpoint whose last `Info` failed is down.
    pub fn members(&self) -> Vec<Member> {
        self.entries()
            .iter()
            .map(|e| {
                let st = e.store.status();
                Member {
                    store: Arc::clone(&e.store) as _,
                    address: Some(e.store.addr().to_string()),
                    info: st.info,
                    down: st.last_error.map(|why| format!("endpoint unhealthy: {why}")),
                }
            })
            .collect()
    }

    /// A source over the endpoints and `local` members, for one request.
    pub fn fanout(&self, local: Vec<Member>, opts: FanoutOptions) -> Fanout {
        let mut members = local;
        members.extend(self.members());
        Fanout::new("query", members, opts)
    }
}
