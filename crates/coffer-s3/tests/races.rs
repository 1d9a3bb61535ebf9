//! Concurrent writers against one data directory: whatever interleaving the scheduler picks,
//! an acknowledged object is readable, and a blob whose metadata never committed does not
//! stay on disk.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use coffer_clock::SystemClock;
use coffer_crypto::DataKey;
use coffer_s3::{
    BodyStream, CompletedPart, Conditions, Integrity, ObjectMeta, Precondition, PutRequest, S3Core,
    S3Error,
};
use zeroize::Zeroizing;

const BUCKET: &str = "race";

async fn open(dir: &std::path::Path) -> Arc<S3Core> {
    let key = DataKey::from_bytes(Zeroizing::new([3u8; 32]));
    let core = S3Core::open(
        coffer_store::Storage::embedded(dir).unwrap(),
        &key,
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    common::create_bucket(&core, BUCKET).await.unwrap();
    Arc::new(core)
}

fn body(data: Bytes) -> BodyStream {
    common::chunked(&data, 64 * 1024)
}

async fn read_all(core: &S3Core, key: &str) -> Result<Vec<u8>, S3Error> {
    common::read_all(core, BUCKET, key, None).await
}

async fn upload_part(core: &S3Core, key: &str, id: &str, data: Bytes) -> Result<String, S3Error> {
    core.upload_part(BUCKET, key, id, 1, body(data), Integrity::default(), None)
        .await
        .map(|p| p.etag)
}

fn blob_files(dir: &std::path::Path) -> usize {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(dir.join("objects/blobs")) else {
        return 0;
    };
    for sub in rd.flatten() {
        n += std::fs::read_dir(sub.path()).map_or(0, |d| d.count());
    }
    n
}

/// An SDK retrying UploadPart (same bytes, same ETag) while CompleteMultipartUpload runs,
/// with an abort and an overwrite of the key racing both: a complete that answered success
/// must leave a readable object (its own bytes, or the overwrite's if that came later).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn complete_racing_part_retry_abort_and_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    // Above the inline size, so every part is a blob file that a retry replaces.
    let part = Bytes::from(vec![0x5a; 200 * 1024]);
    let overwrite = Bytes::from(vec![0xa5; 150 * 1024]);
    let trials = 1000;
    let mut completed = 0;
    for trial in 0..trials {
        let key = format!("k{}", trial % 7);
        let id = core
            .create_upload(coffer_s3::UploadRequest {
                bucket: BUCKET.into(),
                key: key.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let etag = upload_part(&core, &key, &id, part.clone()).await.unwrap();
        let parts = vec![CompletedPart {
            part_number: 1,
            etag: etag.clone(),
            checksum: None,
        }];
        let retry = {
            let (core, key, id, part) = (core.clone(), key.clone(), id.clone(), part.clone());
            tokio::spawn(async move { upload_part(&core, &key, &id, part).await })
        };
        let abort = (trial % 5 == 0).then(|| {
            let (core, key, id) = (core.clone(), key.clone(), id.clone());
            tokio::spawn(async move { core.abort_upload(BUCKET, &key, &id).await })
        });
        let over = (trial % 3 == 0).then(|| {
            let (core, key, data) = (core.clone(), key.clone(), overwrite.clone());
            tokio::spawn(async move {
                core.put_object(PutRequest {
                    bucket: BUCKET.into(),
                    key,
                    meta: ObjectMeta::default(),
                    body: body(data),
                    integrity: Integrity::default(),
                    encryption: None,
                    precondition: Default::default(),
                    acl: None,
                    lock: Default::default(),
                })
                .await
            })
        });
        // Land the complete at varying points of the retry's write (blob fsync, then commit).
        tokio::time::sleep(std::time::Duration::from_micros(
            (trial as u64 * 397) % 4000,
        ))
        .await;
        let complete = core
            .complete_upload(
                BUCKET,
                &key,
                &id,
                &parts,
                &Default::default(),
                &Default::default(),
            )
            .await;
        let retried = retry.await.unwrap();
        if let Ok(e) = &retried {
            assert_eq!(e, &etag, "a retry of the same bytes has the same ETag");
        }
        if let Some(a) = abort {
            let _ = a.await.unwrap();
        }
        if let Some(o) = over {
            o.await.unwrap().unwrap();
        }
        match complete {
            Ok(_) => {
                completed += 1;
                let got = read_all(&core, &key).await.unwrap_or_else(|e| {
                    panic!("trial {trial}: completed object unreadable: {e:?}")
                });
                assert!(
                    got == part[..] || got == overwrite[..],
                    "trial {trial}: wrong bytes"
                );
            }
            Err(S3Error::NoSuchUpload | S3Error::InvalidPart) => {
                let _ = core.abort_upload(BUCKET, &key, &id).await;
            }
            Err(e) => panic!("trial {trial}: unexpected error {e:?}"),
        }
    }
    assert!(completed > trials / 2, "only {completed} completed");
    eprintln!("{completed} of {trials} completes succeeded");
    for k in 0..7 {
        if let Ok(got) = read_all(&core, &format!("k{k}")).await {
            assert!(got == part[..] || got == overwrite[..]);
        }
    }
    // Every blob on disk belongs to a live object (one per key at most).
    assert!(
        blob_files(dir.path()) <= 7,
        "{} blobs",
        blob_files(dir.path())
    );
}

/// A part written while its upload is aborted, and a PUT into a bucket deleted meanwhile:
/// the write fails and its blob is gone at once, not at the next restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blobs_of_failed_commits_are_released_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    let data = Bytes::from(vec![7u8; 300 * 1024]);
    for trial in 0..40 {
        let key = format!("p{trial}");
        let id = core
            .create_upload(coffer_s3::UploadRequest {
                bucket: BUCKET.into(),
                key: key.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let writer = {
            let (core, key, id, data) = (core.clone(), key.clone(), id.clone(), data.clone());
            tokio::spawn(async move { upload_part(&core, &key, &id, data).await })
        };
        core.abort_upload(BUCKET, &key, &id).await.unwrap();
        let w = writer.await.unwrap();
        assert_eq!(blob_files(dir.path()), 0, "trial {trial}: {w:?}");
    }
    for trial in 0..40 {
        let name = format!("gone{trial}");
        common::create_bucket(&core, &name).await.unwrap();
        let put = {
            let (core, name, data) = (core.clone(), name.clone(), data.clone());
            tokio::spawn(async move {
                core.put_object(PutRequest {
                    bucket: name,
                    key: "k".into(),
                    meta: ObjectMeta::default(),
                    body: body(data),
                    integrity: Integrity::default(),
                    encryption: None,
                    precondition: Default::default(),
                    acl: None,
                    lock: Default::default(),
                })
                .await
            })
        };
        // Deleting fails while the object exists; whichever wins, nothing is left over.
        let deleted = core.delete_bucket(&name).await;
        let put = put.await.unwrap();
        if deleted.is_ok() {
            assert!(
                put.is_err()
                    || core
                        .head_object(&name, "k", Default::default(), &Conditions::default(), None)
                        .is_err()
            );
        }
        if put.is_ok() && deleted.is_err() {
            core.delete_object(
                &name,
                "k",
                Default::default(),
                Default::default(),
                Default::default(),
            )
            .await
            .unwrap();
            core.delete_bucket(&name).await.unwrap();
        }
        assert_eq!(blob_files(dir.path()), 0, "bucket trial {trial}");
    }
}

/// `If-None-Match: *` writers of one key, all started together: exactly one wins in each
/// round, every other gets 412, and the object is the winner's bytes. Then `If-Match`
/// writers holding the same ETag: again exactly one wins (compare-and-swap), the others get
/// 412 or 409, never a silent overwrite.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conditional_writers_of_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    let put = |core: Arc<S3Core>, key: String, n: u8, precondition: Precondition| async move {
        core.put_object(PutRequest {
            bucket: BUCKET.into(),
            key,
            meta: ObjectMeta::default(),
            body: body(Bytes::from(vec![n; 100 * 1024])),
            integrity: Integrity::default(),
            encryption: None,
            precondition,
            acl: None,
            lock: Default::default(),
        })
        .await
        .map(|r| (n, r.etag))
    };
    // Writers whose ETag matched when they began but not when they committed: S3's 409.
    let mut conflicts = 0;
    for round in 0..50 {
        let key = format!("once-{round}");
        let writers: Vec<_> = (0..8u8)
            .map(|n| tokio::spawn(put(core.clone(), key.clone(), n, Precondition::Absent)))
            .collect();
        let mut winners = Vec::new();
        for w in writers {
            match w.await.unwrap() {
                Ok((n, _)) => winners.push(n),
                Err(S3Error::PreconditionFailed) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(
            read_all(&core, &key).await.unwrap(),
            vec![winners[0]; 100 * 1024]
        );

        let (_, etag) = put(core.clone(), key.clone(), 100, Precondition::None)
            .await
            .unwrap();
        let swappers: Vec<_> = (0..8u8)
            .map(|n| {
                let p = Precondition::EtagIs(etag.clone());
                tokio::spawn(put(core.clone(), key.clone(), 200 + n % 50, p))
            })
            .collect();
        let mut swapped = Vec::new();
        for w in swappers {
            match w.await.unwrap() {
                Ok((n, _)) => swapped.push(n),
                Err(S3Error::ConditionalRequestConflict) => conflicts += 1,
                Err(S3Error::PreconditionFailed) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(swapped.len(), 1, "round {round}: {swapped:?}");
        assert_eq!(
            read_all(&core, &key).await.unwrap(),
            vec![swapped[0]; 100 * 1024]
        );
    }
    assert!(conflicts > 0, "no writer lost a race after its early check");
}
