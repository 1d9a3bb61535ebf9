//! Role trust policies and KMS key policies are gates: an identity policy alone never opens
//! them, and counts only where the gate names the caller's account.

use proptest::prelude::*;

use super::tests::{ACCT, OTHER, identity_policy, req, resource_policy, root, user};
use super::*;
use crate::PolicyKind;

const ROLE: &str = "arn:aws:iam::111122223333:role/Admin";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn trust(json: &str) -> Policy {
    Policy::parse(json, PolicyKind::Trust).unwrap()
}

fn gate<'a>(resource: &'a Policy, identity: &'a [Arc<Policy>]) -> PolicySet<'a> {
    PolicySet {
        identity,
        resource: Some(resource),
        resource_rule: ResourceRule::Gate,
        ..PolicySet::default()
    }
}

fn allow_all(action: &str) -> Arc<Policy> {
    identity_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    ))
}

/// The seeds' MFA-protected role: the trust policy names the user and demands MFA.
fn mfa_trust(principal: &str) -> Policy {
    trust(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},
            "Action":"sts:AssumeRole","Condition":{{"Bool":{{"aws:MultiFactorAuthPresent":"true"}}}}}}]}}"#
    ))
}

fn assume(who: Principal, mfa: bool) -> RequestContext {
    let mut r = req(who, "sts:AssumeRole", ROLE);
    if mfa {
        r.set("aws:MultiFactorAuthPresent", "true");
    }
    r
}

#[test]
fn identity_allow_does_not_open_an_mfa_trust_policy() {
    let t = mfa_trust("arn:aws:iam::111122223333:user/alice");
    let ids = [allow_all("sts:AssumeRole")];
    // The bypass: identity allows sts:AssumeRole on *, but there is no MFA.
    assert_eq!(
        evaluate(&gate(&t, &ids), &assume(user(ACCT, "alice"), false)),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
    // With MFA the trust policy allows, and naming the user is enough alone (same account).
    assert_eq!(
        evaluate(&gate(&t, &ids), &assume(user(ACCT, "alice"), true)),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&gate(&t, &[]), &assume(user(ACCT, "alice"), true)),
        Decision::Allow
    );
    // As an ordinary resource policy the identity allow would have sufficed.
    let either = PolicySet {
        resource_rule: ResourceRule::EitherAllows,
        ..gate(&t, &ids)
    };
    assert_eq!(
        evaluate(&either, &assume(user(ACCT, "alice"), false)),
        Decision::Allow
    );
}

#[test]
fn trust_naming_someone_else_refuses_everyone_else() {
    let t = mfa_trust("arn:aws:iam::111122223333:user/alice");
    let ids = [allow_all("*")];
    for mfa in [false, true] {
        assert_eq!(
            evaluate(&gate(&t, &ids), &assume(user(ACCT, "mallory"), mfa)),
            Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
        );
    }
    // The account's root user is not named either.
    assert_eq!(
        evaluate(&gate(&t, &ids), &assume(root(ACCT), true)),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

#[test]
fn trust_naming_the_account_delegates_to_identity_policies() {
    for named in [ACCT.to_owned(), format!("arn:aws:iam::{ACCT}:root")] {
        let t = trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{named}"}},"Action":"sts:AssumeRole"}}]}}"#
        ));
        assert_eq!(
            evaluate(&gate(&t, &[]), &assume(user(ACCT, "bob"), false)),
            Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow),
            "{named}"
        );
        let ids = [allow_all("sts:AssumeRole")];
        let e = explain(&gate(&t, &ids), &assume(user(ACCT, "bob"), false));
        assert_eq!(e.decision, Decision::Allow);
        assert_eq!(e.decided_by.unwrap().source, PolicySource::Identity);
        // An identity allow for another action does not count.
        let ids = [allow_all("s3:*")];
        assert_eq!(
            evaluate(&gate(&t, &ids), &assume(user(ACCT, "bob"), false)),
            Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
        );
    }
}

#[test]
fn cross_account_gates_need_both_sides() {
    let carol = || user(OTHER, "carol");
    let ids = [allow_all("sts:AssumeRole")];
    for named in [
        format!("arn:aws:iam::{OTHER}:user/carol"),
        format!("arn:aws:iam::{OTHER}:root"),
        OTHER.to_owned(),
    ] {
        let t = trust(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{named}"}},"Action":"sts:AssumeRole"}}]}}"#
        ));
        assert_eq!(
            evaluate(&gate(&t, &ids), &assume(carol(), false)),
            Decision::Allow,
            "{named}"
        );
        assert_eq!(
            evaluate(&gate(&t, &[]), &assume(carol(), false)),
            Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow),
            "{named}"
        );
    }
    // Trusting this account does not trust the other one, whatever its IAM says.
    let t = trust(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    ));
    assert_eq!(
        evaluate(&gate(&t, &ids), &assume(carol(), true)),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

/// A key policy that names one user and does not delegate to IAM.
fn key_policy_for(principal: &str, delegate_to_iam: bool) -> Policy {
    let delegate = if delegate_to_iam {
        format!(
            r#"{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*"}},"#
        )
    } else {
        String::new()
    };
    resource_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{delegate}
            {{"Sid":"KeyUser","Effect":"Allow","Principal":{{"AWS":"{principal}"}},
              "Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}}]}}"#
    ))
}

fn kms(who: Principal, action: &str) -> RequestContext {
    req(who, action, KEY)
}

#[test]
fn key_policy_without_iam_delegation_decides_alone() {
    let kp = key_policy_for("arn:aws:iam::111122223333:user/keyuser", false);
    let ids = [allow_all("kms:*")];
    for action in ["kms:Encrypt", "kms:Decrypt"] {
        // kms:* in IAM does not open a key whose policy does not delegate to IAM.
        assert_eq!(
            evaluate(&gate(&kp, &ids), &kms(user(ACCT, "admin"), action)),
            Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
        );
        // The named user needs no IAM policy at all.
        assert_eq!(
            evaluate(&gate(&kp, &[]), &kms(user(ACCT, "keyuser"), action)),
            Decision::Allow
        );
    }
    // Not even the account's root user: the key policy does not name the account.
    assert_eq!(
        evaluate(&gate(&kp, &[]), &kms(root(ACCT), "kms:Decrypt")),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
    // Actions the key policy does not list stay closed for the named user too.
    assert_eq!(
        evaluate(
            &gate(&kp, &ids),
            &kms(user(ACCT, "keyuser"), "kms:ScheduleKeyDeletion")
        ),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

#[test]
fn key_policy_with_iam_delegation_lets_identity_policies_count() {
    let kp = key_policy_for("arn:aws:iam::111122223333:user/keyuser", true);
    let ids = [allow_all("kms:*")];
    assert_eq!(
        evaluate(&gate(&kp, &ids), &kms(user(ACCT, "admin"), "kms:Decrypt")),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&gate(&kp, &[]), &kms(user(ACCT, "admin"), "kms:Decrypt")),
        Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
    );
    assert_eq!(
        evaluate(&gate(&kp, &[]), &kms(root(ACCT), "kms:ScheduleKeyDeletion")),
        Decision::Allow
    );
}

#[test]
fn cross_account_key_use_needs_key_policy_and_iam() {
    let kp = key_policy_for(&format!("arn:aws:iam::{OTHER}:user/carol"), true);
    let ids = [allow_all("kms:Decrypt")];
    assert_eq!(
        evaluate(&gate(&kp, &ids), &kms(user(OTHER, "carol"), "kms:Decrypt")),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&gate(&kp, &[]), &kms(user(OTHER, "carol"), "kms:Decrypt")),
        Decision::ImplicitDeny(ImplicitReason::NoIdentityAllow)
    );
    // Another user of that account is not named, and IAM delegation covers only ACCT.
    assert_eq!(
        evaluate(&gate(&kp, &ids), &kms(user(OTHER, "dave"), "kms:Decrypt")),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

#[test]
fn explicit_deny_wins_over_a_gate_allow() {
    let kp = key_policy_for("arn:aws:iam::111122223333:user/keyuser", true);
    // An identity deny beats a key policy naming the user directly.
    let deny = identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
    );
    assert_eq!(
        evaluate(
            &gate(&kp, &[deny]),
            &kms(user(ACCT, "keyuser"), "kms:Decrypt")
        ),
        Decision::ExplicitDeny(PolicySource::Identity)
    );
    // A key-policy deny naming the account reaches every principal of it, root included.
    let kp = resource_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Effect":"Deny","Principal":{{"AWS":"{ACCT}"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    ));
    let ids = [allow_all("kms:*")];
    for who in [user(ACCT, "admin"), root(ACCT)] {
        assert_eq!(
            evaluate(&gate(&kp, &ids), &kms(who, "kms:Decrypt")),
            Decision::ExplicitDeny(PolicySource::Resource)
        );
    }
    // A guardrail deny beats a trust policy naming the user.
    let t = mfa_trust("arn:aws:iam::111122223333:user/alice");
    let g = [Arc::new(
        Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}"#,
            PolicyKind::Guardrail,
        )
        .unwrap(),
    )];
    let set = PolicySet {
        guardrails: Some(Guardrails {
            policies: &g,
            implicit_allow_all: true,
        }),
        ..gate(&t, &[])
    };
    assert_eq!(
        evaluate(&set, &assume(user(ACCT, "alice"), true)),
        Decision::ExplicitDeny(PolicySource::Guardrail)
    );
}

#[test]
fn a_gate_without_a_policy_allows_nothing() {
    let ids = [allow_all("*")];
    let set = PolicySet {
        identity: &ids,
        resource_rule: ResourceRule::Gate,
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&set, &kms(user(ACCT, "admin"), "kms:Decrypt")),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

#[test]
fn not_principal_in_a_gate() {
    // "Everyone but mallory" names alice directly; mallory is not reached even via IAM.
    let t = trust(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/mallory"},"Action":"sts:AssumeRole"}]}"#,
    );
    let ids = [allow_all("*")];
    assert_eq!(
        evaluate(&gate(&t, &[]), &assume(user(ACCT, "alice"), false)),
        Decision::Allow
    );
    assert_eq!(
        evaluate(&gate(&t, &ids), &assume(user(ACCT, "mallory"), false)),
        Decision::ImplicitDeny(ImplicitReason::NoResourceAllow)
    );
}

#[test]
fn an_account_deny_in_a_bucket_policy_reaches_its_users() {
    let bp = resource_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
    ));
    let ids = [allow_all("s3:*")];
    let set = PolicySet {
        identity: &ids,
        resource: Some(&bp),
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(
            &set,
            &req(user(ACCT, "u"), "s3:DeleteObject", "arn:aws:s3:::b/k")
        ),
        Decision::ExplicitDeny(PolicySource::Resource)
    );
    assert_eq!(
        evaluate(
            &set,
            &req(user(ACCT, "u"), "s3:GetObject", "arn:aws:s3:::b/k")
        ),
        Decision::Allow
    );
}

fn arb_principal() -> impl Strategy<Value = Principal> {
    prop::sample::select(vec![
        user(ACCT, "alice"),
        user(ACCT, "bob"),
        root(ACCT),
        user(OTHER, "carol"),
        root(OTHER),
    ])
}

fn arb_named() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "*".to_owned(),
        ACCT.to_owned(),
        format!("arn:aws:iam::{ACCT}:root"),
        format!("arn:aws:iam::{ACCT}:user/alice"),
        format!("arn:aws:iam::{OTHER}:user/carol"),
        format!("arn:aws:iam::{OTHER}:root"),
    ])
}

fn arb_gate() -> impl Strategy<Value = Policy> {
    prop::collection::vec((prop::bool::ANY, arb_named(), prop::bool::ANY), 1..4).prop_map(|v| {
        let statements: Vec<String> = v
            .into_iter()
            .map(|(allow, named, cond)| {
                let c = if cond {
                    r#","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#
                } else {
                    ""
                };
                format!(
                    r#"{{"Effect":"{}","Principal":{{"AWS":"{named}"}},"Action":"kms:*","Resource":"*"{c}}}"#,
                    if allow { "Allow" } else { "Deny" }
                )
            })
            .collect();
        resource_policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        ))
    })
}

proptest! {
    /// A gate never allows what the same policies allow as an ordinary resource policy.
    #[test]
    fn a_gate_is_never_more_permissive(
        kp in arb_gate(), who in arb_principal(), with_iam in prop::bool::ANY, mfa in prop::bool::ANY,
    ) {
        let ids = if with_iam { vec![allow_all("kms:*")] } else { Vec::new() };
        let mut r = kms(who, "kms:Decrypt");
        if mfa {
            r.set("aws:MultiFactorAuthPresent", "true");
        }
        let gated = evaluate(&gate(&kp, &ids), &r);
        let either = evaluate(&PolicySet { resource_rule: ResourceRule::EitherAllows, ..gate(&kp, &ids) }, &r);
        if gated == Decision::Allow {
            prop_assert_eq!(either, Decision::Allow);
        }
        prop_assert_eq!(explain(&gate(&kp, &ids), &r).decision, gated);
    }

    /// Whatever IAM says, a gate that allows nobody in the caller's reach stays shut.
    #[test]
    fn identity_policies_alone_never_open_a_gate(who in arb_principal(), mfa in prop::bool::ANY) {
        let kp = key_policy_for("arn:aws:iam::999988887777:user/somebody", false);
        let ids = [allow_all("*")];
        let mut r = kms(who, "kms:Decrypt");
        if mfa {
            r.set("aws:MultiFactorAuthPresent", "true");
        }
        prop_assert!(matches!(evaluate(&gate(&kp, &ids), &r), Decision::ImplicitDeny(_)));
    }
}
