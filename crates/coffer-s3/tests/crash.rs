//! Crash simulation (in the spirit of redb's crash-testing storage backend): the S3 domain
//! runs a workload on the in-memory stores while their shared power supply fails at step k,
//! for every k the workload has; then the domain is reopened on what a restart would find.
//! Every time: each acknowledged write is there with its bytes, the write that was in flight
//! is there whole or not at all, every listed object reads back, and after the start-up
//! sweep the blobs that exist are exactly the blobs records point at (no orphan, no
//! dangling reference).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use coffer_clock::SystemClock;
use coffer_crypto::DataKey;
use coffer_s3::{
    CompletedPart, CopyRequest, Integrity, ListQuery, MetadataDirective, ObjectMeta, PutRequest,
    S3Core, S3Error,
};
use coffer_store::memory::{MemoryBlobs, MemoryMeta, PowerSupply};
use coffer_store::{BlobStore, MetaStore as _, Storage};
use zeroize::Zeroizing;

const BUCKET: &str = "bkt";

fn root_key() -> DataKey {
    DataKey::from_bytes(Zeroizing::new([7u8; 32]))
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// One simulated machine: its stores share one power supply.
struct Machine {
    meta: Arc<MemoryMeta>,
    blobs: MemoryBlobs,
}

impl Machine {
    fn new(power: Arc<PowerSupply>) -> Self {
        Self {
            meta: Arc::new(MemoryMeta::new(power.clone())),
            blobs: MemoryBlobs::new(power),
        }
    }

    /// What the machine finds when it comes back, with the power on for good.
    fn restarted(&self) -> Self {
        Self {
            meta: Arc::new(self.meta.after_crash(PowerSupply::unlimited())),
            blobs: self.blobs.after_crash(PowerSupply::unlimited()),
        }
    }

    /// Restarts and opens the domain (which sweeps): what exists must be exactly what is
    /// referenced.
    async fn restart_checked(&self, k: u64) -> (Machine, S3Core) {
        let machine = self.restarted();
        let core = machine.open().await.unwrap();
        assert_eq!(
            machine.blobs.durable_ids(),
            machine.meta.referenced_blobs().unwrap(),
            "crash at step {k}: orphaned or dangling blobs"
        );
        (machine, core)
    }

    async fn open(&self) -> Result<S3Core, S3Error> {
        self.open_at(Arc::new(SystemClock)).await
    }

    async fn open_at(&self, clock: coffer_clock::SharedClock) -> Result<S3Core, S3Error> {
        let storage = Storage {
            meta: self.meta.clone(),
            blobs: BlobStore::new(Arc::new(self.blobs.clone())),
        };
        S3Core::open(storage, &root_key(), clock).await
    }
}

/// What a key holds: `None` is absent.
type Contents = Option<Vec<u8>>;

/// The workload's writes.
#[derive(Clone)]
enum Op {
    CreateBucket,
    Put(&'static str, Vec<u8>),
    /// A two-part upload (5 MiB + 1000 bytes) completed as the key.
    Multipart(&'static str),
    Delete(&'static str),
    Copy {
        from: &'static str,
        to: &'static str,
    },
}

fn workload() -> Vec<Op> {
    vec![
        Op::CreateBucket,
        Op::Put("small", pattern(1000, 1)),
        Op::Put("large", pattern(300_000, 2)),
        // Overwrites: a blob over an inline object, a blob over a blob.
        Op::Put("small", pattern(200_000, 3)),
        Op::Put("large", pattern(2_500_000, 4)),
        Op::Multipart("mp"),
        Op::Delete("small"),
        Op::Copy {
            from: "large",
            to: "copy",
        },
        // Inline over a multipart object.
        Op::Put("mp", pattern(10, 8)),
    ]
}

fn multipart_parts() -> [Vec<u8>; 2] {
    [pattern(5 * 1024 * 1024, 5), pattern(1000, 6)]
}

/// The key `op` changes and what it holds once `op` is acknowledged, given `acked`.
fn effect(op: &Op, acked: &BTreeMap<String, Vec<u8>>) -> Option<(String, Contents)> {
    Some(match op {
        Op::CreateBucket => return None,
        Op::Put(key, data) => (key.to_string(), Some(data.clone())),
        Op::Multipart(key) => (key.to_string(), Some(multipart_parts().concat())),
        Op::Delete(key) => (key.to_string(), None),
        Op::Copy { from, to } => (to.to_string(), acked.get(*from).cloned()),
    })
}

async fn apply(core: &S3Core, op: &Op) -> Result<(), S3Error> {
    match op {
        Op::CreateBucket => common::create_bucket(core, BUCKET).await,
        Op::Put(key, data) => core
            .put_object(PutRequest {
                bucket: BUCKET.into(),
                key: key.to_string(),
                meta: ObjectMeta::default(),
                body: common::chunked(data, 64 * 1024 + 7),
                integrity: Integrity::default(),
                encryption: None,
                precondition: Default::default(),
                acl: None,
                lock: Default::default(),
            })
            .await
            .map(drop),
        Op::Multipart(key) => multipart(core, key).await,
        Op::Delete(key) => core
            .delete_object(
                BUCKET,
                key,
                Default::default(),
                Default::default(),
                Default::default(),
            )
            .await
            .map(drop),
        Op::Copy { from, to } => core
            .copy_object(CopyRequest {
                source_bucket: BUCKET.into(),
                source_key: from.to_string(),
                source_version_id: None,
                bucket: BUCKET.into(),
                key: to.to_string(),
                metadata_directive: MetadataDirective::Copy,
                meta: ObjectMeta::default(),
                replace_tags: None,
                source_conditions: Default::default(),
                source_customer_key: None,
                encryption: None,
                precondition: Default::default(),
                acl: None,
                lock: Default::default(),
            })
            .await
            .map(drop),
    }
}

async fn multipart(core: &S3Core, key: &str) -> Result<(), S3Error> {
    let id = core
        .create_upload(coffer_s3::UploadRequest {
            bucket: BUCKET.into(),
            key: key.into(),
            ..Default::default()
        })
        .await?;
    let mut parts = Vec::new();
    for (n, data) in (1..).zip(multipart_parts()) {
        let info = core
            .upload_part(
                BUCKET,
                key,
                &id,
                n,
                common::chunked(&data, 1 << 20),
                Integrity::default(),
                None,
            )
            .await?;
        parts.push(CompletedPart {
            part_number: n,
            etag: info.etag,
            checksum: None,
        });
    }
    core.complete_upload(
        BUCKET,
        key,
        &id,
        &parts,
        &Default::default(),
        &Default::default(),
    )
    .await
    .map(drop)
}

/// Runs the workload until a write fails; returns what was acknowledged and the effect of
/// the write that was in flight when the power went.
async fn run(machine: &Machine) -> (BTreeMap<String, Vec<u8>>, Option<(String, Contents)>) {
    let mut acked = BTreeMap::new();
    let Ok(core) = machine.open().await else {
        return (acked, None);
    };
    for op in workload() {
        let change = effect(&op, &acked);
        if apply(&core, &op).await.is_err() {
            return (acked, change);
        }
        match change {
            Some((key, Some(c))) => acked.insert(key, c),
            Some((key, None)) => acked.remove(&key),
            None => None,
        };
    }
    (acked, None)
}

async fn check_after_restart(
    crashed: &Machine,
    acked: &BTreeMap<String, Vec<u8>>,
    in_flight: &Option<(String, Contents)>,
    k: u64,
) {
    let (_machine, core) = crashed.restart_checked(k).await;
    if core.bucket(BUCKET).is_err() {
        assert!(
            acked.is_empty(),
            "crash at step {k}: the bucket was acknowledged"
        );
        return;
    }
    let listed: Vec<String> = core
        .list_objects(
            BUCKET,
            &ListQuery {
                max_keys: 1000,
                ..Default::default()
            },
        )
        .unwrap()
        .objects
        .into_iter()
        .map(|o| o.key)
        .collect();
    let mut keys: Vec<&String> = acked.keys().collect();
    if let Some((key, _)) = in_flight {
        keys.push(key);
    }
    for key in &listed {
        assert!(
            keys.contains(&key),
            "crash at step {k}: {key} was never written"
        );
    }
    for key in keys {
        let now = common::read_all(&core, BUCKET, key, None).await.ok();
        let before = acked.get(key).cloned();
        let allowed: Vec<Contents> = match in_flight {
            Some((f, after)) if f == key => vec![before, after.clone()],
            _ => vec![before],
        };
        assert!(
            allowed.contains(&now),
            "crash at step {k}: {key} holds {:?} bytes, allowed {:?}",
            now.as_ref().map(Vec::len),
            allowed
                .iter()
                .map(|c| c.as_ref().map(Vec::len))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            now.is_some(),
            listed.contains(key),
            "crash at step {k}: {key} listing"
        );
    }
}

#[tokio::test]
async fn every_crash_point_leaves_acknowledged_data_whole_and_no_orphans() {
    // Count the durable steps of the whole workload on power that never fails.
    let power = PowerSupply::unlimited();
    let full = Machine::new(power.clone());
    let (acked, in_flight) = run(&full).await;
    assert!(
        in_flight.is_none() && acked.len() == 3,
        "{:?}",
        acked.keys()
    );
    let total = power.steps();
    assert!(total > 20, "the workload has {total} durable steps");
    check_after_restart(&full, &acked, &None, total).await;
    for k in 0..total {
        let power = PowerSupply::failing_after(k);
        let machine = Machine::new(power.clone());
        let (acked, in_flight) = run(&machine).await;
        assert!(power.is_off(), "step {k} of {total} was never reached");
        check_after_restart(&machine, &acked, &in_flight, k).await;
    }
}

/// Versioned writes through every crash point: each acknowledged version of the key is there
/// by id with its bytes (or as its delete marker), a version removed by id stays removed,
/// at most the write in flight adds one version, and no blob is orphaned or dangling.
#[tokio::test]
async fn every_crash_point_keeps_acknowledged_versions() {
    use coffer_s3::{VersionQuery, VersionSelector, VersioningState};

    #[derive(Clone)]
    enum VOp {
        Put(Vec<u8>),
        Delete,
        /// Removes the acknowledged version at this position (oldest first) by id.
        DeleteVersion(usize),
    }
    let ops = [
        VOp::Put(pattern(1000, 1)),
        VOp::Put(pattern(300_000, 2)),
        VOp::Put(pattern(2_500_000, 3)),
        VOp::Delete,
        VOp::DeleteVersion(1),
        VOp::Put(pattern(500_000, 4)),
        VOp::DeleteVersion(0),
    ];
    // (version id, bytes; None for a delete marker), oldest first.
    type Acked = Vec<(coffer_s3::VersionId, Option<Vec<u8>>)>;
    async fn run(machine: &Machine, ops: &[VOp]) -> (Acked, bool) {
        let mut acked: Acked = Vec::new();
        let Ok(core) = machine.open().await else {
            return (acked, false);
        };
        if common::create_bucket(&core, BUCKET).await.is_err()
            || core
                .set_versioning(BUCKET, VersioningState::Enabled, None, Default::default())
                .await
                .is_err()
        {
            return (acked, false);
        }
        for op in ops {
            let done = match op {
                VOp::Put(data) => core
                    .put_object(PutRequest {
                        bucket: BUCKET.into(),
                        key: "k".into(),
                        meta: ObjectMeta::default(),
                        body: common::chunked(data, 64 * 1024 + 7),
                        integrity: Integrity::default(),
                        encryption: None,
                        precondition: Default::default(),
                        acl: None,
                        lock: Default::default(),
                    })
                    .await
                    .map(|r| acked.push((r.version_id.unwrap(), Some(data.clone())))),
                VOp::Delete => core
                    .delete_object(
                        BUCKET,
                        "k",
                        VersionSelector::Current,
                        Default::default(),
                        Default::default(),
                    )
                    .await
                    .map(|r| acked.push((r.version_id.unwrap(), None))),
                VOp::DeleteVersion(i) => {
                    let id = acked[*i].0.clone();
                    core.delete_object(
                        BUCKET,
                        "k",
                        VersionSelector::Id(&id),
                        Default::default(),
                        Default::default(),
                    )
                    .await
                    .map(|_| {
                        acked.remove(*i);
                    })
                }
            };
            if done.is_err() {
                return (acked, true);
            }
        }
        (acked, false)
    }
    let power = PowerSupply::unlimited();
    let full = Machine::new(power.clone());
    let (all, _) = run(&full, &ops).await;
    assert_eq!(all.len(), 3);
    let total = power.steps();
    for k in 0..=total {
        let power = PowerSupply::failing_after(k);
        let machine = Machine::new(power.clone());
        let (acked, in_flight) = run(&machine, &ops).await;
        let (_restarted, core) = machine.restart_checked(k).await;
        if core.bucket(BUCKET).is_err() {
            assert!(acked.is_empty());
            continue;
        }
        let page = core
            .list_versions(
                BUCKET,
                &VersionQuery {
                    max_keys: 1000,
                    ..Default::default()
                },
            )
            .unwrap();
        let present: Vec<&str> = page
            .versions
            .iter()
            .map(|v| v.version_id.as_str())
            .collect();
        for (id, bytes) in &acked {
            assert!(
                present.contains(&id.as_str()),
                "crash at step {k}: version {id} lost"
            );
            let got = match common::read_version(&core, BUCKET, "k", VersionSelector::Id(id)).await
            {
                Ok(b) => Some(b),
                Err(S3Error::DeleteMarker { .. }) => None,
                Err(e) => panic!("crash at step {k}: version {id}: {e}"),
            };
            assert_eq!(&got, bytes, "crash at step {k}: version {id}");
        }
        let unknown = present
            .iter()
            .filter(|p| !acked.iter().any(|(id, _)| id.as_str() == **p))
            .count();
        // The write in flight may have committed (its answer lost): one put or marker, or a
        // removal that did not happen.
        assert!(
            unknown <= usize::from(in_flight),
            "crash at step {k}: {unknown} versions nobody acknowledged"
        );
    }
}

/// Object Lock through every crash point, on a bucket made with it: each acknowledged lock
/// (retention, legal hold) is on its version after the restart — or the one in flight, whole
/// — every version still locked by the acknowledged state refuses its removal, and a removal
/// the lock refused changed nothing. The clock moves past a compliance date mid-workload.
#[tokio::test]
async fn every_crash_point_keeps_locks() {
    use coffer_clock::{Clock as _, MovableClock};
    use coffer_s3::{DeleteProof, LockRequest, Retention, RetentionMode, VersionSelector};

    const HOUR: i64 = 3_600_000;
    /// (retention mode and hours from the run's start, legal hold).
    type Lock = (Option<(RetentionMode, i64)>, bool);
    /// A version's lock as stored: retention in absolute ms, legal hold.
    type Stored = (Option<(RetentionMode, i64)>, bool);
    #[derive(Clone, Copy)]
    enum LOp {
        Put(u8, Lock),
        Hold(usize, bool),
        /// Sets (or with `None` removes, bypassing governance) a version's retention.
        Retain(usize, Option<(RetentionMode, i64)>),
        /// Removes a version by id; `true`: the lock must refuse it.
        Delete(usize, bool),
        /// The clock moves on (no durable step).
        Later(i64),
    }
    use RetentionMode::{Compliance, Governance};
    let ops = [
        LOp::Put(1, (Some((Compliance, 1)), false)),
        LOp::Put(2, (None, true)),
        LOp::Put(3, (Some((Governance, 1)), false)),
        LOp::Delete(0, true),
        LOp::Delete(1, true),
        LOp::Hold(1, false),
        LOp::Delete(1, false),
        LOp::Delete(2, true),
        LOp::Retain(2, None),
        LOp::Delete(2, false),
        LOp::Retain(0, Some((Compliance, 3))),
        LOp::Later(2),
        LOp::Delete(0, true),
        LOp::Later(4),
        LOp::Delete(0, false),
    ];
    /// Per version put, in order: (id, bytes, lock in absolute ms), `None` once removed.
    type Acked = Vec<Option<(coffer_s3::VersionId, Vec<u8>, Stored)>>;
    struct Run {
        acked: Acked,
        /// The version the op in flight changes, and its state if it committed.
        in_flight: Option<(usize, Option<Stored>)>,
    }
    async fn run(machine: &Machine, clock: &Arc<MovableClock>, ops: &[LOp]) -> Run {
        let base = clock.now_ms();
        let at = |r: Option<(RetentionMode, i64)>| r.map(|(m, h)| (m, base + h * HOUR));
        let mut out = Run {
            acked: Vec::new(),
            in_flight: None,
        };
        let Ok(core) = machine.open_at(clock.clone()).await else {
            return out;
        };
        let created = core
            .create_bucket_with(
                "111122223333",
                &coffer_s3::BucketName::parse(BUCKET).unwrap(),
                "us-east-1",
                coffer_s3::ObjectOwnership::BucketOwnerEnforced,
                None,
                true,
            )
            .await;
        if created.is_err() {
            return out;
        }
        for op in ops {
            let (target, done) = match *op {
                LOp::Put(seed, (retention, hold)) => {
                    let data = pattern(200_000, seed);
                    let md5: [u8; 16] = <md5::Md5 as md5::Digest>::digest(&data).into();
                    let lock = (at(retention), hold);
                    out.in_flight = Some((out.acked.len(), Some(lock)));
                    let put = core
                        .put_object(PutRequest {
                            bucket: BUCKET.into(),
                            key: "k".into(),
                            meta: ObjectMeta::default(),
                            body: common::chunked(&data, 64 * 1024 + 7),
                            integrity: Integrity {
                                content_md5: Some(md5),
                                ..Default::default()
                            },
                            encryption: None,
                            precondition: Default::default(),
                            acl: None,
                            lock: LockRequest {
                                retention: lock.0,
                                legal_hold: hold.then_some(true),
                            },
                        })
                        .await;
                    match put {
                        Ok(r) => {
                            out.acked.push(Some((r.version_id.unwrap(), data, lock)));
                            out.in_flight = None;
                            continue;
                        }
                        Err(_) => return out,
                    }
                }
                LOp::Hold(i, on) => {
                    let (id, _, lock) = out.acked[i].clone().unwrap();
                    out.in_flight = Some((i, Some((lock.0, on))));
                    let r = core
                        .set_object_legal_hold(BUCKET, "k", VersionSelector::Id(&id), on)
                        .await;
                    (i, r.map(|_| Some((lock.0, on))))
                }
                LOp::Retain(i, retention) => {
                    let (id, _, lock) = out.acked[i].clone().unwrap();
                    let next = at(retention);
                    out.in_flight = Some((i, Some((next, lock.1))));
                    let r = core
                        .set_object_retention(
                            BUCKET,
                            "k",
                            VersionSelector::Id(&id),
                            next.map(|(mode, until_ms)| Retention { mode, until_ms }),
                            true,
                        )
                        .await;
                    (i, r.map(|_| Some((next, lock.1))))
                }
                LOp::Delete(i, refused) => {
                    let (id, _, _) = out.acked[i].clone().unwrap();
                    out.in_flight = (!refused).then_some((i, None));
                    let r = core
                        .delete_object(
                            BUCKET,
                            "k",
                            VersionSelector::Id(&id),
                            Default::default(),
                            DeleteProof::default(),
                        )
                        .await;
                    if refused {
                        assert!(
                            matches!(r, Err(S3Error::AccessDenied(_))),
                            "version {i} was not refused: {r:?}"
                        );
                        continue;
                    }
                    (i, r.map(|_| None))
                }
                LOp::Later(hours) => {
                    clock.set_offset_ms(hours * HOUR);
                    continue;
                }
            };
            match done {
                Ok(state) => {
                    out.acked[target] = state.map(|lock| {
                        let (id, data, _) = out.acked[target].clone().unwrap();
                        (id, data, lock)
                    });
                    out.in_flight = None;
                }
                Err(_) => return out,
            }
        }
        out
    }
    let power = PowerSupply::unlimited();
    let full = Machine::new(power.clone());
    let clock = Arc::new(MovableClock::default());
    let done = run(&full, &clock, &ops).await;
    assert!(done.in_flight.is_none());
    assert!(
        done.acked.iter().all(Option::is_none),
        "all went in the end"
    );
    let total = power.steps();
    assert!(total > 8, "the workload has {total} durable steps");
    for k in 0..total {
        let power = PowerSupply::failing_after(k);
        let machine = Machine::new(power.clone());
        let clock = Arc::new(MovableClock::default());
        let Run { acked, in_flight } = run(&machine, &clock, &ops).await;
        assert!(power.is_off(), "step {k} of {total} was never reached");
        let restarted = machine.restarted();
        let core = restarted.open_at(clock.clone()).await.unwrap();
        if core.bucket(BUCKET).is_err() {
            assert!(acked.is_empty());
            continue;
        }
        for (i, state) in acked.iter().enumerate() {
            let Some((id, data, lock)) = state else {
                continue;
            };
            let v = VersionSelector::Id(id);
            let read = common::read_version(&core, BUCKET, "k", v).await;
            let flight = in_flight.filter(|(f, _)| *f == i).map(|(_, s)| s);
            if read.is_err() && flight == Some(None) {
                continue; // its removal was in flight and committed
            }
            assert_eq!(
                read.as_deref().ok(),
                Some(&data[..]),
                "crash at step {k}: version {i}"
            );
            let found = (
                core.object_retention(BUCKET, "k", v)
                    .ok()
                    .map(|r| (r.mode, r.until_ms)),
                core.object_legal_hold(BUCKET, "k", v).unwrap_or(false),
            );
            assert!(
                found == *lock || flight == Some(Some(found)),
                "crash at step {k}: version {i} has lock {found:?}, acknowledged {lock:?}"
            );
            // What the acknowledged lock protects stays protected after the restart.
            let active = lock.1 || lock.0.is_some_and(|(_, until)| until > clock.now_ms());
            if active && found == *lock {
                let r = core
                    .delete_object(BUCKET, "k", v, Default::default(), DeleteProof::default())
                    .await;
                assert!(
                    matches!(r, Err(S3Error::AccessDenied(_))),
                    "crash at step {k}: locked version {i} removable: {r:?}"
                );
            }
        }
    }
}
