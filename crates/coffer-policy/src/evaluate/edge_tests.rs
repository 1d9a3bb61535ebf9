//! Behaviours a differential run against an independent evaluator found differing from
//! AWS, each checked against AWS's documentation (issue 9 §5).

use super::tests::{ACCT, identity_policy, req, resource_policy, user};
use super::*;

fn session(role: &str, name: &str) -> Principal {
    Principal::Aws {
        account: ACCT.into(),
        arn: format!("arn:aws:sts::{ACCT}:assumed-role/{role}/{name}"),
        role_arn: Some(format!("arn:aws:iam::{ACCT}:role/{role}")),
    }
}

fn grant(principal: &str) -> Policy {
    resource_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
    ))
}

#[test]
fn a_session_policy_limits_grants_to_the_role_but_not_to_the_session() {
    let only_put = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
    )];
    let get = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    )];
    let r = || req(session("Reader", "s1"), "s3:GetObject", "arn:aws:s3:::b/k");
    let to_role = grant(&format!("arn:aws:iam::{ACCT}:role/Reader"));
    let to_session = grant(&format!("arn:aws:sts::{ACCT}:assumed-role/Reader/s1"));
    let set = |resource, session| PolicySet {
        resource: Some(resource),
        session,
        ..PolicySet::default()
    };
    // Naming the role: the grant joins the role's permissions, which the session policy
    // (allowing only PutObject) limits.
    assert_eq!(
        evaluate(&set(&to_role, Some(&only_put)), &r()),
        Decision::ImplicitDeny(ImplicitReason::SessionAllowsNothing)
    );
    // Within the session policy the grant to the role allows, and without one too.
    assert_eq!(evaluate(&set(&to_role, Some(&get)), &r()), Decision::Allow);
    assert_eq!(evaluate(&set(&to_role, None), &r()), Decision::Allow);
    // Naming the session itself: not limited by the session policy.
    assert_eq!(
        evaluate(&set(&to_session, Some(&only_put)), &r()),
        Decision::Allow
    );
    // Cross-account: a grant to the role needs the session policy too.
    let mut far = r();
    far.resource_account = Some("999988887777".into());
    assert!(matches!(
        evaluate(&set(&to_role, Some(&only_put)), &far),
        Decision::ImplicitDeny(_)
    ));
}

#[test]
fn a_deny_naming_the_owner_account_reaches_its_users() {
    for principal in [ACCT.to_owned(), format!("arn:aws:iam::{ACCT}:root")] {
        let p = resource_policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Principal":{{"AWS":"{principal}"}},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}}]}}"#
        ));
        let id = [identity_policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        )];
        let set = PolicySet {
            identity: &id,
            resource: Some(&p),
            ..PolicySet::default()
        };
        for who in [user(ACCT, "alice"), session("Admin", "x")] {
            assert_eq!(
                evaluate(&set, &req(who, "s3:GetObject", "arn:aws:s3:::b/k")),
                Decision::ExplicitDeny(PolicySource::Resource)
            );
        }
    }
}

/// A variable the request can't fill is a null value: `StringEquals` never matches it and
/// `StringNotEquals` always does, key present or absent; `...IfExists` with the key absent
/// holds. So a Deny written with a negated operator can't be slipped past by lacking the
/// variable.
#[test]
fn conditions_with_variables_the_request_cannot_fill() {
    let deny = resource_policy(
        r#"{"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
          {"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
           "Condition":{"StringNotEquals":{"s3:ExistingObjectTag/owner":"${aws:username}"}}}]}"#,
    );
    let set = PolicySet {
        resource: Some(&deny),
        ..PolicySet::default()
    };
    // A role session has no aws:username: the Deny applies (key present or absent).
    let mut r = req(session("R", "s"), "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ExplicitDeny(PolicySource::Resource)
    );
    r.set("s3:ExistingObjectTag/owner", "alice");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ExplicitDeny(PolicySource::Resource)
    );
    // A user whose name matches the tag gets through; another is denied.
    let mut r = req(user(ACCT, "alice"), "s3:GetObject", "arn:aws:s3:::b/k");
    r.set("aws:username", "alice")
        .set("s3:ExistingObjectTag/owner", "alice");
    assert_eq!(evaluate(&set, &r), Decision::Allow);
    r.set("aws:username", "bob");
    assert_eq!(
        evaluate(&set, &r),
        Decision::ExplicitDeny(PolicySource::Resource)
    );

    let allow = |cond: &str| {
        identity_policy(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{cond}}}]}}"#
        ))
    };
    let judge = |cond: &str, key: Option<&str>| {
        let id = [allow(cond)];
        let set = PolicySet {
            identity: &id,
            ..PolicySet::default()
        };
        let mut r = req(session("R", "s"), "s3:GetObject", "arn:aws:s3:::b/k");
        if let Some(v) = key {
            r.set("s3:prefix", v);
        }
        evaluate(&set, &r) == Decision::Allow
    };
    assert!(!judge(
        r#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#,
        Some("x")
    ));
    assert!(judge(
        r#"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#,
        Some("x")
    ));
    assert!(judge(
        r#"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#,
        None
    ));
    assert!(judge(
        r#"{"StringEqualsIfExists":{"s3:prefix":"${aws:username}"}}"#,
        None
    ));
    assert!(!judge(
        r#"{"StringEqualsIfExists":{"s3:prefix":"${aws:username}"}}"#,
        Some("x")
    ));
    // A fillable value beside the unfillable one still matches.
    assert!(judge(
        r#"{"StringEquals":{"s3:prefix":["${aws:username}","x"]}}"#,
        Some("x")
    ));
    // A default makes the variable fillable.
    assert!(judge(
        r#"{"StringEquals":{"s3:prefix":"${aws:username, 'x'}"}}"#,
        Some("x")
    ));
}

#[test]
fn for_any_value_if_exists_on_an_absent_key_is_false() {
    let id = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*",
            "Condition":{"ForAnyValue:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"team"}}}]}"#,
    )];
    let set = PolicySet {
        identity: &id,
        ..PolicySet::default()
    };
    let r = req(user(ACCT, "u"), "s3:PutObject", "arn:aws:s3:::b/k");
    assert!(matches!(evaluate(&set, &r), Decision::ImplicitDeny(_)));
    let mut r = r;
    r.set_all("s3:RequestObjectTagKeys", vec!["team".into()]);
    assert_eq!(evaluate(&set, &r), Decision::Allow);
}

/// Guardrails without the implicit allow-all beside them (an SCP set without FullAWSAccess)
/// are an allow-list: the account, root included, may do only what they allow.
#[test]
fn allow_list_guardrails() {
    let list = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#,
    )];
    let admin = [identity_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )];
    let set = |implicit_allow_all| PolicySet {
        identity: &admin,
        guardrails: Some(Guardrails {
            policies: &list,
            implicit_allow_all,
        }),
        ..PolicySet::default()
    };
    let put = req(user(ACCT, "u"), "s3:PutObject", "arn:aws:s3:::b/k");
    let get = req(user(ACCT, "u"), "s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(evaluate(&set(true), &put), Decision::Allow);
    assert_eq!(
        evaluate(&set(false), &put),
        Decision::ImplicitDeny(ImplicitReason::GuardrailAllowsNothing)
    );
    assert_eq!(evaluate(&set(false), &get), Decision::Allow);
    let root_put = req(super::tests::root(ACCT), "s3:PutObject", "arn:aws:s3:::b/k");
    assert_eq!(
        evaluate(&set(false), &root_put),
        Decision::ImplicitDeny(ImplicitReason::GuardrailAllowsNothing)
    );
    // No guardrail at all and no allow-all: nothing is allowed.
    let none = PolicySet {
        identity: &admin,
        guardrails: Some(Guardrails {
            policies: &[],
            implicit_allow_all: false,
        }),
        ..PolicySet::default()
    };
    assert!(matches!(evaluate(&none, &get), Decision::ImplicitDeny(_)));
}
