//! A remote StoreAPI endpoint (a Quiver or Thanos store gateway, sidecar, receiver or querier)
//! as a source, over gRPC. The connection is made lazily and remade as needed, so an endpoint
//! that is down costs a failed request, never a stuck one. What the endpoint serves comes from
//! its `Info`, refreshed by the caller (see [`super::endpoints`]).
//!
//! An endpoint that does not advertise `supports_without_replica_labels` gets no such request;
//! its answer is stripped of the replica labels and re-sorted here, as Thanos's querier does
//! (which holds that endpoint's answer whole).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use quiver_proto::pb::thanos as pb;
use quiver_proto::pb::thanos::info::InfoRequest;
use quiver_proto::pb::thanos::info::info_client::InfoClient;
use quiver_proto::pb::thanos::store_client::StoreClient;
use quiver_proto::store::{series_codec, wire};
use quiver_proto::{
    LabelsAnswer, LabelsRequest, SeriesFrame, SeriesRequest, SeriesStore, SeriesStream, StoreError,
    StoreFuture, StoreInfo,
};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint};

/// Most bytes one gRPC message may hold (a series with many chunks is one message).
const MAX_MESSAGE: usize = 256 << 20;

/// Largest HTTP/2 frame an endpoint may send us.
const MAX_FRAME: u32 = 1 << 20;

/// What the last `Info` call learnt.
#[derive(Debug, Clone, Default)]
pub struct RemoteStatus {
    /// The endpoint's data, once an `Info` call succeeded.
    pub info: Option<StoreInfo>,
    /// Thanos's component type (`store`, `sidecar`, ...).
    pub component: String,
    pub supports_without_replica_labels: bool,
    /// Why the last `Info` call failed, if it did.
    pub last_error: Option<String>,
    pub last_check: Option<Instant>,
}

/// One StoreAPI endpoint.
#[derive(Debug)]
pub struct RemoteStore {
    addr: String,
    channel: Channel,
    status: RwLock<RemoteStatus>,
}

impl RemoteStore {
    /// A lazily connected endpoint at `host:port` (or a URL with a scheme).
    pub fn new(addr: &str, timeout: Duration) -> Result<Self, StoreError> {
        let url = if addr.contains("://") { addr.to_string() } else { format!("http://{addr}") };
        let channel = Endpoint::from_shared(url)
            .map_err(|e| StoreError::invalid(addr, format!("not an endpoint address: {e}")))?
            .connect_timeout(timeout)
            .tcp_nodelay(true)
            // Series answers run to megabytes: frames of 1 MiB instead of HTTP/2's 16 KiB
            // cut the frames both ends handle, and the store's writes, 64-fold.
            .max_frame_size(MAX_FRAME)
            .connect_lazy();
        Ok(Self { addr: addr.to_string(), channel, status: RwLock::new(RemoteStatus::default()) })
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn status(&self) -> RemoteStatus {
        self.status.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// Asks the endpoint's `Info` (within `timeout`) and keeps what it says; on failure the
    /// previous info is kept and the error recorded.
    pub async fn refresh(&self, timeout: Duration) -> Result<StoreInfo, StoreError> {
        let got = tokio::time::timeout(timeout, self.ask_info()).await.unwrap_or_else(|_| {
            Err(StoreError::unavailable(&self.addr, format!("Info did not answer within {timeout:?}")))
        });
        let mut st = self.status.write().map_err(|_| StoreError::unavailable(&self.addr, "status lock"))?;
        st.last_check = Some(Instant::now());
        match got {
            Ok((info, without, component)) => {
                st.info = Some(info.clone());
                st.supports_without_replica_labels = without;
                st.component = component;
                st.last_error = None;
                Ok(info)
            }
            Err(e) => {
                st.last_error = Some(e.to_string());
                Err(e)
            }
        }
    }

    async fn ask_info(&self) -> Result<(StoreInfo, bool, String), StoreError> {
        let mut client = InfoClient::new(self.channel.clone()).max_decoding_message_size(MAX_MESSAGE);
        let resp = client.info(InfoRequest {}).await.map_err(|s| status_error(&self.addr, s))?.into_inner();
        let component = resp.component_type.clone();
        match wire::info_from_pb(resp) {
            Ok(Some((info, without))) => Ok((info, without, component)),
            Ok(None) => Err(StoreError::invalid(&self.addr, "the endpoint serves no StoreAPI")),
            Err(e) => Err(StoreError::invalid(&self.addr, format!("bad Info answer: {e}"))),
        }
    }

    fn client(&self) -> StoreClient<Channel> {
        StoreClient::new(self.channel.clone()).max_decoding_message_size(MAX_MESSAGE)
    }

    /// Calls `Series` with the codec that reads answers straight into frames.
    async fn open_series(
        &self,
        req: pb::SeriesRequest,
    ) -> Result<tonic::Streaming<Vec<SeriesFrame>>, StoreError> {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone()).max_decoding_message_size(MAX_MESSAGE);
        grpc.ready().await.map_err(|e| {
            status_error(&self.addr, tonic::Status::unknown(format!("Service was not ready: {e}")))
        })?;
        let mut req = tonic::Request::new(req);
        req.extensions_mut().insert(tonic::GrpcMethod::new("thanos.Store", "Series"));
        let path = PathAndQuery::from_static(series_codec::SERIES_PATH);
        let resp = grpc
            .server_streaming(req, path, series_codec::ClientCodec)
            .await
            .map_err(|s| status_error(&self.addr, s))?;
        Ok(resp.into_inner())
    }

    fn supports_without_replica_labels(&self) -> bool {
        self.status.read().map(|s| s.supports_without_replica_labels).unwrap_or(false)
    }
}

/// A gRPC status from an endpoint as the source error it means.
pub fn status_error(store: &str, s: tonic::Status) -> StoreError {
    use tonic::Code;
    let msg = s.message().to_string();
    match s.code() {
        Code::InvalidArgument => StoreError::invalid(store, msg),
        Code::Cancelled => StoreError::Cancelled { store: store.to_string() },
        Code::ResourceExhausted => StoreError::ResourceExhausted { store: store.to_string(), reason: msg },
        Code::NotFound | Code::Unimplemented => {
            StoreError::unavailable(store, format!("{}: {msg}", s.code().description()))
        }
        _ => StoreError::unavailable(
            store,
            if msg.is_empty() { s.code().description().to_string() } else { msg },
        ),
    }
}

impl SeriesStore for RemoteStore {
    fn name(&self) -> &str {
        &self.addr
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        Box::pin(async move {
            match self.status().info {
                Some(i) => Ok(i),
                None => self.refresh(Duration::from_secs(5)).await,
            }
        })
    }

    fn series(self: Arc<Self>, mut req: SeriesRequest) -> SeriesStream {
        let strip = std::mem::take(&mut req.without_replica_labels);
        let resort = !strip.is_empty() && !self.supports_without_replica_labels();
        if !resort {
            req.without_replica_labels = strip.clone();
        }
        let pb = wire::series_request_to_pb(&req, true);
        let name = self.addr.clone();
        let open = async move { self.open_series(pb).await };
        let frames = futures::stream::once(open)
            .map_ok(move |streaming| {
                let name = name.clone();
                streaming
                    .map(move |r| r.map_err(|s| status_error(&name, s)))
                    .map_ok(|frames| futures::stream::iter(frames.into_iter().map(Ok)))
                    .try_flatten()
            })
            .try_flatten();
        if !resort {
            return Box::pin(frames);
        }
        Box::pin(resorted(Box::pin(frames), strip))
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            let pb = wire::label_names_request_to_pb(req, true);
            let resp =
                self.client().label_names(pb).await.map_err(|s| status_error(&self.addr, s))?.into_inner();
            let mut names = resp.names;
            if !self.supports_without_replica_labels() {
                names.retain(|n| !req.without_replica_labels.contains(n));
            }
            Ok(LabelsAnswer { values: names, warnings: resp.warnings })
        })
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        Box::pin(async move {
            if req.without_replica_labels.iter().any(|l| l == name) {
                return Ok(LabelsAnswer::default());
            }
            let pb = wire::label_values_request_to_pb(name, req, true);
            let resp =
                self.client().label_values(pb).await.map_err(|s| status_error(&self.addr, s))?.into_inner();
            Ok(LabelsAnswer { values: resp.values, warnings: resp.warnings })
        })
    }
}

/// A whole answer with the `strip` labels removed, sorted again; warnings first.
fn resorted(
    frames: SeriesStream,
    strip: Vec<String>,
) -> impl futures::Stream<Item = Result<SeriesFrame, StoreError>> {
    futures::stream::once(async move {
        let all: Vec<SeriesFrame> = frames.try_collect().await?;
        let mut warnings = Vec::new();
        let mut series = Vec::new();
        for f in all {
            match f {
                SeriesFrame::Warning(w) => warnings.push(SeriesFrame::Warning(w)),
                SeriesFrame::Series(mut s) => {
                    s.labels = s.labels.without(&strip);
                    series.push(s);
                }
            }
        }
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        warnings.extend(series.into_iter().map(SeriesFrame::Series));
        Ok::<_, StoreError>(futures::stream::iter(warnings.into_iter().map(Ok)))
    })
    .try_flatten()
}
