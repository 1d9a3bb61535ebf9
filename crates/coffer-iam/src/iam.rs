use coffer_clock::SharedClock;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_crypto::{DataKey, WrappingKey};
use coffer_policy::{Policy, PolicyKind};
use coffer_store::{KvOp, MetaStore, StoreError};
use futures::lock::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::guardrails::AccountGuardrails;
use crate::{AccessKey, Account, Group, IamError, Identity, KeyStatus, SessionInfo, Tag, User};

pub(crate) const NS: &str = "iam";
/// Managed policies attached to one user, as IAM's default quota.
pub(crate) const MAX_ATTACHED: usize = 10;

/// A freshly created access key: the only time its secret is visible.
pub struct NewAccessKey {
    pub key: AccessKey,
    pub secret: Zeroizing<String>,
}

/// Everything IAM says about a caller's permissions: identity policies, the account's
/// guardrails, and the session policy of temporary credentials.
#[derive(Clone)]
pub struct CallerPolicies {
    pub identity: Vec<Arc<Policy>>,
    pub guardrails: AccountGuardrails,
    pub session: Option<Vec<Arc<Policy>>>,
}

impl CallerPolicies {
    /// True if both are the very same parsed policies (parsed policies are cached by their
    /// text, so any changed or re-attached document is a different `Arc`).
    pub fn same_as(&self, other: &Self) -> bool {
        fn same(a: &[Arc<Policy>], b: &[Arc<Policy>]) -> bool {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
        }
        same(&self.identity, &other.identity)
            && same(&self.guardrails.policies, &other.guardrails.policies)
            && self.guardrails.full_access == other.guardrails.full_access
            && match (&self.session, &other.session) {
                (None, None) => true,
                (Some(a), Some(b)) => same(a, b),
                _ => false,
            }
    }

    /// The engine's policy set for a request, with an optional resource (bucket) policy.
    pub fn policy_set<'a>(&'a self, resource: Option<&'a Policy>) -> coffer_policy::PolicySet<'a> {
        coffer_policy::PolicySet {
            guardrails: (!self.guardrails.policies.is_empty() || !self.guardrails.full_access)
                .then_some(coffer_policy::Guardrails {
                    policies: &self.guardrails.policies,
                    implicit_allow_all: self.guardrails.full_access,
                }),
            identity: &self.identity,
            resource,
            resource_rule: coffer_policy::ResourceRule::EitherAllows,
            session: self.session.as_deref(),
        }
    }

    /// The policy set for a request whose resource policy is a gate (a role's trust policy,
    /// a KMS key policy): it must allow by itself, see [`coffer_policy::ResourceRule::Gate`].
    pub fn gated_by<'a>(&'a self, gate: &'a Policy) -> coffer_policy::PolicySet<'a> {
        coffer_policy::PolicySet {
            resource_rule: coffer_policy::ResourceRule::Gate,
            ..self.policy_set(Some(gate))
        }
    }
}

/// An access key resolved for authentication.
#[derive(Clone)]
pub struct Resolved {
    pub identity: Identity,
    pub secret: Zeroizing<String>,
    /// Present for temporary (STS) credentials.
    pub session: Option<SessionInfo>,
}

/// Most resolved access keys kept at once (every one a real key or live session); past it
/// the cache starts over.
const KEY_CACHE_LIMIT: usize = 100_000;

/// The IAM domain over the shared metadata store.
pub struct Iam {
    pub(crate) meta: Arc<dyn MetaStore>,
    pub(crate) secrets: WrappingKey,
    pub(crate) rng: SystemRandom,
    pub(crate) clock: SharedClock,
    /// IAM writes read-modify-write records; one at a time keeps them whole.
    pub(crate) write_lock: Mutex<()>,
    parsed: RwLock<HashMap<String, Arc<Policy>>>,
    pub(crate) cache: RwLock<Cache>,
}

/// Lookups made on every request (access key → identity and secret, identity policies,
/// guardrails), valid while the store's IAM generation token is unchanged. Every IAM write,
/// from this process or another (`coffer guardrail`), sets a fresh token in the same
/// transaction, so one small read per lookup keeps the cache exact.
#[derive(Default)]
pub(crate) struct Cache {
    generation: Option<Vec<u8>>,
    keys: HashMap<String, Resolved>,
    policies: HashMap<String, Vec<Arc<Policy>>>,
    pub(crate) guardrails: HashMap<String, AccountGuardrails>,
}

const GENERATION_KEY: &str = "meta/generation";

/// Key of the e-mail address index of accounts.
fn email_index(email: &str) -> String {
    format!("account-email/{}", email.to_ascii_lowercase())
}

impl Iam {
    /// Now, by the server's clock (the one this was opened with): what session expiry, MFA age
    /// and `aws:CurrentTime` are judged by.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// `secret_wrapping_key` protects stored secret access keys (derive it from the root key).
    pub fn new(
        meta: Arc<dyn MetaStore>,
        secret_wrapping_key: &DataKey,
        clock: SharedClock,
    ) -> Self {
        Self {
            meta,
            secrets: WrappingKey::new(secret_wrapping_key),
            rng: SystemRandom::new(),
            clock,
            write_lock: Mutex::new(()),
            parsed: RwLock::new(HashMap::new()),
            cache: RwLock::new(Cache::default()),
        }
    }

    // ---- accounts and root keys ----

    pub async fn ensure_account(&self, id: &str) -> Result<Account, IamError> {
        if let Some(a) = self.get::<Account>(&format!("account/{id}"))? {
            return Ok(a);
        }
        let a = Account {
            id: id.to_owned(),
            created_ms: self.clock.now_ms(),
            email: None,
        };
        match self.apply(vec![create(&format!("account/{id}"), &a)]).await {
            Ok(()) | Err(StoreError::KvConflict(_)) => Ok(a),
            Err(e) => Err(e.into()),
        }
    }

    pub fn account(&self, id: &str) -> Result<Option<Account>, IamError> {
        self.get(&format!("account/{id}"))
    }

    pub fn account_exists(&self, id: &str) -> Result<bool, IamError> {
        Ok(self.meta.kv_get(NS, &format!("account/{id}"))?.is_some())
    }

    /// A new account with fresh root credentials, and its e-mail address if given (unique
    /// among accounts: its index entry is created in the same write as the account).
    pub async fn create_account(
        &self,
        email: Option<&str>,
    ) -> Result<(Account, NewAccessKey), IamError> {
        let id = loop {
            let id = self.random_from(12, b"0123456789")?;
            if !id.starts_with('0') && !self.account_exists(&id)? {
                break id;
            }
        };
        let account = Account {
            id: id.clone(),
            created_ms: self.clock.now_ms(),
            email: email.map(str::to_owned),
        };
        let mut ops = vec![create(&format!("account/{id}"), &account)];
        if let Some(e) = email {
            ops.push(create(&email_index(e), &id));
        }
        match self.apply(ops).await {
            Err(StoreError::KvConflict(k)) if k.starts_with("account-email/") => {
                return Err(IamError::EntityAlreadyExists(format!(
                    "An account with e-mail address {} already exists.",
                    email.unwrap_or_default()
                )));
            }
            other => other?,
        }
        let key = self.create_access_key(&id, None).await?;
        Ok((account, key))
    }

    pub fn accounts(&self) -> Result<Vec<Account>, IamError> {
        self.list("account/")
    }

    /// The account with this e-mail address (compared case-insensitively, as addresses are).
    pub fn account_by_email(&self, email: &str) -> Result<Option<Account>, IamError> {
        let Some(id) = self.get::<String>(&email_index(email))? else {
            return Ok(None);
        };
        self.get::<Account>(&format!("account/{id}"))
    }

    /// Records root credentials given by configuration (kept wrapped, replaced if changed).
    pub async fn register_root_key(
        &self,
        account: &str,
        access_key_id: &str,
        secret: &str,
    ) -> Result<(), IamError> {
        self.ensure_account(account).await?;
        let key = AccessKey {
            id: access_key_id.to_owned(),
            account: account.to_owned(),
            user: None,
            status: KeyStatus::Active,
            created_ms: self.clock.now_ms(),
            wrapped_secret: self.wrap_secret(access_key_id, secret)?,
        };
        self.apply(vec![put(&format!("key/{access_key_id}"), &key)])
            .await?;
        Ok(())
    }

    // ---- authentication ----

    /// The identity and secret behind an active access key.
    pub fn resolve(&self, access_key_id: &str) -> Result<Option<Resolved>, IamError> {
        self.refresh()?;
        if let Some(hit) = self.cached_key(access_key_id) {
            return Ok(Some(hit));
        }
        let found = self.resolve_uncached(access_key_id)?;
        // Only keys that exist are cached: the ids anyone can send must not grow memory.
        if let Some(f) = &found
            && let Ok(mut c) = self.cache.write()
        {
            if c.keys.len() >= KEY_CACHE_LIMIT {
                c.keys.clear();
            }
            c.keys.insert(access_key_id.to_owned(), f.clone());
        }
        Ok(found)
    }

    /// The key again, for the same request that just resolved it to check its signature:
    /// from the cache, which that [`Iam::resolve`] made fresh (every IAM write after it
    /// clears the cache, and then this resolves afresh), so it costs no store read.
    pub fn resolve_again(&self, access_key_id: &str) -> Result<Option<Resolved>, IamError> {
        match self.cached_key(access_key_id) {
            Some(hit) => Ok(Some(hit)),
            None => self.resolve(access_key_id),
        }
    }

    fn cached_key(&self, access_key_id: &str) -> Option<Resolved> {
        self.cache
            .read()
            .ok()
            .and_then(|c| c.keys.get(access_key_id).cloned())
    }

    fn resolve_uncached(&self, access_key_id: &str) -> Result<Option<Resolved>, IamError> {
        let Some(key) = self.get::<AccessKey>(&format!("key/{access_key_id}"))? else {
            return self.resolve_session(access_key_id);
        };
        if key.status != KeyStatus::Active {
            return Ok(None);
        }
        let identity = match &key.user {
            None => Identity::Root {
                account: key.account.clone(),
            },
            Some(name) => {
                let Some(u) = self.get::<User>(&user_key(&key.account, name))? else {
                    return Ok(None);
                };
                Identity::User {
                    account: u.account.clone(),
                    name: u.name.clone(),
                    id: u.id.clone(),
                    arn: u.arn(),
                    tags: u.tags,
                }
            }
        };
        Ok(Some(Resolved {
            identity,
            secret: self.unwrap_secret(&key)?,
            session: None,
        }))
    }

    /// Identity policies that speak for `identity`: inline, attached, and its groups'.
    /// Cached; fresh as of the last [`Iam::resolve`] (every request resolves its caller first).
    pub fn identity_policies(&self, identity: &Identity) -> Result<Vec<Arc<Policy>>, IamError> {
        let (account, name) = match identity {
            Identity::Root { .. } => return Ok(Vec::new()),
            Identity::User { account, name, .. } => (account, name.clone()),
            Identity::Role {
                account, role_name, ..
            } => (account, format!("role:{role_name}")),
        };
        let name = &name;
        let cache_key = format!("{account}/{name}");
        if let Some(hit) = self
            .cache
            .read()
            .ok()
            .and_then(|c| c.policies.get(&cache_key).cloned())
        {
            return Ok(hit);
        }
        let found = self.identity_policies_uncached(account, name)?;
        if let Ok(mut c) = self.cache.write() {
            c.policies.insert(cache_key, found.clone());
        }
        Ok(found)
    }

    fn identity_policies_uncached(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Vec<Arc<Policy>>, IamError> {
        if let Some(role) = name.strip_prefix("role:") {
            let Some(r) = self.get::<crate::Role>(&format!("role/{account}/{role}"))? else {
                return Ok(Vec::new());
            };
            let mut docs: Vec<String> = r.inline.values().cloned().collect();
            for arn in &r.attached {
                if let Some(p) = self.managed_policy_by_arn(arn)? {
                    docs.push(p.document);
                }
            }
            return docs
                .iter()
                .map(|d| self.parsed(d, PolicyKind::Identity))
                .collect();
        }
        let Some(user) = self.get::<User>(&user_key(account, name))? else {
            return Ok(Vec::new());
        };
        let mut docs: Vec<String> = user.inline.values().cloned().collect();
        let mut attached = user.attached.clone();
        for g in &user.groups {
            if let Some(group) = self.get::<Group>(&format!("group/{account}/{g}"))? {
                docs.extend(group.inline.values().cloned());
                attached.extend(group.attached);
            }
        }
        for arn in attached {
            if let Some(p) = self.managed_policy_by_arn(&arn)? {
                docs.push(p.document);
            }
        }
        docs.iter()
            .map(|d| self.parsed(d, PolicyKind::Identity))
            .collect()
    }

    /// Judges a request by the caller's identity policies, guardrails and session policy alone
    /// (no resource policy): IAM calls and account-level KMS calls. `ctx` gets the caller's
    /// principal keys here.
    pub fn decide_by_identity(
        &self,
        identity: &Identity,
        session: Option<&SessionInfo>,
        mut ctx: coffer_policy::RequestContext,
    ) -> Result<coffer_policy::Decision, IamError> {
        crate::fill_principal_context(identity, session, self.now_ms(), &mut ctx);
        let callers = self.caller_policies(identity, session)?;
        Ok(coffer_policy::evaluate(&callers.policy_set(None), &ctx))
    }

    /// Identity policies, guardrails and session policy of a resolved caller.
    pub fn caller_policies(
        &self,
        identity: &Identity,
        session: Option<&SessionInfo>,
    ) -> Result<CallerPolicies, IamError> {
        Ok(CallerPolicies {
            identity: self.identity_policies(identity)?,
            guardrails: self.guardrails(identity.account())?,
            session: self.session_policies(session)?,
        })
    }

    // ---- plumbing ----

    /// Applies IAM changes with a fresh generation token, in one transaction.
    pub(crate) async fn apply(&self, mut ops: Vec<KvOp>) -> Result<(), StoreError> {
        let mut token = vec![0u8; 16];
        self.rng
            .fill(&mut token)
            .map_err(|_| StoreError::Corrupt("random source failed"))?;
        ops.push(KvOp::Put {
            ns: NS.into(),
            key: GENERATION_KEY.into(),
            value: token,
        });
        let r = self.meta.kv_apply(ops).await;
        self.refresh()
            .map_err(|_| StoreError::Corrupt("iam generation"))?;
        r
    }

    /// Drops cached lookups if any IAM write happened since they were made.
    fn refresh(&self) -> Result<(), IamError> {
        let current = self.meta.kv_get(NS, GENERATION_KEY)?;
        let stale = self
            .cache
            .read()
            .map(|c| c.generation != current)
            .unwrap_or(true);
        if stale && let Ok(mut c) = self.cache.write() {
            *c = Cache {
                generation: current,
                ..Cache::default()
            };
        }
        Ok(())
    }

    pub(crate) async fn update_user(
        &self,
        account: &str,
        name: &str,
        f: impl FnOnce(&mut User) -> Result<(), IamError>,
    ) -> Result<(), IamError> {
        let _g = self.write_lock.lock().await;
        let mut u = self.user(account, name)?;
        f(&mut u)?;
        self.apply(vec![put(&user_key(account, name), &u)]).await?;
        Ok(())
    }

    pub(crate) fn parsed(&self, doc: &str, kind: PolicyKind) -> Result<Arc<Policy>, IamError> {
        let cache_key = format!("{kind:?}\0{doc}");
        if let Some(p) = self
            .parsed
            .read()
            .ok()
            .and_then(|m| m.get(&cache_key).cloned())
        {
            return Ok(p);
        }
        let p = Arc::new(Policy::parse(doc, kind).map_err(|_| IamError::Corrupt)?);
        if let Ok(mut m) = self.parsed.write() {
            m.insert(cache_key, p.clone());
        }
        Ok(p)
    }

    pub(crate) fn wrap_secret(
        &self,
        access_key_id: &str,
        secret: &str,
    ) -> Result<String, IamError> {
        let sealed = self
            .secrets
            .seal_secret(
                secret.as_bytes(),
                secret_context(access_key_id).as_bytes(),
                &self.rng,
            )
            .map_err(|_| IamError::Random)?;
        Ok(B64.encode(sealed))
    }

    pub(crate) fn unwrap_secret(&self, key: &AccessKey) -> Result<Zeroizing<String>, IamError> {
        let sealed = B64
            .decode(&key.wrapped_secret)
            .map_err(|_| IamError::Corrupt)?;
        let plain = self
            .secrets
            .open_secret(&sealed, secret_context(&key.id).as_bytes())
            .map_err(|_| IamError::Corrupt)?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| IamError::Corrupt)
    }

    pub(crate) fn random_from(&self, n: usize, alphabet: &[u8]) -> Result<String, IamError> {
        let mut buf = vec![0u8; n];
        self.rng.fill(&mut buf).map_err(|_| IamError::Random)?;
        Ok(buf
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect())
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, IamError> {
        match self.meta.kv_get(NS, key)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|_| IamError::Corrupt),
        }
    }

    pub(crate) fn list<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, IamError> {
        self.meta
            .kv_list(NS, prefix)?
            .into_iter()
            .map(|(_, v)| serde_json::from_slice(&v).map_err(|_| IamError::Corrupt))
            .collect()
    }
}

pub(crate) const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub(crate) const SECRET_ALPHABET: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Associated data of a sealed secret access key: it opens only as that key's secret.
fn secret_context(access_key_id: &str) -> String {
    format!("coffer/iam/secret-access-key/v1/{access_key_id}")
}

pub(crate) fn user_key(account: &str, name: &str) -> String {
    format!("user/{account}/{name}")
}

pub(crate) fn create<T: Serialize>(key: &str, v: &T) -> KvOp {
    KvOp::Create {
        ns: NS.into(),
        key: key.into(),
        value: serde_json::to_vec(v).unwrap_or_default(),
    }
}

pub(crate) fn put<T: Serialize>(key: &str, v: &T) -> KvOp {
    KvOp::Put {
        ns: NS.into(),
        key: key.into(),
        value: serde_json::to_vec(v).unwrap_or_default(),
    }
}

pub(crate) fn delete(key: &str) -> KvOp {
    KvOp::Delete {
        ns: NS.into(),
        key: key.into(),
    }
}

pub(crate) fn no_user(name: &str) -> IamError {
    IamError::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// IAM names: `[\w+=,.@-]`, 1 to `max` characters.
pub(crate) fn validate_name(name: &str, max: usize, field: &str) -> Result<(), IamError> {
    let ok = !name.is_empty()
        && name.chars().count() <= max
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !ok {
        return Err(IamError::InvalidInput(format!(
            "1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(())
}

pub(crate) fn validate_path(path: &str) -> Result<String, IamError> {
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 {
        return Err(IamError::InvalidInput(format!(
            "The specified value for path is invalid: {path}"
        )));
    }
    Ok(path.to_owned())
}

/// Adds or replaces tags (keys compare case-insensitively, as IAM's do).
pub(crate) fn merge_tags(existing: &mut Vec<Tag>, new: Vec<Tag>) -> Result<(), IamError> {
    for t in new {
        existing.retain(|x| !x.key.eq_ignore_ascii_case(&t.key));
        existing.push(t);
    }
    validate_tags(existing)
}

pub(crate) fn remove_tags(existing: &mut Vec<Tag>, keys: &[String]) {
    existing.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
}

pub(crate) fn validate_tags(tags: &[Tag]) -> Result<(), IamError> {
    if tags.len() > 50 {
        return Err(IamError::LimitExceeded(
            "The number of tags has reached the maximum limit.".into(),
        ));
    }
    if tags
        .iter()
        .any(|t| t.key.is_empty() || t.key.len() > 128 || t.value.len() > 256)
    {
        return Err(IamError::InvalidInput(
            "Tag keys must be 1-128 characters and values at most 256.".into(),
        ));
    }
    if tags
        .iter()
        .any(|t| t.key.len() >= 4 && t.key[..4].eq_ignore_ascii_case("aws:"))
    {
        return Err(IamError::InvalidInput(
            "User-defined tag keys can't start with 'aws:'. This prefix is reserved for AWS tags."
                .into(),
        ));
    }
    Ok(())
}

/// IAM's size quotas for policy documents, in characters other than whitespace (IAM counts
/// them so): inline policies per user, group and role together, and each managed policy.
pub(crate) const USER_INLINE_POLICY_SIZE: usize = 2048;
pub(crate) const GROUP_INLINE_POLICY_SIZE: usize = 5120;
pub(crate) const ROLE_INLINE_POLICY_SIZE: usize = 10_240;
pub(crate) const MANAGED_POLICY_SIZE: usize = 6144;
/// Longest `PolicyDocument` parameter IAM takes at all.
const MAX_POLICY_DOCUMENT: usize = 131_072;

/// A policy document's size as IAM's quotas measure it.
pub(crate) fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parses an identity policy document given to IAM, refusing one beyond IAM's parameter
/// size before parsing it.
pub(crate) fn identity_document(document: &str) -> Result<Policy, IamError> {
    if document.len() > MAX_POLICY_DOCUMENT {
        return Err(IamError::InvalidInput(format!(
            "1 validation error detected: Value at 'policyDocument' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_DOCUMENT}"
        )));
    }
    Policy::parse(document, PolicyKind::Identity)
        .map_err(|e| IamError::MalformedPolicyDocument(e.0))
}

/// Inline policies of one entity after a change, within its aggregate quota.
pub(crate) fn check_inline_quota(
    inline: &std::collections::BTreeMap<String, String>,
    quota: usize,
    kind: &str,
    name: &str,
) -> Result<(), IamError> {
    let total: usize = inline.values().map(|d| policy_size(d)).sum();
    if total > quota {
        return Err(IamError::LimitExceeded(format!(
            "Maximum policy size of {quota} bytes exceeded for {kind} {name}"
        )));
    }
    Ok(())
}

/// A managed policy document within IAM's quota.
pub(crate) fn check_managed_quota(document: &str) -> Result<(), IamError> {
    if policy_size(document) > MANAGED_POLICY_SIZE {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "iam_tests.rs"]
mod tests;
