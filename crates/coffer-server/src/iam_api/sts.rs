//! STS: GetCallerIdentity, AssumeRole, GetSessionToken.

use coffer_iam::{AssumeRole, Iam, TemporaryCredentials};

use super::op::StsOp;
use super::render::tags;
use super::xml::{el, iso8601};
use super::{ApiError, Call};

pub(super) async fn sts(iam: &Iam, call: &Call, op: StsOp) -> Result<Option<String>, ApiError> {
    let duration = || -> Result<Option<u32>, ApiError> {
        call.opt("DurationSeconds")
            .map(|d| {
                d.parse::<u32>()
                    .map_err(|_| ApiError::invalid("DurationSeconds must be a number"))
            })
            .transpose()
    };
    let mfa = || call.opt("SerialNumber").zip(call.opt("TokenCode"));
    match op {
        StsOp::GetCallerIdentity => Ok(Some(format!(
            "{}{}{}",
            el("Arn", &call.identity.arn()),
            el("UserId", &call.identity.user_id()),
            el("Account", call.account())
        ))),
        StsOp::AssumeRole => {
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
        StsOp::GetSessionToken => {
            let creds = iam
                .get_session_token(&call.identity, duration()?, mfa())
                .await?;
            Ok(Some(credentials_xml(&creds)))
        }
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
