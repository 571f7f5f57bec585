//! `/metrics` from a `prometheus-client` registry, and a source wrapper timing its requests.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use futures::StreamExt;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use quiver_proto::{
    LabelsAnswer, LabelsRequest, SeriesRequest, SeriesStore, SeriesStream, StoreFuture, StoreInfo,
};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /metrics` over `registry`.
pub(crate) fn route(registry: Arc<Registry>) -> Router {
    route_refreshed(registry, || {})
}

/// `GET /metrics` over `registry`, calling `refresh` first (for gauges read from state, such as
/// a head's series count, that nothing updates as it changes).
pub(crate) fn route_refreshed(
    registry: Arc<Registry>,
    refresh: impl Fn() + Clone + Send + Sync + 'static,
) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let registry = Arc::clone(&registry);
            refresh();
            async move {
                let mut body = String::new();
                match prometheus_client::encoding::text::encode(&mut body, &registry) {
                    Ok(()) => ([(axum::http::header::CONTENT_TYPE, OPENMETRICS)], body).into_response(),
                    Err(e) => {
                        (StatusCode::INTERNAL_SERVER_ERROR, format!("encoding metrics: {e}")).into_response()
                    }
                }
            }
        }),
    )
}

/// A latency histogram from 1 ms to about 30 s.
pub(crate) fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// A source whose series requests are timed, from the request to the end of its stream.
#[derive(Debug)]
pub(crate) struct TimedStore {
    inner: Arc<dyn SeriesStore>,
    latency: Histogram,
}

impl TimedStore {
    pub(crate) fn new(inner: Arc<dyn SeriesStore>, latency: Histogram) -> Self {
        Self { inner, latency }
    }
}

impl SeriesStore for TimedStore {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn info(&self) -> StoreFuture<'_, StoreInfo> {
        self.inner.info()
    }

    fn series(self: Arc<Self>, req: SeriesRequest) -> SeriesStream {
        let start = Instant::now();
        let latency = self.latency.clone();
        let done = futures::stream::once(async move {
            latency.observe(start.elapsed().as_secs_f64());
            None
        });
        Box::pin(Arc::clone(&self.inner).series(req).map(Some).chain(done).filter_map(futures::future::ready))
    }

    fn shards_exactly(&self) -> bool {
        self.inner.shards_exactly()
    }

    fn label_names<'a>(&'a self, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.inner.label_names(req)
    }

    fn label_values<'a>(&'a self, name: &'a str, req: &'a LabelsRequest) -> StoreFuture<'a, LabelsAnswer> {
        self.inner.label_values(name, req)
    }
}
