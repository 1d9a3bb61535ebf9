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

    async fn open(&self) -> Result<S3Core, S3Error> {
        let storage = Storage {
            meta: self.meta.clone(),
            blobs: BlobStore::new(Arc::new(self.blobs.clone())),
        };
        S3Core::open(storage, &root_key(), Arc::new(SystemClock)).await
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
        Op::CreateBucket => {
            core.create_bucket("111122223333", BUCKET, "us-east-1")
                .await
        }
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
            })
            .await
            .map(drop),
        Op::Multipart(key) => multipart(core, key).await,
        Op::Delete(key) => core
            .delete_object(BUCKET, key, Default::default(), Default::default())
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
            })
            .await
            .map(drop),
    }
}

async fn multipart(core: &S3Core, key: &str) -> Result<(), S3Error> {
    let id = core
        .create_upload(BUCKET, key, ObjectMeta::default(), None, None, None)
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
    let machine = crashed.restarted();
    let core = machine.open().await.unwrap();
    // The sweep ran in open: what exists is exactly what is referenced.
    assert_eq!(
        machine.blobs.durable_ids(),
        machine.meta.referenced_blobs().unwrap(),
        "crash at step {k}: orphaned or dangling blobs"
    );
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
