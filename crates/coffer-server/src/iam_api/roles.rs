//! IAM roles: the role, its trust policy, inline and attached policies, tags.

use super::op::RoleOp;
use super::render::{attached_xml, role_xml, tags, tags_xml};
use super::xml::{el, url_encode};
use super::{ApiError, Call};

pub(super) async fn roles(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: RoleOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        RoleOp::ListRoles => {
            let rs: String = iam
                .roles(&acct)?
                .iter()
                .map(|r| format!("<member>{}</member>", role_xml(r)))
                .collect();
            Some(format!(
                "<Roles>{rs}</Roles><IsTruncated>false</IsTruncated>"
            ))
        }
        RoleOp::GetRolePolicy => {
            let (role, name) = (call.param("RoleName")?, call.param("PolicyName")?);
            let r = iam.role(&acct, role)?;
            let doc = r.inline.get(name).ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "The role policy with name {name} cannot be found."
                )))
            })?;
            Some(format!(
                "{}{}{}",
                el("RoleName", role),
                el("PolicyName", name),
                el("PolicyDocument", &url_encode(doc))
            ))
        }
        RoleOp::ListRolePolicies => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            let names: String = r.inline.keys().map(|n| el("member", n)).collect();
            Some(format!(
                "<PolicyNames>{names}</PolicyNames><IsTruncated>false</IsTruncated>"
            ))
        }
        RoleOp::DeleteRolePolicy => {
            iam.delete_role_policy(&acct, call.param("RoleName")?, call.param("PolicyName")?)
                .await?;
            None
        }
        RoleOp::ListAttachedRolePolicies => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!(
                "<AttachedPolicies>{}</AttachedPolicies><IsTruncated>false</IsTruncated>",
                attached_xml(&r.attached)
            ))
        }
        RoleOp::DetachRolePolicy => {
            iam.detach_role_policy(&acct, call.param("RoleName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        RoleOp::UpdateAssumeRolePolicy => {
            iam.update_assume_role_policy(
                &acct,
                call.param("RoleName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        RoleOp::UntagRole => {
            iam.untag_role(
                &acct,
                call.param("RoleName")?,
                &call.members("TagKeys", None),
            )
            .await?;
            None
        }
        RoleOp::TagRole => {
            iam.tag_role(&acct, call.param("RoleName")?, tags(call))
                .await?;
            None
        }
        RoleOp::ListRoleTags => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!(
                "<Tags>{}</Tags><IsTruncated>false</IsTruncated>",
                tags_xml(&r.tags)
            ))
        }
        RoleOp::CreateRole => {
            let max = call
                .opt("MaxSessionDuration")
                .map(|m| {
                    m.parse::<u32>()
                        .map_err(|_| ApiError::invalid("MaxSessionDuration must be a number"))
                })
                .transpose()?;
            let r = iam
                .create_role(
                    &acct,
                    call.param("RoleName")?,
                    call.opt("Path").unwrap_or("/"),
                    call.param("AssumeRolePolicyDocument")?,
                    max,
                    tags(call),
                )
                .await?;
            Some(format!("<Role>{}</Role>", role_xml(&r)))
        }
        RoleOp::GetRole => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!("<Role>{}</Role>", role_xml(&r)))
        }
        RoleOp::DeleteRole => {
            iam.delete_role(&acct, call.param("RoleName")?).await?;
            None
        }
        RoleOp::PutRolePolicy => {
            iam.put_role_policy(
                &acct,
                call.param("RoleName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        RoleOp::AttachRolePolicy => {
            iam.attach_role_policy(&acct, call.param("RoleName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
    })
}
