//! The upload pipeline: plaintext stream → MD5/checksum → 64 KiB packages sealed → inline
//! (small) or a durable blob (large). Memory stays bounded by one write buffer.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use coffer_crypto::{PACKAGE_SIZE, PackageSealer};
use coffer_store::{BlobId, BlobStore, BlobWriter, Location, PendingBlob, Segment};
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

/// A blob being written. Writes are pipelined (one in flight while the next chunk is
/// sealed) and writeback starts early (a background `sync_data` every [`SYNC_EVERY`] bytes),
/// so the final sync before commit flushes only the tail.
///
/// Dropped before [`TempBlob::commit`] (an error, or the client hanging up), its writer
/// removes what it wrote; a crash leaves it to the start-up sweep.
struct TempBlob {
    blobs: BlobStore,
    id: BlobId,
    writer: Arc<dyn BlobWriter>,
    in_flight_write: Option<JoinHandle<std::io::Result<()>>>,
    in_flight_sync: Option<JoinHandle<std::io::Result<()>>>,
    unsynced: usize,
}

/// Bytes written between background writeback kicks.
const SYNC_EVERY: usize = 16 * 1024 * 1024;

impl TempBlob {
    async fn create(blobs: BlobStore, id: BlobId) -> Result<Self, S3Error> {
        let (b, i) = (blobs.clone(), id.clone());
        let writer: Arc<dyn BlobWriter> = blocking(move || b.create(&i)).await??.into();
        Ok(Self {
            blobs,
            id,
            writer,
            in_flight_write: None,
            in_flight_sync: None,
            unsynced: 0,
        })
    }

    async fn write(&mut self, buf: Vec<u8>) -> Result<(), S3Error> {
        join(self.in_flight_write.take()).await?;
        let writer = self.writer.clone();
        self.unsynced += buf.len();
        self.in_flight_write = Some(tokio::task::spawn_blocking(move || writer.write_all(&buf)));
        if self.unsynced >= SYNC_EVERY
            && self.in_flight_sync.as_ref().is_none_or(|h| h.is_finished())
        {
            join(self.in_flight_sync.take()).await?;
            let writer = self.writer.clone();
            self.in_flight_sync = Some(tokio::task::spawn_blocking(move || writer.sync_data()));
            self.unsynced = 0;
        }
        Ok(())
    }

    /// Makes the blob durable. Abandoned while this runs (the request dropped), the blocking
    /// task still finishes and drops its [`PendingBlob`], which removes the blob.
    async fn commit(mut self) -> Result<PendingBlob, S3Error> {
        join(self.in_flight_write.take()).await?;
        join(self.in_flight_sync.take()).await?;
        let Self {
            blobs, id, writer, ..
        } = self;
        Ok(blocking(move || blobs.commit(&id, &*writer)).await??)
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
