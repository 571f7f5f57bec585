//! `/-/healthy` and `/-/ready` for a component whose readiness waits on something (the first
//! bucket sync, Prometheus); healthy as soon as it serves HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

/// Ready once `ready` is set; until then 503 with "Quiver is not ready: `waiting`".
pub(crate) fn health_routes(ready: Arc<AtomicBool>, waiting: &'static str) -> Router {
    Router::new().route("/-/healthy", get(|| async { "Quiver is Healthy.\n" })).route(
        "/-/ready",
        get(move || {
            let ready = ready.load(Ordering::Acquire);
            async move {
                if ready {
                    (StatusCode::OK, "Quiver is Ready.\n".to_string())
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, format!("Quiver is not ready: {waiting}.\n"))
                }
            }
        }),
    )
}

/// A flag that is already set, for components ready as soon as they listen.
pub(crate) fn ready_now() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(true))
}
