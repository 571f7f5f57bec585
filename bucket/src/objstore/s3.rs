//! `type: S3`: AWS S3 and S3-compatible stores — the config, its checks, the endpoint and
//! addressing rules, and building the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use serde::Deserialize;

use super::adapter::StoreAdapter;
use super::http::{HttpConfig, client_options, retry_for_attempts};
use super::s3_credentials::s3_credentials_from_environment;
use super::s3_put::{apply_sse, put_attributes};
use super::values::Secret;
use super::{config_error, nullable, store_error};
use crate::error::Result;

/// Thanos's default S3 multipart part size (64 MiB).
pub const DEFAULT_S3_PART_SIZE: u64 = 64 * 1024 * 1024;

/// S3 `bucket_lookup_type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum BucketLookupType {
    /// `auto` (default): virtual-hosted style for AWS, Google and Aliyun endpoints (when the bucket
    /// name allows it), path style for every other endpoint, as minio-go decides.
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// `virtual-hosted`: `https://<bucket>.<endpoint>/<key>`.
    #[serde(rename = "virtual-hosted")]
    VirtualHosted,
    /// `path`: `https://<endpoint>/<bucket>/<key>`; what S3 emulators need.
    #[serde(rename = "path")]
    Path,
}

/// S3 `trace`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TraceConfig {
    /// Accepted, not applied (minio's request trace; use `RUST_LOG` instead).
    #[serde(deserialize_with = "nullable")]
    pub enable: bool,
}

/// S3 `sse_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SseConfig {
    /// `""` (none), `SSE-S3`, `SSE-KMS` or `SSE-C`.
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub sse_type: String,
    /// Required for `SSE-KMS`.
    #[serde(deserialize_with = "nullable")]
    pub kms_key_id: String,
    /// Refused when non-empty: `object_store` cannot send a KMS encryption context.
    #[serde(deserialize_with = "nullable")]
    pub kms_encryption_context: BTreeMap<String, String>,
    /// For `SSE-C`: path of a file holding the raw 32-byte key.
    #[serde(deserialize_with = "nullable")]
    pub encryption_key: String,
}

/// `type: S3` config, with Thanos's keys and defaults.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// The bucket name (required).
    #[serde(deserialize_with = "nullable")]
    pub bucket: String,
    /// `host[:port]`, no scheme (required, as in Thanos).
    #[serde(deserialize_with = "nullable")]
    pub endpoint: String,
    /// The signing region. When empty: taken from an AWS endpoint (`s3.<region>.amazonaws.com`),
    /// else `us-east-1` (minio-go would ask the bucket's location instead).
    #[serde(deserialize_with = "nullable")]
    pub region: String,
    /// Accepted; `object_store` never uses dual-stack endpoints.
    #[serde(deserialize_with = "nullable")]
    pub disable_dualstack: bool,
    /// Use the AWS SDK's default credential chain: the same chain as leaving `access_key` empty
    /// (environment, `~/.aws/credentials`, web identity, ECS / EKS, instance metadata).
    #[serde(deserialize_with = "nullable")]
    pub aws_sdk_auth: bool,
    /// Static access key; needs `secret_key`.
    #[serde(deserialize_with = "nullable")]
    pub access_key: String,
    /// `true`: plain http.
    #[serde(deserialize_with = "nullable")]
    pub insecure: bool,
    /// Refused when `true`: `object_store` signs with AWS Signature V4 only.
    #[serde(deserialize_with = "nullable")]
    pub signature_version2: bool,
    /// Static secret key; needs `access_key`.
    #[serde(deserialize_with = "nullable")]
    pub secret_key: Secret,
    /// Session token for temporary static credentials.
    #[serde(deserialize_with = "nullable")]
    pub session_token: Secret,
    /// Set on every object written: `X-Amz-Storage-Class` becomes the storage class,
    /// `Content-Type` / `Cache-Control` / `Content-Disposition` / `Content-Encoding` /
    /// `Content-Language` the standard headers, every other key (with or without an
    /// `X-Amz-Meta-` prefix) user metadata. Other `X-Amz-*` headers are refused.
    #[serde(deserialize_with = "nullable")]
    pub put_user_metadata: BTreeMap<String, String>,
    /// HTTP client settings.
    #[serde(deserialize_with = "nullable")]
    pub http_config: HttpConfig,
    /// Accepted, not applied.
    #[serde(deserialize_with = "nullable")]
    pub trace: TraceConfig,
    /// `""` or `v2` accepted; `v1` refused (`object_store` lists with ListObjectsV2 only).
    #[serde(deserialize_with = "nullable")]
    pub list_objects_version: String,
    /// Virtual-hosted or path-style requests.
    #[serde(deserialize_with = "nullable")]
    pub bucket_lookup_type: BucketLookupType,
    /// Accepted, not applied (`object_store` does not send `Content-MD5`; integrity of uploads
    /// rests on TLS and S3's own checks).
    #[serde(deserialize_with = "nullable")]
    pub send_content_md5: bool,
    /// Read by uploaders: when `true`, upload with single PUTs only.
    #[serde(deserialize_with = "nullable")]
    pub disable_multipart: bool,
    /// Read by uploaders: the multipart part size in bytes.
    #[serde(deserialize_with = "nullable")]
    pub part_size: u64,
    /// Server-side encryption.
    #[serde(deserialize_with = "nullable")]
    pub sse_config: SseConfig,
    /// STS endpoint URL used for web-identity (IRSA) credentials.
    #[serde(deserialize_with = "nullable")]
    pub sts_endpoint: String,
    /// Attempts per request (0: default, 1: no retries), as minio-go's `MaxRetries`.
    #[serde(deserialize_with = "nullable")]
    pub max_retries: i64,
}

impl Default for S3Config {
    /// Thanos's `s3.DefaultConfig`.
    fn default() -> Self {
        S3Config {
            bucket: String::new(),
            endpoint: String::new(),
            region: String::new(),
            disable_dualstack: false,
            aws_sdk_auth: false,
            access_key: String::new(),
            insecure: false,
            signature_version2: false,
            secret_key: Secret::default(),
            session_token: Secret::default(),
            put_user_metadata: BTreeMap::new(),
            http_config: HttpConfig::default(),
            trace: TraceConfig::default(),
            list_objects_version: String::new(),
            bucket_lookup_type: BucketLookupType::Auto,
            send_content_md5: true,
            disable_multipart: false,
            part_size: DEFAULT_S3_PART_SIZE,
            sse_config: SseConfig::default(),
            sts_endpoint: String::new(),
            max_retries: 0,
        }
    }
}

pub(super) fn build_s3(c: &S3Config) -> Result<Arc<dyn ObjectStore>> {
    validate_s3(c)?;
    let host = c.endpoint.trim();
    let scheme = if c.insecure { "http" } else { "https" };
    let virtual_hosted = match c.bucket_lookup_type {
        BucketLookupType::Path => false,
        BucketLookupType::VirtualHosted => true,
        BucketLookupType::Auto => auto_virtual_hosted(host, &c.bucket, c.insecure),
    };
    let endpoint =
        if virtual_hosted { format!("{scheme}://{}.{host}", c.bucket) } else { format!("{scheme}://{host}") };
    let region = if c.region.is_empty() {
        region_from_endpoint(host).unwrap_or_else(|| "us-east-1".to_string())
    } else {
        c.region.clone()
    };

    let mut builder = AmazonS3Builder::new()
        .with_client_options(client_options(&c.http_config, c.insecure)?)
        .with_bucket_name(&c.bucket)
        .with_endpoint(endpoint)
        .with_region(region)
        .with_virtual_hosted_style_request(virtual_hosted);

    if !c.access_key.is_empty() {
        builder = builder.with_access_key_id(&c.access_key).with_secret_access_key(c.secret_key.expose());
        if !c.session_token.is_empty() {
            builder = builder.with_token(c.session_token.expose());
        }
    } else {
        // Thanos: environment, then ~/.aws/credentials, then IAM (or the AWS SDK chain with
        // aws_sdk_auth). object_store covers environment, web identity, ECS / EKS and instance
        // metadata once the environment is handed to it.
        builder = s3_credentials_from_environment(builder)?;
    }
    if !c.sts_endpoint.is_empty() {
        builder = builder.with_config(AmazonS3ConfigKey::StsEndpoint, &c.sts_endpoint);
    }
    if let Some(retry) = retry_for_attempts(c.max_retries) {
        builder = builder.with_retry(retry);
    }
    builder = apply_sse(builder, &c.sse_config)?;

    let attributes = put_attributes(&c.put_user_metadata)?;
    let store: Arc<dyn ObjectStore> =
        Arc::new(builder.build().map_err(store_error(format!("S3 bucket {}", c.bucket)))?);
    if attributes.is_empty() {
        Ok(store)
    } else {
        Ok(Arc::new(StoreAdapter { inner: store, put_attributes: attributes, fix_get_location: false }))
    }
}

fn validate_s3(c: &S3Config) -> Result<()> {
    if c.bucket.is_empty() {
        return Err(config_error("no s3 bucket in config (config.bucket)"));
    }
    let endpoint = c.endpoint.trim();
    if endpoint.is_empty() {
        return Err(config_error("no s3 endpoint in config file (config.endpoint)"));
    }
    if endpoint.contains("://") || endpoint.contains('/') {
        return Err(config_error(format!(
            "s3 endpoint {endpoint:?} must be host[:port] without scheme or path, as in Thanos; \
             set `insecure: true` for plain http"
        )));
    }
    if c.aws_sdk_auth && !c.access_key.is_empty() {
        return Err(config_error("aws_sdk_auth and access_key are mutually exclusive configurations"));
    }
    if c.access_key.is_empty() && !c.secret_key.is_empty() {
        return Err(config_error(
            "no s3 access_key specified while secret_key is present in config file; either both \
             should be present in config or envvars/IAM should be used.",
        ));
    }
    if !c.access_key.is_empty() && c.secret_key.is_empty() {
        return Err(config_error(
            "no s3 secret_key specified while access_key is present in config file; either both \
             should be present in config or envvars/IAM should be used.",
        ));
    }
    if c.signature_version2 {
        return Err(config_error(
            "signature_version2: true is not supported: Quiver signs S3 requests with AWS \
             Signature Version 4 only",
        ));
    }
    match c.list_objects_version.as_str() {
        "" | "v2" => {}
        "v1" => {
            return Err(config_error(
                "list_objects_version: v1 is not supported: Quiver lists with ListObjectsV2 only",
            ));
        }
        other => {
            return Err(config_error(format!(
                "list_objects_version: unsupported version {other:?}; supported values are v1, v2"
            )));
        }
    }
    Ok(())
}

/// minio-go's automatic lookup: virtual-hosted for AWS, Google and Aliyun endpoints when the
/// bucket name allows it (no dots over https), path style otherwise.
fn auto_virtual_hosted(endpoint: &str, bucket: &str, insecure: bool) -> bool {
    if !insecure && bucket.contains('.') {
        return false;
    }
    let host = host_of(endpoint).to_ascii_lowercase();
    host.ends_with(".amazonaws.com")
        || host.ends_with(".amazonaws.com.cn")
        || host == "storage.googleapis.com"
        || host.ends_with(".aliyuncs.com")
}

fn host_of(endpoint: &str) -> &str {
    endpoint.rsplit_once(':').map_or(endpoint, |(host, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) { host } else { endpoint }
    })
}

/// The region of an AWS S3 endpoint (`s3.eu-west-1.amazonaws.com`, `s3-eu-west-1.amazonaws.com`,
/// `s3.dualstack.eu-west-1.amazonaws.com`, `s3-fips.us-east-2.amazonaws.com`), if any.
fn region_from_endpoint(endpoint: &str) -> Option<String> {
    let host = host_of(endpoint).to_ascii_lowercase();
    let stem = host.strip_suffix(".amazonaws.com").or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let labels: Vec<&str> = stem.split('.').collect();
    let first = *labels.first()?;
    if labels.len() == 1 {
        // s3-<region>, or plain s3 (global endpoint: no region in the name).
        return first.strip_prefix("s3-").filter(|r| *r != "external-1" && *r != "fips").map(str::to_string);
    }
    if first != "s3" && first != "s3-fips" {
        return None;
    }
    labels[1..].iter().rev().find(|l| **l != "dualstack" && **l != "s3").map(|l| (*l).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "s3_tests.rs"]
mod tests;
