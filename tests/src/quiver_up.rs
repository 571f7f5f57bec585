//! `quiver up` started on a local bucket directory, killed by its PID when dropped, and a small
//! client for the Prometheus API that both it and a real Prometheus serve.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::bins::quiver;
use crate::ports::free_port;

#[derive(Debug)]
pub struct QuiverUp {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl QuiverUp {
    /// Starts `quiver up --data-dir bucket` with `extra_args` on a free port and waits until it
    /// is ready. Another process may take the port between our check and the bind; then the
    /// server exits and is started again on another port.
    pub async fn start(bucket: &Path, extra_args: &[&str]) -> Self {
        for _ in 0..5 {
            let port = free_port().expect("free port");
            let log = tempfile::NamedTempFile::new().expect("log file");
            let child = quiver()
                .arg("up")
                .arg("--data-dir")
                .arg(bucket)
                .arg(format!("--http-address=127.0.0.1:{port}"))
                .args(extra_args)
                .stdout(Stdio::null())
                .stderr(log.reopen().expect("log file"))
                .spawn()
                .expect("start quiver up");
            let mut up = Self { child, port, log };
            if up.wait_ready().await {
                return up;
            }
        }
        panic!("quiver up did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    async fn wait_ready(&mut self) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(r) = client.get(format!("{}/-/ready", self.url())).send().await
                && r.status().is_success()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("quiver up did not become ready:\n{}", self.log());
    }
}

impl Drop for QuiverUp {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this process's PID only.
        let _ = self.child.kill();
        let _ = self.child.wait();
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
