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
        objects_lifecycle_and_listing,
    ),
    ("listing_bounds", listing_bounds),
    (
        "failing_write_does_not_poison_batch",
        failing_write_does_not_poison_batch,
    ),
    ("multipart_moves_blobs", multipart_moves_blobs),
    (
        "uploads_and_parts_are_listed_in_order",
        uploads_and_parts_are_listed_in_order,
    ),
    (
        "deleting_a_bucket_frees_its_uploads",
        deleting_a_bucket_frees_its_uploads,
    ),
    ("settings_and_bucket_configs", settings_and_bucket_configs),
    ("kv_batches_are_atomic", kv_batches_are_atomic),
    (
        "blobs_of_failed_writes_go",
        blobs_of_writes_that_fail_are_removed_and_of_writes_that_commit_kept,
    ),
    (
        "metadata_updates_check_the_record",
        metadata_updates_apply_only_to_the_record_that_was_read,
    ),
    (
        "preconditions_are_checked_in_the_write",
        preconditions_are_checked_in_the_write,
    ),
    (
        "tags_fill_untagged_records_once",
        tags_fill_untagged_records_once,
    ),
    ("blobs_commit_read_sweep", blobs_commit_read_sweep),
    ("blob_reads_survive_removal", blob_reads_survive_removal),
    ("versions_keep_history", versions_keep_history),
    (
        "version_listing_resumes_anywhere",
        version_listing_resumes_anywhere,
    ),
    ("versions_and_preconditions", versions_and_preconditions),
    ("config_guards", config_guards),
    ("locked_versions_stay", locked_versions_stay),
];

/// Runs every case on a fresh subject from `make`, naming the case that fails.
pub fn run(implementation: &str, make: impl Fn() -> Subject) {
    for (name, case) in CASES {
        eprintln!("conformance[{implementation}]: {name}");
        case(&make());
    }
}

fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn obj(bucket: &str, key: &str, seg: Location) -> ObjectRecord {
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

fn bucket_record(name: &str) -> BucketRecord {
    BucketRecord {
        name: name.into(),
        owner: "1".into(),
        region: "r".into(),
        created_ms: 0,
    }
}

fn bucket(m: &dyn MetaStore, name: &str) {
    block(m.create_bucket(bucket_record(name), Vec::new())).unwrap();
}

fn put(m: &dyn MetaStore, bucket: &str, key: &str) {
    block(m.put_object(
        obj(bucket, key, Location::Inline(vec![1])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
}

fn keys(v: Vec<ObjectSummary>) -> Vec<String> {
    v.into_iter().map(|s| s.key).collect()
}

fn blob_segment(id: &BlobId) -> Segment {
    Segment {
        plain_len: 1,
        location: Location::Blob(id.clone()),
        sealing: vec![],
    }
}

fn part(upload_id: &str, number: u32, segment: Segment, mac: Vec<u8>) -> PartRecord {
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

fn upload(id: &str, bucket: &str, key: &str, initiated_ms: i64) -> UploadRecord {
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
fn pending(blobs: &BlobStore, n: u8) -> (BlobId, PendingBlob) {
    let id = BlobId::from_random([n; 16]);
    let w = blobs.create(&id).unwrap();
    w.write_all(b"sealed").unwrap();
    let p = blobs.commit(&id, &*w).unwrap();
    (id, p)
}

fn objects_lifecycle_and_listing(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    assert!(matches!(
        block(m.create_bucket(bucket_record("b"), Vec::new())),
        Err(StoreError::BucketExists(_))
    ));
    let blob = BlobId::from_random([9; 16]);
    for k in ["a/1", "a/2", "b", "c/x/y"] {
        put(m, "b", k);
    }
    let freed = block(m.put_object(
        obj("b", "b", Location::Blob(blob.clone())),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert!(freed.is_empty());
    assert_eq!(m.referenced_blobs().unwrap(), HashSet::from([blob.clone()]));
    assert_eq!(
        keys(m.list_objects("b", "a/", "", true, 10).unwrap()),
        ["a/1", "a/2"]
    );
    assert_eq!(
        keys(m.list_objects("b", "", "a/1", false, 2).unwrap()),
        ["a/2", "b"]
    );
    assert_eq!(
        keys(m.list_objects("b", "", "a0", true, 10).unwrap()),
        ["b", "c/x/y"]
    );
    assert!(!m.bucket_is_empty("b").unwrap());
    assert!(matches!(
        block(m.delete_bucket("b")),
        Err(StoreError::BucketNotEmpty(_))
    ));
    let freed = block(m.put_object(
        obj("b", "b", Location::Inline(vec![2])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert_eq!(freed, vec![blob]);
    assert!(m.referenced_blobs().unwrap().is_empty());
    assert!(m.object("b", "a/1", "null").unwrap().is_some());
    for k in ["a/1", "a/2", "b", "c/x/y"] {
        block(m.delete_object("b", k, "null", Precondition::None, None, Removal::default()))
            .unwrap();
    }
    assert!(m.bucket_is_empty("b").unwrap());
    block(m.delete_bucket("b")).unwrap();
    assert!(m.bucket("b").unwrap().is_none());
    assert!(matches!(
        block(m.delete_bucket("b")),
        Err(StoreError::NoSuchBucket(_))
    ));
}

/// Buckets do not leak into each other's listings; byte order, not character order; the
/// highest code point as a prefix; `from` before, inside and after the prefix.
fn listing_bounds(s: &Subject) {
    let m = &*s.meta;
    for b in ["a", "a0", "ab"] {
        bucket(m, b);
    }
    for k in ["x", "\u{10FFFF}", "\u{10FFFF}z", "é", "z", "e\u{301}"] {
        put(m, "a", k);
    }
    put(m, "a0", "x");
    put(m, "ab", "a");
    assert_eq!(
        keys(m.list_objects("a", "", "", true, 100).unwrap()),
        ["e\u{301}", "x", "z", "é", "\u{10FFFF}", "\u{10FFFF}z"]
    );
    assert_eq!(
        keys(m.list_objects("a", "\u{10FFFF}", "", true, 100).unwrap()),
        ["\u{10FFFF}", "\u{10FFFF}z"]
    );
    assert_eq!(
        keys(
            m.list_objects("a", "\u{10FFFF}", "\u{10FFFF}", false, 100)
                .unwrap()
        ),
        ["\u{10FFFF}z"]
    );
    assert_eq!(
        keys(m.list_objects("a", "x", "a", false, 100).unwrap()),
        ["x"],
        "a `from` before the prefix starts at the prefix"
    );
    assert!(m.list_objects("a", "x", "y", true, 100).unwrap().is_empty());
    assert_eq!(m.list_objects("a", "", "", true, 2).unwrap().len(), 2);
    assert!(m.list_objects("a", "", "", true, 0).unwrap().is_empty());
    assert!(m.list_objects("nope", "", "", true, 10).unwrap().is_empty());
    assert_eq!(
        m.list_buckets()
            .unwrap()
            .into_iter()
            .map(|b| b.name)
            .collect::<Vec<_>>(),
        ["a", "a0", "ab"]
    );
}

fn failing_write_does_not_poison_batch(s: &Subject) {
    let m = &*s.meta;
    let futs: Vec<_> = (0..50)
        .map(|i| {
            let name = if i % 2 == 0 {
                "same".to_owned()
            } else {
                format!("b{i}")
            };
            m.create_bucket(bucket_record(&name), Vec::new())
        })
        .collect();
    let results: Vec<_> = futs.into_iter().map(block).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 26);
    assert_eq!(m.list_buckets().unwrap().len(), 26);
}

fn multipart_moves_blobs(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    block(m.create_upload(upload("u", "b", "k", 0))).unwrap();
    let ids: Vec<BlobId> = (0..3u8).map(|i| BlobId::from_random([i; 16])).collect();
    for (n, id) in ids.iter().enumerate() {
        let p = part("u", n as u32 + 1, blob_segment(id), vec![n as u8]);
        block(m.put_part(p, Vec::new())).unwrap();
    }
    assert_eq!(m.parts("u", 1, 10).unwrap().len(), 2);
    let mut o = obj("b", "k", Location::Blob(ids[0].clone()));
    o.segments.push(blob_segment(&ids[2]));
    // A part the object is built from but whose record changed meanwhile: refused.
    assert!(matches!(
        block(m.complete_upload(
            "u",
            o.clone(),
            vec![(1, vec![0]), (3, vec![9])],
            Precondition::None
        )),
        Err(StoreError::Changed("part"))
    ));
    assert!(
        m.upload("u").unwrap().is_some(),
        "the refusal changed nothing"
    );
    let freed =
        block(m.complete_upload("u", o, vec![(1, vec![0]), (3, vec![2])], Precondition::None))
            .unwrap();
    assert_eq!(freed, vec![ids[1].clone()]);
    assert_eq!(
        m.referenced_blobs().unwrap(),
        HashSet::from([ids[0].clone(), ids[2].clone()])
    );
    assert!(m.upload("u").unwrap().is_none());
    assert!(m.parts("u", 0, 10).unwrap().is_empty());
    assert!(matches!(
        block(m.abort_upload("u")),
        Err(StoreError::NoSuchUpload(_))
    ));
    assert!(matches!(
        block(m.create_upload(upload("v", "nope", "k", 0))),
        Err(StoreError::NoSuchBucket(_))
    ));
}

fn uploads_and_parts_are_listed_in_order(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    bucket(m, "c");
    for (id, key, at) in [
        ("u3", "k", 5),
        ("u1", "k", 7),
        ("u2", "j", 9),
        ("u4", "x/k", 1),
    ] {
        block(m.create_upload(upload(id, "b", key, at))).unwrap();
    }
    block(m.create_upload(upload("u5", "c", "k", 0))).unwrap();
    let ids = |v: Vec<UploadRecord>| v.into_iter().map(|u| u.upload_id).collect::<Vec<_>>();
    assert_eq!(
        ids(m.list_uploads("b", "", "", 10).unwrap()),
        ["u2", "u3", "u1", "u4"]
    );
    assert_eq!(
        ids(m.list_uploads("b", "", "j", 10).unwrap()),
        ["u3", "u1", "u4"]
    );
    assert_eq!(ids(m.list_uploads("b", "x/", "", 10).unwrap()), ["u4"]);
    assert_eq!(ids(m.list_uploads("b", "", "", 2).unwrap()), ["u2", "u3"]);
    for n in [3, 1, 2, 10_000] {
        let p = part(
            "u1",
            n,
            Segment {
                plain_len: 1,
                location: Location::Inline(vec![n as u8]),
                sealing: vec![],
            },
            vec![],
        );
        block(m.put_part(p, Vec::new())).unwrap();
    }
    let numbers = |v: Vec<PartRecord>| v.into_iter().map(|p| p.part_number).collect::<Vec<_>>();
    assert_eq!(numbers(m.parts("u1", 0, 100).unwrap()), [1, 2, 3, 10_000]);
    assert_eq!(numbers(m.parts("u1", 2, 1).unwrap()), [3]);
    assert!(m.parts("u3", 0, 100).unwrap().is_empty());
    // A part replaced by the same number releases the old part's blob.
    let a = BlobId::from_random([7; 16]);
    block(m.put_part(part("u3", 1, blob_segment(&a), vec![]), Vec::new())).unwrap();
    let freed = block(m.put_part(
        part(
            "u3",
            1,
            Segment {
                plain_len: 1,
                location: Location::Inline(vec![]),
                sealing: vec![],
            },
            vec![],
        ),
        Vec::new(),
    ))
    .unwrap();
    assert_eq!(freed, vec![a]);
    assert!(m.referenced_blobs().unwrap().is_empty());
}

fn deleting_a_bucket_frees_its_uploads(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    block(m.put_bucket_config("b", "policy", Some(b"{}".to_vec()))).unwrap();
    block(m.create_upload(upload("u", "b", "k", 0))).unwrap();
    let id = BlobId::from_random([3; 16]);
    block(m.put_part(part("u", 1, blob_segment(&id), vec![]), Vec::new())).unwrap();
    assert_eq!(block(m.delete_bucket("b")).unwrap(), vec![id]);
    assert!(m.upload("u").unwrap().is_none());
    assert!(m.referenced_blobs().unwrap().is_empty());
    bucket(m, "b");
    assert!(
        m.bucket_config("b", "policy").unwrap().is_none(),
        "a bucket of the same name starts without the old one's configs"
    );
}

fn settings_and_bucket_configs(s: &Subject) {
    let m = &*s.meta;
    assert!(m.setting("x").unwrap().is_none());
    assert_eq!(block(m.init_setting("x", vec![1])).unwrap(), vec![1]);
    assert_eq!(
        block(m.init_setting("x", vec![2])).unwrap(),
        vec![1],
        "first writer wins"
    );
    block(m.put_setting("x", vec![3])).unwrap();
    assert_eq!(m.setting("x").unwrap(), Some(vec![3]));
    assert!(matches!(
        block(m.put_bucket_config("nope", "policy", Some(vec![1]))),
        Err(StoreError::NoSuchBucket(_))
    ));
    block(m.create_bucket(bucket_record("b"), vec![("ownership".into(), vec![9])])).unwrap();
    assert_eq!(m.bucket("b").unwrap(), Some(bucket_record("b")));
    assert_eq!(m.bucket_config("b", "ownership").unwrap(), Some(vec![9]));
    block(m.put_bucket_config("b", "policy", Some(vec![1]))).unwrap();
    block(m.put_bucket_config("b", "policy", Some(vec![2]))).unwrap();
    assert_eq!(m.bucket_config("b", "policy").unwrap(), Some(vec![2]));
    block(m.put_bucket_config("b", "policy", None)).unwrap();
    assert!(m.bucket_config("b", "policy").unwrap().is_none());
    assert!(m.schema_version().unwrap() >= 1);
}

fn kv_batches_are_atomic(s: &Subject) {
    let m = &*s.meta;
    let create = |ns: &str, k: &str| KvOp::Create {
        ns: ns.into(),
        key: k.into(),
        value: k.as_bytes().to_vec(),
    };
    block(m.kv_apply(vec![
        create("iam", "u/a"),
        create("iam", "u/b"),
        create("iam", "v/c"),
        create("iam", "u0"),
        create("kms", "u/k"),
    ]))
    .unwrap();
    assert!(matches!(
        block(m.kv_apply(vec![create("iam", "u/z"), create("iam", "u/a")])),
        Err(StoreError::KvConflict(_))
    ));
    assert!(
        m.kv_get("iam", "u/z").unwrap().is_none(),
        "the failed batch left nothing"
    );
    let listed = |ns: &str, p: &str| -> Vec<String> {
        m.kv_list(ns, p)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    assert_eq!(listed("iam", "u/"), ["u/a", "u/b"]);
    assert_eq!(listed("iam", ""), ["u/a", "u/b", "u0", "v/c"]);
    assert_eq!(listed("kms", "u/"), ["u/k"]);
    block(m.kv_apply(vec![KvOp::Put {
        ns: "iam".into(),
        key: "u/a".into(),
        value: vec![1],
    }]))
    .unwrap();
    assert_eq!(m.kv_get("iam", "u/a").unwrap(), Some(vec![1]));
    let del = |k: &str| KvOp::Delete {
        ns: "iam".into(),
        key: k.into(),
    };
    assert!(matches!(
        block(m.kv_apply(vec![del("u/b"), del("nope")])),
        Err(StoreError::KvMissing(_))
    ));
    assert!(m.kv_get("iam", "u/b").unwrap().is_some(), "nothing deleted");
    block(m.kv_apply(vec![del("u/b")])).unwrap();
    assert!(m.kv_get("iam", "u/b").unwrap().is_none());
}

fn blobs_of_writes_that_fail_are_removed_and_of_writes_that_commit_kept(s: &Subject) {
    let (m, blobs) = (&*s.meta, &s.blobs);
    bucket(m, "b");
    let (kept, p) = pending(blobs, 1);
    block(m.put_object(
        obj("b", "k", Location::Blob(kept.clone())),
        vec![p],
        Precondition::None,
    ))
    .unwrap();
    assert!(blobs.open(&kept).is_ok());
    // Into a bucket that does not exist: the write fails and its blob goes with it.
    let (gone, p) = pending(blobs, 2);
    assert!(matches!(
        block(m.put_object(
            obj("nope", "k", Location::Blob(gone.clone())),
            vec![p],
            Precondition::None
        )),
        Err(StoreError::NoSuchBucket(_))
    ));
    assert!(blobs.open(&gone).is_err());
    // A part of an upload that is gone.
    let (part_blob, p) = pending(blobs, 3);
    let orphan = part("missing", 1, blob_segment(&part_blob), vec![]);
    assert!(block(m.put_part(orphan, vec![p])).is_err());
    assert!(blobs.open(&part_blob).is_err());
    // A caller that stops waiting does not stop the write deciding its blob's fate.
    let (abandoned, p) = pending(blobs, 4);
    drop(m.put_object(
        obj("nope", "k", Location::Blob(abandoned.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![1])).unwrap();
    assert!(blobs.open(&abandoned).is_err());
    let (kept2, p) = pending(blobs, 5);
    drop(m.put_object(
        obj("b", "k2", Location::Blob(kept2.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![2])).unwrap();
    assert!(blobs.open(&kept2).is_ok());
    assert!(m.object("b", "k2", "null").unwrap().is_some());
}

fn metadata_updates_apply_only_to_the_record_that_was_read(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    put(m, "b", "k");
    let read = m.object("b", "k", "null").unwrap().unwrap();
    // The object is replaced between the read and the update (its tag changes).
    let mut newer = obj("b", "k", Location::Inline(vec![2]));
    newer.mac = vec![0xbb];
    block(m.put_object(newer, Vec::new(), Precondition::None)).unwrap();
    assert!(matches!(
        block(m.update_object_meta("b", "k", "null", read.mac, b"x".to_vec(), vec![1])),
        Err(StoreError::Changed("object"))
    ));
    assert!(
        block(m.update_object_meta("b", "k", "null", vec![0xbb], b"x".to_vec(), vec![0xcc]))
            .unwrap()
    );
    let now = m.object("b", "k", "null").unwrap().unwrap();
    assert_eq!((now.meta, now.mac), (b"x".to_vec(), vec![0xcc]));
    assert!(!block(m.update_object_meta("b", "gone", "null", vec![], vec![], vec![])).unwrap());
}

fn preconditions_are_checked_in_the_write(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    let put = |p: Precondition| {
        block(m.put_object(obj("b", "k", Location::Inline(vec![1])), Vec::new(), p))
    };
    assert!(matches!(
        put(Precondition::EtagIs("e".into())),
        Err(StoreError::Precondition(Unmet::Missing))
    ));
    put(Precondition::Absent).unwrap();
    assert!(matches!(
        put(Precondition::Absent),
        Err(StoreError::Precondition(Unmet::Exists))
    ));
    assert!(matches!(
        put(Precondition::EtagIs("other".into())),
        Err(StoreError::Precondition(Unmet::EtagDiffers))
    ));
    put(Precondition::EtagIs("e".into())).unwrap();
    let del =
        |p: Precondition| block(m.delete_object("b", "k", "null", p, None, Removal::default()));
    assert!(matches!(
        del(Precondition::EtagIs("x".into())),
        Err(StoreError::Precondition(Unmet::EtagDiffers))
    ));
    assert!(m.object("b", "k", "null").unwrap().is_some());
    del(Precondition::EtagIs("e".into())).unwrap();
    assert!(m.object("b", "k", "null").unwrap().is_none());
    // Completing an upload over an object that appeared meanwhile.
    put(Precondition::None).unwrap();
    block(m.create_upload(upload("u", "b", "k", 0))).unwrap();
    assert!(matches!(
        block(m.complete_upload(
            "u",
            obj("b", "k", Location::Inline(vec![])),
            vec![],
            Precondition::Absent
        )),
        Err(StoreError::Precondition(Unmet::Exists))
    ));
    assert!(m.upload("u").unwrap().is_some());
}

fn tags_fill_untagged_records_once(s: &Subject) {
    use crate::Authenticated as _;
    let m = &*s.meta;
    bucket(m, "b");
    let mut untagged = obj("b", "k", Location::Inline(vec![1]));
    untagged.mac = Vec::new();
    block(m.put_object(untagged, Vec::new(), Precondition::None)).unwrap();
    put(m, "b", "tagged");
    let n = block(m.tag_untagged(Box::new(|kind: &[u8], bytes: &[u8]| {
        let mut t = kind.to_vec();
        t.extend_from_slice(&bytes[..4]);
        t
    })))
    .unwrap();
    assert_eq!(n, 1);
    let after = m.object("b", "k", "null").unwrap().unwrap();
    assert!(after.mac.starts_with(ObjectRecord::AUTH_KIND));
    assert_eq!(
        m.object("b", "tagged", "null").unwrap().unwrap().mac,
        vec![0xaa]
    );
    assert_eq!(
        block(m.tag_untagged(Box::new(|_: &[u8], _: &[u8]| vec![1]))).unwrap(),
        0
    );
}

fn blobs_commit_read_sweep(s: &Subject) {
    let blobs = &s.blobs;
    let keep = BlobId::from_random([1; 16]);
    let orphan = BlobId::from_random([2; 16]);
    let unfinished = BlobId::from_random([3; 16]);
    for id in [&keep, &orphan] {
        let w = blobs.create(id).unwrap();
        w.write_all(b"sealed ").unwrap();
        w.sync_data().unwrap();
        w.write_all(b"bytes").unwrap();
        blobs.commit(id, &*w).unwrap().keep();
    }
    assert!(blobs.create(&keep).is_err(), "ids are written once");
    let w = blobs.create(&unfinished).unwrap();
    w.write_all(b"partial").unwrap();
    assert!(
        blobs.open(&unfinished).is_err(),
        "invisible until committed"
    );
    let r = blobs.open(&keep).unwrap();
    let mut buf = [0u8; 5];
    r.read_exact_at(&mut buf, 7).unwrap();
    assert_eq!(&buf, b"bytes");
    assert!(r.read_exact_at(&mut buf, 10).is_err(), "past the end");
    std::mem::forget(w); // as a crash would leave it: the sweep must find it
    let removed = blobs.sweep(&HashSet::from([keep.clone()])).unwrap();
    assert_eq!(removed, 2);
    assert!(blobs.open(&keep).is_ok());
    assert!(blobs.open(&orphan).is_err());
    blobs.remove(&orphan).unwrap();
    // Dropped unkept, a pending blob removes itself; dropped uncommitted, a writer too.
    let (dropped, p) = pending(blobs, 5);
    drop(p);
    assert!(blobs.open(&dropped).is_err());
    let abandoned = BlobId::from_random([6; 16]);
    drop(blobs.create(&abandoned).unwrap());
    assert_eq!(blobs.sweep(&HashSet::from([keep])).unwrap(), 0);
}

fn blob_reads_survive_removal(s: &Subject) {
    let blobs = &s.blobs;
    let (id, p) = pending(blobs, 8);
    p.keep();
    let r = blobs.open(&id).unwrap();
    blobs.remove(&id).unwrap();
    let mut buf = [0u8; 6];
    r.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(&buf, b"sealed");
    assert!(blobs.open(&id).is_err());
}

/// A version `v` of `key` (a delete marker if `marker`), with an ETag naming it.
fn version(key: &str, v: &str, marker: bool, loc: Location) -> ObjectRecord {
    let mut o = obj("b", key, loc);
    o.version_id = v.into();
    o.etag = format!("e-{v}");
    o.delete_marker = marker;
    if marker {
        o.segments.clear();
        o.size = 0;
    }
    o
}

fn put_version(m: &dyn MetaStore, key: &str, v: &str, marker: bool) -> Vec<BlobId> {
    block(m.put_object(
        version(key, v, marker, Location::Inline(vec![1])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap()
}

/// (key, version, latest, marker) of a version listing.
fn listed(v: Vec<VersionSummary>) -> Vec<(String, String, bool, bool)> {
    v.into_iter()
        .map(|s| (s.key, s.version_id, s.is_latest, s.delete_marker))
        .collect()
}

fn row(k: &str, v: &str, latest: bool, marker: bool) -> (String, String, bool, bool) {
    (k.into(), v.into(), latest, marker)
}

fn versions_keep_history(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    let b1 = BlobId::from_random([1; 16]);
    block(m.put_object(
        version("k", "v1", false, Location::Blob(b1.clone())),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert!(
        put_version(m, "k", "v2", false).is_empty(),
        "the old version keeps its blob"
    );
    assert_eq!(m.referenced_blobs().unwrap(), HashSet::from([b1.clone()]));
    assert_eq!(m.current("b", "k").unwrap().unwrap().version_id, "v2");
    assert_eq!(m.object("b", "k", "v1").unwrap().unwrap().etag, "e-v1");
    let only = m.list_objects("b", "", "", true, 10).unwrap();
    assert_eq!((only.len(), only[0].etag.as_str()), (1, "e-v2"));
    // A delete marker hides the key from listings, not from the version listing.
    put_version(m, "k", "m1", true);
    let cur = m.current("b", "k").unwrap().unwrap();
    assert!(cur.delete_marker && cur.version_id == "m1");
    assert!(m.list_objects("b", "", "", true, 10).unwrap().is_empty());
    assert_eq!(
        listed(m.list_versions("b", "", "", true, None, 10).unwrap()),
        [
            row("k", "m1", true, true),
            row("k", "v2", false, false),
            row("k", "v1", false, false)
        ]
    );
    assert!(
        !m.bucket_is_empty("b").unwrap(),
        "versions and markers keep a bucket"
    );
    // Removing the current version (the marker) makes the newest remaining one current.
    block(m.delete_object("b", "k", "m1", Precondition::None, None, Removal::default())).unwrap();
    assert_eq!(m.current("b", "k").unwrap().unwrap().version_id, "v2");
    assert_eq!(keys(m.list_objects("b", "", "", true, 10).unwrap()), ["k"]);
    // Removing a noncurrent version frees its blobs and leaves the current one alone.
    assert_eq!(
        block(m.delete_object("b", "k", "v1", Precondition::None, None, Removal::default()))
            .unwrap(),
        vec![b1]
    );
    assert_eq!(m.current("b", "k").unwrap().unwrap().version_id, "v2");
    // The null version is replaced in place, wherever it is in the history, and becomes current.
    put_version(m, "k", "null", false);
    put_version(m, "k", "v3", false);
    let nb = BlobId::from_random([2; 16]);
    block(m.put_object(
        version("k", "null", false, Location::Blob(nb.clone())),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert_eq!(
        listed(m.list_versions("b", "", "", true, None, 10).unwrap()),
        [
            row("k", "null", true, false),
            row("k", "v3", false, false),
            row("k", "v2", false, false)
        ]
    );
    let freed = block(m.put_object(
        version("k", "null", true, Location::Inline(vec![])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert_eq!(
        freed,
        vec![nb],
        "a null delete marker replaces the null version"
    );
    // Replacing the null version while it is current keeps it above every other version.
    put_version(m, "k2", "w1", false);
    put_version(m, "k2", "null", false);
    put_version(m, "k2", "null", false);
    assert_eq!(
        listed(m.list_versions("b", "k2", "", true, None, 10).unwrap()),
        [
            row("k2", "null", true, false),
            row("k2", "w1", false, false)
        ]
    );
    put_version(m, "k2", "w2", false);
    assert_eq!(m.current("b", "k2").unwrap().unwrap().version_id, "w2");
    for v in ["w1", "w2", "null"] {
        block(m.delete_object("b", "k2", v, Precondition::None, None, Removal::default())).unwrap();
    }
    // Tags of a noncurrent version change in place.
    let v2 = m.object("b", "k", "v2").unwrap().unwrap();
    assert!(block(m.update_object_meta("b", "k", "v2", v2.mac, b"t".to_vec(), vec![7])).unwrap());
    assert_eq!(m.object("b", "k", "v2").unwrap().unwrap().meta, b"t");
    assert!(m.current("b", "k").unwrap().unwrap().delete_marker);
    for v in ["null", "v3", "v2"] {
        block(m.delete_object("b", "k", v, Precondition::None, None, Removal::default())).unwrap();
    }
    assert!(m.current("b", "k").unwrap().is_none());
    assert!(m.bucket_is_empty("b").unwrap());
    assert!(m.referenced_blobs().unwrap().is_empty());
}

fn version_listing_resumes_anywhere(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    bucket(m, "c");
    for (k, v, marker) in [
        ("a", "a1", false),
        ("a", "a2", false),
        ("a/x", "x1", false),
        ("b", "b1", false),
        ("b", "b2", true),
        ("b", "b3", false),
        ("c", "c1", true),
    ] {
        put_version(m, k, v, marker);
    }
    block(m.put_object(
        obj("c", "a", Location::Inline(vec![])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    let all = listed(m.list_versions("b", "", "", true, None, 100).unwrap());
    assert_eq!(
        all,
        [
            row("a", "a2", true, false),
            row("a", "a1", false, false),
            row("a/x", "x1", true, false),
            row("b", "b3", true, false),
            row("b", "b2", false, true),
            row("b", "b1", false, false),
            row("c", "c1", true, true),
        ]
    );
    // Paging by (key, version) markers, any page size, gives the same list.
    for page in 1..=4 {
        let mut got = Vec::new();
        let mut cursor: Option<(String, String)> = None;
        loop {
            let batch = match &cursor {
                None => m.list_versions("b", "", "", true, None, page).unwrap(),
                Some((k, v)) => m.list_versions("b", "", k, false, Some(v), page).unwrap(),
            };
            let Some(last) = batch.last() else { break };
            cursor = Some((last.key.clone(), last.version_id.clone()));
            got.extend(listed(batch));
        }
        assert_eq!(got, all, "page size {page}");
    }
    assert_eq!(
        listed(m.list_versions("b", "a/", "", true, None, 100).unwrap()),
        [row("a/x", "x1", true, false)]
    );
    assert_eq!(
        listed(m.list_versions("b", "", "a", false, None, 2).unwrap()),
        [row("a/x", "x1", true, false), row("b", "b3", true, false)],
        "a key marker alone resumes after every version of the key"
    );
    assert_eq!(
        listed(
            m.list_versions("b", "", "b", false, Some("nope"), 100)
                .unwrap()
        ),
        [row("c", "c1", true, true)],
        "an unknown version marker resumes after its key"
    );
    assert_eq!(
        listed(m.list_versions("b", "", "a0", true, None, 1).unwrap()),
        [row("b", "b3", true, false)]
    );
    assert_eq!(
        m.list_versions("c", "", "", true, None, 100).unwrap().len(),
        1
    );
}

fn versions_and_preconditions(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    put_version(m, "k", "v1", false);
    put_version(m, "k", "m1", true);
    // Judged against the current version: a delete marker is no object.
    let put = |v: &str, p: Precondition| {
        block(m.put_object(
            version("k", v, false, Location::Inline(vec![])),
            Vec::new(),
            p,
        ))
    };
    assert!(matches!(
        put("v2", Precondition::EtagIs("e-v1".into())),
        Err(StoreError::Precondition(Unmet::Missing))
    ));
    put("v2", Precondition::Absent).unwrap();
    assert!(matches!(
        put("v3", Precondition::Absent),
        Err(StoreError::Precondition(Unmet::Exists))
    ));
    put("v3", Precondition::EtagIs("e-v2".into())).unwrap();
    // A delete of one version is judged against that version.
    assert!(matches!(
        block(m.delete_object(
            "b",
            "k",
            "v1",
            Precondition::EtagIs("e-v3".into()),
            None,
            Removal::default()
        )),
        Err(StoreError::Precondition(Unmet::EtagDiffers))
    ));
    block(m.delete_object(
        "b",
        "k",
        "v1",
        Precondition::EtagIs("e-v1".into()),
        None,
        Removal::default(),
    ))
    .unwrap();
    assert_eq!(
        listed(m.list_versions("b", "", "", true, None, 10).unwrap()),
        [
            row("k", "v3", true, false),
            row("k", "v2", false, false),
            row("k", "m1", false, true)
        ]
    );
}

/// Writes decided on a bucket config commit only while it holds what was read.
fn config_guards(s: &Subject) {
    use crate::ConfigGuard;
    let m = &*s.meta;
    bucket(m, "b");
    put_version(m, "k", "v1", false);
    put_version(m, "k", "v2", false);
    let guard = |v: Option<&[u8]>| {
        Some(ConfigGuard {
            name: "versioning".into(),
            value: v.map(<[u8]>::to_vec),
        })
    };
    block(m.swap_bucket_config("b", "versioning", None, Some(b"A".to_vec()))).unwrap();
    assert!(matches!(
        block(m.swap_bucket_config("b", "versioning", None, Some(b"B".to_vec()))),
        Err(StoreError::Changed("bucket config"))
    ));
    assert_eq!(
        m.bucket_config("b", "versioning").unwrap(),
        Some(b"A".to_vec())
    );
    block(m.swap_bucket_config("b", "versioning", Some(b"A".to_vec()), Some(b"B".to_vec())))
        .unwrap();
    assert!(matches!(
        block(m.swap_bucket_config("nope", "versioning", None, None)),
        Err(StoreError::NoSuchBucket(_))
    ));
    // A version delete decided when the config said A: refused now that it says B.
    assert!(matches!(
        block(m.delete_object(
            "b",
            "k",
            "v1",
            Precondition::None,
            guard(Some(b"A")),
            Removal::default()
        )),
        Err(StoreError::Changed("bucket config"))
    ));
    assert!(
        m.object("b", "k", "v1").unwrap().is_some(),
        "nothing deleted"
    );
    assert!(matches!(
        block(m.delete_object(
            "b",
            "k",
            "v1",
            Precondition::None,
            guard(None),
            Removal::default()
        )),
        Err(StoreError::Changed("bucket config"))
    ));
    block(m.delete_object(
        "b",
        "k",
        "v1",
        Precondition::None,
        guard(Some(b"B")),
        Removal::default(),
    ))
    .unwrap();
    assert!(m.object("b", "k", "v1").unwrap().is_none());
    block(m.swap_bucket_config("b", "versioning", Some(b"B".to_vec()), None)).unwrap();
    block(m.delete_object(
        "b",
        "k",
        "v2",
        Precondition::None,
        guard(None),
        Removal::default(),
    ))
    .unwrap();
}

/// Object Lock is the store's to enforce: no delete or replacement removes a locked version.
fn locked_versions_stay(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    let locked = |v: &str, lock: ObjectLock| {
        let mut o = version("k", v, false, Location::Inline(vec![1]));
        o.lock = lock;
        block(m.put_object(o, Vec::new(), Precondition::None)).unwrap();
    };
    let at = |now_ms: i64, bypass_governance: bool| Removal {
        now_ms,
        bypass_governance,
    };
    let del =
        |v: &str, r: Removal| block(m.delete_object("b", "k", v, Precondition::None, None, r));
    let retained = |mode, until| ObjectLock {
        retention: Some((mode, until)),
        legal_hold: false,
    };
    locked("c", retained(RetentionMode::Compliance, 1000));
    locked("g", retained(RetentionMode::Governance, 1000));
    locked(
        "h",
        ObjectLock {
            retention: None,
            legal_hold: true,
        },
    );
    assert_eq!(
        m.object("b", "k", "c").unwrap().unwrap().lock,
        retained(RetentionMode::Compliance, 1000)
    );
    for (v, r, why) in [
        ("c", at(999, false), Locked::Compliance),
        ("c", at(999, true), Locked::Compliance),
        ("g", at(999, false), Locked::Governance),
        ("g", Removal::default(), Locked::Governance),
        ("h", at(i64::MAX, true), Locked::LegalHold),
    ] {
        assert!(
            matches!(del(v, r), Err(StoreError::Locked(w)) if w == why),
            "{v} at {r:?}"
        );
    }
    assert_eq!(
        m.list_versions("b", "", "", true, None, 10).unwrap().len(),
        3,
        "nothing went"
    );
    // A delete marker on top is no removal.
    put_version(m, "k", "m", true);
    // Governance yields to the bypass, compliance to the date only.
    del("g", at(999, true)).unwrap();
    del("c", at(1000, false)).unwrap();
    assert!(m.object("b", "k", "c").unwrap().is_none());
    // A locked null version is not replaced by a write before its date.
    let mut null = version("n", "null", false, Location::Inline(vec![1]));
    null.lock = retained(RetentionMode::Governance, 5000);
    block(m.put_object(null, Vec::new(), Precondition::None)).unwrap();
    let mut over = version("n", "null", false, Location::Inline(vec![2]));
    over.last_modified_ms = 4999;
    assert!(matches!(
        block(m.put_object(over.clone(), Vec::new(), Precondition::None)),
        Err(StoreError::Locked(Locked::Governance))
    ));
    over.last_modified_ms = 5000;
    block(m.put_object(over, Vec::new(), Precondition::None)).unwrap();
    // Legal hold released (a new record without it): removable.
    let mut h = m.object("b", "k", "h").unwrap().unwrap();
    h.lock = ObjectLock::default();
    let mac = h.mac.clone();
    assert!(block(m.update_object_meta("b", "k", "h", mac, h.meta.clone(), vec![9])).unwrap());
    assert!(
        matches!(
            del("h", at(0, false)),
            Err(StoreError::Locked(Locked::LegalHold))
        ),
        "meta updates keep the lock"
    );
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
