//! A remote-write load generator for `scripts/bench-ingest.sh` (an example, so it is built for
//! benchmarks and never shipped): pre-encodes Prometheus remote write 1.0 requests (snappy
//! protobuf, as Prometheus sends them: `--series` series in all, `--per-request` samples per
//! request, one sample per series per round of 15 s), then sends them with `--concurrency`
//! connections for `--seconds` and prints one JSON line: requests, samples, failures (by
//! status), throughput and latency percentiles. Payloads are encoded before the clock starts,
//! so only the server's work is measured.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use prost::Message;
use quiver_proto::pb::prometheus as prompb;

#[derive(Parser, Debug)]
struct Args {
    /// Remote-write URL (`.../api/v1/receive`, `.../api/v1/write`).
    #[arg(long)]
    url: String,
    /// Active series in all.
    #[arg(long, default_value_t = 100_000)]
    series: usize,
    /// Samples (series) per request; Prometheus's `max_samples_per_send` is 2000.
    #[arg(long, default_value_t = 2000)]
    per_request: usize,
    /// Rounds of samples encoded (each series gets one sample per round).
    #[arg(long, default_value_t = 30)]
    rounds: usize,
    /// Requests in flight.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Longest time to send for; stops earlier when every payload is sent.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// First sample time, ms (the next round is 15 s later).
    #[arg(long, default_value_t = 1_700_000_000_000)]
    start_ms: i64,
}

/// The labels of series `i`, sorted by name as remote write requires.
fn labels(i: usize) -> Vec<prompb::Label> {
    let l = |n: &str, v: String| prompb::Label { name: n.to_string(), value: v };
    vec![
        l("__name__", format!("load_metric_{}", i % 50)),
        l("instance", format!("10.0.{}.{}:9100", (i / 250) % 256, i % 250)),
        l("job", format!("job{}", i % 7)),
        l("series", i.to_string()),
        l("shard", format!("{}", i / 1000)),
    ]
}

/// Every request, in the order a Prometheus would send them: round by round, series blocks in
/// order, so each series' samples arrive in time order.
fn payloads(args: &Args) -> Vec<(Bytes, usize)> {
    let series: Vec<Vec<prompb::Label>> = (0..args.series).map(labels).collect();
    let mut out = Vec::new();
    for round in 0..args.rounds {
        let t = args.start_ms + round as i64 * 15_000;
        for block in series.chunks(args.per_request.max(1)) {
            let req = prompb::WriteRequest {
                timeseries: block
                    .iter()
                    .enumerate()
                    .map(|(i, labels)| prompb::TimeSeries {
                        labels: labels.clone(),
                        samples: vec![prompb::Sample { value: (round * 7 + i) as f64, timestamp: t }],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            };
            let raw = req.encode_to_vec();
            let compressed = snap::raw::Encoder::new().compress_vec(&raw).unwrap_or_default();
            out.push((Bytes::from(compressed), block.len()));
        }
    }
    out
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let bodies = Arc::new(payloads(&args));
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build();
    let Ok(client) = client else {
        let _ = writeln!(std::io::stderr(), "remote_write_load: cannot build an HTTP client");
        std::process::exit(1);
    };
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (bodies, next, client, url) =
            (Arc::clone(&bodies), Arc::clone(&next), client.clone(), args.url.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut samples = 0usize;
            let mut failures: Vec<String> = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, n)) = bodies.get(i) else { break };
                let t0 = Instant::now();
                let resp = client
                    .post(&url)
                    .header("Content-Type", "application/x-protobuf")
                    .header("Content-Encoding", "snappy")
                    .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                    .body(body.clone())
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(t0.elapsed());
                        samples += n;
                    }
                    Ok(r) => failures.push(r.status().as_u16().to_string()),
                    Err(e) => failures.push(format!("{e}")),
                }
            }
            (latencies, samples, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut samples = 0;
    let mut failures = Vec::new();
    for w in workers {
        if let Ok((l, n, f)) = w.await {
            latencies.extend(l);
            samples += n;
            failures.extend(f);
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let mut by_status = std::collections::BTreeMap::<String, usize>::new();
    for f in failures {
        *by_status.entry(f).or_default() += 1;
    }
    let out = serde_json::json!({
        "requests": latencies.len(),
        "samples": samples,
        "seconds": elapsed,
        "samples_per_s": samples as f64 / elapsed,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "failures": by_status,
    });
    // The result is this tool's output: one JSON line for the bench script.
    let _ = writeln!(std::io::stdout(), "{out}");
}
