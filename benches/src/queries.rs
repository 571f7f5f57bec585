//! The standard query set (`/work/shared/testbench/bench_q.sh`), and the yardstick it is measured
//! against.

/// The eight range queries of `bench_q.sh`, with short names for reports.
pub const RANGE_QUERIES: &[(&str, &str)] = &[
    ("sum_rate_by_job", "sum by (job) (rate(http_requests_total[5m]))"),
    (
        "histogram_quantile",
        "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    ),
    ("select_job_api", r#"http_requests_total{job="api"}"#),
    ("select_all_counters", "http_requests_total"),
    ("sum_rate", "sum(rate(http_requests_total[5m]))"),
    ("topk_sum_rate", r#"topk(5, sum by (instance) (rate(http_requests_total{status="500"}[5m])))"#),
    ("avg_over_time_1h", "avg_over_time(node_memory_usage_bytes[1h])"),
    ("count_all", r#"count({__name__=~".+"})"#),
];

/// Range queries beyond `bench_q.sh`: a one-to-one vector/vector operation, which the standard
/// set lacks.
pub const EXTRA_RANGE_QUERIES: &[(&str, &str)] = &[(
    "ratio_500_200",
    r#"rate(http_requests_total{status="500"}[5m]) / on(instance, method) rate(http_requests_total{status="200"}[5m])"#,
)];

/// Instant queries, evaluated at the end of the data.
pub const INSTANT_QUERIES: &[(&str, &str)] = &[
    ("instant_sum_rate_by_job", "sum by (job) (rate(http_requests_total[5m]))"),
    (
        "instant_histogram_quantile",
        "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
    ),
    ("instant_count_all", r#"count({__name__=~".+"})"#),
];

/// Samples Prometheus's engine gets through per second on one core, measured with the same
/// queries over the same shape of data (decoded samples over wall time, as in the table of
/// `/work/shared/testbench/README.md`).
pub const PROMETHEUS_SAMPLES_PER_SEC_PER_CORE: f64 = 9.5e6;
