//! Thanos S3 objstore YAML -> `object_store`, against a real S3 emulator (moto).
//!
//! Each test starts its own `moto_server` on its own port, so they run in parallel.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{Attribute, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use quiver_bucket::objstore::{ObjstoreConfig, ObjstoreType};
use quiver_tests::s3::S3Emulator;

type TestResult = anyhow::Result<()>;

fn store_from_yaml(yaml: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let config = ObjstoreConfig::from_yaml(yaml)?;
    assert_eq!(config.kind(), ObjstoreType::S3);
    Ok(config.build()?)
}

/// Deterministic bytes (no two 5 MiB parts alike).
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn is_not_found<T: std::fmt::Debug>(result: object_store::Result<T>) -> bool {
    matches!(result, Err(object_store::Error::NotFound { .. }))
}

/// The S3 semantics Quiver relies on, through whatever store the YAML built.
async fn check_s3_semantics(store: &dyn ObjectStore) -> TestResult {
    let meta = Path::from("01ABC/meta.json");
    let chunk = Path::from("01ABC/chunks/000001");
    let index = Path::from("01ABC/index");
    let top = Path::from("top.txt");
    let chunk_data = pattern(1 << 20, 1);

    // put / get / head
    store.put(&meta, Bytes::from_static(b"{\"ulid\":\"01ABC\"}").into()).await?;
    store.put(&chunk, Bytes::from(chunk_data.clone()).into()).await?;
    store.put(&index, Bytes::from_static(b"index").into()).await?;
    store.put(&top, Bytes::from_static(b"top").into()).await?;
    assert_eq!(&store.get(&meta).await?.bytes().await?[..], b"{\"ulid\":\"01ABC\"}");
    let head = store.head(&chunk).await?;
    assert_eq!(head.size, 1 << 20);
    assert_eq!(head.location, chunk);
    assert!(head.e_tag.is_some(), "S3 returns an ETag");

    // ranged gets: bounded, open-ended, suffix
    assert_eq!(&store.get_range(&chunk, 100..200).await?[..], &chunk_data[100..200]);
    let tail = store
        .get_opts(&chunk, GetOptions { range: Some(GetRange::Offset(1_048_000)), ..Default::default() })
        .await?;
    assert_eq!(tail.range, 1_048_000..(1 << 20));
    assert_eq!(&tail.bytes().await?[..], &chunk_data[1_048_000..]);
    let suffix = store
        .get_opts(&chunk, GetOptions { range: Some(GetRange::Suffix(10)), ..Default::default() })
        .await?;
    assert_eq!(&suffix.bytes().await?[..], &chunk_data[(1 << 20) - 10..]);
    let ranges = store.get_ranges(&chunk, &[0..10, 500_000..500_100]).await?;
    assert_eq!(&ranges[0][..], &chunk_data[0..10]);
    assert_eq!(&ranges[1][..], &chunk_data[500_000..500_100]);

    // list with delimiter, at the top and inside a block
    let listing = store.list_with_delimiter(None).await?;
    assert_eq!(listing.common_prefixes, vec![Path::from("01ABC")]);
    let objects: Vec<&Path> = listing.objects.iter().map(|o| &o.location).collect();
    assert_eq!(objects, vec![&top]);
    let listing = store.list_with_delimiter(Some(&Path::from("01ABC"))).await?;
    assert_eq!(listing.common_prefixes, vec![Path::from("01ABC/chunks")]);
    let mut objects: Vec<String> = listing.objects.iter().map(|o| o.location.to_string()).collect();
    objects.sort();
    assert_eq!(objects, vec!["01ABC/index", "01ABC/meta.json"]);
    // recursive list
    let mut all: Vec<String> =
        store.list(Some(&Path::from("01ABC"))).map_ok(|m| m.location.to_string()).try_collect().await?;
    all.sort();
    assert_eq!(all, vec!["01ABC/chunks/000001", "01ABC/index", "01ABC/meta.json"]);

    // multipart upload of an 11 MiB object: two 5 MiB parts and a short last one
    let big = Path::from("01ABC/chunks/000002");
    let parts = [pattern(5 << 20, 2), pattern(5 << 20, 3), pattern(1 << 20, 4)];
    let mut upload = store.put_multipart(&big).await?;
    for part in &parts {
        upload.put_part(PutPayload::from(Bytes::from(part.clone()))).await?;
    }
    upload.complete().await?;
    let whole: Vec<u8> = parts.concat();
    assert_eq!(store.head(&big).await?.size, 11 << 20);
    let across = (5 << 20) - 16..(5 << 20) + 16;
    assert_eq!(
        &store.get_range(&big, across.clone()).await?[..],
        &whole[across.start as usize..across.end as usize]
    );
    assert!(store.get(&big).await?.bytes().await? == whole[..], "multipart object differs");

    // missing keys: NotFound, as Thanos's IsObjNotFoundErr
    let missing = Path::from("01ABC/nope");
    assert!(is_not_found(store.get(&missing).await));
    assert!(is_not_found(store.head(&missing).await));
    assert!(is_not_found(store.get_range(&missing, 0..10).await));

    // copy, delete; deleting a missing key succeeds on S3
    let copy = Path::from("01ABC/meta.json.bak");
    store.copy(&meta, &copy).await?;
    assert_eq!(&store.get(&copy).await?.bytes().await?[..], b"{\"ulid\":\"01ABC\"}");
    store.delete(&meta).await?;
    assert!(is_not_found(store.get(&meta).await));
    assert!(is_not_found(store.head(&meta).await));
    store.delete(&missing).await?;
    Ok(())
}

#[tokio::test]
async fn s3_from_thanos_yaml_without_prefix() -> TestResult {
    let emulator = S3Emulator::start()?;
    let store = store_from_yaml(&emulator.objstore_yaml(None))?;
    check_s3_semantics(store.as_ref()).await?;
    Ok(())
}

#[tokio::test]
async fn s3_from_thanos_yaml_with_prefix() -> TestResult {
    let emulator = S3Emulator::start()?;
    let raw = store_from_yaml(&emulator.objstore_yaml(None))?;
    // Something outside the prefix that the prefixed store must never see.
    raw.put(&Path::from("other/meta.json"), Bytes::from_static(b"x").into()).await?;

    let store = store_from_yaml(&emulator.objstore_yaml(Some("/tenant-a/blocks/")))?;
    check_s3_semantics(store.as_ref()).await?;

    // The objects really live under the prefix in the bucket.
    let mut keys: Vec<String> = raw.list(None).map_ok(|m| m.location.to_string()).try_collect().await?;
    keys.sort();
    assert_eq!(
        keys,
        vec![
            "other/meta.json",
            "tenant-a/blocks/01ABC/chunks/000001",
            "tenant-a/blocks/01ABC/chunks/000002",
            "tenant-a/blocks/01ABC/index",
            "tenant-a/blocks/01ABC/meta.json.bak",
            "tenant-a/blocks/top.txt",
        ]
    );
    Ok(())
}

#[tokio::test]
async fn s3_put_user_metadata_is_stored() -> TestResult {
    let emulator = S3Emulator::start()?;
    let yaml = emulator.objstore_yaml(None).replace(
        "  insecure: true\n",
        "  insecure: true\n  put_user_metadata:\n    X-Amz-Storage-Class: STANDARD_IA\n    \
         X-Amz-Meta-Team: observability\n",
    );
    let store = store_from_yaml(&yaml)?;
    let small = Path::from("small");
    store.put(&small, Bytes::from_static(b"abc").into()).await?;
    let got = store.get(&small).await?;
    assert_eq!(
        got.attributes.get(&Attribute::Metadata("team".into())).map(|v| v.as_ref()),
        Some("observability"),
        "{:?}",
        got.attributes
    );
    // Multipart uploads carry it too.
    let big = Path::from("big");
    let mut upload = store.put_multipart(&big).await?;
    upload.put_part(PutPayload::from(Bytes::from(pattern(5 << 20, 9)))).await?;
    upload.put_part(PutPayload::from(Bytes::from_static(b"end"))).await?;
    upload.complete().await?;
    let got = store.get(&big).await?;
    assert_eq!(
        got.attributes.get(&Attribute::Metadata("team".into())).map(|v| v.as_ref()),
        Some("observability")
    );
    // The storage class is what S3 reports for the object.
    let (status, body) = quiver_tests::s3::http_request(
        emulator.port(),
        "GET",
        &format!("/{}?list-type=2", emulator.bucket()),
    )?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.matches("<StorageClass>STANDARD_IA</StorageClass>").count(), 2, "{body}");
    Ok(())
}

#[tokio::test]
async fn emulators_in_parallel_are_isolated() -> TestResult {
    let a = S3Emulator::start()?;
    let b = S3Emulator::start_with_bucket("other-bucket")?;
    assert_ne!(a.port(), b.port());
    let store_a = store_from_yaml(&a.objstore_yaml(None))?;
    let store_b = store_from_yaml(&b.objstore_yaml(None))?;
    store_a.put(&Path::from("only-in-a"), Bytes::from_static(b"a").into()).await?;
    assert!(is_not_found(store_b.head(&Path::from("only-in-a")).await));
    // A bucket that does not exist is an error, not an empty listing.
    let absent = store_from_yaml(&a.objstore_yaml_for("no-such-bucket", None))?;
    assert!(absent.list_with_delimiter(None).await.is_err());
    let pid = a.pid();
    drop(a);
    // Killed by PID and reaped: the process is gone.
    assert!(!PathBuf::from(format!("/proc/{pid}")).exists(), "moto_server {pid} still running");
    Ok(())
}

/// The test bench's boto3 smoke test (`shared/testbench/s3_check.py`) against the emulator.
#[test]
fn testbench_s3_check_py_passes_against_emulator() -> TestResult {
    let Some(testbench) =
        quiver_tests::shared::testbench_or_skip("objstore_s3::testbench_s3_check_py_passes_against_emulator")
    else {
        return Ok(());
    };
    let script = testbench.join("s3_check.py");
    let emulator = S3Emulator::start()?;
    let python = std::env::var("QUIVER_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let output = Command::new(&python)
        .arg(&script)
        .arg(emulator.url())
        .args([quiver_tests::s3::ACCESS_KEY, quiver_tests::s3::SECRET_KEY])
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "s3_check.py failed ({}); boto3 is installed by scripts/install-test-deps.sh\n{stdout}\n{stderr}",
        output.status
    );
    let mut results = std::collections::BTreeMap::new();
    for line in stdout.lines() {
        if let Some((name, value)) = line.split_once(char::is_whitespace) {
            results.insert(name.to_string(), value.trim().to_string());
        }
    }
    for step in [
        "create_bucket",
        "put_small",
        "put_chunk",
        "get_small",
        "get_range",
        "head",
        "list_delim",
        "list_prefix",
        "multipart_10MiB",
        "delete",
    ] {
        let value = results.get(step).map(String::as_str).unwrap_or("<missing>");
        assert!(value.starts_with("ok"), "{step}: {value}\n{stdout}");
    }
    let get_missing = results.get("get_missing").map(String::as_str).unwrap_or("");
    assert!(get_missing.contains("NoSuchKey"), "get_missing: {get_missing}\n{stdout}");
    assert_eq!(results.get("range_len").map(String::as_str), Some("100"), "{stdout}");
    assert_eq!(results.get("multipart_size").map(String::as_str), Some("10485760"), "{stdout}");
    assert_eq!(results.get("list_delim_prefixes").map(String::as_str), Some("['01ABC/']"), "{stdout}");
    assert_eq!(
        results.get("list_prefix_keys").map(String::as_str),
        Some("['01ABC/chunks/000001', '01ABC/meta.json']"),
        "{stdout}"
    );
    Ok(())
}
