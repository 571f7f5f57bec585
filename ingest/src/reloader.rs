//! The sidecar's reloader: when Prometheus's configuration file or a rule file changes, it tells
//! Prometheus to reload, as Thanos's reloader does.
//!
//! The configuration may be a template (`--reloader.config-file`) whose `$(VAR)` references are
//! replaced by environment variables into the file Prometheus reads
//! (`--reloader.config-envsubst-file`). Files are checked every second by size and modification
//! time and read in full every watch interval; when what they hold changes, Prometheus is told
//! to reload (`POST /-/reload`, or `SIGHUP` to the process by name). A failed reload (Prometheus
//! down, or refusing a broken configuration) is retried every retry interval until one succeeds.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};

/// How Prometheus is told to reload.
#[derive(Debug, Clone)]
pub enum ReloadMethod {
    /// `POST` to this URL (Prometheus's `/-/reload`, which needs `--web.enable-lifecycle`).
    Http(String),
    /// `SIGHUP` to every process with this name.
    Signal(String),
}

#[derive(Debug, Clone)]
pub struct ReloaderConfig {
    pub config_file: Option<PathBuf>,
    /// Where the config file, with `$(VAR)`s replaced, is written for Prometheus to read.
    pub config_output: Option<PathBuf>,
    pub rule_dirs: Vec<PathBuf>,
    pub watch_interval: Duration,
    pub retry_interval: Duration,
    pub method: ReloadMethod,
}

/// What a check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadEvent {
    /// Prometheus took the changed files.
    Reloaded,
    /// It did not (or the files could not be read); tried again after the retry interval.
    Failed(String),
}

#[derive(Debug)]
pub struct Reloader {
    config: ReloaderConfig,
    client: reqwest::Client,
    /// Content hash Prometheus last reloaded with.
    applied: Option<u64>,
    /// Sizes and modification times at the last full read.
    fingerprint: Option<u64>,
    last_full: Option<Instant>,
    last_failure: Option<Instant>,
}

impl Reloader {
    pub fn new(config: ReloaderConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { config, client, applied: None, fingerprint: None, last_full: None, last_failure: None }
    }

    /// Checks the files forever, once a second, reporting each reload attempt to `report`.
    pub async fn run(mut self, mut report: impl FnMut(&ReloadEvent) + Send) {
        loop {
            if let Some(event) = self.check().await {
                match &event {
                    ReloadEvent::Reloaded => tracing::info!("Prometheus reloaded its configuration"),
                    ReloadEvent::Failed(e) => tracing::warn!(error = %e, "reloading Prometheus failed"),
                }
                report(&event);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// One check: `None` when nothing changed (or a failed reload waits for its retry).
    pub async fn check(&mut self) -> Option<ReloadEvent> {
        let now = Instant::now();
        if self.last_failure.is_some_and(|t| now.duration_since(t) < self.config.retry_interval) {
            return None;
        }
        let fingerprint = self.fingerprint();
        let due = self.last_full.is_none_or(|t| now.duration_since(t) >= self.config.watch_interval);
        if !due && Some(fingerprint) == self.fingerprint && self.last_failure.is_none() {
            return None;
        }
        self.last_full = Some(now);
        self.fingerprint = Some(fingerprint);
        let hash = match self.apply() {
            Ok(h) => h,
            Err(e) => return Some(self.failed(e.to_string())),
        };
        if Some(hash) == self.applied {
            self.last_failure = None;
            return None;
        }
        match self.reload().await {
            Ok(()) => {
                self.applied = Some(hash);
                self.last_failure = None;
                Some(ReloadEvent::Reloaded)
            }
            Err(e) => Some(self.failed(e)),
        }
    }

    fn failed(&mut self, why: String) -> ReloadEvent {
        self.last_failure = Some(Instant::now());
        ReloadEvent::Failed(why)
    }

    /// Writes the substituted configuration (when it changed) and hashes what Prometheus reads.
    fn apply(&self) -> Result<u64> {
        let mut h = DefaultHasher::new();
        if let Some(src) = &self.config.config_file {
            let raw = std::fs::read_to_string(src).map_err(|e| Error::io(src.display(), e))?;
            let text = match &self.config.config_output {
                Some(out) => {
                    let text = envsubst(&raw, |v| std::env::var(v).ok())
                        .map_err(|e| Error::Reload(format!("{}: {e}", src.display())))?;
                    if std::fs::read_to_string(out).ok().as_deref() != Some(text.as_str()) {
                        write_atomically(out, text.as_bytes())?;
                    }
                    text
                }
                None => raw,
            };
            text.hash(&mut h);
        }
        for (path, content) in self.rule_files(true)? {
            path.hash(&mut h);
            content.hash(&mut h);
        }
        Ok(h.finish())
    }

    /// The regular files of the rule directories, sorted, with their contents when `read`.
    fn rule_files(&self, read: bool) -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let mut out = Vec::new();
        for dir in &self.config.rule_dirs {
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                // A rule dir that does not exist yet holds no rules.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(dir.display(), e)),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if !path.is_file() {
                    continue;
                }
                let content = if read {
                    std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?
                } else {
                    Vec::new()
                };
                out.push((path, content));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Sizes and modification times of every watched file: cheap to take every second.
    fn fingerprint(&self) -> u64 {
        let mut h = DefaultHasher::new();
        let mut stat = |p: &Path| {
            p.hash(&mut h);
            if let Ok(m) = std::fs::metadata(p) {
                m.len().hash(&mut h);
                m.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok()).hash(&mut h);
            }
        };
        if let Some(src) = &self.config.config_file {
            stat(src);
        }
        for (path, _) in self.rule_files(false).unwrap_or_default() {
            stat(&path);
        }
        h.finish()
    }

    async fn reload(&self) -> std::result::Result<(), String> {
        match &self.config.method {
            ReloadMethod::Http(url) => {
                let resp = self.client.post(url).send().await.map_err(|e| format!("POST {url}: {e}"))?;
                let status = resp.status();
                if status.is_success() {
                    return Ok(());
                }
                let body = resp.text().await.unwrap_or_default();
                Err(format!("POST {url}: {status}: {}", body.trim()))
            }
            ReloadMethod::Signal(name) => signal_processes(name),
        }
    }
}

/// Replaces each `$(NAME)` in `text` by `lookup(NAME)`; a reference to an unset variable is an
/// error, as in Thanos.
pub fn envsubst(text: &str, lookup: impl Fn(&str) -> Option<String>) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("$(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let name_len = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
        let name = &after[..name_len];
        if name.is_empty() || !after[name_len..].starts_with(')') {
            out.push_str("$(");
            rest = after;
            continue;
        }
        let value =
            lookup(name).ok_or_else(|| format!("found reference to unset environment variable {name:?}"))?;
        out.push_str(&value);
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn write_atomically(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension("quiver-tmp");
    std::fs::write(&tmp, data).map_err(|e| Error::io(tmp.display(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path.display(), e))
}

/// `SIGHUP` to every process named `name` (its `/proc/<pid>/comm`).
fn signal_processes(name: &str) -> std::result::Result<(), String> {
    let mut found = 0;
    let entries = std::fs::read_dir("/proc").map_err(|e| format!("/proc: {e}"))?;
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else { continue };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGHUP)
            .map_err(|e| format!("SIGHUP to {name} ({pid}): {e}"))?;
        found += 1;
    }
    if found == 0 {
        return Err(format!("no process named {name:?} to send SIGHUP to"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "INTERVAL" => Some("15s".to_string()),
            "REPLICA" => Some("a".to_string()),
            _ => None,
        }
    }

    #[test]
    fn envsubst_replaces_references_and_refuses_unset_ones() {
        let got = envsubst("scrape_interval: $(INTERVAL)\nreplica: r-$(REPLICA)-x\n", env).unwrap();
        assert_eq!(got, "scrape_interval: 15s\nreplica: r-a-x\n");
        assert_eq!(envsubst("cost: $5 and $( not a ref) $(", env).unwrap(), "cost: $5 and $( not a ref) $(");
        let err = envsubst("x: $(MISSING)", env).unwrap_err();
        assert!(err.contains("MISSING"), "{err}");
    }

    #[tokio::test]
    async fn changed_files_reload_and_failures_retry() {
        let dir = tempfile::tempdir().unwrap();
        let tmpl = dir.path().join("prometheus.yml.tmpl");
        let out = dir.path().join("prometheus.yml");
        let rules = dir.path().join("rules");
        std::fs::create_dir(&rules).unwrap();
        std::fs::write(&tmpl, "global: {}\n").unwrap();
        let mut r = Reloader::new(ReloaderConfig {
            config_file: Some(tmpl.clone()),
            config_output: Some(out.clone()),
            rule_dirs: vec![rules.clone()],
            watch_interval: Duration::from_secs(3600),
            retry_interval: Duration::ZERO,
            // Nothing listens on port 1: every reload fails.
            method: ReloadMethod::Http("http://127.0.0.1:1/-/reload".to_string()),
        });
        assert!(matches!(r.check().await, Some(ReloadEvent::Failed(_))));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "global: {}\n");
        // Failed reloads are retried even though nothing changed.
        assert!(matches!(r.check().await, Some(ReloadEvent::Failed(_))));
        // Once applied, nothing happens until a file changes.
        r.applied = r.apply().ok();
        r.last_failure = None;
        assert_eq!(r.check().await, None);
        std::fs::write(rules.join("a.yml"), "groups: []\n").unwrap();
        assert!(matches!(r.check().await, Some(ReloadEvent::Failed(_))));
        // A template referring to an unset variable is a failed reload, not a crash.
        std::fs::write(&tmpl, "global: {scrape_interval: $(UNSET_QUIVER_TEST_VAR)}\n").unwrap();
        match r.check().await {
            Some(ReloadEvent::Failed(e)) => assert!(e.contains("UNSET_QUIVER_TEST_VAR"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
