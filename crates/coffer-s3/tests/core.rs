//! The S3 domain against a real data directory: bytes round-trip, ranges cross packages,
//! stored bytes are never plaintext, tampering is caught, multipart and copy work.

mod common;

use std::sync::Arc;

use coffer_clock::SystemClock;
use coffer_crypto::DataKey;
use coffer_s3::{
    BodyStream, ByteRange, CompletedPart, Conditions, CopyRequest, Integrity, ListQuery,
    MetadataDirective, ObjectMeta, PutRequest, S3Core, S3Error,
};
use futures::StreamExt as _;
use zeroize::Zeroizing;

fn root_key() -> DataKey {
    DataKey::from_bytes(Zeroizing::new([7u8; 32]))
}

async fn open(dir: &std::path::Path) -> S3Core {
    S3Core::open(
        coffer_store::Storage::embedded(dir).unwrap(),
        &root_key(),
        Arc::new(SystemClock),
    )
    .await
    .unwrap()
}

fn body(data: Vec<u8>) -> BodyStream {
    // Deliberately odd chunk sizes so packages straddle chunks.
    common::chunked(&data, 10_007)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn put(core: &S3Core, key: &str, data: Vec<u8>) {
    core.put_object(PutRequest {
        bucket: "bkt".into(),
        key: key.into(),
        meta: ObjectMeta::default(),
        body: body(data),
        integrity: Integrity::default(),
        encryption: None,
        precondition: Default::default(),
        acl: None,
        lock: Default::default(),
    })
    .await
    .unwrap();
}

async fn get(core: &S3Core, key: &str, range: Option<ByteRange>) -> Result<Vec<u8>, S3Error> {
    common::read_all(core, "bkt", key, range).await
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[tokio::test]
async fn roundtrip_ranges_and_no_plaintext_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    common::create_bucket(&core, "bkt").await.unwrap();
    let big = pattern(300_000, 1);
    put(&core, "big", big.clone()).await;
    put(&core, "small", b"secret-marker-small-object".to_vec()).await;
    assert_eq!(get(&core, "big", None).await.unwrap(), big);
    let cases = [
        (
            ByteRange::FromTo {
                first: 65_530,
                last: Some(131_080),
            },
            65_530..131_081,
        ),
        (
            ByteRange::FromTo {
                first: 0,
                last: Some(0),
            },
            0..1,
        ),
        (ByteRange::Suffix(70_000), 230_000..300_000),
        (
            ByteRange::FromTo {
                first: 299_999,
                last: None,
            },
            299_999..300_000,
        ),
    ];
    for (r, want) in cases {
        assert_eq!(
            get(&core, "big", Some(r)).await.unwrap(),
            big[want].to_vec()
        );
    }
    drop(core);
    for f in files_under(dir.path()) {
        // SQLite's -shm/-wal files may vanish while the writer thread closes.
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        assert!(
            !bytes
                .windows(26)
                .any(|w| w == b"secret-marker-small-object"),
            "{f:?}"
        );
        assert!(!bytes.windows(64).any(|w| w == &big[1000..1064]), "{f:?}");
    }
}

#[tokio::test]
async fn tampering_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    common::create_bucket(&core, "bkt").await.unwrap();
    put(&core, "k", pattern(2_000_000, 3)).await;
    drop(core);
    let blob = files_under(&dir.path().join("objects/blobs"))
        .pop()
        .unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[1_500_000] ^= 1; // past the first read chunk (16 packages)
    std::fs::write(&blob, bytes).unwrap();
    let core = open(dir.path()).await;
    // The first chunk is fine, so the response starts; the stream then fails.
    let r = core
        .get_object(
            "bkt",
            "k",
            Default::default(),
            None,
            &Conditions::default(),
            None,
        )
        .await
        .unwrap();
    let results: Vec<_> = r.body.collect().await;
    assert!(results.iter().any(|c| matches!(c, Err(S3Error::Corrupt))));
    // A range that only touches good packages still reads.
    let ok = get(
        &core,
        "k",
        Some(ByteRange::FromTo {
            first: 0,
            last: Some(1000),
        }),
    )
    .await;
    assert!(ok.is_ok());
    assert!(matches!(
        get(
            &core,
            "k",
            Some(ByteRange::FromTo {
                first: 1_400_000,
                last: None
            })
        )
        .await,
        Err(S3Error::Corrupt)
    ));
}

#[tokio::test]
async fn wrong_root_key_is_refused_and_orphans_swept() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(dir.path()).await);
    std::fs::write(
        dir.path()
            .join("objects/tmp/0123456789abcdef0123456789abcdef"),
        b"x",
    )
    .unwrap();
    let other = DataKey::from_bytes(Zeroizing::new([8u8; 32]));
    assert!(
        S3Core::open(
            coffer_store::Storage::embedded(dir.path()).unwrap(),
            &other,
            Arc::new(SystemClock)
        )
        .await
        .is_err()
    );
    drop(open(dir.path()).await);
    assert!(files_under(&dir.path().join("objects/tmp")).is_empty());
}

#[tokio::test]
async fn multipart_copy_and_listing() {
    let dir = tempfile::tempdir().unwrap();
    let core = open(dir.path()).await;
    common::create_bucket(&core, "bkt").await.unwrap();
    let id = core
        .create_upload(coffer_s3::UploadRequest {
            bucket: "bkt".into(),
            key: "mp".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let p1 = pattern(5 * 1024 * 1024, 1);
    let p2 = pattern(1000, 2);
    let e1 = core
        .upload_part(
            "bkt",
            "mp",
            &id,
            1,
            body(p1.clone()),
            Integrity::default(),
            None,
        )
        .await
        .unwrap();
    let e2 = core
        .upload_part(
            "bkt",
            "mp",
            &id,
            2,
            body(p2.clone()),
            Integrity::default(),
            None,
        )
        .await
        .unwrap();
    let parts = [
        CompletedPart {
            part_number: 2,
            etag: e2.etag.clone(),
            checksum: None,
        },
        CompletedPart {
            part_number: 1,
            etag: e1.etag.clone(),
            checksum: None,
        },
    ];
    assert!(matches!(
        core.complete_upload(
            "bkt",
            "mp",
            &id,
            &parts,
            &Default::default(),
            &Default::default()
        )
        .await,
        Err(S3Error::InvalidPartOrder)
    ));
    let parts = [
        CompletedPart {
            part_number: 1,
            etag: e1.etag,
            checksum: None,
        },
        CompletedPart {
            part_number: 2,
            etag: e2.etag,
            checksum: None,
        },
    ];
    let done = core
        .complete_upload(
            "bkt",
            "mp",
            &id,
            &parts,
            &Default::default(),
            &Default::default(),
        )
        .await
        .unwrap();
    assert!(done.etag.ends_with("-2\""));
    let mut whole = p1.clone();
    whole.extend_from_slice(&p2);
    assert_eq!(get(&core, "mp", None).await.unwrap(), whole);
    let cross = ByteRange::FromTo {
        first: 5 * 1024 * 1024 - 10,
        last: Some(5 * 1024 * 1024 + 10),
    };
    assert_eq!(
        get(&core, "mp", Some(cross)).await.unwrap(),
        whole[5 * 1024 * 1024 - 10..5 * 1024 * 1024 + 11]
    );

    core.copy_object(CopyRequest {
        source_bucket: "bkt".into(),
        source_key: "mp".into(),
        source_version_id: None,
        bucket: "bkt".into(),
        key: "dir/copy".into(),
        metadata_directive: MetadataDirective::Copy,
        meta: ObjectMeta::default(),
        replace_tags: None,
        source_conditions: Conditions::default(),
        encryption: None,
        source_customer_key: None,
        precondition: Default::default(),
        acl: None,
        lock: Default::default(),
    })
    .await
    .unwrap();
    assert_eq!(get(&core, "dir/copy", None).await.unwrap(), whole);

    for k in ["dir/a", "dir/sub/x", "dir/sub/y", "e"] {
        put(&core, k, vec![1]).await;
    }
    let q = ListQuery {
        prefix: "dir/".into(),
        delimiter: Some("/".into()),
        after: None,
        max_keys: 2,
    };
    let page = core.list_objects("bkt", &q).unwrap();
    let keys: Vec<_> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["dir/a", "dir/copy"]);
    assert!(page.is_truncated);
    let q2 = ListQuery {
        after: page.next_after.clone(),
        ..q
    };
    let page2 = core.list_objects("bkt", &q2).unwrap();
    assert_eq!(page2.common_prefixes, ["dir/sub/"]);
    assert!(!page2.is_truncated);
}
