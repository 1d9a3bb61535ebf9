//! Object Ownership and access control lists, as S3 keeps them since 2023: a bucket's
//! ownership setting says whether ACLs exist at all (`BucketOwnerEnforced`, the default,
//! disables them: the bucket owner owns every object and only policies decide), and who owns
//! an object a writer of another account uploads. Where ACLs are enabled, a grant takes part
//! in authorization as the equivalent resource-policy statement would (so explicit denies
//! still win, and a grant to another account still needs that account's identity policy).

use serde::{Deserialize, Serialize};

use crate::S3Error;

/// `x-amz-object-ownership` / the `OwnershipControls` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectOwnership {
    /// ACLs disabled: the bucket owner owns every object.
    BucketOwnerEnforced,
    /// ACLs enabled; an object written with `bucket-owner-full-control` is the bucket owner's.
    BucketOwnerPreferred,
    /// ACLs enabled; the writing account owns the object.
    ObjectWriter,
}

impl ObjectOwnership {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "BucketOwnerEnforced" => Some(Self::BucketOwnerEnforced),
            "BucketOwnerPreferred" => Some(Self::BucketOwnerPreferred),
            "ObjectWriter" => Some(Self::ObjectWriter),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BucketOwnerEnforced => "BucketOwnerEnforced",
            Self::BucketOwnerPreferred => "BucketOwnerPreferred",
            Self::ObjectWriter => "ObjectWriter",
        }
    }

    pub fn acls_enabled(self) -> bool {
        self != Self::BucketOwnerEnforced
    }
}

/// Every action an object's ACL can grant: the ones judged by the object's own ACL.
pub(crate) const OBJECT_ACTIONS: [&str; 7] = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectTorrent",
    "s3:GetObjectAcl",
    "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
];

/// An ACL permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    FullControl,
    Read,
    Write,
    ReadAcp,
    WriteAcp,
}

impl Permission {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "FULL_CONTROL" => Some(Self::FullControl),
            "READ" => Some(Self::Read),
            "WRITE" => Some(Self::Write),
            "READ_ACP" => Some(Self::ReadAcp),
            "WRITE_ACP" => Some(Self::WriteAcp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullControl => "FULL_CONTROL",
            Self::Read => "READ",
            Self::Write => "WRITE",
            Self::ReadAcp => "READ_ACP",
            Self::WriteAcp => "WRITE_ACP",
        }
    }

    /// The IAM actions this permission grants on a bucket or on an object (AWS's mapping).
    fn actions(self, on_object: bool) -> &'static [&'static str] {
        const BUCKET_READ: &[&str] = &[
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:ListBucketMultipartUploads",
        ];
        const BUCKET_WRITE: &[&str] =
            &["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"];
        const OBJECT_READ: &[&str] =
            &["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"];
        match (self, on_object) {
            (Self::Read, false) => BUCKET_READ,
            (Self::Write, false) => BUCKET_WRITE,
            (Self::ReadAcp, false) => &["s3:GetBucketAcl"],
            (Self::WriteAcp, false) => &["s3:PutBucketAcl"],
            (Self::FullControl, false) => &[
                "s3:ListBucket",
                "s3:ListBucketVersions",
                "s3:ListBucketMultipartUploads",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:GetBucketAcl",
                "s3:PutBucketAcl",
            ],
            (Self::Read, true) => OBJECT_READ,
            // WRITE means nothing on an object (S3 accepts and ignores it there).
            (Self::Write, true) => &[],
            (Self::ReadAcp, true) => &["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
            (Self::WriteAcp, true) => &["s3:PutObjectAcl", "s3:PutObjectVersionAcl"],
            (Self::FullControl, true) => &OBJECT_ACTIONS,
        }
    }
}

/// Who a grant is for. Accounts by id (the wire's canonical ids and e-mail addresses are
/// resolved to accounts before they get here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    Account(String),
    AllUsers,
    AuthenticatedUsers,
    LogDelivery,
}

impl Grantee {
    pub const ALL_USERS_URI: &'static str = "http://acs.amazonaws.com/groups/global/AllUsers";
    pub const AUTHENTICATED_USERS_URI: &'static str =
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    pub const LOG_DELIVERY_URI: &'static str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

    pub fn group(uri: &str) -> Option<Self> {
        match uri {
            Self::ALL_USERS_URI => Some(Self::AllUsers),
            Self::AUTHENTICATED_USERS_URI => Some(Self::AuthenticatedUsers),
            Self::LOG_DELIVERY_URI => Some(Self::LogDelivery),
            _ => None,
        }
    }

    pub fn group_uri(&self) -> Option<&'static str> {
        match self {
            Self::AllUsers => Some(Self::ALL_USERS_URI),
            Self::AuthenticatedUsers => Some(Self::AUTHENTICATED_USERS_URI),
            Self::LogDelivery => Some(Self::LOG_DELIVERY_URI),
            Self::Account(_) => None,
        }
    }

    /// A group anyone (or anyone with any AWS credentials) belongs to.
    pub fn is_public(&self) -> bool {
        matches!(self, Self::AllUsers | Self::AuthenticatedUsers)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub permission: Permission,
}

/// A bucket's or object's ACL: its owner (an account id) and the grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acl {
    pub owner: String,
    pub grants: Vec<Grant>,
}

/// The canned ACLs (`x-amz-acl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    AwsExecRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
    LogDeliveryWrite,
}

impl CannedAcl {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "private" => Self::Private,
            "public-read" => Self::PublicRead,
            "public-read-write" => Self::PublicReadWrite,
            "authenticated-read" => Self::AuthenticatedRead,
            "aws-exec-read" => Self::AwsExecRead,
            "bucket-owner-read" => Self::BucketOwnerRead,
            "bucket-owner-full-control" => Self::BucketOwnerFullControl,
            "log-delivery-write" => Self::LogDeliveryWrite,
            _ => return None,
        })
    }
}

/// The ACL a request asks for: a canned ACL or explicit grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclRequest {
    Canned(CannedAcl),
    /// An `AccessControlPolicy` document.
    Grants(Vec<Grant>),
    /// `x-amz-grant-*` headers: refused whatever they say where ACLs are disabled (S3 takes
    /// only the `bucket-owner-full-control` canned ACL, or an equivalent document, there).
    GrantHeaders(Vec<Grant>),
}

impl Acl {
    /// The owner alone, with full control: every resource's ACL when nothing else was set.
    pub fn private(owner: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            grants: vec![Grant {
                grantee: Grantee::Account(owner.to_owned()),
                permission: Permission::FullControl,
            }],
        }
    }

    /// The ACL `request` makes for a resource owned by `owner` in a bucket of `bucket_owner`.
    pub fn from_request(request: &AclRequest, owner: &str, bucket_owner: &str) -> Self {
        let mut acl = Self::private(owner);
        let add = |acl: &mut Self, grantee: Grantee, permission: Permission| {
            acl.grants.push(Grant {
                grantee,
                permission,
            });
        };
        match request {
            AclRequest::Grants(grants) | AclRequest::GrantHeaders(grants) => {
                acl.grants = grants.clone();
            }
            AclRequest::Canned(c) => match c {
                CannedAcl::Private | CannedAcl::AwsExecRead => {}
                CannedAcl::PublicRead => add(&mut acl, Grantee::AllUsers, Permission::Read),
                CannedAcl::PublicReadWrite => {
                    add(&mut acl, Grantee::AllUsers, Permission::Read);
                    add(&mut acl, Grantee::AllUsers, Permission::Write);
                }
                CannedAcl::AuthenticatedRead => {
                    add(&mut acl, Grantee::AuthenticatedUsers, Permission::Read);
                }
                CannedAcl::BucketOwnerRead if owner != bucket_owner => {
                    add(
                        &mut acl,
                        Grantee::Account(bucket_owner.into()),
                        Permission::Read,
                    );
                }
                CannedAcl::BucketOwnerFullControl if owner != bucket_owner => add(
                    &mut acl,
                    Grantee::Account(bucket_owner.into()),
                    Permission::FullControl,
                ),
                CannedAcl::BucketOwnerRead | CannedAcl::BucketOwnerFullControl => {}
                CannedAcl::LogDeliveryWrite => {
                    add(&mut acl, Grantee::LogDelivery, Permission::Write);
                    add(&mut acl, Grantee::LogDelivery, Permission::ReadAcp);
                }
            },
        }
        acl
    }

    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.grantee.is_public())
    }

    /// Whether the ACL grants anything beyond its owner's full control (which a bucket must
    /// not have when ACLs are disabled).
    pub fn grants_beyond_owner(&self) -> bool {
        self.grants.iter().any(|g| {
            g.grantee != Grantee::Account(self.owner.clone())
                || g.permission != Permission::FullControl
        })
    }

    /// The grants as resource-policy statements on `resource` (the bucket's or the object's
    /// ARN); public grants left out when `ignore_public` (IgnorePublicAcls).
    pub(crate) fn statements(
        &self,
        resource: &str,
        on_object: bool,
        ignore_public: bool,
    ) -> Vec<serde_json::Value> {
        self.grants
            .iter()
            .filter(|g| !(ignore_public && g.grantee.is_public()))
            .filter_map(|g| {
                let actions = g.permission.actions(on_object);
                if actions.is_empty() {
                    return None;
                }
                // WRITE on a bucket is about its objects.
                let resource = if !on_object && g.permission == Permission::Write {
                    format!("{resource}/*")
                } else if !on_object && g.permission == Permission::FullControl {
                    return Some(serde_json::json!([
                        statement(&g.grantee, &actions[..3], resource.to_owned()),
                        statement(&g.grantee, &actions[3..6], format!("{resource}/*")),
                        statement(&g.grantee, &actions[6..], resource.to_owned()),
                    ]));
                } else {
                    resource.to_owned()
                };
                Some(serde_json::json!([statement(
                    &g.grantee, actions, resource
                )]))
            })
            .flat_map(|v| match v {
                serde_json::Value::Array(a) => a,
                other => vec![other],
            })
            .collect()
    }
}

fn statement(grantee: &Grantee, actions: &[&str], resource: String) -> serde_json::Value {
    let mut st = serde_json::json!({
        "Effect": "Allow",
        "Action": actions,
        "Resource": resource,
    });
    match grantee {
        Grantee::Account(id) => {
            st["Principal"] = serde_json::json!({"AWS": format!("arn:aws:iam::{id}:root")});
        }
        Grantee::AllUsers => st["Principal"] = serde_json::json!("*"),
        Grantee::AuthenticatedUsers => {
            st["Principal"] = serde_json::json!("*");
            // Any signed caller: only those have a principal account.
            st["Condition"] = serde_json::json!({"Null": {"aws:PrincipalAccount": "false"}});
        }
        Grantee::LogDelivery => {
            st["Principal"] = serde_json::json!({"Service": "logging.s3.amazonaws.com"});
        }
    }
    st
}

/// A resource policy made of statements (bucket policy statements and ACL grants together).
pub(crate) fn policy_of(
    statements: Vec<serde_json::Value>,
) -> Result<coffer_policy::Policy, S3Error> {
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
    coffer_policy::Policy::parse(&doc.to_string(), coffer_policy::PolicyKind::Resource)
        .map_err(|_| S3Error::Corrupt)
}

/// The refusal of a public ACL under BlockPublicAcls.
pub(crate) fn public_acl_blocked() -> S3Error {
    S3Error::AccessDenied(
        "User does not have permission to set a public ACL: BlockPublicAcls is on".into(),
    )
}

/// S3's canonical user id of an account: 64 hex digits, derived from the account id.
pub fn canonical_user_id(account_id: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, account_id.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d.as_ref() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls() {
        let a = Acl::from_request(&AclRequest::Canned(CannedAcl::PublicRead), "1", "1");
        assert!(a.is_public() && a.grants_beyond_owner());
        let p = Acl::from_request(&AclRequest::Canned(CannedAcl::Private), "1", "1");
        assert!(!p.grants_beyond_owner());
        let full = Acl::from_request(
            &AclRequest::Canned(CannedAcl::BucketOwnerFullControl),
            "2",
            "1",
        );
        assert_eq!(full.grants.len(), 2);
        let same = Acl::from_request(
            &AclRequest::Canned(CannedAcl::BucketOwnerFullControl),
            "1",
            "1",
        );
        assert_eq!(same, Acl::private("1"));
    }

    #[test]
    fn statements_parse_as_a_policy() {
        let mut a = Acl::from_request(&AclRequest::Canned(CannedAcl::PublicReadWrite), "1", "1");
        a.grants.push(Grant {
            grantee: Grantee::AuthenticatedUsers,
            permission: Permission::ReadAcp,
        });
        a.grants.push(Grant {
            grantee: Grantee::LogDelivery,
            permission: Permission::Write,
        });
        let sts = a.statements("arn:aws:s3:::b", false, false);
        assert_eq!(sts.len(), 3 + 1 + 1 + 1 + 1);
        policy_of(sts).unwrap();
        assert_eq!(a.statements("arn:aws:s3:::b", false, true).len(), 3 + 1);
        assert!(a.statements("arn:aws:s3:::b/k", true, false).len() < 7);
    }

    #[test]
    fn canonical_ids() {
        assert_eq!(canonical_user_id("111122223333").len(), 64);
        assert_ne!(canonical_user_id("1"), canonical_user_id("2"));
    }
}

/// Name under which a bucket's Object Ownership setting is kept in its configs.
pub(crate) const OWNERSHIP_CONFIG: &str = "ownership";
/// Name under which a bucket's ACL is kept (absent: the owner's full control).
pub(crate) const ACL_CONFIG: &str = "acl";

/// A bucket's stored ownership setting; `None` once DeleteBucketOwnershipControls removed it
/// (ACLs enabled, objects the writer's, as S3 without the setting). A bucket without the
/// config at all predates Object Ownership here and, as every bucket Coffer made then, has
/// ACLs disabled.
#[derive(Serialize, Deserialize)]
struct StoredOwnership {
    ownership: Option<ObjectOwnership>,
}

pub(crate) fn ownership_config(o: Option<ObjectOwnership>) -> Vec<u8> {
    serde_json::to_vec(&StoredOwnership { ownership: o }).unwrap_or_default()
}

pub(crate) fn acl_config(acl: &Acl) -> Vec<u8> {
    serde_json::to_vec(acl).unwrap_or_default()
}

impl crate::S3Core {
    /// GetBucketOwnershipControls: the setting, or `OwnershipControlsNotFound` once deleted.
    pub fn object_ownership(&self, bucket: &str) -> Result<ObjectOwnership, S3Error> {
        self.require_bucket(bucket)?;
        self.stored_ownership(bucket)?
            .ok_or(S3Error::OwnershipControlsNotFound)
    }

    /// The setting in force: without one, S3's ACL-era default (ObjectWriter).
    pub(crate) fn effective_ownership(&self, bucket: &str) -> Result<ObjectOwnership, S3Error> {
        Ok(self
            .stored_ownership(bucket)?
            .unwrap_or(ObjectOwnership::ObjectWriter))
    }

    fn stored_ownership(&self, bucket: &str) -> Result<Option<ObjectOwnership>, S3Error> {
        match self.meta.bucket_config(bucket, OWNERSHIP_CONFIG)? {
            None => Ok(Some(ObjectOwnership::BucketOwnerEnforced)),
            Some(raw) => serde_json::from_slice::<StoredOwnership>(&raw)
                .map(|s| s.ownership)
                .map_err(|_| S3Error::Corrupt),
        }
    }

    /// Put (`Some`) or DeleteBucketOwnershipControls (`None`). Disabling ACLs is refused
    /// while the bucket's ACL grants anything beyond the owner's full control, as S3 does.
    pub async fn set_object_ownership(
        &self,
        bucket: &str,
        ownership: Option<ObjectOwnership>,
    ) -> Result<(), S3Error> {
        if ownership == Some(ObjectOwnership::BucketOwnerEnforced)
            && self.bucket_acl(bucket)?.grants_beyond_owner()
        {
            return Err(S3Error::InvalidBucketAclWithObjectOwnership);
        }
        self.put_config(bucket, OWNERSHIP_CONFIG, Some(ownership_config(ownership)))
            .await
    }

    /// GetBucketAcl: the stored ACL, or the owner's full control.
    pub fn bucket_acl(&self, bucket: &str) -> Result<Acl, S3Error> {
        let rec = self.require_bucket(bucket)?;
        match self.meta.bucket_config(bucket, ACL_CONFIG)? {
            None => Ok(Acl::private(&rec.owner)),
            Some(raw) => serde_json::from_slice(&raw).map_err(|_| S3Error::Corrupt),
        }
    }

    /// PutBucketAcl.
    pub async fn set_bucket_acl(&self, bucket: &str, request: &AclRequest) -> Result<(), S3Error> {
        let rec = self.require_bucket(bucket)?;
        let acl = Acl::from_request(request, &rec.owner, &rec.owner);
        self.admit_acl(bucket, &acl, Some(request))?;
        self.put_config(bucket, ACL_CONFIG, Some(acl_config(&acl)))
            .await
    }

    /// Whether `acl` may be set on a resource of `bucket`: with ACLs disabled only the
    /// owner's full control (a no-op) is; a public ACL is refused under BlockPublicAcls.
    fn admit_acl(
        &self,
        bucket: &str,
        acl: &Acl,
        request: Option<&AclRequest>,
    ) -> Result<(), S3Error> {
        let access = self.bucket_access(bucket)?;
        let headers = matches!(request, Some(AclRequest::GrantHeaders(_)));
        if !access.ownership.acls_enabled() && (headers || acl.grants_beyond_owner()) {
            return Err(S3Error::AccessControlListNotSupported);
        }
        if acl.is_public() && self.effective_block(&access)?.block_public_acls {
            return Err(public_acl_blocked());
        }
        Ok(())
    }

    /// The ACL a new object gets, written by an account: `None` when it is the bucket
    /// owner's with nothing granted beyond (always so with ACLs disabled). Refused as
    /// [`Self::admit_acl`] refuses.
    pub fn acl_for_write(
        &self,
        bucket: &str,
        writer: &str,
        request: Option<&AclRequest>,
    ) -> Result<Option<Acl>, S3Error> {
        // The hot path (no ACL asked, ACLs disabled) costs one cache lookup.
        let access = self.bucket_access(bucket)?;
        let ownership = access.ownership;
        if request.is_none() && !ownership.acls_enabled() {
            return Ok(None);
        }
        let bucket_owner = access.owner.as_str();
        let owner = match ownership {
            ObjectOwnership::BucketOwnerEnforced => bucket_owner,
            ObjectOwnership::BucketOwnerPreferred
                if request == Some(&AclRequest::Canned(CannedAcl::BucketOwnerFullControl)) =>
            {
                bucket_owner
            }
            _ => writer,
        };
        let acl = match request {
            Some(r) => Acl::from_request(r, owner, bucket_owner),
            None => Acl::private(owner),
        };
        self.admit_acl(bucket, &acl, request)?;
        if !ownership.acls_enabled() || (owner == bucket_owner && !acl.grants_beyond_owner()) {
            return Ok(None);
        }
        Ok(Some(acl))
    }

    /// GetObjectAcl.
    pub fn object_acl(
        &self,
        bucket: &str,
        key: &str,
        version: crate::VersionSelector<'_>,
    ) -> Result<Acl, S3Error> {
        let rec = self.object_version(bucket, key, version)?;
        let stored = crate::meta::StoredMeta::from_bytes(&rec.meta)?;
        match stored.acl {
            Some(acl) => Ok(acl),
            None => Ok(Acl::private(&self.require_bucket(bucket)?.owner)),
        }
    }

    /// PutObjectAcl: the object keeps its owner; the grants are replaced.
    pub async fn set_object_acl(
        &self,
        bucket: &str,
        key: &str,
        version: crate::VersionSelector<'_>,
        request: &AclRequest,
    ) -> Result<crate::VersionId, S3Error> {
        let bucket_owner = self.require_bucket(bucket)?.owner;
        let owner = self.object_acl(bucket, key, version)?.owner;
        let acl = Acl::from_request(request, &owner, &bucket_owner);
        self.admit_acl(bucket, &acl, Some(request))?;
        let keep = self.effective_ownership(bucket)?.acls_enabled()
            && (owner != bucket_owner || acl.grants_beyond_owner());
        self.update_stored_meta(bucket, key, version, move |m| {
            m.acl = keep.then(|| acl.clone());
        })
        .await
    }
}
