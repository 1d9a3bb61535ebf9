//! The behaviour every storage implementation owes the domain, as one suite: each case runs
//! on a fresh [`Subject`] (a metadata store and a blob store). The embedded and in-memory
//! implementations run it from this crate's tests; an implementation elsewhere (PostgreSQL,
//! a remote blob cluster) runs it with the `conformance` feature:
//!
//! ```ignore
//! coffer_store::conformance::run("postgres", || make_postgres_subject());
//! ```

use std::any::Any;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

mod blobs;
mod objects;
mod versions;

use crate::{
    BlobId, BlobStore, BucketRecord, KvOp, Location, Locked, MetaStore, ObjectLock, ObjectRecord,
    ObjectSummary, PartRecord, PendingBlob, Precondition, Removal, RetentionMode, Segment,
    StoreError, Unmet, UploadRecord, VersionSummary,
};

/// A pair of stores under test, with whatever must live as long as they do (a temporary
/// directory, a database schema).
pub struct Subject {
    pub meta: Arc<dyn MetaStore>,
    pub blobs: BlobStore,
    pub guard: Box<dyn Any>,
}

type Case = (&'static str, fn(&Subject));

/// Every case of the suite.
pub const CASES: &[Case] = &[
    (
        "objects_lifecycle_and_listing",
        objects::objects_lifecycle_and_listing,
    ),
    ("listing_bounds", objects::listing_bounds),
    (
        "failing_write_does_not_poison_batch",
        objects::failing_write_does_not_poison_batch,
    ),
    ("multipart_moves_blobs", objects::multipart_moves_blobs),
    (
        "uploads_and_parts_are_listed_in_order",
        objects::uploads_and_parts_are_listed_in_order,
    ),
    (
        "deleting_a_bucket_frees_its_uploads",
        objects::deleting_a_bucket_frees_its_uploads,
    ),
    (
        "settings_and_bucket_configs",
        objects::settings_and_bucket_configs,
    ),
    ("kv_batches_are_atomic", objects::kv_batches_are_atomic),
    (
        "blobs_of_failed_writes_go",
        blobs::blobs_of_writes_that_fail_are_removed_and_of_writes_that_commit_kept,
    ),
    (
        "metadata_updates_check_the_record",
        objects::metadata_updates_apply_only_to_the_record_that_was_read,
    ),
    (
        "preconditions_are_checked_in_the_write",
        objects::preconditions_are_checked_in_the_write,
    ),
    (
        "tags_fill_untagged_records_once",
        objects::tags_fill_untagged_records_once,
    ),
    ("blobs_commit_read_sweep", blobs::blobs_commit_read_sweep),
    (
        "blob_reads_survive_removal",
        blobs::blob_reads_survive_removal,
    ),
    ("versions_keep_history", versions::versions_keep_history),
    (
        "version_listing_resumes_anywhere",
        versions::version_listing_resumes_anywhere,
    ),
    (
        "versions_and_preconditions",
        versions::versions_and_preconditions,
    ),
    ("config_guards", versions::config_guards),
    ("locked_versions_stay", versions::locked_versions_stay),
    ("lock_changes_are_judged", versions::lock_changes_are_judged),
];

/// Runs every case on a fresh subject from `make`, naming the case that fails.
pub fn run(implementation: &str, make: impl Fn() -> Subject) {
    for (name, case) in CASES {
        eprintln!("conformance[{implementation}]: {name}");
        case(&make());
    }
}

pub(super) fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

pub(super) fn obj(bucket: &str, key: &str, seg: Location) -> ObjectRecord {
    ObjectRecord {
        bucket: bucket.into(),
        key: key.into(),
        version_id: "null".into(),
        delete_marker: false,
        lock: ObjectLock::default(),
        size: 3,
        etag: "e".into(),
        last_modified_ms: 1,
        meta: b"{}".to_vec(),
        segments: vec![Segment {
            plain_len: 3,
            location: seg,
            sealing: vec![1],
        }],
        mac: vec![0xaa],
    }
}

pub(super) fn bucket_record(name: &str) -> BucketRecord {
    BucketRecord {
        name: name.into(),
        owner: "1".into(),
        region: "r".into(),
        created_ms: 0,
    }
}

pub(super) fn bucket(m: &dyn MetaStore, name: &str) {
    block(m.create_bucket(bucket_record(name), Vec::new())).unwrap();
}

pub(super) fn put(m: &dyn MetaStore, bucket: &str, key: &str) {
    block(m.put_object(
        obj(bucket, key, Location::Inline(vec![1])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
}

pub(super) fn keys(v: Vec<ObjectSummary>) -> Vec<String> {
    v.into_iter().map(|s| s.key).collect()
}

pub(super) fn blob_segment(id: &BlobId) -> Segment {
    Segment {
        plain_len: 1,
        location: Location::Blob(id.clone()),
        sealing: vec![],
    }
}

pub(super) fn part(upload_id: &str, number: u32, segment: Segment, mac: Vec<u8>) -> PartRecord {
    PartRecord {
        upload_id: upload_id.into(),
        part_number: number,
        size: 1,
        etag: "e".into(),
        last_modified_ms: 0,
        meta: vec![],
        segment,
        mac,
    }
}

pub(super) fn upload(id: &str, bucket: &str, key: &str, initiated_ms: i64) -> UploadRecord {
    UploadRecord {
        upload_id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        initiated_ms,
        meta: vec![],
        mac: vec![],
    }
}

/// A durable blob whose record is not committed yet.
pub(super) fn pending(blobs: &BlobStore, n: u8) -> (BlobId, PendingBlob) {
    let id = BlobId::from_random([n; 16]);
    let w = blobs.create(&id).unwrap();
    w.write_all(b"sealed").unwrap();
    let p = blobs.commit(&id, &*w).unwrap();
    (id, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{MemoryBlobs, MemoryMeta};
    use crate::{LocalBlobs, SqliteMeta};

    #[test]
    fn embedded() {
        run("sqlite+local", || {
            let dir = tempfile::tempdir().unwrap();
            Subject {
                meta: Arc::new(SqliteMeta::open(&dir.path().join("m.sqlite")).unwrap()),
                blobs: BlobStore::new(Arc::new(LocalBlobs::open(&dir.path().join("o")).unwrap())),
                guard: Box::new(dir),
            }
        });
    }

    #[test]
    fn memory() {
        run("memory", || Subject {
            meta: Arc::new(MemoryMeta::default()),
            blobs: BlobStore::new(Arc::new(MemoryBlobs::default())),
            guard: Box::new(()),
        });
    }
}
