//! Thanos's `http_config` (S3, GCS, AZURE) and the `object_store` client options made from it.

use std::time::Duration;

use object_store::{Certificate, ClientOptions, RetryConfig};
use serde::Deserialize;

use super::values::PromDuration;
use super::{config_error, nullable, store_error};
use crate::error::{Error, Result};

/// Thanos's `http_config` (S3, GCS, AZURE).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Mapped to the connection pool's idle timeout.
    #[serde(deserialize_with = "nullable")]
    pub idle_conn_timeout: PromDuration,
    /// Accepted, not applied: `object_store` has a per-request timeout (30 s), not a
    /// response-header timeout.
    #[serde(deserialize_with = "nullable")]
    pub response_header_timeout: PromDuration,
    /// Mapped: accept invalid TLS certificates.
    #[serde(deserialize_with = "nullable")]
    pub insecure_skip_verify: bool,
    /// Accepted, not applied (tuning only).
    #[serde(deserialize_with = "nullable")]
    pub tls_handshake_timeout: PromDuration,
    /// Accepted, not applied (tuning only).
    #[serde(deserialize_with = "nullable")]
    pub expect_continue_timeout: PromDuration,
    /// Accepted, not applied (tuning only).
    #[serde(deserialize_with = "nullable")]
    pub max_idle_conns: i64,
    /// Mapped to the pool's maximum idle connections per host.
    #[serde(deserialize_with = "nullable")]
    pub max_idle_conns_per_host: i64,
    /// Accepted, not applied (tuning only).
    #[serde(deserialize_with = "nullable")]
    pub max_conns_per_host: i64,
    /// TLS settings; see [`TlsConfig`].
    #[serde(deserialize_with = "nullable")]
    pub tls_config: TlsConfig,
    /// Accepted, not applied (`object_store` never asks for compressed bodies).
    #[serde(deserialize_with = "nullable")]
    pub disable_compression: bool,
}

impl Default for HttpConfig {
    /// Thanos's `exthttp.DefaultHTTPConfig`.
    fn default() -> Self {
        HttpConfig {
            idle_conn_timeout: PromDuration(Duration::from_secs(90)),
            response_header_timeout: PromDuration(Duration::from_secs(120)),
            insecure_skip_verify: false,
            tls_handshake_timeout: PromDuration(Duration::from_secs(10)),
            expect_continue_timeout: PromDuration(Duration::from_secs(1)),
            max_idle_conns: 100,
            max_idle_conns_per_host: 100,
            max_conns_per_host: 0,
            tls_config: TlsConfig::default(),
            disable_compression: false,
        }
    }
}

/// Thanos's `http_config.tls_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Mapped: extra root CA certificates (PEM bundle) trusted for the server.
    #[serde(deserialize_with = "nullable")]
    pub ca_file: String,
    /// Refused when set: `object_store` cannot present TLS client certificates.
    #[serde(deserialize_with = "nullable")]
    pub cert_file: String,
    /// Refused when set: `object_store` cannot present TLS client certificates.
    #[serde(deserialize_with = "nullable")]
    pub key_file: String,
    /// Refused when set: `object_store` cannot override the TLS server name.
    #[serde(deserialize_with = "nullable")]
    pub server_name: String,
    /// Mapped: accept invalid TLS certificates.
    #[serde(deserialize_with = "nullable")]
    pub insecure_skip_verify: bool,
}

/// `ClientOptions` from Thanos's `http_config`.
pub(super) fn client_options(http: &HttpConfig, allow_http: bool) -> Result<ClientOptions> {
    let tls = &http.tls_config;
    if !tls.cert_file.is_empty() || !tls.key_file.is_empty() {
        return Err(config_error(
            "http_config.tls_config.cert_file / key_file (TLS client certificates) are not \
             supported by Quiver's object storage client",
        ));
    }
    if !tls.server_name.is_empty() {
        return Err(config_error(
            "http_config.tls_config.server_name is not supported by Quiver's object storage client",
        ));
    }
    let mut options = ClientOptions::new().with_allow_http(allow_http);
    if http.insecure_skip_verify || tls.insecure_skip_verify {
        options = options.with_allow_invalid_certificates(true);
    }
    if !tls.ca_file.is_empty() {
        let pem = std::fs::read(&tls.ca_file).map_err(|e| Error::io(&tls.ca_file, e))?;
        let certificates = Certificate::from_pem_bundle(&pem)
            .map_err(store_error(format!("http_config.tls_config.ca_file {}", tls.ca_file)))?;
        for certificate in certificates {
            options = options.with_root_certificate(certificate);
        }
    }
    if let Some(idle) = http.idle_conn_timeout.non_zero() {
        options = options.with_pool_idle_timeout(idle);
    }
    if let Ok(per_host @ 1..) = usize::try_from(http.max_idle_conns_per_host) {
        options = options.with_pool_max_idle_per_host(per_host);
    }
    Ok(options)
}

/// A retry config from a count of attempts (minio-go's and GCS's `max_retries`: 1 = no retries).
pub(super) fn retry_for_attempts(attempts: i64) -> Option<RetryConfig> {
    let attempts = usize::try_from(attempts).ok().filter(|&a| a > 0)?;
    Some(RetryConfig { max_retries: attempts - 1, ..RetryConfig::default() })
}
