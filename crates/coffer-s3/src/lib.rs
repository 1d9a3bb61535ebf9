//! S3 semantics on top of Coffer's store and crypto: buckets, objects, multipart uploads,
//! listings, tagging, conditional and range reads — as plain Rust types.
//!
//! Owns: what S3 operations mean. Never touches HTTP, XML or s3s: the server's adapter turns
//! wire requests into calls here and [`S3Error`] into AWS error codes. Every byte this crate
//! writes is sealed with a fresh data key before it reaches the store, under SSE-S3, SSE-KMS
//! (optionally through an S3 Bucket Key), DSSE-KMS (two layers) or SSE-C (the customer's key).
//!
//! ```no_run
//! # async fn demo(core: &coffer_s3::S3Core) -> Result<(), coffer_s3::S3Error> {
//! let buckets = core.list_buckets("123456789012")?;
//! # let _ = buckets; Ok(()) }
//! ```

mod access;
mod acl;
mod bucket_keys;
mod buckets;
mod checksum;
mod core;
mod customer_key;
mod encryption;
mod error;
mod list;
mod meta;
mod multipart;
mod object_lock;
mod objects;
mod read;
mod records;
mod sealing;
mod torrent;
mod versioning;
mod write;

pub use crate::core::S3Core;
pub use access::{MAX_BUCKET_POLICY, PublicAccessBlock};
pub use acl::{
    Acl, AclRequest, CannedAcl, Grant, Grantee, ObjectOwnership, Permission, canonical_user_id,
};
pub use bucket_keys::BUCKET_KEY_LIFETIME;
pub use buckets::{BucketName, DefaultEncryption};
pub use checksum::{ChecksumAlgorithm, ChecksumValue, ExpectedChecksum, Integrity};
pub use coffer_store::Precondition;
pub use coffer_store::RetentionMode;
pub use customer_key::{CustomerKey, CustomerKeyCheck};
pub use encryption::{Encryption, ObjectEncryption, kms_context, kms_context_for};
pub use error::S3Error;
pub use list::{ListPage, ListQuery, MAX_KEYS, VersionPage, VersionQuery};
pub use meta::{MAX_OBJECT_TAGS, ObjectInfo, ObjectMeta, StoredChecksum, Tag};
pub use multipart::{
    CompleteChecksum, CompletedPart, MAX_PART_NUMBER, MIN_PART_SIZE, PartCopyKeys, PartInfo,
    UploadChecksum, UploadInfo, UploadRequest,
};
pub use object_lock::{
    DefaultRetention, DeleteProof, LockRequest, ObjectLockConfig, Retention, RetentionPeriod,
    mode_name, parse_mode,
};
pub use objects::{
    ByteRange, Conditions, CopyRequest, GetResult, MAX_KEY_LEN, MetadataDirective, PutRequest,
    PutResult,
};
pub use read::PlainStream;
pub use versioning::{
    DeleteResult, MfaProof, VersionId, VersionSelector, VersioningConfig, VersioningState,
};
pub use write::BodyStream;

/// Version id of what unversioned and suspended buckets write.
pub const NULL_VERSION: &str = "null";

/// How often a read-modify-write whose record changed under it is read and tried again
/// before the client is told to retry (`OperationAborted`).
const MAX_WRITE_RETRIES: usize = 8;
