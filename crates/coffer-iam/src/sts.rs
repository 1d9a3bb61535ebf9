//! Roles, virtual MFA devices (TOTP), and temporary credentials (STS AssumeRole,
//! GetSessionToken), plus the principal's condition keys for the policy engine.

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_policy::{Decision, Policy, PolicyKind, Principal, RequestContext, evaluate};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::iam::{
    ID_ALPHABET, SECRET_ALPHABET, create, delete, merge_tags, put, remove_tags, validate_name,
    validate_path, validate_tags,
};
use crate::{Iam, IamError, Identity, MfaDevice, Resolved, Role, SessionInfo, Tag};

/// TOTP time step (RFC 6238), as AWS virtual MFA devices use.
const TOTP_STEP_SECS: i64 = 30;
/// Steps either side of now a code is accepted in, for clock drift.
const TOTP_WINDOW: i64 = 1;
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
    // ---- roles ----

    pub async fn create_role(
        &self,
        account: &str,
        name: &str,
        path: &str,
        trust_policy: &str,
        max_session_secs: Option<u32>,
        tags: Vec<Tag>,
    ) -> Result<Role, IamError> {
        validate_name(name, 64, "roleName")?;
        validate_tags(&tags)?;
        Policy::parse(trust_policy, PolicyKind::Trust)
            .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        let max = max_session_secs.unwrap_or(3600);
        if !(3600..=MAX_ROLE_SESSION_SECS).contains(&max) {
            return Err(IamError::InvalidInput(format!(
                "1 validation error detected: Value '{max}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200"
            )));
        }
        let role = Role {
            account: account.to_owned(),
            name: name.to_owned(),
            path: validate_path(path)?,
            id: format!("AROA{}", self.random_from(17, ID_ALPHABET)?),
            created_ms: self.clock.now_ms(),
            trust_policy: trust_policy.to_owned(),
            max_session_secs: max,
            tags,
            inline: Default::default(),
            attached: Vec::new(),
        };
        match self
            .apply(vec![create(&role_key(account, name), &role)])
            .await
        {
            Ok(()) => Ok(role),
            Err(coffer_store::StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(
                format!("Role with name {name} already exists."),
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub fn role(&self, account: &str, name: &str) -> Result<Role, IamError> {
        self.get(&role_key(account, name))?.ok_or_else(|| {
            IamError::NoSuchEntity(format!("The role with name {name} cannot be found."))
        })
    }

    pub async fn put_role_policy(
        &self,
        account: &str,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        validate_name(policy_name, 128, "policyName")?;
        crate::iam::identity_document(document)?;
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        r.inline.insert(policy_name.to_owned(), document.to_owned());
        crate::iam::check_inline_quota(
            &r.inline,
            crate::iam::ROLE_INLINE_POLICY_SIZE,
            "role",
            role,
        )?;
        self.apply(vec![put(&role_key(account, role), &r)]).await?;
        Ok(())
    }

    pub async fn attach_role_policy(
        &self,
        account: &str,
        role: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        let Some(policy) = self.attach(&mut r.attached, policy_arn, Some("PoliciesPerRole"))?
        else {
            return Ok(());
        };
        self.apply(vec![put(&role_key(account, role), &r), policy])
            .await?;
        Ok(())
    }

    pub fn roles(&self, account: &str) -> Result<Vec<Role>, IamError> {
        self.list(&format!("role/{account}/"))
    }

    /// Applies `f` to a role record and stores it (one writer at a time).
    async fn update_role(
        &self,
        account: &str,
        role: &str,
        f: impl FnOnce(&mut Role) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        f(&mut r)?;
        self.apply(vec![put(&role_key(account, role), &r)]).await?;
        Ok(())
    }

    pub async fn delete_role_policy(
        &self,
        account: &str,
        role: &str,
        name: &str,
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| {
            r.inline.remove(name).map(|_| ()).ok_or_else(|| {
                IamError::NoSuchEntity(format!("The role policy with name {name} cannot be found."))
            })
        })
        .await
    }

    pub async fn detach_role_policy(
        &self,
        account: &str,
        role: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.role(account, role)?;
        let policy = self.detach(&mut r.attached, arn)?;
        self.apply([vec![put(&role_key(account, role), &r)], policy].concat())
            .await?;
        Ok(())
    }

    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        role: &str,
        document: &str,
    ) -> Result<(), IamError> {
        Policy::parse(document, PolicyKind::Trust)
            .map_err(|e| IamError::MalformedPolicyDocument(e.0))?;
        self.update_role(account, role, |r| {
            r.trust_policy = document.to_owned();
            Ok(())
        })
        .await
    }

    pub async fn untag_role(
        &self,
        account: &str,
        role: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| {
            remove_tags(&mut r.tags, keys);
            Ok(())
        })
        .await
    }

    pub async fn delete_virtual_mfa_device(
        &self,
        account: &str,
        serial: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let dev = self.mfa_device(account, serial)?;
        if dev.user.is_some() {
            return Err(IamError::DeleteConflict(
                "MFA device is still in use; deactivate it first.".into(),
            ));
        }
        self.apply(vec![delete(&mfa_key(serial))]).await?;
        Ok(())
    }

    pub async fn tag_role(
        &self,
        account: &str,
        role: &str,
        tags: Vec<Tag>,
    ) -> Result<(), IamError> {
        self.update_role(account, role, |r| merge_tags(&mut r.tags, tags))
            .await
    }

    pub async fn delete_role(&self, account: &str, name: &str) -> Result<(), IamError> {
        let r = self.role(account, name)?;
        if !r.inline.is_empty() || !r.attached.is_empty() {
            return Err(IamError::DeleteConflict(
                "Cannot delete entity, must delete policies first.".into(),
            ));
        }
        self.apply(vec![delete(&role_key(account, name))]).await?;
        Ok(())
    }

    // ---- virtual MFA devices ----

    /// The name a device's `user` has when the account's root user holds it (no IAM user
    /// name can contain `<` or `>`).
    pub const ROOT_MFA_USER: &'static str = "<root>";

    /// A new device and its TOTP seed (base32), shown once.
    pub async fn create_virtual_mfa_device(
        &self,
        account: &str,
        name: &str,
    ) -> Result<(MfaDevice, String), IamError> {
        validate_name(name, 128, "virtualMFADeviceName")?;
        let mut seed = Zeroizing::new([0u8; 20]);
        aws_lc_rs::rand::SecureRandom::fill(&self.rng, seed.as_mut())
            .map_err(|_| IamError::Random)?;
        let serial = format!("arn:aws:iam::{account}:mfa/{name}");
        let sealed = self
            .secrets
            .seal_secret(seed.as_ref(), mfa_context(&serial).as_bytes(), &self.rng)
            .map_err(|_| IamError::Random)?;
        let dev = MfaDevice {
            account: account.to_owned(),
            name: name.to_owned(),
            serial: serial.clone(),
            user: None,
            created_ms: self.clock.now_ms(),
            enabled_ms: None,
            sealed_seed: B64.encode(sealed),
            last_step: 0,
        };
        match self.apply(vec![create(&mfa_key(&serial), &dev)]).await {
            Ok(()) => Ok((dev, base32(seed.as_ref()))),
            Err(coffer_store::StoreError::KvConflict(_)) => Err(IamError::EntityAlreadyExists(
                "MFADevice entity at the same path and name already exists.".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Enables a device for a user: two consecutive codes prove the user holds it.
    pub async fn enable_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        if user != Self::ROOT_MFA_USER {
            self.user(account, user)?;
        }
        let mut dev = self.mfa_device(account, serial)?;
        if dev.user.is_some() {
            return Err(IamError::EntityAlreadyExists(
                "MFA device is already in use.".into(),
            ));
        }
        let seed = self.mfa_seed(&dev)?;
        let now_step = self.clock.now_ms().div_euclid(1000) / TOTP_STEP_SECS;
        // Look a little further back than for sign-in: the two codes are typed one after the other.
        let found = (now_step - 10..=now_step + TOTP_WINDOW).find(|&s| {
            s >= 0 && totp(&seed, s as u64) == code1 && totp(&seed, s as u64 + 1) == code2
        });
        let Some(step) = found else {
            return Err(IamError::InvalidAuthenticationCode(
                "Authentication code for device is not valid.".into(),
            ));
        };
        dev.user = Some(user.to_owned());
        dev.enabled_ms = Some(self.clock.now_ms());
        dev.last_step = step as u64 + 1;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(())
    }

    pub async fn deactivate_mfa_device(
        &self,
        account: &str,
        user: &str,
        serial: &str,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut dev = self.mfa_device(account, serial)?;
        if dev.user.as_deref() != Some(user) {
            return Err(IamError::NoSuchEntity(format!(
                "MFA Device with serial number {serial} not found for user {user}."
            )));
        }
        dev.user = None;
        dev.enabled_ms = None;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(())
    }

    /// Every virtual MFA device of the account, assigned or not.
    pub fn virtual_mfa_devices(&self, account: &str) -> Result<Vec<MfaDevice>, IamError> {
        self.list::<MfaDevice>(&format!("mfa/arn:aws:iam::{account}:mfa/"))
    }

    pub fn mfa_devices(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<Vec<MfaDevice>, IamError> {
        Ok(self
            .list::<MfaDevice>(&format!("mfa/arn:aws:iam::{account}:mfa/"))?
            .into_iter()
            .filter(|d| d.user.is_some() && (user.is_none() || d.user.as_deref() == user))
            .collect())
    }

    /// Checks a code from `user`'s enabled device; a code is accepted once.
    pub async fn verify_mfa(
        &self,
        account: &str,
        user: &str,
        serial: &str,
        code: &str,
    ) -> Result<bool, IamError> {
        let _g = self.write_lock.lock().await;
        let Ok(mut dev) = self.mfa_device(account, serial) else {
            return Ok(false);
        };
        if dev.user.as_deref() != Some(user) {
            return Ok(false);
        }
        let seed = self.mfa_seed(&dev)?;
        let now_step = self.clock.now_ms().div_euclid(1000) / TOTP_STEP_SECS;
        let hit = (now_step - TOTP_WINDOW..=now_step + TOTP_WINDOW)
            .filter(|&s| s >= 0 && s as u64 > dev.last_step)
            .find(|&s| bool::from(totp(&seed, s as u64).as_bytes().ct_eq(code.as_bytes())));
        let Some(step) = hit else { return Ok(false) };
        dev.last_step = step as u64;
        self.apply(vec![put(&mfa_key(serial), &dev)]).await?;
        Ok(true)
    }

    fn mfa_device(&self, account: &str, serial: &str) -> Result<MfaDevice, IamError> {
        self.get::<MfaDevice>(&mfa_key(serial))?
            .filter(|d| d.account == account)
            .ok_or_else(|| {
                IamError::NoSuchEntity(format!(
                    "VirtualMFADevice with serial number {serial} doesn't exist."
                ))
            })
    }

    fn mfa_seed(&self, dev: &MfaDevice) -> Result<Zeroizing<Vec<u8>>, IamError> {
        let sealed = B64
            .decode(&dev.sealed_seed)
            .map_err(|_| IamError::Corrupt)?;
        self.secrets
            .open_secret(&sealed, mfa_context(&dev.serial).as_bytes())
            .map_err(|_| IamError::Corrupt)
    }

    // ---- temporary credentials ----

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

/// RFC 6238 TOTP: HMAC-SHA1 over the step, dynamic truncation, six digits.
pub(crate) fn totp(seed: &[u8], step: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, seed);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let h = mac.as_ref();
    let off = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// RFC 4648 base32 without padding (how authenticator apps take seeds).
fn base32(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(A[((buf >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(A[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
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

fn role_key(account: &str, name: &str) -> String {
    format!("role/{account}/{name}")
}

fn mfa_key(serial: &str) -> String {
    format!("mfa/{serial}")
}

fn mfa_context(serial: &str) -> String {
    format!("coffer/iam/mfa-seed/v1/{serial}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
