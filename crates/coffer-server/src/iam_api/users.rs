//! IAM users: the user, its tags, its inline and attached policies, its groups.

use coffer_iam::Identity;

use super::op::UserOp;
use super::render::{attached_xml, group_xml, tags, tags_xml, user_or_self, user_xml};
use super::xml::{el, iso8601, url_encode};
use super::{ApiError, Call};

pub(super) async fn users(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: UserOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        UserOp::CreateUser => {
            let tags = tags(call);
            let u = iam
                .create_user(
                    &acct,
                    call.param("UserName")?,
                    call.opt("Path").unwrap_or("/"),
                    tags,
                )
                .await?;
            Some(format!("<User>{}</User>", user_xml(&u)))
        }
        // The root user asking about itself: its ARN, and the account id as its user id.
        UserOp::GetUser
            if call.opt("UserName").is_none() && matches!(call.identity, Identity::Root { .. }) =>
        {
            let created = iam.account(&acct)?.map_or(0, |a| a.created_ms);
            Some(format!(
                "<User>{}{}{}</User>",
                el("UserId", &acct),
                el("Arn", &call.identity.arn()),
                el("CreateDate", &iso8601(created))
            ))
        }
        UserOp::GetUser => {
            let u = iam.user(&acct, &user_or_self(call)?)?;
            Some(format!("<User>{}</User>", user_xml(&u)))
        }
        UserOp::ListUsers => {
            let users: String = iam
                .users(&acct)?
                .iter()
                .map(|u| format!("<member>{}</member>", user_xml(u)))
                .collect();
            Some(format!(
                "<Users>{users}</Users><IsTruncated>false</IsTruncated>"
            ))
        }
        UserOp::DeleteUser => {
            iam.delete_user(&acct, call.param("UserName")?).await?;
            None
        }
        UserOp::TagUser => {
            iam.tag_user(&acct, call.param("UserName")?, tags(call))
                .await?;
            None
        }
        UserOp::UntagUser => {
            iam.untag_user(
                &acct,
                call.param("UserName")?,
                &call.members("TagKeys", None),
            )
            .await?;
            None
        }
        UserOp::ListUserTags => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            Some(format!(
                "<Tags>{}</Tags><IsTruncated>false</IsTruncated>",
                tags_xml(&u.tags)
            ))
        }
        UserOp::PutUserPolicy => {
            iam.put_user_policy(
                &acct,
                call.param("UserName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        UserOp::GetUserPolicy => {
            let (user, name) = (call.param("UserName")?, call.param("PolicyName")?);
            let u = iam.user(&acct, user)?;
            let doc = u.inline.get(name).ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "The user policy with name {name} cannot be found."
                )))
            })?;
            Some(format!(
                "{}{}{}",
                el("UserName", user),
                el("PolicyName", name),
                el("PolicyDocument", &url_encode(doc))
            ))
        }
        UserOp::DeleteUserPolicy => {
            iam.delete_user_policy(&acct, call.param("UserName")?, call.param("PolicyName")?)
                .await?;
            None
        }
        UserOp::ListUserPolicies => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            let names: String = u.inline.keys().map(|n| el("member", n)).collect();
            Some(format!(
                "<PolicyNames>{names}</PolicyNames><IsTruncated>false</IsTruncated>"
            ))
        }
        UserOp::ListGroupsForUser => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            let gs: String = u
                .groups
                .iter()
                .filter_map(|g| iam.group(&acct, g).ok())
                .map(|g| format!("<member>{}</member>", group_xml(&g)))
                .collect();
            Some(format!(
                "<Groups>{gs}</Groups><IsTruncated>false</IsTruncated>"
            ))
        }
        UserOp::AttachUserPolicy => {
            iam.attach_user_policy(&acct, call.param("UserName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        UserOp::DetachUserPolicy => {
            iam.detach_user_policy(&acct, call.param("UserName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        UserOp::ListAttachedUserPolicies => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            Some(format!(
                "<AttachedPolicies>{}</AttachedPolicies><IsTruncated>false</IsTruncated>",
                attached_xml(&u.attached)
            ))
        }
    })
}
