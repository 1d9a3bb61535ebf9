//! Model-based tests of listings, of objects and of versions: random puts and deletes (and,
//! for versions, deletes by id and versioning toggles) on a small alphabet (so keys share
//! prefixes and delimiters often), then every page of a random listing (prefix, delimiter,
//! start-after, page size) compared with the same listing computed from a `BTreeMap`. Runs
//! on the in-memory store and on the embedded one.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use coffer_clock::SystemClock;
use coffer_crypto::DataKey;
use coffer_s3::{Integrity, ListQuery, ObjectMeta, PutRequest, S3Core};
use coffer_store::Storage;
use proptest::prelude::*;
use zeroize::Zeroizing;

const BUCKET: &str = "bkt";

/// One entry of a listing page: a key or a common prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Entry {
    Key(String),
    Prefix(String),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Key(k) | Entry::Prefix(k) => k,
        }
    }
}

#[derive(Debug, Clone)]
enum Change {
    Put(String),
    Delete(String),
}

#[derive(Debug, Clone)]
struct Listing {
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
    page: usize,
}

fn word(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![Just("a"), Just("b"), Just("/"), Just("é")],
        0..=max,
    )
    .prop_map(|parts| parts.concat())
}

fn key() -> impl Strategy<Value = String> {
    word(5).prop_filter("keys are not empty", |k| !k.is_empty())
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => key().prop_map(Change::Put),
        1 => key().prop_map(Change::Delete),
    ]
}

fn listing() -> impl Strategy<Value = Listing> {
    (
        word(2),
        proptest::option::of(prop_oneof![Just("/"), Just("b"), Just("a/")]),
        proptest::option::of(word(3)),
        1usize..6,
    )
        .prop_map(|(prefix, delimiter, start_after, page)| Listing {
            prefix,
            delimiter: delimiter.map(str::to_owned),
            start_after,
            page,
        })
}

/// The listing as S3 defines it, from the model: keys under the prefix after the marker,
/// those with the delimiter past the prefix folded into one common prefix each. A marker
/// that is itself a common prefix of this listing skips everything under it.
fn expected(model: &BTreeMap<String, ()>, l: &Listing) -> Vec<Entry> {
    let d = l.delimiter.as_deref();
    let as_prefix = |key: &str| -> Option<String> {
        let rest = key.strip_prefix(l.prefix.as_str())?;
        let pos = rest.find(d?)?;
        Some(key[..l.prefix.len() + pos + d?.len()].to_owned())
    };
    let after = l.start_after.as_deref();
    let marker_is_prefix = after.is_some_and(|a| as_prefix(a).as_deref() == Some(a));
    let mut out: Vec<Entry> = Vec::new();
    for key in model.keys() {
        if !key.starts_with(&l.prefix) {
            continue;
        }
        if let Some(a) = after
            && (key.as_str() <= a || (marker_is_prefix && key.starts_with(a)))
        {
            continue;
        }
        let entry = match as_prefix(key) {
            Some(cp) => Entry::Prefix(cp),
            None => Entry::Key(key.clone()),
        };
        if out.last() != Some(&entry) {
            out.push(entry);
        }
    }
    out
}

/// Every page of the listing, following `next_after` as a client follows markers.
fn listed(core: &S3Core, l: &Listing) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut after = l.start_after.clone();
    loop {
        let q = ListQuery {
            prefix: l.prefix.clone(),
            delimiter: l.delimiter.clone(),
            after: after.clone(),
            max_keys: l.page,
        };
        let page = core.list_objects(BUCKET, &q).unwrap();
        let mut entries: Vec<Entry> = page
            .objects
            .iter()
            .map(|o| Entry::Key(o.key.clone()))
            .chain(page.common_prefixes.iter().cloned().map(Entry::Prefix))
            .collect();
        entries.sort_by(|a, b| a.name().cmp(b.name()));
        assert!(entries.len() <= l.page, "page over max-keys");
        out.extend(entries);
        if !page.is_truncated {
            return out;
        }
        assert_eq!(
            page.next_after.as_deref(),
            out.last().map(Entry::name),
            "the marker is the last entry"
        );
        after = page.next_after;
    }
}

async fn apply(core: &S3Core, model: &mut BTreeMap<String, ()>, changes: &[Change]) {
    for c in changes {
        match c {
            Change::Put(key) => {
                core.put_object(PutRequest {
                    bucket: BUCKET.into(),
                    key: key.clone(),
                    meta: ObjectMeta::default(),
                    body: common::chunked(b"x", 1),
                    integrity: Integrity::default(),
                    encryption: None,
                    precondition: Default::default(),
                    acl: None,
                    lock: Default::default(),
                })
                .await
                .unwrap();
                model.insert(key.clone(), ());
            }
            Change::Delete(key) => {
                core.delete_object(
                    BUCKET,
                    key,
                    Default::default(),
                    Default::default(),
                    Default::default(),
                )
                .await
                .unwrap();
                model.remove(key);
            }
        }
    }
}

/// Runs `body` on a fresh domain over `storage` with the bucket made.
fn with_bucket<F: std::future::Future<Output = ()>>(
    storage: Storage,
    body: impl FnOnce(S3Core) -> F,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let key = DataKey::from_bytes(Zeroizing::new([3u8; 32]));
        let core = S3Core::open(storage, &key, Arc::new(SystemClock))
            .await
            .unwrap();
        common::create_bucket(&core, BUCKET).await.unwrap();
        body(core).await;
    });
}

fn check(storage: Storage, changes: &[Change], listings: &[Listing]) {
    with_bucket(storage, |core| async move {
        let mut model = BTreeMap::new();
        apply(&core, &mut model, changes).await;
        for l in listings {
            assert_eq!(listed(&core, l), expected(&model, l), "{l:?}");
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn listings_match_the_model_in_memory(
        changes in proptest::collection::vec(change(), 0..40),
        listings in proptest::collection::vec(listing(), 1..8),
    ) {
        check(Storage::in_memory(), &changes, &listings);
    }

    #[test]
    fn listings_match_the_model_embedded(
        changes in proptest::collection::vec(change(), 0..40),
        listings in proptest::collection::vec(listing(), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        check(Storage::embedded(dir.path()).unwrap(), &changes, &listings);
    }
}

// ---- versions ----------------------------------------------------------------------

#[derive(Debug, Clone)]
enum VChange {
    Put(String),
    /// A delete without a version id: a delete marker.
    Delete(String),
    /// Deletes the version at this position (mod the key's count) for good.
    DeleteVersion(String, usize),
    /// Enabled (true) or Suspended (false).
    Versioning(bool),
}

fn vchange() -> impl Strategy<Value = VChange> {
    prop_oneof![
        4 => key().prop_map(VChange::Put),
        2 => key().prop_map(VChange::Delete),
        1 => (key(), 0usize..4).prop_map(|(k, i)| VChange::DeleteVersion(k, i)),
        1 => any::<bool>().prop_map(VChange::Versioning),
    ]
}

/// The model: each key's versions, newest first, as (version id, delete marker).
type VModel = BTreeMap<String, Vec<(String, bool)>>;

/// A new current version `id` of `key`: one with the same id (the null version) is replaced.
fn model_add(model: &mut VModel, key: &str, id: String, marker: bool) {
    let versions = model.entry(key.to_owned()).or_default();
    versions.retain(|(v, _)| *v != id);
    versions.insert(0, (id, marker));
}

async fn vapply(core: &S3Core, model: &mut VModel, changes: &[VChange]) {
    use coffer_s3::{VersionSelector, VersioningState};
    for c in changes {
        match c {
            VChange::Put(key) => {
                let r = core
                    .put_object(PutRequest {
                        bucket: BUCKET.into(),
                        key: key.clone(),
                        meta: ObjectMeta::default(),
                        body: common::chunked(b"x", 1),
                        integrity: Integrity::default(),
                        encryption: None,
                        precondition: Default::default(),
                        acl: None,
                        lock: Default::default(),
                    })
                    .await
                    .unwrap();
                model_add(model, key, r.version_id.unwrap().into_string(), false);
            }
            VChange::Delete(key) => {
                let r = core
                    .delete_object(
                        BUCKET,
                        key,
                        VersionSelector::Current,
                        Default::default(),
                        Default::default(),
                    )
                    .await
                    .unwrap();
                assert!(r.delete_marker);
                model_add(model, key, r.version_id.unwrap().into_string(), true);
            }
            VChange::DeleteVersion(key, i) => {
                let Some(versions) = model.get_mut(key) else {
                    continue;
                };
                let (id, _) = versions.remove(i % versions.len());
                if versions.is_empty() {
                    model.remove(key);
                }
                core.delete_object(
                    BUCKET,
                    key,
                    VersionSelector::Id(&coffer_s3::VersionId::parse(&id).unwrap()),
                    Default::default(),
                    Default::default(),
                )
                .await
                .unwrap();
            }
            VChange::Versioning(on) => {
                let state = if *on {
                    VersioningState::Enabled
                } else {
                    VersioningState::Suspended
                };
                core.set_versioning(BUCKET, state, None, Default::default())
                    .await
                    .unwrap();
            }
        }
    }
}

/// One entry of a version listing: (key, version id, latest, marker), or a common prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum VEntry {
    Version(String, String, bool, bool),
    Prefix(String),
}

fn vexpected(model: &VModel, l: &Listing) -> Vec<VEntry> {
    let d = l.delimiter.as_deref();
    let mut out: Vec<VEntry> = Vec::new();
    for (key, versions) in model {
        let Some(rest) = key.strip_prefix(l.prefix.as_str()) else {
            continue;
        };
        if let Some(d) = d
            && let Some(pos) = rest.find(d)
        {
            let cp = VEntry::Prefix(key[..l.prefix.len() + pos + d.len()].to_owned());
            if out.last() != Some(&cp) {
                out.push(cp);
            }
            continue;
        }
        for (i, (id, marker)) in versions.iter().enumerate() {
            out.push(VEntry::Version(key.clone(), id.clone(), i == 0, *marker));
        }
    }
    out
}

fn vlisted(core: &S3Core, l: &Listing) -> Vec<VEntry> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let q = coffer_s3::VersionQuery {
            prefix: l.prefix.clone(),
            delimiter: l.delimiter.clone(),
            key_marker: key_marker.clone(),
            version_marker: version_marker.clone(),
            max_keys: l.page,
        };
        let page = core.list_versions(BUCKET, &q).unwrap();
        assert!(page.versions.len() + page.common_prefixes.len() <= l.page);
        let mut entries: Vec<(String, usize, VEntry)> = page
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let e = VEntry::Version(
                    v.key.clone(),
                    v.version_id.clone(),
                    v.is_latest,
                    v.delete_marker,
                );
                (v.key.clone(), i, e)
            })
            .chain(
                page.common_prefixes
                    .iter()
                    .map(|p| (p.clone(), 0, VEntry::Prefix(p.clone()))),
            )
            .collect();
        entries.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        out.extend(entries.into_iter().map(|(_, _, e)| e));
        if !page.is_truncated {
            return out;
        }
        key_marker = page.next_key_marker;
        version_marker = page.next_version_marker;
    }
}

fn vcheck(storage: Storage, changes: &[VChange], listings: &[Listing]) {
    with_bucket(storage, |core| async move {
        core.set_versioning(
            BUCKET,
            coffer_s3::VersioningState::Enabled,
            None,
            Default::default(),
        )
        .await
        .unwrap();
        let mut model = VModel::new();
        vapply(&core, &mut model, changes).await;
        for l in listings {
            assert_eq!(vlisted(&core, l), vexpected(&model, l), "{l:?}");
        }
        // The plain listing shows each key whose current version is not a delete marker.
        let plain = Listing {
            prefix: String::new(),
            delimiter: None,
            start_after: None,
            page: 1000,
        };
        let current: BTreeMap<String, ()> = model
            .iter()
            .filter(|(_, v)| !v[0].1)
            .map(|(k, _)| (k.clone(), ()))
            .collect();
        assert_eq!(listed(&core, &plain), expected(&current, &plain));
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn version_listings_match_the_model_in_memory(
        changes in proptest::collection::vec(vchange(), 0..40),
        listings in proptest::collection::vec(listing(), 1..6),
    ) {
        vcheck(Storage::in_memory(), &changes, &listings);
    }

    #[test]
    fn version_listings_match_the_model_embedded(
        changes in proptest::collection::vec(vchange(), 0..40),
        listings in proptest::collection::vec(listing(), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        vcheck(Storage::embedded(dir.path()).unwrap(), &changes, &listings);
    }
}
