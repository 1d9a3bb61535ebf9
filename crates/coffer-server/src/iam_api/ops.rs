//! One function per IAM/STS action group; each returns the inner XML of `<ActionResult>`.

use base64::Engine as _;
use coffer_iam::{
    AccessKey, AssumeRole, Group, Iam, Identity, KeyStatus, ManagedPolicy, PolicyVersion, Role,
    Tag, TemporaryCredentials, User,
};

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
        None if action == "CreateRole" || action.contains("Role") => {
            format!(
                "arn:aws:iam::{acct}:role/{}",
                call.opt("RoleName").unwrap_or("*")
            )
        }
        None => match &call.identity {
            Identity::Root { .. } => "*".to_owned(),
            other => other.arn(),
        },
    }
}

pub(super) async fn sts(iam: &Iam, call: &Call, action: &str) -> Result<Option<String>, ApiError> {
    let duration = || -> Result<Option<u32>, ApiError> {
        call.opt("DurationSeconds")
            .map(|d| {
                d.parse::<u32>()
                    .map_err(|_| ApiError::invalid("DurationSeconds must be a number"))
            })
            .transpose()
    };
    let mfa = || call.opt("SerialNumber").zip(call.opt("TokenCode"));
    match action {
        "GetCallerIdentity" => Ok(Some(format!(
            "{}{}{}",
            el("Arn", &call.identity.arn()),
            el("UserId", &call.identity.user_id()),
            el("Account", call.account())
        ))),
        "AssumeRole" => {
            let creds = iam
                .assume_role(AssumeRole {
                    caller: &call.identity,
                    caller_session: call.session.as_ref(),
                    role_arn: call.param("RoleArn")?,
                    session_name: call.param("RoleSessionName")?,
                    duration_secs: duration()?,
                    session_policy: call.opt("Policy"),
                    tags: tags(call),
                    mfa: mfa(),
                    context: Vec::new(),
                })
                .await?;
            Ok(Some(format!(
                "{}<AssumedRoleUser>{}{}</AssumedRoleUser>",
                credentials_xml(&creds),
                el("AssumedRoleId", &creds.identity.user_id()),
                el("Arn", &creds.identity.arn())
            )))
        }
        "GetSessionToken" => {
            let creds = iam
                .get_session_token(&call.identity, duration()?, mfa())
                .await?;
            Ok(Some(credentials_xml(&creds)))
        }
        other => Err(not_implemented(other)),
    }
}

fn credentials_xml(c: &TemporaryCredentials) -> String {
    format!(
        "<Credentials>{}{}{}{}</Credentials>",
        el("AccessKeyId", &c.access_key_id),
        el("SecretAccessKey", &c.secret),
        el("SessionToken", &c.session_token),
        el("Expiration", &iso8601(c.expires_ms))
    )
}

pub(super) async fn iam(iam: &Iam, call: &Call, action: &str) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    // Most user-level calls default to the caller when UserName is absent.
    let user_or_self = || -> Result<String, ApiError> {
        match (call.opt("UserName"), &call.identity) {
            (Some(u), _) => Ok(u.to_owned()),
            (None, Identity::User { name, .. }) => Ok(name.clone()),
            (None, Identity::Root { .. } | Identity::Role { .. }) => Err(ApiError::invalid(
                "UserName is required unless the caller is an IAM user.",
            )),
        }
    };
    // MFA calls: the named user, else the caller (the root user's own devices included).
    let mfa_user = || -> Result<String, ApiError> {
        match (call.opt("UserName"), &call.identity) {
            (None, Identity::Root { .. }) => Ok(Iam::ROOT_MFA_USER.to_owned()),
            _ => user_or_self(),
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
        // The root user asking about itself: its ARN, and the account id as its user id.
        "GetUser"
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
        "ListPolicyVersions" => {
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
        "CreatePolicyVersion" => {
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
        "SetDefaultPolicyVersion" => {
            iam.set_default_policy_version(call.param("PolicyArn")?, call.param("VersionId")?)
                .await?;
            None
        }
        "DeletePolicyVersion" => {
            iam.delete_policy_version(call.param("PolicyArn")?, call.param("VersionId")?)
                .await?;
            None
        }
        "AttachGroupPolicy" => {
            iam.attach_group_policy(&acct, call.param("GroupName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "ListGroups" => {
            let gs: String = iam
                .groups(&acct)?
                .iter()
                .map(|g| format!("<member>{}</member>", group_xml(g)))
                .collect();
            Some(format!(
                "<Groups>{gs}</Groups><IsTruncated>false</IsTruncated>"
            ))
        }
        "GetGroup" => {
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
        "ListRoles" => {
            let rs: String = iam
                .roles(&acct)?
                .iter()
                .map(|r| format!("<member>{}</member>", role_xml(r)))
                .collect();
            Some(format!(
                "<Roles>{rs}</Roles><IsTruncated>false</IsTruncated>"
            ))
        }
        "GetRolePolicy" => {
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
        "ListRolePolicies" => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            let names: String = r.inline.keys().map(|n| el("member", n)).collect();
            Some(format!(
                "<PolicyNames>{names}</PolicyNames><IsTruncated>false</IsTruncated>"
            ))
        }
        "DeleteRolePolicy" => {
            iam.delete_role_policy(&acct, call.param("RoleName")?, call.param("PolicyName")?)
                .await?;
            None
        }
        "ListAttachedRolePolicies" => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!(
                "<AttachedPolicies>{}</AttachedPolicies><IsTruncated>false</IsTruncated>",
                attached_xml(&r.attached)
            ))
        }
        "DetachRolePolicy" => {
            iam.detach_role_policy(&acct, call.param("RoleName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "UpdateAssumeRolePolicy" => {
            iam.update_assume_role_policy(
                &acct,
                call.param("RoleName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        "UntagRole" => {
            iam.untag_role(
                &acct,
                call.param("RoleName")?,
                &call.members("TagKeys", None),
            )
            .await?;
            None
        }
        "DeleteGroup" => {
            iam.delete_group(&acct, call.param("GroupName")?).await?;
            None
        }
        "DetachGroupPolicy" => {
            iam.detach_group_policy(&acct, call.param("GroupName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "ListGroupsForUser" => {
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
        "DeleteVirtualMFADevice" => {
            iam.delete_virtual_mfa_device(&acct, call.param("SerialNumber")?)
                .await?;
            None
        }
        "TagRole" => {
            iam.tag_role(&acct, call.param("RoleName")?, tags(call))
                .await?;
            None
        }
        "ListRoleTags" => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!(
                "<Tags>{}</Tags><IsTruncated>false</IsTruncated>",
                tags_xml(&r.tags)
            ))
        }
        "ListPolicies" => {
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
            Some(format!(
                "<AttachedPolicies>{}</AttachedPolicies><IsTruncated>false</IsTruncated>",
                attached_xml(&u.attached)
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
        "CreateRole" => {
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
        "GetRole" => {
            let r = iam.role(&acct, call.param("RoleName")?)?;
            Some(format!("<Role>{}</Role>", role_xml(&r)))
        }
        "DeleteRole" => {
            iam.delete_role(&acct, call.param("RoleName")?).await?;
            None
        }
        "PutRolePolicy" => {
            iam.put_role_policy(
                &acct,
                call.param("RoleName")?,
                call.param("PolicyName")?,
                call.param("PolicyDocument")?,
            )
            .await?;
            None
        }
        "AttachRolePolicy" => {
            iam.attach_role_policy(&acct, call.param("RoleName")?, call.param("PolicyArn")?)
                .await?;
            None
        }
        "CreateVirtualMFADevice" => {
            let (dev, seed) = iam
                .create_virtual_mfa_device(&acct, call.param("VirtualMFADeviceName")?)
                .await?;
            // The API carries the base32 seed as a blob (base64 on the wire).
            let blob = base64::engine::general_purpose::STANDARD.encode(seed.as_bytes());
            Some(format!(
                "<VirtualMFADevice>{}{}</VirtualMFADevice>",
                el("SerialNumber", &dev.serial),
                el("Base32StringSeed", &blob)
            ))
        }
        "EnableMFADevice" => {
            iam.enable_mfa_device(
                &acct,
                &mfa_user()?,
                call.param("SerialNumber")?,
                call.param("AuthenticationCode1")?,
                call.param("AuthenticationCode2")?,
            )
            .await?;
            None
        }
        "DeactivateMFADevice" => {
            iam.deactivate_mfa_device(&acct, &mfa_user()?, call.param("SerialNumber")?)
                .await?;
            None
        }
        "ListVirtualMFADevices" => {
            let wanted = call.opt("AssignmentStatus").unwrap_or("Any");
            if !matches!(wanted, "Any" | "Assigned" | "Unassigned") {
                return Err(ApiError::invalid(format!(
                    "1 validation error detected: Value '{wanted}' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Unassigned, Any, Assigned]"
                )));
            }
            let mut devs = String::new();
            for d in iam.virtual_mfa_devices(&acct)? {
                let assigned = d.user.is_some();
                if (wanted == "Assigned" && !assigned) || (wanted == "Unassigned" && assigned) {
                    continue;
                }
                let user = match &d.user {
                    Some(name) if name == Iam::ROOT_MFA_USER => format!(
                        "<User>{}{}</User>",
                        el("UserId", &acct),
                        el("Arn", &format!("arn:aws:iam::{acct}:root"))
                    ),
                    Some(name) => match iam.user(&acct, name) {
                        Ok(u) => format!("<User>{}</User>", user_xml(&u)),
                        Err(_) => String::new(),
                    },
                    None => String::new(),
                };
                let enabled = d
                    .enabled_ms
                    .map(|t| el("EnableDate", &iso8601(t)))
                    .unwrap_or_default();
                devs.push_str(&format!(
                    "<member>{}{user}{enabled}</member>",
                    el("SerialNumber", &d.serial)
                ));
            }
            Some(format!(
                "<VirtualMFADevices>{devs}</VirtualMFADevices><IsTruncated>false</IsTruncated>"
            ))
        }
        "ListMFADevices" => {
            let user = mfa_user().ok();
            let devs: String = iam
                .mfa_devices(&acct, user.as_deref())?
                .iter()
                .map(|d| {
                    // The root user has no user name.
                    let name = d.user.as_deref().filter(|u| *u != Iam::ROOT_MFA_USER);
                    format!(
                        "<member>{}{}{}</member>",
                        name.map(|n| el("UserName", n)).unwrap_or_default(),
                        el("SerialNumber", &d.serial),
                        el("EnableDate", &iso8601(d.enabled_ms.unwrap_or(d.created_ms)))
                    )
                })
                .collect();
            Some(format!(
                "<MFADevices>{devs}</MFADevices><IsTruncated>false</IsTruncated>"
            ))
        }
        other => return Err(not_implemented(other)),
    };
    Ok(out)
}

fn role_xml(r: &Role) -> String {
    format!(
        "{}{}{}{}{}{}{}",
        el("Path", &r.path),
        el("RoleName", &r.name),
        el("RoleId", &r.id),
        el("Arn", &r.arn()),
        el("CreateDate", &iso8601(r.created_ms)),
        el("AssumeRolePolicyDocument", &url_encode(&r.trust_policy)),
        el("MaxSessionDuration", &r.max_session_secs.to_string())
    )
}

fn attached_xml(arns: &[String]) -> String {
    arns.iter()
        .map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            format!(
                "<member>{}{}</member>",
                el("PolicyName", name),
                el("PolicyArn", arn)
            )
        })
        .collect()
}

fn policy_by_arn(iam: &Iam, arn: &str) -> Result<ManagedPolicy, ApiError> {
    iam.managed_policy_by_arn(arn)?.ok_or_else(|| {
        ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
            "Policy {arn} was not found."
        )))
    })
}

fn version_xml(p: &ManagedPolicy, v: &PolicyVersion, with_document: bool) -> String {
    let doc = if with_document {
        el("Document", &url_encode(&v.document))
    } else {
        String::new()
    };
    format!(
        "{doc}{}<IsDefaultVersion>{}</IsDefaultVersion>{}",
        el("VersionId", &v.id),
        p.default_version == v.id,
        el("CreateDate", &iso8601(v.created_ms))
    )
}

fn group_xml(g: &Group) -> String {
    format!(
        "{}{}{}{}{}",
        el("Path", &g.path),
        el("GroupName", &g.name),
        el("GroupId", &g.id),
        el("Arn", &g.arn()),
        el("CreateDate", &iso8601(g.created_ms))
    )
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
        el("DefaultVersionId", &p.default_version),
        el("AttachmentCount", &p.attachment_count.to_string()),
        el("CreateDate", &iso8601(p.created_ms))
    )
}
