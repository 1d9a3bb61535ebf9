//! The key service's unit tests.

use super::*;

fn block<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn kms(dir: &std::path::Path, now: fn() -> i64) -> Kms {
    let meta = Arc::new(coffer_store::SqliteMeta::open(&dir.join("m.sqlite")).unwrap());
    Kms::new(
        meta,
        &DataKey::from_bytes(Zeroizing::new([4u8; 32])),
        "us-east-1",
        Arc::new(now),
    )
}

const A: &str = "111122223333";

#[test]
fn encrypt_decrypt_context_and_tamper() {
    let dir = tempfile::tempdir().unwrap();
    let k = kms(dir.path(), || 1_000);
    let key = block(k.create_key(A, "d", None, vec![])).unwrap();
    block(k.create_alias(A, "alias/app", &key.id)).unwrap();
    let ctx: EncryptionContext = [("purpose".to_owned(), "test".to_owned())].into();
    let ct = k.encrypt(A, "alias/app", b"hello", &ctx).unwrap();
    let (m, pt) = k.decrypt(A, None, &ct, &ctx).unwrap();
    assert_eq!((m.id.as_str(), &pt[..]), (key.id.as_str(), &b"hello"[..]));
    assert!(matches!(
        k.decrypt(A, None, &ct, &EncryptionContext::new()),
        Err(KmsError::InvalidCiphertext)
    ));
    for i in 0..ct.len() {
        let mut bad = ct.clone();
        bad[i] ^= 1;
        assert!(k.decrypt(A, None, &bad, &ctx).is_err(), "flip at {i}");
    }
    let other = block(k.create_key(A, "other", None, vec![])).unwrap();
    assert!(matches!(
        k.decrypt(A, Some(&other.id), &ct, &ctx),
        Err(KmsError::IncorrectKey)
    ));
    assert!(k.decrypt(A, Some(&key.arn), &ct, &ctx).is_ok());
    let dk = k.generate_data_key(A, &key.id, 32, &ctx).unwrap();
    assert_eq!(
        &k.decrypt(A, None, &dk.ciphertext, &ctx).unwrap().1[..],
        &dk.plaintext[..]
    );
    assert!(
        k.encrypt(A, &key.id, &[0u8; MAX_PLAINTEXT + 1], &ctx)
            .is_err()
    );
    // The stored record never contains the key material in the clear.
    assert!(
        k.meta
            .kv_get(NS, &format!("key/{}", key.id))
            .unwrap()
            .is_some()
    );
}

#[test]
fn cached_keys_follow_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let k = kms(dir.path(), || 1_000);
    let ctx = EncryptionContext::new();
    let a = block(k.create_key(A, "a", None, vec![])).unwrap();
    let b = block(k.create_key(A, "b", None, vec![])).unwrap();
    block(k.create_alias(A, "alias/app", &a.id)).unwrap();
    // Warm the cache for every reference, then change what each one means.
    let before = k.encrypt(A, "alias/app", b"x", &ctx).unwrap();
    assert_eq!(blob::parse(&before).unwrap().key_id, a.id.as_str());
    let (_, p) = k.key_for_authorization(A, &a.id).unwrap();
    assert!(!p.mentions_condition_key("aws:SourceIp"));

    block(k.update_alias(A, "alias/app", &b.id)).unwrap();
    let after = k.encrypt(A, "alias/app", b"x", &ctx).unwrap();
    assert_eq!(blob::parse(&after).unwrap().key_id, b.id.as_str());

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
    block(k.put_key_policy(A, &a.id, policy)).unwrap();
    let (_, p) = k.key_for_authorization(A, &a.id).unwrap();
    assert!(p.mentions_condition_key("aws:SourceIp"));

    block(k.rotate_now(A, &a.id)).unwrap();
    let rotated = k.encrypt(A, &a.id, b"x", &ctx).unwrap();
    assert_eq!(blob::parse(&rotated).unwrap().key_version, 2);
    assert_eq!(&k.decrypt(A, None, &before, &ctx).unwrap().1[..], b"x");
}

#[test]
fn states_and_deletion() {
    static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_000);
    let now = || NOW.load(std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let k = kms(dir.path(), now);
    let key = block(k.create_key(A, "d", None, vec![])).unwrap();
    let ct = k
        .encrypt(A, &key.id, b"x", &EncryptionContext::new())
        .unwrap();
    block(k.set_enabled(A, &key.id, false)).unwrap();
    assert!(matches!(
        k.encrypt(A, &key.id, b"x", &EncryptionContext::new()),
        Err(KmsError::Disabled(_))
    ));
    assert!(matches!(
        k.decrypt(A, None, &ct, &EncryptionContext::new()),
        Err(KmsError::Disabled(_))
    ));
    block(k.set_enabled(A, &key.id, true)).unwrap();
    assert!(matches!(
        block(k.schedule_deletion(A, &key.id, Some(6))),
        Err(KmsError::Validation(_))
    ));
    block(k.schedule_deletion(A, &key.id, Some(7))).unwrap();
    assert!(matches!(
        k.decrypt(A, None, &ct, &EncryptionContext::new()),
        Err(KmsError::InvalidState(_))
    ));
    block(k.cancel_deletion(A, &key.id)).unwrap();
    assert_eq!(
        k.describe_key(A, &key.id).unwrap().state,
        KeyState::Disabled
    );
    block(k.set_enabled(A, &key.id, true)).unwrap();
    block(k.create_alias(A, "alias/doomed", &key.id)).unwrap();
    let grant = crate::NewGrant {
        grantee: format!("arn:aws:iam::{A}:user/bob"),
        retiring: None,
        operations: vec!["Decrypt".into()],
        constraints: Default::default(),
        name: None,
        issuing_account: format!("arn:aws:iam::{A}:root"),
    };
    block(k.create_grant(A, &key.id, grant)).unwrap();
    block(k.schedule_deletion(A, &key.id, Some(7))).unwrap();
    assert_eq!(block(k.purge_deleted_keys()).unwrap(), 0);
    NOW.store(1_000 + 7 * 86_400_000, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        k.describe_key(A, &key.id),
        Err(KmsError::NotFound(_))
    ));
    assert!(matches!(
        k.decrypt(A, None, &ct, &EncryptionContext::new()),
        Err(KmsError::InvalidCiphertext)
    ));
    assert!(k.list_keys(A).unwrap().is_empty());
    // The timer then destroys the record with its sealed material, aliases and grants.
    assert!(k.kv_get(&format!("key/{}", key.id)).unwrap().is_some());
    assert_eq!(block(k.purge_deleted_keys()).unwrap(), 1);
    assert!(k.kv_get(&format!("key/{}", key.id)).unwrap().is_none());
    assert!(k.kv_list("alias/").unwrap().is_empty());
    assert!(k.grants(&key.id).unwrap().is_empty());
    assert_eq!(block(k.purge_deleted_keys()).unwrap(), 0);
}

#[test]
fn rotation_keeps_old_ciphertext_readable() {
    static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let now = || NOW.load(std::sync::atomic::Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let k = kms(dir.path(), now);
    let key = block(k.create_key(A, "r", None, vec![])).unwrap();
    let ctx = EncryptionContext::new();
    let v1 = k.encrypt(A, &key.id, b"one", &ctx).unwrap();
    assert!(block(k.enable_rotation(A, &key.id, Some(89))).is_err());
    block(k.enable_rotation(A, &key.id, Some(90))).unwrap();
    assert_eq!(block(k.rotate_due_keys()).unwrap(), 0);
    NOW.store(90 * 86_400_000, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(block(k.rotate_due_keys()).unwrap(), 1);
    let v2 = k.encrypt(A, &key.id, b"two", &ctx).unwrap();
    block(k.rotate_now(A, &key.id)).unwrap();
    let v3 = k.encrypt(A, &key.id, b"three", &ctx).unwrap();
    // Each ciphertext names its version; all still decrypt.
    assert_eq!(
        (
            v1[37..41].to_vec(),
            v2[37..41].to_vec(),
            v3[37..41].to_vec()
        ),
        (
            1u32.to_be_bytes().to_vec(),
            2u32.to_be_bytes().to_vec(),
            3u32.to_be_bytes().to_vec()
        )
    );
    for (ct, pt) in [(v1, &b"one"[..]), (v2, b"two"), (v3, b"three")] {
        assert_eq!(&k.decrypt(A, None, &ct, &ctx).unwrap().1[..], pt);
    }
    let kinds: Vec<String> = k
        .rotations(A, &key.id)
        .unwrap()
        .into_iter()
        .map(|r| r.2)
        .collect();
    assert_eq!(kinds, ["AUTOMATIC", "ON_DEMAND"]);
    let st = k.rotation_status(A, &key.id).unwrap();
    assert!(st.enabled && st.next_rotation_ms == Some(180 * 86_400_000));
    block(k.tag(A, &key.id, vec![("env".into(), "prod".into())])).unwrap();
    assert_eq!(
        k.tags(A, &key.id).unwrap(),
        vec![("env".to_owned(), "prod".to_owned())]
    );
    block(k.untag(A, &key.id, &["env".to_owned()])).unwrap();
    assert!(k.tags(A, &key.id).unwrap().is_empty());
}

#[test]
fn aliases() {
    let dir = tempfile::tempdir().unwrap();
    let k = kms(dir.path(), || 0);
    let key = block(k.create_key(A, "d", None, vec![])).unwrap();
    assert!(block(k.create_alias(A, "alias/aws/s3", &key.id)).is_err());
    assert!(block(k.create_alias(A, "noprefix", &key.id)).is_err());
    block(k.create_alias(A, "alias/x", &key.id)).unwrap();
    assert!(matches!(
        block(k.create_alias(A, "alias/x", &key.id)),
        Err(KmsError::AlreadyExists(_))
    ));
    assert_eq!(k.list_aliases(A).unwrap()[0].2, key.id.as_str());
    assert_eq!(
        k.describe_key(A, "arn:aws:kms:us-east-1:111122223333:alias/x")
            .unwrap()
            .id,
        key.id
    );
    block(k.delete_alias(A, "alias/x")).unwrap();
    assert!(matches!(
        k.describe_key(A, "alias/x"),
        Err(KmsError::NotFound(_))
    ));
}
