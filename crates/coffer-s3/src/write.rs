//! The upload pipeline: plaintext stream → MD5/checksum → 64 KiB packages sealed → inline
//! (small) or a durable blob file (large). Memory stays bounded by one write buffer.

use std::fs::File;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use coffer_crypto::{PACKAGE_SIZE, PackageSealer};
use coffer_store::{BlobId, BlobStore, Location, PendingBlob, Segment};
use futures::{Stream, StreamExt as _};
use tokio::task::JoinHandle;

use crate::checksum::{Hashers, Integrity};
use crate::{ChecksumValue, S3Core, S3Error};

/// A request body (or a copy source) as a stream of plaintext chunks.
pub type BodyStream =
    Pin<Box<dyn Stream<Item = Result<Bytes, Box<dyn std::error::Error + Send + Sync>>> + Send>>;

/// Sealed objects up to this size live in the metadata row: no file, no directory fsync.
pub(crate) const INLINE_MAX: usize = 128 * 1024;
/// Sealed bytes gathered before one write to the blob file.
const WRITE_CHUNK: usize = 1024 * 1024;
/// Largest single PUT or part, as S3.
pub(crate) const MAX_SINGLE_UPLOAD: u64 = 5 * 1024 * 1024 * 1024;

/// A written, durable segment and what was computed over its plaintext.
pub(crate) struct Written {
    pub(crate) segment: Segment,
    /// The segment's blob file, if it has one: hand it to the metadata write that references
    /// it, which keeps it if it commits (dropped otherwise, it removes the file).
    pub(crate) pending: Vec<PendingBlob>,
    pub(crate) md5: [u8; 16],
    pub(crate) checksum: Option<ChecksumValue>,
}

impl S3Core {
    /// Reads `body` to its end, sealing as it goes, and makes the result durable. Nothing is
    /// visible until the caller commits metadata that points at the returned segment.
    pub(crate) async fn write_segment(
        &self,
        mut body: BodyStream,
        context: Vec<u8>,
        integrity: Integrity,
        target: (&str, &str, &crate::ObjectEncryption),
    ) -> Result<Written, S3Error> {
        let (bucket, key, enc) = target;
        // A declared length over the limit is refused before a byte is read.
        if integrity.length.is_some_and(|n| n > MAX_SINGLE_UPLOAD) {
            return Err(S3Error::EntityTooLarge);
        }
        let (sealing, sealer) = self.new_sealing(enc, bucket, key, context)?;
        let mut hashers = Hashers::new(integrity.algorithm);
        let mut out = SealedOutput {
            sealer,
            sealed: Vec::new(),
            file: None,
            blobs: &self.blobs,
        };
        let mut pending: Vec<u8> = Vec::with_capacity(PACKAGE_SIZE);
        let mut total: u64 = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(S3Error::Body)?;
            total += chunk.len() as u64;
            if total > MAX_SINGLE_UPLOAD {
                return Err(S3Error::EntityTooLarge);
            }
            if integrity.length.is_some_and(|n| total > n) {
                return Err(S3Error::IncompleteBody);
            }
            hashers.update(&chunk);
            let mut rest = &chunk[..];
            while !rest.is_empty() {
                // A full package is sealed only once more data shows it is not the last one.
                if pending.len() == PACKAGE_SIZE {
                    out.seal(&mut pending, false, self).await?;
                }
                let take = rest.len().min(PACKAGE_SIZE - pending.len());
                pending.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
            }
        }
        if integrity.length.is_some_and(|n| total != n) {
            return Err(S3Error::IncompleteBody);
        }
        let (md5, checksum) = hashers.verify(integrity)?;
        out.seal(&mut pending, true, self).await?;
        let (location, blob) = out.finish().await?;
        Ok(Written {
            segment: Segment {
                plain_len: total,
                location,
                sealing: sealing.encode(),
            },
            pending: blob.into_iter().collect(),
            md5,
            checksum,
        })
    }
}

struct SealedOutput<'a> {
    sealer: PackageSealer,
    sealed: Vec<u8>,
    file: Option<TempBlob>,
    blobs: &'a BlobStore,
}

impl SealedOutput<'_> {
    async fn seal(
        &mut self,
        pending: &mut Vec<u8>,
        is_final: bool,
        core: &S3Core,
    ) -> Result<(), S3Error> {
        self.sealer.seal(pending, is_final)?;
        self.sealed.extend_from_slice(pending);
        pending.clear();
        if self.file.is_none() && self.sealed.len() > INLINE_MAX {
            self.file = Some(TempBlob::create(self.blobs.clone(), core.new_blob_id()?).await?);
        }
        if let Some(file) = &mut self.file
            && self.sealed.len() >= WRITE_CHUNK
        {
            file.write(std::mem::take(&mut self.sealed)).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<(Location, Option<PendingBlob>), S3Error> {
        match self.file.take() {
            None => Ok((Location::Inline(std::mem::take(&mut self.sealed)), None)),
            Some(mut file) => {
                if !self.sealed.is_empty() {
                    file.write(std::mem::take(&mut self.sealed)).await?;
                }
                let pending = file.commit().await?;
                let id = pending
                    .id()
                    .cloned()
                    .ok_or(S3Error::Internal("blob kept".into()))?;
                Ok((Location::Blob(id), Some(pending)))
            }
        }
    }
}

/// A blob file being written. Writes are pipelined (one in flight while the next chunk is
/// sealed) and writeback starts early (a background `fdatasync` every [`SYNC_EVERY`] bytes),
/// so the final fsync before commit flushes only the tail.
///
/// Dropped before [`TempBlob::commit`] (an error, or the client hanging up), it removes its
/// temporary file; a crash leaves it to the start-up sweep.
struct TempBlob {
    blobs: BlobStore,
    id: BlobId,
    file: Option<Arc<File>>,
    in_flight_write: Option<JoinHandle<std::io::Result<()>>>,
    in_flight_sync: Option<JoinHandle<std::io::Result<()>>>,
    unsynced: usize,
}

/// Bytes written between background writeback kicks.
const SYNC_EVERY: usize = 16 * 1024 * 1024;

impl TempBlob {
    async fn create(blobs: BlobStore, id: BlobId) -> Result<Self, S3Error> {
        let (b, i) = (blobs.clone(), id.clone());
        let file = blocking(move || b.create(&i)).await??;
        Ok(Self {
            blobs,
            id,
            file: Some(Arc::new(file)),
            in_flight_write: None,
            in_flight_sync: None,
            unsynced: 0,
        })
    }

    fn file(&self) -> Result<Arc<File>, S3Error> {
        self.file
            .clone()
            .ok_or(S3Error::Internal("blob already committed".into()))
    }

    async fn write(&mut self, buf: Vec<u8>) -> Result<(), S3Error> {
        join(self.in_flight_write.take()).await?;
        let file = self.file()?;
        self.unsynced += buf.len();
        self.in_flight_write = Some(tokio::task::spawn_blocking(move || {
            (&*file).write_all(&buf)
        }));
        if self.unsynced >= SYNC_EVERY
            && self.in_flight_sync.as_ref().is_none_or(|h| h.is_finished())
        {
            join(self.in_flight_sync.take()).await?;
            let file = self.file()?;
            self.in_flight_sync = Some(tokio::task::spawn_blocking(move || file.sync_data()));
            self.unsynced = 0;
        }
        Ok(())
    }

    /// Makes the blob durable. Abandoned while this runs (the request dropped), the blocking
    /// task still finishes and drops its [`PendingBlob`], which removes the file.
    async fn commit(mut self) -> Result<PendingBlob, S3Error> {
        join(self.in_flight_write.take()).await?;
        join(self.in_flight_sync.take()).await?;
        let file = self
            .file
            .take()
            .ok_or(S3Error::Internal("blob already committed".into()))?;
        let file =
            Arc::try_unwrap(file).map_err(|_| S3Error::Internal("blob still shared".into()))?;
        let (blobs, id) = (self.blobs.clone(), self.id.clone());
        match blocking(move || blobs.commit(&id, file)).await? {
            Ok(pending) => Ok(pending),
            Err(e) => {
                self.blobs.discard(&self.id);
                Err(e.into())
            }
        }
    }
}

impl Drop for TempBlob {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.blobs.discard(&self.id);
        }
    }
}

async fn join(handle: Option<JoinHandle<std::io::Result<()>>>) -> Result<(), S3Error> {
    match handle {
        None => Ok(()),
        Some(h) => Ok(h.await.map_err(|e| S3Error::Internal(e.to_string()))??),
    }
}

/// Runs blocking file work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, S3Error> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| S3Error::Internal(e.to_string()))
}
