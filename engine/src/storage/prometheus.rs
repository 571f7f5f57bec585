//! A running Prometheus as a source: the sidecar's view of the Prometheus beside it. Series come
//! over remote read, asking for streamed XOR chunks and falling back to samples (re-chunked into
//! XOR chunks of at most 120 samples, as the TSDB head cuts them); label names and values come
//! from Prometheus's HTTP API.
//!
//! The external labels (read from Prometheus's configuration by the caller, and refreshed as it
//! changes) are added to every series, overriding series labels of the same name. A matcher on
//! an external label is answered here: the request matches nothing when the external value fails
//! it, and the matcher is not sent on. Because added labels can change the order of series, one
//! request's answer is collected and sorted before it is streamed; a sidecar's Prometheus holds
//! only recent data, and its own remote-read handler collects a samples answer the same way.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::prometheus_read::{StreamedDecoder, decode_samples};
use futures::StreamExt;
use prost::Message;
use quiver_proto::chunkenc::num_samples;
use quiver_proto::pb::prometheus as prompb;
use quiver_proto::store::LimitKind;
use quiver_proto::{
    Labels, LabelsAnswer, LabelsRequest, MatchOp, Matcher, SeriesFrame, SeriesRequest, SeriesStore,
    SeriesStream, StoreError, StoreFuture, StoreInfo, StoreSeries,
};

const STREAMED_CONTENT_TYPE: &str = "application/x-streamed-protobuf";

/// What the sidecar knows of its Prometheus, kept current by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusState {
    pub external_labels: Labels,
    /// The oldest sample Prometheus holds (or the sidecar's `--min-time`), milliseconds.
    pub min_time: i64,
}

/// A Prometheus server at `url`.
#[derive(Debug)]
pub struct PrometheusStore {
    name: String,
    url: reqwest::Url,
    client: reqwest::Client,
    state: RwLock<PrometheusState>,
}

impl PrometheusStore {
    pub fn new(url: &str, connect_timeout: Duration) -> Result<Self, StoreError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| StoreError::invalid(url, format!("not a Prometheus URL: {e}")))?;
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|e| StoreError::unavailable(url, format!("HTTP client: {e}")))?;
        Ok(Self {
            name: url.trim_end_matches('/').to_string(),
            url: parsed,
            client,
            state: RwLock::new(PrometheusState { external_labels: Labels::empty(), min_time: i64::MIN }),
        })
    }

    pub fn state(&self) -> PrometheusState {
        self.state.read().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn set_state(&self, state: PrometheusState) {
        match self.state.write() {
            Ok(mut s) => *s = state,
            Err(p) => *p.into_inner() = state,
        }
    }

    fn endpoint(&self, segments: &[&str]) -> reqwest::Url {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn read(&self, req: SeriesRequest) -> Result<Vec<SeriesFrame>, StoreError> {
        let external = self.state().external_labels;
        let Some(matchers) = pushdown(&req.matchers, &external) else {
            return Ok(Vec::new());
        };
        let body = read_request(&req, &matchers);
        let compressed = snap::raw::Encoder::new()
            .compress_vec(&body.encode_to_vec())
            .map_err(|e| StoreError::invalid(&self.name, format!("compressing the read request: {e}")))?;
        let resp = self
            .client
            .post(self.endpoint(&["api", "v1", "read"]))
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Read-Version", "0.1.0")
            .body(compressed)
            .send()
            .await
            .map_err(|e| StoreError::unavailable(&self.name, format!("remote read: {e}")))?;
        let resp = self.check(resp).await?;
        let streamed = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(STREAMED_CONTENT_TYPE));
        let raw = if streamed { self.streamed(resp).await? } else { self.sampled(resp).await? };
        self.finish(raw, &external, &req)
    }

    /// A non-2xx answer as an error with Prometheus's message.
    async fn check(&self, resp: reqwest::Response) -> Result<reqwest::Response, StoreError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let msg =
            format!("Prometheus answered {status}: {}", text.trim().chars().take(512).collect::<String>());
        Err(if status.is_client_error() {
            StoreError::invalid(&self.name, msg)
        } else {
            StoreError::unavailable(&self.name, msg)
        })
    }

    async fn streamed(&self, mut resp: reqwest::Response) -> Result<Vec<StoreSeries>, StoreError> {
        let mut decoder = StreamedDecoder::new(&self.name);
        loop {
            match resp.chunk().await {
                Ok(Some(bytes)) => decoder.push(&bytes)?,
                Ok(None) => return decoder.finish(),
                Err(e) => return Err(StoreError::unavailable(&self.name, format!("remote read body: {e}"))),
            }
        }
    }

    async fn sampled(&self, resp: reqwest::Response) -> Result<Vec<StoreSeries>, StoreError> {
        let body = resp
            .bytes()
            .await
            .map_err(|e| StoreError::unavailable(&self.name, format!("remote read body: {e}")))?;
        decode_samples(&self.name, &body)
    }

    /// External labels added, replica labels removed, sorted; a series Prometheus split over
    /// frames is one series again; the request's limits applied.
    fn finish(
        &self,
        raw: Vec<StoreSeries>,
        external: &Labels,
        req: &SeriesRequest,
    ) -> Result<Vec<SeriesFrame>, StoreError> {
        let mut series: Vec<StoreSeries> = raw
            .into_iter()
            .map(|s| StoreSeries {
                labels: external.merged_with(&s.labels).without(&req.without_replica_labels),
                chunks: s.chunks,
            })
            .collect();
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        let mut merged: Vec<StoreSeries> = Vec::with_capacity(series.len());
        for s in series {
            match merged.last_mut() {
                Some(last) if last.labels == s.labels => last.chunks.extend(s.chunks),
                _ => merged.push(s),
            }
        }
        let limits = req.limits;
        if limits.series > 0 && merged.len() as u64 > limits.series {
            return Err(StoreError::LimitExceeded {
                store: self.name.clone(),
                what: LimitKind::Series,
                limit: limits.series,
                got: merged.len() as u64,
            });
        }
        let mut samples = 0u64;
        for s in &mut merged {
            s.chunks.sort_by_key(|c| c.min_time);
            if limits.samples > 0 {
                for c in &s.chunks {
                    samples += num_samples(c.encoding, &c.data).unwrap_or(0) as u64;
                }
            }
            if req.skip_chunks {
                s.chunks.clear();
            }
        }
        if limits.samples > 0 && samples > limits.samples {
            return Err(StoreError::LimitExceeded {
                store: self.name.clone(),
                what: LimitKind::Samples,
                limit: limits.samples,
                got: samples,
            });
        }
        Ok(merged.into_iter().map(SeriesFrame::Series).collect())
    }

    /// `GET` of a Prometheus API path answering a list of strings.
    async fn strings(
        &self,
        url: reqwest::Url,
        req: &LabelsRequest,
        matchers: &[Matcher],
    ) -> Result<Vec<String>, StoreError> {
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(t) = api_time(req.range.min) {
            params.push(("start", t));
        }
        if let Some(t) = api_time(req.range.max) {
            params.push(("end", t));
        }
        if !matchers.is_empty() {
            params.push(("match[]", selector(matchers)));
        }
        let resp = self
            .client
            .get(url)
            .query(&params)
            .send()
            .await
            .map_err(|e| StoreError::unavailable(&self.name, format!("labels API: {e}")))?;
        let resp = self.check(resp).await?;
        let v: serde_json::Value =
            resp.json().await.map_err(|e| StoreError::unavailable(&self.name, format!("labels API: {e}")))?;
        let data = v.get("data").and_then(|d| d.as_array()).ok_or_else(|| {
            StoreError::unavailable(&self.name, format!("labels API answered without data: {v}"))
        })?;
        Ok(data.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
    }
}

impl SeriesStore for PrometheusStore {
    fn name(&self) -> &str {
        &self.name
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        let st = self.state();
        Box::pin(async move {
            Ok(StoreInfo {
                label_sets: if st.external_labels.is_empty() { Vec::new() } else { vec![st.external_labels] },
                min_time: st.min_time,
                max_time: i64::MAX,
                resolutions_ms: vec![0],
            })
        })
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        let frames = futures::stream::once(async move { self.read(req).await });
        Box::pin(frames.flat_map(|r| match r {
            Ok(frames) => futures::stream::iter(frames.into_iter().map(Ok)).boxed(),
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }))
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let external = self.state().external_labels;
            let Some(matchers) = pushdown(&req.matchers, &external) else {
                return Ok(LabelsAnswer::default());
            };
            let mut names = self.strings(self.endpoint(&["api", "v1", "labels"]), req, &matchers).await?;
            if !names.is_empty() {
                names.extend(external.iter().map(|l| l.name.clone()));
            }
            names.retain(|n| !req.without_replica_labels.contains(n));
            names.sort();
            names.dedup();
            Ok(LabelsAnswer::limited(names, req.limit))
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            if req.without_replica_labels.iter().any(|n| n == name) {
                return Ok(LabelsAnswer::default());
            }
            let external = self.state().external_labels;
            let Some(matchers) = pushdown(&req.matchers, &external) else {
                return Ok(LabelsAnswer::default());
            };
            if let Some(v) = external.get(name) {
                return Ok(LabelsAnswer::limited([v.to_string()], req.limit));
            }
            let url = self.endpoint(&["api", "v1", "label", name, "values"]);
            let mut values = self.strings(url, req, &matchers).await?;
            values.sort();
            values.dedup();
            Ok(LabelsAnswer::limited(values, req.limit))
        })
    }
}

/// The matchers to send on, or `None` when an external label fails one (nothing can match).
fn pushdown(matchers: &[Matcher], external: &Labels) -> Option<Vec<Matcher>> {
    let mut out = Vec::with_capacity(matchers.len());
    for m in matchers {
        match external.get(&m.name) {
            Some(v) if !m.matches(v) => return None,
            Some(_) => {}
            None => out.push(m.clone()),
        }
    }
    Some(out)
}

fn read_request(req: &SeriesRequest, matchers: &[Matcher]) -> prompb::ReadRequest {
    let mut pb_matchers: Vec<prompb::LabelMatcher> = matchers.iter().map(matcher_to_prompb).collect();
    if pb_matchers.is_empty() {
        // Remote read needs a matcher; every series has a name.
        pb_matchers.push(prompb::LabelMatcher {
            r#type: prompb::label_matcher::Type::Re as i32,
            name: quiver_proto::METRIC_NAME.to_string(),
            value: ".+".to_string(),
        });
    }
    let hints = req.hints.as_ref().map(|h| prompb::ReadHints {
        step_ms: h.step_ms,
        func: h.func.clone().unwrap_or_default(),
        start_ms: req.range.min,
        end_ms: req.range.max,
        grouping: h.grouping.as_ref().map(|g| g.labels.clone()).unwrap_or_default(),
        by: h.grouping.as_ref().is_some_and(|g| g.by),
        range_ms: h.range_ms,
    });
    prompb::ReadRequest {
        queries: vec![prompb::Query {
            start_timestamp_ms: req.range.min,
            end_timestamp_ms: req.range.max,
            matchers: pb_matchers,
            hints,
        }],
        accepted_response_types: vec![
            prompb::read_request::ResponseType::StreamedXorChunks as i32,
            prompb::read_request::ResponseType::Samples as i32,
        ],
    }
}

fn matcher_to_prompb(m: &Matcher) -> prompb::LabelMatcher {
    use prompb::label_matcher::Type;
    let t = match m.op {
        MatchOp::Equal => Type::Eq,
        MatchOp::NotEqual => Type::Neq,
        MatchOp::RegexMatch => Type::Re,
        MatchOp::RegexNoMatch => Type::Nre,
    };
    prompb::LabelMatcher { r#type: t as i32, name: m.name.clone(), value: m.value.clone() }
}

/// A PromQL selector of `matchers`, as the HTTP API's `match[]` takes it.
fn selector(matchers: &[Matcher]) -> String {
    let parts: Vec<String> = matchers.iter().map(ToString::to_string).collect();
    format!("{{{}}}", parts.join(","))
}

/// A time for the HTTP API (seconds), or `None` for an open end.
fn api_time(ms: i64) -> Option<String> {
    // Prometheus's API takes times within its own min and max; beyond them the bound is open.
    const LIMIT: i64 = 9_000_000_000_000_000 / 1000;
    (ms.checked_abs().is_some_and(|a| a < LIMIT)).then(|| format!("{:.3}", ms as f64 / 1000.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_label_matchers_are_answered_locally() {
        let ext = Labels::from_pairs([("cluster", "eu"), ("replica", "a")]).unwrap();
        let m = |op, n: &str, v: &str| Matcher::new(op, n, v).unwrap();
        assert_eq!(pushdown(&[m(MatchOp::Equal, "cluster", "us")], &ext), None);
        let kept = pushdown(&[m(MatchOp::Equal, "cluster", "eu"), m(MatchOp::Equal, "job", "x")], &ext);
        assert_eq!(kept, Some(vec![m(MatchOp::Equal, "job", "x")]));
    }

    #[test]
    fn times_for_the_http_api() {
        assert_eq!(api_time(1_500), Some("1.500".to_string()));
        assert_eq!(api_time(-1), Some("-0.001".to_string()));
        assert_eq!(api_time(i64::MIN), None);
        assert_eq!(api_time(i64::MAX), None);
    }
}
