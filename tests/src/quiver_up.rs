//! `quiver up` started on a local bucket directory, killed by its PID when dropped, and a small
//! client for the Prometheus API that both it and a real Prometheus serve.

use std::path::Path;

use crate::quiver_proc::QuiverProc;

#[derive(Debug)]
pub struct QuiverUp(QuiverProc);

impl QuiverUp {
    /// Starts `quiver up --data-dir bucket` with `extra_args` on a free port and waits until it
    /// is ready.
    pub async fn start(bucket: &Path, extra_args: &[&str]) -> Self {
        let dir = bucket.to_str().expect("utf-8 path");
        let mut args = vec!["up", "--data-dir", dir];
        args.extend_from_slice(extra_args);
        Self(QuiverProc::start_http(&args).await)
    }

    pub fn url(&self) -> String {
        self.0.url()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.0.log()
    }
}

/// GET `base + path` with `params`; the status code and the JSON body.
pub async fn api_get(base: &str, path: &str, params: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let request = reqwest::Client::new().get(format!("{base}{path}")).query(params);
    answer(request, format!("GET {base}{path} {params:?}")).await
}

/// POST `params` as a form to `base + path`.
pub async fn api_post(base: &str, path: &str, params: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let request = reqwest::Client::new().post(format!("{base}{path}")).form(params);
    answer(request, format!("POST {base}{path} {params:?}")).await
}

/// Sends `request` (`what`, for failures); the status code and the JSON body.
async fn answer(request: reqwest::RequestBuilder, what: String) -> (u16, serde_json::Value) {
    let r = request.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = r.status().as_u16();
    let body = r.text().await.expect("body");
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"));
    (status, json)
}
