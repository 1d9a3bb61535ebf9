//! `coffer policy explain`: judge a described request against given policies and say which
//! statement decided. Beyond AWS: a way to test policies before they ship.
//!
//! Input (JSON, from `--file` or stdin):
//! ```json
//! { "principal": {"account": "111122223333", "arn": "arn:aws:iam::111122223333:user/dlsrb"},
//!   "action": "s3:PutObject", "resource": "arn:aws:s3:::dlsrb/k",
//!   "resource_account": "111122223333",
//!   "context": {"s3:x-amz-server-side-encryption": "aws:kms", "aws:TagKeys": ["a", "b"]},
//!   "policies": {"resource": {...}, "identity": [{...}], "guardrails": [{...}], "session": [{...}]} }
//! ```
//! `"guardrails_full_access": false` drops the implicit allow-all beside the guardrails (an
//! SCP set without FullAWSAccess: an allow-list). `"principal": "anonymous"` describes an
//! unsigned request. A role's trust policy or a KMS
//! key policy goes in `"trust"` or `"key"` instead of `"resource"`: those are gates, which
//! must allow by themselves (AWS's rule for both).

use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use coffer_policy::{
    Decision, Effect, Guardrails, Policy, PolicyKind, PolicySet, Principal, RequestContext,
    ResourceRule, explain,
};
use serde_json::{Value, json};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// Decide a request described as JSON and show the statements that matched.
    Explain {
        /// Request description (default: standard input).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

pub(crate) fn run(cmd: PolicyCommand) -> Result<(), Box<dyn std::error::Error>> {
    let PolicyCommand::Explain { file } = cmd;
    let text = match file {
        Some(f) => std::fs::read_to_string(f)?,
        None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
    };
    let out = explain_json(&text)?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

pub(crate) fn explain_json(text: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("request description: {e}"))?;
    let principal = match &v["principal"] {
        Value::String(s) if s == "anonymous" => Principal::Anonymous,
        Value::Object(p) => Principal::Aws {
            account: p
                .get("account")
                .and_then(Value::as_str)
                .ok_or("principal.account is required")?
                .to_owned(),
            arn: p
                .get("arn")
                .and_then(Value::as_str)
                .ok_or("principal.arn is required")?
                .to_owned(),
            role_arn: p.get("role_arn").and_then(Value::as_str).map(str::to_owned),
        },
        _ => return Err("principal must be \"anonymous\" or {\"account\", \"arn\"}".into()),
    };
    let action = v["action"].as_str().ok_or("action is required")?;
    let resource = v["resource"].as_str().ok_or("resource is required")?;
    let mut req = RequestContext::new(principal, action, resource);
    req.resource_account = v["resource_account"].as_str().map(str::to_owned);
    if let Some(ctx) = v["context"].as_object() {
        for (k, val) in ctx {
            match val {
                Value::Array(a) => {
                    req.set_all(
                        k,
                        a.iter()
                            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                            .collect(),
                    );
                }
                Value::String(s) => {
                    req.set(k, s.clone());
                }
                other => {
                    req.set(k, other.to_string());
                }
            }
        }
    }
    let parse_one = |p: &Value, kind: PolicyKind, name: &str| -> Result<Policy, String> {
        Policy::parse(&p.to_string(), kind).map_err(|e| format!("{name} policy: {e}"))
    };
    let parse_list = |name: &str, kind: PolicyKind| -> Result<Vec<Arc<Policy>>, String> {
        match &v["policies"][name] {
            Value::Null => Ok(Vec::new()),
            Value::Array(a) => a
                .iter()
                .map(|p| parse_one(p, kind, name).map(Arc::new))
                .collect(),
            p => Ok(vec![Arc::new(parse_one(p, kind, name)?)]),
        }
    };
    let given = |name: &str| !v["policies"][name].is_null();
    let (resource_policy, resource_rule) = match (given("resource"), given("trust"), given("key")) {
        (false, false, false) => (None, ResourceRule::EitherAllows),
        (true, false, false) => (
            Some(parse_one(
                &v["policies"]["resource"],
                PolicyKind::Resource,
                "resource",
            )?),
            ResourceRule::EitherAllows,
        ),
        (false, true, false) => (
            Some(parse_one(
                &v["policies"]["trust"],
                PolicyKind::Trust,
                "trust",
            )?),
            ResourceRule::Gate,
        ),
        (false, false, true) => (
            Some(parse_one(
                &v["policies"]["key"],
                PolicyKind::Resource,
                "key",
            )?),
            ResourceRule::Gate,
        ),
        _ => return Err("give at most one of policies.resource, .trust and .key".into()),
    };
    let identity = parse_list("identity", PolicyKind::Identity)?;
    let guardrails = parse_list("guardrails", PolicyKind::Guardrail)?;
    let session = parse_list("session", PolicyKind::Identity)?;
    let full_access = v["guardrails_full_access"].as_bool().unwrap_or(true);
    let set = PolicySet {
        guardrails: (!guardrails.is_empty() || !full_access).then_some(Guardrails {
            policies: &guardrails,
            implicit_allow_all: full_access,
        }),
        identity: &identity,
        resource: resource_policy.as_ref(),
        resource_rule,
        session: (!session.is_empty()).then_some(&session[..]),
    };
    let e = explain(&set, &req);
    let stmt = |m: &coffer_policy::MatchedStatement| {
        json!({
            "policy": format!("{:?}", m.source).to_lowercase(),
            "policy_index": m.policy_index,
            "statement_index": m.statement_index,
            "sid": m.sid,
            "effect": if m.effect == Effect::Allow { "Allow" } else { "Deny" },
        })
    };
    let decision = match e.decision {
        Decision::Allow => json!({"decision": "Allow"}),
        Decision::ExplicitDeny(src) => {
            json!({"decision": "Deny", "reason": format!("explicit deny in {}", src.with_article())})
        }
        Decision::ImplicitDeny(r) => {
            json!({"decision": "Deny", "reason": format!("implicit deny: {r:?}")})
        }
    };
    let mut out = decision;
    out["decided_by"] = e.decided_by.as_ref().map_or(Value::Null, stmt);
    out["matched"] = Value::Array(e.matched.iter().map(stmt).collect());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_seed000_refusal() {
        let req = r#"{
          "principal": {"account": "111122223333", "arn": "arn:aws:iam::111122223333:user/dlsrb"},
          "action": "s3:PutObject", "resource": "arn:aws:s3:::dlsrb/k", "resource_account": "111122223333",
          "context": {"s3:x-amz-server-side-encryption": "aws:kms"},
          "policies": {"resource": {"Version": "2012-10-17", "Statement": [
            {"Sid": "AllowUser", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/dlsrb"},
             "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::dlsrb/*"},
            {"Sid": "DenyIncorrectEncryptionHeader", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": "arn:aws:s3:::dlsrb/*",
             "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}}
        }"#;
        let out = explain_json(req).unwrap();
        assert_eq!(out["decision"], "Deny");
        assert_eq!(out["reason"], "explicit deny in a resource-based policy");
        assert_eq!(out["decided_by"]["sid"], "DenyIncorrectEncryptionHeader");
        assert_eq!(out["matched"].as_array().unwrap().len(), 2);
        let allowed = req.replace("aws:kms", "AES256");
        let out = explain_json(&allowed).unwrap();
        assert_eq!(out["decision"], "Allow");
        assert_eq!(out["decided_by"]["sid"], "AllowUser");
        assert!(explain_json(r#"{"principal": 5}"#).is_err());
    }
}
