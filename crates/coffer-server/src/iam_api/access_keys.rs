//! Access keys of IAM users.

use coffer_iam::KeyStatus;

use super::op::AccessKeyOp;
use super::render::{key_xml, user_or_self};
use super::xml::{el, iso8601};
use super::{ApiError, Call};

pub(super) async fn access_keys(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: AccessKeyOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        AccessKeyOp::CreateAccessKey => {
            let user = user_or_self(call).ok();
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
        AccessKeyOp::ListAccessKeys => {
            let user = user_or_self(call).ok();
            let keys: String = iam
                .access_keys(&acct, user.as_deref())?
                .iter()
                .map(key_xml)
                .collect();
            Some(format!(
                "<AccessKeyMetadata>{keys}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"
            ))
        }
        AccessKeyOp::UpdateAccessKey => {
            let status = match call.param("Status")? {
                "Active" => KeyStatus::Active,
                "Inactive" => KeyStatus::Inactive,
                other => return Err(ApiError::invalid(format!("Invalid status {other}"))),
            };
            iam.update_access_key(&acct, call.param("AccessKeyId")?, status)
                .await?;
            None
        }
        AccessKeyOp::DeleteAccessKey => {
            iam.delete_access_key(&acct, call.param("AccessKeyId")?)
                .await?;
            None
        }
    })
}
