//! Temporary credentials (STS AssumeRole, GetSessionToken) and the sessions behind them, plus
//! the principal's condition keys for the policy engine. Roles are in `roles.rs`, MFA devices
//! in `mfa.rs`.

use aws_lc_rs::digest;
use coffer_policy::{Decision, Policy, PolicyKind, Principal, RequestContext, evaluate};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::iam::{ID_ALPHABET, SECRET_ALPHABET, create, validate_name};
use crate::{Iam, IamError, Identity, Resolved, SessionInfo, Tag};

/// AssumeRole session bounds, as STS.
pub const MIN_SESSION_SECS: u32 = 900;
pub const MAX_ROLE_SESSION_SECS: u32 = 43_200;
/// GetSessionToken bounds (12 h default, 36 h max), as STS.
const SESSION_TOKEN_DEFAULT_SECS: u32 = 43_200;
const SESSION_TOKEN_MAX_SECS: u32 = 129_600;

/// Temporary credentials, shown once.
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret: Zeroizing<String>,
    pub session_token: Zeroizing<String>,
    pub expires_ms: i64,
    pub identity: Identity,
}

/// Why a presented session token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// Temporary credentials without a token, or a token that is not theirs (`InvalidToken`).
    Invalid,
    /// `ExpiredToken`.
    Expired,
}

#[derive(Serialize, Deserialize)]
enum SessionOwner {
    Root,
    User {
        name: String,
    },
    Role {
        role_name: String,
        session_name: String,
    },
}

#[derive(Serialize, Deserialize)]
struct StoredSession {
    access_key_id: String,
    account: String,
    owner: SessionOwner,
    tags: Vec<Tag>,
    info: SessionInfo,
    sealed_secret: String,
}

/// An AssumeRole call.
pub struct AssumeRole<'a> {
    pub caller: &'a Identity,
    pub caller_session: Option<&'a SessionInfo>,
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration_secs: Option<u32>,
    pub session_policy: Option<&'a str>,
    pub tags: Vec<Tag>,
    /// (SerialNumber, TokenCode)
    pub mfa: Option<(&'a str, &'a str)>,
    /// Condition keys the server knows about the request (source IP, time, ...).
    pub context: Vec<(String, String)>,
}

impl Iam {
    pub async fn assume_role(&self, req: AssumeRole<'_>) -> Result<TemporaryCredentials, IamError> {
        let denied = || {
            IamError::AccessDenied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
                req.caller.arn(),
                req.role_arn
            ))
        };
        validate_name(req.session_name, 64, "roleSessionName")?;
        // As STS: root credentials never assume a role, whatever the trust policy says.
        if matches!(req.caller, Identity::Root { .. }) {
            return Err(IamError::AccessDenied(
                "Roles may not be assumed by root accounts.".into(),
            ));
        }
        let (role_account, role_name) = parse_role_arn(req.role_arn).ok_or_else(denied)?;
        let role = self.role(&role_account, &role_name).map_err(|_| denied())?;
        let now = self.clock.now_ms();
        // MFA: a fresh code now, or a caller session that was itself MFA-authenticated.
        let mut mfa_auth_ms = req.caller_session.and_then(|s| s.mfa_auth_ms);
        if let Some((serial, code)) = req.mfa {
            let Identity::User { account, name, .. } = req.caller else {
                return Err(denied());
            };
            if !self.verify_mfa(account, name, serial, code).await? {
                return Err(IamError::AccessDenied(
                    "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
                ));
            }
            mfa_auth_ms = Some(now);
        }
        let session = SessionInfo {
            issued_ms: now,
            expires_ms: now,
            mfa_auth_ms,
            session_policy: None,
            token_sha256: String::new(),
        };
        let mut ctx = RequestContext::new(req.caller.principal(), "sts:AssumeRole", role.arn());
        ctx.resource_account = Some(role.account.clone());
        fill_principal_context(
            req.caller,
            req.caller_session
                .or(Some(&session))
                .filter(|_| mfa_auth_ms.is_some()),
            now,
            &mut ctx,
        );
        if mfa_auth_ms.is_some() {
            ctx.set("aws:MultiFactorAuthPresent", "true");
            ctx.set(
                "aws:MultiFactorAuthAge",
                ((now - mfa_auth_ms.unwrap_or(now)) / 1000).to_string(),
            );
        }
        ctx.set("sts:RoleSessionName", req.session_name);
        ctx.set_all(
            "aws:TagKeys",
            req.tags.iter().map(|t| t.key.clone()).collect(),
        );
        for t in &req.tags {
            ctx.set(&format!("aws:RequestTag/{}", t.key), t.value.clone());
        }
        for (k, v) in &req.context {
            ctx.set(k, v.clone());
        }
        let trust =
            Policy::parse(&role.trust_policy, PolicyKind::Trust).map_err(|_| IamError::Corrupt)?;
        let callers = self.caller_policies(req.caller, req.caller_session)?;
        if evaluate(&callers.gated_by(&trust), &ctx) != Decision::Allow {
            return Err(denied());
        }
        let duration = req.duration_secs.unwrap_or(3600);
        if duration < MIN_SESSION_SECS {
            return Err(IamError::InvalidInput(format!(
                "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
            )));
        }
        if duration > role.max_session_secs {
            return Err(IamError::InvalidInput(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .into(),
            ));
        }
        if let Some(p) = req.session_policy {
            Policy::parse(p, PolicyKind::Identity)
                .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        }
        let mut tags = role.tags.clone();
        for t in req.tags {
            tags.retain(|x| !x.key.eq_ignore_ascii_case(&t.key));
            tags.push(t);
        }
        let owner = SessionOwner::Role {
            role_name: role.name.clone(),
            session_name: req.session_name.to_owned(),
        };
        let info = SessionInfo {
            issued_ms: now,
            expires_ms: now + i64::from(duration) * 1000,
            mfa_auth_ms,
            session_policy: req.session_policy.map(str::to_owned),
            token_sha256: String::new(),
        };
        self.issue(&role.account, owner, tags, info).await
    }

    /// Temporary credentials for the caller itself, optionally MFA-authenticated.
    pub async fn get_session_token(
        &self,
        caller: &Identity,
        duration_secs: Option<u32>,
        mfa: Option<(&str, &str)>,
    ) -> Result<TemporaryCredentials, IamError> {
        let duration = duration_secs.unwrap_or(SESSION_TOKEN_DEFAULT_SECS);
        if !(MIN_SESSION_SECS..=SESSION_TOKEN_MAX_SECS).contains(&duration) {
            return Err(IamError::InvalidInput(format!(
                "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 129600"
            )));
        }
        let now = self.clock.now_ms();
        let mut mfa_auth_ms = None;
        if let Some((serial, code)) = mfa {
            let (account, name) = match caller {
                Identity::User { account, name, .. } => (account.as_str(), name.as_str()),
                // The root user's own device.
                Identity::Root { account } => (account.as_str(), Self::ROOT_MFA_USER),
                Identity::Role { .. } => {
                    return Err(IamError::AccessDenied(
                        "MFA is available to IAM users and the root user.".into(),
                    ));
                }
            };
            if !self.verify_mfa(account, name, serial, code).await? {
                return Err(IamError::AccessDenied(
                    "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
                ));
            }
            mfa_auth_ms = Some(now);
        }
        let (owner, tags) = match caller {
            Identity::Root { .. } => (SessionOwner::Root, Vec::new()),
            Identity::User { name, tags, .. } => {
                (SessionOwner::User { name: name.clone() }, tags.clone())
            }
            Identity::Role { .. } => {
                return Err(IamError::AccessDenied(
                    "Cannot call GetSessionToken with session credentials".into(),
                ));
            }
        };
        let info = SessionInfo {
            issued_ms: now,
            expires_ms: now + i64::from(duration) * 1000,
            mfa_auth_ms,
            session_policy: None,
            token_sha256: String::new(),
        };
        self.issue(caller.account(), owner, tags, info).await
    }

    async fn issue(
        &self,
        account: &str,
        owner: SessionOwner,
        tags: Vec<Tag>,
        mut info: SessionInfo,
    ) -> Result<TemporaryCredentials, IamError> {
        let access_key_id = format!("ASIA{}", self.random_from(16, ID_ALPHABET)?);
        let secret = Zeroizing::new(self.random_from(40, SECRET_ALPHABET)?);
        let token = Zeroizing::new(format!("FwoG{}", self.random_from(200, SECRET_ALPHABET)?));
        info.token_sha256 = hex_sha256(token.as_bytes());
        let stored = StoredSession {
            access_key_id: access_key_id.clone(),
            account: account.to_owned(),
            owner,
            tags,
            info: info.clone(),
            sealed_secret: self.wrap_secret(&access_key_id, &secret)?,
        };
        let identity = self.session_identity(&stored)?;
        self.apply(vec![create(&format!("session/{access_key_id}"), &stored)])
            .await?;
        Ok(TemporaryCredentials {
            access_key_id,
            secret,
            session_token: token,
            expires_ms: info.expires_ms,
            identity,
        })
    }

    /// The parsed session policy of temporary credentials, if they carry one.
    pub fn session_policies(
        &self,
        session: Option<&SessionInfo>,
    ) -> Result<Option<Vec<std::sync::Arc<Policy>>>, IamError> {
        match session.and_then(|s| s.session_policy.as_deref()) {
            None => Ok(None),
            Some(doc) => Ok(Some(vec![self.parsed(doc, PolicyKind::Identity)?])),
        }
    }

    pub(crate) fn resolve_session(
        &self,
        access_key_id: &str,
    ) -> Result<Option<Resolved>, IamError> {
        let Some(s) = self.get::<StoredSession>(&format!("session/{access_key_id}"))? else {
            return Ok(None);
        };
        let key = crate::AccessKey {
            id: s.access_key_id.clone(),
            account: s.account.clone(),
            user: None,
            status: crate::KeyStatus::Active,
            created_ms: s.info.issued_ms,
            wrapped_secret: s.sealed_secret.clone(),
        };
        let secret = self.unwrap_secret(&key)?;
        let identity = self.session_identity(&s)?;
        Ok(Some(Resolved {
            identity,
            secret,
            session: Some(s.info),
        }))
    }

    fn session_identity(&self, s: &StoredSession) -> Result<Identity, IamError> {
        Ok(match &s.owner {
            SessionOwner::Root => Identity::Root {
                account: s.account.clone(),
            },
            SessionOwner::User { name } => {
                let u = self.user(&s.account, name)?;
                Identity::User {
                    account: u.account.clone(),
                    name: u.name.clone(),
                    id: u.id.clone(),
                    arn: u.arn(),
                    tags: s.tags.clone(),
                }
            }
            SessionOwner::Role {
                role_name,
                session_name,
            } => {
                let r = self.role(&s.account, role_name)?;
                Identity::Role {
                    account: r.account.clone(),
                    role_name: r.name.clone(),
                    role_arn: r.arn(),
                    role_id: r.id.clone(),
                    session_name: session_name.clone(),
                    tags: s.tags.clone(),
                }
            }
        })
    }
}

impl SessionInfo {
    /// Checks the `X-Amz-Security-Token` presented with temporary credentials.
    pub fn check_token(&self, presented: Option<&str>, now_ms: i64) -> Result<(), TokenProblem> {
        let Some(token) = presented else {
            return Err(TokenProblem::Invalid);
        };
        if !bool::from(
            hex_sha256(token.as_bytes())
                .as_bytes()
                .ct_eq(self.token_sha256.as_bytes()),
        ) {
            return Err(TokenProblem::Invalid);
        }
        if now_ms >= self.expires_ms {
            return Err(TokenProblem::Expired);
        }
        Ok(())
    }
}

impl Identity {
    /// The policy engine's view of this identity.
    pub fn principal(&self) -> Principal {
        let role_arn = match self {
            Self::Role { role_arn, .. } => Some(role_arn.clone()),
            _ => None,
        };
        Principal::Aws {
            account: self.account().to_owned(),
            arn: self.arn(),
            role_arn,
        }
    }
}

/// The `aws:Principal*`, `aws:username`, `aws:userid`, MFA and token condition keys of a caller.
/// The request's time as policies see it (`aws:CurrentTime`, `aws:EpochTime`), from the
/// server's clock. [`fill_principal_context`] sets it for every authenticated caller; an
/// anonymous request needs it on its own.
pub fn fill_time_context(now_ms: i64, ctx: &mut RequestContext) {
    ctx.set("aws:CurrentTime", coffer_clock::rfc3339_utc(now_ms))
        .set("aws:EpochTime", now_ms.div_euclid(1000).to_string());
}

pub fn fill_principal_context(
    identity: &Identity,
    session: Option<&SessionInfo>,
    now_ms: i64,
    ctx: &mut RequestContext,
) {
    fill_time_context(now_ms, ctx);
    let kind = match identity {
        Identity::Root { .. } => "Account",
        Identity::User { .. } => "User",
        Identity::Role { .. } => "AssumedRole",
    };
    ctx.set(
        "aws:PrincipalArn",
        match identity {
            Identity::Role { role_arn, .. } => role_arn.clone(),
            other => other.arn(),
        },
    )
    .set("aws:PrincipalAccount", identity.account())
    .set("aws:PrincipalType", kind)
    .set("aws:userid", identity.user_id());
    if let Identity::User { name, .. } = identity {
        ctx.set("aws:username", name.clone());
    }
    ctx.set_all(
        "aws:PrincipalTagKeys",
        identity.tags().iter().map(|t| t.key.clone()).collect(),
    );
    for t in identity.tags() {
        ctx.set(&format!("aws:PrincipalTag/{}", t.key), t.value.clone());
    }
    let mfa = session.and_then(|s| s.mfa_auth_ms);
    ctx.set(
        "aws:MultiFactorAuthPresent",
        if mfa.is_some() { "true" } else { "false" },
    );
    if let Some(at) = mfa {
        ctx.set(
            "aws:MultiFactorAuthAge",
            ((now_ms - at).max(0) / 1000).to_string(),
        );
    }
    if let Some(s) = session {
        ctx.set("aws:TokenIssueTime", iso8601(s.issued_ms));
    }
}

fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days → civil date.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn hex_sha256(b: &[u8]) -> String {
    digest::digest(&digest::SHA256, b)
        .as_ref()
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let a = coffer_policy::Arn::iam(arn)?;
    let path_name = a.resource_after("role")?;
    Some((
        a.account.to_owned(),
        path_name.rsplit('/').next()?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::{base32, totp};

    #[test]
    fn totp_matches_rfc6238_vectors() {
        // RFC 6238 appendix B, SHA1 seed "12345678901234567890" (8 digits there; last 6 here).
        let seed = b"12345678901234567890";
        assert_eq!(totp(seed, 59 / 30), "287082");
        assert_eq!(totp(seed, 1_111_111_109 / 30), "081804");
        assert_eq!(totp(seed, 2_000_000_000 / 30), "279037");
    }

    #[test]
    fn session_tokens_expire_and_must_match() {
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let meta = Arc::new(coffer_store::SqliteMeta::open(&dir.path().join("m.sqlite")).unwrap());
        let iam = Iam::new(
            meta,
            &coffer_crypto::DataKey::from_bytes(Zeroizing::new([1u8; 32])),
            Arc::new(|| 1_000_000),
        );
        let root = Identity::Root {
            account: "111122223333".into(),
        };
        futures::executor::block_on(iam.ensure_account("111122223333")).unwrap();
        let creds =
            futures::executor::block_on(iam.get_session_token(&root, Some(900), None)).unwrap();
        let resolved = iam.resolve(&creds.access_key_id).unwrap().unwrap();
        assert_eq!(*resolved.secret, *creds.secret);
        let s = resolved.session.unwrap();
        assert_eq!(
            s.check_token(Some(&creds.session_token), 1_000_000 + 899_999),
            Ok(())
        );
        assert_eq!(
            s.check_token(Some(&creds.session_token), 1_000_000 + 900_000),
            Err(TokenProblem::Expired)
        );
        assert_eq!(
            s.check_token(Some("FwoGwrong"), 1_000_001),
            Err(TokenProblem::Invalid)
        );
        assert_eq!(s.check_token(None, 1_000_001), Err(TokenProblem::Invalid));
        assert!(
            futures::executor::block_on(iam.get_session_token(&root, Some(899), None)).is_err()
        );
        assert!(
            futures::executor::block_on(iam.get_session_token(&root, Some(129_601), None)).is_err()
        );
    }

    #[test]
    fn base32_and_dates() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(951_868_800_000), "2000-03-01T00:00:00Z");
        assert_eq!(
            parse_role_arn("arn:aws:iam::111122223333:role/path/R"),
            Some(("111122223333".into(), "R".into()))
        );
    }
}
