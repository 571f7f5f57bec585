//! `type: FILESYSTEM`: a local directory.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use serde::Deserialize;

use super::{config_error, nullable, store_error};
use crate::error::{Error, Result};

/// `type: FILESYSTEM` config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilesystemConfig {
    /// The directory that holds the bucket; created when missing.
    #[serde(deserialize_with = "nullable")]
    pub directory: String,
}

pub(super) fn build_filesystem(c: &FilesystemConfig) -> Result<Arc<dyn ObjectStore>> {
    if c.directory.is_empty() {
        return Err(config_error("missing directory for filesystem bucket (config.directory)"));
    }
    std::fs::create_dir_all(&c.directory).map_err(|e| Error::io(&c.directory, e))?;
    let store = LocalFileSystem::new_with_prefix(&c.directory)
        .map_err(store_error(format!("FILESYSTEM directory {}", c.directory)))?
        // Thanos's filesystem bucket removes directories that a delete leaves empty.
        .with_automatic_cleanup(true);
    Ok(Arc::new(store))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;
    use futures::TryStreamExt;
    use object_store::ObjectStoreExt;
    use object_store::path::Path;

    use super::*;
    use crate::objstore::tests::build_err;
    use crate::objstore::{ObjstoreConfig, ObjstoreType, ProviderConfig, object_store_from_yaml};

    #[test]
    fn filesystem_minimal_and_case_insensitive_type() {
        for kind in ["FILESYSTEM", "filesystem", "FileSystem"] {
            let cfg =
                ObjstoreConfig::from_yaml(&format!("type: {kind}\nconfig:\n  directory: ./data\n")).unwrap();
            assert_eq!(cfg.kind(), ObjstoreType::Filesystem);
            assert_eq!(
                cfg.provider,
                ProviderConfig::Filesystem(FilesystemConfig { directory: "./data".into() })
            );
            assert_eq!(cfg.prefix, None);
        }
    }

    #[test]
    fn a_filesystem_bucket_says_where_its_objects_lie() {
        let cfg = ObjstoreConfig::from_yaml("type: FILESYSTEM\nconfig:\n  directory: /b\n").unwrap();
        assert_eq!(cfg.local_directory(), Some(std::path::PathBuf::from("/b")));
        let cfg =
            ObjstoreConfig::from_yaml("type: FILESYSTEM\nconfig:\n  directory: /b\nprefix: /t/x/\n").unwrap();
        assert_eq!(cfg.local_directory(), Some(std::path::PathBuf::from("/b/t/x")));
        let cfg = ObjstoreConfig::from_yaml("type: S3\nconfig:\n  bucket: b\n  endpoint: 127.0.0.1:9000\n")
            .unwrap();
        assert_eq!(cfg.local_directory(), None);
    }

    async fn exercise(store: &dyn ObjectStore) {
        let meta = Path::from("01ABC/meta.json");
        let chunk = Path::from("01ABC/chunks/000001");
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        store.put(&meta, Bytes::from_static(b"{\"ulid\":\"01ABC\"}").into()).await.unwrap();
        store.put(&chunk, Bytes::from(data.clone()).into()).await.unwrap();
        store.put(&Path::from("top"), Bytes::from_static(b"t").into()).await.unwrap();

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
        let block = store.list_with_delimiter(Some(&Path::from("01ABC"))).await.unwrap();
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
        assert!(matches!(store.get(&meta).await.unwrap_err(), object_store::Error::NotFound { .. }));
    }

    #[tokio::test]
    async fn filesystem_round_trip_creates_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("new").join("bucket");
        let yaml = format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", root.display());
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
        assert!(dir.path().join("tenant-a/blocks/01ABC/chunks/000001").is_file());
        assert!(dir.path().join("tenant-a/blocks/top").is_file());
        assert!(!dir.path().join("top").exists());
    }

    #[test]
    fn filesystem_needs_directory() {
        assert!(build_err("type: FILESYSTEM\nconfig: {}\n").contains("directory"));
        assert!(build_err("type: FILESYSTEM\n").contains("directory"));
    }
}
