//! Coffer's storage, behind two traits the domain uses: [`MetaStore`] (durable records in
//! an ordered key space, each write one transaction with its own preconditions) and
//! [`Blobs`] (object bytes by random id). Implementations: the embedded default
//! ([`SqliteMeta`] + [`LocalBlobs`]) and an in-memory one ([`memory`]) that is also the
//! crash-simulating backend of the durability tests. `conformance` holds every
//! implementation to the same behaviour.
//!
//! Owns: durable records (buckets, objects, multipart uploads, settings) and opaque blobs.
//! Never sees a plaintext object, a policy or an unwrapped key: segment bytes and their
//! sealing parameters are opaque here. Object keys are column values, never paths; blobs
//! are named by random ids.
//!
//! Durability (embedded): every metadata write goes through one writer thread that batches
//! concurrent writes into one transaction (group commit: one WAL fsync per batch). Blob
//! files are written to `tmp/`, fsynced and renamed into `blobs/` before the metadata commit
//! that makes them visible; whatever a crash leaves behind is swept at start.
//!
//! ```no_run
//! # fn demo() -> Result<(), coffer_store::StoreError> {
//! use coffer_store::MetaStore as _;
//! let meta = coffer_store::SqliteMeta::open(std::path::Path::new("/tmp/meta.sqlite"))?;
//! let buckets = meta.list_buckets()?;
//! # let _ = buckets; Ok(()) }
//! ```

mod blob;
mod codec;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
mod error;
mod local;
pub mod memory;
mod meta;
mod records;
mod sqlite;
mod storage;

pub use blob::{BlobId, BlobReader, BlobStore, BlobWriter, Blobs, PendingBlob};
pub use error::StoreError;
pub use local::LocalBlobs;
pub use meta::{KvOp, MetaStore, Tagger, WriteFuture, prefix_successor};
pub use records::{
    Authenticated, BucketRecord, ConfigGuard, Location, Locked, ObjectLock, ObjectRecord,
    ObjectSummary, PartRecord, Precondition, Removal, RetentionMode, Segment, Unmet, UploadRecord,
    VersionSummary,
};
pub use sqlite::{SCHEMA_VERSION, SqliteMeta};
pub use storage::Storage;
