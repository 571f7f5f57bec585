//! Object storage calls run on the I/O runtime, whichever runtime asks. Queries run on a runtime
//! of their own that decoding keeps busy (see the engine's executor); a request started there
//! would have its connection polled by those busy threads. Through this wrapper every read is
//! done, whole, by a task on the I/O runtime, and only its bytes cross over.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, GetResultPayload, ListResult, MultipartUpload, ObjectMeta,
    ObjectStore, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use tokio::runtime::Handle;

/// `inner`, its calls made on the runtime of `io`.
#[derive(Debug)]
pub struct IoRuntimeStore {
    inner: Arc<dyn ObjectStore>,
    io: Handle,
}

impl IoRuntimeStore {
    pub fn new(inner: Arc<dyn ObjectStore>, io: Handle) -> Self {
        Self { inner, io }
    }

    /// Runs `f(inner)` on the I/O runtime and waits for it there.
    async fn on_io<T, F>(&self, f: impl FnOnce(Arc<dyn ObjectStore>) -> F) -> object_store::Result<T>
    where
        T: Send + 'static,
        F: Future<Output = object_store::Result<T>> + Send + 'static,
    {
        let task = self.io.spawn(f(Arc::clone(&self.inner)));
        task.await.map_err(|e| object_store::Error::Generic { store: "io runtime", source: Box::new(e) })?
    }
}

impl fmt::Display for IoRuntimeStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

#[async_trait]
impl ObjectStore for IoRuntimeStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        let location = location.clone();
        self.on_io(|s| async move { s.put_opts(&location, payload, opts).await }).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    /// The object (or range) read whole on the I/O runtime.
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        let location = location.clone();
        let (meta, range, attributes, bytes) = self
            .on_io(|s| async move {
                let r = s.get_opts(&location, options).await?;
                let (meta, range, attributes) = (r.meta.clone(), r.range.clone(), r.attributes.clone());
                let bytes = r.bytes().await?;
                Ok((meta, range, attributes, bytes))
            })
            .await?;
        let payload = GetResultPayload::Stream(futures::stream::once(async move { Ok(bytes) }).boxed());
        Ok(GetResult { payload, meta, range, attributes })
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[std::ops::Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        let (location, ranges) = (location.clone(), ranges.to_vec());
        self.on_io(|s| async move { s.get_ranges(&location, &ranges).await }).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    /// Listed on the I/O runtime, then handed over.
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let (inner, io, prefix) = (Arc::clone(&self.inner), self.io.clone(), prefix.cloned());
        let listed = async move {
            let task = io.spawn(async move { inner.list(prefix.as_ref()).try_collect::<Vec<_>>().await });
            task.await
                .map_err(|e| object_store::Error::Generic { store: "io runtime", source: Box::new(e) })?
        };
        futures::stream::once(listed)
            .map_ok(|metas| futures::stream::iter(metas.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let prefix = prefix.cloned();
        self.on_io(|s| async move { s.list_with_delimiter(prefix.as_ref()).await }).await
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        let (from, to) = (from.clone(), to.clone());
        self.on_io(|s| async move { s.copy_opts(&from, &to, options).await }).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};

    use super::*;

    /// Reads and lists answer as the inner store's, from a runtime other than the I/O one.
    #[test]
    fn calls_answer_from_any_runtime() {
        let io =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
        let other = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let store = IoRuntimeStore::new(Arc::new(InMemory::new()), io.handle().clone());
        other.block_on(async {
            let p = Path::from("a/b");
            store.put(&p, PutPayload::from_static(b"hello world")).await.expect("put");
            let got = store.get_range(&p, 6..11).await.expect("range");
            assert_eq!(&got[..], b"world");
            let all = store.get(&p).await.expect("get").bytes().await.expect("bytes");
            assert_eq!(&all[..], b"hello world");
            let listed: Vec<ObjectMeta> = store.list(None).try_collect().await.expect("list");
            assert_eq!(listed.len(), 1);
            assert!(store.get(&Path::from("nope")).await.is_err());
        });
    }
}
