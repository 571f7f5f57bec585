//! The source trait's types to and from Thanos's StoreAPI messages (`storepb`, `infopb`), for
//! the gRPC server that serves a source and the client that makes a remote endpoint one.
//! Conversions from the wire validate what they read (sorted unique labels, known encodings,
//! compilable regexes), since it comes from another process.

use super::{
    Grouping, LabelsAnswer, LabelsRequest, QueryHints, SeriesFrame, SeriesLimits, SeriesRequest, ShardInfo,
    StoreError, StoreInfo, StoreSeries,
};
use crate::chunkenc::{Encoding, RawChunk};
use crate::labels::{Label, Labels};
use crate::matcher::{MatchOp, Matcher};
use crate::pb::thanos as pb;
use crate::pb::thanos::info as infopb;
use crate::sample::TimeRange;

/// Thanos's name for each kind of component (`ComponentType` in `Info`).
pub const COMPONENT_STORE: &str = "store";
pub const COMPONENT_SIDECAR: &str = "sidecar";
pub const COMPONENT_RECEIVE: &str = "receive";
pub const COMPONENT_QUERY: &str = "query";

/// Label pairs as `storepb` carries them.
pub fn labels_to_pb(labels: &Labels) -> Vec<pb::Label> {
    labels.iter().map(|l| pb::Label { name: l.name.clone(), value: l.value.clone() }).collect()
}

/// Labels from the wire: must be sorted and unique.
pub fn labels_from_pb(labels: Vec<pb::Label>) -> Result<Labels, String> {
    Labels::from_sorted(labels.into_iter().map(|l| Label::new(l.name, l.value)).collect())
        .map_err(|e| e.to_string())
}

pub fn matchers_to_pb(matchers: &[Matcher]) -> Vec<pb::LabelMatcher> {
    matchers
        .iter()
        .map(|m| {
            let t = match m.op {
                MatchOp::Equal => pb::label_matcher::Type::Eq,
                MatchOp::NotEqual => pb::label_matcher::Type::Neq,
                MatchOp::RegexMatch => pb::label_matcher::Type::Re,
                MatchOp::RegexNoMatch => pb::label_matcher::Type::Nre,
            };
            pb::LabelMatcher { r#type: t as i32, name: m.name.clone(), value: m.value.clone() }
        })
        .collect()
}

pub fn matchers_from_pb(matchers: &[pb::LabelMatcher]) -> Result<Vec<Matcher>, String> {
    matchers
        .iter()
        .map(|m| {
            let op = match pb::label_matcher::Type::try_from(m.r#type) {
                Ok(pb::label_matcher::Type::Eq) => MatchOp::Equal,
                Ok(pb::label_matcher::Type::Neq) => MatchOp::NotEqual,
                Ok(pb::label_matcher::Type::Re) => MatchOp::RegexMatch,
                Ok(pb::label_matcher::Type::Nre) => MatchOp::RegexNoMatch,
                Err(_) => return Err(format!("unknown matcher type {}", m.r#type)),
            };
            Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| e.to_string())
        })
        .collect()
}

/// A series request as a Thanos querier sends it; `partial_response` picks the strategy.
pub fn series_request_to_pb(req: &SeriesRequest, partial_response: bool) -> pb::SeriesRequest {
    let strategy =
        if partial_response { pb::PartialResponseStrategy::Warn } else { pb::PartialResponseStrategy::Abort };
    let hints = req.hints.as_ref();
    pb::SeriesRequest {
        min_time: req.range.min,
        max_time: req.range.max,
        matchers: matchers_to_pb(&req.matchers),
        max_resolution_window: req.max_resolution_ms,
        aggregates: vec![pb::Aggr::Count as i32, pb::Aggr::Sum as i32],
        partial_response_disabled: !partial_response,
        partial_response_strategy: strategy as i32,
        skip_chunks: req.skip_chunks,
        hints: None,
        step: hints.map_or(0, |h| h.step_ms),
        range: hints.map_or(0, |h| h.range_ms),
        query_hints: hints.map(|h| pb::QueryHints {
            step_millis: h.step_ms,
            func: h.func.as_ref().map(|name| pb::Func { name: name.clone() }),
            grouping: h.grouping.as_ref().map(|g| pb::Grouping { by: g.by, labels: g.labels.clone() }),
            range: Some(pb::Range { millis: h.range_ms }),
            ..pb::QueryHints::default()
        }),
        shard_info: req.shard.as_ref().map(|s| pb::ShardInfo {
            shard_index: s.index as i64,
            total_shards: s.total as i64,
            by: s.by,
            labels: s.labels.clone(),
        }),
        without_replica_labels: req.without_replica_labels.clone(),
        // Our series limit fails a request; StoreAPI's `limit` cuts an answer short instead.
        limit: 0,
        response_batch_size: RESPONSE_BATCH_SIZE,
    }
}

/// Series per `SeriesResponse` a Quiver querier asks for: one message per series costs the
/// server a frame and often a wake-up each (10k series, 10k messages); 64 series of a few chunks
/// keep a message near 64 KiB. Servers that predate the field ignore it and send one per series.
pub const RESPONSE_BATCH_SIZE: i64 = 64;

/// A series request from the wire; `store` names the server in errors.
pub fn series_request_from_pb(store: &str, r: &pb::SeriesRequest) -> Result<SeriesRequest, StoreError> {
    if r.min_time > r.max_time {
        return Err(StoreError::invalid(
            store,
            format!("min_time {} is after max_time {}", r.min_time, r.max_time),
        ));
    }
    let matchers = matchers_from_pb(&r.matchers).map_err(|e| StoreError::invalid(store, e))?;
    let hints = r.query_hints.as_ref().map(|h| QueryHints {
        step_ms: h.step_millis,
        range_ms: h.range.as_ref().map_or(r.range, |x| x.millis),
        func: h.func.as_ref().map(|f| f.name.clone()).filter(|f| !f.is_empty()),
        grouping: h.grouping.as_ref().map(|g| Grouping { by: g.by, labels: g.labels.clone() }),
    });
    let shard = r.shard_info.as_ref().filter(|s| s.total_shards > 1).map(|s| ShardInfo {
        index: s.shard_index.max(0) as u64,
        total: s.total_shards as u64,
        by: s.by,
        labels: s.labels.clone(),
    });
    Ok(SeriesRequest {
        range: TimeRange::new(r.min_time, r.max_time),
        matchers,
        max_resolution_ms: r.max_resolution_window,
        skip_chunks: r.skip_chunks,
        hints,
        limits: SeriesLimits::default(),
        shard,
        without_replica_labels: r.without_replica_labels.clone(),
    })
}

/// A series as `storepb` sends it, each chunk hashed as Thanos's stores hash them (xxhash64 of
/// the data), so a querier can drop identical chunks of replicated stores. Taken by value: its
/// label strings move into the message rather than being copied, once per label per series.
pub fn series_to_pb(s: StoreSeries) -> pb::Series {
    pb::Series {
        labels: s.labels.into_vec().into_iter().map(|l| pb::Label { name: l.name, value: l.value }).collect(),
        chunks: s
            .chunks
            .into_iter()
            .map(|c| pb::AggrChunk {
                min_time: c.min_time,
                max_time: c.max_time,
                raw: Some(pb::Chunk {
                    r#type: c.encoding.to_storepb(),
                    hash: twox_hash::XxHash64::oneshot(0, &c.data),
                    data: c.data,
                }),
                ..pb::AggrChunk::default()
            })
            .collect(),
    }
}

/// A series from the wire. Only raw chunks are read: aggregate chunks come from downsampled
/// blocks, which a request for raw data (`max_resolution_window` 0) never gets.
pub fn series_from_pb(s: pb::Series) -> Result<StoreSeries, String> {
    let labels = labels_from_pb(s.labels)?;
    let mut chunks = Vec::with_capacity(s.chunks.len());
    for c in s.chunks {
        let Some(raw) = c.raw else {
            return Err(format!("series {labels}: a chunk without raw data (aggregates are not read)"));
        };
        let encoding = Encoding::from_storepb(raw.r#type).map_err(|e| format!("series {labels}: {e}"))?;
        chunks.push(RawChunk { min_time: c.min_time, max_time: c.max_time, encoding, data: raw.data });
    }
    Ok(StoreSeries { labels, chunks })
}

/// One `SeriesResponse` frame (hints frames are `None`: they carry nothing a source needs).
pub fn frames_from_pb(resp: pb::SeriesResponse) -> Result<Vec<SeriesFrame>, String> {
    use pb::series_response::Result as R;
    match resp.result {
        Some(R::Series(s)) => Ok(vec![SeriesFrame::Series(series_from_pb(s)?)]),
        Some(R::Warning(w)) => Ok(vec![SeriesFrame::Warning(w)]),
        Some(R::Batch(b)) => {
            b.series.into_iter().map(|s| series_from_pb(s).map(SeriesFrame::Series)).collect()
        }
        Some(R::Hints(_)) | None => Ok(Vec::new()),
    }
}

pub fn label_names_request_to_pb(req: &LabelsRequest, partial_response: bool) -> pb::LabelNamesRequest {
    let strategy =
        if partial_response { pb::PartialResponseStrategy::Warn } else { pb::PartialResponseStrategy::Abort };
    pb::LabelNamesRequest {
        partial_response_disabled: !partial_response,
        partial_response_strategy: strategy as i32,
        start: req.range.min,
        end: req.range.max,
        hints: None,
        matchers: matchers_to_pb(&req.matchers),
        without_replica_labels: req.without_replica_labels.clone(),
        limit: req.limit as i64,
    }
}

pub fn label_values_request_to_pb(
    name: &str,
    req: &LabelsRequest,
    partial_response: bool,
) -> pb::LabelValuesRequest {
    let n = label_names_request_to_pb(req, partial_response);
    pb::LabelValuesRequest {
        label: name.to_string(),
        partial_response_disabled: n.partial_response_disabled,
        partial_response_strategy: n.partial_response_strategy,
        start: n.start,
        end: n.end,
        hints: None,
        matchers: n.matchers,
        without_replica_labels: n.without_replica_labels,
        limit: n.limit,
    }
}

fn labels_request(
    store: &str,
    start: i64,
    end: i64,
    matchers: &[pb::LabelMatcher],
    without: &[String],
    limit: i64,
) -> Result<LabelsRequest, StoreError> {
    // Thanos's clients send 0..0 for "all time" when they know no range.
    let range =
        if start == 0 && end == 0 { TimeRange::new(i64::MIN, i64::MAX) } else { TimeRange::new(start, end) };
    Ok(LabelsRequest {
        range,
        matchers: matchers_from_pb(matchers).map_err(|e| StoreError::invalid(store, e))?,
        limit: usize::try_from(limit.max(0)).unwrap_or(usize::MAX),
        without_replica_labels: without.to_vec(),
    })
}

pub fn label_names_request_from_pb(
    store: &str,
    r: &pb::LabelNamesRequest,
) -> Result<LabelsRequest, StoreError> {
    labels_request(store, r.start, r.end, &r.matchers, &r.without_replica_labels, r.limit)
}

pub fn label_values_request_from_pb(
    store: &str,
    r: &pb::LabelValuesRequest,
) -> Result<LabelsRequest, StoreError> {
    labels_request(store, r.start, r.end, &r.matchers, &r.without_replica_labels, r.limit)
}

pub fn label_names_response(a: LabelsAnswer) -> pb::LabelNamesResponse {
    pb::LabelNamesResponse { names: a.values, warnings: a.warnings, hints: None }
}

pub fn label_values_response(a: LabelsAnswer) -> pb::LabelValuesResponse {
    pb::LabelValuesResponse { values: a.values, warnings: a.warnings, hints: None }
}

/// `Info` as a Thanos component of kind `component` answers it.
pub fn info_to_pb(info: &StoreInfo, component: &str) -> infopb::InfoResponse {
    let label_sets: Vec<pb::ZLabelSet> =
        info.label_sets.iter().map(|l| pb::ZLabelSet { labels: labels_to_pb(l) }).collect();
    let tsdb_infos = info
        .label_sets
        .iter()
        .map(|l| infopb::TsdbInfo {
            labels: Some(pb::ZLabelSet { labels: labels_to_pb(l) }),
            min_time: info.min_time,
            max_time: info.max_time,
        })
        .collect();
    infopb::InfoResponse {
        label_sets,
        component_type: component.to_string(),
        store: Some(infopb::StoreInfo {
            min_time: info.min_time,
            max_time: info.max_time,
            supports_sharding: true,
            supports_without_replica_labels: true,
            tsdb_infos,
            supports_projections: false,
        }),
        ..infopb::InfoResponse::default()
    }
}

/// What an endpoint's `Info` says of the data it serves; `None` when it serves no StoreAPI.
pub fn info_from_pb(r: infopb::InfoResponse) -> Result<Option<(StoreInfo, bool)>, String> {
    let Some(store) = r.store else { return Ok(None) };
    let mut label_sets = Vec::with_capacity(r.label_sets.len());
    for s in r.label_sets {
        let l = labels_from_pb(s.labels)?;
        // Thanos drops empty label sets.
        if !l.is_empty() {
            label_sets.push(l);
        }
    }
    label_sets.sort();
    let info = StoreInfo {
        label_sets,
        min_time: store.min_time,
        max_time: store.max_time,
        resolutions_ms: Vec::new(),
    };
    Ok(Some((info, store.supports_without_replica_labels)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::chunkenc::encode_xor;
    use crate::sample::Sample;

    #[test]
    fn series_and_requests_round_trip() {
        let labels = Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap();
        let data: Bytes = encode_xor(&[Sample { t: 1, v: 2.0 }]).unwrap().into();
        let s = StoreSeries {
            labels,
            chunks: vec![RawChunk { min_time: 1, max_time: 1, encoding: Encoding::Xor, data }],
        };
        let pb = series_to_pb(s.clone());
        assert_eq!(pb.chunks[0].raw.as_ref().unwrap().r#type, 0);
        assert_ne!(pb.chunks[0].raw.as_ref().unwrap().hash, 0);
        assert_eq!(series_from_pb(pb).unwrap(), s);

        let mut req = SeriesRequest::new(
            vec![Matcher::new(MatchOp::RegexMatch, "job", "a|b").unwrap(), Matcher::equal("__name__", "up")],
            TimeRange::new(5, 10),
        );
        req.without_replica_labels = vec!["replica".into()];
        req.hints =
            Some(QueryHints { step_ms: 30, range_ms: 300, func: Some("rate".into()), grouping: None });
        let back = series_request_from_pb("s", &series_request_to_pb(&req, true)).unwrap();
        assert_eq!(back, req);
    }

    #[test]
    fn bad_wire_input_is_an_error() {
        let unsorted = vec![
            pb::Label { name: "b".into(), value: "1".into() },
            pb::Label { name: "a".into(), value: "1".into() },
        ];
        assert!(labels_from_pb(unsorted).is_err());
        let bad_re = pb::LabelMatcher { r#type: 2, name: "a".into(), value: "(".into() };
        assert!(matchers_from_pb(&[bad_re]).is_err());
        let bad_type = pb::LabelMatcher { r#type: 9, name: "a".into(), value: "x".into() };
        assert!(matchers_from_pb(&[bad_type]).is_err());
        let no_raw = pb::Series { labels: Vec::new(), chunks: vec![pb::AggrChunk::default()] };
        assert!(series_from_pb(no_raw).is_err());
        let backwards = pb::SeriesRequest { min_time: 10, max_time: 1, ..Default::default() };
        assert!(series_request_from_pb("s", &backwards).is_err());
    }
}
