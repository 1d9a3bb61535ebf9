use coffer_clock::SharedClock;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::aead::{Aad, Nonce};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use coffer_crypto::{DataKey, WrappingKey};
use coffer_policy::{Policy, PolicyKind};
use coffer_store::{KvOp, MetaStore, StoreError};
use futures::lock::Mutex;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::spec::{ENCRYPT_DECRYPT, KeySpec, Material};
use crate::{KmsError, blob};

mod aliases;
mod crypto;
mod lifecycle;
mod rotation;
#[cfg(test)]
mod tests;

use aliases::alias_key;

pub(crate) const NS: &str = "kms";
/// Largest plaintext Encrypt takes, as KMS.
pub const MAX_PLAINTEXT: usize = 4096;

/// An encryption context: bound to the ciphertext, must match exactly on decrypt.
pub type EncryptionContext = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    /// An EXTERNAL key without (or with expired or deleted) key material.
    PendingImport,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
            Self::PendingImport => "PendingImport",
        }
    }
}

/// What DescribeKey shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyMetadata {
    pub id: crate::KeyId,
    pub account: String,
    pub arn: String,
    pub description: String,
    pub created_ms: i64,
    pub state: KeyState,
    pub deletion_ms: Option<i64>,
    pub key_spec: String,
    pub key_usage: String,
    pub origin: String,
    /// Imported material: `KEY_MATERIAL_EXPIRES` or `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    #[serde(default)]
    pub expiration_model: Option<String>,
    /// Imported material expiring: when.
    #[serde(default)]
    pub valid_to_ms: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct KeyVersion {
    version: u32,
    sealed_material: String,
    created_ms: i64,
    /// How this version came to be: `None` for the original, else AUTOMATIC / ON_DEMAND.
    #[serde(default)]
    rotation: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
struct Rotation {
    period_days: u32,
    next_ms: i64,
}

/// GetKeyRotationStatus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStatus {
    pub enabled: bool,
    pub period_days: Option<u32>,
    pub next_rotation_ms: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone)]
pub(crate) struct KeyRecord {
    pub(crate) meta: KeyMetadata,
    policy: String,
    tags: Vec<(String, String)>,
    pub(crate) versions: Vec<KeyVersion>,
    pub(crate) current: u32,
    #[serde(default)]
    rotation: Option<Rotation>,
    /// EXTERNAL keys: recognises the imported material when it comes back.
    #[serde(default)]
    pub(crate) import_check: Option<MaterialCheck>,
}

/// What a key keeps to recognise its imported material again: salt and HMAC, base64.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct MaterialCheck {
    pub(crate) salt: String,
    pub(crate) mac: String,
}

impl KeyRecord {
    /// The key without its (imported) material: PendingImport, unless deletion is pending.
    pub(crate) fn lose_material(&mut self) {
        self.versions.clear();
        self.current = 0;
        self.meta.valid_to_ms = None;
        self.meta.expiration_model = None;
        if self.meta.state != KeyState::PendingDeletion {
            self.meta.state = KeyState::PendingImport;
        }
    }
}

/// CreateKey's parameters.
pub struct NewKey<'a> {
    pub spec: KeySpec,
    pub usage: &'a str,
    pub description: &'a str,
    pub policy: Option<&'a str>,
    pub tags: Vec<(String, String)>,
    /// Origin EXTERNAL: the material is imported later.
    pub external: bool,
}

/// GenerateDataKey's answer: the plaintext key (zeroized on drop) and its KMS ciphertext.
pub struct DataKeyPair {
    pub key_id: String,
    pub plaintext: Zeroizing<Vec<u8>>,
    pub ciphertext: Vec<u8>,
}

pub struct Kms {
    meta: Arc<dyn MetaStore>,
    sealing: WrappingKey,
    rng: SystemRandom,
    clock: SharedClock,
    region: String,
    write_lock: Mutex<()>,
    /// Keys as used per request: record, parsed policy and unsealed material, so a call costs
    /// neither a store read nor a policy parse nor an unseal. Keyed by (account, key ref).
    cache: std::sync::Mutex<KeyCache>,
    /// Bumped after every write; a cache entry from an older generation is reloaded.
    generation: AtomicU64,
    quotas: crate::quota::Quotas,
}

/// (account, key ref) -> (generation loaded at, key).
type KeyCache = HashMap<(String, String), (u64, Arc<LoadedKey>)>;

/// Most cached key references kept before the cache starts over.
const CACHE_LIMIT: usize = 10_000;

/// A key ready for use: its record, its parsed policy, and the parsed material of each
/// version (aws-lc clears key objects when they drop).
pub(crate) struct LoadedKey {
    pub(crate) record: KeyRecord,
    policy: Arc<Policy>,
    materials: Vec<(u32, Material)>,
}

impl LoadedKey {
    pub(crate) fn material(&self, version: u32) -> Result<&Material, KmsError> {
        self.materials
            .iter()
            .find(|(v, _)| *v == version)
            .map(|(_, k)| k)
            .ok_or(KmsError::InvalidCiphertext)
    }

    /// The current version's material.
    pub(crate) fn current(&self) -> Result<&Material, KmsError> {
        self.material(self.record.current)
            .map_err(|_| KmsError::Corrupt)
    }

    pub(crate) fn spec(&self) -> Result<KeySpec, KmsError> {
        KeySpec::parse(&self.record.meta.key_spec).ok_or(KmsError::Corrupt)
    }

    /// Refuses an operation this key's spec and usage cannot do (InvalidKeyUsageException).
    pub(crate) fn require(&self, spec_ok: bool, usage: &str, op: &str) -> Result<(), KmsError> {
        if spec_ok && self.record.meta.key_usage == usage {
            return Ok(());
        }
        Err(KmsError::InvalidKeyUsage(format!(
            "{} key usage is {} which is not valid for {op}.",
            self.record.meta.arn, self.record.meta.key_usage
        )))
    }

    /// Symmetric encryption operations (Encrypt, Decrypt, GenerateDataKey, ...).
    pub(crate) fn require_symmetric(&self, op: &str) -> Result<(), KmsError> {
        let symmetric = self.spec()? == KeySpec::Symmetric;
        self.require(symmetric, ENCRYPT_DECRYPT, op)
    }
}

impl Kms {
    /// `material_key` seals key material at rest (derive it from the root key).
    pub fn new(
        meta: Arc<dyn MetaStore>,
        material_key: &DataKey,
        region: &str,
        clock: SharedClock,
    ) -> Self {
        Self {
            meta,
            sealing: WrappingKey::new(material_key),
            rng: SystemRandom::new(),
            clock,
            region: region.to_owned(),
            write_lock: Mutex::new(()),
            cache: std::sync::Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            quotas: crate::quota::Quotas::aws_defaults(),
        }
    }

    /// Advances after every write to the key service (keys, policies, grants, aliases): a
    /// decision made at one generation may be reused only while it is current.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the request quotas (AWS's defaults until then).
    pub fn set_quotas(&mut self, quotas: crate::quota::Quotas) {
        self.quotas = quotas;
    }

    /// Spends one request of `op` against the quota of `account` (the key owner's, for a key
    /// operation); `key_spec` picks the class. `Err(Throttled)` once the quota is spent.
    pub fn admit(&self, account: &str, op: &str, key_spec: Option<&str>) -> Result<(), KmsError> {
        self.quotas
            .admit(account, crate::quota::QuotaClass::of(op, key_spec), op)
    }

    /// The region in this service's key ARNs.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The key policy AWS creates when none is given: the account (root, and IAM policies of
    /// its principals) may do anything with the key.
    pub fn default_policy(account: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Id":"key-default-1","Statement":[{{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
        )
    }

    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Writes in the key service's namespace (grants), retiring cached keys.
    pub(crate) async fn apply_ops(&self, ops: Vec<KvOp>) -> Result<(), KmsError> {
        Ok(self.apply(ops).await?)
    }

    pub(crate) fn kv_get(&self, key: &str) -> Result<Option<Vec<u8>>, KmsError> {
        Ok(self.meta.kv_get(NS, key)?)
    }

    pub(crate) fn kv_list(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, KmsError> {
        Ok(self.meta.kv_list(NS, prefix)?)
    }

    pub(crate) fn rng(&self) -> &SystemRandom {
        &self.rng
    }

    pub(crate) fn usable(&self, account: &str, key_ref: &str) -> Result<Arc<LoadedKey>, KmsError> {
        let k = self.loaded(account, key_ref)?;
        check_state(&k.record.meta)?;
        Ok(k)
    }

    pub(crate) fn record(&self, account: &str, key_ref: &str) -> Result<KeyRecord, KmsError> {
        Ok(self.loaded(account, key_ref)?.record.clone())
    }

    /// The key `key_ref` names, from the cache when no write has happened since it was loaded.
    fn loaded(&self, account: &str, key_ref: &str) -> Result<Arc<LoadedKey>, KmsError> {
        let generation = self.generation.load(Ordering::Acquire);
        let cache_key = (account.to_owned(), key_ref.to_owned());
        let hit = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&cache_key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, k)| k.clone());
        let k = match hit {
            Some(k) => k,
            None => {
                let record = self.load_record(account, key_ref)?;
                let policy = Policy::parse(&record.policy, PolicyKind::Resource)
                    .map_err(|_| KmsError::Corrupt)?;
                let spec = KeySpec::parse(&record.meta.key_spec).ok_or(KmsError::Corrupt)?;
                let materials = record
                    .versions
                    .iter()
                    .map(|v| {
                        let m = Material::parse(spec, &self.unseal(&record.meta.id, v)?)?;
                        Ok((v.version, m))
                    })
                    .collect::<Result<_, KmsError>>()?;
                let k = Arc::new(LoadedKey {
                    record,
                    policy: Arc::new(policy),
                    materials,
                });
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= CACHE_LIMIT {
                    cache.clear();
                }
                cache.insert(cache_key, (generation, k.clone()));
                k
            }
        };
        // Time passes without writes: imported material past its ValidTo is gone (the
        // maintenance timer deletes it for good), even if cached.
        if k.record.meta.valid_to_ms.is_some_and(|at| self.now() >= at) {
            let mut record = k.record.clone();
            record.lose_material();
            return Ok(Arc::new(LoadedKey {
                record,
                policy: k.policy.clone(),
                materials: Vec::new(),
            }));
        }
        // Time passes without writes: a key whose deletion date came is gone even if cached.
        if self.due_for_deletion(&k.record.meta) {
            let acct = self
                .resolve_ref(account, key_ref)
                .map(|(a, _)| a.to_owned());
            return Err(not_found(
                key_ref,
                acct.as_deref().unwrap_or(account),
                &self.region,
            ));
        }
        Ok(k)
    }

    /// Applies writes, then retires every cached key (they may be stale now).
    async fn apply(&self, ops: Vec<KvOp>) -> Result<(), StoreError> {
        let r = self.meta.kv_apply(ops).await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        r
    }

    /// The ARN of the key with this id in whichever account holds it (a ciphertext names its
    /// key by id only; a caller of another account decrypts it by the key's ARN).
    pub fn key_arn_by_id(&self, key_id: &str) -> Result<Option<String>, KmsError> {
        let Some(v) = self.meta.kv_get(NS, &format!("key/{key_id}"))? else {
            return Ok(None);
        };
        let r: KeyRecord = serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt)?;
        Ok((!self.due_for_deletion(&r.meta)).then_some(r.meta.arn))
    }

    fn load_record(&self, account: &str, key_ref: &str) -> Result<KeyRecord, KmsError> {
        let (acct, id) = self.resolve_ref(account, key_ref)?;
        let r: KeyRecord = match self.meta.kv_get(NS, &format!("key/{id}"))? {
            Some(v) => serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt)?,
            None => return Err(not_found(key_ref, acct, &self.region)),
        };
        if r.meta.account != acct || self.due_for_deletion(&r.meta) {
            return Err(not_found(key_ref, acct, &self.region));
        }
        Ok(r)
    }

    /// A key past its deletion date is gone: its material is treated as destroyed at once, and
    /// `purge_deleted_keys` (the maintenance timer) removes its record.
    fn due_for_deletion(&self, m: &KeyMetadata) -> bool {
        m.state == KeyState::PendingDeletion
            && m.deletion_ms.is_some_and(|at| self.clock.now_ms() >= at)
    }

    /// The account and id of the key `key_ref` names for a caller of `account` (an alias is
    /// looked up; which account is the reference's to say).
    fn resolve_ref<'a>(
        &self,
        account: &'a str,
        key_ref: &'a str,
    ) -> Result<(&'a str, String), KmsError> {
        let parsed = crate::KeyRef::parse(key_ref);
        let acct = parsed.account_or(account);
        let alias = match parsed {
            crate::KeyRef::Id(id) | crate::KeyRef::KeyArn { id, .. } => {
                return Ok((acct, id.to_owned()));
            }
            crate::KeyRef::Alias(alias) | crate::KeyRef::AliasArn { alias, .. } => alias,
            crate::KeyRef::Unknown { .. } => return Err(not_found(key_ref, acct, &self.region)),
        };
        let id = self
            .alias_target(acct, alias)?
            .ok_or_else(|| not_found(key_ref, acct, &self.region))?;
        Ok((acct, id))
    }

    fn alias_target(&self, account: &str, alias: &str) -> Result<Option<String>, KmsError> {
        Ok(self
            .meta
            .kv_get(NS, &alias_key(account, alias))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Reads, changes and writes one key record under the write lock.
    pub(crate) async fn update(
        &self,
        account: &str,
        key_ref: &str,
        f: impl FnOnce(&mut KeyRecord) -> Result<(), KmsError>,
    ) -> Result<(), KmsError> {
        let _g = self.write_lock.lock().await;
        let mut r = self.record(account, key_ref)?;
        f(&mut r)?;
        self.put(&format!("key/{}", r.meta.id), &r).await
    }

    async fn put(&self, key: &str, r: &KeyRecord) -> Result<(), KmsError> {
        let value = serde_json::to_vec(r).map_err(|_| KmsError::Corrupt)?;
        self.apply(vec![KvOp::Put {
            ns: NS.into(),
            key: key.into(),
            value,
        }])
        .await?;
        Ok(())
    }

    fn new_key_id(&self) -> Result<String, KmsError> {
        let mut b = [0u8; 16];
        self.rng.fill(&mut b).map_err(|_| KmsError::Random)?;
        b[6] = (b[6] & 0x0f) | 0x40; // UUID v4
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        ))
    }

    fn seal(&self, key_id: &str, version: u32, material: &[u8]) -> Result<String, KmsError> {
        let sealed = self
            .sealing
            .seal_secret(
                material,
                material_context(key_id, version).as_bytes(),
                &self.rng,
            )
            .map_err(|_| KmsError::Random)?;
        Ok(B64.encode(sealed))
    }

    fn unseal(&self, key_id: &str, v: &KeyVersion) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let sealed = B64
            .decode(&v.sealed_material)
            .map_err(|_| KmsError::Corrupt)?;
        self.sealing
            .open_secret(&sealed, material_context(key_id, v.version).as_bytes())
            .map_err(|_| KmsError::Corrupt)
    }
}

pub(crate) fn check_state(m: &KeyMetadata) -> Result<(), KmsError> {
    match m.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(m.arn.clone())),
        KeyState::PendingDeletion => Err(KmsError::InvalidState(format!(
            "{} is pending deletion.",
            m.arn
        ))),
        KeyState::PendingImport => Err(KmsError::InvalidState(format!(
            "{} is pending import.",
            m.arn
        ))),
    }
}

fn material_context(key_id: &str, version: u32) -> String {
    format!("coffer/kms/key-material/v1/{key_id}/{version}")
}

fn not_found(key_ref: &str, account: &str, region: &str) -> KmsError {
    if key_ref.starts_with("alias/") {
        KmsError::NotFound(format!(
            "Alias arn:aws:kms:{region}:{account}:{key_ref} is not found."
        ))
    } else {
        KmsError::NotFound(format!("Key '{key_ref}' does not exist"))
    }
}
