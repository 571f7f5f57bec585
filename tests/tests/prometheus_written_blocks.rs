//! Blocks written by a running Prometheus (not promtool): samples and native histograms arrive
//! over remote write, Prometheus writes its head out as a block (a TSDB snapshot), and Quiver reads
//! that block exactly: the same dump as promtool's, and every sample and histogram as sent.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::path::Path as ObjPath;
use quiver_bucket::block::Block;
use quiver_proto::chunkenc::{Encoding, decode_histograms};
use quiver_proto::pb::prometheus as prompb;
use quiver_proto::{Labels, Matcher, TimeRange};
use quiver_tests::bins::{assert_same_text, promtool_dump, quiver, stdout_of};
use quiver_tests::prometheus::Prometheus;
use quiver_tests::remote_write::{deltas, label, write_v1};

const T0: i64 = 1_700_000_000_000;

/// Float series with counters, gauges, special values and irregular timestamps.
fn float_series() -> Vec<prompb::TimeSeries> {
    (0..20)
        .map(|i| {
            let samples = (0..200i64)
                .map(|k| {
                    let timestamp = T0 + k * 15_000 + if k % 7 == 0 { i * 13 } else { 0 };
                    let value = match i % 4 {
                        0 => (k * (i + 1)) as f64,
                        1 => ((k as f64) * 0.37).sin() * 1e6,
                        2 => 0.1 * k as f64,
                        _ if k % 50 == 49 => f64::INFINITY,
                        // Not -0.0: prost, like proto3 in general, leaves out a field equal to 0.0,
                        // and -0.0 compares equal to it, so it would arrive as +0.0.
                        _ => -(k as f64 + 1.0) / 3.0,
                    };
                    prompb::Sample { value, timestamp }
                })
                .collect();
            prompb::TimeSeries {
                labels: vec![
                    label("__name__", if i % 2 == 0 { "rw_counter_total" } else { "rw_gauge" }),
                    label("instance", &format!("host-{i:02}")),
                    label("job", "remote"),
                ],
                samples,
                ..Default::default()
            }
        })
        .collect()
}

/// Counter native histograms whose buckets grow over time; each series ends with a float
/// sample so that Prometheus 2.42 closes the histogram chunk before the snapshot (its snapshot
/// re-encodes an open histogram head chunk).
fn histogram_series() -> Vec<prompb::TimeSeries> {
    (0..3u64)
        .map(|i| {
            let histograms = (0..100u64)
                .map(|k| {
                    let b = [1 + k, 2 * k, k / 3 + i, 5];
                    let total: u64 = b.iter().sum::<u64>() + k;
                    prompb::Histogram {
                        count: Some(prompb::histogram::Count::CountInt(total)),
                        sum: 1.5 * k as f64 + i as f64,
                        schema: i as i32,
                        zero_threshold: 1e-128,
                        zero_count: Some(prompb::histogram::ZeroCount::ZeroCountInt(k)),
                        positive_spans: vec![
                            prompb::BucketSpan { offset: 1, length: 2 },
                            prompb::BucketSpan { offset: 3, length: 2 },
                        ],
                        positive_deltas: deltas(&b),
                        timestamp: T0 + k as i64 * 30_000,
                        ..Default::default()
                    }
                })
                .collect();
            prompb::TimeSeries {
                labels: vec![label("__name__", "rw_latency_seconds"), label("shard", &i.to_string())],
                histograms,
                ..Default::default()
            }
        })
        .collect()
}

#[tokio::test]
async fn quiver_reads_a_block_prometheus_wrote() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = tmp.path().join("prometheus");
    let floats = float_series();
    let hists = histogram_series();
    let snapshot = {
        let prom = Prometheus::start(
            &storage,
            &[
                "--web.enable-remote-write-receiver",
                "--web.enable-admin-api",
                "--enable-feature=native-histograms",
            ],
        )
        .await;
        let write_url = format!("{}/api/v1/write", prom.url());
        write_v1(&write_url, floats.clone()).await;
        let mut closing = hists.clone();
        for s in &mut closing {
            let last = s.histograms.last().map(|h| h.timestamp).unwrap_or(T0);
            s.samples.push(prompb::Sample { value: 0.0, timestamp: last + 30_000 });
        }
        // Histograms and the closing float sample go in separate requests, in time order.
        let (mut only_h, mut only_f) = (closing.clone(), closing);
        only_h.iter_mut().for_each(|s| s.samples.clear());
        only_f.iter_mut().for_each(|s| s.histograms.clear());
        write_v1(&write_url, only_h).await;
        write_v1(&write_url, only_f).await;
        let r: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/api/v1/admin/tsdb/snapshot", prom.url()))
            .send()
            .await
            .expect("snapshot")
            .json()
            .await
            .expect("json");
        let name = r["data"]["name"].as_str().expect("snapshot name").to_string();
        storage.join("snapshots").join(name)
    };

    // The same dump as promtool's. promtool 2.42 prints float samples only, and none at all of a
    // series that starts with a histogram, so the comparison covers the float series; the
    // histograms are checked value by value below.
    let floats_only = ["--match", r#"{job="remote"}"#];
    let reference = promtool_dump(&snapshot, &floats_only);
    assert_eq!(reference.lines().count(), 20 * 200);
    let ours = stdout_of(quiver().args(["tools", "tsdb", "dump"]).args(floats_only).arg(&snapshot));
    assert_same_text(&ours, &reference, "dump of a Prometheus-written block");

    // Every float sample and every histogram, exactly as sent.
    let store: Arc<dyn ObjectStore> =
        Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&snapshot).expect("fs"));
    let blocks = quiver_bucket::block::list_blocks(&store, None).await.expect("list");
    assert_eq!(blocks.len(), 1, "one block from the head");
    let block = Block::open(store, ObjPath::from(blocks[0].to_string())).await.expect("open");
    for ts in &floats {
        let labels =
            Labels::from_pairs(ts.labels.iter().map(|l| (l.name.clone(), l.value.clone()))).expect("labels");
        let matchers: Vec<Matcher> =
            labels.iter().map(|l| Matcher::equal(l.name.clone(), l.value.clone())).collect();
        let found = block.select(&matchers, TimeRange::ALL).await.expect("select");
        assert_eq!(found.len(), 1, "{labels}");
        let got = block.float_samples(&found[0], TimeRange::ALL).await.expect("samples");
        let want: Vec<(i64, u64)> = ts.samples.iter().map(|s| (s.timestamp, s.value.to_bits())).collect();
        let got: Vec<(i64, u64)> = got.iter().map(|s| (s.t, s.v.to_bits())).collect();
        assert_eq!(got, want, "{labels}");
    }
    for ts in &hists {
        let shard = &ts.labels[1].value;
        let found = block
            .select(
                &[Matcher::equal("__name__", "rw_latency_seconds"), Matcher::equal("shard", shard.clone())],
                TimeRange::ALL,
            )
            .await
            .expect("select");
        assert_eq!(found.len(), 1);
        let mut got = Vec::new();
        for c in block.read_chunks(&found[0]).await.expect("chunks") {
            if c.encoding == Encoding::Histogram {
                got.extend(decode_histograms(&c.data).expect("Prometheus-written histogram chunk decodes"));
            }
        }
        assert_eq!(got.len(), ts.histograms.len(), "shard {shard}");
        for ((t, h), sent) in got.iter().zip(&ts.histograms) {
            assert_eq!(*t, sent.timestamp);
            assert_eq!(Some(prompb::histogram::Count::CountInt(h.count)), sent.count);
            assert_eq!(Some(prompb::histogram::ZeroCount::ZeroCountInt(h.zero_count)), sent.zero_count);
            assert_eq!(h.sum.to_bits(), sent.sum.to_bits());
            assert_eq!(h.schema, sent.schema);
            assert_eq!(h.zero_threshold.to_bits(), sent.zero_threshold.to_bits());
            let spans: Vec<(i32, u32)> = h.positive_spans.iter().map(|s| (s.offset, s.length)).collect();
            let sent_spans: Vec<(i32, u32)> =
                sent.positive_spans.iter().map(|s| (s.offset, s.length)).collect();
            assert_eq!(spans, sent_spans);
            assert_eq!(h.positive_buckets, sent.positive_deltas);
        }
    }
}
