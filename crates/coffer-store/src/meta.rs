//! The metadata store as the domain sees it: a trait, so that the embedded SQLite store, the
//! in-memory one and later networked ones are interchangeable, and one conformance suite
//! (`conformance/`) holds them all to the same behaviour.
//!
//! Reads are synchronous: the embedded store answers them from SQLite's page cache in
//! microseconds, on the request's own thread, and the hot paths (GET, IAM and KMS lookups)
//! are built on that. Writes are futures: they are group-committed, and the caller waits
//! for its batch's commit. Each write is one transaction that checks its own preconditions,
//! so a read-modify-write is safe when the write re-checks what was read (`Precondition`,
//! `expected_mac`, `chosen` parts).

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use crate::{
    BlobId, BucketRecord, ConfigGuard, ObjectRecord, ObjectSummary, PartRecord, PendingBlob,
    Precondition, Removal, StoreError, UploadRecord, VersionSummary,
};

/// A write's outcome, once the transaction holding it has committed.
pub type WriteFuture<T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'static>>;

/// Computes a record's authentication tag from (kind, canonical bytes); see `tag_untagged`.
pub type Tagger = Box<dyn Fn(&[u8], &[u8]) -> Vec<u8> + Send + 'static>;

/// One change in a [`MetaStore::kv_apply`] batch.
#[derive(Debug, Clone)]
pub enum KvOp {
    /// Insert; the whole batch fails with `KvConflict` if the key exists.
    Create {
        ns: String,
        key: String,
        value: Vec<u8>,
    },
    /// Insert or replace.
    Put {
        ns: String,
        key: String,
        value: Vec<u8>,
    },
    /// Remove; the whole batch fails with `KvMissing` if the key is absent.
    Delete { ns: String, key: String },
}

/// Durable records: settings, buckets and their configs, objects, multipart uploads and
/// parts, and the ordered key-value space of the other domains (IAM, KMS).
///
/// Blob ids in records are references: the store tracks which blobs some record points at
/// ([`MetaStore::referenced_blobs`]) and every write that drops a reference returns the ids
/// it released, for the caller to remove from blob storage after the commit.
pub trait MetaStore: Send + Sync + 'static {
    // ---- reads ----

    /// The schema version of the open store (the implementation's current one once open).
    fn schema_version(&self) -> Result<u32, StoreError>;

    fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    fn bucket(&self, name: &str) -> Result<Option<BucketRecord>, StoreError>;

    /// Every bucket, by name.
    fn list_buckets(&self) -> Result<Vec<BucketRecord>, StoreError>;

    fn bucket_config(&self, bucket: &str, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// One version of an object, by id.
    fn object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<ObjectRecord>, StoreError>;

    /// The current version of an object: the newest one, which may be a delete marker.
    fn current(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>, StoreError>;

    /// Current versions of `bucket` (delete markers left out) whose key starts with `prefix`
    /// and is `>= from` (or `> from` when `inclusive` is false), in UTF-8 byte order, at
    /// most `limit`. A range scan: its cost grows with `limit`, not with the bucket or the
    /// number of versions.
    fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        limit: usize,
    ) -> Result<Vec<ObjectSummary>, StoreError>;

    /// Every version (delete markers too) of `bucket` whose key starts with `prefix`, by key
    /// and then newest first, at most `limit`: from key `from` (inclusive or not), or, with
    /// `after_version`, from the version of `from` after that one (older), then the keys
    /// after `from`. A range scan like [`MetaStore::list_objects`].
    fn list_versions(
        &self,
        bucket: &str,
        prefix: &str,
        from: &str,
        inclusive: bool,
        after_version: Option<&str>,
        limit: usize,
    ) -> Result<Vec<VersionSummary>, StoreError>;

    /// True if `bucket` holds no version at all (delete markers count).
    fn bucket_is_empty(&self, bucket: &str) -> Result<bool, StoreError>;

    /// Every blob id some record points at (for the start-up sweep).
    fn referenced_blobs(&self) -> Result<HashSet<BlobId>, StoreError>;

    fn upload(&self, upload_id: &str) -> Result<Option<UploadRecord>, StoreError>;

    /// Uploads of `bucket` under `prefix` whose key is `> key_marker`, ordered by
    /// (key, initiated, id), at most `limit`.
    fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        limit: usize,
    ) -> Result<Vec<UploadRecord>, StoreError>;

    /// Parts of an upload numbered `> after_part`, in order, at most `limit`.
    fn parts(
        &self,
        upload_id: &str,
        after_part: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, StoreError>;

    /// A value of the ordered key-value space.
    fn kv_get(&self, ns: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Entries of `ns` whose key starts with `prefix`, in key order.
    fn kv_list(&self, ns: &str, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    // ---- writes: each one transaction, acknowledged once durable ----

    fn put_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<()>;

    /// Inserts a setting only if absent; returns the value now stored (first writer wins).
    fn init_setting(&self, name: &str, value: Vec<u8>) -> WriteFuture<Vec<u8>>;

    /// Creates a bucket with its initial configs (name, value); `BucketExists` if taken.
    fn create_bucket(&self, rec: BucketRecord, configs: Vec<(String, Vec<u8>)>) -> WriteFuture<()>;

    /// Deletes an empty bucket (`BucketNotEmpty` otherwise) with its configs and unfinished
    /// uploads; returns the blobs those uploads' parts held.
    fn delete_bucket(&self, name: &str) -> WriteFuture<Vec<BlobId>>;

    /// Sets (`Some`) or removes (`None`) a bucket config; `NoSuchBucket` if there is none.
    fn put_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()>;

    /// Like [`MetaStore::put_bucket_config`], if the config still holds `expected` (`None`:
    /// absent): a read-modify-write of a config. `Changed("bucket config")` otherwise.
    fn swap_bucket_config(
        &self,
        bucket: &str,
        name: &str,
        expected: Option<Vec<u8>>,
        value: Option<Vec<u8>>,
    ) -> WriteFuture<()>;

    /// Makes `rec` (an object or a delete marker) the current version of its key, if
    /// `precondition` holds against the current version (a delete marker counts as no
    /// object). A version with the same id (`"null"`) is replaced — unless it is locked at
    /// `rec.last_modified_ms` (`Locked`, no bypass); the previous current
    /// version, if another, stays as a noncurrent one. Returns the blobs of the replaced
    /// version. `pending` are the new blobs `rec` references: kept if this commits, removed
    /// at once if it does not (even when the caller has gone away meanwhile).
    fn put_object(
        &self,
        rec: ObjectRecord,
        pending: Vec<PendingBlob>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>>;

    /// Replaces only the S3 metadata (and so the tag) of an object version if it is still
    /// the record that was read: the one whose tag is `expected_mac`. False if it is gone;
    /// `Changed` if it was replaced meanwhile.
    fn update_object_meta(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        expected_mac: Vec<u8>,
        meta: Vec<u8>,
        mac: Vec<u8>,
    ) -> WriteFuture<bool>;

    /// Gives a version the Object Lock of `rec` (with its S3 metadata and tag, which go with
    /// it) if the version is still the record that was read (`expected_mac`; `Changed`
    /// otherwise) and its stored lock allows the change at `removal`
    /// ([`crate::ObjectLock::refuses_change`]: `Locked` otherwise, whatever the caller checked).
    /// Nothing else of `rec` is written. False if the version is gone.
    fn update_object_lock(
        &self,
        rec: ObjectRecord,
        expected_mac: Vec<u8>,
        removal: Removal,
    ) -> WriteFuture<bool>;

    /// Deletes one version for good if `precondition` holds against it, `guard` (if any)
    /// against the bucket's config, and its Object Lock allows it at `removal` (`Locked`
    /// otherwise: no caller can remove a locked version, whatever it checked before); if it
    /// was current, the newest remaining version becomes current. Returns its blobs (empty
    /// if it did not exist).
    fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        precondition: Precondition,
        guard: Option<ConfigGuard>,
        removal: Removal,
    ) -> WriteFuture<Vec<BlobId>>;

    /// Starts an upload; `NoSuchBucket` if the bucket is gone.
    fn create_upload(&self, rec: UploadRecord) -> WriteFuture<()>;

    /// Stores a part (replacing one with the same number); returns the replaced part's
    /// blobs. `pending`: the part's new blob, kept only if this commits.
    fn put_part(&self, part: PartRecord, pending: Vec<PendingBlob>) -> WriteFuture<Vec<BlobId>>;

    /// Completes an upload: `object` (whose segments are those of the chosen parts, in
    /// order) becomes the current version as with [`MetaStore::put_object`] if
    /// `precondition` holds, the upload and its unused parts go;
    /// returns the blobs to delete. `chosen` names each part by number and the tag of the
    /// record that was read: if one was replaced meanwhile the write is refused with
    /// `Changed`, so the object never points at a released blob.
    fn complete_upload(
        &self,
        upload_id: &str,
        object: ObjectRecord,
        chosen: Vec<(u32, Vec<u8>)>,
        precondition: Precondition,
    ) -> WriteFuture<Vec<BlobId>>;

    /// Aborts an upload; returns its parts' blobs.
    fn abort_upload(&self, upload_id: &str) -> WriteFuture<Vec<BlobId>>;

    /// Applies every op or none.
    fn kv_apply(&self, ops: Vec<KvOp>) -> WriteFuture<()>;

    /// Gives every record stored without a tag (written before records were authenticated)
    /// the tag `tag(kind, canonical bytes)` computes; returns how many.
    fn tag_untagged(&self, tag: Tagger) -> WriteFuture<usize>;
}

/// The smallest string greater than every string that starts with `prefix`, if any: used to
/// bound prefix scans and to skip past a common prefix in delimiter listings.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return Some(chars.into_iter().collect());
        }
    }
    None
}
