//! Raw samples of Prometheus API answers, keyed by series, for comparing Quiver with Prometheus.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::prometheus::Prometheus;
use crate::quiver_up::api_get;

/// Raw samples of a matrix answer by series; `external` are labels every series must carry
/// (external labels, a receiver's tenant label), checked and left out of the key.
pub fn by_series(
    v: &serde_json::Value,
    external: &[(&str, &str)],
) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut out = BTreeMap::new();
    for s in v["data"]["result"].as_array().into_iter().flatten() {
        let mut metric = s["metric"].clone();
        for (name, value) in external {
            let got = metric.as_object_mut().and_then(|m| m.remove(*name));
            assert_eq!(got.as_ref().and_then(|v| v.as_str()), Some(*value), "{s}");
        }
        out.insert(metric.to_string(), s["values"].as_array().cloned().unwrap_or_default());
    }
    out
}

/// Wall-clock time, seconds.
pub fn now_s() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Waits until `ours` (a Quiver query API) answers the range selector `selector` exactly as
/// Prometheus, with `external` labels added, over more than 100 series and once `ready` holds;
/// the evaluation time and the answer.
pub async fn agree(
    prom: &Prometheus,
    ours: &str,
    selector: &str,
    external: &[(&str, &str)],
    ready: impl Fn() -> bool,
) -> (String, BTreeMap<String, Vec<serde_json::Value>>) {
    let started = now_s();
    let mut last = String::new();
    while now_s() - started < 90.0 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        if now_s() - started < 14.0 {
            continue;
        }
        let t = format!("{:.3}", now_s() - 4.0);
        let (s1, theirs) = api_get(&prom.url(), "/api/v1/query", &[("query", selector), ("time", &t)]).await;
        let (s2, mine) = api_get(ours, "/api/v1/query", &[("query", selector), ("time", &t)]).await;
        assert_eq!((s1, s2), (200, 200), "{theirs} {mine}");
        let (theirs, mine_series) = (by_series(&theirs, &[]), by_series(&mine, external));
        if theirs == mine_series && theirs.len() > 100 && ready() {
            return (t, theirs);
        }
        last = format!(
            "{} series from Prometheus, {} from Quiver; warnings {}",
            theirs.len(),
            mine_series.len(),
            mine["warnings"]
        );
    }
    panic!("Quiver never held what Prometheus holds for {selector} (last: {last})");
}
