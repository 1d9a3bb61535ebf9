use super::*;
use crate::Authenticated as _;
use crate::codec::encode_segments;
use crate::{Location, Segment};

fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn obj(bucket: &str, key: &str, seg: Location) -> ObjectRecord {
    ObjectRecord {
        bucket: bucket.into(),
        key: key.into(),
        version_id: "null".into(),
        delete_marker: false,
        lock: Default::default(),
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
fn successor() {
    assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
    assert_eq!(prefix_successor(""), None);
    assert_eq!(prefix_successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
    assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
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
    let m = SqliteMeta::open(&path).unwrap();
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
    let mut v = base.clone();
    v.delete_marker = true;
    variants.push(v);
    for lock in [
        crate::ObjectLock {
            retention: Some((crate::RetentionMode::Governance, 7)),
            legal_hold: false,
        },
        crate::ObjectLock {
            retention: Some((crate::RetentionMode::Compliance, 7)),
            legal_hold: false,
        },
        crate::ObjectLock {
            retention: None,
            legal_hold: true,
        },
    ] {
        let mut v = base.clone();
        v.lock = lock;
        variants.push(v);
    }
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
