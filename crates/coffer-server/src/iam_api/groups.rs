//! IAM groups: members, inline and attached policies.

use super::op::GroupOp;
use super::render::{group_xml, user_xml};
use super::xml::{el, iso8601};
use super::{ApiError, Call};

pub(super) async fn groups(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: GroupOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        GroupOp::AttachGroupPolicy => {
            iam.attach_group_policy(&acct, call.param("GroupName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        GroupOp::ListGroups => {
            let gs: String = iam
                .groups(&acct)?
                .iter()
                .map(|g| format!("<member>{}</member>", group_xml(g)))
                .collect();
            Some(format!(
                "<Groups>{gs}</Groups><IsTruncated>false</IsTruncated>"
            ))
        }
        GroupOp::GetGroup => {
            let name = call.param("GroupName")?;
            let g = iam.group(&acct, name)?;
            let users: String = iam
                .group_members(&acct, name)?
                .iter()
                .map(|u| format!("<member>{}</member>", user_xml(u)))
                .collect();
            Some(format!(
                "<Group>{}</Group><Users>{users}</Users><IsTruncated>false</IsTruncated>",
                group_xml(&g)
            ))
        }
        GroupOp::DeleteGroup => {
            iam.delete_group(&acct, call.param("GroupName")?).await?;
            None
        }
        GroupOp::DetachGroupPolicy => {
            iam.detach_group_policy(&acct, call.param("GroupName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        GroupOp::CreateGroup => {
            let g = iam
                .create_group(
                    &acct,
                    call.param("GroupName")?,
                    call.opt("Path").unwrap_or("/"),
                )
                .await?;
            Some(format!(
                "<Group>{}{}{}{}{}</Group>",
                el("Path", &g.path),
                el("GroupName", &g.name),
                el("GroupId", &g.id),
                el("Arn", &g.arn()),
                el("CreateDate", &iso8601(g.created_ms))
            ))
        }
        GroupOp::AddUserToGroup => {
            iam.add_user_to_group(&acct, call.param("GroupName")?, call.param("UserName")?)
                .await?;
            None
        }
        GroupOp::RemoveUserFromGroup => {
            iam.remove_user_from_group(&acct, call.param("GroupName")?, call.param("UserName")?)
                .await?;
            None
        }
        GroupOp::PutGroupPolicy => {
            iam.put_group_policy(
                &acct,
                call.param("GroupName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
    })
}
