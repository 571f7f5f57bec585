//! S3 credentials when the config has no static keys: the environment and the shared
//! credentials file, as minio-go reads them.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

use super::store_error;
use crate::error::Result;

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

pub(super) fn s3_credentials_from_environment(mut builder: AmazonS3Builder) -> Result<AmazonS3Builder> {
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
        return Ok(builder.with_access_key_id(key_id).with_secret_access_key(secret));
    }
    // Then the shared credentials file, as minio-go's FileAWSCredentials.
    if let Some((key_id, secret, token)) = shared_aws_credentials() {
        builder = builder.with_access_key_id(key_id).with_secret_access_key(secret);
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
        _ => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".aws").join("credentials"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    let profile =
        std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "default".to_string());
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shared_credentials_file() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key=B\n\n[other]\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=T\n";
        assert_eq!(parse_shared_credentials(text, "default"), Some(("A".into(), "B".into(), None)));
        assert_eq!(parse_shared_credentials(text, "other"), Some(("C".into(), "D".into(), Some("T".into()))));
        assert_eq!(parse_shared_credentials(text, "missing"), None);
    }
}
