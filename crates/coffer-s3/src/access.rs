//! Who may do what to a bucket: its policy, its Block Public Access settings, and the
//! decision for one request. Parsed policies are cached per bucket, never re-parsed per
//! request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use coffer_policy::{
    Decision, Effect, ImplicitReason, Policy, PolicyKind, PolicySet, PolicySource, Principal,
    RequestContext, ResourceRule, evaluate,
};
use coffer_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::{S3Core, S3Error};

const POLICY_CONFIG: &str = "policy";
const EXISTING_TAG_PREFIX: &str = "s3:ExistingObjectTag/";
const PUBLIC_ACCESS_BLOCK_CONFIG: &str = "public-access-block";

/// The four Block Public Access settings. New buckets have all four on, as in S3 since 2023.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

impl Default for PublicAccessBlock {
    fn default() -> Self {
        Self {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct StoredBlock {
    settings: PublicAccessBlock,
    /// DeletePublicAccessBlock leaves everything off and the configuration absent.
    deleted: bool,
}

/// What ACLs add to one decision.
enum AclGrants {
    None,
    /// Statements judged together with the bucket policy.
    Merge(Policy),
    /// The object belongs to another account than the bucket: its ACL alone can allow.
    ObjectOfAnotherAccount {
        owner: String,
        acl: Policy,
    },
}

/// The bucket policy's statements and ACL grants' as one resource policy.
fn merge(policy: Option<&Policy>, grants: &Policy) -> Policy {
    let mut statements = policy.map(|p| p.statements.clone()).unwrap_or_default();
    statements.extend(grants.statements.iter().cloned());
    Policy {
        version: grants.version,
        id: None,
        statements,
    }
}

/// What decides access to one bucket, loaded once and cached.
pub(crate) struct BucketAccess {
    pub(crate) owner: String,
    pub(crate) ownership: crate::ObjectOwnership,
    /// The bucket's ACL, where ACLs are enabled.
    acl: Option<crate::Acl>,
    /// The bucket policy reads `s3:ExistingObjectTag/...`.
    reads_object_tags: bool,
    policy: Option<Arc<Policy>>,
    policy_is_public: bool,
    block: PublicAccessBlock,
}

#[derive(Default)]
pub(crate) struct AccessCache(RwLock<HashMap<String, Arc<BucketAccess>>>);

/// Key space of account-level S3 settings (S3 Control).
const ACCOUNT_NS: &str = "s3control";

impl PublicAccessBlock {
    const OFF: Self = Self {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
    };

    /// The stricter of two settings, field by field (account OR bucket, as S3 applies them).
    fn or(self, other: Self) -> Self {
        Self {
            block_public_acls: self.block_public_acls || other.block_public_acls,
            ignore_public_acls: self.ignore_public_acls || other.ignore_public_acls,
            block_public_policy: self.block_public_policy || other.block_public_policy,
            restrict_public_buckets: self.restrict_public_buckets || other.restrict_public_buckets,
        }
    }
}

impl AccessCache {
    pub(crate) fn invalidate(&self, bucket: &str) {
        if let Ok(mut m) = self.0.write() {
            m.remove(bucket);
        }
    }
}

/// Largest bucket policy, as S3: 20 KiB.
pub const MAX_BUCKET_POLICY: usize = 20 * 1024;

impl S3Core {
    /// Validates and stores a bucket policy (`MalformedPolicy` names the problem).
    pub async fn put_bucket_policy(&self, bucket: &str, json: &str) -> Result<(), S3Error> {
        let access = self.bucket_access(bucket)?;
        if json.len() > MAX_BUCKET_POLICY {
            return Err(S3Error::MalformedPolicy(
                "Policy exceeds the maximum allowed document size.".into(),
            ));
        }
        let policy =
            Policy::parse(json, PolicyKind::Resource).map_err(|e| S3Error::MalformedPolicy(e.0))?;
        check_resources_name_bucket(&policy, bucket)?;
        let block = self.effective_block(&access)?;
        if block.block_public_policy && is_public(&policy) {
            return Err(S3Error::AccessDenied(
                "User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting.".into(),
            ));
        }
        self.put_config(bucket, POLICY_CONFIG, Some(json.as_bytes().to_vec()))
            .await
    }

    pub fn bucket_policy(&self, bucket: &str) -> Result<String, S3Error> {
        self.require_bucket(bucket)?;
        let raw = self
            .meta
            .bucket_config(bucket, POLICY_CONFIG)?
            .ok_or(S3Error::NoSuchBucketPolicy)?;
        String::from_utf8(raw).map_err(|_| S3Error::Corrupt)
    }

    pub async fn delete_bucket_policy(&self, bucket: &str) -> Result<(), S3Error> {
        self.put_config(bucket, POLICY_CONFIG, None).await
    }

    /// GetBucketPolicyStatus: whether the bucket's policy makes it public.
    pub fn bucket_policy_is_public(&self, bucket: &str) -> Result<bool, S3Error> {
        let access = self.bucket_access(bucket)?;
        if access.policy.is_none() {
            return Err(S3Error::NoSuchBucketPolicy);
        }
        Ok(access.policy_is_public)
    }

    pub fn public_access_block(&self, bucket: &str) -> Result<PublicAccessBlock, S3Error> {
        self.require_bucket(bucket)?;
        match self
            .meta
            .bucket_config(bucket, PUBLIC_ACCESS_BLOCK_CONFIG)?
        {
            None => Ok(PublicAccessBlock::default()),
            Some(raw) => {
                let stored: StoredBlock =
                    serde_json::from_slice(&raw).map_err(|_| S3Error::Corrupt)?;
                if stored.deleted {
                    Err(S3Error::NoSuchPublicAccessBlockConfiguration)
                } else {
                    Ok(stored.settings)
                }
            }
        }
    }

    pub async fn put_public_access_block(
        &self,
        bucket: &str,
        settings: PublicAccessBlock,
    ) -> Result<(), S3Error> {
        let v = serde_json::to_vec(&StoredBlock {
            settings,
            deleted: false,
        })
        .unwrap_or_default();
        self.put_config(bucket, PUBLIC_ACCESS_BLOCK_CONFIG, Some(v))
            .await
    }

    pub async fn delete_public_access_block(&self, bucket: &str) -> Result<(), S3Error> {
        let v = serde_json::to_vec(&StoredBlock {
            settings: PublicAccessBlock::OFF,
            deleted: true,
        })
        .unwrap_or_default();
        self.put_config(bucket, PUBLIC_ACCESS_BLOCK_CONFIG, Some(v))
            .await
    }

    /// The account-level setting (`GetPublicAccessBlock` of S3 Control).
    pub fn account_public_access_block(&self, account: &str) -> Result<PublicAccessBlock, S3Error> {
        let raw = self
            .meta
            .kv_get(ACCOUNT_NS, &format!("public-access-block/{account}"))?;
        let raw = raw.ok_or(S3Error::NoSuchPublicAccessBlockConfiguration)?;
        serde_json::from_slice(&raw).map_err(|_| S3Error::Corrupt)
    }

    pub async fn put_account_public_access_block(
        &self,
        account: &str,
        settings: PublicAccessBlock,
    ) -> Result<(), S3Error> {
        let value = serde_json::to_vec(&settings).unwrap_or_default();
        let op = coffer_store::KvOp::Put {
            ns: ACCOUNT_NS.into(),
            key: format!("public-access-block/{account}"),
            value,
        };
        self.meta.kv_apply(vec![op]).await?;
        Ok(())
    }

    pub async fn delete_account_public_access_block(&self, account: &str) -> Result<(), S3Error> {
        let op = coffer_store::KvOp::Delete {
            ns: ACCOUNT_NS.into(),
            key: format!("public-access-block/{account}"),
        };
        match self.meta.kv_apply(vec![op]).await {
            Ok(()) | Err(StoreError::KvMissing(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The settings in force for a bucket: its own and its owner account's, the stricter of
    /// each.
    pub(crate) fn effective_block(
        &self,
        access: &BucketAccess,
    ) -> Result<PublicAccessBlock, S3Error> {
        Ok(access.block.or(self.account_block(&access.owner)?))
    }

    /// The account's setting, all off when none is configured.
    fn account_block(&self, account: &str) -> Result<PublicAccessBlock, S3Error> {
        match self.account_public_access_block(account) {
            Ok(b) => Ok(b),
            Err(S3Error::NoSuchPublicAccessBlockConfiguration) => Ok(PublicAccessBlock::OFF),
            Err(e) => Err(e),
        }
    }

    /// Decides `req` against the caller's identity policies and account guardrails and the
    /// bucket's policy (if `bucket` is given), and returns `AccessDenied` in AWS's words when
    /// refused. The caller fills the condition keys.
    pub fn authorize(
        &self,
        bucket: Option<&str>,
        req: &mut RequestContext,
        caller: PolicySet<'_>,
    ) -> Result<(), S3Error> {
        let access = match bucket {
            Some(b) => match self.bucket_access(b) {
                Ok(a) => Some(a),
                // Let the operation answer NoSuchBucket, as S3 does for an authorized caller;
                // anonymous callers learn nothing.
                Err(S3Error::NoSuchBucket) if req.principal != Principal::Anonymous => None,
                Err(S3Error::NoSuchBucket) => {
                    return Err(S3Error::AccessDenied("Access Denied".into()));
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        self.fill_existing_object_tags(bucket, access.as_deref(), &caller, req);
        let owner = access.as_ref().map(|a| a.owner.clone());
        req.resource_account = owner.clone();
        let same_account = owner
            .as_deref()
            .is_none_or(|o| req.principal.account() == Some(o));
        let block = match &access {
            Some(a) => self.effective_block(a).unwrap_or(a.block),
            None => PublicAccessBlock::OFF,
        };
        // RestrictPublicBuckets: a public policy grants nothing to anonymous or other accounts.
        let policy = access.as_ref().and_then(|a| {
            let restricted = block.restrict_public_buckets && a.policy_is_public && !same_account;
            if restricted {
                None
            } else {
                a.policy.as_deref()
            }
        });
        // Where ACLs are enabled their grants count as resource-policy statements.
        let grants = match (&access, bucket) {
            (Some(a), Some(b)) if a.ownership.acls_enabled() => {
                self.acl_grants(b, a, req, block.ignore_public_acls)?
            }
            _ => AclGrants::None,
        };
        let merged;
        let resource = match &grants {
            AclGrants::None => policy,
            AclGrants::Merge(acl) => {
                merged = merge(policy, acl);
                Some(&merged)
            }
            AclGrants::ObjectOfAnotherAccount { .. } => policy,
        };
        let set = PolicySet {
            resource,
            resource_rule: ResourceRule::EitherAllows,
            ..caller
        };
        let mut decision = evaluate(&set, req);
        // An object another account wrote (ACLs enabled, ObjectWriter): the bucket policy can
        // still deny, but only the object's owner and its ACL can allow.
        if let AclGrants::ObjectOfAnotherAccount { owner, acl } = &grants
            && !matches!(decision, Decision::ExplicitDeny(_))
        {
            req.resource_account = Some(owner.clone());
            decision = evaluate(
                &PolicySet {
                    resource: Some(acl),
                    ..set
                },
                req,
            );
        }
        // The account root may always manage the bucket policy, even when it denies itself.
        let root_manages_policy = same_account
            && req.principal.is_root()
            && matches!(
                req.action.as_str(),
                "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy"
            );
        match decision {
            Decision::Allow => Ok(()),
            _ if root_manages_policy => Ok(()),
            other => Err(S3Error::AccessDenied(denial_message(
                other,
                req,
                same_account,
            ))),
        }
    }

    /// The ACL grants bearing on `req` in a bucket with ACLs enabled: the bucket's, and for
    /// an object's own actions the object's.
    fn acl_grants(
        &self,
        bucket: &str,
        access: &BucketAccess,
        req: &RequestContext,
        ignore_public: bool,
    ) -> Result<AclGrants, S3Error> {
        let bucket_arn = format!("arn:aws:s3:::{bucket}");
        let mut statements = match &access.acl {
            Some(acl) => acl.statements(&bucket_arn, false, ignore_public),
            None => Vec::new(),
        };
        let key = req
            .resource
            .strip_prefix(&bucket_arn)
            .and_then(|r| r.strip_prefix('/'));
        if let Some(key) = key.filter(|_| crate::acl::OBJECT_ACTIONS.contains(&req.action.as_str()))
        {
            let object_acl = match self.object_record(bucket, key) {
                Ok(rec) => crate::meta::StoredMeta::from_bytes(&rec.meta)?.acl,
                // The operation answers for a missing object.
                Err(S3Error::NoSuchKey) => None,
                Err(e) => return Err(e),
            };
            if let Some(acl) = object_acl {
                let object = acl.statements(&req.resource, true, ignore_public);
                if acl.owner != access.owner {
                    return Ok(AclGrants::ObjectOfAnotherAccount {
                        owner: acl.owner,
                        acl: crate::acl::policy_of(object)?,
                    });
                }
                statements.extend(object);
            }
        }
        if statements.is_empty() {
            return Ok(AclGrants::None);
        }
        Ok(AclGrants::Merge(crate::acl::policy_of(statements)?))
    }

    /// `s3:ExistingObjectTag/<key>` for object operations, read only when some policy in play
    /// uses it (it costs a metadata read).
    fn fill_existing_object_tags(
        &self,
        bucket: Option<&str>,
        access: Option<&BucketAccess>,
        caller: &PolicySet<'_>,
        req: &mut RequestContext,
    ) {
        // The actions s3:ExistingObjectTag is judged for (their `…Version` forms too).
        const OBJECT_ACTIONS: [&str; 20] = [
            "s3:GetObject",
            "s3:GetObjectVersion",
            "s3:GetObjectTagging",
            "s3:GetObjectVersionTagging",
            "s3:PutObjectTagging",
            "s3:PutObjectVersionTagging",
            "s3:DeleteObjectTagging",
            "s3:DeleteObjectVersionTagging",
            "s3:GetObjectAttributes",
            "s3:GetObjectVersionAttributes",
            "s3:GetObjectAcl",
            "s3:GetObjectVersionAcl",
            "s3:PutObjectAcl",
            "s3:PutObjectVersionAcl",
            "s3:GetObjectRetention",
            "s3:PutObjectRetention",
            "s3:GetObjectLegalHold",
            "s3:PutObjectLegalHold",
            "s3:DeleteObject",
            "s3:DeleteObjectVersion",
        ];
        let Some(bucket) = bucket else { return };
        if !OBJECT_ACTIONS.contains(&req.action.as_str()) {
            return;
        }
        let mut in_play = caller
            .identity
            .iter()
            .chain(caller.guardrails.iter().flat_map(|g| g.policies))
            .chain(caller.session.into_iter().flatten());
        let used = access.is_some_and(|a| a.reads_object_tags)
            || in_play.any(|p| p.mentions_condition_key(EXISTING_TAG_PREFIX));
        if !used {
            return;
        }
        let prefix = format!("arn:aws:s3:::{bucket}/");
        let Some(key) = req.resource.strip_prefix(&prefix).map(str::to_owned) else {
            return;
        };
        // The tags of the version the request names (`s3:VersionId`), else the current one's.
        let named = req
            .get("s3:VersionId")
            .and_then(|v| v.first())
            .and_then(|v| crate::VersionId::parse(v).ok());
        let version = crate::VersionSelector::of(named.as_ref());
        if let Ok((tags, _)) = self.object_tags(bucket, &key, version) {
            for t in tags {
                req.set(&format!("s3:ExistingObjectTag/{}", t.key), t.value);
            }
        }
    }

    pub(crate) async fn put_config(
        &self,
        bucket: &str,
        name: &str,
        value: Option<Vec<u8>>,
    ) -> Result<(), S3Error> {
        self.access_cache.invalidate(bucket);
        let r = self
            .meta
            .put_bucket_config(bucket, name, value)
            .await
            .map_err(|e| match e {
                StoreError::NoSuchBucket(_) => S3Error::NoSuchBucket,
                e => e.into(),
            });
        self.access_cache.invalidate(bucket);
        r
    }

    pub(crate) fn bucket_access(&self, bucket: &str) -> Result<Arc<BucketAccess>, S3Error> {
        if let Some(a) = self
            .access_cache
            .0
            .read()
            .ok()
            .and_then(|m| m.get(bucket).cloned())
        {
            return Ok(a);
        }
        let rec = self.require_bucket(bucket)?;
        let policy = match self.meta.bucket_config(bucket, POLICY_CONFIG)? {
            Some(raw) => {
                let text = String::from_utf8(raw).map_err(|_| S3Error::Corrupt)?;
                Some(Arc::new(
                    Policy::parse(&text, PolicyKind::Resource).map_err(|_| S3Error::Corrupt)?,
                ))
            }
            None => None,
        };
        let block = match self.public_access_block(bucket) {
            Ok(b) => b,
            Err(S3Error::NoSuchPublicAccessBlockConfiguration) => PublicAccessBlock::OFF,
            Err(e) => return Err(e),
        };
        let ownership = self.effective_ownership(bucket)?;
        let acl = if ownership.acls_enabled() {
            Some(self.bucket_acl(bucket)?)
        } else {
            None
        };
        let access = Arc::new(BucketAccess {
            owner: rec.owner,
            ownership,
            acl,
            reads_object_tags: policy
                .as_deref()
                .is_some_and(|p| p.mentions_condition_key(EXISTING_TAG_PREFIX)),
            policy_is_public: policy.as_deref().is_some_and(is_public),
            policy,
            block,
        });
        if let Ok(mut m) = self.access_cache.0.write() {
            m.insert(bucket.to_owned(), access.clone());
        }
        Ok(access)
    }
}

/// AWS's `AccessDenied` wording: which kind of policy refused, for same-account callers; a
/// bare "Access Denied" for anonymous and other accounts.
fn denial_message(decision: Decision, req: &RequestContext, same_account: bool) -> String {
    let Principal::Aws { arn, .. } = &req.principal else {
        return "Access Denied".into();
    };
    if !same_account {
        return "Access Denied".into();
    }
    let head = format!(
        "User: {arn} is not authorized to perform: {} on resource: \"{}\"",
        req.action, req.resource
    );
    match decision {
        Decision::ExplicitDeny(src) => {
            format!("{head} with an explicit deny in {}", src.with_article())
        }
        Decision::ImplicitDeny(ImplicitReason::GuardrailAllowsNothing) => {
            format!(
                "{head} because no {} allows the {} action",
                PolicySource::Guardrail.aws_wording(),
                req.action
            )
        }
        Decision::ImplicitDeny(ImplicitReason::SessionAllowsNothing) => {
            format!(
                "{head} because no {} allows the {} action",
                PolicySource::Session.aws_wording(),
                req.action
            )
        }
        Decision::ImplicitDeny(_) | Decision::Allow => {
            format!(
                "{head} because no identity-based policy allows the {} action",
                req.action
            )
        }
    }
}

/// Each Resource of a bucket policy must name this bucket or its objects.
fn check_resources_name_bucket(policy: &Policy, bucket: &str) -> Result<(), S3Error> {
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    for st in &policy.statements {
        for r in st.resource.iter().flat_map(|e| &e.items) {
            let r = r.as_str();
            let names_bucket = r == bucket_arn
                || r.strip_prefix(&bucket_arn)
                    .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('*'))
                || (r.contains('*') && bucket_arn.starts_with(r.split('*').next().unwrap_or(r)));
            if !names_bucket {
                return Err(S3Error::MalformedPolicy(format!(
                    "Policy has invalid resource: {r}"
                )));
            }
        }
    }
    Ok(())
}

/// S3's notion of a public policy: an Allow for everyone not pinned by a condition on a
/// fixed source or caller.
pub(crate) fn is_public(policy: &Policy) -> bool {
    const PINNING_KEYS: [&str; 10] = [
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:userid",
        "aws:sourceowner",
    ];
    policy.statements.iter().any(|st| {
        let everyone = st
            .principal
            .as_ref()
            .is_some_and(|p| p.negated || p.items.iter().any(|x| x.everyone));
        let pinned = st.conditions.iter().any(|c| {
            !c.operator.is_negated()
                && PINNING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
                && c.values
                    .iter()
                    .all(|v| !v.contains('*') && v != "0.0.0.0/0" && v != "::/0")
        });
        st.effect == Effect::Allow && everyone && !pinned
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(json: &str) -> Policy {
        Policy::parse(json, PolicyKind::Resource).unwrap()
    }

    #[test]
    fn public_policies() {
        assert!(is_public(&p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#
        )));
        assert!(!is_public(&p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#
        )));
        assert!(!is_public(&p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#
        )));
        assert!(!is_public(&p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#
        )));
    }

    #[test]
    fn resources_must_name_the_bucket() {
        let ok = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#,
        );
        assert!(check_resources_name_bucket(&ok, "b").is_ok());
        let other = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::c/*"}]}"#,
        );
        assert!(check_resources_name_bucket(&other, "b").is_err());
        let prefix = p(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bb/*"}]}"#,
        );
        assert!(check_resources_name_bucket(&prefix, "b").is_err());
    }
}
