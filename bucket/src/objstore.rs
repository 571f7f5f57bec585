//! Thanos's objstore configuration (`--objstore.config` / `--objstore.config-file`) mapped onto
//! the [`object_store`] crate.
//!
//! The YAML is the one Thanos users already have:
//!
//! ```yaml
//! type: S3            # FILESYSTEM, S3, GCS or AZURE; case-insensitive, as in Thanos
//! prefix: some/prefix # optional: every object lives under it
//! config:
//!   bucket: thanos
//!   endpoint: 127.0.0.1:9000   # host:port, no scheme
//!   insecure: true             # plain http
//!   bucket_lookup_type: path   # path-style requests, as S3 emulators need
//!   access_key: AK
//!   secret_key: SK
//! ```
//!
//! Parsing is strict, as Thanos's (`yaml.UnmarshalStrict`): an unknown key anywhere is an error
//! that names the key. A key left out takes Thanos's default; a key set to null takes the zero
//! value, as Go's YAML decoder does.
//!
//! Every documented Thanos key is accepted. A key that `object_store` cannot honour is either
//! ignored, when it only tunes the client (timeouts, pool sizes, `trace`, `part_size`,
//! `use_grpc`, ...), or refused with an error, when honouring it would change what is stored or
//! who may read it (`signature_version2: true`, `list_objects_version: v1`, TLS client
//! certificates, `kms_encryption_context`, `put_user_metadata` headers that S3 attributes cannot
//! express, ...). The mapping of each key is documented on its field.
//!
//! [`ObjstoreConfig::build`] gives an `Arc<dyn ObjectStore>`, wrapped in a
//! [`PrefixStore`] when `prefix` is set.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::path::Path as FsPath;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    Attribute, AttributeValue, Attributes, BackoffConfig, Certificate, ClientOptions, CopyOptions,
    GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions, RetryConfig,
};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};

/// Thanos's default S3 multipart part size (64 MiB).
pub const DEFAULT_S3_PART_SIZE: u64 = 64 * 1024 * 1024;

/// Azure's default blob endpoint suffix, as in Thanos.
pub const DEFAULT_AZURE_ENDPOINT: &str = "blob.core.windows.net";

/// The objstore types Quiver supports. Thanos's other types (SWIFT, COS, ALIYUNOSS, BOS, OCI,
/// OBS) are recognised and refused with an error that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjstoreType {
    /// `FILESYSTEM`: a local directory.
    Filesystem,
    /// `S3`: AWS S3 or any S3-compatible store.
    S3,
    /// `GCS`: Google Cloud Storage.
    Gcs,
    /// `AZURE`: Azure Blob Storage.
    Azure,
}

impl ObjstoreType {
    /// The name as Thanos spells it (`FILESYSTEM`, `S3`, `GCS`, `AZURE`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjstoreType::Filesystem => "FILESYSTEM",
            ObjstoreType::S3 => "S3",
            ObjstoreType::Gcs => "GCS",
            ObjstoreType::Azure => "AZURE",
        }
    }

    /// Parses a `type:` value, case-insensitively as Thanos does.
    pub fn parse(name: &str) -> Result<Self> {
        let upper = name.trim().to_ascii_uppercase();
        match upper.as_str() {
            "FILESYSTEM" => Ok(ObjstoreType::Filesystem),
            "S3" => Ok(ObjstoreType::S3),
            "GCS" => Ok(ObjstoreType::Gcs),
            "AZURE" => Ok(ObjstoreType::Azure),
            "SWIFT" | "COS" | "ALIYUNOSS" | "BOS" | "OCI" | "OBS" | "MEMORY" => {
                Err(config_error(format!(
                    "objstore type {upper} is a Thanos type that Quiver does not support; \
                     supported types: FILESYSTEM, S3, GCS, AZURE"
                )))
            }
            "" => Err(config_error(
                "objstore `type` is missing or empty; supported types: FILESYSTEM, S3, GCS, AZURE",
            )),
            _ => Err(config_error(format!(
                "unknown objstore type {name:?}; supported types: FILESYSTEM, S3, GCS, AZURE"
            ))),
        }
    }
}

impl fmt::Display for ObjstoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed Thanos objstore configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjstoreConfig {
    /// The provider and its `config:` section.
    pub provider: ProviderConfig,
    /// The top-level `prefix`, with leading and trailing `/` trimmed as Thanos does; `None` when
    /// absent, empty or only slashes.
    pub prefix: Option<String>,
}

/// The `config:` section of each supported type.
#[derive(Debug, Clone, PartialEq)]
pub enum ProviderConfig {
    /// `type: FILESYSTEM`.
    Filesystem(FilesystemConfig),
    /// `type: S3`.
    S3(S3Config),
    /// `type: GCS`.
    Gcs(GcsConfig),
    /// `type: AZURE`.
    Azure(AzureConfig),
}

impl ProviderConfig {
    /// The objstore type of this section.
    pub fn kind(&self) -> ObjstoreType {
        match self {
            ProviderConfig::Filesystem(_) => ObjstoreType::Filesystem,
            ProviderConfig::S3(_) => ObjstoreType::S3,
            ProviderConfig::Gcs(_) => ObjstoreType::Gcs,
            ProviderConfig::Azure(_) => ObjstoreType::Azure,
        }
    }
}

impl ObjstoreConfig {
    /// Parses Thanos objstore YAML (the content of `--objstore.config`).
    pub fn from_yaml(yaml: &str) -> Result<Self> {
        if yaml.trim().is_empty() {
            return Err(config_error(
                "objstore config is empty; expected at least `type:` and `config:`",
            ));
        }
        let head: Head = serde_yaml::from_str(yaml)
            .map_err(|e| config_error(format!("invalid objstore config: {e}")))?;
        let kind = ObjstoreType::parse(&head.kind)?;
        let provider = match kind {
            ObjstoreType::Filesystem => ProviderConfig::Filesystem(parse_section(yaml, kind)?),
            ObjstoreType::S3 => ProviderConfig::S3(parse_section(yaml, kind)?),
            ObjstoreType::Gcs => ProviderConfig::Gcs(parse_section(yaml, kind)?),
            ObjstoreType::Azure => ProviderConfig::Azure(parse_section(yaml, kind)?),
        };
        let prefix = normalize_prefix(&head.prefix)?;
        Ok(ObjstoreConfig { provider, prefix })
    }

    /// Reads and parses a Thanos objstore YAML file (`--objstore.config-file`).
    pub fn from_file(path: impl AsRef<FsPath>) -> Result<Self> {
        let path = path.as_ref();
        let yaml = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
        Self::from_yaml(&yaml).map_err(|e| match e {
            Error::ObjstoreConfig(msg) => {
                Error::ObjstoreConfig(format!("{}: {msg}", path.display()))
            }
            other => other,
        })
    }

    /// The objstore type.
    pub fn kind(&self) -> ObjstoreType {
        self.provider.kind()
    }

    /// Builds the object store this configuration describes, wrapped in a [`PrefixStore`] when
    /// `prefix` is set. Builds no connection: the first request is the first network use.
    /// `FILESYSTEM` creates its directory when it is missing.
    pub fn build(&self) -> Result<Arc<dyn ObjectStore>> {
        let store = match &self.provider {
            ProviderConfig::Filesystem(c) => build_filesystem(c)?,
            ProviderConfig::S3(c) => build_s3(c)?,
            ProviderConfig::Gcs(c) => build_gcs(c)?,
            ProviderConfig::Azure(c) => build_azure(c)?,
        };
        Ok(match &self.prefix {
            Some(prefix) => {
                let prefix = Path::parse(prefix)
                    .map_err(|e| config_error(format!("invalid prefix {prefix:?}: {e}")))?;
                // object_store 0.13's PrefixStore leaves the prefix in `get_opts` / `head`
                // results (apache/arrow-rs-object-store#664, fixed in 0.14): put it right.
                Arc::new(StoreAdapter {
                    inner: Arc::new(PrefixStore::new(store, prefix)),
                    put_attributes: Attributes::new(),
                    fix_get_location: true,
                })
            }
            None => store,
        })
    }
}

/// Parses Thanos objstore YAML and builds the store in one step.
pub fn object_store_from_yaml(yaml: &str) -> Result<Arc<dyn ObjectStore>> {
    ObjstoreConfig::from_yaml(yaml)?.build()
}

/// A secret string (key, password, token, credentials JSON): kept as given, never printed by
/// `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no value was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("<secret>")
        }
    }
}

/// A Prometheus duration (`90s`, `1m30s`, `2h`, `1d`, `500ms`, `0`), as Thanos's `model.Duration`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct PromDuration(pub Duration);

impl PromDuration {
    /// Parses a Prometheus duration string.
    pub fn parse(text: &str) -> Result<Self> {
        parse_prom_duration(text)
            .map(PromDuration)
            .map_err(config_error)
    }

    /// The duration, `None` when zero (Thanos treats zero as "not set").
    pub fn non_zero(self) -> Option<Duration> {
        if self.0.is_zero() { None } else { Some(self.0) }
    }
}

impl<'de> Deserialize<'de> for PromDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(u64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => parse_prom_duration(&text)
                .map(PromDuration)
                .map_err(serde::de::Error::custom),
            Raw::Int(0) => Ok(PromDuration(Duration::ZERO)),
            Raw::Int(n) => Err(serde::de::Error::custom(format!(
                "duration {n} has no unit; write it as e.g. {n}s"
            ))),
        }
    }
}

/// `type: FILESYSTEM` config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesystemConfig {
    /// The directory that holds the bucket; created when missing.
    #[serde(deserialize_with = "nullable")]
    pub directory: String,
}

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

/// Azure `reader_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzureReaderConfig {
    /// Accepted, not applied: `object_store` retries interrupted reads itself.
    #[serde(deserialize_with = "nullable")]
    pub max_retry_requests: i64,
}

/// Azure `pipeline_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzurePipelineConfig {
    /// Retries per request (0: `max_retries`, else the default).
    #[serde(deserialize_with = "nullable")]
    pub max_tries: i64,
    /// Timeout of each try.
    #[serde(deserialize_with = "nullable")]
    pub try_timeout: PromDuration,
    /// First retry delay.
    #[serde(deserialize_with = "nullable")]
    pub retry_delay: PromDuration,
    /// Largest retry delay.
    #[serde(deserialize_with = "nullable")]
    pub max_retry_delay: PromDuration,
}

/// `type: AZURE` config.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AzureConfig {
    /// Tenant of a service principal (with `client_id` and `client_secret`).
    #[serde(deserialize_with = "nullable")]
    pub az_tenant_id: String,
    /// Client id of a service principal (with `az_tenant_id` and `client_secret`).
    #[serde(deserialize_with = "nullable")]
    pub client_id: String,
    /// Secret of a service principal.
    #[serde(deserialize_with = "nullable")]
    pub client_secret: Secret,
    /// The storage account (required).
    #[serde(deserialize_with = "nullable")]
    pub storage_account: String,
    /// Shared key of the storage account.
    #[serde(deserialize_with = "nullable")]
    pub storage_account_key: Secret,
    /// A connection string (`AccountName=..;AccountKey=..;BlobEndpoint=..` or
    /// `UseDevelopmentStorage=true`).
    #[serde(deserialize_with = "nullable")]
    pub storage_connection_string: Secret,
    /// Accepted, not applied: Quiver does not create containers; the container must exist.
    #[serde(deserialize_with = "nullable")]
    pub storage_create_container: bool,
    /// The container (required).
    #[serde(deserialize_with = "nullable")]
    pub container: String,
    /// Endpoint suffix: the account URL is `https://<storage_account>.<endpoint>`.
    #[serde(deserialize_with = "nullable")]
    pub endpoint: String,
    /// Client id of a user-assigned managed identity.
    #[serde(deserialize_with = "nullable")]
    pub user_assigned_id: String,
    /// Default for `pipeline_config.max_tries`.
    #[serde(deserialize_with = "nullable")]
    pub max_retries: i64,
    /// Reader settings.
    #[serde(deserialize_with = "nullable")]
    pub reader_config: AzureReaderConfig,
    /// Retry settings.
    #[serde(deserialize_with = "nullable")]
    pub pipeline_config: AzurePipelineConfig,
    /// HTTP client settings.
    #[serde(deserialize_with = "nullable")]
    pub http_config: HttpConfig,
    /// Deprecated in Thanos; accepted and ignored.
    #[serde(deserialize_with = "nullable")]
    pub msi_resource: String,
}

impl Default for AzureConfig {
    /// Thanos's `azure.DefaultConfig`.
    fn default() -> Self {
        AzureConfig {
            az_tenant_id: String::new(),
            client_id: String::new(),
            client_secret: Secret::default(),
            storage_account: String::new(),
            storage_account_key: Secret::default(),
            storage_connection_string: Secret::default(),
            storage_create_container: true,
            container: String::new(),
            endpoint: DEFAULT_AZURE_ENDPOINT.to_string(),
            user_assigned_id: String::new(),
            max_retries: 0,
            reader_config: AzureReaderConfig::default(),
            pipeline_config: AzurePipelineConfig::default(),
            http_config: HttpConfig::default(),
            msi_resource: String::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing.

/// The top level, read first to learn the type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Head {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    kind: String,
    #[serde(default, rename = "config")]
    _config: IgnoredAny,
    #[serde(default, deserialize_with = "nullable")]
    prefix: String,
}

/// The whole document again, with the `config:` section typed, so serde's error names the key
/// and its path (`config.http_config: unknown field ...`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "T: Deserialize<'de> + Default")]
struct Doc<T> {
    #[serde(rename = "type")]
    _kind: IgnoredAny,
    #[serde(default, deserialize_with = "nullable")]
    config: T,
    #[serde(default, rename = "prefix")]
    _prefix: IgnoredAny,
}

fn parse_section<T: DeserializeOwned + Default>(yaml: &str, kind: ObjstoreType) -> Result<T> {
    serde_yaml::from_str::<Doc<T>>(yaml)
        .map(|doc| doc.config)
        .map_err(|e| config_error(format!("invalid {kind} objstore config: {e}")))
}

/// A missing key takes the struct's default; a null one the type's zero value, as Go's YAML.
fn nullable<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn normalize_prefix(prefix: &str) -> Result<Option<String>> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(None);
    }
    Path::parse(trimmed).map_err(|e| config_error(format!("invalid prefix {prefix:?}: {e}")))?;
    Ok(Some(trimmed.to_string()))
}

fn config_error(message: impl Into<String>) -> Error {
    Error::ObjstoreConfig(message.into())
}

fn store_error(what: String) -> impl FnOnce(object_store::Error) -> Error {
    move |source| Error::ObjectStore { path: what, source }
}

/// Parses a Prometheus duration: `0`, or units in the order y, w, d, h, m, s, ms, each at most
/// once (`1h30m`, `90s`, `500ms`).
fn parse_prom_duration(text: &str) -> std::result::Result<Duration, String> {
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 24 * 3600 * 1000),
        ("w", 7 * 24 * 3600 * 1000),
        ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000),
        ("m", 60 * 1000),
        ("s", 1000),
        ("ms", 1),
    ];
    let bad = || format!("not a valid duration string: {text:?}");
    if text.is_empty() {
        return Err("empty duration string".to_string());
    }
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut next_unit = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..letters];
        rest = &rest[letters..];
        let index = UNITS[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .map(|i| i + next_unit)
            .ok_or_else(bad)?;
        next_unit = index + 1;
        millis = value
            .checked_mul(UNITS[index].1)
            .and_then(|v| millis.checked_add(v))
            .ok_or_else(|| format!("duration out of range: {text:?}"))?;
    }
    Ok(Duration::from_millis(millis))
}

// ---------------------------------------------------------------------------------------------
// Building.

fn build_filesystem(c: &FilesystemConfig) -> Result<Arc<dyn ObjectStore>> {
    if c.directory.is_empty() {
        return Err(config_error(
            "missing directory for filesystem bucket (config.directory)",
        ));
    }
    std::fs::create_dir_all(&c.directory).map_err(|e| Error::io(&c.directory, e))?;
    let store = LocalFileSystem::new_with_prefix(&c.directory)
        .map_err(store_error(format!("FILESYSTEM directory {}", c.directory)))?
        // Thanos's filesystem bucket removes directories that a delete leaves empty.
        .with_automatic_cleanup(true);
    Ok(Arc::new(store))
}

/// `ClientOptions` from Thanos's `http_config`.
fn client_options(http: &HttpConfig, allow_http: bool) -> Result<ClientOptions> {
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
        let certificates = Certificate::from_pem_bundle(&pem).map_err(store_error(format!(
            "http_config.tls_config.ca_file {}",
            tls.ca_file
        )))?;
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
fn retry_for_attempts(attempts: i64) -> Option<RetryConfig> {
    let attempts = usize::try_from(attempts).ok().filter(|&a| a > 0)?;
    Some(RetryConfig {
        max_retries: attempts - 1,
        ..RetryConfig::default()
    })
}

fn build_s3(c: &S3Config) -> Result<Arc<dyn ObjectStore>> {
    validate_s3(c)?;
    let host = c.endpoint.trim();
    let scheme = if c.insecure { "http" } else { "https" };
    let virtual_hosted = match c.bucket_lookup_type {
        BucketLookupType::Path => false,
        BucketLookupType::VirtualHosted => true,
        BucketLookupType::Auto => auto_virtual_hosted(host, &c.bucket, c.insecure),
    };
    let endpoint = if virtual_hosted {
        format!("{scheme}://{}.{host}", c.bucket)
    } else {
        format!("{scheme}://{host}")
    };
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
        builder = builder
            .with_access_key_id(&c.access_key)
            .with_secret_access_key(c.secret_key.expose());
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
    let store: Arc<dyn ObjectStore> = Arc::new(
        builder
            .build()
            .map_err(store_error(format!("S3 bucket {}", c.bucket)))?,
    );
    if attributes.is_empty() {
        Ok(store)
    } else {
        Ok(Arc::new(StoreAdapter {
            inner: store,
            put_attributes: attributes,
            fix_get_location: false,
        }))
    }
}

fn validate_s3(c: &S3Config) -> Result<()> {
    if c.bucket.is_empty() {
        return Err(config_error("no s3 bucket in config (config.bucket)"));
    }
    let endpoint = c.endpoint.trim();
    if endpoint.is_empty() {
        return Err(config_error(
            "no s3 endpoint in config file (config.endpoint)",
        ));
    }
    if endpoint.contains("://") || endpoint.contains('/') {
        return Err(config_error(format!(
            "s3 endpoint {endpoint:?} must be host[:port] without scheme or path, as in Thanos; \
             set `insecure: true` for plain http"
        )));
    }
    if c.aws_sdk_auth && !c.access_key.is_empty() {
        return Err(config_error(
            "aws_sdk_auth and access_key are mutually exclusive configurations",
        ));
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
        if port.chars().all(|c| c.is_ascii_digit()) {
            host
        } else {
            endpoint
        }
    })
}

/// The region of an AWS S3 endpoint (`s3.eu-west-1.amazonaws.com`, `s3-eu-west-1.amazonaws.com`,
/// `s3.dualstack.eu-west-1.amazonaws.com`, `s3-fips.us-east-2.amazonaws.com`), if any.
fn region_from_endpoint(endpoint: &str) -> Option<String> {
    let host = host_of(endpoint).to_ascii_lowercase();
    let stem = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let labels: Vec<&str> = stem.split('.').collect();
    let first = *labels.first()?;
    if labels.len() == 1 {
        // s3-<region>, or plain s3 (global endpoint: no region in the name).
        return first
            .strip_prefix("s3-")
            .filter(|r| *r != "external-1" && *r != "fips")
            .map(str::to_string);
    }
    if first != "s3" && first != "s3-fips" {
        return None;
    }
    labels[1..]
        .iter()
        .rev()
        .find(|l| **l != "dualstack" && **l != "s3")
        .map(|l| (*l).to_string())
}

/// Credential-related environment variables handed to `object_store` when the config has no
/// static keys (never settings that would change the endpoint or bucket).
const AWS_CREDENTIAL_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_ENDPOINT_URL_STS",
    "AWS_METADATA_ENDPOINT",
    "AWS_IMDSV1_FALLBACK",
];

fn s3_credentials_from_environment(mut builder: AmazonS3Builder) -> Result<AmazonS3Builder> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    for name in AWS_CREDENTIAL_ENV {
        if let Some(value) = env(name) {
            let key: AmazonS3ConfigKey = name
                .to_ascii_lowercase()
                .parse()
                .map_err(store_error(format!("environment variable {name}")))?;
            builder = builder.with_config(key, value);
        }
    }
    // minio-go's EnvAWS also reads these older names.
    let key_id = env("AWS_ACCESS_KEY_ID").or_else(|| env("AWS_ACCESS_KEY"));
    let secret = env("AWS_SECRET_ACCESS_KEY").or_else(|| env("AWS_SECRET_KEY"));
    if let (Some(key_id), Some(secret)) = (key_id, secret) {
        return Ok(builder
            .with_access_key_id(key_id)
            .with_secret_access_key(secret));
    }
    // Then the shared credentials file, as minio-go's FileAWSCredentials.
    if let Some((key_id, secret, token)) = shared_aws_credentials() {
        builder = builder
            .with_access_key_id(key_id)
            .with_secret_access_key(secret);
        if let Some(token) = token {
            builder = builder.with_token(token);
        }
    }
    Ok(builder)
}

/// Static keys of `AWS_PROFILE` (or `default`) in `AWS_SHARED_CREDENTIALS_FILE` (or
/// `~/.aws/credentials`), if that file exists and has them.
fn shared_aws_credentials() -> Option<(String, String, Option<String>)> {
    let path = match std::env::var("AWS_SHARED_CREDENTIALS_FILE") {
        Ok(path) if !path.is_empty() => std::path::PathBuf::from(path),
        _ => std::path::PathBuf::from(std::env::var_os("HOME")?)
            .join(".aws")
            .join("credentials"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let profile = std::env::var("AWS_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "default".to_string());
    parse_shared_credentials(&text, &profile)
}

fn parse_shared_credentials(text: &str, profile: &str) -> Option<(String, String, Option<String>)> {
    let mut in_profile = false;
    let (mut key_id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = section.trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let value = Some(v.trim().to_string());
            match k.trim() {
                "aws_access_key_id" => key_id = value,
                "aws_secret_access_key" => secret = value,
                "aws_session_token" => token = value,
                _ => {}
            }
        }
    }
    Some((key_id?, secret?, token))
}

fn apply_sse(builder: AmazonS3Builder, sse: &SseConfig) -> Result<AmazonS3Builder> {
    match sse.sse_type.as_str() {
        "" => Ok(builder),
        "SSE-S3" => {
            let key: AmazonS3ConfigKey = "aws_server_side_encryption"
                .parse()
                .map_err(store_error("sse_config".to_string()))?;
            Ok(builder.with_config(key, "AES256"))
        }
        "SSE-KMS" => {
            if sse.kms_key_id.is_empty() {
                return Err(config_error(
                    "kms_key_id must be set if sse_config.type is set to 'SSE-KMS'",
                ));
            }
            if !sse.kms_encryption_context.is_empty() {
                return Err(config_error(
                    "sse_config.kms_encryption_context is not supported by Quiver's S3 client; \
                     leave it empty to use AWS's default encryption context",
                ));
            }
            Ok(builder.with_sse_kms_encryption(&sse.kms_key_id))
        }
        "SSE-C" => {
            if sse.encryption_key.is_empty() {
                return Err(config_error(
                    "encryption_key must be set if sse_config.type is set to 'SSE-C'",
                ));
            }
            let key = std::fs::read(&sse.encryption_key)
                .map_err(|e| Error::io(&sse.encryption_key, e))?;
            if key.len() != 32 {
                return Err(config_error(format!(
                    "sse_config.encryption_key {}: the SSE-C key must be 32 bytes, it has {}",
                    sse.encryption_key,
                    key.len()
                )));
            }
            Ok(builder.with_ssec_encryption(base64_encode(&key)))
        }
        other => Err(config_error(format!(
            "Initialize s3 client SSE Config: Unsupported type {other:?} was provided. Supported \
             types are SSE-S3, SSE-KMS, SSE-C"
        ))),
    }
}

fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// S3 `put_user_metadata` as `object_store` attributes, the way minio-go turns the map into
/// headers.
fn put_attributes(metadata: &BTreeMap<String, String>) -> Result<Attributes> {
    let mut attributes = Attributes::new();
    for (key, value) in metadata {
        let lower = key.to_ascii_lowercase();
        let attribute = match lower.as_str() {
            "x-amz-storage-class" => Attribute::StorageClass,
            "content-type" => Attribute::ContentType,
            "cache-control" => Attribute::CacheControl,
            "content-disposition" => Attribute::ContentDisposition,
            "content-encoding" => Attribute::ContentEncoding,
            "content-language" => Attribute::ContentLanguage,
            _ => {
                if let Some(name) = lower.strip_prefix("x-amz-meta-") {
                    Attribute::Metadata(name.to_string().into())
                } else if lower.starts_with("x-amz-") || lower == "expires" {
                    return Err(config_error(format!(
                        "put_user_metadata: header {key:?} is not supported by Quiver's S3 \
                         client (supported: X-Amz-Storage-Class, Content-Type, Cache-Control, \
                         Content-Disposition, Content-Encoding, Content-Language and user \
                         metadata)"
                    )));
                } else {
                    Attribute::Metadata(lower.into())
                }
            }
        };
        attributes.insert(attribute, AttributeValue::from(value.clone()));
    }
    Ok(attributes)
}

fn build_gcs(c: &GcsConfig) -> Result<Arc<dyn ObjectStore>> {
    if c.bucket.is_empty() {
        return Err(config_error(
            "missing Google Cloud Storage bucket name (config.bucket)",
        ));
    }
    // A service account may point at an emulator (`gcs_base_url`, as fake-gcs-server uses).
    let allow_http = !c.service_account.is_empty()
        && serde_json::from_str::<serde_json::Value>(c.service_account.expose())
            .ok()
            .and_then(|v| {
                v.get("gcs_base_url")?
                    .as_str()
                    .map(|u| u.starts_with("http://"))
            })
            .unwrap_or(false);
    let mut builder = GoogleCloudStorageBuilder::new()
        .with_client_options(client_options(&c.http_config, allow_http)?)
        .with_bucket_name(&c.bucket);
    if !c.service_account.is_empty() {
        builder = builder.with_service_account_key(c.service_account.expose());
    } else if let Some(path) = std::env::var("GOOGLE_APPLICATION_CREDENTIALS")
        .ok()
        .filter(|p| !p.is_empty())
    {
        builder = builder.with_application_credentials(path);
    }
    if let Some(retry) = retry_for_attempts(c.max_retries) {
        builder = builder.with_retry(retry);
    }
    let store = builder
        .build()
        .map_err(store_error(format!("GCS bucket {}", c.bucket)))?;
    Ok(Arc::new(store))
}

fn validate_azure(c: &AzureConfig) -> Result<()> {
    let mut problems = Vec::new();
    if !c.user_assigned_id.is_empty() && !c.storage_account_key.is_empty() {
        problems
            .push("user_assigned_id cannot be set when using storage_account_key authentication");
    }
    if !c.user_assigned_id.is_empty() && !c.storage_connection_string.is_empty() {
        problems.push(
            "user_assigned_id cannot be set when using storage_connection_string authentication",
        );
    }
    if !c.user_assigned_id.is_empty() && !c.client_id.is_empty() {
        problems.push("user_assigned_id cannot be set when using client_id authentication");
    }
    let sp = [
        !c.az_tenant_id.is_empty(),
        !c.client_secret.is_empty(),
        !c.client_id.is_empty(),
    ];
    if sp.iter().any(|s| *s) && !sp.iter().all(|s| *s) {
        problems.push("az_tenant_id, client_id, and client_secret must be set together");
    }
    if !c.storage_account_key.is_empty() && !c.storage_connection_string.is_empty() {
        problems.push("storage_account_key and storage_connection_string cannot both be set");
    }
    if c.storage_account.is_empty() {
        problems.push("storage_account_name is required but not configured");
    }
    if c.container.is_empty() {
        problems.push("no container specified");
    }
    if c.pipeline_config.max_tries < 0 {
        problems
            .push("The value of max_tries must be greater than or equal to 0 in the config file");
    }
    if c.reader_config.max_retry_requests < 0 {
        problems.push(
            "The value of max_retry_requests must be greater than or equal to 0 in the config file",
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(config_error(problems.join(", ")))
    }
}

/// Credential-related environment variables of Azure's default credential chain.
const AZURE_CREDENTIAL_ENV: &[&str] = &[
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
];

fn build_azure(c: &AzureConfig) -> Result<Arc<dyn ObjectStore>> {
    validate_azure(c)?;
    let max_tries = if c.pipeline_config.max_tries == 0 {
        c.max_retries
    } else {
        c.pipeline_config.max_tries
    };

    let mut builder = MicrosoftAzureBuilder::new().with_container_name(&c.container);
    let mut allow_http = false;
    if !c.storage_connection_string.is_empty() {
        let (b, http) = apply_connection_string(
            builder,
            c.storage_connection_string.expose(),
            &c.storage_account,
        )?;
        builder = b;
        allow_http = http;
    } else {
        let suffix = if c.endpoint.trim().is_empty() {
            DEFAULT_AZURE_ENDPOINT
        } else {
            c.endpoint.trim()
        };
        builder = builder
            .with_account(&c.storage_account)
            .with_endpoint(format!("https://{}.{suffix}", c.storage_account));
        if !c.storage_account_key.is_empty() {
            builder = builder.with_access_key(c.storage_account_key.expose());
        } else if !c.client_id.is_empty() {
            builder = builder.with_client_secret_authorization(
                &c.client_id,
                c.client_secret.expose(),
                &c.az_tenant_id,
            );
        } else if !c.user_assigned_id.is_empty() {
            // Managed identity (instance metadata) with this client id.
            builder = builder.with_client_id(&c.user_assigned_id);
        } else {
            for name in AZURE_CREDENTIAL_ENV {
                if let Some(value) = std::env::var(name).ok().filter(|v| !v.is_empty()) {
                    let key: AzureConfigKey = name
                        .to_ascii_lowercase()
                        .parse()
                        .map_err(store_error(format!("environment variable {name}")))?;
                    builder = builder.with_config(key, value);
                }
            }
        }
    }

    let mut options = client_options(&c.http_config, allow_http)?;
    if let Some(timeout) = c.pipeline_config.try_timeout.non_zero() {
        options = options.with_timeout(timeout);
    }
    builder = builder.with_client_options(options);
    if max_tries > 0
        || !c.pipeline_config.retry_delay.0.is_zero()
        || !c.pipeline_config.max_retry_delay.0.is_zero()
    {
        let mut retry = RetryConfig::default();
        if let Ok(tries @ 1..) = usize::try_from(max_tries) {
            retry.max_retries = tries;
        }
        let mut backoff = BackoffConfig::default();
        if let Some(delay) = c.pipeline_config.retry_delay.non_zero() {
            backoff.init_backoff = delay;
        }
        if let Some(delay) = c.pipeline_config.max_retry_delay.non_zero() {
            backoff.max_backoff = delay;
        }
        retry.backoff = backoff;
        builder = builder.with_retry(retry);
    }
    let store = builder
        .build()
        .map_err(store_error(format!("AZURE container {}", c.container)))?;
    Ok(Arc::new(store))
}

/// Applies an Azure storage connection string. Returns whether the endpoint is plain http.
fn apply_connection_string(
    mut builder: MicrosoftAzureBuilder,
    connection_string: &str,
    configured_account: &str,
) -> Result<(MicrosoftAzureBuilder, bool)> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for part in connection_string
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (key, value) = part.split_once('=').ok_or_else(|| {
            config_error("storage_connection_string: expected `Key=Value` pairs separated by `;`")
        })?;
        fields.insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let get = |k: &str| fields.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        // Azurite: well-known account and key, `AZURITE_BLOB_STORAGE_URL` or 127.0.0.1:10000.
        return Ok((builder.with_use_emulator(true), true));
    }
    let account = get("accountname").unwrap_or(configured_account);
    if account.is_empty() {
        return Err(config_error("storage_connection_string has no AccountName"));
    }
    builder = builder.with_account(account);
    if let Some(key) = get("accountkey") {
        builder = builder.with_access_key(key);
    } else if let Some(sas) = get("sharedaccesssignature") {
        builder = builder.with_config(AzureConfigKey::SasKey, sas);
    } else {
        return Err(config_error(
            "storage_connection_string has neither AccountKey nor SharedAccessSignature",
        ));
    }
    let endpoint = match get("blobendpoint") {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let protocol = get("defaultendpointsprotocol").unwrap_or("https");
            let suffix = get("endpointsuffix").unwrap_or("core.windows.net");
            format!("{protocol}://{account}.blob.{suffix}")
        }
    };
    let http = endpoint.starts_with("http://");
    Ok((builder.with_endpoint(endpoint), http))
}

// ---------------------------------------------------------------------------------------------
// A thin adapter around a store.

/// Delegates to `inner`, and
/// - adds `put_attributes` (S3 `put_user_metadata`) to every put and multipart upload, unless the
///   caller set the same attribute;
/// - with `fix_get_location`, reports the requested location in `get_opts` / `head` results
///   (object_store 0.13's `PrefixStore` returns the location with its prefix there).
#[derive(Debug)]
struct StoreAdapter {
    inner: Arc<dyn ObjectStore>,
    put_attributes: Attributes,
    fix_get_location: bool,
}

impl StoreAdapter {
    fn merged(&self, mut attributes: Attributes) -> Attributes {
        for (key, value) in &self.put_attributes {
            if attributes.get(key).is_none() {
                attributes.insert(key.clone(), value.clone());
            }
        }
        attributes
    }
}

impl fmt::Display for StoreAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

// `ObjectStore` is an `async_trait`; these are its methods written out, delegating to `inner`.
impl ObjectStore for StoreAdapter {
    fn put_opts<'life0, 'life1, 'async_trait>(
        &'life0 self,
        location: &'life1 Path,
        payload: PutPayload,
        mut opts: PutOptions,
    ) -> BoxFuture<'async_trait, object_store::Result<PutResult>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        opts.attributes = self.merged(std::mem::take(&mut opts.attributes));
        self.inner.put_opts(location, payload, opts)
    }

    fn put_multipart_opts<'life0, 'life1, 'async_trait>(
        &'life0 self,
        location: &'life1 Path,
        mut opts: PutMultipartOptions,
    ) -> BoxFuture<'async_trait, object_store::Result<Box<dyn MultipartUpload>>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        opts.attributes = self.merged(std::mem::take(&mut opts.attributes));
        self.inner.put_multipart_opts(location, opts)
    }

    fn get_opts<'life0, 'life1, 'async_trait>(
        &'life0 self,
        location: &'life1 Path,
        options: GetOptions,
    ) -> BoxFuture<'async_trait, object_store::Result<GetResult>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        let get = self.inner.get_opts(location, options);
        if !self.fix_get_location {
            return get;
        }
        Box::pin(async move {
            let mut result = get.await?;
            result.meta.location = location.clone();
            Ok(result)
        })
    }

    fn get_ranges<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        location: &'life1 Path,
        ranges: &'life2 [Range<u64>],
    ) -> BoxFuture<'async_trait, object_store::Result<Vec<Bytes>>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.get_ranges(location, ranges)
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list_with_offset(prefix, offset)
    }

    fn list_with_delimiter<'life0, 'life1, 'async_trait>(
        &'life0 self,
        prefix: Option<&'life1 Path>,
    ) -> BoxFuture<'async_trait, object_store::Result<ListResult>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.list_with_delimiter(prefix)
    }

    fn copy_opts<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        from: &'life1 Path,
        to: &'life2 Path,
        options: CopyOptions,
    ) -> BoxFuture<'async_trait, object_store::Result<()>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.copy_opts(from, to, options)
    }

    fn rename_opts<'life0, 'life1, 'life2, 'async_trait>(
        &'life0 self,
        from: &'life1 Path,
        to: &'life2 Path,
        options: RenameOptions,
    ) -> BoxFuture<'async_trait, object_store::Result<()>>
    where
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        Self: 'async_trait,
    {
        self.inner.rename_opts(from, to, options)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;

    fn s3(cfg: &ObjstoreConfig) -> &S3Config {
        match &cfg.provider {
            ProviderConfig::S3(c) => c,
            other => panic!("expected S3, got {other:?}"),
        }
    }

    fn err(yaml: &str) -> String {
        ObjstoreConfig::from_yaml(yaml).unwrap_err().to_string()
    }

    #[test]
    fn filesystem_minimal_and_case_insensitive_type() {
        for kind in ["FILESYSTEM", "filesystem", "FileSystem"] {
            let cfg =
                ObjstoreConfig::from_yaml(&format!("type: {kind}\nconfig:\n  directory: ./data\n"))
                    .unwrap();
            assert_eq!(cfg.kind(), ObjstoreType::Filesystem);
            assert_eq!(
                cfg.provider,
                ProviderConfig::Filesystem(FilesystemConfig {
                    directory: "./data".into()
                })
            );
            assert_eq!(cfg.prefix, None);
        }
    }

    #[test]
    fn prefix_is_trimmed_like_thanos() {
        let parse = |p: &str| {
            ObjstoreConfig::from_yaml(&format!(
                "type: FILESYSTEM\nprefix: {p:?}\nconfig:\n  directory: d\n"
            ))
            .map(|c| c.prefix)
        };
        assert_eq!(parse("tenant/a").unwrap().as_deref(), Some("tenant/a"));
        assert_eq!(parse("/tenant/a/").unwrap().as_deref(), Some("tenant/a"));
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("///").unwrap(), None);
        assert!(
            parse("a//b")
                .unwrap_err()
                .to_string()
                .contains("invalid prefix")
        );
        let null =
            ObjstoreConfig::from_yaml("type: FILESYSTEM\nprefix:\nconfig:\n  directory: d\n");
        assert_eq!(null.unwrap().prefix, None);
    }

    /// Thanos's own documented S3 template (every key), as `thanos ... --help` prints it.
    const S3_FULL: &str = r#"
type: S3
config:
  bucket: "thanos"
  endpoint: "s3.eu-west-1.amazonaws.com"
  region: ""
  disable_dualstack: false
  aws_sdk_auth: false
  access_key: "AK"
  insecure: false
  signature_version2: false
  secret_key: "SK"
  session_token: ""
  put_user_metadata: {}
  http_config:
    idle_conn_timeout: 1m30s
    response_header_timeout: 2m
    insecure_skip_verify: false
    tls_handshake_timeout: 10s
    expect_continue_timeout: 1s
    max_idle_conns: 100
    max_idle_conns_per_host: 100
    max_conns_per_host: 0
    tls_config:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
    disable_compression: false
  trace:
    enable: false
  list_objects_version: ""
  bucket_lookup_type: auto
  send_content_md5: true
  disable_multipart: false
  part_size: 67108864
  sse_config:
    type: ""
    kms_key_id: ""
    kms_encryption_context: {}
    encryption_key: ""
  sts_endpoint: ""
  max_retries: 0
prefix: ""
"#;

    #[test]
    fn s3_full_thanos_template() {
        let cfg = ObjstoreConfig::from_yaml(S3_FULL).unwrap();
        let c = s3(&cfg);
        assert_eq!(c.bucket, "thanos");
        assert_eq!(c.endpoint, "s3.eu-west-1.amazonaws.com");
        assert_eq!(c.access_key, "AK");
        assert_eq!(c.secret_key.expose(), "SK");
        assert_eq!(c.http_config.idle_conn_timeout.0, Duration::from_secs(90));
        assert_eq!(
            c.http_config.response_header_timeout.0,
            Duration::from_secs(120)
        );
        assert_eq!(c.part_size, 64 << 20);
        assert_eq!(cfg.prefix, None);
        assert_eq!(
            *c,
            S3Config {
                bucket: "thanos".into(),
                endpoint: "s3.eu-west-1.amazonaws.com".into(),
                access_key: "AK".into(),
                secret_key: Secret::new("SK"),
                ..S3Config::default()
            }
        );
        // Secrets are not printed.
        let debug = format!("{cfg:?}");
        assert!(!debug.contains("\"SK\""), "{debug}");
        cfg.build().unwrap();
    }

    #[test]
    fn s3_minimal_defaults_and_nulls() {
        let cfg = ObjstoreConfig::from_yaml(
            "type: s3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:9000\n  region:\n  insecure: true\n  bucket_lookup_type: path\n",
        )
        .unwrap();
        let c = s3(&cfg);
        assert_eq!(c.region, "");
        assert!(c.insecure);
        assert_eq!(c.bucket_lookup_type, BucketLookupType::Path);
        assert!(c.send_content_md5);
        assert_eq!(c.part_size, DEFAULT_S3_PART_SIZE);
        assert_eq!(c.http_config, HttpConfig::default());
        cfg.build().unwrap();
        // A null key takes Go's zero value, a missing key Thanos's default.
        let cfg = ObjstoreConfig::from_yaml(
            "type: S3\nconfig:\n  bucket: b\n  endpoint: e:1\n  send_content_md5:\n",
        )
        .unwrap();
        assert!(!s3(&cfg).send_content_md5);
    }

    #[test]
    fn s3_lookup_types() {
        for (text, want) in [
            ("auto", BucketLookupType::Auto),
            ("virtual-hosted", BucketLookupType::VirtualHosted),
            ("path", BucketLookupType::Path),
        ] {
            let cfg = ObjstoreConfig::from_yaml(&format!(
                "type: S3\nconfig:\n  bucket: b\n  endpoint: e:1\n  bucket_lookup_type: {text}\n"
            ))
            .unwrap();
            assert_eq!(s3(&cfg).bucket_lookup_type, want);
        }
        let e = err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  bucket_lookup_type: dns\n");
        assert!(e.contains("dns") && e.contains("bucket_lookup_type"), "{e}");
    }

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
        let ProviderConfig::Gcs(c) = &cfg.provider else {
            panic!("{cfg:?}")
        };
        assert_eq!(c.bucket, "thanos");
        assert!(
            c.service_account
                .expose()
                .contains("\"disable_oauth\": true")
        );
        assert_eq!(c.max_retries, 3);
        assert_eq!(cfg.prefix.as_deref(), Some("blocks"));
        cfg.build().unwrap();
        assert!(err("type: GCS\nconfig:\n  bucket: b\n  no_auth: true\n").contains("no_auth"));
    }

    const AZURE_FULL: &str = r#"
type: AZURE
config:
  az_tenant_id: ""
  client_id: ""
  client_secret: ""
  storage_account: "acct"
  storage_account_key: "c2VjcmV0LWtleQ=="
  storage_connection_string: ""
  storage_create_container: true
  container: "thanos"
  endpoint: ""
  user_assigned_id: ""
  max_retries: 0
  reader_config:
    max_retry_requests: 0
  pipeline_config:
    max_tries: 0
    try_timeout: 0s
    retry_delay: 0s
    max_retry_delay: 0s
  http_config:
    idle_conn_timeout: 1m30s
    response_header_timeout: 2m
    insecure_skip_verify: false
    tls_handshake_timeout: 10s
    expect_continue_timeout: 1s
    max_idle_conns: 100
    max_idle_conns_per_host: 100
    max_conns_per_host: 0
    tls_config:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
    disable_compression: false
  msi_resource: ""
prefix: ""
"#;

    #[test]
    fn azure_full_template_and_variants() {
        let cfg = ObjstoreConfig::from_yaml(AZURE_FULL).unwrap();
        let ProviderConfig::Azure(c) = &cfg.provider else {
            panic!("{cfg:?}")
        };
        assert_eq!(c.storage_account, "acct");
        assert_eq!(c.container, "thanos");
        assert!(c.storage_create_container);
        cfg.build().unwrap();

        let minimal = ObjstoreConfig::from_yaml(
            "type: azure\nconfig:\n  storage_account: a\n  storage_account_key: c2VjcmV0\n  container: c\n  max_retries: 2\n",
        )
        .unwrap();
        let ProviderConfig::Azure(c) = &minimal.provider else {
            panic!()
        };
        assert_eq!(c.endpoint, DEFAULT_AZURE_ENDPOINT);
        minimal.build().unwrap();

        // Azurite through a connection string, as Thanos users point at it.
        let azurite = ObjstoreConfig::from_yaml(
            "type: AZURE\nconfig:\n  storage_account: devstoreaccount1\n  container: c\n  storage_connection_string: \"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;\"\n",
        )
        .unwrap();
        azurite.build().unwrap();
        let dev = ObjstoreConfig::from_yaml(
            "type: AZURE\nconfig:\n  storage_account: x\n  container: c\n  storage_connection_string: UseDevelopmentStorage=true\n",
        )
        .unwrap();
        dev.build().unwrap();
        let sp = ObjstoreConfig::from_yaml(
            "type: AZURE\nconfig:\n  storage_account: a\n  container: c\n  az_tenant_id: t\n  client_id: i\n  client_secret: s\n",
        )
        .unwrap();
        sp.build().unwrap();

        let e = ObjstoreConfig::from_yaml("type: AZURE\nconfig:\n  container: c\n  client_id: x\n")
            .unwrap()
            .build()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("must be set together") && e.contains("storage_account"),
            "{e}"
        );
    }

    #[test]
    fn from_file_and_inline_agree() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bucket.yml");
        std::fs::write(&file, S3_FULL).unwrap();
        assert_eq!(
            ObjstoreConfig::from_file(&file).unwrap(),
            ObjstoreConfig::from_yaml(S3_FULL).unwrap()
        );
        let missing = ObjstoreConfig::from_file(dir.path().join("nope.yml")).unwrap_err();
        assert!(missing.to_string().contains("nope.yml"), "{missing}");
        std::fs::write(&file, "type: S3\nconfig:\n  bukket: x\n").unwrap();
        let e = ObjstoreConfig::from_file(&file).unwrap_err().to_string();
        assert!(e.contains("bucket.yml") && e.contains("bukket"), "{e}");
    }

    #[test]
    fn unknown_type_and_keys_are_errors_naming_them() {
        let e = err("type: FOO\nconfig: {}\n");
        assert!(
            e.contains("FOO") && e.contains("FILESYSTEM, S3, GCS, AZURE"),
            "{e}"
        );
        let e = err("type: swift\nconfig: {}\n");
        assert!(e.contains("SWIFT") && e.contains("does not support"), "{e}");
        let e = err("config:\n  directory: x\n");
        assert!(e.contains("type"), "{e}");
        assert!(err("").contains("empty"));

        let e = err("type: FILESYSTEM\nconfig:\n  directory: x\n  dir: y\n");
        assert!(e.contains("unknown field `dir`"), "{e}");
        let e = err("type: FILESYSTEM\nprefx: a\nconfig:\n  directory: x\n");
        assert!(e.contains("unknown field `prefx`"), "{e}");
        let e = err(
            "type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  http_config:\n    idle_timeout: 1s\n",
        );
        assert!(
            e.contains("idle_timeout") && e.contains("http_config"),
            "{e}"
        );
        let e = err("type: S3\nconfig:\n  bucket: b\n  sse_config:\n    kind: SSE-S3\n");
        assert!(e.contains("kind"), "{e}");
        let e = err("type: AZURE\nconfig:\n  storage_account: a\n  account_key: k\n");
        assert!(e.contains("account_key"), "{e}");
        let e = err("type: S3\nconfig:\n  bucket: b\n  http_config:\n    idle_conn_timeout: 90\n");
        assert!(e.contains("no unit"), "{e}");
    }

    fn build_err(yaml: &str) -> String {
        ObjstoreConfig::from_yaml(yaml)
            .unwrap()
            .build()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn s3_options_we_cannot_honour_are_refused() {
        let base = "type: S3\nconfig:\n  bucket: b\n  endpoint: e:9000\n  access_key: a\n  secret_key: s\n";
        assert!(
            build_err(&format!("{base}  signature_version2: true\n"))
                .contains("Signature Version 4")
        );
        assert!(
            build_err(&format!("{base}  list_objects_version: v1\n")).contains("ListObjectsV2")
        );
        assert!(build_err(&format!("{base}  list_objects_version: v3\n")).contains("v3"));
        assert!(build_err(&format!("{base}  aws_sdk_auth: true\n")).contains("mutually exclusive"));
        assert!(
            build_err(&format!(
                "{base}  http_config:\n    tls_config:\n      cert_file: c.pem\n"
            ))
            .contains("client certificates")
        );
        assert!(
            build_err(&format!(
                "{base}  put_user_metadata:\n    X-Amz-Acl: private\n"
            ))
            .contains("X-Amz-Acl")
        );
        assert!(
            build_err(&format!("{base}  sse_config:\n    type: SSE-KMS\n")).contains("kms_key_id")
        );
        assert!(
            build_err(&format!(
                "{base}  sse_config:\n    type: SSE-KMS\n    kms_key_id: k\n    kms_encryption_context:\n      a: b\n"
            ))
            .contains("kms_encryption_context")
        );
        assert!(
            build_err(&format!("{base}  sse_config:\n    type: AES\n"))
                .contains("SSE-S3, SSE-KMS, SSE-C")
        );
        assert!(
            build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: http://e:9000\n")
                .contains("without scheme")
        );
        assert!(build_err("type: S3\nconfig:\n  bucket: b\n").contains("endpoint"));
        assert!(build_err("type: S3\nconfig:\n  endpoint: e\n").contains("bucket"));
        assert!(
            build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n")
                .contains("secret_key")
        );
        assert!(
            build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  secret_key: a\n")
                .contains("access_key")
        );

        // Accepted ones build.
        for extra in [
            "  sse_config:\n    type: SSE-S3\n",
            "  sse_config:\n    type: SSE-KMS\n    kms_key_id: k\n",
            "  put_user_metadata:\n    X-Amz-Storage-Class: STANDARD_IA\n    team: obs\n",
            "  disable_dualstack: true\n  trace:\n    enable: true\n  max_retries: 1\n",
            "  bucket_lookup_type: virtual-hosted\n  sts_endpoint: https://sts.example.com\n",
        ] {
            ObjstoreConfig::from_yaml(&format!("{base}{extra}"))
                .unwrap()
                .build()
                .unwrap();
        }

        // SSE-C: a 32-byte key file.
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key");
        std::fs::write(&key, [7u8; 32]).unwrap();
        let yaml = format!(
            "{base}  sse_config:\n    type: SSE-C\n    encryption_key: {}\n",
            key.display()
        );
        ObjstoreConfig::from_yaml(&yaml).unwrap().build().unwrap();
        std::fs::write(&key, [7u8; 16]).unwrap();
        assert!(build_err(&yaml).contains("32 bytes"));
    }

    #[test]
    fn user_metadata_maps_to_attributes() {
        let mut m = BTreeMap::new();
        m.insert("X-Amz-Storage-Class".to_string(), "STANDARD_IA".to_string());
        m.insert("X-Amz-Meta-Team".to_string(), "obs".to_string());
        m.insert("owner".to_string(), "me".to_string());
        m.insert(
            "Content-Type".to_string(),
            "application/octet-stream".to_string(),
        );
        let a = put_attributes(&m).unwrap();
        assert_eq!(
            a.get(&Attribute::StorageClass).map(|v| v.as_ref()),
            Some("STANDARD_IA")
        );
        assert_eq!(
            a.get(&Attribute::Metadata("team".into()))
                .map(|v| v.as_ref()),
            Some("obs")
        );
        assert_eq!(
            a.get(&Attribute::Metadata("owner".into()))
                .map(|v| v.as_ref()),
            Some("me")
        );
        assert_eq!(
            a.get(&Attribute::ContentType).map(|v| v.as_ref()),
            Some("application/octet-stream")
        );
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn endpoint_helpers() {
        assert_eq!(
            region_from_endpoint("s3.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_endpoint("s3-us-west-2.amazonaws.com").as_deref(),
            Some("us-west-2")
        );
        assert_eq!(
            region_from_endpoint("s3.dualstack.ap-south-1.amazonaws.com:443").as_deref(),
            Some("ap-south-1")
        );
        assert_eq!(region_from_endpoint("s3.amazonaws.com"), None);
        assert_eq!(
            region_from_endpoint("s3.cn-north-1.amazonaws.com.cn").as_deref(),
            Some("cn-north-1")
        );
        assert_eq!(region_from_endpoint("minio:9000"), None);
        assert!(auto_virtual_hosted("s3.amazonaws.com", "bucket", false));
        assert!(!auto_virtual_hosted("s3.amazonaws.com", "my.bucket", false));
        assert!(!auto_virtual_hosted("127.0.0.1:9000", "bucket", true));
        assert!(!auto_virtual_hosted("minio.example.com", "bucket", false));
        assert_eq!(host_of("h:9000"), "h");
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_prom_duration(s);
        assert_eq!(d("0"), Ok(Duration::ZERO));
        assert_eq!(d("0s"), Ok(Duration::ZERO));
        assert_eq!(d("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(d("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(d("1d2h"), Ok(Duration::from_secs(26 * 3600)));
        assert_eq!(d("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(d("1w"), Ok(Duration::from_secs(7 * 86400)));
        assert!(d("").is_err());
        assert!(d("90").is_err());
        assert!(d("1s1m").is_err());
        assert!(d("1.5s").is_err());
        assert!(d("1x").is_err());
        assert!(d("1s1s").is_err());
    }

    #[test]
    fn base64() {
        assert_eq!(base64_encode(b""), "");
        assert_eq!(base64_encode(b"f"), "Zg==");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_encode(b"foo"), "Zm9v");
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(&[0xff, 0xfe, 0xfd, 0x00]), "//79AA==");
    }

    #[test]
    fn shared_credentials_file() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key=B\n\n[other]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=T\n";
        assert_eq!(
            parse_shared_credentials(text, "default"),
            Some(("A".into(), "B".into(), None))
        );
        assert_eq!(
            parse_shared_credentials(text, "other"),
            Some(("C".into(), "D".into(), Some("T".into())))
        );
        assert_eq!(parse_shared_credentials(text, "missing"), None);
    }

    async fn exercise(store: &dyn ObjectStore) {
        let meta = Path::from("01ABC/meta.json");
        let chunk = Path::from("01ABC/chunks/000001");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        store
            .put(&meta, Bytes::from_static(b"{\"ulid\":\"01ABC\"}").into())
            .await
            .unwrap();
        store
            .put(&chunk, Bytes::from(data.clone()).into())
            .await
            .unwrap();
        store
            .put(&Path::from("top"), Bytes::from_static(b"t").into())
            .await
            .unwrap();

        let got = store.get(&meta).await.unwrap().bytes().await.unwrap();
        assert_eq!(&got[..], b"{\"ulid\":\"01ABC\"}");
        let range = store.get_range(&chunk, 100..200).await.unwrap();
        assert_eq!(&range[..], &data[100..200]);
        let head = store.head(&chunk).await.unwrap();
        assert_eq!(head.size, 10_000);
        assert_eq!(head.location, chunk);
        assert_eq!(store.get(&meta).await.unwrap().meta.location, meta);

        let top = store.list_with_delimiter(None).await.unwrap();
        let prefixes: Vec<String> = top.common_prefixes.iter().map(|p| p.to_string()).collect();
        let objects: Vec<String> = top.objects.iter().map(|o| o.location.to_string()).collect();
        assert_eq!(prefixes, vec!["01ABC"]);
        assert_eq!(objects, vec!["top"]);
        let block = store
            .list_with_delimiter(Some(&Path::from("01ABC")))
            .await
            .unwrap();
        assert_eq!(block.common_prefixes, vec![Path::from("01ABC/chunks")]);
        assert_eq!(block.objects.len(), 1);
        assert_eq!(block.objects[0].location, meta);

        let mut all: Vec<String> = store
            .list(Some(&Path::from("01ABC")))
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await
            .unwrap();
        all.sort();
        assert_eq!(all, vec!["01ABC/chunks/000001", "01ABC/meta.json"]);

        store.delete(&meta).await.unwrap();
        assert!(matches!(
            store.get(&meta).await.unwrap_err(),
            object_store::Error::NotFound { .. }
        ));
    }

    #[tokio::test]
    async fn filesystem_round_trip_creates_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new").join("bucket");
        let yaml = format!(
            "type: FILESYSTEM\nconfig:\n  directory: {}\n",
            root.display()
        );
        let store = ObjstoreConfig::from_yaml(&yaml).unwrap().build().unwrap();
        assert!(root.is_dir());
        exercise(store.as_ref()).await;
        assert!(root.join("01ABC/chunks/000001").is_file());
    }

    #[tokio::test]
    async fn filesystem_round_trip_with_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let yaml = format!(
            "type: FILESYSTEM\nprefix: /tenant-a/blocks/\nconfig:\n  directory: {}\n",
            dir.path().display()
        );
        let store = object_store_from_yaml(&yaml).unwrap();
        exercise(store.as_ref()).await;
        assert!(
            dir.path()
                .join("tenant-a/blocks/01ABC/chunks/000001")
                .is_file()
        );
        assert!(dir.path().join("tenant-a/blocks/top").is_file());
        assert!(!dir.path().join("top").exists());
    }

    #[test]
    fn filesystem_needs_directory() {
        assert!(build_err("type: FILESYSTEM\nconfig: {}\n").contains("directory"));
        assert!(build_err("type: FILESYSTEM\n").contains("directory"));
    }
}
