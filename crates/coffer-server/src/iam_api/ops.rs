//! One function per IAM/STS action group; each returns the inner XML of `<ActionResult>`.

use coffer_iam::{AccessKey, Iam, Identity, KeyStatus, ManagedPolicy, Tag, User};

use super::xml::{el, iso8601, url_encode};
use super::{ApiError, Call};

/// The ARN an IAM action is about, for authorization.
pub(super) fn resource_arn(call: &Call, action: &str) -> String {
    let acct = call.account();
    if let Some(arn) = call.opt("PolicyArn") {
        return arn.to_owned();
    }
    if let Some(g) = call.opt("GroupName").filter(|_| action.contains("Group")) {
        return format!("arn:aws:iam::{acct}:group/{g}");
    }
    match call.opt("UserName") {
        Some(u) => format!("arn:aws:iam::{acct}:user/{u}"),
        None if action == "CreatePolicy" => format!(
            "arn:aws:iam::{acct}:policy/{}",
            call.opt("PolicyName").unwrap_or("*")
        ),
        None => match &call.identity {
            Identity::User { arn, .. } => arn.clone(),
            Identity::Root { .. } => "*".to_owned(),
        },
    }
}

pub(super) fn sts(call: &Call, action: &str) -> Result<Option<String>, ApiError> {
    match action {
        "GetCallerIdentity" => {
            let user_id = match &call.identity {
                Identity::Root { account } => account.clone(),
                Identity::User { id, .. } => id.clone(),
            };
            Ok(Some(format!(
                "{}{}{}",
                el("Arn", &call.identity.arn()),
                el("UserId", &user_id),
                el("Account", call.account())
            )))
        }
        other => Err(not_implemented(other)),
    }
}

pub(super) async fn iam(iam: &Iam, call: &Call, action: &str) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    // Most user-level calls default to the caller when UserName is absent.
    let user_or_self = || -> Result<String, ApiError> {
        match (call.opt("UserName"), &call.identity) {
            (Some(u), _) => Ok(u.to_owned()),
            (None, Identity::User { name, .. }) => Ok(name.clone()),
            (None, Identity::Root { .. }) => {
                Err(ApiError::invalid("UserName is required for the root user."))
            }
        }
    };
    let out = match action {
        "CreateUser" => {
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
        "GetUser" => {
            let u = iam.user(&acct, &user_or_self()?)?;
            Some(format!("<User>{}</User>", user_xml(&u)))
        }
        "ListUsers" => {
            let users: String = iam
                .users(&acct)?
                .iter()
                .map(|u| format!("<member>{}</member>", user_xml(u)))
                .collect();
            Some(format!(
                "<Users>{users}</Users><IsTruncated>false</IsTruncated>"
            ))
        }
        "DeleteUser" => {
            iam.delete_user(&acct, call.param("UserName")?).await?;
            None
        }
        "TagUser" => {
            iam.tag_user(&acct, call.param("UserName")?, tags(call))
                .await?;
            None
        }
        "UntagUser" => {
            iam.untag_user(
                &acct,
                call.param("UserName")?,
                &call.members("TagKeys", None),
            )
            .await?;
            None
        }
        "ListUserTags" => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            Some(format!(
                "<Tags>{}</Tags><IsTruncated>false</IsTruncated>",
                tags_xml(&u.tags)
            ))
        }
        "CreateAccessKey" => {
            let user = user_or_self().ok();
            let k = iam.create_access_key(&acct, user.as_deref()).await?;
            Some(format!(
                "<AccessKey>{}{}{}{}{}</AccessKey>",
                el("UserName", k.key.user.as_deref().unwrap_or("")),
                el("AccessKeyId", &k.key.id),
                el("Status", k.key.status.as_str()),
                el("SecretAccessKey", &k.secret),
                el("CreateDate", &iso8601(k.key.created_ms)),
            ))
        }
        "ListAccessKeys" => {
            let user = user_or_self().ok();
            let keys: String = iam
                .access_keys(&acct, user.as_deref())?
                .iter()
                .map(key_xml)
                .collect();
            Some(format!(
                "<AccessKeyMetadata>{keys}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"
            ))
        }
        "UpdateAccessKey" => {
            let status = match call.param("Status")? {
                "Active" => KeyStatus::Active,
                "Inactive" => KeyStatus::Inactive,
                other => return Err(ApiError::invalid(format!("Invalid status {other}"))),
            };
            iam.update_access_key(&acct, call.param("AccessKeyId")?, status)
                .await?;
            None
        }
        "DeleteAccessKey" => {
            iam.delete_access_key(&acct, call.param("AccessKeyId")?)
                .await?;
            None
        }
        "PutUserPolicy" => {
            iam.put_user_policy(
                &acct,
                call.param("UserName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        "GetUserPolicy" => {
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
        "DeleteUserPolicy" => {
            iam.delete_user_policy(&acct, call.param("UserName")?, call.param("PolicyName")?)
                .await?;
            None
        }
        "ListUserPolicies" => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            let names: String = u.inline.keys().map(|n| el("member", n)).collect();
            Some(format!(
                "<PolicyNames>{names}</PolicyNames><IsTruncated>false</IsTruncated>"
            ))
        }
        "CreatePolicy" => {
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
        "GetPolicy" => {
            let arn = call.param("PolicyArn")?;
            let p = iam.managed_policy_by_arn(arn)?.ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )))
            })?;
            Some(format!("<Policy>{}</Policy>", policy_xml(&p)))
        }
        "GetPolicyVersion" => {
            let arn = call.param("PolicyArn")?;
            let p = iam.managed_policy_by_arn(arn)?.ok_or_else(|| {
                ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
                    "Policy {arn} was not found."
                )))
            })?;
            Some(format!(
                "<PolicyVersion>{}{}<IsDefaultVersion>true</IsDefaultVersion>{}</PolicyVersion>",
                el("Document", &url_encode(&p.document)),
                el("VersionId", "v1"),
                el("CreateDate", &iso8601(p.created_ms))
            ))
        }
        "ListPolicies" => {
            let ps: String = iam
                .policies(&acct)?
                .iter()
                .map(|p| format!("<member>{}</member>", policy_xml(p)))
                .collect();
            Some(format!(
                "<Policies>{ps}</Policies><IsTruncated>false</IsTruncated>"
            ))
        }
        "DeletePolicy" => {
            iam.delete_policy(call.param("PolicyArn")?).await?;
            None
        }
        "AttachUserPolicy" => {
            iam.attach_user_policy(&acct, call.param("UserName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "DetachUserPolicy" => {
            iam.detach_user_policy(&acct, call.param("UserName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "ListAttachedUserPolicies" => {
            let u = iam.user(&acct, call.param("UserName")?)?;
            let ps: String = u
                .attached
                .iter()
                .map(|arn| {
                    let name = arn.rsplit('/').next().unwrap_or(arn);
                    format!(
                        "<member>{}{}</member>",
                        el("PolicyName", name),
                        el("PolicyArn", arn)
                    )
                })
                .collect();
            Some(format!(
                "<AttachedPolicies>{ps}</AttachedPolicies><IsTruncated>false</IsTruncated>"
            ))
        }
        "CreateGroup" => {
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
        "AddUserToGroup" => {
            iam.add_user_to_group(&acct, call.param("GroupName")?, call.param("UserName")?)
                .await?;
            None
        }
        "RemoveUserFromGroup" => {
            iam.remove_user_from_group(&acct, call.param("GroupName")?, call.param("UserName")?)
                .await?;
            None
        }
        "PutGroupPolicy" => {
            iam.put_group_policy(
                &acct,
                call.param("GroupName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        other => return Err(not_implemented(other)),
    };
    Ok(out)
}

fn not_implemented(action: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::BAD_REQUEST,
        "InvalidAction",
        format!("The action {action} is not valid for this endpoint."),
    )
}

fn tags(call: &Call) -> Vec<Tag> {
    call.members("Tags", Some("Key"))
        .into_iter()
        .zip(call.members("Tags", Some("Value")))
        .map(|(key, value)| Tag { key, value })
        .collect()
}

fn tags_xml(tags: &[Tag]) -> String {
    tags.iter()
        .map(|t| {
            format!(
                "<member>{}{}</member>",
                el("Key", &t.key),
                el("Value", &t.value)
            )
        })
        .collect()
}

fn user_xml(u: &User) -> String {
    let tags = if u.tags.is_empty() {
        String::new()
    } else {
        format!("<Tags>{}</Tags>", tags_xml(&u.tags))
    };
    format!(
        "{}{}{}{}{}{tags}",
        el("Path", &u.path),
        el("UserName", &u.name),
        el("UserId", &u.id),
        el("Arn", &u.arn()),
        el("CreateDate", &iso8601(u.created_ms))
    )
}

fn key_xml(k: &AccessKey) -> String {
    format!(
        "<member>{}{}{}{}</member>",
        el("UserName", k.user.as_deref().unwrap_or("")),
        el("AccessKeyId", &k.id),
        el("Status", k.status.as_str()),
        el("CreateDate", &iso8601(k.created_ms))
    )
}

fn policy_xml(p: &ManagedPolicy) -> String {
    format!(
        "{}{}{}{}{}{}<IsAttachable>true</IsAttachable>{}",
        el("PolicyName", &p.name),
        el("PolicyId", &p.id),
        el("Arn", &p.arn()),
        el("Path", &p.path),
        el("DefaultVersionId", "v1"),
        el("AttachmentCount", &p.attachment_count.to_string()),
        el("CreateDate", &iso8601(p.created_ms))
    )
}
