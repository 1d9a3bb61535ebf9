use super::*;
use crate::PolicyKind;

pub(super) const ACCT: &str = "111122223333";
pub(super) const OTHER: &str = "444455556666";

pub(super) fn user(account: &str, name: &str) -> Principal {
    Principal::Aws {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        role_arn: None,
    }
}

pub(super) fn root(account: &str) -> Principal {
    Principal::Aws {
        account: account.into(),
        arn: format!("arn:aws:iam::{account}:root"),
        role_arn: None,
    }
}

pub(super) fn req(p: Principal, action: &str, resource: &str) -> RequestContext {
    let mut r = RequestContext::new(p, action, resource);
    r.resource_account = Some(ACCT.into());
    r
}

pub(super) fn resource_policy(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Resource).unwrap()
}

pub(super) fn identity_policy(json: &str) -> std::sync::Arc<Policy> {
    std::sync::Arc::new(Policy::parse(json, PolicyKind::Identity).unwrap())
}

/// Seed 000: user dlsrb may put/get in its bucket, but PutObject must ask for AES256.
fn seed000_bucket_policy() -> Policy {
    resource_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"AllowDlsrb","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dlsrb"},
           "Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::dlsrb/*"},
          {"Sid":"DenyIncorrectEncryptionHeader","Effect":"Deny","Principal":"*","Action":"s3:PutObject",
           "Resource":"arn:aws:s3:::dlsrb/*",
           "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"AES256"}}}]}"#,
    )
}

#[test]
fn seed000_encryption_header_policy() {
    let p = seed000_bucket_policy();
    let set = PolicySet {
        resource: Some(&p),
        ..PolicySet::default()
    };
    let mut r = req(user(ACCT, "dlsrb"), "s3:PutObject", "arn:aws:s3:::dlsrb/k");
    r.set("s3:x-amz-server-side-encryption", "aws:kms");
    let e = explain(&set, &r);
    assert_eq!(e.decision, Decision::ExplicitDeny(PolicySource::Resource));
    assert_eq!(
        e.decided_by.unwrap().sid.as_deref(),
        Some("DenyIncorrectEncryptionHeader")
    );
    r.set("s3:x-amz-server-side-encryption", "AES256");
    let e = explain(&set, &r);
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.decided_by.unwrap().sid.as_deref(), Some("AllowDlsrb"));
    // Seed 000 quiz: no header at all (default encryption would apply later) is refused.
    let r = req(user(ACCT, "dlsrb"), "s3:PutObject", "arn:aws:s3:::dlsrb/k");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ExplicitDeny(PolicySource::Resource)
    );
    // GetObject is allowed by the bucket policy alone (same account).
    let r = req(user(ACCT, "dlsrb"), "s3:GetObject", "arn:aws:s3:::dlsrb/k");
    assert_eq!(evaluate(&set, &r), Decision::Allow);
    // Another user of the account has no allow anywhere.
    let r = req(user(ACCT, "other"), "s3:GetObject", "arn:aws:s3:::dlsrb/k");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
    );
}

fn seed002_guardrail() -> std::sync::Arc<Policy> {
    std::sync::Arc::new(Policy::parse(
        r#"{"Version":"2012-10-17","Statement":[
          {"Sid":"DenyPresignedOver15Minutes","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"NumericGreaterThan":{"s3:signatureAge":"900000"},
                        "StringNotEquals":{"aws:PrincipalTag/long-presigned-allowed":"true"}}},
          {"Sid":"DenySignatureVersion2","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"StringEquals":{"s3:signatureversion":"AWS"}}},
          {"Sid":"DenyNonHeaderAuth","Effect":"Deny","Action":"s3:*","Resource":"*",
           "Condition":{"StringNotEquals":{"s3:authType":"REST-HEADER",
                                            "aws:PrincipalTag/non-header-auth-allowed":"true"}}}]}"#,
        PolicyKind::Guardrail,
    )
    .unwrap())
}

#[test]
fn seed002_guardrails() {
    let g = [seed002_guardrail()];
    let allow_all = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
    );
    let ids = [allow_all];
    let set = PolicySet {
        guardrails: Some(Guardrails {
            policies: &g,
            implicit_allow_all: true,
        }),
        identity: &ids,
        ..PolicySet::default()
    };
    let base = |age: &str, auth: &str, sigv: &str| {
        let mut r = req(user(ACCT, "u"), "s3:GetObject", "arn:aws:s3:::b/k");
        r.set("s3:signatureAge", age)
            .set("s3:authType", auth)
            .set("s3:signatureversion", sigv);
        r
    };
    assert_eq!(
        evaluate(&set, &base("1000", "REST-HEADER", "AWS4-HMAC-SHA256")),
        Decision::Allow
    );
    // 16 minutes old presigned URL: denied twice over (age and non-header auth).
    let e = explain(
        &set,
        &base("960000", "REST-QUERY-STRING", "AWS4-HMAC-SHA256"),
    );
    assert_eq!(e.decision, Decision::ExplicitDeny(PolicySource::Guardrail));
    assert_eq!(
        e.decided_by.unwrap().sid.as_deref(),
        Some("DenyPresignedOver15Minutes")
    );
    // 14 minutes old, header auth: fine.
    assert_eq!(
        evaluate(&set, &base("840000", "REST-HEADER", "AWS4-HMAC-SHA256")),
        Decision::Allow
    );
    // Tags exempt.
    let mut r = base("960000", "REST-QUERY-STRING", "AWS4-HMAC-SHA256");
    r.set("aws:PrincipalTag/long-presigned-allowed", "true");
    assert_eq!(
        explain(&set, &r).decided_by.unwrap().sid.as_deref(),
        Some("DenyNonHeaderAuth")
    );
    r.set("aws:PrincipalTag/non-header-auth-allowed", "true");
    assert_eq!(evaluate(&set, &r), Decision::Allow);
    // SigV2 is denied whatever the tags.
    let mut r = base("1000", "REST-HEADER", "AWS");
    r.set("aws:PrincipalTag/non-header-auth-allowed", "true");
    assert_eq!(
        explain(&set, &r).decided_by.unwrap().sid.as_deref(),
        Some("DenySignatureVersion2")
    );
    // POST uploads count as non-header auth.
    assert!(matches!(
        evaluate(&set, &base("1000", "POST", "AWS4-HMAC-SHA256")),
        Decision::ExplicitDeny(_)
    ));
}

#[test]
fn guardrails_bind_root_and_must_allow_without_implicit_allow_all() {
    let allow_get = std::sync::Arc::new(Policy::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#, PolicyKind::Guardrail).unwrap());
    let g = [allow_get];
    let set = PolicySet {
        guardrails: Some(Guardrails {
            policies: &g,
            implicit_allow_all: false,
        }),
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&set, &req(root(ACCT), "s3:GetObject", "arn:aws:s3:::b/k")),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&set, &req(root(ACCT), "s3:PutObject", "arn:aws:s3:::b/k")),
        Decision::ImplicitDeny(ImplicitReason::GuardrailAllowsNothing)
    );
}

#[test]
fn prefix_split_and_cross_account() {
    // Seed 000: two users, each limited to its own prefix by the bucket policy.
    let p = resource_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::shared/alice/*"},
          {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},"Action":"s3:*","Resource":"arn:aws:s3:::shared/bob/*"},
          {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/public/*"}]}"#,
    );
    let set = PolicySet {
        resource: Some(&p),
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(
            &set,
            &req(
                user(ACCT, "alice"),
                "s3:PutObject",
                "arn:aws:s3:::shared/alice/x"
            )
        ),
        Decision::Allow
    );
    assert!(matches!(
        evaluate(
            &set,
            &req(
                user(ACCT, "alice"),
                "s3:PutObject",
                "arn:aws:s3:::shared/bob/x"
            )
        ),
        Decision::ImplicitDeny(_)
    ));
    // Cross-account: the bucket policy names the other account; its user also needs an
    // identity policy.
    let carol = user(OTHER, "carol");
    assert_eq!(
        evaluate(
            &set,
            &req(
                carol.clone(),
                "s3:GetObject",
                "arn:aws:s3:::shared/public/x"
            )
        ),
        Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
    );
    let id = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}"#,
    )];
    let set2 = PolicySet {
        resource: Some(&p),
        identity: &id,
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(
            &set2,
            &req(
                carol.clone(),
                "s3:GetObject",
                "arn:aws:s3:::shared/public/x"
            )
        ),
        Decision::Allow
    );
    assert_eq!(
        evaluate(
            &set2,
            &req(carol, "s3:GetObject", "arn:aws:s3:::shared/alice/x")
        ),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
    // Same-account users are not granted by naming the account itself.
    let p = resource_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}]}"#,
    );
    let set = PolicySet {
        resource: Some(&p),
        ..PolicySet::default()
    };
    assert!(matches!(
        evaluate(
            &set,
            &req(user(ACCT, "dave"), "s3:GetObject", "arn:aws:s3:::b/k")
        ),
        Decision::ImplicitDeny(_)
    ));
}

#[test]
fn anonymous_only_via_public_resource_policy() {
    let p = resource_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}"#,
    );
    let set = PolicySet {
        resource: Some(&p),
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(
            &set,
            &req(Principal::Anonymous, "s3:GetObject", "arn:aws:s3:::pub/x")
        ),
        Decision::Allow
    );
    assert!(matches!(
        evaluate(
            &set,
            &req(Principal::Anonymous, "s3:PutObject", "arn:aws:s3:::pub/x")
        ),
        Decision::ImplicitDeny(_)
    ));
    assert!(matches!(
        evaluate(
            &PolicySet::default(),
            &req(Principal::Anonymous, "s3:GetObject", "arn:aws:s3:::pub/x")
        ),
        Decision::ImplicitDeny(_)
    ));
}

#[test]
fn not_elements_variables_and_sessions() {
    let id = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"},
          {"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"NotResource":"arn:aws:s3:::home/*"}]}"#,
    )];
    let set = PolicySet {
        identity: &id,
        ..PolicySet::default()
    };
    let mut r = req(user(ACCT, "eve"), "s3:PutObject", "arn:aws:s3:::home/eve/f");
    r.set("aws:username", "eve");
    assert_eq!(evaluate(&set, &r), Decision::Allow);
    let mut r = req(
        user(ACCT, "eve"),
        "s3:PutObject",
        "arn:aws:s3:::home/mallory/f",
    );
    r.set("aws:username", "eve");
    assert!(matches!(evaluate(&set, &r), Decision::ImplicitDeny(_)));
    // No username: the variable has no value, so the statement matches nothing.
    assert!(matches!(
        evaluate(
            &set,
            &req(user(ACCT, "eve"), "s3:PutObject", "arn:aws:s3:::home/eve/f")
        ),
        Decision::ImplicitDeny(_)
    ));
    let mut r = req(
        user(ACCT, "eve"),
        "s3:PutObject",
        "arn:aws:s3:::elsewhere/f",
    );
    r.set("aws:username", "eve");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ExplicitDeny(PolicySource::Identity)
    );
    // A session policy narrows what the identity policy allows.
    let session = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    )];
    let set = PolicySet {
        identity: &id,
        session: Some(&session),
        ..PolicySet::default()
    };
    let mut r = req(user(ACCT, "eve"), "s3:PutObject", "arn:aws:s3:::home/eve/f");
    r.set("aws:username", "eve");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ImplicitDeny(ImplicitReason::SessionAllowsNothing)
    );
}

#[test]
fn role_sessions_match_their_role() {
    let p = resource_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Reader"},"Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    let set = PolicySet {
        resource: Some(&p),
        ..PolicySet::default()
    };
    let session = Principal::Aws {
        account: ACCT.into(),
        arn: "arn:aws:sts::111122223333:assumed-role/Reader/s1".into(),
        role_arn: Some("arn:aws:iam::111122223333:role/Reader".into()),
    };
    assert_eq!(
        evaluate(&set, &req(session, "s3:GetObject", "arn:aws:s3:::b/k")),
        Decision::Allow
    );
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn arb_action() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "s3:GetObject",
            "s3:PutObject",
            "s3:ListBucket",
            "s3:DeleteObject",
            "kms:Decrypt",
        ])
        .prop_map(String::from)
    }

    fn arb_pattern() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "s3:*",
            "s3:Get*",
            "s3:PutObject",
            "*",
            "kms:*",
            "s3:?etObject",
        ])
        .prop_map(String::from)
    }

    fn arb_statement() -> impl Strategy<Value = String> {
        (
            prop::bool::ANY,
            arb_pattern(),
            prop::sample::select(vec!["*", "arn:aws:s3:::b/*", "arn:aws:s3:::c/*"]),
            prop::bool::ANY,
        )
            .prop_map(|(allow, a, r, cond)| {
                let c = if cond {
                    r#","Condition":{"StringEquals":{"s3:x":"1"}}"#
                } else {
                    ""
                };
                format!(
                    r#"{{"Effect":"{}","Action":"{a}","Resource":"{r}"{c}}}"#,
                    if allow { "Allow" } else { "Deny" }
                )
            })
    }

    fn arb_policy() -> impl Strategy<Value = std::sync::Arc<Policy>> {
        prop::collection::vec(arb_statement(), 1..6).prop_map(|s| {
            identity_policy(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                s.join(",")
            ))
        })
    }

    fn arb_request() -> impl Strategy<Value = RequestContext> {
        (
            arb_action(),
            prop::sample::select(vec![
                "arn:aws:s3:::b/k",
                "arn:aws:s3:::c/k",
                "arn:aws:s3:::d/k",
            ]),
            prop::bool::ANY,
        )
            .prop_map(|(a, r, x)| {
                let mut q = req(user(ACCT, "u"), &a, r);
                if x {
                    q.set("s3:x", "1");
                }
                q
            })
    }

    proptest! {
        #[test]
        fn explicit_deny_wins(p in arb_policy(), r in arb_request()) {
            let deny = identity_policy(&format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"{}","Resource":"{}"}}]}}"#, r.action, r.resource));
            let ids = [p, deny];
            let set = PolicySet { identity: &ids, ..PolicySet::default() };
            prop_assert_eq!(evaluate(&set, &r), Decision::ExplicitDeny(PolicySource::Identity));
        }

        #[test]
        fn default_deny_without_allows(r in arb_request()) {
            prop_assert!(matches!(evaluate(&PolicySet::default(), &r), Decision::ImplicitDeny(_)));
        }

        #[test]
        fn explain_agrees_with_evaluate(p in arb_policy(), r in arb_request()) {
            let ids = [p];
            let set = PolicySet { identity: &ids, ..PolicySet::default() };
            let e = explain(&set, &r);
            prop_assert_eq!(e.decision, evaluate(&set, &r));
            if e.decision != Decision::Allow && !matches!(e.decision, Decision::ExplicitDeny(_)) {
                prop_assert!(e.matched.iter().all(|m| m.effect == Effect::Allow) || e.matched.is_empty());
            }
            if let Some(d) = e.decided_by {
                prop_assert!(e.matched.contains(&d));
            }
        }

        #[test]
        fn wildcard_allow_is_a_superset(p in arb_policy(), r in arb_request()) {
            let ids = [p.clone()];
            let narrow = evaluate(&PolicySet { identity: &ids, ..PolicySet::default() }, &r);
            let mut wide = (*p).clone();
            for s in &mut wide.statements { if s.effect == Effect::Allow { s.action.items = vec![crate::Pattern::new("*".into())]; } }
            let wides = [std::sync::Arc::new(wide)];
            let widened = evaluate(&PolicySet { identity: &wides, ..PolicySet::default() }, &r);
            if narrow == Decision::Allow { prop_assert_eq!(widened, Decision::Allow); }
        }

        #[test]
        fn parser_never_panics(s in ".{0,200}") {
            let _ = Policy::parse(&s, PolicyKind::Resource);
        }

        #[test]
        fn parser_never_panics_on_json_shapes(v in arb_json(4)) {
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": v});
            let _ = Policy::parse(&doc.to_string(), PolicyKind::Identity);
            let _ = Policy::parse(&doc.to_string(), PolicyKind::Resource);
        }
    }

    fn arb_json(depth: u32) -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            prop::sample::select(vec![
                "Allow",
                "Deny",
                "*",
                "s3:*",
                "arn:aws:s3:::b/*",
                "StringEquals",
                "Effect",
                "Action",
                "Resource",
                "Principal",
                "Condition",
                "${aws:username}",
                "ForAllValues:StringLike",
                "NullIfExists"
            ])
            .prop_map(|s| serde_json::json!(s)),
        ];
        leaf.prop_recursive(depth, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "Effect",
                        "Action",
                        "NotAction",
                        "Resource",
                        "NotResource",
                        "Principal",
                        "NotPrincipal",
                        "Condition",
                        "Sid",
                        "AWS",
                        "StringEquals",
                        "Bool",
                        "k"
                    ])
                    .prop_map(String::from),
                    inner,
                    0..6
                )
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
