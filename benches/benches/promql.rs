//! PromQL over TSDB blocks: the standard query set, timed, with samples loaded per second on one
//! core beside Prometheus's engine.
//!
//! `cargo bench -p quiver-benches --bench promql [-- FILTER]`. The data is gen_om.py-shaped
//! (999 series x 6h at 15s: 1.44M samples), written once as three 2h blocks by our block writer
//! into a temporary directory and read through `BlockStore`, so every run decodes real chunks from
//! real files. Range queries cover the 6h every 60s (361 steps); instant queries run at its end.
//! `store_blocks/*` times the storage half alone (select, then select and decode), so that a
//! query's time splits into storage and engine.
//!
//! Criterion reports time and throughput, where one element is one sample the query's selectors
//! loaded (`QueryStats::samples_loaded`). After criterion, a table repeats each query's median
//! time with its samples per second and the ratio to Prometheus's ~9.5M samples/s per core. The
//! engine runs on a current-thread runtime; file reads go to tokio's blocking pool while the
//! query waits for them, so at most one core is busy at a time (`perf stat`: 0.7 to 0.97 CPUs
//! utilized) and samples per wall-clock second are a per-core figure, if anything a low one.

// A bench reports on stdout.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use futures::StreamExt;
use quiver_benches::{
    Dataset, EXTRA_RANGE_QUERIES, INSTANT_QUERIES, PROMETHEUS_SAMPLES_PER_SEC_PER_CORE, RANGE_QUERIES,
    open_block_store,
};
use quiver_engine::storage::BlockStore;
use quiver_engine::value::QueryOutput;
use quiver_engine::{EngineOptions, QueryEngine};
use quiver_proto::chunkenc::{decode_xor_into, num_samples};
use quiver_proto::{
    METRIC_NAME, MatchOp, Matcher, SeriesFrame, SeriesRequest, SeriesStore, StoreSeries, TimeRange,
};
use tokio::runtime::Runtime;

const STEP_MS: i64 = 60_000;
const GROUP: &str = "promql_blocks";
const STORE_GROUP: &str = "store_blocks";
/// Criterion's flags that take a value.
const VALUED_FLAGS: &[&str] = &[
    "--profile-time",
    "--save-baseline",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
    "--color",
    "--format",
];
/// Timed runs per query in the summary table (after one warm-up run).
const SUMMARY_RUNS: usize = 7;

#[derive(Debug, Clone, Copy)]
struct Query {
    name: &'static str,
    text: &'static str,
    range: bool,
}

fn queries() -> Vec<Query> {
    let range = RANGE_QUERIES.iter().chain(EXTRA_RANGE_QUERIES).map(|&(name, text)| Query {
        name,
        text,
        range: true,
    });
    let instant = INSTANT_QUERIES.iter().map(|&(name, text)| Query { name, text, range: false });
    range.chain(instant).collect()
}

/// The blocks on disk, the engine over them, and the runtime that drives it.
struct Fixture {
    _dir: tempfile::TempDir,
    rt: Runtime,
    store: Arc<BlockStore>,
    engine: QueryEngine,
    data_start: i64,
    data_end: i64,
    total_samples: u64,
}

impl Fixture {
    fn new() -> Self {
        let data = Dataset::like_gen_om(1000, 6).expect("generate");
        let dir = tempfile::tempdir().expect("temp dir");
        let blocks = data.write_blocks(dir.path()).expect("write blocks");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let store = Arc::new(rt.block_on(open_block_store(dir.path())).expect("open blocks"));
        let engine = QueryEngine::new(Arc::clone(&store) as Arc<dyn SeriesStore>, EngineOptions::default());
        println!(
            "data: {} series, {} samples, {blocks} blocks, {}..{} ms",
            data.series.len(),
            data.samples(),
            data.start_ms,
            data.end_ms
        );
        Self {
            _dir: dir,
            rt,
            store,
            engine,
            data_start: data.start_ms,
            data_end: data.end_ms,
            total_samples: data.samples(),
        }
    }

    fn run(&self, q: &Query) -> QueryOutput {
        let out = if q.range {
            self.rt.block_on(self.engine.range(q.text, self.data_start, self.data_end, STEP_MS))
        } else {
            self.rt.block_on(self.engine.instant(q.text, self.data_end))
        };
        out.expect("query evaluates")
    }
}

/// The storage half of a query on its own: the store's series stream of all counters over the
/// range (index lookups, chunk reads), and the same with every chunk decoded. A query's time
/// minus these is the engine's.
fn bench_store(c: &mut Criterion, fx: &Fixture) {
    let matchers = [Matcher::new(MatchOp::Equal, METRIC_NAME, "http_requests_total").expect("matcher")];
    // The range a 5m window at the first step reaches back to.
    let range = TimeRange::new(fx.data_start - 5 * 60_000 + 1, fx.data_end);
    let select = || -> Vec<StoreSeries> {
        let req = SeriesRequest::new(matchers.to_vec(), range);
        let frames: Vec<_> = fx.rt.block_on(Arc::clone(&fx.store).series(req).collect());
        frames
            .into_iter()
            .filter_map(|f| match f.expect("series") {
                SeriesFrame::Series(s) => Some(s),
                SeriesFrame::Warning(_) => None,
            })
            .collect()
    };
    let samples: usize = select()
        .iter()
        .flat_map(|s| &s.chunks)
        .map(|c| num_samples(c.encoding, &c.data).expect("valid chunk"))
        .sum();
    let mut g = c.benchmark_group(STORE_GROUP);
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.throughput(Throughput::Elements(samples as u64));
    g.bench_function("select_counters", |b| b.iter(select));
    g.bench_function("select_decode_counters", |b| {
        let (mut ts, mut vs) = (Vec::new(), Vec::new());
        b.iter(|| {
            for s in select() {
                ts.clear();
                vs.clear();
                for c in &s.chunks {
                    decode_xor_into(&c.data, &mut ts, &mut vs).expect("valid chunk");
                }
            }
            ts.len()
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion, fx: &Fixture, queries: &[Query]) {
    let mut g = c.benchmark_group(GROUP);
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    for q in queries {
        g.throughput(Throughput::Elements(fx.run(q).stats.samples_loaded));
        g.bench_function(q.name, |b| b.iter(|| fx.run(q)));
    }
    g.finish();
}

/// Median wall time of `SUMMARY_RUNS` runs, with the samples one run loads.
fn measure(fx: &Fixture, q: &Query) -> (Duration, u64) {
    let samples = fx.run(q).stats.samples_loaded;
    let mut times: Vec<Duration> = (0..SUMMARY_RUNS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(fx.run(q));
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], samples)
}

fn summary(fx: &Fixture, queries: &[Query]) {
    println!(
        "\n{:<28} {:>10} {:>11} {:>14} {:>10}   (of {} samples stored; Prometheus: {:.1}M samples/s/core)",
        "query",
        "median ms",
        "samples",
        "samples/s/core",
        "vs Prom",
        fx.total_samples,
        PROMETHEUS_SAMPLES_PER_SEC_PER_CORE / 1e6
    );
    for q in queries {
        let (t, samples) = measure(fx, q);
        let per_sec = samples as f64 / t.as_secs_f64();
        println!(
            "{:<28} {:>10.2} {:>11} {:>13.2}M {:>9.2}x",
            q.name,
            t.as_secs_f64() * 1e3,
            samples,
            per_sec / 1e6,
            per_sec / PROMETHEUS_SAMPLES_PER_SEC_PER_CORE
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The same filter criterion applies (a regex over `group/name`), so the table shows the
    // queries criterion ran. Flags with a value (`--profile-time 5`) are skipped with their value.
    let mut filter = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if VALUED_FLAGS.contains(&a.as_str()) {
            it.next();
        } else if !a.starts_with('-') {
            filter = Some(regex::Regex::new(a).expect("filter is a regex"));
            break;
        }
    }
    let fx = Fixture::new();
    let queries: Vec<Query> = queries()
        .into_iter()
        .filter(|q| filter.as_ref().is_none_or(|f| f.is_match(&format!("{GROUP}/{}", q.name))))
        .collect();
    let mut c = Criterion::default().configure_from_args();
    bench_store(&mut c, &fx);
    bench(&mut c, &fx, &queries);
    c.final_summary();
    // The table only in a real benchmark run (`cargo bench` passes --bench; without it, as under
    // `cargo test --benches`, criterion runs each benchmark once), and not under a profiler.
    let measuring = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time");
    if measuring {
        summary(&fx, &queries);
    }
}
