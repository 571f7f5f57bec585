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

mod adapter;
mod azure;
mod filesystem;
mod gcs;
mod http;
mod io_runtime;
mod s3;
mod s3_credentials;
mod s3_put;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
mod values;

use std::fmt;
use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{Attributes, ObjectStore};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};

pub use azure::{AzureConfig, AzurePipelineConfig, AzureReaderConfig, DEFAULT_AZURE_ENDPOINT};
pub use filesystem::FilesystemConfig;
pub use gcs::GcsConfig;
pub use http::{HttpConfig, TlsConfig};
pub use io_runtime::IoRuntimeStore;
pub use s3::{BucketLookupType, DEFAULT_S3_PART_SIZE, S3Config, SseConfig, TraceConfig};
pub use values::{PromDuration, Secret};

use adapter::StoreAdapter;
use azure::build_azure;
use filesystem::build_filesystem;
use gcs::build_gcs;
use s3::build_s3;

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
            "SWIFT" | "COS" | "ALIYUNOSS" | "BOS" | "OCI" | "OBS" | "MEMORY" => Err(config_error(format!(
                "objstore type {upper} is a Thanos type that Quiver does not support; \
                     supported types: FILESYSTEM, S3, GCS, AZURE"
            ))),
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
            return Err(config_error("objstore config is empty; expected at least `type:` and `config:`"));
        }
        let head: Head =
            serde_yaml::from_str(yaml).map_err(|e| config_error(format!("invalid objstore config: {e}")))?;
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
            Error::ObjstoreConfig(msg) => Error::ObjstoreConfig(format!("{}: {msg}", path.display())),
            other => other,
        })
    }

    /// The objstore type.
    pub fn kind(&self) -> ObjstoreType {
        self.provider.kind()
    }

    /// Where the bucket's objects lie on local disk: a `FILESYSTEM` bucket's directory (under
    /// its prefix); `None` for remote buckets.
    pub fn local_directory(&self) -> Option<std::path::PathBuf> {
        match &self.provider {
            ProviderConfig::Filesystem(c) => {
                let dir = std::path::PathBuf::from(&c.directory);
                // The prefix has no leading or trailing `/` (see `normalize_prefix`).
                Some(match &self.prefix {
                    Some(p) => dir.join(p),
                    None => dir,
                })
            }
            _ => None,
        }
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
