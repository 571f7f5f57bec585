//! What S3 puts carry: server-side encryption (`sse_config`) and `put_user_metadata`.

use std::collections::BTreeMap;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{Attribute, AttributeValue, Attributes};

use super::s3::SseConfig;
use super::{config_error, store_error};
use crate::error::{Error, Result};

pub(super) fn apply_sse(builder: AmazonS3Builder, sse: &SseConfig) -> Result<AmazonS3Builder> {
    match sse.sse_type.as_str() {
        "" => Ok(builder),
        "SSE-S3" => {
            let key: AmazonS3ConfigKey =
                "aws_server_side_encryption".parse().map_err(store_error("sse_config".to_string()))?;
            Ok(builder.with_config(key, "AES256"))
        }
        "SSE-KMS" => {
            if sse.kms_key_id.is_empty() {
                return Err(config_error("kms_key_id must be set if sse_config.type is set to 'SSE-KMS'"));
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
                return Err(config_error("encryption_key must be set if sse_config.type is set to 'SSE-C'"));
            }
            let key = std::fs::read(&sse.encryption_key).map_err(|e| Error::io(&sse.encryption_key, e))?;
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
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
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
pub(super) fn put_attributes(metadata: &BTreeMap<String, String>) -> Result<Attributes> {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_metadata_maps_to_attributes() {
        let mut m = BTreeMap::new();
        m.insert("X-Amz-Storage-Class".to_string(), "STANDARD_IA".to_string());
        m.insert("X-Amz-Meta-Team".to_string(), "obs".to_string());
        m.insert("owner".to_string(), "me".to_string());
        m.insert("Content-Type".to_string(), "application/octet-stream".to_string());
        let a = put_attributes(&m).unwrap();
        assert_eq!(a.get(&Attribute::StorageClass).map(|v| v.as_ref()), Some("STANDARD_IA"));
        assert_eq!(a.get(&Attribute::Metadata("team".into())).map(|v| v.as_ref()), Some("obs"));
        assert_eq!(a.get(&Attribute::Metadata("owner".into())).map(|v| v.as_ref()), Some("me"));
        assert_eq!(a.get(&Attribute::ContentType).map(|v| v.as_ref()), Some("application/octet-stream"));
        assert_eq!(a.len(), 4);
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
}
