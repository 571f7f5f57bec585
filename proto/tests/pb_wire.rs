//! Wire-format checks of the generated Prometheus and Thanos protobuf messages.
//!
//! Each test encodes a message and compares the bytes with ones worked out by hand from the
//! protobuf encoding rules, which pins down field numbers and field types (a wrong number or a
//! `sint64` where upstream has `int64` changes the bytes). Decoding is checked to fail cleanly,
//! never panic, on malformed and truncated input. The gRPC paths are checked against the
//! upstream ones, since the package and service names decide them.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use prost::Message;
use quiver_proto::pb::{hintspb, io::prometheus::write::v2 as writev2, prometheus, thanos};
use tonic::codegen::{Service, http};

/// Parses space-separated hex bytes, e.g. `"0a 01 61"`.
fn h(hex: &str) -> Vec<u8> {
    hex.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("hex byte")).collect()
}

/// Hex bytes of `s`, for strings inside expected encodings.
fn s(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x} ")).collect()
}

/// Encodes `msg`, checks it against `expected`, and checks it decodes back to `msg`.
fn assert_wire<M: Message + Default + PartialEq + std::fmt::Debug>(msg: &M, expected: &str) {
    let bytes = msg.encode_to_vec();
    assert_eq!(bytes, h(expected), "encoding of {msg:?}");
    assert_eq!(bytes.len(), msg.encoded_len());
    let back = M::decode(bytes.as_slice()).expect("decoding what was encoded");
    assert_eq!(&back, msg);
}

fn thanos_label(name: &str, value: &str) -> thanos::Label {
    thanos::Label { name: name.into(), value: value.into() }
}

// 1.0 in little-endian IEEE 754, as protobuf `double` fields carry it.
const ONE_F64: &str = "00 00 00 00 00 00 f0 3f";

#[test]
fn prompb_write_request() {
    let req = prometheus::WriteRequest {
        timeseries: vec![prometheus::TimeSeries {
            labels: vec![prometheus::Label { name: "a".into(), value: "b".into() }],
            samples: vec![prometheus::Sample { value: 1.0, timestamp: 1000 }],
            ..Default::default()
        }],
        metadata: vec![],
    };
    // Label: name #1 "a", value #2 "b".
    let label = "0a 01 61 12 01 62";
    // Sample: value #1 (fixed64 double), timestamp #2 varint 1000 = e8 07.
    let sample = format!("09 {ONE_F64} 10 e8 07");
    // TimeSeries: labels #1 (6 bytes), samples #2 (12 bytes); WriteRequest: timeseries #1.
    assert_wire(&req, &format!("0a 16 0a 06 {label} 12 0c {sample}"));
}

#[test]
fn prompb_write_request_metadata_and_histogram() {
    let req = prometheus::WriteRequest {
        timeseries: vec![prometheus::TimeSeries {
            histograms: vec![prometheus::Histogram {
                count: Some(prometheus::histogram::Count::CountInt(3)),
                schema: -1,
                positive_spans: vec![prometheus::BucketSpan { offset: -2, length: 1 }],
                positive_deltas: vec![-1],
                reset_hint: prometheus::histogram::ResetHint::Gauge as i32,
                ..Default::default()
            }],
            ..Default::default()
        }],
        metadata: vec![prometheus::MetricMetadata {
            r#type: prometheus::metric_metadata::MetricType::Counter as i32,
            metric_family_name: "m".into(),
            help: "h".into(),
            unit: String::new(),
        }],
    };
    // Histogram: count_int #1 = 3; schema #4 sint32 -1 zigzag = 01; positive_spans #11 with
    // offset #1 sint32 -2 zigzag = 03 and length #2 uint32 1; positive_deltas #12 packed
    // sint64 -1 = 01; reset_hint #14 GAUGE = 3.
    let hist = "08 03 20 01 5a 04 08 03 10 01 62 01 01 70 03";
    // MetricMetadata: type #1 COUNTER = 1, metric_family_name #2, help #4 (field 3 unused).
    let meta = "08 01 12 01 6d 22 01 68";
    // TimeSeries: histograms #4; WriteRequest: timeseries #1, metadata #3.
    assert_wire(&req, &format!("0a 11 22 0f {hist} 1a 08 {meta}"));
}

#[test]
fn prompb_read_request_and_chunked_response() {
    let req = prometheus::ReadRequest {
        queries: vec![prometheus::Query {
            start_timestamp_ms: 1,
            end_timestamp_ms: 2,
            matchers: vec![prometheus::LabelMatcher {
                r#type: prometheus::label_matcher::Type::Nre as i32,
                name: "a".into(),
                value: "b".into(),
            }],
            hints: None,
        }],
        accepted_response_types: vec![
            prometheus::read_request::ResponseType::StreamedXorChunks as i32,
            prometheus::read_request::ResponseType::Samples as i32,
        ],
    };
    // Query: start #1, end #2, matchers #3 (type #1 NRE = 3, name #2, value #3).
    // ReadRequest: queries #1, accepted_response_types #2 packed [1, 0].
    assert_wire(&req, "0a 0e 08 01 10 02 1a 08 08 03 12 01 61 1a 01 62 12 02 01 00");

    let resp = prometheus::ChunkedReadResponse {
        chunked_series: vec![prometheus::ChunkedSeries {
            labels: vec![prometheus::Label { name: "a".into(), value: "b".into() }],
            chunks: vec![prometheus::Chunk {
                min_time_ms: 1,
                max_time_ms: 2,
                r#type: prometheus::chunk::Encoding::Xor as i32,
                data: vec![0xaa].into(),
            }],
        }],
        query_index: 1,
    };
    // Chunk: min #1, max #2, type #3 XOR = 1 (prompb numbering), data #4.
    // ChunkedSeries: labels #1, chunks #2; response: chunked_series #1, query_index #2.
    assert_wire(&resp, "0a 13 0a 06 0a 01 61 12 01 62 12 09 08 01 10 02 18 01 22 01 aa 10 01");
    assert_eq!(prometheus::chunk::Encoding::Unknown as i32, 0);
    assert_eq!(prometheus::chunk::Encoding::Xor as i32, 1);
    assert_eq!(prometheus::chunk::Encoding::Histogram as i32, 2);
    assert_eq!(prometheus::chunk::Encoding::FloatHistogram as i32, 3);
    assert_eq!(prometheus::read_request::ResponseType::Samples as i32, 0);
    assert_eq!(prometheus::read_request::ResponseType::StreamedXorChunks as i32, 1);
}

#[test]
fn write_v2_request() {
    let req = writev2::Request {
        symbols: vec![String::new(), "__name__".into(), "up".into()],
        timeseries: vec![writev2::TimeSeries {
            labels_refs: vec![1, 2],
            samples: vec![writev2::Sample { value: 1.0, timestamp: 5, start_timestamp: 0 }],
            metadata: Some(writev2::Metadata {
                r#type: writev2::metadata::MetricType::Gauge as i32,
                help_ref: 0,
                unit_ref: 0,
            }),
            ..Default::default()
        }],
    };
    // Request: symbols #4 ("", "__name__", "up"), timeseries #5.
    // TimeSeries: labels_refs #1 packed [1, 2], samples #2 (value #1, timestamp #2),
    // metadata #5 (type #1 GAUGE = 2).
    let expected = format!(
        "22 00 22 08 {} 22 02 {} 2a 15 0a 02 01 02 12 0b 09 {ONE_F64} 10 05 2a 02 08 02",
        s("__name__"),
        s("up"),
    );
    assert_wire(&req, &expected);

    // start_timestamp is #3 of Sample and #17 of Histogram; the count oneof is #1/#2.
    let sample = writev2::Sample { value: 0.0, timestamp: 0, start_timestamp: 7 };
    assert_wire(&sample, "18 07");
    let hist = writev2::Histogram {
        count: Some(writev2::histogram::Count::CountFloat(1.0)),
        start_timestamp: 1,
        ..Default::default()
    };
    // #17 varint: key (17 << 3) | 0 = 136 = 88 01.
    assert_wire(&hist, &format!("11 {ONE_F64} 88 01 01"));

    // Fields 1-3 are reserved for the 1.0 message: a 1.0 body decodes as an empty request.
    let v1 = prometheus::WriteRequest {
        timeseries: vec![prometheus::TimeSeries {
            labels: vec![prometheus::Label { name: "a".into(), value: "b".into() }],
            ..Default::default()
        }],
        metadata: vec![],
    };
    let decoded = writev2::Request::decode(v1.encode_to_vec().as_slice()).expect("decodes");
    assert_eq!(decoded, writev2::Request::default());
}

#[test]
fn storepb_series_request() {
    let req = thanos::SeriesRequest {
        min_time: -1,
        max_time: 2,
        matchers: vec![thanos::LabelMatcher {
            r#type: thanos::label_matcher::Type::Re as i32,
            name: "n".into(),
            value: "v".into(),
        }],
        aggregates: vec![thanos::Aggr::Count as i32, thanos::Aggr::Sum as i32],
        partial_response_strategy: thanos::PartialResponseStrategy::Abort as i32,
        skip_chunks: true,
        ..Default::default()
    };
    // min_time #1 int64 -1: ten-byte varint (int64, not sint64); max_time #2 = 2;
    // matchers #3 (type #1 RE = 2, name #2, value #3); aggregates #5 packed [COUNT=1, SUM=2];
    // partial_response_strategy #7 ABORT = 1; skip_chunks #8.
    assert_wire(
        &req,
        "08 ff ff ff ff ff ff ff ff ff 01 10 02 1a 08 08 02 12 01 6e 1a 01 76 \
         2a 02 01 02 38 01 40 01",
    );

    let hinted = thanos::SeriesRequest {
        query_hints: Some(thanos::QueryHints {
            step_millis: 1,
            func: Some(thanos::Func { name: "f".into() }),
            grouping: Some(thanos::Grouping { by: true, labels: vec!["g".into()] }),
            range: Some(thanos::Range { millis: 2 }),
            ..Default::default()
        }),
        shard_info: Some(thanos::ShardInfo {
            shard_index: 1,
            total_shards: 2,
            by: true,
            labels: vec!["s".into()],
        }),
        without_replica_labels: vec!["r".into()],
        limit: 3,
        response_batch_size: 4,
        ..Default::default()
    };
    // query_hints #12 (step #1, func #2 {name #1}, grouping #4 {by #1, labels #3},
    // range #5 {millis #1}); shard_info #13; without_replica_labels #14; limit #15;
    // response_batch_size #16 (key 80 01).
    assert_wire(
        &hinted,
        "62 12 08 01 12 03 0a 01 66 22 05 08 01 1a 01 67 2a 02 08 02 \
         6a 09 08 01 10 02 18 01 22 01 73 72 01 72 78 03 80 01 04",
    );
}

#[test]
fn storepb_series_response() {
    let resp = thanos::SeriesResponse {
        result: Some(thanos::series_response::Result::Series(thanos::Series {
            labels: vec![thanos_label("a", "b")],
            chunks: vec![thanos::AggrChunk {
                min_time: 1,
                max_time: 2,
                raw: Some(thanos::Chunk {
                    r#type: thanos::chunk::Encoding::Xor as i32,
                    data: vec![1, 2].into(),
                    hash: 0,
                }),
                ..Default::default()
            }],
        })),
    };
    // Chunk: type #1 XOR = 0 is the default and not written; data #2.
    // AggrChunk: min_time #1, max_time #2, raw #3. Series: labels #1, chunks #2.
    // SeriesResponse: series #1.
    assert_wire(&resp, "0a 14 0a 06 0a 01 61 12 01 62 12 0a 08 01 10 02 1a 04 12 02 01 02");

    // Downsampled aggregates: count #4 ... counter #8, with a HISTOGRAM (= 1) chunk and a hash.
    let aggr = thanos::AggrChunk {
        count: Some(thanos::Chunk {
            r#type: thanos::chunk::Encoding::Histogram as i32,
            data: vec![].into(),
            hash: 5,
        }),
        counter: Some(thanos::Chunk::default()),
        ..Default::default()
    };
    assert_wire(&aggr, "22 04 08 01 18 05 42 00");
    assert_eq!(thanos::chunk::Encoding::Xor as i32, 0);
    assert_eq!(thanos::chunk::Encoding::Histogram as i32, 1);
    assert_eq!(thanos::chunk::Encoding::FloatHistogram as i32, 2);

    let warning =
        thanos::SeriesResponse { result: Some(thanos::series_response::Result::Warning("w".into())) };
    assert_wire(&warning, "12 01 77");

    let batch = thanos::SeriesResponse {
        result: Some(thanos::series_response::Result::Batch(thanos::SeriesBatch {
            series: vec![thanos::Series::default()],
        })),
    };
    assert_wire(&batch, "22 02 0a 00");
}

#[test]
fn hints_travel_in_any() {
    let hints = hintspb::SeriesResponseHints {
        queried_blocks: vec![hintspb::Block { id: "b".into() }],
        query_stats: None,
    };
    let any = prost_types::Any::from_msg(&hints).expect("packs");
    assert_eq!(any.type_url, "type.googleapis.com/hintspb.SeriesResponseHints");
    assert_eq!(any.value, h("0a 03 0a 01 62"));

    let resp = thanos::SeriesResponse { result: Some(thanos::series_response::Result::Hints(any.clone())) };
    let url = "type.googleapis.com/hintspb.SeriesResponseHints";
    // hints #3: Any { type_url #1, value #2 }.
    assert_wire(&resp, &format!("1a 38 0a 2f {} 12 05 0a 03 0a 01 62", s(url)));

    let back: hintspb::SeriesResponseHints = any.to_msg().expect("unpacks");
    assert_eq!(back, hints);
    assert!(any.to_msg::<hintspb::SeriesRequestHints>().is_err(), "type URL is checked");

    let req_hints = hintspb::SeriesRequestHints {
        block_matchers: vec![thanos::LabelMatcher {
            r#type: thanos::label_matcher::Type::Eq as i32,
            name: "a".into(),
            value: "b".into(),
        }],
        enable_query_stats: true,
    };
    // block_matchers #1 (type EQ = 0 not written), enable_query_stats #2.
    assert_wire(&req_hints, "0a 06 12 01 61 1a 01 62 10 01");

    let stats = hintspb::QueryStats {
        blocks_queried: 1,
        data_downloaded_size_sum: 2,
        merge_duration: Some(prost_types::Duration { seconds: 3, nanos: 0 }),
        ..Default::default()
    };
    // blocks_queried #1; data_downloaded_size_sum #20 (key a0 01); merge_duration #22
    // (key b2 01) as a Duration { seconds #1 }.
    assert_wire(&stats, "08 01 a0 01 02 b2 01 02 08 03");
}

#[test]
fn storepb_label_requests() {
    let names = thanos::LabelNamesRequest {
        start: 1,
        end: 2,
        matchers: vec![thanos::LabelMatcher::default()],
        limit: 5,
        ..Default::default()
    };
    // start #3, end #4, matchers #6 (all defaults: empty), limit #8.
    assert_wire(&names, "18 01 20 02 32 00 40 05");

    let values = thanos::LabelValuesRequest {
        label: "l".into(),
        partial_response_disabled: true,
        without_replica_labels: vec!["r".into()],
        limit: 1,
        ..Default::default()
    };
    // label #1, partial_response_disabled #2, without_replica_labels #8, limit #9.
    assert_wire(&values, "0a 01 6c 10 01 42 01 72 48 01");

    let resp =
        thanos::LabelValuesResponse { values: vec!["x".into()], warnings: vec!["w".into()], hints: None };
    assert_wire(&resp, "0a 01 78 12 01 77");
}

#[test]
fn storepb_remote_write() {
    use quiver_proto::pb::prometheus_copy;
    let req = thanos::WriteRequest {
        timeseries: vec![prometheus_copy::TimeSeries {
            labels: vec![thanos_label("a", "b")],
            ..Default::default()
        }],
        tenant: "t".into(),
        replica: 1,
        timeseries_tenant_data: vec![thanos::TimeSeriesTenantTuple {
            timeseries: vec![],
            tenant: "u".into(),
        }],
    };
    // timeseries #1 (labels #1), tenant #2, replica #3, timeseriesTenantData #4 (tenant #2).
    assert_wire(&req, "0a 08 0a 06 0a 01 61 12 01 62 12 01 74 18 01 22 03 12 01 75");
}

#[test]
fn infopb_info_response() {
    use thanos::info;
    let resp = info::InfoResponse {
        label_sets: vec![thanos::ZLabelSet { labels: vec![thanos_label("a", "b")] }],
        component_type: "store".into(),
        store: Some(info::StoreInfo {
            min_time: 1,
            max_time: 2,
            supports_sharding: true,
            supports_without_replica_labels: true,
            tsdb_infos: vec![info::TsdbInfo {
                labels: Some(thanos::ZLabelSet::default()),
                min_time: 3,
                max_time: 4,
            }],
            supports_projections: true,
        }),
        rules: Some(info::RulesInfo {}),
        exemplars: Some(info::ExemplarsInfo { min_time: 5, max_time: 6 }),
        query: Some(info::QueryApiInfo {}),
        ..Default::default()
    };
    // label_sets #1; ComponentType #2; store #3 (min #1, max #2, supports_sharding #3,
    // #4 reserved, supports_without_replica_labels #5, tsdb_infos #6 {labels #1, min #2,
    // max #3}, supports_projections #7); rules #4 empty; exemplars #7; query #8 empty.
    let expected = format!(
        "0a 08 0a 06 0a 01 61 12 01 62 12 05 {} \
         1a 12 08 01 10 02 18 01 28 01 32 06 0a 00 10 03 18 04 38 01 \
         22 00 3a 04 08 05 10 06 42 00",
        s("store"),
    );
    assert_wire(&resp, &expected);
    assert_wire(&info::InfoRequest {}, "");
    let others = info::InfoResponse {
        metric_metadata: Some(info::MetricMetadataInfo {}),
        targets: Some(info::TargetsInfo {}),
        status: Some(info::StatusInfo {}),
        ..Default::default()
    };
    // metric_metadata #5, targets #6, status #9.
    assert_wire(&others, "2a 00 32 00 4a 00");
}

#[test]
fn rulespb_rules_response() {
    let resp = thanos::RulesResponse {
        result: Some(thanos::rules_response::Result::Group(thanos::RuleGroup {
            name: "g".into(),
            file: "f".into(),
            rules: vec![thanos::Rule {
                result: Some(thanos::rule::Result::Alert(thanos::Alert {
                    state: thanos::AlertState::Firing as i32,
                    name: "A".into(),
                    ..Default::default()
                })),
            }],
            interval: 60.0,
            last_evaluation: Some(prost_types::Timestamp { seconds: 1, nanos: 0 }),
            partial_response_strategy: thanos::PartialResponseStrategy::Abort as i32,
            ..Default::default()
        })),
    };
    // Alert: state #1 FIRING = 3, name #2. Rule: alert #2.
    // RuleGroup: name #1, file #2, rules #3, interval #4 (double 60.0), last_evaluation #6
    // (Timestamp { seconds #1 }), PartialResponseStrategy #8 ABORT = 1.
    // RulesResponse: group #1.
    assert_wire(
        &resp,
        "0a 1e 0a 01 67 12 01 66 1a 07 12 05 08 03 12 01 41 \
         21 00 00 00 00 00 00 4e 40 32 02 08 01 40 01",
    );

    let recording = thanos::Rule {
        result: Some(thanos::rule::Result::Recording(thanos::RecordingRule {
            name: "r".into(),
            query: "q".into(),
            labels: Some(thanos::ZLabelSet { labels: vec![thanos_label("a", "b")] }),
            health: "ok".into(),
            evaluation_duration_seconds: 1.0,
            ..Default::default()
        })),
    };
    // RecordingRule: name #1, query #2, labels #3, health #4, evaluation_duration_seconds #6.
    assert_wire(
        &recording,
        &format!("0a 1d 0a 01 72 12 01 71 1a 08 0a 06 0a 01 61 12 01 62 22 02 6f 6b 31 {ONE_F64}"),
    );

    let alert = thanos::Alert {
        alerts: vec![thanos::AlertInstance {
            state: thanos::AlertState::Pending as i32,
            active_at: Some(prost_types::Timestamp { seconds: 2, nanos: 0 }),
            value: "1".into(),
            partial_response_strategy: thanos::PartialResponseStrategy::Abort as i32,
            ..Default::default()
        }],
        last_error: "e".into(),
        keep_firing_for_seconds: 1.0,
        ..Default::default()
    };
    // AlertInstance: state #3 PENDING = 2, active_at #4, value #5, PartialResponseStrategy #6.
    // Alert: alerts #7, last_error #9, keep_firing_for_seconds #12 (key 61).
    assert_wire(&alert, &format!("3a 0b 18 02 22 02 08 02 2a 01 31 30 01 4a 01 65 61 {ONE_F64}"));

    let req = thanos::RulesRequest {
        r#type: thanos::rules_request::Type::Record as i32,
        partial_response_strategy: thanos::PartialResponseStrategy::Warn as i32,
        matcher_string: vec!["m".into()],
        rule_name: vec!["n".into()],
        rule_group: vec!["g".into()],
        file: vec!["f".into()],
    };
    // type #1 RECORD = 2, matcher_string #3, rule_name #4, rule_group #5, file #6.
    assert_wire(&req, "08 02 1a 01 6d 22 01 6e 2a 01 67 32 01 66");

    let warning = thanos::RulesResponse { result: Some(thanos::rules_response::Result::Warning("w".into())) };
    assert_wire(&warning, "12 01 77");
}

#[test]
fn labelpb_types() {
    let set = thanos::LabelSet { labels: vec![thanos_label("a", "b")] };
    assert_wire(&set, "0a 06 0a 01 61 12 01 62");
    let table = thanos::SymbolTable { offsets: vec![0, 1], table: vec![0x61, 0x62].into() };
    // offsets #1 packed uint32, table #2 bytes.
    assert_wire(&table, "0a 02 00 01 12 02 61 62");
    let sym = thanos::SymTableLabel { name_ref: 1, value_ref: 2 };
    assert_wire(&sym, "08 01 10 02");
}

/// Decodes `bytes` as every top-level message; must never panic.
fn decode_everything(bytes: &[u8]) {
    let _ = prometheus::WriteRequest::decode(bytes);
    let _ = prometheus::ReadRequest::decode(bytes);
    let _ = prometheus::ReadResponse::decode(bytes);
    let _ = prometheus::ChunkedReadResponse::decode(bytes);
    let _ = writev2::Request::decode(bytes);
    let _ = thanos::SeriesRequest::decode(bytes);
    let _ = thanos::SeriesResponse::decode(bytes);
    let _ = thanos::LabelNamesRequest::decode(bytes);
    let _ = thanos::LabelValuesResponse::decode(bytes);
    let _ = thanos::WriteRequest::decode(bytes);
    let _ = thanos::info::InfoResponse::decode(bytes);
    let _ = thanos::RulesResponse::decode(bytes);
    let _ = hintspb::SeriesResponseHints::decode(bytes);
    let _ = hintspb::QueryStats::decode(bytes);
}

#[test]
fn malformed_input_is_an_error() {
    // A nested message whose length runs past the end.
    let mut write = prometheus::WriteRequest {
        timeseries: vec![prometheus::TimeSeries {
            labels: vec![prometheus::Label { name: "a".into(), value: "b".into() }],
            samples: vec![prometheus::Sample { value: 1.0, timestamp: 1000 }],
            ..Default::default()
        }],
        metadata: vec![],
    }
    .encode_to_vec();
    for len in 1..write.len() {
        assert!(prometheus::WriteRequest::decode(&write[..len]).is_err(), "truncated to {len} bytes");
    }
    // Wire type 7 does not exist.
    assert!(prometheus::WriteRequest::decode(&h("0f")[..]).is_err());
    // A varint longer than ten bytes.
    assert!(thanos::SeriesRequest::decode(&h("08 ff ff ff ff ff ff ff ff ff ff 01")[..]).is_err());
    // A string that is not UTF-8.
    assert!(prometheus::Label::decode(&h("0a 01 ff")[..]).is_err());
    // A fixed64 double cut short.
    assert!(prometheus::Sample::decode(&h("09 00 00 00")[..]).is_err());
    // Field number 0 is invalid.
    assert!(thanos::SeriesResponse::decode(&h("02 00")[..]).is_err());
    // A length prefix far beyond the buffer.
    assert!(thanos::SeriesResponse::decode(&h("0a ff ff ff ff 0f")[..]).is_err());
    // A group start without its end.
    assert!(thanos::Series::decode(&h("0b")[..]).is_err());
    // Wrong wire type for a known field (samples #2 given as a varint).
    assert!(prometheus::TimeSeries::decode(&h("10 01")[..]).is_err());

    // Every prefix and every single-byte corruption of a few encodings: no panics.
    let samples = [
        write.clone(),
        thanos::SeriesResponse {
            result: Some(thanos::series_response::Result::Series(thanos::Series {
                labels: vec![thanos_label("a", "b")],
                chunks: vec![thanos::AggrChunk {
                    raw: Some(thanos::Chunk { data: vec![1, 2, 3].into(), ..Default::default() }),
                    ..Default::default()
                }],
            })),
        }
        .encode_to_vec(),
        thanos::info::InfoResponse {
            label_sets: vec![thanos::ZLabelSet { labels: vec![thanos_label("a", "b")] }],
            store: Some(thanos::info::StoreInfo { min_time: -5, ..Default::default() }),
            ..Default::default()
        }
        .encode_to_vec(),
    ];
    for bytes in &samples {
        for len in 0..=bytes.len() {
            decode_everything(&bytes[..len]);
        }
        for i in 0..bytes.len() {
            for v in [0x00, 0x7f, 0x80, 0xff] {
                let mut corrupt = bytes.clone();
                corrupt[i] = v;
                decode_everything(&corrupt);
            }
        }
    }

    // Pseudo-random garbage (xorshift, fixed seed): no panics.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 64) as usize;
        write.clear();
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            write.push((state >> 56) as u8);
        }
        decode_everything(&write);
    }
}

#[test]
fn grpc_service_names_and_paths() {
    use quiver_proto::pb::thanos::{info, rules_server, store_server, writeable_store_server};
    assert_eq!(store_server::SERVICE_NAME, "thanos.Store");
    assert_eq!(info::info_server::SERVICE_NAME, "thanos.info.Info");
    assert_eq!(rules_server::SERVICE_NAME, "thanos.Rules");
    assert_eq!(writeable_store_server::SERVICE_NAME, "thanos.WriteableStore");

    let thanos_rs = include_str!("../src/gen/thanos.rs");
    for path in [
        "/thanos.Store/Series",
        "/thanos.Store/LabelNames",
        "/thanos.Store/LabelValues",
        "/thanos.Rules/Rules",
        "/thanos.WriteableStore/RemoteWrite",
    ] {
        // Once in the client, once in the server's router.
        let quoted = format!("\"{path}\"");
        assert_eq!(thanos_rs.matches(&quoted).count(), 2, "{path} in thanos.rs");
    }
    let info_rs = include_str!("../src/gen/thanos.info.rs");
    assert_eq!(info_rs.matches("\"/thanos.info.Info/Info\"").count(), 2);
}

/// A transport that records the request path and answers every call with `UNIMPLEMENTED`.
#[derive(Clone, Default)]
struct RecordingTransport {
    paths: Arc<Mutex<Vec<String>>>,
}

impl Service<http::Request<tonic::body::Body>> for RecordingTransport {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        self.paths.lock().expect("lock").push(req.uri().path().to_owned());
        let resp = http::Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-status", "12")
            .body(tonic::body::Body::empty())
            .expect("response");
        std::future::ready(Ok(resp))
    }
}

/// Polls a future that never waits on I/O to completion.
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("future did not complete");
}

#[test]
fn grpc_clients_call_upstream_paths() {
    let transport = RecordingTransport::default();
    let mut store = thanos::store_client::StoreClient::new(transport.clone());
    let status = block_on(store.series(thanos::SeriesRequest::default())).expect_err("stub");
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    let _ = block_on(store.label_names(thanos::LabelNamesRequest::default()));
    let _ = block_on(store.label_values(thanos::LabelValuesRequest::default()));
    let mut info = thanos::info::info_client::InfoClient::new(transport.clone());
    let _ = block_on(info.info(thanos::info::InfoRequest {}));
    let mut rules = thanos::rules_client::RulesClient::new(transport.clone());
    let _ = block_on(rules.rules(thanos::RulesRequest::default()));
    assert_eq!(
        *transport.paths.lock().expect("lock"),
        [
            "/thanos.Store/Series",
            "/thanos.Store/LabelNames",
            "/thanos.Store/LabelValues",
            "/thanos.info.Info/Info",
            "/thanos.Rules/Rules",
        ]
    );
}
