//! Object bytes as the domain sees them: blobs named by random ids, written once, made
//! durable by a commit, read by range, removed. [`Blobs`] is what an implementation provides
//! (local disk, memory, later a remote cluster); [`BlobStore`] is the cheap, cloneable handle
//! the domain holds, and the one place that turns a committed blob into a [`PendingBlob`].
//!
//! Calls block (file or network I/O): the domain makes them off its async workers.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::sync::Arc;

/// Random identifier of a blob (32 lowercase hex digits). Object keys never become blob
/// names or file names; only these do.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    pub fn from_random(bytes: [u8; 16]) -> Self {
        use std::fmt::Write;
        let mut s = String::with_capacity(32);
        for b in bytes {
            let _ = write!(s, "{b:02x}");
        }
        Self(s)
    }

    /// Accepts only what [`BlobId::from_random`] produces, so a stored id can't name a path.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.0)
    }
}

/// Blob storage. A blob is invisible to [`Blobs::open`] and to the sweep's "referenced"
/// side until its writer commits; after the commit it is durable.
pub trait Blobs: Send + Sync + fmt::Debug + 'static {
    /// Starts a new blob `id` (which must not exist yet).
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobWriter>>;

    /// Opens a durable blob. The reader keeps reading the bytes it opened even if the blob
    /// is removed meanwhile (a concurrent overwrite must not cut a download short).
    fn open(&self, id: &BlobId) -> io::Result<Arc<dyn BlobReader>>;

    /// Removes a durable blob; removing one that is not there is not an error.
    fn remove(&self, id: &BlobId) -> io::Result<()>;

    /// Start-up sweep: removes every uncommitted blob and every durable blob not in
    /// `referenced` (what an interrupted write or delete left behind). Returns how many.
    fn sweep(&self, referenced: &HashSet<BlobId>) -> io::Result<usize>;

    /// Where a durable blob is on this machine, if it is a file (for tamper tests and
    /// inspection tools; `None` for stores that are not files).
    fn local_path(&self, id: &BlobId) -> Option<std::path::PathBuf>;
}

/// A blob being written. Methods take `&self` so that one write can be in flight while an
/// early writeback (`sync_data`) runs; the writer serialises them as it needs. Dropped
/// uncommitted (the write failed or was abandoned), it removes what it wrote.
pub trait BlobWriter: Send + Sync {
    /// Appends bytes.
    fn write_all(&self, buf: &[u8]) -> io::Result<()>;

    /// Starts writing back what was appended so far (a hint: the commit makes it durable
    /// whatever was synced before).
    fn sync_data(&self) -> io::Result<()>;

    /// Makes the blob durable and visible under its id. Only after this may a metadata
    /// record reference it. On failure nothing of the blob stays visible.
    fn commit(&self) -> io::Result<()>;
}

/// Random-access reads of a durable blob.
pub trait BlobReader: Send + Sync {
    /// Fills `buf` from `offset`; an error if the blob is shorter.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

/// The domain's handle on a blob store.
#[derive(Debug, Clone)]
pub struct BlobStore {
    inner: Arc<dyn Blobs>,
}

impl BlobStore {
    pub fn new(inner: Arc<dyn Blobs>) -> Self {
        Self { inner }
    }

    /// A new blob, invisible until [`BlobStore::commit`].
    pub fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobWriter>> {
        self.inner.create(id)
    }

    /// Makes a fully written blob durable. It stays *pending* until a metadata commit that
    /// references it keeps it: a [`PendingBlob`] dropped unkept (the commit failed, or the
    /// request was abandoned) removes it at once rather than at the next start-up sweep.
    pub fn commit(&self, id: &BlobId, writer: &dyn BlobWriter) -> io::Result<PendingBlob> {
        writer.commit()?;
        Ok(PendingBlob {
            blobs: self.clone(),
            id: Some(id.clone()),
        })
    }

    pub fn open(&self, id: &BlobId) -> io::Result<Arc<dyn BlobReader>> {
        self.inner.open(id)
    }

    pub fn remove(&self, id: &BlobId) -> io::Result<()> {
        self.inner.remove(id)
    }

    pub fn sweep(&self, referenced: &HashSet<BlobId>) -> io::Result<usize> {
        self.inner.sweep(referenced)
    }

    pub fn local_path(&self, id: &BlobId) -> Option<std::path::PathBuf> {
        self.inner.local_path(id)
    }
}

/// A durable blob that no committed metadata references yet. Hand it to the metadata write
/// that references the blob: that write keeps it when it commits, and dropping it unkept
/// removes the blob.
#[derive(Debug)]
pub struct PendingBlob {
    blobs: BlobStore,
    /// `None` once kept.
    id: Option<BlobId>,
}

impl PendingBlob {
    pub fn id(&self) -> Option<&BlobId> {
        self.id.as_ref()
    }

    /// A committed record references the blob now: it is no longer this guard's to remove.
    pub fn keep(mut self) {
        self.id = None;
    }
}

impl Drop for PendingBlob {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && let Err(e) = self.blobs.remove(&id)
        {
            tracing::warn!(blob = id.as_str(), error = %e, "could not remove an unreferenced blob");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_strict() {
        assert!(BlobId::parse("../../etc/passwd").is_none());
        assert!(BlobId::parse(&"A".repeat(32)).is_none());
        assert!(BlobId::parse(&"a".repeat(32)).is_some());
    }
}
