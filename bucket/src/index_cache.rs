//! Index caches for store gateways, as Thanos's `--index-cache.config`: `IN-MEMORY` (an LRU
//! bounded in bytes) and `MEMCACHED`. They hold ranges of blocks' `index` files (postings lists
//! and series entries), keyed by block, file and byte range: a block's index never changes, so a
//! cached range never goes stale.
//!
//! A cache is best effort: a memcached that is down or slow makes misses, never errors, and
//! writes to it happen in the background, dropped when too many are already in flight.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use prometheus_client::metrics::counter::Counter;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::objstore::PromDuration;

/// A cache of index byte ranges.
pub trait IndexCache: Send + Sync + fmt::Debug {
    /// The cached values of `keys`, in order (`None` for a miss).
    fn get_multi<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<Bytes>>>;
    /// Stores `value` under `key` (in the background for a remote cache).
    fn put(&self, key: String, value: Bytes);
    fn stats(&self) -> &CacheStats;
}

/// Lookups and hits, counted per key.
#[derive(Debug, Clone, Default)]
pub struct CacheStats {
    pub requests: Counter,
    pub hits: Counter,
}

impl CacheStats {
    fn record(&self, got: &[Option<Bytes>]) {
        self.requests.inc_by(got.len() as u64);
        self.hits.inc_by(got.iter().filter(|v| v.is_some()).count() as u64);
    }
}

/// Thanos's index cache YAML.
#[derive(Debug, Deserialize)]
struct CacheYaml {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    config: CacheConfigYaml,
}

#[derive(Debug, Default, Deserialize)]
struct CacheConfigYaml {
    max_size: Option<String>,
    max_item_size: Option<String>,
    #[serde(default)]
    addresses: Vec<String>,
    timeout: Option<PromDuration>,
    max_async_concurrency: Option<usize>,
}

fn size(field: &str, v: Option<&str>, default: u64) -> Result<u64> {
    match v {
        None => Ok(default),
        Some(s) => s
            .parse::<bytesize::ByteSize>()
            .map(|b| b.as_u64())
            .map_err(|e| Error::Config(format!("index cache {field} {s:?}: {e}"))),
    }
}

/// Thanos's default largest item of the in-memory cache.
const IN_MEMORY_MAX_ITEM: u64 = 125 << 20;

/// The cache a store gateway uses when none is configured, as Thanos's `--index-cache-size`:
/// in memory, `max_size` in all (`250MB`, `1GiB`, ...); `None` for a size of 0.
pub fn default_index_cache(max_size: &str) -> Result<Option<Arc<dyn IndexCache>>> {
    let max = size("--index-cache-size", Some(max_size), 0)?;
    if max == 0 {
        return Ok(None);
    }
    Ok(Some(Arc::new(InMemoryIndexCache::new(max, IN_MEMORY_MAX_ITEM))))
}

/// The cache a YAML configuration describes (`type: IN-MEMORY` or `type: MEMCACHED`).
pub fn index_cache_from_yaml(yaml: &str) -> Result<Arc<dyn IndexCache>> {
    let c: CacheYaml =
        serde_yaml::from_str(yaml).map_err(|e| Error::Config(format!("index cache configuration: {e}")))?;
    let cfg = c.config;
    match c.kind.to_ascii_uppercase().as_str() {
        "IN-MEMORY" | "INMEMORY" => {
            // Thanos's defaults: 250 MiB in all, items up to 125 MiB.
            let max = size("max_size", cfg.max_size.as_deref(), 250 << 20)?;
            let item = size("max_item_size", cfg.max_item_size.as_deref(), IN_MEMORY_MAX_ITEM)?;
            Ok(Arc::new(InMemoryIndexCache::new(max, item)))
        }
        "MEMCACHED" => {
            if cfg.addresses.is_empty() {
                return Err(Error::Config("MEMCACHED index cache without addresses".to_string()));
            }
            let timeout = cfg.timeout.map_or(Duration::from_millis(500), |d| d.0);
            let item = size("max_item_size", cfg.max_item_size.as_deref(), 1 << 20)?;
            let concurrency = cfg.max_async_concurrency.unwrap_or(20).max(1);
            Ok(Arc::new(MemcachedIndexCache::new(&cfg.addresses, timeout, item, concurrency)?))
        }
        other => Err(Error::Config(format!("index cache type {other:?}: use IN-MEMORY or MEMCACHED"))),
    }
}

/// An LRU of index ranges bounded by their total size.
#[derive(Debug)]
pub struct InMemoryIndexCache {
    inner: Mutex<Lru>,
    max_size: u64,
    max_item_size: u64,
    stats: CacheStats,
}

#[derive(Debug)]
struct Lru {
    map: lru::LruCache<String, Bytes>,
    size: u64,
}

impl InMemoryIndexCache {
    pub fn new(max_size: u64, max_item_size: u64) -> Self {
        Self {
            inner: Mutex::new(Lru { map: lru::LruCache::unbounded(), size: 0 }),
            max_size,
            max_item_size: max_item_size.min(max_size),
            stats: CacheStats::default(),
        }
    }

    /// Bytes held now.
    pub fn size(&self) -> u64 {
        self.inner.lock().map(|l| l.size).unwrap_or(0)
    }
}

fn entry_size(key: &str, value: &Bytes) -> u64 {
    (key.len() + value.len()) as u64
}

impl IndexCache for InMemoryIndexCache {
    fn get_multi<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<Bytes>>> {
        let got: Vec<Option<Bytes>> = match self.inner.lock() {
            Ok(mut l) => keys.iter().map(|k| l.map.get(k).cloned()).collect(),
            Err(_) => vec![None; keys.len()],
        };
        self.stats.record(&got);
        Box::pin(async move { got })
    }

    fn put(&self, key: String, value: Bytes) {
        let add = entry_size(&key, &value);
        if add > self.max_item_size {
            return;
        }
        let Ok(mut l) = self.inner.lock() else { return };
        if let Some(old) = l.map.put(key.clone(), value) {
            l.size -= entry_size(&key, &old);
        }
        l.size += add;
        while l.size > self.max_size {
            match l.map.pop_lru() {
                Some((k, v)) => l.size -= entry_size(&k, &v),
                None => break,
            }
        }
    }

    fn stats(&self) -> &CacheStats {
        &self.stats
    }
}

/// Index ranges in memcached (one or more servers, keys spread by hash).
pub struct MemcachedIndexCache {
    client: Arc<memcache::Client>,
    addresses: Vec<String>,
    max_item_size: u64,
    writes: Arc<tokio::sync::Semaphore>,
    stats: CacheStats,
}

impl fmt::Debug for MemcachedIndexCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedIndexCache").field("addresses", &self.addresses).finish_non_exhaustive()
    }
}

impl MemcachedIndexCache {
    pub fn new(
        addresses: &[String],
        timeout: Duration,
        max_item_size: u64,
        concurrency: usize,
    ) -> Result<Self> {
        let mut b = memcache::Client::builder()
            .with_connection_timeout(timeout)
            .with_read_timeout(timeout)
            .with_write_timeout(timeout)
            .with_min_idle_conns(0)
            .with_max_pool_size(u32::try_from(concurrency.max(4)).unwrap_or(u32::MAX));
        for a in addresses {
            b = b
                .add_server(format!("memcache://{a}?tcp_nodelay=true"))
                .map_err(|e| Error::Config(format!("memcached address {a:?}: {e}")))?;
        }
        let client = b.build().map_err(|e| Error::Config(format!("memcached {addresses:?}: {e}")))?;
        Ok(Self {
            client: Arc::new(client),
            addresses: addresses.to_vec(),
            max_item_size,
            writes: Arc::new(tokio::sync::Semaphore::new(concurrency)),
            stats: CacheStats::default(),
        })
    }
}

/// memcached refuses keys over 250 bytes.
const MAX_KEY: usize = 250;

impl IndexCache for MemcachedIndexCache {
    fn get_multi<'a>(&'a self, keys: &'a [String]) -> BoxFuture<'a, Vec<Option<Bytes>>> {
        Box::pin(async move {
            let client = Arc::clone(&self.client);
            let asked: Vec<String> = keys.iter().filter(|k| k.len() <= MAX_KEY).cloned().collect();
            let found = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = asked.iter().map(String::as_str).collect();
                client.gets::<Vec<u8>>(&refs)
            })
            .await;
            let mut found = match found {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "memcached get failed, counted as misses");
                    Default::default()
                }
                Err(_) => Default::default(),
            };
            let got: Vec<Option<Bytes>> = keys.iter().map(|k| found.remove(k).map(Bytes::from)).collect();
            self.stats.record(&got);
            got
        })
    }

    fn put(&self, key: String, value: Bytes) {
        if key.len() > MAX_KEY || value.len() as u64 > self.max_item_size {
            return;
        }
        // Too many writes in flight: drop this one, as Thanos drops past its async buffer.
        let Ok(permit) = Arc::clone(&self.writes).try_acquire_owned() else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else { return };
        let client = Arc::clone(&self.client);
        rt.spawn_blocking(move || {
            if let Err(e) = client.set(&key, value.as_ref(), 0) {
                tracing::debug!(error = %e, "memcached set failed");
            }
            drop(permit);
        });
    }

    fn stats(&self) -> &CacheStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lru_keeps_within_its_size_and_counts_hits() {
        let c = InMemoryIndexCache::new(100, 60);
        c.put("a".into(), Bytes::from(vec![1u8; 39]));
        c.put("b".into(), Bytes::from(vec![2u8; 39]));
        assert_eq!(c.size(), 80);
        let keys = vec!["a".to_string(), "c".to_string()];
        assert_eq!(c.get_multi(&keys).await, vec![Some(Bytes::from(vec![1u8; 39])), None]);
        // "b" is now the least recently used and goes first.
        c.put("c".into(), Bytes::from(vec![3u8; 39]));
        assert!(c.size() <= 100);
        let all = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let got = c.get_multi(&all).await;
        assert!(got[0].is_some() && got[1].is_none() && got[2].is_some(), "{got:?}");
        // Items over max_item_size are not cached.
        c.put("big".into(), Bytes::from(vec![0u8; 70]));
        assert_eq!(c.get_multi(&["big".to_string()]).await, vec![None]);
        assert_eq!((c.stats().requests.get(), c.stats().hits.get()), (6, 3));
    }

    #[test]
    fn yaml_as_thanos_writes_it() {
        assert!(
            index_cache_from_yaml("type: IN-MEMORY\nconfig:\n  max_size: 1GB\n  max_item_size: 10MiB\n")
                .is_ok()
        );
        assert!(index_cache_from_yaml("type: IN-MEMORY\n").is_ok());
        let bad = index_cache_from_yaml("type: REDIS\nconfig: {}\n").unwrap_err();
        assert!(bad.to_string().contains("REDIS"), "{bad}");
        assert!(index_cache_from_yaml("type: MEMCACHED\nconfig: {}\n").is_err());
        assert!(index_cache_from_yaml("type: IN-MEMORY\nconfig:\n  max_size: lots\n").is_err());
    }
}
