//! `type: GCS`: Google Cloud Storage.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::gcp::GoogleCloudStorageBuilder;
use serde::Deserialize;

use super::http::{HttpConfig, client_options, retry_for_attempts};
use super::values::Secret;
use super::{config_error, nullable, store_error};
use crate::error::Result;

/// `type: GCS` config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GcsConfig {
    /// The bucket name (required).
    #[serde(deserialize_with = "nullable")]
    pub bucket: String,
    /// Inline service-account JSON. When empty: `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's
    /// application default credentials, then the metadata server, as Google's default logic.
    #[serde(deserialize_with = "nullable")]
    pub service_account: Secret,
    /// Accepted, not applied: `object_store` speaks GCS's HTTP API only (same objects).
    #[serde(deserialize_with = "nullable")]
    pub use_grpc: bool,
    /// Accepted, not applied (gRPC only).
    #[serde(deserialize_with = "nullable")]
    pub grpc_conn_pool_size: i64,
    /// HTTP client settings.
    #[serde(deserialize_with = "nullable")]
    pub http_config: HttpConfig,
    /// Accepted, not applied (upload chunking is the uploader's).
    #[serde(deserialize_with = "nullable")]
    pub chunk_size_bytes: i64,
    /// Attempts per request (0: default, 1: no retries).
    #[serde(deserialize_with = "nullable")]
    pub max_retries: i64,
}

pub(super) fn build_gcs(c: &GcsConfig) -> Result<Arc<dyn ObjectStore>> {
    if c.bucket.is_empty() {
        return Err(config_error("missing Google Cloud Storage bucket name (config.bucket)"));
    }
    // A service account may point at an emulator (`gcs_base_url`, as fake-gcs-server uses).
    let allow_http = !c.service_account.is_empty()
        && serde_json::from_str::<serde_json::Value>(c.service_account.expose())
            .ok()
            .and_then(|v| v.get("gcs_base_url")?.as_str().map(|u| u.starts_with("http://")))
            .unwrap_or(false);
    let mut builder = GoogleCloudStorageBuilder::new()
        .with_client_options(client_options(&c.http_config, allow_http)?)
        .with_bucket_name(&c.bucket);
    if !c.service_account.is_empty() {
        builder = builder.with_service_account_key(c.service_account.expose());
    } else if let Some(path) = std::env::var("GOOGLE_APPLICATION_CREDENTIALS").ok().filter(|p| !p.is_empty())
    {
        builder = builder.with_application_credentials(path);
    }
    if let Some(retry) = retry_for_attempts(c.max_retries) {
        builder = builder.with_retry(retry);
    }
    let store = builder.build().map_err(store_error(format!("GCS bucket {}", c.bucket)))?;
    Ok(Arc::new(store))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::objstore::tests::err;
    use crate::objstore::{ObjstoreConfig, ProviderConfig};

    #[test]
    fn gcs_inline_service_account() {
        let yaml = r#"
type: GCS
config:
  bucket: "thanos"
  service_account: |-
    {
      "type": "service_account",
      "project_id": "project",
      "client_email": "project@thanos.iam.gserviceaccount.com",
      "private_key_id": "",
      "private_key": "",
      "disable_oauth": true,
      "gcs_base_url": "http://127.0.0.1:4443"
    }
  use_grpc: false
  grpc_conn_pool_size: 0
  http_config:
    idle_conn_timeout: 0s
    response_header_timeout: 0s
    insecure_skip_verify: false
  chunk_size_bytes: 0
  max_retries: 3
prefix: blocks
"#;
        let cfg = ObjstoreConfig::from_yaml(yaml).unwrap();
        let ProviderConfig::Gcs(c) = &cfg.provider else { panic!("{cfg:?}") };
        assert_eq!(c.bucket, "thanos");
        assert!(c.service_account.expose().contains("\"disable_oauth\": true"));
        assert_eq!(c.max_retries, 3);
        assert_eq!(cfg.prefix.as_deref(), Some("blocks"));
        cfg.build().unwrap();
        assert!(err("type: GCS\nconfig:\n  bucket: b\n  no_auth: true\n").contains("no_auth"));
    }
}
