//! What the sidecar asks its Prometheus over the HTTP API, beside remote read: readiness, the
//! external labels of its configuration, its block duration flags, the oldest sample it holds.

use std::time::{Duration, Instant};

use quiver_proto::Labels;

use crate::error::CliError;

#[derive(Debug, Clone)]
pub(crate) struct PromApi {
    base: String,
    client: reqwest::Client,
}

impl PromApi {
    pub(crate) fn new(base: &str) -> Result<Self, CliError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| CliError::Server(format!("HTTP client: {e}")))?;
        Ok(Self { base: base.trim_end_matches('/').to_string(), client })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `/-/ready` answers 200, at most `timeout`.
    pub(crate) async fn wait_ready(&self, timeout: Duration) -> Result<(), CliError> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        while Instant::now() < deadline {
            match self.client.get(self.url("/-/ready")).send().await {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => last = format!("answered {}", r.status()),
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(CliError::Server(format!(
            "Prometheus at {} was not ready within {timeout:?} (--prometheus.ready_timeout): {last}",
            self.base
        )))
    }

    async fn data(&self, path: &str) -> Result<serde_json::Value, String> {
        let resp = self.client.get(self.url(path)).send().await.map_err(|e| format!("GET {path}: {e}"))?;
        let status = resp.status();
        let v: serde_json::Value = resp.json().await.map_err(|e| format!("GET {path}: {status}: {e}"))?;
        if v["status"] != "success" {
            return Err(format!("GET {path}: {status}: {}", v["error"]));
        }
        Ok(v["data"].clone())
    }

    /// `global.external_labels` of the configuration Prometheus runs with.
    pub(crate) async fn external_labels(&self) -> Result<Labels, String> {
        let data = self.data("/api/v1/status/config").await?;
        let yaml = data["yaml"].as_str().ok_or("status/config without yaml")?;
        external_labels_of(yaml)
    }

    /// Prometheus's command-line flags.
    pub(crate) async fn flags(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        match self.data("/api/v1/status/flags").await? {
            serde_json::Value::Object(m) => Ok(m),
            other => Err(format!("status/flags answered {other}")),
        }
    }

    /// The oldest sample Prometheus holds (milliseconds), from its own
    /// `prometheus_tsdb_lowest_timestamp`; `None` while it holds nothing.
    pub(crate) async fn lowest_timestamp(&self) -> Result<Option<i64>, String> {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .map_err(|e| format!("GET /metrics: {e}"))?
            .text()
            .await
            .map_err(|e| format!("GET /metrics: {e}"))?;
        lowest_timestamp_of(&text)
    }
}

pub(crate) fn external_labels_of(yaml: &str) -> Result<Labels, String> {
    let config: serde_yaml::Value =
        serde_yaml::from_str(yaml).map_err(|e| format!("Prometheus's configuration: {e}"))?;
    let mut pairs = Vec::new();
    if let Some(map) =
        config.get("global").and_then(|g| g.get("external_labels")).and_then(|l| l.as_mapping())
    {
        for (k, v) in map {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                return Err(format!("external label {k:?}: {v:?} is not a string pair"));
            };
            pairs.push((k.to_string(), v.to_string()));
        }
    }
    Labels::from_pairs(pairs).map_err(|e| format!("external labels: {e}"))
}

/// Block durations must be equal (local compaction off) for blocks to ship as they are cut.
pub(crate) fn check_block_durations(
    flags: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    let get = |k: &str| flags.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let (min, max) = (get("storage.tsdb.min-block-duration"), get("storage.tsdb.max-block-duration"));
    if min.is_empty() || min != max {
        return Err(format!(
            "found that TSDB max block duration is {max:?} and min block duration is {min:?}; compaction needs to be \
             disabled (storage.tsdb.min-block-duration = storage.tsdb.max-block-duration), or pass \
             --shipper.ignore-unequal-block-size"
        ));
    }
    Ok(())
}

pub(crate) fn lowest_timestamp_of(metrics: &str) -> Result<Option<i64>, String> {
    let line = metrics
        .lines()
        .find_map(|l| l.strip_prefix("prometheus_tsdb_lowest_timestamp "))
        .ok_or("Prometheus's /metrics has no prometheus_tsdb_lowest_timestamp")?;
    let v: f64 =
        line.split_whitespace().next().unwrap_or("").parse().map_err(|e| format!("lowest timestamp: {e}"))?;
    // An empty TSDB reports the largest int64.
    Ok((v < 9.0e18).then_some(v as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_external_labels_from_the_config() {
        let yaml = "global:\n  scrape_interval: 1s\n  external_labels:\n    replica: a\n    cluster: eu\nscrape_configs: []\n";
        let l = external_labels_of(yaml).unwrap();
        assert_eq!(l, Labels::from_pairs([("cluster", "eu"), ("replica", "a")]).unwrap());
        assert!(external_labels_of("global:\n  scrape_interval: 1s\n").unwrap().is_empty());
    }

    #[test]
    fn block_durations_must_be_equal() {
        let flags = |min: &str, max: &str| {
            let mut m = serde_json::Map::new();
            m.insert("storage.tsdb.min-block-duration".into(), min.into());
            m.insert("storage.tsdb.max-block-duration".into(), max.into());
            m
        };
        assert!(check_block_durations(&flags("2h", "2h")).is_ok());
        assert!(check_block_durations(&flags("2h", "1d12h")).unwrap_err().contains("1d12h"));
    }

    #[test]
    fn lowest_timestamp_from_metrics() {
        let m = "# TYPE prometheus_tsdb_lowest_timestamp gauge\nprometheus_tsdb_lowest_timestamp 1.7e+12\n";
        assert_eq!(lowest_timestamp_of(m), Ok(Some(1_700_000_000_000)));
        let empty = "prometheus_tsdb_lowest_timestamp 9.223372036854776e+18\n";
        assert_eq!(lowest_timestamp_of(empty), Ok(None));
        assert!(lowest_timestamp_of("up 1\n").is_err());
    }
}
