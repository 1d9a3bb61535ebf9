//! Coffer's storage: the metadata store (SQLite, embedded) and object bytes (local disk).
//!
//! Owns: durable records (buckets, objects, multipart uploads, settings) and opaque blob
//! files. Never sees a plaintext object, a policy or an unwrapped key: segment bytes and
//! their sealing parameters are opaque here. Object keys are column values, never paths;
//! blob files are named by random ids.
//!
//! Durability: every metadata write goes through one writer thread that batches concurrent
//! writes into one transaction (group commit: one WAL fsync per batch). Blob files are
//! written to `tmp/`, fsynced and renamed into `blobs/` before the metadata commit that
//! makes them visible; whatever a crash leaves behind is swept at start.
//!
//! ```no_run
//! # async fn demo() -> Result<(), coffer_store::StoreError> {
//! let meta = coffer_store::MetaStore::open(std::path::Path::new("/tmp/meta.sqlite"))?;
//! let buckets = meta.list_buckets()?;
//! # let _ = buckets; Ok(()) }
//! ```

mod blobs;
mod codec;
mod error;
mod meta;
mod records;

pub use blobs::{BlobId, BlobStore, PendingBlob};
pub use error::StoreError;
pub use meta::{KvOp, MetaStore, SCHEMA_VERSION, prefix_successor};
pub use records::{
    Authenticated, BucketRecord, Location, ObjectRecord, ObjectSummary, PartRecord, Precondition,
    Segment, Unmet, UploadRecord,
};
