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
    pub(crate) import_check: Option<crate::imported::MaterialCheck>,
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

    /// A symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).
    pub async fn create_key(
        &self,
        account: &str,
        description: &str,
        policy: Option<&str>,
        tags: Vec<(String, String)>,
    ) -> Result<KeyMetadata, KmsError> {
        self.create_key_of(
            account,
            NewKey {
                spec: KeySpec::Symmetric,
                usage: ENCRYPT_DECRYPT,
                description,
                policy,
                tags,
                external: false,
            },
        )
        .await
    }

    /// CreateKey with a key spec and usage (checked against each other as KMS does); an
    /// EXTERNAL key starts without material, PendingImport.
    pub async fn create_key_of(
        &self,
        account: &str,
        k: NewKey<'_>,
    ) -> Result<KeyMetadata, KmsError> {
        let NewKey {
            spec,
            usage,
            description,
            policy,
            tags,
            external,
        } = k;
        crate::limits::validate_description(description)?;
        crate::limits::validate_tags(&tags)?;
        crate::limits::check_tag_count(&tags)?;
        if !spec.allows_usage(usage) {
            return Err(KmsError::Validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {}",
                spec.as_str()
            )));
        }
        let policy = match policy {
            Some(p) => {
                Policy::parse(p, PolicyKind::Resource).map_err(|e| {
                    KmsError::Validation(format!("MalformedPolicyDocumentException: {}", e.0))
                })?;
                p.to_owned()
            }
            None => Self::default_policy(account),
        };
        let id = self.new_key_id()?;
        let now = self.clock.now_ms();
        let meta = KeyMetadata {
            arn: format!("arn:aws:kms:{}:{account}:key/{id}", self.region),
            id: crate::KeyId::made(id.clone()),
            account: account.to_owned(),
            description: description.to_owned(),
            created_ms: now,
            state: if external {
                KeyState::PendingImport
            } else {
                KeyState::Enabled
            },
            deletion_ms: None,
            key_spec: spec.as_str().into(),
            key_usage: usage.into(),
            origin: if external { "EXTERNAL" } else { "AWS_KMS" }.into(),
            expiration_model: None,
            valid_to_ms: None,
        };
        let versions = if external {
            Vec::new()
        } else {
            let material = spec.generate(&self.rng)?;
            vec![self.first_version(&id, &material, now)?]
        };
        let record = KeyRecord {
            meta: meta.clone(),
            policy,
            tags,
            current: u32::from(!versions.is_empty()),
            versions,
            rotation: None,
            import_check: None,
        };
        self.put(&format!("key/{id}"), &record).await?;
        Ok(meta)
    }

    /// Version 1 of a key: `material` sealed.
    pub(crate) fn first_version(
        &self,
        key_id: &str,
        material: &[u8],
        now: i64,
    ) -> Result<KeyVersion, KmsError> {
        Ok(KeyVersion {
            version: 1,
            sealed_material: self.seal(key_id, 1, material)?,
            created_ms: now,
            rotation: None,
        })
    }

    /// The AWS-managed key behind `alias/aws/<service>` (e.g. `aws/s3`), created on first use.
    pub async fn managed_key(&self, account: &str, service: &str) -> Result<KeyMetadata, KmsError> {
        let alias = format!("alias/aws/{service}");
        let _g = self.write_lock.lock().await;
        if let Some(id) = self.alias_target(account, &alias)? {
            return Ok(self.record(account, &id)?.meta);
        }
        drop(_g);
        let key = self
            .create_key(
                account,
                &format!(
                    "Default key that protects my {service} objects when no other key is defined"
                ),
                None,
                vec![],
            )
            .await?;
        let op = KvOp::Create {
            ns: NS.into(),
            key: alias_key(account, &alias),
            value: key.id.as_bytes().to_vec(),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(key),
            // Another request created it first: use theirs (ours stays unused, as in a race on AWS).
            Err(StoreError::KvConflict(_)) => {
                let id = self
                    .alias_target(account, &alias)?
                    .ok_or(KmsError::Corrupt)?;
                Ok(self.record(account, &id)?.meta)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Resolves a key id, key ARN, alias name or alias ARN within `account` (an ARN may name
    /// another account: cross-account use).
    pub fn describe_key(&self, account: &str, key_ref: &str) -> Result<KeyMetadata, KmsError> {
        Ok(self.record(account, key_ref)?.meta)
    }

    pub fn list_keys(&self, account: &str) -> Result<Vec<KeyMetadata>, KmsError> {
        let mut out = Vec::new();
        for (_, v) in self.meta.kv_list(NS, "key/")? {
            let r: KeyRecord = serde_json::from_slice(&v).map_err(|_| KmsError::Corrupt)?;
            if r.meta.account == account && !self.due_for_deletion(&r.meta) {
                out.push(r.meta);
            }
        }
        Ok(out)
    }

    /// The key policy text and metadata (GetKeyPolicy).
    pub fn key_policy(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(KeyMetadata, String), KmsError> {
        let r = self.record(account, key_ref)?;
        Ok((r.meta, r.policy))
    }

    /// Ok if the key exists and is enabled (for uses of key-derived material cached elsewhere,
    /// such as S3 Bucket Keys, which must still follow the key's state).
    pub fn check_usable(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        self.usable(account, key_ref).map(|_| ())
    }

    /// The key's metadata and parsed policy, for the caller's authorization decision.
    pub fn key_for_authorization(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<(KeyMetadata, Arc<Policy>), KmsError> {
        let k = self.loaded(account, key_ref)?;
        Ok((k.record.meta.clone(), k.policy.clone()))
    }

    pub async fn put_key_policy(
        &self,
        account: &str,
        key_ref: &str,
        policy: &str,
    ) -> Result<(), KmsError> {
        Policy::parse(policy, PolicyKind::Resource).map_err(|e| {
            KmsError::Validation(format!("MalformedPolicyDocumentException: {}", e.0))
        })?;
        self.update(account, key_ref, |r| {
            r.policy = policy.to_owned();
            Ok(())
        })
        .await
    }

    pub async fn set_enabled(
        &self,
        account: &str,
        key_ref: &str,
        enabled: bool,
    ) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            if matches!(
                r.meta.state,
                KeyState::PendingDeletion | KeyState::PendingImport
            ) {
                check_state(&r.meta)?;
            }
            r.meta.state = if enabled {
                KeyState::Enabled
            } else {
                KeyState::Disabled
            };
            Ok(())
        })
        .await
    }

    pub async fn update_description(
        &self,
        account: &str,
        key_ref: &str,
        description: &str,
    ) -> Result<(), KmsError> {
        crate::limits::validate_description(description)?;
        self.update(account, key_ref, |r| {
            r.meta.description = description.to_owned();
            Ok(())
        })
        .await
    }

    /// ScheduleKeyDeletion: 7 to 30 days (default 30). The material is destroyed when due.
    pub async fn schedule_deletion(
        &self,
        account: &str,
        key_ref: &str,
        days: Option<u32>,
    ) -> Result<KeyMetadata, KmsError> {
        let days = days.unwrap_or(30);
        if !(7..=30).contains(&days) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30"
            )));
        }
        let at = self.clock.now_ms() + i64::from(days) * 86_400_000;
        let mut out = None;
        self.update(account, key_ref, |r| {
            if r.meta.state == KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is pending deletion.",
                    r.meta.arn
                )));
            }
            r.meta.state = KeyState::PendingDeletion;
            r.meta.deletion_ms = Some(at);
            out = Some(r.meta.clone());
            Ok(())
        })
        .await?;
        out.ok_or(KmsError::Corrupt)
    }

    /// CancelKeyDeletion leaves the key Disabled, as KMS does.
    pub async fn cancel_deletion(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        let mut out = None;
        self.update(account, key_ref, |r| {
            if r.meta.state != KeyState::PendingDeletion {
                return Err(KmsError::InvalidState(format!(
                    "{} is not pending deletion.",
                    r.meta.arn
                )));
            }
            // Back to Disabled, or PendingImport for an EXTERNAL key without material.
            r.meta.state = if r.versions.is_empty() {
                KeyState::PendingImport
            } else {
                KeyState::Disabled
            };
            r.meta.deletion_ms = None;
            out = Some(r.meta.clone());
            Ok(())
        })
        .await?;
        out.ok_or(KmsError::Corrupt)
    }

    /// EnableKeyRotation: every `period_days` (90 to 2560, default 365) a new version becomes
    /// current; earlier versions still decrypt what they encrypted.
    pub async fn enable_rotation(
        &self,
        account: &str,
        key_ref: &str,
        period_days: Option<u32>,
    ) -> Result<(), KmsError> {
        let days = period_days.unwrap_or(365);
        if !(90..=2560).contains(&days) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value between 90 and 2560"
            )));
        }
        let now = self.clock.now_ms();
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            require_rotatable(r)?;
            r.rotation = Some(Rotation {
                period_days: days,
                next_ms: now + i64::from(days) * 86_400_000,
            });
            Ok(())
        })
        .await
    }

    pub async fn disable_rotation(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            r.rotation = None;
            Ok(())
        })
        .await
    }

    pub fn rotation_status(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<RotationStatus, KmsError> {
        let r = self.record(account, key_ref)?;
        Ok(RotationStatus {
            enabled: r.rotation.is_some(),
            period_days: r.rotation.map(|x| x.period_days),
            next_rotation_ms: r.rotation.map(|x| x.next_ms),
        })
    }

    /// RotateKeyOnDemand: a new version now, whatever the schedule.
    pub async fn rotate_now(&self, account: &str, key_ref: &str) -> Result<(), KmsError> {
        let material = self.fresh_material()?;
        let now = self.clock.now_ms();
        self.update(account, key_ref, |r| {
            check_state(&r.meta)?;
            require_rotatable(r)?;
            self.add_version(r, &material, now, "ON_DEMAND")
        })
        .await
    }

    /// ListKeyRotations: (version id, rotation date, AUTOMATIC/ON_DEMAND), oldest first.
    pub fn rotations(
        &self,
        account: &str,
        key_ref: &str,
    ) -> Result<Vec<(u32, i64, String)>, KmsError> {
        let r = self.record(account, key_ref)?;
        Ok(r.versions
            .iter()
            .filter_map(|v| Some((v.version, v.created_ms, v.rotation.clone()?)))
            .collect())
    }

    /// Destroys every key whose deletion date has come: its record (with the sealed material of
    /// every version), its aliases, grants and pending imports. The server's maintenance timer
    /// calls this; until then such keys are already treated as gone.
    pub async fn purge_deleted_keys(&self) -> Result<usize, KmsError> {
        let _g = self.write_lock.lock().await;
        let due: Vec<crate::KeyId> = self
            .meta
            .kv_list(NS, "key/")?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<KeyRecord>(&v).ok())
            .filter(|r| self.due_for_deletion(&r.meta))
            .map(|r| r.meta.id)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let mut doomed: Vec<String> = Vec::new();
        for (alias, target) in self.meta.kv_list(NS, "alias/")? {
            if due.iter().any(|id| id.as_bytes() == target.as_slice()) {
                doomed.push(alias);
            }
        }
        for id in &due {
            doomed.push(format!("key/{id}"));
            for prefix in [format!("grant/{id}/"), format!("import/{id}/")] {
                doomed.extend(self.meta.kv_list(NS, &prefix)?.into_iter().map(|(k, _)| k));
            }
        }
        let ops = doomed
            .into_iter()
            .map(|key| KvOp::Delete { ns: NS.into(), key })
            .collect();
        self.apply(ops).await?;
        Ok(due.len())
    }

    /// Rotates every enabled key whose rotation is due (the server calls this periodically).
    pub async fn rotate_due_keys(&self) -> Result<usize, KmsError> {
        let now = self.clock.now_ms();
        let due: Vec<(String, crate::KeyId)> = self
            .meta
            .kv_list(NS, "key/")?
            .into_iter()
            .filter_map(|(_, v)| serde_json::from_slice::<KeyRecord>(&v).ok())
            .filter(|r| {
                r.meta.state == KeyState::Enabled && r.rotation.is_some_and(|x| now >= x.next_ms)
            })
            .map(|r| (r.meta.account, r.meta.id))
            .collect();
        for (account, id) in &due {
            let material = self.fresh_material()?;
            self.update(account, id, |r| {
                let Some(rot) = r.rotation else { return Ok(()) };
                if now < rot.next_ms {
                    return Ok(()); // another rotation got there first
                }
                r.rotation = Some(Rotation {
                    period_days: rot.period_days,
                    next_ms: now + i64::from(rot.period_days) * 86_400_000,
                });
                self.add_version(r, &material, now, "AUTOMATIC")
            })
            .await?;
        }
        Ok(due.len())
    }

    pub async fn tag(
        &self,
        account: &str,
        key_ref: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), KmsError> {
        crate::limits::validate_tags(&tags)?;
        self.update(account, key_ref, |r| {
            for (k, v) in tags {
                r.tags.retain(|(x, _)| *x != k);
                r.tags.push((k, v));
            }
            crate::limits::check_tag_count(&r.tags)
        })
        .await
    }

    pub async fn untag(
        &self,
        account: &str,
        key_ref: &str,
        keys: &[String],
    ) -> Result<(), KmsError> {
        self.update(account, key_ref, |r| {
            r.tags.retain(|(k, _)| !keys.contains(k));
            Ok(())
        })
        .await
    }

    pub fn tags(&self, account: &str, key_ref: &str) -> Result<Vec<(String, String)>, KmsError> {
        Ok(self.record(account, key_ref)?.tags)
    }

    fn fresh_material(&self) -> Result<Zeroizing<[u8; 32]>, KmsError> {
        let mut m = Zeroizing::new([0u8; 32]);
        self.rng.fill(m.as_mut()).map_err(|_| KmsError::Random)?;
        Ok(m)
    }

    fn add_version(
        &self,
        r: &mut KeyRecord,
        material: &[u8; 32],
        now: i64,
        kind: &str,
    ) -> Result<(), KmsError> {
        let version = r.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        let sealed_material = self.seal(&r.meta.id, version, material)?;
        r.versions.push(KeyVersion {
            version,
            sealed_material,
            created_ms: now,
            rotation: Some(kind.to_owned()),
        });
        r.current = version;
        Ok(())
    }

    pub async fn create_alias(
        &self,
        account: &str,
        alias: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        validate_alias(alias)?;
        let target = self.record(account, key_ref)?;
        let op = KvOp::Create {
            ns: NS.into(),
            key: alias_key(account, alias),
            value: target.meta.id.into_string().into_bytes(),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(()),
            Err(StoreError::KvConflict(_)) => Err(KmsError::AlreadyExists(format!(
                "An alias with the name arn:aws:kms:{}:{account}:{alias} already exists",
                self.region
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_alias(
        &self,
        account: &str,
        alias: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        self.alias_target(account, alias)?
            .ok_or_else(|| KmsError::NotFound(format!("Alias {alias} is not found.")))?;
        let target = self.record(account, key_ref)?;
        let op = KvOp::Put {
            ns: NS.into(),
            key: alias_key(account, alias),
            value: target.meta.id.into_string().into_bytes(),
        };
        self.apply(vec![op]).await?;
        Ok(())
    }

    pub async fn delete_alias(&self, account: &str, alias: &str) -> Result<(), KmsError> {
        let op = KvOp::Delete {
            ns: NS.into(),
            key: alias_key(account, alias),
        };
        match self.apply(vec![op]).await {
            Ok(()) => Ok(()),
            Err(StoreError::KvMissing(_)) => {
                Err(KmsError::NotFound(format!("Alias {alias} is not found.")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// (alias name, alias ARN, target key id) of the account.
    pub fn list_aliases(&self, account: &str) -> Result<Vec<(String, String, String)>, KmsError> {
        let prefix = format!("alias/{account}/");
        Ok(self
            .meta
            .kv_list(NS, &prefix)?
            .into_iter()
            .map(|(k, v)| {
                let name = k[prefix.len()..].to_owned();
                let arn = format!("arn:aws:kms:{}:{account}:{name}", self.region);
                (name, arn, String::from_utf8_lossy(&v).into_owned())
            })
            .collect())
    }

    pub fn encrypt(
        &self,
        account: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length between 1 and {MAX_PLAINTEXT}"
            )));
        }
        let k = self.usable(account, key_ref)?;
        k.require_symmetric("Encrypt")?;
        self.seal_with(&k, plaintext, context)
    }

    /// Decrypts a blob. `key_ref`, if given, must name the key the blob was made under.
    pub fn decrypt(
        &self,
        account: &str,
        key_ref: Option<&str>,
        ciphertext: &[u8],
        context: &EncryptionContext,
    ) -> Result<(KeyMetadata, Zeroizing<Vec<u8>>), KmsError> {
        let b = blob::parse(ciphertext)?;
        // The blob names its key; look it up in whichever account owns it.
        let owner = match key_ref {
            Some(k) => self.loaded(account, k)?,
            None => self.loaded(account, b.key_id).map_err(|e| match e {
                KmsError::NotFound(_) => KmsError::InvalidCiphertext,
                other => other,
            })?,
        };
        if owner.record.meta.id != b.key_id {
            return Err(KmsError::IncorrectKey);
        }
        check_state(&owner.record.meta)?;
        owner.require_symmetric("Decrypt")?;
        let key = owner.material(b.key_version)?.aes()?;
        let mut buf = b.sealed.to_vec();
        let aad = blob::aad(b.header, context);
        let plain_len = key
            .open_in_place(
                Nonce::assume_unique_for_key(b.nonce),
                Aad::from(&aad[..]),
                &mut buf,
            )
            .map_err(|_| KmsError::InvalidCiphertext)?
            .len();
        buf.truncate(plain_len);
        Ok((owner.record.meta.clone(), Zeroizing::new(buf)))
    }

    /// GenerateDataKey: `bytes` random bytes (1 to 1024) and their ciphertext.
    pub fn generate_data_key(
        &self,
        account: &str,
        key_ref: &str,
        bytes: usize,
        context: &EncryptionContext,
    ) -> Result<DataKeyPair, KmsError> {
        if !(1..=1024).contains(&bytes) {
            return Err(KmsError::Validation(
                "1 validation error detected: Value at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and 1024".into(),
            ));
        }
        let k = self.usable(account, key_ref)?;
        k.require_symmetric("GenerateDataKey")?;
        let plaintext = Zeroizing::new(self.random(bytes)?);
        let ciphertext = self.seal_with(&k, &plaintext, context)?;
        Ok(DataKeyPair {
            key_id: k.record.meta.arn.clone(),
            plaintext,
            ciphertext,
        })
    }

    /// Seals a secret under the material key with its own associated data (import wrapping
    /// keys), and opens it again.
    pub(crate) fn seal_bytes(&self, aad: &str, secret: &[u8]) -> Result<Vec<u8>, KmsError> {
        self.sealing
            .seal_secret(secret, aad.as_bytes(), &self.rng)
            .map_err(|_| KmsError::Random)
    }

    pub(crate) fn open_bytes(
        &self,
        aad: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        self.sealing
            .open_secret(sealed, aad.as_bytes())
            .map_err(|_| KmsError::Corrupt)
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

    pub fn random(&self, bytes: usize) -> Result<Vec<u8>, KmsError> {
        if !(1..=1024).contains(&bytes) {
            return Err(KmsError::Validation(
                "NumberOfBytes must be between 1 and 1024".into(),
            ));
        }
        let mut out = vec![0u8; bytes];
        self.rng.fill(&mut out).map_err(|_| KmsError::Random)?;
        Ok(out)
    }

    // ---- plumbing ----

    pub(crate) fn seal_with(
        &self,
        k: &LoadedKey,
        plaintext: &[u8],
        context: &EncryptionContext,
    ) -> Result<Vec<u8>, KmsError> {
        let r = &k.record;
        let key = k.current()?.aes()?;
        let header = blob::header(&r.meta.id, r.current)?;
        let mut nonce = [0u8; 12];
        self.rng.fill(&mut nonce).map_err(|_| KmsError::Random)?;
        let mut buf = plaintext.to_vec();
        let aad = blob::aad(&header, context);
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut buf,
            )
            .map_err(|_| KmsError::Corrupt)?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        out.extend_from_slice(tag.as_ref());
        Ok(out)
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
            crate::imported::expire(&mut record);
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

/// Only symmetric encryption keys rotate (as KMS: asymmetric and HMAC keys do not).
fn require_rotatable(r: &KeyRecord) -> Result<(), KmsError> {
    if r.meta.key_spec == KeySpec::Symmetric.as_str() {
        return Ok(());
    }
    Err(KmsError::UnsupportedOperation(format!(
        "{} key spec {} does not support automatic or on-demand rotation.",
        r.meta.arn, r.meta.key_spec
    )))
}

fn material_context(key_id: &str, version: u32) -> String {
    format!("coffer/kms/key-material/v1/{key_id}/{version}")
}

fn alias_key(account: &str, alias: &str) -> String {
    format!("alias/{account}/{alias}")
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

fn validate_alias(alias: &str) -> Result<(), KmsError> {
    let Some(name) = alias.strip_prefix("alias/") else {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\".".into(),
        ));
    };
    if name.starts_with("aws/") {
        return Err(KmsError::Validation(
            "Alias names starting with alias/aws/ are reserved for AWS managed keys.".into(),
        ));
    }
    if name.is_empty()
        || name.len() > 250
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-".contains(c))
    {
        return Err(KmsError::Validation(format!(
            "Alias {alias} must match the pattern ^[a-zA-Z0-9/_-]+$"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    fn kms(dir: &std::path::Path, now: fn() -> i64) -> Kms {
        let meta = Arc::new(coffer_store::SqliteMeta::open(&dir.join("m.sqlite")).unwrap());
        Kms::new(
            meta,
            &DataKey::from_bytes(Zeroizing::new([4u8; 32])),
            "us-east-1",
            Arc::new(now),
        )
    }

    const A: &str = "111122223333";

    #[test]
    fn encrypt_decrypt_context_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let k = kms(dir.path(), || 1_000);
        let key = block(k.create_key(A, "d", None, vec![])).unwrap();
        block(k.create_alias(A, "alias/app", &key.id)).unwrap();
        let ctx: EncryptionContext = [("purpose".to_owned(), "test".to_owned())].into();
        let ct = k.encrypt(A, "alias/app", b"hello", &ctx).unwrap();
        let (m, pt) = k.decrypt(A, None, &ct, &ctx).unwrap();
        assert_eq!((m.id.as_str(), &pt[..]), (key.id.as_str(), &b"hello"[..]));
        assert!(matches!(
            k.decrypt(A, None, &ct, &EncryptionContext::new()),
            Err(KmsError::InvalidCiphertext)
        ));
        for i in 0..ct.len() {
            let mut bad = ct.clone();
            bad[i] ^= 1;
            assert!(k.decrypt(A, None, &bad, &ctx).is_err(), "flip at {i}");
        }
        let other = block(k.create_key(A, "other", None, vec![])).unwrap();
        assert!(matches!(
            k.decrypt(A, Some(&other.id), &ct, &ctx),
            Err(KmsError::IncorrectKey)
        ));
        assert!(k.decrypt(A, Some(&key.arn), &ct, &ctx).is_ok());
        let dk = k.generate_data_key(A, &key.id, 32, &ctx).unwrap();
        assert_eq!(
            &k.decrypt(A, None, &dk.ciphertext, &ctx).unwrap().1[..],
            &dk.plaintext[..]
        );
        assert!(
            k.encrypt(A, &key.id, &[0u8; MAX_PLAINTEXT + 1], &ctx)
                .is_err()
        );
        // The stored record never contains the key material in the clear.
        assert!(
            k.meta
                .kv_get(NS, &format!("key/{}", key.id))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn cached_keys_follow_every_write() {
        let dir = tempfile::tempdir().unwrap();
        let k = kms(dir.path(), || 1_000);
        let ctx = EncryptionContext::new();
        let a = block(k.create_key(A, "a", None, vec![])).unwrap();
        let b = block(k.create_key(A, "b", None, vec![])).unwrap();
        block(k.create_alias(A, "alias/app", &a.id)).unwrap();
        // Warm the cache for every reference, then change what each one means.
        let before = k.encrypt(A, "alias/app", b"x", &ctx).unwrap();
        assert_eq!(blob::parse(&before).unwrap().key_id, a.id.as_str());
        let (_, p) = k.key_for_authorization(A, &a.id).unwrap();
        assert!(!p.mentions_condition_key("aws:SourceIp"));

        block(k.update_alias(A, "alias/app", &b.id)).unwrap();
        let after = k.encrypt(A, "alias/app", b"x", &ctx).unwrap();
        assert_eq!(blob::parse(&after).unwrap().key_id, b.id.as_str());

        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
        block(k.put_key_policy(A, &a.id, policy)).unwrap();
        let (_, p) = k.key_for_authorization(A, &a.id).unwrap();
        assert!(p.mentions_condition_key("aws:SourceIp"));

        block(k.rotate_now(A, &a.id)).unwrap();
        let rotated = k.encrypt(A, &a.id, b"x", &ctx).unwrap();
        assert_eq!(blob::parse(&rotated).unwrap().key_version, 2);
        assert_eq!(&k.decrypt(A, None, &before, &ctx).unwrap().1[..], b"x");
    }

    #[test]
    fn states_and_deletion() {
        static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_000);
        let now = || NOW.load(std::sync::atomic::Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        let k = kms(dir.path(), now);
        let key = block(k.create_key(A, "d", None, vec![])).unwrap();
        let ct = k
            .encrypt(A, &key.id, b"x", &EncryptionContext::new())
            .unwrap();
        block(k.set_enabled(A, &key.id, false)).unwrap();
        assert!(matches!(
            k.encrypt(A, &key.id, b"x", &EncryptionContext::new()),
            Err(KmsError::Disabled(_))
        ));
        assert!(matches!(
            k.decrypt(A, None, &ct, &EncryptionContext::new()),
            Err(KmsError::Disabled(_))
        ));
        block(k.set_enabled(A, &key.id, true)).unwrap();
        assert!(matches!(
            block(k.schedule_deletion(A, &key.id, Some(6))),
            Err(KmsError::Validation(_))
        ));
        block(k.schedule_deletion(A, &key.id, Some(7))).unwrap();
        assert!(matches!(
            k.decrypt(A, None, &ct, &EncryptionContext::new()),
            Err(KmsError::InvalidState(_))
        ));
        block(k.cancel_deletion(A, &key.id)).unwrap();
        assert_eq!(
            k.describe_key(A, &key.id).unwrap().state,
            KeyState::Disabled
        );
        block(k.set_enabled(A, &key.id, true)).unwrap();
        block(k.create_alias(A, "alias/doomed", &key.id)).unwrap();
        let grant = crate::NewGrant {
            grantee: format!("arn:aws:iam::{A}:user/bob"),
            retiring: None,
            operations: vec!["Decrypt".into()],
            constraints: Default::default(),
            name: None,
            issuing_account: format!("arn:aws:iam::{A}:root"),
        };
        block(k.create_grant(A, &key.id, grant)).unwrap();
        block(k.schedule_deletion(A, &key.id, Some(7))).unwrap();
        assert_eq!(block(k.purge_deleted_keys()).unwrap(), 0);
        NOW.store(1_000 + 7 * 86_400_000, std::sync::atomic::Ordering::SeqCst);
        assert!(matches!(
            k.describe_key(A, &key.id),
            Err(KmsError::NotFound(_))
        ));
        assert!(matches!(
            k.decrypt(A, None, &ct, &EncryptionContext::new()),
            Err(KmsError::InvalidCiphertext)
        ));
        assert!(k.list_keys(A).unwrap().is_empty());
        // The timer then destroys the record with its sealed material, aliases and grants.
        assert!(k.kv_get(&format!("key/{}", key.id)).unwrap().is_some());
        assert_eq!(block(k.purge_deleted_keys()).unwrap(), 1);
        assert!(k.kv_get(&format!("key/{}", key.id)).unwrap().is_none());
        assert!(k.kv_list("alias/").unwrap().is_empty());
        assert!(k.grants(&key.id).unwrap().is_empty());
        assert_eq!(block(k.purge_deleted_keys()).unwrap(), 0);
    }

    #[test]
    fn rotation_keeps_old_ciphertext_readable() {
        static NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
        let now = || NOW.load(std::sync::atomic::Ordering::SeqCst);
        let dir = tempfile::tempdir().unwrap();
        let k = kms(dir.path(), now);
        let key = block(k.create_key(A, "r", None, vec![])).unwrap();
        let ctx = EncryptionContext::new();
        let v1 = k.encrypt(A, &key.id, b"one", &ctx).unwrap();
        assert!(block(k.enable_rotation(A, &key.id, Some(89))).is_err());
        block(k.enable_rotation(A, &key.id, Some(90))).unwrap();
        assert_eq!(block(k.rotate_due_keys()).unwrap(), 0);
        NOW.store(90 * 86_400_000, std::sync::atomic::Ordering::SeqCst);
        assert_eq!(block(k.rotate_due_keys()).unwrap(), 1);
        let v2 = k.encrypt(A, &key.id, b"two", &ctx).unwrap();
        block(k.rotate_now(A, &key.id)).unwrap();
        let v3 = k.encrypt(A, &key.id, b"three", &ctx).unwrap();
        // Each ciphertext names its version; all still decrypt.
        assert_eq!(
            (
                v1[37..41].to_vec(),
                v2[37..41].to_vec(),
                v3[37..41].to_vec()
            ),
            (
                1u32.to_be_bytes().to_vec(),
                2u32.to_be_bytes().to_vec(),
                3u32.to_be_bytes().to_vec()
            )
        );
        for (ct, pt) in [(v1, &b"one"[..]), (v2, b"two"), (v3, b"three")] {
            assert_eq!(&k.decrypt(A, None, &ct, &ctx).unwrap().1[..], pt);
        }
        let kinds: Vec<String> = k
            .rotations(A, &key.id)
            .unwrap()
            .into_iter()
            .map(|r| r.2)
            .collect();
        assert_eq!(kinds, ["AUTOMATIC", "ON_DEMAND"]);
        let st = k.rotation_status(A, &key.id).unwrap();
        assert!(st.enabled && st.next_rotation_ms == Some(180 * 86_400_000));
        block(k.tag(A, &key.id, vec![("env".into(), "prod".into())])).unwrap();
        assert_eq!(
            k.tags(A, &key.id).unwrap(),
            vec![("env".to_owned(), "prod".to_owned())]
        );
        block(k.untag(A, &key.id, &["env".to_owned()])).unwrap();
        assert!(k.tags(A, &key.id).unwrap().is_empty());
    }

    #[test]
    fn aliases() {
        let dir = tempfile::tempdir().unwrap();
        let k = kms(dir.path(), || 0);
        let key = block(k.create_key(A, "d", None, vec![])).unwrap();
        assert!(block(k.create_alias(A, "alias/aws/s3", &key.id)).is_err());
        assert!(block(k.create_alias(A, "noprefix", &key.id)).is_err());
        block(k.create_alias(A, "alias/x", &key.id)).unwrap();
        assert!(matches!(
            block(k.create_alias(A, "alias/x", &key.id)),
            Err(KmsError::AlreadyExists(_))
        ));
        assert_eq!(k.list_aliases(A).unwrap()[0].2, key.id.as_str());
        assert_eq!(
            k.describe_key(A, "arn:aws:kms:us-east-1:111122223333:alias/x")
                .unwrap()
                .id,
            key.id
        );
        block(k.delete_alias(A, "alias/x")).unwrap();
        assert!(matches!(
            k.describe_key(A, "alias/x"),
            Err(KmsError::NotFound(_))
        ));
    }
}
