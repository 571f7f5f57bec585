//! Thanos's `Store` and `Info` gRPC services over any source, wire-compatible with Thanos: a
//! Thanos querier can read a Quiver store gateway, receiver, sidecar or querier. Source errors
//! become `tonic::Status` here and only here.

use std::pin::Pin;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use quiver_proto::pb::thanos as pb;
use quiver_proto::pb::thanos::info as infopb;
use quiver_proto::store::SeriesLimits;
use quiver_proto::store::series_codec::{self, SeriesMessage};
use quiver_proto::store::wire;
use quiver_proto::{SeriesFrame, SeriesStore, StoreError};
use tonic::codegen::Service;
use tonic::codegen::http;
use tonic::{Request, Response, Status};

use crate::error::CliError;

/// What a component serves over StoreAPI: a source per request (a store gateway's changes as
/// blocks come and go; a querier's fans out with the request's partial response strategy).
pub(crate) trait Served: Send + Sync + std::fmt::Debug + 'static {
    fn store(&self, partial_response: bool) -> Arc<dyn SeriesStore>;
    /// Thanos's component type, for `Info`.
    fn component(&self) -> &'static str;
    /// Counts one StoreAPI call (`Series`, `LabelNames`, `LabelValues`, `Info`).
    fn on_request(&self, _method: &'static str) {}
}

/// Limits a store applies to every request (`--store.limits.request-*`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestLimits {
    pub(crate) series: u64,
    pub(crate) samples: u64,
}

#[derive(Debug)]
pub(crate) struct StoreService {
    served: Arc<dyn Served>,
    limits: RequestLimits,
}

impl StoreService {
    pub(crate) fn new(served: Arc<dyn Served>, limits: RequestLimits) -> Self {
        Self { served, limits }
    }
}

/// A source's error as the gRPC status Thanos uses for it.
pub(crate) fn status(e: StoreError) -> Status {
    let msg = e.to_string();
    match e {
        StoreError::Unavailable { .. } => Status::unavailable(msg),
        StoreError::LimitExceeded { .. } | StoreError::ResourceExhausted { .. } => {
            Status::resource_exhausted(msg)
        }
        StoreError::InvalidRequest { .. } => Status::invalid_argument(msg),
        StoreError::Corrupt { .. } => Status::internal(msg),
        StoreError::Cancelled { .. } => Status::cancelled(msg),
    }
}

/// A client's `response_batch_size` is capped so one message stays well under the 64 MiB
/// clients accept.
const MAX_RESPONSE_BATCH: usize = 1024;

type FrameStream = Pin<Box<dyn Stream<Item = Result<pb::SeriesResponse, Status>> + Send>>;
type MessageStream = Pin<Box<dyn Stream<Item = Result<SeriesMessage, Status>> + Send>>;

fn partial(strategy: i32, disabled: bool) -> bool {
    !disabled && strategy != pb::PartialResponseStrategy::Abort as i32
}

impl StoreService {
    /// The answer to a `Series` request as the messages to send.
    fn series_messages(&self, r: pb::SeriesRequest) -> Result<MessageStream, Status> {
        self.served.on_request("Series");
        let store = self.served.store(partial(r.partial_response_strategy, r.partial_response_disabled));
        let mut req = wire::series_request_from_pb(store.name(), &r).map_err(status)?;
        req.limits =
            SeriesLimits { series: self.limits.series, samples: self.limits.samples, chunk_bytes: 0 };
        // StoreAPI's `limit` cuts the answer short (Thanos's `/api/v1/series?limit=`).
        let take = usize::try_from(r.limit).ok().filter(|&l| l > 0).unwrap_or(usize::MAX);
        let mut sent = 0usize;
        let frames = store.series(req).take_while(move |f| {
            let more = match f {
                Ok(SeriesFrame::Series(_)) => {
                    sent += 1;
                    sent <= take
                }
                _ => true,
            };
            futures::future::ready(more)
        });
        // What is ready goes out together, up to the batch the client asked for: never waits for
        // a batch to fill, so the first series leave as soon as they are read.
        let batch = usize::try_from(r.response_batch_size).unwrap_or(0).min(MAX_RESPONSE_BATCH);
        let out = frames.ready_chunks(batch.max(1)).flat_map(move |ready| {
            let mut ok = Vec::with_capacity(ready.len());
            let mut failed = None;
            for f in ready {
                match f {
                    Ok(f) => ok.push(f),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let mut out: Vec<Result<SeriesMessage, Status>> =
                series_codec::messages(ok, batch).into_iter().map(Ok).collect();
            out.extend(failed.map(|e| Err(status(e))));
            futures::stream::iter(out)
        });
        Ok(Box::pin(out))
    }
}

#[tonic::async_trait]
impl pb::store_server::Store for StoreService {
    type SeriesStream = FrameStream;

    /// Through prost's messages; [`StoreRoutes`] serves `Series` with its own codec instead, so
    /// this answers only callers of the generated service itself.
    async fn series(&self, request: Request<pb::SeriesRequest>) -> Result<Response<FrameStream>, Status> {
        let messages = self.series_messages(request.into_inner())?;
        Ok(Response::new(Box::pin(messages.map(|m| m.map(SeriesMessage::into_pb)))))
    }

    async fn label_names(
        &self,
        request: Request<pb::LabelNamesRequest>,
    ) -> Result<Response<pb::LabelNamesResponse>, Status> {
        self.served.on_request("LabelNames");
        let r = request.into_inner();
        let store = self.served.store(partial(r.partial_response_strategy, r.partial_response_disabled));
        let req = wire::label_names_request_from_pb(store.name(), &r).map_err(status)?;
        let answer = store.label_names(&req).await.map_err(status)?;
        Ok(Response::new(wire::label_names_response(answer)))
    }

    async fn label_values(
        &self,
        request: Request<pb::LabelValuesRequest>,
    ) -> Result<Response<pb::LabelValuesResponse>, Status> {
        self.served.on_request("LabelValues");
        let r = request.into_inner();
        let store = self.served.store(partial(r.partial_response_strategy, r.partial_response_disabled));
        let req = wire::label_values_request_from_pb(store.name(), &r).map_err(status)?;
        let answer = store.label_values(&r.label, &req).await.map_err(status)?;
        Ok(Response::new(wire::label_values_response(answer)))
    }
}

#[derive(Debug)]
pub(crate) struct InfoService {
    served: Arc<dyn Served>,
}

#[tonic::async_trait]
impl infopb::info_server::Info for InfoService {
    async fn info(&self, _: Request<infopb::InfoRequest>) -> Result<Response<infopb::InfoResponse>, Status> {
        self.served.on_request("Info");
        let store = self.served.store(true);
        let info = store.info().await.map_err(status)?;
        Ok(Response::new(wire::info_to_pb(&info, self.served.component())))
    }
}

/// Serves `Store` and `Info` for `served` on `listener` until `shutdown` resolves.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    served: Arc<dyn Served>,
    limits: RequestLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CliError> {
    let store = Arc::new(StoreService::new(Arc::clone(&served), limits));
    let routes = StoreRoutes {
        generated: pb::store_server::StoreServer::from_arc(Arc::clone(&store))
            .max_decoding_message_size(MAX_REQUEST),
        service: store,
    };
    let info = InfoService { served };
    let incoming = tokio_stream_listener(listener);
    tonic::transport::Server::builder()
        .add_service(routes)
        .add_service(infopb::info_server::InfoServer::new(info))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .map_err(|e| CliError::Server(format!("gRPC: {e}")))
}

/// Most bytes a request may hold.
const MAX_REQUEST: usize = 64 << 20;

/// The `Store` service with `Series` answered through [`series_codec::ServerCodec`], each message
/// written once straight from the source's frames; its other methods through the generated
/// server.
#[derive(Debug, Clone)]
struct StoreRoutes {
    service: Arc<StoreService>,
    generated: pb::store_server::StoreServer<StoreService>,
}

impl tonic::server::NamedService for StoreRoutes {
    const NAME: &'static str =
        <pb::store_server::StoreServer<StoreService> as tonic::server::NamedService>::NAME;
}

type RouteFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl Service<http::Request<tonic::body::Body>> for StoreRoutes {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = RouteFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        if req.uri().path() != series_codec::SERIES_PATH {
            return self.generated.call(req);
        }
        let method = SeriesMethod(Arc::clone(&self.service));
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(series_codec::ServerCodec)
                .apply_max_message_size_config(Some(MAX_REQUEST), None);
            Ok(grpc.server_streaming(method, req).await)
        })
    }
}

struct SeriesMethod(Arc<StoreService>);

impl tonic::server::ServerStreamingService<pb::SeriesRequest> for SeriesMethod {
    type Response = SeriesMessage;
    type ResponseStream = MessageStream;
    type Future = RouteFuture<Result<Response<MessageStream>, Status>>;

    fn call(&mut self, request: Request<pb::SeriesRequest>) -> Self::Future {
        let service = Arc::clone(&self.0);
        Box::pin(async move { service.series_messages(request.into_inner()).map(Response::new) })
    }
}

fn tokio_stream_listener(
    listener: tokio::net::TcpListener,
) -> impl Stream<Item = Result<tokio::net::TcpStream, std::io::Error>> {
    futures::stream::unfold(listener, |l| async move {
        let next = l.accept().await.map(|(s, _)| {
            let _ = s.set_nodelay(true);
            s
        });
        Some((next, l))
    })
}
