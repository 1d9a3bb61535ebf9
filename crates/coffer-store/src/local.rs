//! Blobs on local disk: `tmp/<id>` while being written, `blobs/<id[0..2]>/<id>` once durable.
//! Files hold only sealed packages.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{BlobId, BlobReader, BlobWriter, Blobs};

/// The embedded blob store: one directory.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

impl LocalBlobs {
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join("tmp"))?;
        fs::create_dir_all(root.join("blobs"))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn blob_path(&self, id: &BlobId) -> PathBuf {
        self.root
            .join("blobs")
            .join(&id.as_str()[..2])
            .join(id.as_str())
    }

    fn temp_path(&self, id: &BlobId) -> PathBuf {
        self.root.join("tmp").join(id.as_str())
    }
}

impl Blobs for LocalBlobs {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobWriter>> {
        let target = self.blob_path(id);
        if target.exists() {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        let temp = self.temp_path(id);
        let file = File::options().write(true).create_new(true).open(&temp)?;
        Ok(Box::new(LocalWriter {
            file,
            temp,
            dir: self.root.join("blobs").join(&id.as_str()[..2]),
            target,
            committed: AtomicBool::new(false),
        }))
    }

    fn open(&self, id: &BlobId) -> io::Result<Arc<dyn BlobReader>> {
        // An open file outlives an unlink of its name: concurrent removals can't cut a read.
        Ok(Arc::new(LocalReader(File::open(self.blob_path(id))?)))
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        match fs::remove_file(self.blob_path(id)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn sweep(&self, referenced: &HashSet<BlobId>) -> io::Result<usize> {
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

    fn local_path(&self, id: &BlobId) -> Option<PathBuf> {
        Some(self.blob_path(id))
    }
}

struct LocalWriter {
    file: File,
    temp: PathBuf,
    dir: PathBuf,
    target: PathBuf,
    committed: AtomicBool,
}

impl BlobWriter for LocalWriter {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        (&self.file).write_all(buf)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// fsync the data, rename it into place, fsync the directory.
    fn commit(&self) -> io::Result<()> {
        if self.committed.load(Ordering::Acquire) {
            return Ok(());
        }
        self.file.sync_all()?;
        fs::create_dir_all(&self.dir)?;
        fs::rename(&self.temp, &self.target)?;
        if let Err(e) = File::open(&self.dir).and_then(|d| d.sync_all()) {
            // Not known durable: nothing may reference it, so it must not stay visible.
            let _ = fs::remove_file(&self.target);
            return Err(e);
        }
        self.committed.store(true, Ordering::Release);
        Ok(())
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        if !self.committed.load(Ordering::Acquire) {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

struct LocalReader(File);

impl BlobReader for LocalReader {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.0.read_exact_at(buf, offset)
    }
}
