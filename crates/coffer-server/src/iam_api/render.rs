//! IAM's XML for its records, and what every family of actions shares.

use coffer_iam::{AccessKey, Group, Iam, Identity, ManagedPolicy, PolicyVersion, Role, Tag, User};

use super::xml::{el, iso8601, url_encode};
use super::{ApiError, Call};

/// The user a user-level call is about: `UserName`, else the calling IAM user.
pub(super) fn user_or_self(call: &Call) -> Result<String, ApiError> {
    match (call.opt("UserName"), &call.identity) {
        (Some(u), _) => Ok(u.to_owned()),
        (None, Identity::User { name, .. }) => Ok(name.clone()),
        (None, Identity::Root { .. } | Identity::Role { .. }) => Err(ApiError::invalid(
            "UserName is required unless the caller is an IAM user.",
        )),
    }
}

/// MFA calls: the named user, else the caller (the root user's own devices included).
pub(super) fn mfa_user(call: &Call) -> Result<String, ApiError> {
    match (call.opt("UserName"), &call.identity) {
        (None, Identity::Root { .. }) => Ok(Iam::ROOT_MFA_USER.to_owned()),
        _ => user_or_self(call),
    }
}

pub(super) fn role_xml(r: &Role) -> String {
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

pub(super) fn attached_xml(arns: &[String]) -> String {
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

pub(super) fn policy_by_arn(iam: &Iam, arn: &str) -> Result<ManagedPolicy, ApiError> {
    iam.managed_policy_by_arn(arn)?.ok_or_else(|| {
        ApiError::from(coffer_iam::IamError::NoSuchEntity(format!(
            "Policy {arn} was not found."
        )))
    })
}

pub(super) fn version_xml(p: &ManagedPolicy, v: &PolicyVersion, with_document: bool) -> String {
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

pub(super) fn group_xml(g: &Group) -> String {
    format!(
        "{}{}{}{}{}",
        el("Path", &g.path),
        el("GroupName", &g.name),
        el("GroupId", &g.id),
        el("Arn", &g.arn()),
        el("CreateDate", &iso8601(g.created_ms))
    )
}

pub(super) fn not_implemented(action: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::BAD_REQUEST,
        "InvalidAction",
        format!("The action {action} is not valid for this endpoint."),
    )
}

pub(super) fn tags(call: &Call) -> Vec<Tag> {
    call.members("Tags", Some("Key"))
        .into_iter()
        .zip(call.members("Tags", Some("Value")))
        .map(|(key, value)| Tag { key, value })
        .collect()
}

pub(super) fn tags_xml(tags: &[Tag]) -> String {
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

pub(super) fn user_xml(u: &User) -> String {
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

pub(super) fn key_xml(k: &AccessKey) -> String {
    format!(
        "<member>{}{}{}{}</member>",
        el("UserName", k.user.as_deref().unwrap_or("")),
        el("AccessKeyId", &k.id),
        el("Status", k.status.as_str()),
        el("CreateDate", &iso8601(k.created_ms))
    )
}

pub(super) fn policy_xml(p: &ManagedPolicy) -> String {
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
