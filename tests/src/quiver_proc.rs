//! A `quiver` component (`store`, `query`, ...) started on free ports, ready when its
//! `/-/ready` answers, killed by its PID when dropped.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::bins::quiver;
use crate::ports::free_port;

#[derive(Debug)]
pub struct QuiverProc {
    child: Child,
    http: u16,
    grpc: Option<u16>,
    log: tempfile::NamedTempFile,
}

impl QuiverProc {
    /// Starts `quiver <args> --http-address=... --grpc-address=...` and waits until ready.
    pub async fn start(args: &[&str]) -> Self {
        Self::spawn(args, &[], true).await
    }

    /// As [`QuiverProc::start`], with environment variables set for it.
    pub async fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(args, env, true).await
    }

    /// As [`QuiverProc::start`], for a component without gRPC (`quiver up`).
    pub async fn start_http(args: &[&str]) -> Self {
        Self::spawn(args, &[], false).await
    }

    /// Another process may take a port between our check and the bind; then the server exits
    /// and is started again on other ports.
    async fn spawn(args: &[&str], env: &[(&str, &str)], with_grpc: bool) -> Self {
        for _ in 0..5 {
            let http = free_port().expect("free port");
            let grpc = if with_grpc { Some(free_port().expect("free port")) } else { None };
            if grpc == Some(http) {
                continue;
            }
            let log = tempfile::NamedTempFile::new().expect("log file");
            let mut cmd = quiver();
            cmd.args(args).envs(env.iter().copied()).arg(format!("--http-address=127.0.0.1:{http}"));
            if let Some(g) = grpc {
                cmd.arg(format!("--grpc-address=127.0.0.1:{g}"));
            }
            let child = cmd
                .stdout(Stdio::null())
                .stderr(log.reopen().expect("log file"))
                .spawn()
                .expect("start quiver");
            let mut p = Self { child, http, grpc, log };
            if p.wait_ready().await {
                return p;
            }
        }
        panic!("quiver {args:?} did not start");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// The StoreAPI address, as `--endpoint` takes it.
    pub fn grpc(&self) -> String {
        format!("127.0.0.1:{}", self.grpc.expect("started with gRPC"))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// SIGKILL to this process's PID, and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn wait_ready(&mut self) -> bool {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
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
        panic!("quiver did not become ready:\n{}", self.log());
    }
}

/// `quiver store` over the bucket `objstore` (YAML), its local state in `data`, syncing every
/// second; `extra` flags are added.
pub async fn store_gateway(objstore: &str, data: &std::path::Path, extra: &[&str]) -> QuiverProc {
    let data = data.to_str().expect("utf-8 path");
    let mut args =
        vec!["store", "--objstore.config", objstore, "--data-dir", data, "--sync-block-duration=1s"];
    args.extend_from_slice(extra);
    QuiverProc::start(&args).await
}

/// The value of the unlabelled metric `name` on `url`'s `/metrics`.
pub async fn metric(url: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{url}/metrics")).await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

impl Drop for QuiverProc {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this process's PID only.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
