//! Tests of the S3 config: Thanos's template, defaults and nulls, lookup types, the options that
//! are refused, and the endpoint helpers.

use std::time::Duration;

use super::*;
use crate::objstore::tests::{S3_FULL, build_err, err};
use crate::objstore::{ObjstoreConfig, ProviderConfig};

fn s3(cfg: &ObjstoreConfig) -> &S3Config {
    match &cfg.provider {
        ProviderConfig::S3(c) => c,
        other => panic!("expected S3, got {other:?}"),
    }
}

#[test]
fn s3_full_thanos_template() {
    let cfg = ObjstoreConfig::from_yaml(S3_FULL).unwrap();
    let c = s3(&cfg);
    assert_eq!(c.bucket, "thanos");
    assert_eq!(c.endpoint, "s3.eu-west-1.amazonaws.com");
    assert_eq!(c.access_key, "AK");
    assert_eq!(c.secret_key.expose(), "SK");
    assert_eq!(c.http_config.idle_conn_timeout.0, Duration::from_secs(90));
    assert_eq!(c.http_config.response_header_timeout.0, Duration::from_secs(120));
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
    let cfg =
        ObjstoreConfig::from_yaml("type: S3\nconfig:\n  bucket: b\n  endpoint: e:1\n  send_content_md5:\n")
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
fn s3_options_we_cannot_honour_are_refused() {
    let base = "type: S3\nconfig:\n  bucket: b\n  endpoint: e:9000\n  access_key: a\n  secret_key: s\n";
    assert!(build_err(&format!("{base}  signature_version2: true\n")).contains("Signature Version 4"));
    assert!(build_err(&format!("{base}  list_objects_version: v1\n")).contains("ListObjectsV2"));
    assert!(build_err(&format!("{base}  list_objects_version: v3\n")).contains("v3"));
    assert!(build_err(&format!("{base}  aws_sdk_auth: true\n")).contains("mutually exclusive"));
    assert!(
        build_err(&format!("{base}  http_config:\n    tls_config:\n      cert_file: c.pem\n"))
            .contains("client certificates")
    );
    assert!(
        build_err(&format!("{base}  put_user_metadata:\n    X-Amz-Acl: private\n")).contains("X-Amz-Acl")
    );
    assert!(build_err(&format!("{base}  sse_config:\n    type: SSE-KMS\n")).contains("kms_key_id"));
    assert!(
        build_err(&format!(
            "{base}  sse_config:\n    type: SSE-KMS\n    kms_key_id: k\n    kms_encryption_context:\n      a: b\n"
        ))
        .contains("kms_encryption_context")
    );
    assert!(build_err(&format!("{base}  sse_config:\n    type: AES\n")).contains("SSE-S3, SSE-KMS, SSE-C"));
    assert!(
        build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: http://e:9000\n").contains("without scheme")
    );
    assert!(build_err("type: S3\nconfig:\n  bucket: b\n").contains("endpoint"));
    assert!(build_err("type: S3\nconfig:\n  endpoint: e\n").contains("bucket"));
    assert!(
        build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  access_key: a\n").contains("secret_key")
    );
    assert!(
        build_err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  secret_key: a\n").contains("access_key")
    );

    // Accepted ones build.
    for extra in [
        "  sse_config:\n    type: SSE-S3\n",
        "  sse_config:\n    type: SSE-KMS\n    kms_key_id: k\n",
        "  put_user_metadata:\n    X-Amz-Storage-Class: STANDARD_IA\n    team: obs\n",
        "  disable_dualstack: true\n  trace:\n    enable: true\n  max_retries: 1\n",
        "  bucket_lookup_type: virtual-hosted\n  sts_endpoint: https://sts.example.com\n",
    ] {
        ObjstoreConfig::from_yaml(&format!("{base}{extra}")).unwrap().build().unwrap();
    }

    // SSE-C: a 32-byte key file.
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    let yaml = format!("{base}  sse_config:\n    type: SSE-C\n    encryption_key: {}\n", key.display());
    ObjstoreConfig::from_yaml(&yaml).unwrap().build().unwrap();
    std::fs::write(&key, [7u8; 16]).unwrap();
    assert!(build_err(&yaml).contains("32 bytes"));
}

#[test]
fn endpoint_helpers() {
    assert_eq!(region_from_endpoint("s3.eu-west-1.amazonaws.com").as_deref(), Some("eu-west-1"));
    assert_eq!(region_from_endpoint("s3-us-west-2.amazonaws.com").as_deref(), Some("us-west-2"));
    assert_eq!(
        region_from_endpoint("s3.dualstack.ap-south-1.amazonaws.com:443").as_deref(),
        Some("ap-south-1")
    );
    assert_eq!(region_from_endpoint("s3.amazonaws.com"), None);
    assert_eq!(region_from_endpoint("s3.cn-north-1.amazonaws.com.cn").as_deref(), Some("cn-north-1"));
    assert_eq!(region_from_endpoint("minio:9000"), None);
    assert!(auto_virtual_hosted("s3.amazonaws.com", "bucket", false));
    assert!(!auto_virtual_hosted("s3.amazonaws.com", "my.bucket", false));
    assert!(!auto_virtual_hosted("127.0.0.1:9000", "bucket", true));
    assert!(!auto_virtual_hosted("minio.example.com", "bucket", false));
    assert_eq!(host_of("h:9000"), "h");
}
