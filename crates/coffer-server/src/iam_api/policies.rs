//! Customer managed policies and their versions (and the AWS managed ones, listed).

use super::op::PolicyOp;
use super::render::{policy_by_arn, policy_xml, version_xml};
use super::{ApiError, Call};

pub(super) async fn policies(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: PolicyOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        PolicyOp::CreatePolicy => {
            let p = iam
                .create_policy(
                    &acct,
                    call.param("PolicyName")?,
                    call.opt("Path").unwrap_or("/"),
                    call.param("PolicyDocument")?,
                )
                .await?;
            Some(format!("<Policy>{}</Policy>", policy_xml(&p)))
        }
        PolicyOp::GetPolicy => {
            let arn = call.param("PolicyArn")?;
            let p = iam.managed_policy_by_arn(arn)?.ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )))
            })?;
            Some(format!("<Policy>{}</Policy>", policy_xml(&p)))
        }
        PolicyOp::GetPolicyVersion => {
            let (arn, vid) = (call.param("PolicyArn")?, call.param("VersionId")?);
            let p = policy_by_arn(iam, arn)?;
            let v = p.versions.iter().find(|v| v.id == vid).ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "Policy {arn} version {vid} does not exist."
                )))
            })?;
            Some(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(&p, v, true)
            ))
        }
        PolicyOp::ListPolicyVersions => {
            let p = policy_by_arn(iam, call.param("PolicyArn")?)?;
            let vs: String = p
                .versions
                .iter()
                .map(|v| format!("<member>{}</member>", version_xml(&p, v, false)))
                .collect();
            Some(format!(
                "<Versions>{vs}</Versions><IsTruncated>false</IsTruncated>"
            ))
        }
        PolicyOp::CreatePolicyVersion => {
            let arn = call.param("PolicyArn")?;
            let set_default = call
                .opt("SetAsDefault")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let v = iam
                .create_policy_version(arn, call.param("PolicyDocument")?, set_default)
                .await?;
            let p = policy_by_arn(iam, arn)?;
            Some(format!(
                "<PolicyVersion>{}</PolicyVersion>",
                version_xml(&p, &v, false)
            ))
        }
        PolicyOp::SetDefaultPolicyVersion => {
            iam.set_default_policy_version(call.param("PolicyArn")?, call.param("VersionId")?)
                .await?;
            None
        }
        PolicyOp::DeletePolicyVersion => {
            iam.delete_policy_version(call.param("PolicyArn")?, call.param("VersionId")?)
                .await?;
            None
        }
        PolicyOp::ListPolicies => {
            let mut policies = match call.opt("Scope").unwrap_or("All") {
                "All" => {
                    let mut all = iam.aws_managed_policies()?;
                    all.extend(iam.policies(&acct)?);
                    all
                }
                "AWS" => iam.aws_managed_policies()?,
                "Local" => iam.policies(&acct)?,
                other => {
                    return Err(ApiError::invalid(format!(
                        "1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                    )));
                }
            };
            if call.opt("OnlyAttached") == Some("true") {
                policies.retain(|p| p.attachment_count > 0);
            }
            let ps: String = policies
                .iter()
                .map(|p| format!("<member>{}</member>", policy_xml(p)))
                .collect();
            Some(format!(
                "<Policies>{ps}</Policies><IsTruncated>false</IsTruncated>"
            ))
        }
        PolicyOp::DeletePolicy => {
            iam.delete_policy(call.param("PolicyArn")?).await?;
            None
        }
    })
}
