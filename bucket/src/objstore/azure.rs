//! `type: AZURE`: Azure Blob Storage.

use std::collections::BTreeMap;
use std::sync::Arc;

use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::{BackoffConfig, ObjectStore, RetryConfig};
use serde::Deserialize;

use super::http::{HttpConfig, client_options};
use super::values::{PromDuration, Secret};
use super::{config_error, nullable, store_error};
use crate::error::Result;

/// Azure's default blob endpoint suffix, as in Thanos.
pub const DEFAULT_AZURE_ENDPOINT: &str = "blob.core.windows.net";

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

fn validate_azure(c: &AzureConfig) -> Result<()> {
    let mut problems = Vec::new();
    if !c.user_assigned_id.is_empty() && !c.storage_account_key.is_empty() {
        problems.push("user_assigned_id cannot be set when using storage_account_key authentication");
    }
    if !c.user_assigned_id.is_empty() && !c.storage_connection_string.is_empty() {
        problems.push("user_assigned_id cannot be set when using storage_connection_string authentication");
    }
    if !c.user_assigned_id.is_empty() && !c.client_id.is_empty() {
        problems.push("user_assigned_id cannot be set when using client_id authentication");
    }
    let sp = [!c.az_tenant_id.is_empty(), !c.client_secret.is_empty(), !c.client_id.is_empty()];
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
        problems.push("The value of max_tries must be greater than or equal to 0 in the config file");
    }
    if c.reader_config.max_retry_requests < 0 {
        problems
            .push("The value of max_retry_requests must be greater than or equal to 0 in the config file");
    }
    if problems.is_empty() { Ok(()) } else { Err(config_error(problems.join(", "))) }
}

/// Credential-related environment variables of Azure's default credential chain.
const AZURE_CREDENTIAL_ENV: &[&str] = &[
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
];

pub(super) fn build_azure(c: &AzureConfig) -> Result<Arc<dyn ObjectStore>> {
    validate_azure(c)?;
    let max_tries =
        if c.pipeline_config.max_tries == 0 { c.max_retries } else { c.pipeline_config.max_tries };

    let mut builder = MicrosoftAzureBuilder::new().with_container_name(&c.container);
    let mut allow_http = false;
    if !c.storage_connection_string.is_empty() {
        let (b, http) =
            apply_connection_string(builder, c.storage_connection_string.expose(), &c.storage_account)?;
        builder = b;
        allow_http = http;
    } else {
        let suffix = if c.endpoint.trim().is_empty() { DEFAULT_AZURE_ENDPOINT } else { c.endpoint.trim() };
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
    let store = builder.build().map_err(store_error(format!("AZURE container {}", c.container)))?;
    Ok(Arc::new(store))
}

/// Applies an Azure storage connection string. Returns whether the endpoint is plain http.
fn apply_connection_string(
    mut builder: MicrosoftAzureBuilder,
    connection_string: &str,
    configured_account: &str,
) -> Result<(MicrosoftAzureBuilder, bool)> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for part in connection_string.split(';').map(str::trim).filter(|p| !p.is_empty()) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::objstore::{ObjstoreConfig, ProviderConfig};

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
        let ProviderConfig::Azure(c) = &cfg.provider else { panic!("{cfg:?}") };
        assert_eq!(c.storage_account, "acct");
        assert_eq!(c.container, "thanos");
        assert!(c.storage_create_container);
        cfg.build().unwrap();

        let minimal = ObjstoreConfig::from_yaml(
            "type: azure\nconfig:\n  storage_account: a\n  storage_account_key: c2VjcmV0\n  container: c\n  max_retries: 2\n",
        )
        .unwrap();
        let ProviderConfig::Azure(c) = &minimal.provider else { panic!() };
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
        assert!(e.contains("must be set together") && e.contains("storage_account"), "{e}");
    }
}
