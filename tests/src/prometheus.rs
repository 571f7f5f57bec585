//! A real Prometheus server started on a block directory, killed by its PID when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ports::free_port;

#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    port: u16,
    _config: tempfile::TempDir,
    /// What it was started with, to start it again on the same port.
    args: Vec<String>,
}

impl Prometheus {
    /// Starts `prometheus` with `storage` as its TSDB directory (retention long enough that old
    /// test blocks are never deleted) and waits until it is ready.
    pub async fn start(storage: &Path, extra_args: &[&str]) -> Self {
        Self::start_with_config(storage, |_| "global:\n  scrape_interval: 1h\n".to_string(), extra_args).await
    }

    /// As [`Prometheus::start`], with the configuration `config` writes given the port it will
    /// listen on (so it can scrape itself).
    pub async fn start_with_config(
        storage: &Path,
        config: impl Fn(u16) -> String,
        extra_args: &[&str],
    ) -> Self {
        let port = free_port().expect("free port");
        let text = config(port);
        let config = tempfile::tempdir().expect("tempdir");
        let cfg = config.path().join("prometheus.yml");
        std::fs::write(&cfg, text).expect("write config");
        let mut args = vec![
            format!("--config.file={}", cfg.display()),
            format!("--storage.tsdb.path={}", storage.display()),
            "--storage.tsdb.retention.time=100y".to_string(),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        args.extend(extra_args.iter().map(|a| a.to_string()));
        let child = spawn(config.path(), &args);
        let p = Self { child, port, _config: config, args };
        p.wait_ready().await;
        p
    }

    /// The configuration file it reads (and reloads).
    pub fn config_path(&self) -> std::path::PathBuf {
        self._config.path().join("prometheus.yml")
    }

    /// Kills it (SIGKILL to its PID).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again, as it was started, and waits until it is ready.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = spawn(self._config.path(), &self.args);
        self.wait_ready().await;
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._config.path().join("prometheus.log")).unwrap_or_default()
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/-/ready", self.url())).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("prometheus did not become ready:\n{}", self.log());
    }

    /// An instant query; returns the `data` of the response.
    pub async fn query(&self, q: &str, time_s: f64) -> serde_json::Value {
        let v = self.get_query(q, time_s).await;
        assert_eq!(v["status"], "success", "{q}: {v}");
        v["data"].clone()
    }

    /// An instant query Prometheus must refuse; returns its error message.
    pub async fn query_error(&self, q: &str, time_s: f64) -> String {
        let v = self.get_query(q, time_s).await;
        assert_eq!(v["status"], "error", "{q}: {v}");
        v["error"].as_str().unwrap_or_default().to_string()
    }

    async fn get_query(&self, q: &str, time_s: f64) -> serde_json::Value {
        let r = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.url()))
            .query(&[("query", q), ("time", &time_s.to_string())])
            .send()
            .await
            .expect("query prometheus");
        r.json().await.expect("json")
    }
}

fn spawn(dir: &Path, args: &[String]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("prometheus.log"))
        .expect("log file");
    Command::new("prometheus").args(args).stdout(Stdio::null()).stderr(log).spawn().expect("start prometheus")
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this process's PID only.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
