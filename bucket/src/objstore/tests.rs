//! Tests of the top-level parsing (`type`, `prefix`, files, strictness), and the helpers and
//! fixtures that the providers' tests share.

use super::*;

pub(super) fn err(yaml: &str) -> String {
    ObjstoreConfig::from_yaml(yaml).unwrap_err().to_string()
}

pub(super) fn build_err(yaml: &str) -> String {
    ObjstoreConfig::from_yaml(yaml).unwrap().build().unwrap_err().to_string()
}

/// Thanos's own documented S3 template (every key), as `thanos ... --help` prints it.
pub(super) const S3_FULL: &str = r#"
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
fn prefix_is_trimmed_like_thanos() {
    let parse = |p: &str| {
        ObjstoreConfig::from_yaml(&format!("type: FILESYSTEM\nprefix: {p:?}\nconfig:\n  directory: d\n"))
            .map(|c| c.prefix)
    };
    assert_eq!(parse("tenant/a").unwrap().as_deref(), Some("tenant/a"));
    assert_eq!(parse("/tenant/a/").unwrap().as_deref(), Some("tenant/a"));
    assert_eq!(parse("").unwrap(), None);
    assert_eq!(parse("///").unwrap(), None);
    assert!(parse("a//b").unwrap_err().to_string().contains("invalid prefix"));
    let null = ObjstoreConfig::from_yaml("type: FILESYSTEM\nprefix:\nconfig:\n  directory: d\n");
    assert_eq!(null.unwrap().prefix, None);
}

#[test]
fn from_file_and_inline_agree() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bucket.yml");
    std::fs::write(&file, S3_FULL).unwrap();
    assert_eq!(ObjstoreConfig::from_file(&file).unwrap(), ObjstoreConfig::from_yaml(S3_FULL).unwrap());
    let missing = ObjstoreConfig::from_file(dir.path().join("nope.yml")).unwrap_err();
    assert!(missing.to_string().contains("nope.yml"), "{missing}");
    std::fs::write(&file, "type: S3\nconfig:\n  bukket: x\n").unwrap();
    let e = ObjstoreConfig::from_file(&file).unwrap_err().to_string();
    assert!(e.contains("bucket.yml") && e.contains("bukket"), "{e}");
}

#[test]
fn unknown_type_and_keys_are_errors_naming_them() {
    let e = err("type: FOO\nconfig: {}\n");
    assert!(e.contains("FOO") && e.contains("FILESYSTEM, S3, GCS, AZURE"), "{e}");
    let e = err("type: swift\nconfig: {}\n");
    assert!(e.contains("SWIFT") && e.contains("does not support"), "{e}");
    let e = err("config:\n  directory: x\n");
    assert!(e.contains("type"), "{e}");
    assert!(err("").contains("empty"));

    let e = err("type: FILESYSTEM\nconfig:\n  directory: x\n  dir: y\n");
    assert!(e.contains("unknown field `dir`"), "{e}");
    let e = err("type: FILESYSTEM\nprefx: a\nconfig:\n  directory: x\n");
    assert!(e.contains("unknown field `prefx`"), "{e}");
    let e = err("type: S3\nconfig:\n  bucket: b\n  endpoint: e\n  http_config:\n    idle_timeout: 1s\n");
    assert!(e.contains("idle_timeout") && e.contains("http_config"), "{e}");
    let e = err("type: S3\nconfig:\n  bucket: b\n  sse_config:\n    kind: SSE-S3\n");
    assert!(e.contains("kind"), "{e}");
    let e = err("type: AZURE\nconfig:\n  storage_account: a\n  account_key: k\n");
    assert!(e.contains("account_key"), "{e}");
    let e = err("type: S3\nconfig:\n  bucket: b\n  http_config:\n    idle_conn_timeout: 90\n");
    assert!(e.contains("no unit"), "{e}");
}
