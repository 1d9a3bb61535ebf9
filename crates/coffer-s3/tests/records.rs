//! Authenticated records across an upgrade: a data directory from before records carried
//! tags is tagged once on its first open and is authenticated from then on; an untagged
//! record in an upgraded directory is refused.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use coffer_clock::SystemClock;
use coffer_crypto::{DataKey, WrappingKey};
use coffer_s3::{BodyStream, Conditions, Integrity, ObjectMeta, PutRequest, S3Core, S3Error};
use zeroize::Zeroizing;

fn root_key() -> DataKey {
    DataKey::from_bytes(Zeroizing::new([9u8; 32]))
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

async fn put(core: &S3Core, key: &str, data: &'static [u8]) {
    let body: BodyStream = Box::pin(futures::stream::iter([Ok(Bytes::from_static(data))]));
    core.put_object(PutRequest {
        bucket: "bkt".into(),
        key: key.into(),
        meta: ObjectMeta::default(),
        body,
        integrity: Integrity::default(),
        encryption: None,
        precondition: Default::default(),
        acl: None,
        lock: Default::default(),
    })
    .await
    .unwrap();
}

async fn get(core: &S3Core, key: &str) -> Result<Vec<u8>, S3Error> {
    common::read_all(core, "bkt", key, None).await
}

/// Turns an upgraded data directory back into the pre-authentication format: the service
/// key wrapped under the version-1 context, every tag empty.
fn downgrade(dir: &std::path::Path) {
    let db = rusqlite::Connection::open(dir.join("meta.sqlite")).unwrap();
    let wrapped: Vec<u8> = db
        .query_row(
            "SELECT value FROM settings WHERE name = 'sse-s3-service-key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let root = WrappingKey::new(&root_key());
    let service = root
        .unwrap(&wrapped, b"coffer/sse-s3-service-key/v2")
        .unwrap();
    let v1 = root
        .wrap(
            &service,
            b"coffer/sse-s3-service-key/v1",
            &aws_lc_rs::rand::SystemRandom::new(),
        )
        .unwrap();
    db.execute(
        "UPDATE settings SET value = ?1 WHERE name = 'sse-s3-service-key'",
        [v1],
    )
    .unwrap();
    db.execute_batch("UPDATE objects SET mac = x''").unwrap();
}

fn clear_tag(dir: &std::path::Path, key: &str) {
    let db = rusqlite::Connection::open(dir.join("meta.sqlite")).unwrap();
    db.execute("UPDATE objects SET mac = x'' WHERE key = ?1", [key])
        .unwrap();
}

#[tokio::test]
async fn older_directories_are_tagged_once_then_authenticated() {
    let dir = tempfile::tempdir().unwrap();
    {
        let core = open(dir.path()).await;
        common::create_bucket(&core, "bkt").await.unwrap();
        put(&core, "old", b"written before tags").await;
        put(&core, "other", b"another").await;
    }
    downgrade(dir.path());
    {
        // First open of the "old" directory: its records get their tags.
        let core = open(dir.path()).await;
        assert_eq!(get(&core, "old").await.unwrap(), b"written before tags");
        put(&core, "new", b"written after").await;
    }
    // From now on an untagged record is damage, not an old record.
    clear_tag(dir.path(), "other");
    let core = open(dir.path()).await;
    assert_eq!(get(&core, "old").await.unwrap(), b"written before tags");
    assert_eq!(get(&core, "new").await.unwrap(), b"written after");
    assert!(matches!(get(&core, "other").await, Err(S3Error::Corrupt)));
    assert!(matches!(
        core.head_object(
            "bkt",
            "other",
            Default::default(),
            &Conditions::default(),
            None
        ),
        Err(S3Error::Corrupt)
    ));
}
