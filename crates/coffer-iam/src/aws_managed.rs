//! AWS managed policies (`arn:aws:iam::aws:policy/NAME`): the common ones tutorials attach,
//! built in, attachable like customer managed policies and never editable. Their documents
//! keep AWS's statements for the services Coffer has (S3, KMS, IAM, STS); statements for
//! other services would grant nothing here.

use crate::{ManagedPolicy, PolicyVersion};

/// (path, name, document).
const POLICIES: &[(&str, &str, &str)] = &[
    (
        "/",
        "AdministratorAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ),
    (
        "/",
        "PowerUserAccess",
        r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},
  {"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "ReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
  "s3:Get*","s3:List*","s3:Describe*",
  "kms:Describe*","kms:Get*","kms:List*",
  "iam:Generate*","iam:Get*","iam:List*","iam:Simulate*",
  "sts:GetCallerIdentity"],"Resource":"*"}]}"#,
    ),
    (
        "/job-function/",
        "ViewOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
  "s3:ListAllMyBuckets","s3:ListBucket","s3:GetBucketLocation","s3:GetBucketPolicyStatus",
  "s3:GetBucketPublicAccessBlock","s3:GetAccountPublicAccessBlock",
  "kms:ListAliases","kms:ListKeys","kms:DescribeKey",
  "iam:List*","iam:GetAccountSummary","iam:GetLoginProfile"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "AmazonS3FullAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "AmazonS3ReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "AWSKeyManagementServicePowerUser",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[
  "kms:CreateAlias","kms:CreateKey","kms:DeleteAlias","kms:Describe*","kms:GenerateRandom",
  "kms:Get*","kms:List*","kms:TagResource","kms:UntagResource",
  "iam:ListGroups","iam:ListRoles","iam:ListUsers"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "IAMFullAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "IAMReadOnlyAccess",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    ),
    (
        "/",
        "IAMUserChangePassword",
        r#"{"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},
  {"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}"#,
    ),
];

/// AWS's account name in managed-policy ARNs.
pub(crate) const AWS: &str = "aws";

/// The built-in policy at `path_name` (its ARN's part after `policy/`), with
/// `attachment_count` attachments here.
pub(crate) fn get(path_name: &str, attachment_count: u32) -> Option<ManagedPolicy> {
    let (path, name, document) = POLICIES
        .iter()
        .find(|(path, n, _)| format!("{}{n}", path.trim_start_matches('/')) == path_name)?;
    Some(ManagedPolicy {
        account: AWS.into(),
        name: (*name).into(),
        path: (*path).into(),
        id: policy_id(name),
        created_ms: 0,
        document: (*document).into(),
        attachment_count,
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: (*document).into(),
            created_ms: 0,
        }],
        next_version: 2,
    })
}

/// A stable id of AWS's form (`ANPA` and 17 more), derived from the name.
fn policy_id(name: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
    let tail: String = d.as_ref()[..17]
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("ANPA{tail}")
}

/// Every built-in policy (ListPolicies with Scope AWS or All).
pub(crate) fn all() -> impl Iterator<Item = ManagedPolicy> {
    POLICIES
        .iter()
        .filter_map(|(path, n, _)| get(&format!("{}{n}", path.trim_start_matches('/')), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_parses_as_an_identity_policy() {
        for p in all() {
            coffer_policy::Policy::parse(&p.document, coffer_policy::PolicyKind::Identity)
                .unwrap_or_else(|e| panic!("{}: {e:?}", p.name));
        }
        assert!(get("AmazonS3FullAccess", 0).is_some());
        assert!(get("job-function/ViewOnlyAccess", 0).is_some());
        assert!(get("ViewOnlyAccess", 0).is_none());
        assert!(get("NoSuchPolicy", 0).is_none());
        assert_eq!(get("ReadOnlyAccess", 0).unwrap().id.len(), 21);
    }
}
