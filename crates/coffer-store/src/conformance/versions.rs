//! Conformance cases: versions, delete markers, version listings, config guards, Object Lock.

use super::*;

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

pub(super) fn versions_keep_history(s: &Subject) {
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

pub(super) fn version_listing_resumes_anywhere(s: &Subject) {
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

pub(super) fn versions_and_preconditions(s: &Subject) {
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
pub(super) fn config_guards(s: &Subject) {
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
pub(super) fn locked_versions_stay(s: &Subject) {
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

/// A version's lock changes in place only as Object Lock allows, judged in the write itself:
/// retention is extended freely, shortened or removed only under governance with the bypass,
/// never under compliance before its date; legal holds come and go.
pub(super) fn lock_changes_are_judged(s: &Subject) {
    let m = &*s.meta;
    bucket(m, "b");
    let retained = |mode, until| ObjectLock {
        retention: Some((mode, until)),
        legal_hold: false,
    };
    let at = |now_ms: i64, bypass_governance: bool| Removal {
        now_ms,
        bypass_governance,
    };
    for v in ["c", "g"] {
        let mut o = version("k", v, false, Location::Inline(vec![1]));
        o.lock = if v == "c" {
            retained(RetentionMode::Compliance, 1000)
        } else {
            retained(RetentionMode::Governance, 1000)
        };
        block(m.put_object(o, Vec::new(), Precondition::None)).unwrap();
    }
    // Changes `v`'s lock to `lock` at `r`, from the record as now stored.
    let change = |v: &str, lock: ObjectLock, r: Removal| {
        let mut rec = m.object("b", "k", v).unwrap().unwrap();
        let read = rec.mac.clone();
        rec.mac.push(1);
        rec.lock = lock;
        block(m.update_object_lock(rec, read, r))
    };
    let refused = |v: &str, lock: ObjectLock, r: Removal, why: Locked| {
        assert!(
            matches!(change(v, lock, r), Err(StoreError::Locked(w)) if w == why),
            "{v} -> {lock:?} at {r:?}"
        );
    };
    use RetentionMode::{Compliance, Governance};
    refused(
        "c",
        retained(Compliance, 999),
        at(10, true),
        Locked::Compliance,
    );
    refused(
        "c",
        retained(Governance, 2000),
        at(10, true),
        Locked::Compliance,
    );
    refused("c", ObjectLock::default(), at(10, true), Locked::Compliance);
    refused(
        "g",
        retained(Governance, 999),
        at(10, false),
        Locked::Governance,
    );
    refused(
        "g",
        retained(Compliance, 2000),
        at(10, false),
        Locked::Governance,
    );
    refused(
        "g",
        ObjectLock::default(),
        at(10, false),
        Locked::Governance,
    );
    assert_eq!(
        m.object("b", "k", "c").unwrap().unwrap().lock,
        retained(Compliance, 1000),
        "a refused change writes nothing"
    );
    // Extending is always allowed; so is a legal hold, on and off.
    assert!(change("c", retained(Compliance, 3000), at(10, false)).unwrap());
    let held = ObjectLock {
        retention: Some((Compliance, 3000)),
        legal_hold: true,
    };
    assert!(change("c", held, at(10, false)).unwrap());
    let stored = m.object("b", "k", "c").unwrap().unwrap();
    assert_eq!(stored.lock, held);
    assert!(
        matches!(
            block(m.delete_object("b", "k", "c", Precondition::None, None, at(5000, true))),
            Err(StoreError::Locked(Locked::LegalHold))
        ),
        "the hold outlives the retention"
    );
    assert!(change("c", retained(Compliance, 3000), at(10, false)).unwrap());
    // Governance yields to the bypass; any retention yields to its date.
    assert!(change("g", ObjectLock::default(), at(10, true)).unwrap());
    assert!(change("c", ObjectLock::default(), at(3000, false)).unwrap());
    // The record that was read, or nothing: a stale tag is `Changed`, a gone version false.
    let rec = m.object("b", "k", "g").unwrap().unwrap();
    assert!(matches!(
        block(m.update_object_lock(rec.clone(), vec![0xee], at(0, false))),
        Err(StoreError::Changed(_))
    ));
    block(m.delete_object("b", "k", "g", Precondition::None, None, at(0, false))).unwrap();
    assert!(!block(m.update_object_lock(rec.clone(), rec.mac, at(0, false))).unwrap());
}
