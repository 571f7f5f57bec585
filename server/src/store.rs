//! Opening object stores from CLI flags and local paths.

use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use quiver_bucket::objstore::ObjstoreConfig;

use crate::cli::ObjstoreArgs;
use crate::error::CliError;

/// The bucket the objstore flags describe.
pub(crate) fn open_bucket(args: &ObjstoreArgs) -> Result<Arc<dyn ObjectStore>, CliError> {
    let yaml = args.yaml()?.ok_or_else(|| {
        CliError::Usage("one of --objstore.config-file or --objstore.config is required".into())
    })?;
    let cfg = ObjstoreConfig::from_yaml(&yaml)?;
    Ok(cfg.build()?)
}

/// The local directory of the bucket the objstore flags name, when it is a `FILESYSTEM` one
/// (made by opening the bucket first), canonical so that it does not depend on the working
/// directory; `None` for a remote bucket.
pub(crate) fn local_bucket_dir(args: &ObjstoreArgs) -> Result<Option<std::path::PathBuf>, CliError> {
    let Some(yaml) = args.yaml()? else { return Ok(None) };
    let Some(dir) = ObjstoreConfig::from_yaml(&yaml)?.local_directory() else { return Ok(None) };
    // A prefix directory appears with the first upload: until then, read through the store.
    Ok(std::fs::canonicalize(&dir).ok())
}

/// A local directory that is either one block (it holds `meta.json`) or a directory of blocks;
/// returns a store rooted at the directory and the block directories in it.
pub(crate) async fn open_local_blocks(dir: &FsPath) -> Result<(Arc<dyn ObjectStore>, Vec<Path>), CliError> {
    if !dir.is_dir() {
        return Err(CliError::Usage(format!("{} is not a directory", dir.display())));
    }
    if dir.join("meta.json").is_file() {
        let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(FsPath::new("."));
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| CliError::Usage(format!("{} has no usable name", dir.display())))?;
        let store = local_store(parent)?;
        return Ok((store, vec![Path::from(name)]));
    }
    let store = local_store(dir)?;
    let blocks = quiver_bucket::block::list_blocks(&store, None).await?;
    Ok((store, blocks.into_iter().map(|u| Path::from(u.to_string())).collect()))
}

fn local_store(dir: &FsPath) -> Result<Arc<dyn ObjectStore>, CliError> {
    let fs = LocalFileSystem::new_with_prefix(dir)
        .map_err(|e| CliError::Usage(format!("{}: {e}", dir.display())))?;
    Ok(Arc::new(fs))
}

/// The block directories the objstore flags name, or else those of the local `path`.
pub(crate) async fn open_blocks_from(
    objstore: &ObjstoreArgs,
    path: &FsPath,
) -> Result<(Arc<dyn ObjectStore>, Vec<Path>), CliError> {
    if objstore.yaml()?.is_some() {
        let store = open_bucket(objstore)?;
        let blocks = quiver_bucket::block::list_blocks(&store, None).await?;
        Ok((store, blocks.into_iter().map(|u| Path::from(u.to_string())).collect()))
    } else {
        open_local_blocks(path).await
    }
}
