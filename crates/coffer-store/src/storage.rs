//! A metadata store and a blob store that belong together: what the domain is opened on.

use std::path::Path;
use std::sync::Arc;

use crate::memory::{MemoryBlobs, MemoryMeta};
use crate::{BlobStore, LocalBlobs, MetaStore, SqliteMeta, StoreError};

/// File of the embedded metadata store in a data directory.
const EMBEDDED_META: &str = "meta.sqlite";
/// Directory of the embedded blob store in a data directory.
const EMBEDDED_BLOBS: &str = "objects";

#[derive(Clone)]
pub struct Storage {
    pub meta: Arc<dyn MetaStore>,
    pub blobs: BlobStore,
}

impl Storage {
    /// The embedded default in `data_dir` (created if missing): SQLite metadata and blob
    /// files on local disk.
    pub fn embedded(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        Ok(Self {
            meta: Arc::new(Self::embedded_meta(data_dir)?),
            blobs: BlobStore::new(Arc::new(LocalBlobs::open(&data_dir.join(EMBEDDED_BLOBS))?)),
        })
    }

    /// Only the embedded metadata store of an existing data directory (admin commands that
    /// touch no object bytes); `None` if `data_dir` holds none.
    pub fn existing_embedded_meta(data_dir: &Path) -> Result<Option<SqliteMeta>, StoreError> {
        if !data_dir.join(EMBEDDED_META).exists() {
            return Ok(None);
        }
        Self::embedded_meta(data_dir).map(Some)
    }

    /// Everything in memory, gone when dropped (tests).
    pub fn in_memory() -> Self {
        Self {
            meta: Arc::new(MemoryMeta::default()),
            blobs: BlobStore::new(Arc::new(MemoryBlobs::default())),
        }
    }

    fn embedded_meta(data_dir: &Path) -> Result<SqliteMeta, StoreError> {
        SqliteMeta::open(&data_dir.join(EMBEDDED_META))
    }
}
