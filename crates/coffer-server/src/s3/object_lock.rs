//! Object Lock on the wire: Get/PutObjectLockConfiguration, Get/PutObjectRetention,
//! Get/PutObjectLegalHold, the lock headers of writes and reads, and the governance bypass
//! (`x-amz-bypass-governance-retention` with `s3:BypassGovernanceRetention`).

use coffer_s3::{
    DefaultRetention, LockRequest, ObjectInfo, ObjectLockConfig, Retention, RetentionPeriod,
    mode_name, parse_mode,
};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::CofferS3;
use super::authorize::{Authorizer, RequestView};
use super::convert::{millis, timestamp};
use super::ids::version;
use super::wire::s3_wire;

const BYPASS_HEADER: &str = "x-amz-bypass-governance-retention";

/// Put in a request's extensions by the access gate when the caller sent the bypass header
/// and holds `s3:BypassGovernanceRetention` on the object.
#[derive(Clone, Copy)]
pub(super) struct GovernanceBypass;

fn bad_mode() -> s3s::S3Error {
    s3_error!(InvalidArgument, "Unknown wormMode directive.")
}

/// The lock headers of a write (PutObject, CopyObject, CreateMultipartUpload): a mode and a
/// date together or neither, as S3 requires.
pub(super) fn parse_lock_headers(
    mode: Option<&ObjectLockMode>,
    until: Option<&Timestamp>,
    legal_hold: Option<&ObjectLockLegalHoldStatus>,
) -> S3Result<LockRequest> {
    let retention = match (mode, until) {
        (None, None) => None,
        (Some(m), Some(t)) => Some((
            parse_mode(m.as_str()).ok_or_else(bad_mode)?,
            millis(t.clone()),
        )),
        _ => {
            return Err(s3_error!(
                InvalidArgument,
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
            ));
        }
    };
    let legal_hold = legal_hold
        .map(|s| {
            hold_status(s.as_str()).ok_or_else(|| {
                s3_error!(
                    InvalidArgument,
                    "Legal Hold must be either of 'ON' or 'OFF'"
                )
            })
        })
        .transpose()?;
    Ok(LockRequest {
        retention,
        legal_hold,
    })
}

fn hold_status(s: &str) -> Option<bool> {
    match s {
        ObjectLockLegalHoldStatus::ON => Some(true),
        ObjectLockLegalHoldStatus::OFF => Some(false),
        _ => None,
    }
}

fn hold_wire(on: bool) -> ObjectLockLegalHoldStatus {
    ObjectLockLegalHoldStatus::from_static(if on {
        ObjectLockLegalHoldStatus::ON
    } else {
        ObjectLockLegalHoldStatus::OFF
    })
}

/// The lock headers of a write, from its s3s input.
macro_rules! lock_request {
    ($input:expr) => {
        $crate::s3::object_lock::parse_lock_headers(
            $input.object_lock_mode.as_ref(),
            $input.object_lock_retain_until_date.as_ref(),
            $input.object_lock_legal_hold_status.as_ref(),
        )
    };
}
pub(crate) use lock_request;

/// Whether the request asks to bypass governance retention (the header, `true`).
pub(super) fn asks_bypass(headers: &http::HeaderMap) -> bool {
    headers
        .get(BYPASS_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The access gate's part: a write setting a lock needs `s3:PutObjectRetention` /
/// `s3:PutObjectLegalHold` as well; a bypass is granted only with
/// `s3:BypassGovernanceRetention` (without it the request goes on unbypassed, and a
/// governance-locked version stays). Returns whether the bypass is granted.
pub(super) fn check_lock_permissions(
    auth: &Authorizer,
    view: &RequestView<'_>,
    op: super::op::S3Op,
    bucket: Option<&str>,
    key: Option<&str>,
) -> S3Result<bool> {
    use super::op::S3Op;
    let h = view.headers;
    if matches!(
        op,
        S3Op::PutObject | S3Op::CopyObject | S3Op::CreateMultipartUpload
    ) {
        if h.contains_key("x-amz-object-lock-mode")
            || h.contains_key("x-amz-object-lock-retain-until-date")
        {
            auth.check(view, "s3:PutObjectRetention", bucket, key)?;
        }
        if h.contains_key("x-amz-object-lock-legal-hold") {
            auth.check(view, "s3:PutObjectLegalHold", bucket, key)?;
        }
    }
    Ok(op == S3Op::DeleteObject
        && asks_bypass(h)
        && auth
            .check(view, "s3:BypassGovernanceRetention", bucket, key)
            .is_ok())
}

/// The lock headers of GetObject/HeadObject, for a caller allowed to read them
/// (`s3:GetObjectRetention`, `s3:GetObjectLegalHold`, as S3): (mode, date, legal hold).
pub(super) fn lock_headers(
    auth: &Authorizer,
    view: &RequestView<'_>,
    info: &ObjectInfo,
) -> (
    Option<ObjectLockMode>,
    Option<Timestamp>,
    Option<ObjectLockLegalHoldStatus>,
) {
    // The common case (no lock) costs no policy decision.
    let (mut mode, mut until, mut hold) = (None, None, None);
    if let Some((m, t)) = info.lock.retention
        && auth
            .check(
                view,
                "s3:GetObjectRetention",
                Some(&info.bucket),
                Some(&info.key),
            )
            .is_ok()
    {
        mode = Some(ObjectLockMode::from_static(mode_name(m)));
        until = Some(timestamp(t));
    }
    if (info.lock.legal_hold || info.legal_hold_set)
        && auth
            .check(
                view,
                "s3:GetObjectLegalHold",
                Some(&info.bucket),
                Some(&info.key),
            )
            .is_ok()
    {
        hold = Some(hold_wire(info.lock.legal_hold));
    }
    (mode, until, hold)
}

impl CofferS3 {
    pub(super) fn op_get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let config = self
            .core
            .object_lock_config(&req.input.bucket)
            .map_err(s3_wire)?;
        let rule = config.default_retention.map(|d| {
            let (days, years) = match d.period {
                RetentionPeriod::Days(n) => (i32::try_from(n).ok(), None),
                RetentionPeriod::Years(n) => (None, i32::try_from(n).ok()),
            };
            ObjectLockRule {
                default_retention: Some(s3s::dto::DefaultRetention {
                    days,
                    mode: Some(ObjectLockRetentionMode::from_static(mode_name(d.mode))),
                    years,
                }),
            }
        });
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from_static(
                    ObjectLockEnabled::ENABLED,
                )),
                rule,
            }),
        }))
    }

    pub(super) async fn op_put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let input = req.input;
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        let c = input
            .object_lock_configuration
            .ok_or_else(super::wire::malformed_xml)?;
        if c.object_lock_enabled
            .as_ref()
            .map(ObjectLockEnabled::as_str)
            != Some(ObjectLockEnabled::ENABLED)
        {
            return Err(super::wire::malformed_xml());
        }
        let default_retention = match c.rule.and_then(|r| r.default_retention) {
            None => None,
            Some(d) => {
                let mode = d.mode.as_ref().ok_or_else(super::wire::malformed_xml)?;
                let mode = parse_mode(mode.as_str()).ok_or_else(super::wire::malformed_xml)?;
                let count = |n: i32| {
                    u32::try_from(n).map_err(|_| {
                        s3_error!(
                            InvalidArgument,
                            "Default retention period must be a positive integer value"
                        )
                    })
                };
                let period = match (d.days, d.years) {
                    (Some(n), None) => RetentionPeriod::Days(count(n)?),
                    (None, Some(n)) => RetentionPeriod::Years(count(n)?),
                    _ => return Err(super::wire::malformed_xml()),
                };
                Some(DefaultRetention::new(mode, period).map_err(s3_wire)?)
            }
        };
        self.core
            .set_object_lock_config(&input.bucket, ObjectLockConfig { default_retention })
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }

    pub(super) fn op_get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let input = req.input;
        let r = self
            .core
            .object_retention(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
            )
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from_static(mode_name(r.mode))),
                retain_until_date: Some(timestamp(r.until_ms)),
            }),
        }))
    }

    pub(super) async fn op_put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let input = req.input;
        let (mode, until) = input
            .retention
            .map_or((None, None), |r| (r.mode, r.retain_until_date.map(millis)));
        // Judged here, before anything else, with the document's condition keys (the access
        // gate left it).
        let extra = super::authorize::lock_context(
            mode.as_ref().map(ObjectLockRetentionMode::as_str),
            until,
            None,
            self.auth.iam.now_ms(),
        );
        let view = RequestView {
            op: "PutObjectRetention",
            extra: &extra,
            ..super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions)
        };
        let (bucket, key) = (Some(input.bucket.as_str()), Some(input.key.as_str()));
        self.auth
            .check(&view, "s3:PutObjectRetention", bucket, key)?;
        let bypass = asks_bypass(&req.headers)
            && self
                .auth
                .check(&view, "s3:BypassGovernanceRetention", bucket, key)
                .is_ok();
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        // An empty Retention removes it (governance, with the bypass).
        let retention = match (mode, until) {
            (None, None) => None,
            (Some(m), Some(until_ms)) => Some(Retention {
                mode: parse_mode(m.as_str()).ok_or_else(super::wire::malformed_xml)?,
                until_ms,
            }),
            _ => return Err(super::wire::malformed_xml()),
        };
        self.core
            .set_object_retention(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                retention,
                bypass,
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }

    pub(super) fn op_get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let input = req.input;
        let on = self
            .core
            .object_legal_hold(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
            )
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(hold_wire(on)),
            }),
        }))
    }

    pub(super) async fn op_put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let input = req.input;
        let status = input.legal_hold.and_then(|h| h.status);
        let extra = super::authorize::lock_context(
            None,
            None,
            status.as_ref().map(ObjectLockLegalHoldStatus::as_str),
            self.auth.iam.now_ms(),
        );
        let view = RequestView {
            op: "PutObjectLegalHold",
            extra: &extra,
            ..super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions)
        };
        self.auth.check(
            &view,
            "s3:PutObjectLegalHold",
            Some(&input.bucket),
            Some(&input.key),
        )?;
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        let on = status
            .and_then(|s| hold_status(s.as_str()))
            .ok_or_else(super::wire::malformed_xml)?;
        self.core
            .set_object_legal_hold(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                on,
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }
}
