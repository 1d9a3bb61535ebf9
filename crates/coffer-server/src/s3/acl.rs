//! ACLs and Object Ownership on the wire: canned ACLs and `x-amz-grant-*` headers, the
//! `AccessControlPolicy` document, grantees by canonical id, e-mail address or group URI
//! (resolved to accounts here, so the domain only knows accounts), and the ACL and
//! ownership operations.

use coffer_s3::{Acl, AclRequest, CannedAcl, Grant as DomainGrant, Grantee as DomainGrantee};
use coffer_s3::{ObjectOwnership as Ownership, Permission as DomainPermission};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::wire::s3_wire;
use super::{CofferS3, owner_of};

/// The ACL fields of a request: `x-amz-acl` and the `x-amz-grant-*` headers (s3s parses
/// them into fields of the same names on every input that takes them).
#[derive(Default)]
pub(super) struct AclFields<'a> {
    pub(super) canned: Option<&'a str>,
    pub(super) full_control: Option<&'a str>,
    pub(super) read: Option<&'a str>,
    pub(super) read_acp: Option<&'a str>,
    pub(super) write: Option<&'a str>,
    pub(super) write_acp: Option<&'a str>,
}

impl AclFields<'_> {
    fn has_grants(&self) -> bool {
        self.full_control.is_some()
            || self.read.is_some()
            || self.read_acp.is_some()
            || self.write.is_some()
            || self.write_acp.is_some()
    }
}

/// The [`AclFields`] of an input; `write` for bucket inputs (objects have no WRITE grant).
macro_rules! acl_fields {
    ($input:expr) => {
        $crate::s3::acl::AclFields {
            canned: $input.acl.as_ref().map(|a| a.as_str()),
            full_control: $input.grant_full_control.as_deref(),
            read: $input.grant_read.as_deref(),
            read_acp: $input.grant_read_acp.as_deref(),
            write: None,
            write_acp: $input.grant_write_acp.as_deref(),
        }
    };
    ($input:expr, bucket) => {
        $crate::s3::acl::AclFields {
            write: $input.grant_write.as_deref(),
            ..$crate::s3::acl::acl_fields!($input)
        }
    };
}
pub(crate) use acl_fields;

/// Whether a request's headers set an ACL (it then needs `s3:Put*Acl` as well).
pub(crate) fn headers_set_acl(headers: &http::HeaderMap) -> bool {
    headers.contains_key("x-amz-acl")
        || headers
            .keys()
            .any(|k| k.as_str().starts_with("x-amz-grant-"))
}

impl CofferS3 {
    /// The ACL a request's fields ask for (`None`: none was given).
    pub(super) fn acl_request(&self, f: &AclFields<'_>) -> S3Result<Option<AclRequest>> {
        if f.canned.is_some() && f.has_grants() {
            return Err(s3_error!(
                InvalidRequest,
                "Specifying both Canned ACLs and Header Grants is not allowed"
            ));
        }
        if let Some(c) = f.canned {
            let canned = CannedAcl::parse(c)
                .ok_or_else(|| s3_error!(InvalidArgument, "Invalid canned ACL: {c}"))?;
            return Ok(Some(AclRequest::Canned(canned)));
        }
        if !f.has_grants() {
            return Ok(None);
        }
        let mut grants = Vec::new();
        for (value, permission) in [
            (f.full_control, DomainPermission::FullControl),
            (f.read, DomainPermission::Read),
            (f.read_acp, DomainPermission::ReadAcp),
            (f.write, DomainPermission::Write),
            (f.write_acp, DomainPermission::WriteAcp),
        ] {
            let Some(value) = value else { continue };
            for (kind, who) in parse_grant_header(value)? {
                let grantee = match kind.as_str() {
                    "id" => self.grantee_by_id(&who)?,
                    "emailaddress" => self.grantee_by_email(&who)?,
                    "uri" => group(&who)?,
                    _ => {
                        return Err(s3_error!(
                            InvalidArgument,
                            "Invalid grantee type in grant header: {kind}"
                        ));
                    }
                };
                grants.push(DomainGrant {
                    grantee,
                    permission,
                });
            }
        }
        Ok(Some(AclRequest::GrantHeaders(grants)))
    }

    /// The grants of an `AccessControlPolicy` document.
    fn acl_document(&self, doc: AccessControlPolicy) -> S3Result<AclRequest> {
        let malformed = || {
            s3_error!(
                MalformedACLError,
                "The XML you provided was not well-formed or did not validate against our published schema"
            )
        };
        let mut grants = Vec::new();
        for g in doc.grants.unwrap_or_default() {
            let permission = g
                .permission
                .as_ref()
                .and_then(|p| DomainPermission::parse(p.as_str()))
                .ok_or_else(malformed)?;
            let who = g.grantee.ok_or_else(malformed)?;
            let grantee = match who.type_.as_str() {
                "CanonicalUser" => self.grantee_by_id(who.id.as_deref().ok_or_else(malformed)?)?,
                "AmazonCustomerByEmail" => {
                    self.grantee_by_email(who.email_address.as_deref().ok_or_else(malformed)?)?
                }
                "Group" => group(who.uri.as_deref().ok_or_else(malformed)?)?,
                _ => return Err(malformed()),
            };
            grants.push(DomainGrant {
                grantee,
                permission,
            });
        }
        Ok(AclRequest::Grants(grants))
    }

    /// A Put*Acl request's ACL: headers or a document, exactly one of them.
    fn acl_to_put(
        &self,
        fields: &AclFields<'_>,
        doc: Option<AccessControlPolicy>,
    ) -> S3Result<AclRequest> {
        match (self.acl_request(fields)?, doc) {
            (Some(_), Some(_)) => Err(s3_error!(
                UnexpectedContent,
                "This request does not support content"
            )),
            (Some(r), None) => Ok(r),
            (None, Some(doc)) => self.acl_document(doc),
            (None, None) => Err(s3_error!(
                MissingSecurityHeader,
                "Your request was missing a required header"
            )),
        }
    }

    /// The ACL of an object this request writes: the caller is its writer (an anonymous
    /// writer's object is the bucket owner's).
    pub(super) fn write_acl(
        &self,
        extensions: &http::Extensions,
        bucket: &str,
        fields: &AclFields<'_>,
    ) -> S3Result<Option<Acl>> {
        let request = self.acl_request(fields)?;
        let writer = match super::caller_account(extensions) {
            Some(a) => a,
            None => self.core.bucket(bucket).map_err(s3_wire)?.owner,
        };
        self.core
            .acl_for_write(bucket, &writer, request.as_ref())
            .map_err(s3_wire)
    }

    fn grantee_by_id(&self, canonical: &str) -> S3Result<DomainGrantee> {
        let accounts = self
            .auth
            .iam
            .accounts()
            .map_err(super::wire::iam_internal)?;
        accounts
            .into_iter()
            .find(|a| coffer_s3::canonical_user_id(&a.id) == canonical)
            .map(|a| DomainGrantee::Account(a.id))
            .ok_or_else(|| s3_error!(InvalidArgument, "Invalid id"))
    }

    fn grantee_by_email(&self, email: &str) -> S3Result<DomainGrantee> {
        let found = self
            .auth
            .iam
            .account_by_email(email)
            .map_err(super::wire::iam_internal)?;
        found.map(|a| DomainGrantee::Account(a.id)).ok_or_else(|| {
            s3_error!(
                UnresolvableGrantByEmailAddress,
                "The e-mail address you provided does not match any account on record."
            )
        })
    }

    pub(super) fn op_get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        let acl = self.core.bucket_acl(&req.input.bucket).map_err(s3_wire)?;
        let (owner, grants) = to_dto(&acl);
        Ok(S3Response::new(GetBucketAclOutput {
            owner: Some(owner),
            grants: Some(grants),
        }))
    }

    pub(super) async fn op_put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        let input = req.input;
        let request = self.acl_to_put(&acl_fields!(input, bucket), input.access_control_policy)?;
        self.core
            .set_bucket_acl(&input.bucket, &request)
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutBucketAclOutput {}))
    }

    pub(super) fn op_get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        let input = req.input;
        let acl = self
            .core
            .object_acl(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(
                    super::ids::version(input.version_id.as_deref())?.as_ref(),
                ),
            )
            .map_err(s3_wire)?;
        let (owner, grants) = to_dto(&acl);
        Ok(S3Response::new(GetObjectAclOutput {
            owner: Some(owner),
            grants: Some(grants),
            request_charged: None,
        }))
    }

    pub(super) async fn op_put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        let input = req.input;
        let selected = super::ids::version(input.version_id.as_deref())?;
        let request = self.acl_to_put(&acl_fields!(input), input.access_control_policy)?;
        self.core
            .set_object_acl(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(selected.as_ref()),
                &request,
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutObjectAclOutput::default()))
    }

    pub(super) fn op_get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        let o = self
            .core
            .object_ownership(&req.input.bucket)
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetBucketOwnershipControlsOutput {
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: ObjectOwnership::from(o.as_str().to_owned()),
                }],
            }),
        }))
    }

    pub(super) async fn op_put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        let input = req.input;
        let [rule] = input.ownership_controls.rules.as_slice() else {
            return Err(super::wire::malformed_xml());
        };
        let ownership = parse_ownership(&rule.object_ownership)?;
        self.core
            .set_object_ownership(&input.bucket, Some(ownership))
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutBucketOwnershipControlsOutput {}))
    }

    pub(super) async fn op_delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.core
            .set_object_ownership(&req.input.bucket, None)
            .await
            .map_err(s3_wire)?;
        super::no_content(DeleteBucketOwnershipControlsOutput {})
    }
}

pub(super) fn parse_ownership(o: &ObjectOwnership) -> S3Result<Ownership> {
    Ownership::parse(o.as_str()).ok_or_else(|| {
        s3_error!(
            InvalidArgument,
            "Invalid x-amz-object-ownership header: {}",
            o.as_str()
        )
    })
}

fn group(uri: &str) -> S3Result<DomainGrantee> {
    DomainGrantee::group(uri).ok_or_else(|| s3_error!(InvalidArgument, "Invalid group uri"))
}

/// `id="…", emailAddress="…", uri="…"`: (lower-cased type, value) pairs.
fn parse_grant_header(value: &str) -> S3Result<Vec<(String, String)>> {
    let bad = || s3_error!(InvalidArgument, "Invalid grant header: {value}");
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (kind, after) = rest.split_once('=').ok_or_else(bad)?;
        let after = after.trim_start();
        let (who, tail) = match after.strip_prefix('"') {
            Some(q) => {
                let end = q.find('"').ok_or_else(bad)?;
                (&q[..end], &q[end + 1..])
            }
            None => match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            },
        };
        if who.is_empty() {
            return Err(bad());
        }
        out.push((kind.trim().to_ascii_lowercase(), who.to_owned()));
        rest = tail.trim_start();
        if let Some(t) = rest.strip_prefix(',') {
            rest = t.trim_start();
        } else if !rest.is_empty() {
            return Err(bad());
        }
    }
    Ok(out)
}

/// An ACL as S3 shows it: owner and grants, accounts by canonical id.
fn to_dto(acl: &Acl) -> (Owner, Vec<Grant>) {
    let grants = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                DomainGrantee::Account(id) => Grantee {
                    display_name: Some(id.clone()),
                    email_address: None,
                    id: Some(coffer_s3::canonical_user_id(id)),
                    type_: Type::from_static(Type::CANONICAL_USER),
                    uri: None,
                },
                group => Grantee {
                    display_name: None,
                    email_address: None,
                    id: None,
                    type_: Type::from_static(Type::GROUP),
                    uri: group.group_uri().map(str::to_owned),
                },
            };
            Grant {
                grantee: Some(grantee),
                permission: Some(Permission::from(g.permission.as_str().to_owned())),
            }
        })
        .collect();
    (owner_of(&acl.owner), grants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_headers() {
        let g = parse_grant_header(
            r#"id="abc", emailAddress="x@example.com",uri="http://acs.amazonaws.com/groups/global/AllUsers""#,
        )
        .unwrap();
        assert_eq!(g.len(), 3);
        assert_eq!(g[1], ("emailaddress".into(), "x@example.com".into()));
        assert_eq!(parse_grant_header("id=abc").unwrap()[0].1, "abc");
        assert!(parse_grant_header(r#"id="abc"#).is_err());
        assert!(parse_grant_header("nonsense").is_err());
        assert!(parse_grant_header(r#"id="" "#).is_err());
    }
}
