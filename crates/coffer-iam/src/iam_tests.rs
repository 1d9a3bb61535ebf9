//! Unit tests of `iam.rs`.
use super::*;

fn block<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

fn iam(dir: &std::path::Path) -> Iam {
    let meta = Arc::new(coffer_store::SqliteMeta::open(&dir.join("m.sqlite")).unwrap());
    Iam::new(
        meta,
        &DataKey::from_bytes(Zeroizing::new([3u8; 32])),
        Arc::new(|| 1_700_000_000_000),
    )
}

#[test]
fn users_keys_and_policies() {
    let dir = tempfile::tempdir().unwrap();
    let iam = iam(dir.path());
    let acct = "111122223333";
    block(iam.ensure_account(acct)).unwrap();
    let u = block(iam.create_user(
        acct,
        "dlsrb",
        "/",
        vec![Tag {
            key: "team".into(),
            value: "sec".into(),
        }],
    ))
    .unwrap();
    assert_eq!(u.arn(), "arn:aws:iam::111122223333:user/dlsrb");
    assert!(matches!(
        block(iam.create_user(acct, "dlsrb", "/", vec![])),
        Err(IamError::EntityAlreadyExists(_))
    ));
    assert!(matches!(
        block(iam.create_user(acct, "bad name", "/", vec![])),
        Err(IamError::InvalidInput(_))
    ));
    let k = block(iam.create_access_key(acct, Some("dlsrb"))).unwrap();
    assert_eq!(k.secret.len(), 40);
    let r = iam.resolve(&k.key.id).unwrap().unwrap();
    assert_eq!(*r.secret, *k.secret);
    assert!(matches!(r.identity, Identity::User { ref name, .. } if name == "dlsrb"));
    // The stored record never holds the secret in plaintext.
    let raw = iam
        .meta
        .kv_get(NS, &format!("key/{}", k.key.id))
        .unwrap()
        .unwrap();
    assert!(!raw.windows(10).any(|w| w == &k.secret.as_bytes()[..10]));
    block(iam.create_access_key(acct, Some("dlsrb"))).unwrap();
    assert!(matches!(
        block(iam.create_access_key(acct, Some("dlsrb"))),
        Err(IamError::LimitExceeded(_))
    ));
    block(iam.update_access_key(acct, &k.key.id, KeyStatus::Inactive)).unwrap();
    assert!(iam.resolve(&k.key.id).unwrap().is_none());

    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    assert!(matches!(
        block(iam.put_user_policy(acct, "dlsrb", "p", "{}")),
        Err(IamError::MalformedPolicyDocument(_))
    ));
    block(iam.put_user_policy(acct, "dlsrb", "inline", doc)).unwrap();
    let mp = block(iam.create_policy(acct, "Managed", "/", doc)).unwrap();
    block(iam.attach_user_policy(acct, "dlsrb", &mp.arn())).unwrap();
    block(iam.create_group(acct, "ops", "/")).unwrap();
    block(iam.put_group_policy(acct, "ops", "g", doc)).unwrap();
    block(iam.add_user_to_group(acct, "ops", "dlsrb")).unwrap();
    assert_eq!(iam.identity_policies(&r.identity).unwrap().len(), 3);
    assert!(matches!(
        block(iam.delete_policy(&mp.arn())),
        Err(IamError::DeleteConflict(_))
    ));
    assert!(matches!(
        block(iam.delete_user(acct, "dlsrb")),
        Err(IamError::DeleteConflict(_))
    ));
}

#[test]
fn cached_lookups_see_writes_from_another_instance() {
    let dir = tempfile::tempdir().unwrap();
    let meta = Arc::new(coffer_store::SqliteMeta::open(&dir.path().join("m.sqlite")).unwrap());
    let key = DataKey::from_bytes(Zeroizing::new([3u8; 32]));
    let server = Iam::new(meta.clone(), &key, Arc::new(|| 0));
    let cli = Iam::new(meta, &key, Arc::new(|| 0));
    block(server.register_root_key("111122223333", "AKIAROOT", "s")).unwrap();
    assert!(
        server
            .guardrails("111122223333")
            .unwrap()
            .policies
            .is_empty()
    );
    assert!(server.resolve("AKIAROOT").unwrap().is_some());
    let g = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    block(cli.set_guardrails("111122223333", vec![g.into()])).unwrap();
    // A request resolves its caller first, which notices the other instance's write.
    assert!(server.resolve("AKIAROOT").unwrap().is_some());
    assert_eq!(server.guardrails("111122223333").unwrap().policies.len(), 1);
    block(cli.update_access_key("111122223333", "AKIAROOT", KeyStatus::Inactive)).unwrap();
    assert!(server.resolve("AKIAROOT").unwrap().is_none());
}

#[test]
fn root_keys_and_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let iam = iam(dir.path());
    block(iam.register_root_key("111122223333", "AKIAROOT", "root-secret")).unwrap();
    let r = iam.resolve("AKIAROOT").unwrap().unwrap();
    assert_eq!(
        r.identity,
        Identity::Root {
            account: "111122223333".into()
        }
    );
    assert_eq!(r.secret.as_str(), "root-secret");
    let (acct, key) = block(iam.create_account(None)).unwrap();
    assert_eq!(acct.id.len(), 12);
    assert!(iam.resolve(&key.key.id).unwrap().is_some());
    let g = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    block(iam.set_guardrails(&acct.id, vec![g.into()])).unwrap();
    assert_eq!(iam.guardrails(&acct.id).unwrap().policies.len(), 1);
    assert!(matches!(
        block(iam.set_guardrails("999999999999", vec![g.into()])),
        Err(IamError::NoSuchEntity(_))
    ));
}
