//! The receiver: remote-write requests (1.0 or 2.0, by Content-Type) decoded and validated, what
//! is accepted logged to the WAL (fsynced) and then appended to the tenant's head. Each outcome
//! carries the status Thanos receive answers with: malformed input 400, out-of-order samples 409
//! (the rest of the write still taken), too large or over a request limit 413, an unknown
//! message type 415, over the tenant's head series limit 429.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use prost::Message;
use quiver_proto::pb::io::prometheus::write::v2::Request as WriteRequestV2;
use quiver_proto::pb::prometheus::WriteRequest;
use quiver_proto::{Labels, SeriesStore};

use crate::batch::Batch;
use crate::error::{Error, Result};
use crate::head::{AppendStats, Head};
use crate::limits::WriteLimits;
use crate::wal::{Wal, WalRecord};

/// The remote-write message a body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteProto {
    /// `prometheus.WriteRequest`.
    V1,
    /// `io.prometheus.write.v2.Request`.
    V2,
}

impl WriteProto {
    /// As the 2.0 specification negotiates: `application/x-protobuf` alone (what 1.0 senders
    /// send) or with `proto=prometheus.WriteRequest` is 1.0, with
    /// `proto=io.prometheus.write.v2.Request` 2.0; anything else is refused (415). A request
    /// without a Content-Type is taken as 1.0.
    pub fn from_content_type(ct: Option<&str>) -> Result<Self, WriteError> {
        let Some(ct) = ct else { return Ok(Self::V1) };
        let mut parts = ct.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        if !media.eq_ignore_ascii_case("application/x-protobuf") {
            return Err(WriteError::Unsupported(format!("unsupported Content-Type {ct:?}")));
        }
        let proto = parts.find_map(|p| p.strip_prefix("proto=")).map(|p| p.trim_matches('"'));
        match proto {
            None | Some("prometheus.WriteRequest") => Ok(Self::V1),
            Some("io.prometheus.write.v2.Request") => Ok(Self::V2),
            Some(other) => {
                Err(WriteError::Unsupported(format!("unsupported remote-write message {other:?}")))
            }
        }
    }
}

/// How the receiver labels and limits what it takes.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Added to every series served (`--label`).
    pub external_labels: Labels,
    /// The label naming the tenant (`--receive.tenant-label-name`).
    pub tenant_label: String,
    /// The tenant of requests without a tenant header (`--receive.default-tenant-id`).
    pub default_tenant: String,
    /// Largest request body, compressed and decompressed.
    pub max_request_bytes: usize,
    /// Per-tenant limits (`--receive.limits-config`).
    pub limits: WriteLimits,
    /// How far behind a tenant's newest sample an out-of-order sample is still taken, in ms
    /// (`--tsdb.out-of-order.time-window`); 0 refuses them (409).
    pub ooo_window_ms: i64,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        Self {
            external_labels: Labels::empty(),
            tenant_label: "tenant_id".into(),
            default_tenant: "default-tenant".into(),
            max_request_bytes: 32 << 20,
            limits: WriteLimits::default(),
            ooo_window_ms: 0,
        }
    }
}

/// What one write did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    pub samples_written: u64,
    pub histograms_written: u64,
    pub stats: AppendStats,
}

/// Why a write was refused, as Thanos receive words and numbers it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    /// Malformed request: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Some samples were out of order or duplicates with another value: 409. The rest of the
    /// write was taken.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("write request too large")]
    TooLarge,
    /// Over one of the tenant's request limits: 413, as Thanos.
    #[error("{0}")]
    RequestLimit(String),
    /// A message type this receiver does not speak: 415.
    #[error("{0}")]
    Unsupported(String),
    /// Over the tenant's head series limit: 429.
    #[error("{0}")]
    TooManySeries(String),
    /// The WAL could not be written: 503, which Prometheus retries.
    #[error("{0}")]
    Unavailable(String),
}

#[derive(Debug)]
pub struct Receiver {
    config: ReceiverConfig,
    heads: RwLock<BTreeMap<String, Arc<Head>>>,
    /// Held across log-then-append, so the WAL's order is the heads' order.
    wal: Mutex<Wal>,
}

impl Receiver {
    /// Opens the WAL in `dir` and replays it into the heads.
    pub fn open(dir: &Path, config: ReceiverConfig) -> Result<Self> {
        let (wal, records) = Wal::open(dir)?;
        let r = Self { config, heads: RwLock::new(BTreeMap::new()), wal: Mutex::new(wal) };
        let mut samples = 0u64;
        for rec in records {
            samples += r.head(&rec.tenant).take_series(&rec.series);
        }
        if samples > 0 {
            tracing::info!(samples, "replayed the write-ahead log");
        }
        Ok(r)
    }

    fn head(&self, tenant: &str) -> Arc<Head> {
        if let Some(h) = self.heads.read().ok().and_then(|m| m.get(tenant).cloned()) {
            return h;
        }
        let Ok(mut heads) = self.heads.write() else {
            return Arc::new(Head::new(tenant, Labels::empty()));
        };
        let external = self.config.external_labels.merged_with(
            &Labels::from_pairs([(self.config.tenant_label.as_str(), tenant)]).unwrap_or_default(),
        );
        Arc::clone(heads.entry(tenant.to_string()).or_insert_with(|| {
            Arc::new(
                Head::new(format!("receive/{tenant}"), external).with_ooo_window(self.config.ooo_window_ms),
            )
        }))
    }

    /// The heads, one source per tenant.
    pub fn stores(&self) -> Vec<Arc<dyn SeriesStore>> {
        self.heads
            .read()
            .map(|m| m.values().map(|h| Arc::clone(h) as Arc<dyn SeriesStore>).collect())
            .unwrap_or_default()
    }

    pub fn default_tenant(&self) -> &str {
        &self.config.default_tenant
    }

    /// A remote-write 1.0 body (snappy-compressed `prometheus.WriteRequest`) for `tenant`.
    pub fn write_snappy(&self, tenant: &str, body: &[u8]) -> Result<WriteOutcome, WriteError> {
        self.write_body(tenant, WriteProto::V1, body)
    }

    /// A snappy-compressed remote-write body of either version for `tenant`.
    pub fn write_body(
        &self,
        tenant: &str,
        proto: WriteProto,
        body: &[u8],
    ) -> Result<WriteOutcome, WriteError> {
        if body.len() > self.config.max_request_bytes {
            return Err(WriteError::TooLarge);
        }
        let limit = self.config.limits.of(tenant).request.size_bytes_limit;
        if limit > 0 && body.len() as u64 > limit {
            return Err(WriteError::RequestLimit(format!(
                "request of {} bytes is over the tenant's limit of {limit} bytes",
                body.len()
            )));
        }
        self.write_batch(tenant, decode_body(proto, body, self.config.max_request_bytes)?)
    }

    /// Validates a decoded 1.0 request, logs what the head takes, and appends it.
    pub fn write(&self, tenant: &str, req: WriteRequest) -> Result<WriteOutcome, WriteError> {
        let mut batch = Batch::with_capacity(req.timeseries.len());
        for ts in &req.timeseries {
            batch.push(
                ts.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())),
                ts.samples.iter().map(|s| (s.timestamp, s.value)),
                ts.histograms.iter().map(crate::histogram::from_pb1),
            )?;
        }
        self.write_batch(tenant, batch)
    }

    /// Samples stay in the order sent: as Prometheus's appender, a sample before the one taken
    /// last is out of order.
    fn write_batch(&self, tenant: &str, batch: Batch) -> Result<WriteOutcome, WriteError> {
        if tenant.is_empty() || tenant.contains('/') || tenant == "." || tenant == ".." {
            return Err(WriteError::BadRequest("tenant name not valid".into()));
        }
        let limits = self.config.limits.of(tenant);
        let n_samples = batch.num_samples() as u64;
        let n_series = batch.series.len() as u64;
        let over = |what: &str, got: u64, limit: u64| {
            WriteError::RequestLimit(format!("request of {got} {what} is over the tenant's limit of {limit}"))
        };
        if limits.request.series_limit > 0 && n_series > limits.request.series_limit {
            return Err(over("series", n_series, limits.request.series_limit));
        }
        if limits.request.samples_limit > 0 && n_samples > limits.request.samples_limit {
            return Err(over("samples", n_samples, limits.request.samples_limit));
        }
        let head = self.head(tenant);
        if limits.head_series_limit > 0 {
            let new = batch.series.iter().filter(|s| !head.has_key(batch.key(s))).count() as u64;
            let have = head.num_series() as u64;
            if new > 0 && have + new > limits.head_series_limit {
                return Err(WriteError::TooManySeries(format!(
                    "tenant {tenant:?} holds {have} active series and would go over its head series limit of {} with {new} new ones",
                    limits.head_series_limit
                )));
            }
        }
        let mut out = WriteOutcome::default();
        // Take into the head and log under the log's lock, so the log's order is the head's; wait
        // for the disk outside it, so concurrent writes share an fsync. The answer waits for
        // the fsync: a sample queries may see before it is durable is one never acknowledged
        // (a failed log write answers 503, and the sender's retry is an accepted duplicate).
        let (upto, syncer) = {
            let mut wal = self
                .wal
                .lock()
                .map_err(|_| WriteError::Unavailable("write-ahead log lock poisoned".into()))?;
            let taken = head.take(&batch, &mut out.stats);
            if taken.series.is_empty() {
                (None, wal.syncer())
            } else {
                let upto = wal
                    .write_taken(tenant, &batch, &taken)
                    .map_err(|e| WriteError::Unavailable(format!("writing the WAL: {e}")))?;
                (Some(upto), wal.syncer())
            }
        };
        if let Some(upto) = upto {
            syncer.sync(upto).map_err(|e| WriteError::Unavailable(format!("syncing the WAL: {e}")))?;
        }
        out.samples_written = out.stats.appended;
        out.histograms_written = out.stats.histograms;
        let mut reasons = Vec::new();
        if out.stats.out_of_order > 0 {
            reasons.push(format!("add {} samples: out of order sample", out.stats.out_of_order));
        }
        if out.stats.out_of_bounds > 0 {
            reasons.push(format!("add {} samples: out of bounds", out.stats.out_of_bounds));
        }
        if !reasons.is_empty() {
            return Err(WriteError::Conflict(reasons.join("; ")));
        }
        Ok(out)
    }

    /// The cuts due: for each tenant whose head reaches half a block past the end of the block
    /// range its oldest sample is in (as Prometheus's head compacts at 1.5 ranges), that end.
    pub fn due_cuts(&self, block_ms: i64) -> Vec<(String, i64)> {
        let heads = self.heads.read().map(|m| m.clone()).unwrap_or_default();
        heads
            .iter()
            .filter_map(|(tenant, h)| {
                let (lo, hi) = h.time_range()?;
                let end = quiver_bucket::block::range_end_for(lo, block_ms);
                (hi >= end + block_ms / 2).then(|| (tenant.clone(), end))
            })
            .collect()
    }

    /// Writes `tenant`'s samples before `end` as a TSDB block under `staging` (chunks cut as a
    /// head cuts them); returns its directory and the external labels it is to be uploaded
    /// with (the receiver's and the tenant's), or `None` when there is nothing to cut.
    pub fn write_block(
        &self,
        tenant: &str,
        end: i64,
        block_ms: i64,
        staging: &Path,
    ) -> Result<Option<(std::path::PathBuf, BTreeMap<String, String>)>> {
        let head = self.head(tenant);
        let mut series = Vec::new();
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for s in head.samples_before(end) {
            let times = s.samples.iter().map(|x| x.0).chain(s.histograms.iter().map(|x| x.0));
            lo = times.clone().fold(lo, i64::min);
            hi = times.fold(hi, i64::max);
            let chunks = crate::block_cut::cut_chunks(&s.samples, &s.histograms, block_ms)
                .map_err(|e| Error::Block(e.to_string()))?;
            series.push((s.labels, chunks));
        }
        if series.is_empty() {
            return Ok(None);
        }
        std::fs::create_dir_all(staging).map_err(|e| Error::io(staging.display(), e))?;
        let meta = quiver_bucket::block::BlockMeta::new(ulid::Ulid::new(), lo, hi + 1);
        let (dir, _) = quiver_bucket::block::write_block(staging, meta, series)
            .map_err(|e| Error::Block(e.to_string()))?;
        let labels = head.external_labels().iter().map(|l| (l.name.clone(), l.value.clone())).collect();
        Ok(Some((dir, labels)))
    }

    /// Once `tenant`'s block before `end` is in the bucket: drops those samples from the head and
    /// checkpoints the WAL to what the heads still hold.
    pub fn truncate_before(&self, tenant: &str, end: i64) -> Result<()> {
        let mut wal = self.wal.lock().map_err(|_| Error::Block("write-ahead log lock poisoned".into()))?;
        self.head(tenant).truncate_before(end);
        let heads = self.heads.read().map(|m| m.clone()).unwrap_or_default();
        let records: Vec<WalRecord> = heads
            .iter()
            .map(|(t, h)| WalRecord { tenant: t.clone(), series: h.all_samples() })
            .filter(|r| !r.series.is_empty())
            .collect();
        wal.rewrite(&records)
    }

    /// Each tenant's series and chunk bytes held.
    pub fn tenant_stats(&self) -> Vec<(String, usize, usize)> {
        let heads: Vec<(String, Arc<Head>)> = self
            .heads
            .read()
            .map(|m| m.iter().map(|(t, h)| (t.clone(), Arc::clone(h))).collect())
            .unwrap_or_default();
        heads.into_iter().map(|(t, h)| (t, h.num_series(), h.chunk_bytes())).collect()
    }

    /// Series and chunk bytes held, over all tenants.
    pub fn head_stats(&self) -> (usize, usize) {
        self.tenant_stats().into_iter().fold((0, 0), |(s, b), (_, n, c)| (s + n, b + c))
    }
}

/// A snappy-compressed remote-write body decoded and validated as a write would take it, with
/// nothing written: its series and samples. A body decompressing to more than `max_bytes` is
/// too large (413).
pub fn check_body(proto: WriteProto, body: &[u8], max_bytes: usize) -> Result<(usize, usize), WriteError> {
    let batch = decode_body(proto, body, max_bytes)?;
    Ok((batch.series.len(), batch.num_samples()))
}

fn decode_body(proto: WriteProto, body: &[u8], max_bytes: usize) -> Result<Batch, WriteError> {
    let len = snap::raw::decompress_len(body)
        .map_err(|e| WriteError::BadRequest(format!("snappy decode error: {e}")))?;
    if len > max_bytes {
        return Err(WriteError::TooLarge);
    }
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| WriteError::BadRequest(format!("snappy decode error: {e}")))?;
    match proto {
        WriteProto::V1 => crate::write_v1::decode(&raw),
        WriteProto::V2 => {
            let req =
                WriteRequestV2::decode(raw.as_slice()).map_err(|e| WriteError::BadRequest(e.to_string()))?;
            crate::write_v2::decode(req)
        }
    }
}

impl From<Error> for WriteError {
    fn from(e: Error) -> Self {
        WriteError::Unavailable(e.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use quiver_proto::pb::prometheus::{Label as PbLabel, Sample, TimeSeries};

    use super::*;

    fn ts(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
        TimeSeries {
            labels: labels.iter().map(|(n, v)| PbLabel { name: (*n).into(), value: (*v).into() }).collect(),
            samples: samples.iter().map(|&(timestamp, value)| Sample { value, timestamp }).collect(),
            ..TimeSeries::default()
        }
    }

    fn snappy(req: &WriteRequest) -> Vec<u8> {
        snap::raw::Encoder::new().compress_vec(&req.encode_to_vec()).unwrap()
    }

    #[test]
    fn writes_survive_a_restart_and_bad_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let req = WriteRequest {
            timeseries: vec![ts(&[("__name__", "up"), ("job", "a")], &[(1000, 1.0), (2000, -0.0)])],
            ..WriteRequest::default()
        };
        {
            let r = Receiver::open(dir.path(), ReceiverConfig::default()).unwrap();
            assert_eq!(r.write_snappy("t1", &snappy(&req)).unwrap().samples_written, 2);
            // Out of order: refused with 409, the in-order sample still taken.
            let late = WriteRequest {
                timeseries: vec![ts(&[("__name__", "up"), ("job", "a")], &[(500, 9.0), (3000, 3.0)])],
                ..WriteRequest::default()
            };
            assert!(matches!(r.write_snappy("t1", &snappy(&late)), Err(WriteError::Conflict(_))));
        }
        let r = Receiver::open(dir.path(), ReceiverConfig::default()).unwrap();
        assert_eq!(r.head_stats().0, 1);
        assert_eq!(
            r.head("t1").take_labelled(&[(
                Labels::from_pairs([("__name__", "up"), ("job", "a")]).unwrap(),
                vec![(3000, 3.0)]
            )]),
            0
        );

        assert!(matches!(r.write_snappy("t1", b"not snappy at all"), Err(WriteError::BadRequest(_))));
        let not_proto = snap::raw::Encoder::new().compress_vec(b"\xff\xff\xff").unwrap();
        assert!(matches!(r.write_snappy("t1", &not_proto), Err(WriteError::BadRequest(_))));
        let unsorted = WriteRequest {
            timeseries: vec![ts(&[("b", "1"), ("a", "1")], &[(1, 1.0)])],
            ..WriteRequest::default()
        };
        assert!(matches!(r.write("t1", unsorted), Err(WriteError::BadRequest(_))));
        let empty_value =
            WriteRequest { timeseries: vec![ts(&[("a", "")], &[(1, 1.0)])], ..WriteRequest::default() };
        assert!(matches!(r.write("t1", empty_value), Err(WriteError::BadRequest(_))));
        assert!(matches!(r.write("../x", WriteRequest::default()), Err(WriteError::BadRequest(_))));
        let small = Receiver::open(
            &dir.path().join("small"),
            ReceiverConfig { max_request_bytes: 8, ..ReceiverConfig::default() },
        )
        .unwrap();
        assert_eq!(small.write_snappy("t1", &snappy(&req)), Err(WriteError::TooLarge));
    }
}
