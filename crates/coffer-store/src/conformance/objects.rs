//! Conformance cases: objects, listings, uploads and parts, configs, the kv space, tags.

use super::*;

pub(super) fn objects_lifecycle_and_listing(s: &Subject) {
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
pub(super) fn listing_bounds(s: &Subject) {
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

pub(super) fn failing_write_does_not_poison_batch(s: &Subject) {
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

pub(super) fn multipart_moves_blobs(s: &Subject) {
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

pub(super) fn uploads_and_parts_are_listed_in_order(s: &Subject) {
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

pub(super) fn deleting_a_bucket_frees_its_uploads(s: &Subject) {
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

pub(super) fn settings_and_bucket_configs(s: &Subject) {
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

pub(super) fn kv_batches_are_atomic(s: &Subject) {
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

pub(super) fn metadata_updates_apply_only_to_the_record_that_was_read(s: &Subject) {
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

pub(super) fn preconditions_are_checked_in_the_write(s: &Subject) {
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

pub(super) fn tags_fill_untagged_records_once(s: &Subject) {
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
