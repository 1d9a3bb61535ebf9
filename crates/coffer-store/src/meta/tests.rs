use super::*;
use crate::Authenticated as _;
use crate::{PartRecord, Unmet, UploadRecord};

fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn obj(bucket: &str, key: &str, seg: Location) -> ObjectRecord {
    ObjectRecord {
        bucket: bucket.into(),
        key: key.into(),
        version_id: "null".into(),
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

#[test]
fn objects_lifecycle_and_listing() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    let b = BucketRecord {
        name: "b".into(),
        owner: "1".into(),
        region: "r".into(),
        created_ms: 0,
    };
    block(m.create_bucket(b.clone(), Vec::new())).unwrap();
    assert!(matches!(
        block(m.create_bucket(b, Vec::new())),
        Err(StoreError::BucketExists(_))
    ));
    let blob = BlobId::from_random([9; 16]);
    for k in ["a/1", "a/2", "b", "c/x/y"] {
        block(m.put_object(
            obj("b", k, Location::Inline(vec![1])),
            Vec::new(),
            Precondition::None,
        ))
        .unwrap();
    }
    let freed = block(m.put_object(
        obj("b", "b", Location::Blob(blob.clone())),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
    assert!(freed.is_empty());
    assert_eq!(m.referenced_blobs().unwrap(), HashSet::from([blob.clone()]));
    let keys = |v: Vec<ObjectSummary>| v.into_iter().map(|s| s.key).collect::<Vec<_>>();
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
        block(m.delete_object("b", k, "null", Precondition::None)).unwrap();
    }
    block(m.delete_bucket("b")).unwrap();
    assert!(m.bucket("b").unwrap().is_none());
}

#[test]
fn failing_write_does_not_poison_batch() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    let futs: Vec<_> = (0..50)
        .map(|i| {
            let name = if i % 2 == 0 {
                "same".to_owned()
            } else {
                format!("b{i}")
            };
            m.create_bucket(
                BucketRecord {
                    name,
                    owner: "1".into(),
                    region: "r".into(),
                    created_ms: 0,
                },
                Vec::new(),
            )
        })
        .collect();
    let results: Vec<_> = futs.into_iter().map(block).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 26);
    assert_eq!(m.list_buckets().unwrap().len(), 26);
}

#[test]
fn multipart_moves_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    block(m.create_bucket(
        BucketRecord {
            name: "b".into(),
            owner: "1".into(),
            region: "r".into(),
            created_ms: 0,
        },
        Vec::new(),
    ))
    .unwrap();
    let up = UploadRecord {
        upload_id: "u".into(),
        bucket: "b".into(),
        key: "k".into(),
        initiated_ms: 0,
        meta: vec![],
        mac: vec![],
    };
    block(m.create_upload(up)).unwrap();
    let ids: Vec<BlobId> = (0..3u8).map(|i| BlobId::from_random([i; 16])).collect();
    for (n, id) in ids.iter().enumerate() {
        let seg = Segment {
            plain_len: 1,
            location: Location::Blob(id.clone()),
            sealing: vec![],
        };
        let part = PartRecord {
            upload_id: "u".into(),
            part_number: n as u32 + 1,
            size: 1,
            etag: "e".into(),
            last_modified_ms: 0,
            meta: vec![],
            segment: seg,
            mac: vec![n as u8],
        };
        block(m.put_part(part, Vec::new())).unwrap();
    }
    assert_eq!(m.parts("u", 1, 10).unwrap().len(), 2);
    let mut o = obj("b", "k", Location::Blob(ids[0].clone()));
    o.segments.push(Segment {
        plain_len: 1,
        location: Location::Blob(ids[2].clone()),
        sealing: vec![],
    });
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
    let freed =
        block(m.complete_upload("u", o, vec![(1, vec![0]), (3, vec![2])], Precondition::None))
            .unwrap();
    assert_eq!(freed, vec![ids[1].clone()]);
    assert_eq!(
        m.referenced_blobs().unwrap(),
        HashSet::from([ids[0].clone(), ids[2].clone()])
    );
    assert!(m.upload("u").unwrap().is_none());
    assert!(matches!(
        block(m.abort_upload("u")),
        Err(StoreError::NoSuchUpload(_))
    ));
}

#[test]
fn kv_batches_are_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    let create = |k: &str| KvOp::Create {
        ns: "iam".into(),
        key: k.into(),
        value: k.as_bytes().to_vec(),
    };
    block(m.kv_apply(vec![create("u/a"), create("u/b"), create("v/c")])).unwrap();
    assert!(matches!(
        block(m.kv_apply(vec![create("u/z"), create("u/a")])),
        Err(StoreError::KvConflict(_))
    ));
    assert!(
        m.kv_get("iam", "u/z").unwrap().is_none(),
        "the failed batch left nothing"
    );
    let keys: Vec<String> = m
        .kv_list("iam", "u/")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["u/a", "u/b"]);
    let del = KvOp::Delete {
        ns: "iam".into(),
        key: "nope".into(),
    };
    assert!(matches!(
        block(m.kv_apply(vec![del])),
        Err(StoreError::KvMissing(_))
    ));
}

#[test]
fn successor() {
    assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
    assert_eq!(prefix_successor(""), None);
    assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
    assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
}

fn bucket(m: &MetaStore, name: &str) {
    block(m.create_bucket(
        BucketRecord {
            name: name.into(),
            owner: "1".into(),
            region: "r".into(),
            created_ms: 0,
        },
        Vec::new(),
    ))
    .unwrap();
}

/// A blob durable on disk whose record could not commit.
fn pending(blobs: &crate::BlobStore, n: u8) -> (BlobId, PendingBlob) {
    use std::io::Write as _;
    let id = BlobId::from_random([n; 16]);
    let mut f = blobs.create(&id).unwrap();
    f.write_all(b"sealed").unwrap();
    let p = blobs.commit(&id, f).unwrap();
    (id, p)
}

#[test]
fn blobs_of_writes_that_fail_are_removed_and_of_writes_that_commit_kept() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    let blobs = crate::BlobStore::open(&dir.path().join("objects")).unwrap();
    bucket(&m, "b");
    let (kept, p) = pending(&blobs, 1);
    block(m.put_object(
        obj("b", "k", Location::Blob(kept.clone())),
        vec![p],
        Precondition::None,
    ))
    .unwrap();
    assert!(blobs.open_blob(&kept).is_ok());
    // Into a bucket that does not exist: the write fails and its blob goes with it.
    let (gone, p) = pending(&blobs, 2);
    assert!(matches!(
        block(m.put_object(
            obj("nope", "k", Location::Blob(gone.clone())),
            vec![p],
            Precondition::None
        )),
        Err(StoreError::NoSuchBucket(_))
    ));
    assert!(blobs.open_blob(&gone).is_err());
    // A part of an upload that is gone.
    let (part_blob, p) = pending(&blobs, 3);
    let part = PartRecord {
        upload_id: "missing".into(),
        part_number: 1,
        size: 1,
        etag: "e".into(),
        last_modified_ms: 0,
        meta: vec![],
        segment: Segment {
            plain_len: 1,
            location: Location::Blob(part_blob.clone()),
            sealing: vec![],
        },
        mac: vec![],
    };
    assert!(block(m.put_part(part, vec![p])).is_err());
    assert!(blobs.open_blob(&part_blob).is_err());
    // A caller that stops waiting does not stop the write deciding its blob's fate.
    let (abandoned, p) = pending(&blobs, 4);
    drop(m.put_object(
        obj("nope", "k", Location::Blob(abandoned.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![1])).unwrap();
    assert!(blobs.open_blob(&abandoned).is_err());
    let (kept2, p) = pending(&blobs, 5);
    drop(m.put_object(
        obj("b", "k2", Location::Blob(kept2.clone())),
        vec![p],
        Precondition::None,
    ));
    block(m.put_setting("flush", vec![2])).unwrap();
    assert!(blobs.open_blob(&kept2).is_ok());
    assert!(m.object("b", "k2", "null").unwrap().is_some());
}

#[test]
fn metadata_updates_apply_only_to_the_record_that_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    bucket(&m, "b");
    block(m.put_object(
        obj("b", "k", Location::Inline(vec![1])),
        Vec::new(),
        Precondition::None,
    ))
    .unwrap();
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

#[test]
fn older_directories_get_tag_columns_and_untagged_records_their_tags_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.sqlite");
    {
        // The schema before records were authenticated.
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE objects (bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
                size INTEGER NOT NULL, etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL,
                meta BLOB NOT NULL, segments BLOB NOT NULL, PRIMARY KEY (bucket, key, version_id));
             CREATE TABLE uploads (upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL,
                initiated_ms INTEGER NOT NULL, meta BLOB NOT NULL);
             CREATE TABLE parts (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL,
                etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL, meta BLOB NOT NULL,
                segment BLOB NOT NULL, PRIMARY KEY (upload_id, part_number));",
        )
        .unwrap();
        let segs = encode_segments(&obj("b", "k", Location::Inline(vec![1])).segments);
        c.execute(
            "INSERT INTO objects VALUES ('b', 'k', 'null', 3, 'e', 1, x'7b7d', ?1)",
            [segs],
        )
        .unwrap();
    }
    let m = MetaStore::open(&path).unwrap();
    let before = m.object("b", "k", "null").unwrap().unwrap();
    assert!(before.mac.is_empty());
    let n = block(m.tag_untagged(|kind, bytes| {
        let mut t = kind.to_vec();
        t.extend_from_slice(&bytes[..4]);
        t
    }))
    .unwrap();
    assert_eq!(n, 1);
    let after = m.object("b", "k", "null").unwrap().unwrap();
    assert!(after.mac.starts_with(ObjectRecord::AUTH_KIND));
    assert_eq!(block(m.tag_untagged(|_, _| vec![1])).unwrap(), 0);
}

#[test]
fn authenticated_bytes_cover_every_field() {
    let base = obj("b", "k", Location::Inline(vec![1, 2, 3]));
    let bytes = base.authenticated_bytes();
    let mut variants = Vec::new();
    let mut v = base.clone();
    v.bucket = "c".into();
    variants.push(v);
    let mut v = base.clone();
    v.key = "kk".into();
    variants.push(v);
    let mut v = base.clone();
    v.version_id = "v".into();
    variants.push(v);
    let mut v = base.clone();
    v.size = 2;
    variants.push(v);
    let mut v = base.clone();
    v.etag = "f".into();
    variants.push(v);
    let mut v = base.clone();
    v.last_modified_ms = 2;
    variants.push(v);
    let mut v = base.clone();
    v.meta = b"{ }".to_vec();
    variants.push(v);
    let mut v = base.clone();
    v.segments[0].plain_len = 4;
    variants.push(v);
    let mut v = base.clone();
    v.segments[0].sealing = vec![2];
    variants.push(v);
    let mut v = base.clone();
    v.segments[0].location = Location::Blob(BlobId::from_random([1; 16]));
    variants.push(v);
    let mut v = base.clone();
    v.segments.push(v.segments[0].clone());
    variants.push(v);
    // Field boundaries are length-prefixed: moving a byte between fields changes the bytes.
    let mut v = base.clone();
    v.bucket = "bk".into();
    v.key = String::new();
    variants.push(v);
    for v in variants {
        assert_ne!(v.authenticated_bytes(), bytes, "{v:?}");
    }
    let mut same = base.clone();
    same.mac = vec![1, 2, 3];
    assert_eq!(
        same.authenticated_bytes(),
        bytes,
        "the tag itself is not covered"
    );
}

#[test]
fn preconditions_are_checked_in_the_write() {
    let dir = tempfile::tempdir().unwrap();
    let m = MetaStore::open(&dir.path().join("m.sqlite")).unwrap();
    bucket(&m, "b");
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
    let del = |p: Precondition| block(m.delete_object("b", "k", "null", p));
    assert!(matches!(
        del(Precondition::EtagIs("x".into())),
        Err(StoreError::Precondition(Unmet::EtagDiffers))
    ));
    assert!(m.object("b", "k", "null").unwrap().is_some());
    del(Precondition::EtagIs("e".into())).unwrap();
    assert!(m.object("b", "k", "null").unwrap().is_none());
}
