//! Virtual MFA devices of users and of the root user.

use base64::Engine as _;
use coffer_iam::Iam;

use super::op::MfaOp;
use super::render::{mfa_user, user_xml};
use super::xml::{el, iso8601};
use super::{ApiError, Call};

pub(super) async fn mfa(
    iam: &coffer_iam::Iam,
    call: &Call,
    op: MfaOp,
) -> Result<Option<String>, ApiError> {
    let acct = call.account().to_owned();
    Ok(match op {
        MfaOp::DeleteVirtualMFADevice => {
            iam.delete_virtual_mfa_device(&acct, call.param("SerialNumber")?)
                .await?;
            None
        }
        MfaOp::CreateVirtualMFADevice => {
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
        MfaOp::EnableMFADevice => {
            iam.enable_mfa_device(
                &acct,
                &mfa_user(call)?,
                call.param("SerialNumber")?,
                call.param("AuthenticationCode1")?,
                call.param("AuthenticationCode2")?,
            )
            .await?;
            None
        }
        MfaOp::DeactivateMFADevice => {
            iam.deactivate_mfa_device(&acct, &mfa_user(call)?, call.param("SerialNumber")?)
                .await?;
            None
        }
        MfaOp::ListVirtualMFADevices => {
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
        MfaOp::ListMFADevices => {
            let user = mfa_user(call).ok();
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
    })
}
