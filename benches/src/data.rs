//! Data shaped like `gen_om.py`'s, as TSDB blocks on disk.
//!
//! Per target (job, instance): 12 `http_requests_total` counters (method x status), one
//! `node_memory_usage_bytes` gauge and one classic histogram `http_request_duration_seconds`
//! (12 `le` buckets, `_sum`, `_count`): 27 series. Values follow gen_om.py's recipes from a
//! fixed-seed generator (not Python's, so not bit-identical); unlike gen_om.py, counters reset
//! now and then (about once in 5000 samples), so `rate`'s reset handling is exercised.

use std::path::Path;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use quiver_bucket::block::{Block, DEFAULT_BLOCK_DURATION_MS, list_blocks, write_float_blocks};
use quiver_engine::storage::BlockStore;
use quiver_proto::{Labels, Sample};

/// Why a dataset could not be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("block: {0}")]
    Block(#[from] quiver_bucket::Error),
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error("labels: {0}")]
    Labels(#[from] quiver_proto::Error),
}

const JOBS: [&str; 5] = ["api", "web", "db", "cache", "queue"];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const STATUSES: [&str; 3] = ["200", "404", "500"];
const LES: [&str; 12] =
    ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"];
/// Series per target, as gen_om.py lays them out.
const SERIES_PER_TARGET: usize = METHODS.len() * STATUSES.len() + 1 + LES.len() + 2;
/// gen_om.py's fixed end, rounded down to a 2h block boundary there.
const GEN_OM_END_S: i64 = 1_700_000_000;

/// Generated series and the time range they cover.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub series: Vec<(Labels, Vec<Sample>)>,
    /// First sample's timestamp, ms.
    pub start_ms: i64,
    /// End of the data (exclusive; the last sample is one scrape interval before), ms.
    pub end_ms: i64,
    pub scrape_ms: i64,
}

/// xorshift64*: deterministic and dependency-free; quality is irrelevant here.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }
}

impl Dataset {
    /// What `gen_om.py OUT n_series hours` generates: about `n_series` series (a multiple of
    /// 27) scraped every 15 s for `hours`, ending at 1700000000 rounded down to 2h.
    pub fn like_gen_om(n_series: usize, hours: i64) -> Result<Self, BenchError> {
        let scrape_ms = 15_000;
        let end_ms = (GEN_OM_END_S - GEN_OM_END_S % 7200) * 1000;
        let start_ms = end_ms - hours * 3_600_000;
        let ts: Vec<i64> = (start_ms..end_ms).step_by(scrape_ms as usize).collect();
        let targets = ((n_series as f64 / SERIES_PER_TARGET as f64).round() as usize).max(1);
        let mut rnd = Rng(42);
        let mut series = Vec::with_capacity(targets * SERIES_PER_TARGET);
        for i in 0..targets {
            let job = JOBS[i % JOBS.len()];
            let instance = format!("10.0.{}.{}:9100", i / 250, i % 250);
            let base = [("job", job), ("instance", instance.as_str())];
            for m in METHODS {
                for s in STATUSES {
                    let labels =
                        with(&base, &[("__name__", "http_requests_total"), ("method", m), ("status", s)])?;
                    series.push((labels, counter(&ts, scrape_ms, &mut rnd)));
                }
            }
            let labels = with(&base, &[("__name__", "node_memory_usage_bytes")])?;
            series.push((labels, gauge(&ts, &mut rnd)));
            let hist = histogram(&ts, &mut rnd);
            for (le, samples) in LES.iter().zip(hist.buckets) {
                let labels =
                    with(&base, &[("__name__", "http_request_duration_seconds_bucket"), ("le", le)])?;
                series.push((labels, samples));
            }
            series.push((with(&base, &[("__name__", "http_request_duration_seconds_sum")])?, hist.sum));
            series.push((with(&base, &[("__name__", "http_request_duration_seconds_count")])?, hist.count));
        }
        Ok(Self { series, start_ms, end_ms, scrape_ms })
    }

    /// Samples in all series.
    pub fn samples(&self) -> u64 {
        self.series.iter().map(|(_, s)| s.len() as u64).sum()
    }

    /// Writes the series as 2h TSDB blocks into `dir`, as `promtool tsdb create-blocks-from`
    /// would; returns how many blocks were written.
    pub fn write_blocks(&self, dir: &Path) -> Result<usize, BenchError> {
        Ok(write_float_blocks(dir, self.series.clone(), DEFAULT_BLOCK_DURATION_MS)?.len())
    }
}

/// Opens every block in `dir` as one store.
pub async fn open_block_store(dir: &Path) -> Result<BlockStore, BenchError> {
    let store: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(dir)?);
    let mut blocks = Vec::new();
    for ulid in list_blocks(&store, None).await? {
        let dir = object_store::path::Path::from(ulid.to_string());
        blocks.push(Arc::new(Block::open(Arc::clone(&store), dir).await?));
    }
    Ok(BlockStore::new(blocks))
}

fn with(base: &[(&str, &str)], more: &[(&str, &str)]) -> Result<Labels, BenchError> {
    Ok(Labels::from_pairs(base.iter().chain(more).copied())?)
}

/// A counter growing by about `rate` per second, floored to integers like gen_om.py's.
fn counter(ts: &[i64], scrape_ms: i64, rnd: &mut Rng) -> Vec<Sample> {
    let rate = rnd.uniform(0.1, 50.0);
    let mut v = 0.0;
    ts.iter()
        .map(|&t| {
            if rnd.next_f64() < 1.0 / 5000.0 {
                v = 0.0;
            }
            v += rate * (scrape_ms / 1000) as f64 * rnd.uniform(0.8, 1.2);
            Sample { t, v: v.floor() }
        })
        .collect()
}

/// A slow sine around a random base, in whole bytes.
fn gauge(ts: &[i64], rnd: &mut Rng) -> Vec<Sample> {
    let base = rnd.uniform(1e8, 8e9);
    ts.iter()
        .enumerate()
        .map(|(i, &t)| Sample { t, v: (base + base * 0.1 * (i as f64 / 40.0).sin()).trunc() })
        .collect()
}

struct Histogram {
    buckets: Vec<Vec<Sample>>,
    sum: Vec<Sample>,
    count: Vec<Sample>,
}

/// A classic histogram of exponentially distributed latencies (mean 250 ms): every scrape adds
/// 50-150 observations, in three equal lots of one value each, as gen_om.py does.
fn histogram(ts: &[i64], rnd: &mut Rng) -> Histogram {
    let bounds: Vec<f64> = LES.iter().map(|le| le.parse().unwrap_or(f64::INFINITY)).collect();
    let mut h = Histogram {
        buckets: vec![Vec::with_capacity(ts.len()); LES.len()],
        sum: Vec::with_capacity(ts.len()),
        count: Vec::with_capacity(ts.len()),
    };
    let (mut cum, mut sum, mut count) = (vec![0u64; LES.len()], 0.0, 0u64);
    for &t in ts {
        let lot = (50 + (rnd.next_f64() * 101.0) as u64) / 3;
        for _ in 0..3 {
            let obs = -(1.0 - rnd.next_f64()).ln() / 4.0;
            for (c, b) in cum.iter_mut().zip(&bounds) {
                if obs <= *b {
                    *c += lot;
                }
            }
            sum += obs * lot as f64;
            count += lot;
        }
        for (b, c) in h.buckets.iter_mut().zip(&cum) {
            b.push(Sample { t, v: *c as f64 });
        }
        // gen_om.py prints the sum with three decimals.
        h.sum.push(Sample { t, v: (sum * 1000.0).round() / 1000.0 });
        h.count.push(Sample { t, v: count as f64 });
    }
    h
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use quiver_proto::chunkenc::decode_xor_into;
    use quiver_proto::{Matcher, SeriesFrame, SeriesRequest, SeriesStore, TimeRange};

    use super::*;

    #[test]
    fn has_gen_om_layout() {
        let d = Dataset::like_gen_om(1000, 6).unwrap();
        assert_eq!(d.series.len(), 999);
        assert_eq!(d.samples(), 999 * 1440);
        assert_eq!((d.start_ms, d.end_ms), (1_699_977_600_000, 1_699_999_200_000));
        let buckets = d.series.iter().filter(|(l, _)| l.get("le").is_some()).count();
        assert_eq!(buckets, 37 * 12);
        // Cumulative buckets: +Inf holds every observation, as _count does.
        let value_at = |name: &str, le: Option<&str>| {
            let (_, s) =
                d.series.iter().find(|(l, _)| l.metric_name() == Some(name) && l.get("le") == le).unwrap();
            s.last().unwrap().v
        };
        assert_eq!(
            value_at("http_request_duration_seconds_bucket", Some("+Inf")),
            value_at("http_request_duration_seconds_count", None)
        );
    }

    /// Every sample comes back through `BlockStore`, which streams each block's series in
    /// batches and merges the blocks.
    #[tokio::test]
    async fn round_trips_through_blocks() {
        let d = Dataset::like_gen_om(54, 5).unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(d.write_blocks(dir.path()).unwrap(), 3);
        let store = open_block_store(dir.path()).await.unwrap();
        let all = [Matcher::new(quiver_proto::MatchOp::RegexMatch, "__name__", ".+").unwrap()];
        let req = SeriesRequest::new(all.to_vec(), TimeRange::new(d.start_ms, d.end_ms));
        let frames: Vec<_> = Arc::new(store).series(req).collect().await;
        let got: Vec<_> = frames
            .into_iter()
            .filter_map(|f| match f.unwrap() {
                SeriesFrame::Series(s) => Some(s),
                SeriesFrame::Warning(_) => None,
            })
            .collect();
        let mut want = d.series.clone();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got.len(), want.len());
        for (s, (labels, samples)) in got.iter().zip(&want) {
            assert_eq!(&s.labels, labels);
            let (mut ts, mut vs) = (Vec::new(), Vec::new());
            for c in &s.chunks {
                decode_xor_into(&c.data, &mut ts, &mut vs).unwrap();
            }
            let decoded: Vec<Sample> = ts.into_iter().zip(vs).map(|(t, v)| Sample { t, v }).collect();
            assert_eq!(&decoded, samples, "{labels}");
        }
    }
}
