//! Blobs in memory, with the power-loss model of [`super::PowerSupply`].

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::PowerSupply;
use crate::{BlobId, BlobReader, BlobWriter, Blobs};

#[derive(Debug, Default)]
struct BlobState {
    durable: HashMap<BlobId, Arc<Vec<u8>>>,
    /// Blobs being written: bytes so far.
    writing: HashMap<BlobId, Vec<u8>>,
}

/// Blobs in memory, with the power-loss model described at the top of this file.
#[derive(Debug, Clone)]
pub struct MemoryBlobs {
    state: Arc<Mutex<BlobState>>,
    power: Arc<PowerSupply>,
}

impl Default for MemoryBlobs {
    fn default() -> Self {
        Self::new(PowerSupply::unlimited())
    }
}

impl MemoryBlobs {
    pub fn new(power: Arc<PowerSupply>) -> Self {
        Self {
            state: Arc::default(),
            power,
        }
    }

    /// What a restart finds: committed blobs (as they are, even if nothing references them);
    /// bytes of uncommitted ones are gone.
    pub fn after_crash(&self, power: Arc<PowerSupply>) -> Self {
        let durable = lock(&self.state).durable.clone();
        Self {
            state: Arc::new(Mutex::new(BlobState {
                durable,
                writing: HashMap::new(),
            })),
            power,
        }
    }

    /// Ids of every committed blob.
    pub fn durable_ids(&self) -> HashSet<BlobId> {
        lock(&self.state).durable.keys().cloned().collect()
    }

    /// How many blobs are being written (started, neither committed nor dropped).
    pub fn writing_count(&self) -> usize {
        lock(&self.state).writing.len()
    }
}

fn lock(state: &Mutex<BlobState>) -> MutexGuard<'_, BlobState> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl Blobs for MemoryBlobs {
    fn create(&self, id: &BlobId) -> io::Result<Box<dyn BlobWriter>> {
        let mut s = lock(&self.state);
        if s.durable.contains_key(id) || s.writing.contains_key(id) {
            return Err(io::ErrorKind::AlreadyExists.into());
        }
        s.writing.insert(id.clone(), Vec::new());
        Ok(Box::new(MemoryWriter {
            blobs: self.clone(),
            id: id.clone(),
            committed: AtomicBool::new(false),
        }))
    }

    fn open(&self, id: &BlobId) -> io::Result<Arc<dyn BlobReader>> {
        let bytes = lock(&self.state)
            .durable
            .get(id)
            .cloned()
            .ok_or(io::ErrorKind::NotFound)?;
        Ok(Arc::new(MemoryReader(bytes)))
    }

    fn remove(&self, id: &BlobId) -> io::Result<()> {
        self.power.step()?;
        lock(&self.state).durable.remove(id);
        Ok(())
    }

    fn sweep(&self, referenced: &HashSet<BlobId>) -> io::Result<usize> {
        let mut s = lock(&self.state);
        let before = s.durable.len() + s.writing.len();
        s.writing.clear();
        s.durable.retain(|id, _| referenced.contains(id));
        Ok(before - s.durable.len())
    }

    fn local_path(&self, _id: &BlobId) -> Option<std::path::PathBuf> {
        None
    }
}

struct MemoryWriter {
    blobs: MemoryBlobs,
    id: BlobId,
    committed: AtomicBool,
}

impl BlobWriter for MemoryWriter {
    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        self.blobs.power.step()?;
        lock(&self.blobs.state)
            .writing
            .get_mut(&self.id)
            .ok_or(io::ErrorKind::NotFound)?
            .extend_from_slice(buf);
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        Ok(())
    }

    fn commit(&self) -> io::Result<()> {
        self.blobs.power.step()?;
        let mut s = lock(&self.blobs.state);
        let bytes = s.writing.remove(&self.id).ok_or(io::ErrorKind::NotFound)?;
        s.durable.insert(self.id.clone(), Arc::new(bytes));
        self.committed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Drop for MemoryWriter {
    fn drop(&mut self) {
        if !self.committed.load(Ordering::SeqCst) {
            lock(&self.blobs.state).writing.remove(&self.id);
        }
    }
}

struct MemoryReader(Arc<Vec<u8>>);

impl BlobReader for MemoryReader {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let src = self
            .0
            .get(start..start + buf.len())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}
