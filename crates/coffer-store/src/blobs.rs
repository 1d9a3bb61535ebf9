use std::collections::HashSet;
use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Random identifier of a blob file (32 lowercase hex digits). Object keys never become
/// file names; only these do.
#[derive(Clone, PartialEq, Eq, Hash)]
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

/// A durable blob that no committed metadata references yet. Hand it to the metadata write
/// that references the blob: that write keeps it when it commits, and dropping it unkept
/// removes the file.
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

/// Object bytes on local disk: `tmp/<id>` while being written, `blobs/<id[0..2]>/<id>` once
/// durable. Files hold only sealed packages.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join("tmp"))?;
        fs::create_dir_all(root.join("blobs"))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// A new temporary file for `id`; invisible until [`BlobStore::commit`].
    pub fn create(&self, id: &BlobId) -> io::Result<File> {
        File::options()
            .write(true)
            .create_new(true)
            .open(self.temp_path(id))
    }

    /// Makes a fully written temporary blob durable: fsync the data, rename it into place,
    /// fsync the directory. Only after this may metadata point at it. The blob stays
    /// *pending* until a metadata commit that references it keeps it: a [`PendingBlob`]
    /// dropped unkept (the commit failed, or the request was abandoned) removes the file at
    /// once rather than at the next start-up sweep.
    pub fn commit(&self, id: &BlobId, file: File) -> io::Result<PendingBlob> {
        let pending = PendingBlob {
            blobs: self.clone(),
            id: Some(id.clone()),
        };
        file.sync_all()?;
        drop(file);
        let dir = self.root.join("blobs").join(&id.0[..2]);
        fs::create_dir_all(&dir)?;
        fs::rename(self.temp_path(id), dir.join(&id.0))?;
        File::open(&dir)?.sync_all()?;
        Ok(pending)
    }

    /// Removes a temporary blob that will never be committed (upload failed or aborted).
    pub fn discard(&self, id: &BlobId) {
        let _ = fs::remove_file(self.temp_path(id));
    }

    pub fn open_blob(&self, id: &BlobId) -> io::Result<File> {
        File::open(self.blob_path(id))
    }

    pub fn remove(&self, id: &BlobId) -> io::Result<()> {
        match fs::remove_file(self.blob_path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Start-up sweep: deletes every temporary file and every blob that no metadata record
    /// references (what an interrupted write or delete left behind). Returns how many.
    pub fn sweep(&self, referenced: &HashSet<BlobId>) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(self.root.join("tmp"))? {
            fs::remove_file(entry?.path())?;
            removed += 1;
        }
        for dir in fs::read_dir(self.root.join("blobs"))? {
            let dir = dir?;
            if !dir.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(dir.path())? {
                let entry = entry?;
                let keep = entry
                    .file_name()
                    .to_str()
                    .and_then(BlobId::parse)
                    .is_some_and(|id| referenced.contains(&id));
                if !keep {
                    fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Path of a durable blob (tests use it to tamper with stored bytes).
    pub fn blob_path(&self, id: &BlobId) -> PathBuf {
        self.root.join("blobs").join(&id.0[..2]).join(&id.0)
    }

    fn temp_path(&self, id: &BlobId) -> PathBuf {
        self.root.join("tmp").join(&id.0)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn commit_open_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let keep = BlobId::from_random([1; 16]);
        let orphan = BlobId::from_random([2; 16]);
        let temp = BlobId::from_random([3; 16]);
        for id in [&keep, &orphan] {
            let mut f = store.create(id).unwrap();
            f.write_all(b"sealed").unwrap();
            store.commit(id, f).unwrap().keep();
        }
        store.create(&temp).unwrap().write_all(b"partial").unwrap();
        let removed = store.sweep(&HashSet::from([keep.clone()])).unwrap();
        assert_eq!(removed, 2);
        assert!(store.open_blob(&keep).is_ok());
        assert!(store.open_blob(&orphan).is_err());
    }

    #[test]
    fn pending_blobs_are_removed_unless_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let (kept, dropped) = (BlobId::from_random([4; 16]), BlobId::from_random([5; 16]));
        for id in [&kept, &dropped] {
            store.create(id).unwrap().write_all(b"x").unwrap();
        }
        store
            .commit(&kept, File::open(store.temp_path(&kept)).unwrap())
            .unwrap()
            .keep();
        drop(
            store
                .commit(&dropped, File::open(store.temp_path(&dropped)).unwrap())
                .unwrap(),
        );
        assert!(store.open_blob(&kept).is_ok());
        assert!(store.open_blob(&dropped).is_err());
    }

    #[test]
    fn ids_are_strict() {
        assert!(BlobId::parse("../../etc/passwd").is_none());
        assert!(BlobId::parse(&"A".repeat(32)).is_none());
        assert!(BlobId::parse(&"a".repeat(32)).is_some());
    }
}
