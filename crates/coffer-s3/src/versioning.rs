//! Bucket versioning: the bucket's state (unversioned until first configured, then Enabled or
//! Suspended — never unversioned again), version ids, and which version a request means.
//!
//! The store keeps every version of a key, newest current; this module decides what a write
//! adds (a new version under Enabled, the `null` version otherwise) and what a delete without
//! a version id does (a delete marker once the bucket is versioned).

use coffer_store::{ConfigGuard, StoreError};

use crate::{NULL_VERSION, S3Core, S3Error};

/// Name of the bucket config holding the versioning state.
const VERSIONING_CONFIG: &str = "versioning";

/// Length of the version ids Coffer makes.
const VERSION_ID_LEN: usize = 32;

/// A bucket's versioning state, as GetBucketVersioning reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersioningState {
    /// Never configured: one (`null`) version per key, deletes remove it.
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

impl VersioningState {
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            Self::Unversioned => None,
            Self::Enabled => Some("Enabled"),
            Self::Suspended => Some("Suspended"),
        }
    }

    fn parse(s: &str) -> Result<Self, S3Error> {
        match s {
            "Enabled" => Ok(Self::Enabled),
            "Suspended" => Ok(Self::Suspended),
            _ => Err(S3Error::Corrupt),
        }
    }

    /// Whether the bucket has ever been versioned: then version ids are reported.
    pub fn is_versioned(self) -> bool {
        self != Self::Unversioned
    }
}

/// A bucket's versioning configuration: its state and MFA Delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VersioningConfig {
    pub state: VersioningState,
    /// Destroying a version or suspending versioning needs the root user's MFA code.
    /// `None`: never configured (GetBucketVersioning then leaves MFADelete out).
    pub mfa_delete: Option<bool>,
    /// Object Lock, once enabled (for good: versioning then stays Enabled).
    pub object_lock: Option<crate::ObjectLockConfig>,
}

impl VersioningConfig {
    fn encode(self) -> Vec<u8> {
        let mut s = self.state.as_str().unwrap_or("Suspended").to_owned();
        match self.mfa_delete {
            Some(true) => s.push_str(" MFADelete=Enabled"),
            Some(false) => s.push_str(" MFADelete=Disabled"),
            None => {}
        }
        if let Some(lock) = self.object_lock {
            s.push(' ');
            s.push_str(&lock.encode());
        }
        s.into_bytes()
    }

    fn decode(b: &[u8]) -> Result<Self, S3Error> {
        let s = std::str::from_utf8(b).map_err(|_| S3Error::Corrupt)?;
        let mut words = s.split(' ');
        let mut config = Self {
            state: VersioningState::parse(words.next().unwrap_or_default())?,
            ..Self::default()
        };
        for word in words {
            match word {
                "MFADelete=Enabled" => config.mfa_delete = Some(true),
                "MFADelete=Disabled" => config.mfa_delete = Some(false),
                _ => match word.strip_prefix("ObjectLock=") {
                    Some(lock) => {
                        config.object_lock = Some(crate::ObjectLockConfig::decode(lock)?);
                    }
                    None => return Err(S3Error::Corrupt),
                },
            }
        }
        Ok(config)
    }

    pub fn mfa_delete_enabled(self) -> bool {
        self.mfa_delete == Some(true)
    }
}

/// Whether a request proved the bucket owner's root user with a valid, unused MFA code
/// (`x-amz-mfa`). The adapter decides it (it knows the caller and IAM); this crate decides
/// when it is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MfaProof {
    #[default]
    Absent,
    Verified,
}

fn mfa_required() -> S3Error {
    S3Error::AccessDenied("Mfa Authentication must be used for this request".into())
}

/// A version's id: `null` (what unversioned and suspended buckets write), or 32 characters
/// of `[0-9A-Za-z]` Coffer made. A request's id is parsed once, at the edge
/// ([`VersionId::parse`]); new ones are the domain's to make; ids read back from the store
/// are the ones it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionId(String);

impl VersionId {
    /// A `versionId` as a request gives it: one Coffer could not have made is S3's
    /// `InvalidArgument` (and so never reaches the store).
    pub fn parse(v: &str) -> Result<Self, S3Error> {
        let made = v == NULL_VERSION
            || (v.len() == VERSION_ID_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric()));
        match made {
            true => Ok(Self(v.to_owned())),
            false => Err(S3Error::InvalidArgument(
                "Invalid version id specified".into(),
            )),
        }
    }

    /// The `null` version's id.
    pub fn null() -> Self {
        Self(NULL_VERSION.to_owned())
    }

    pub fn is_null(&self) -> bool {
        self.0 == NULL_VERSION
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// An id as the store holds it (written by this crate).
    pub(crate) fn stored(id: String) -> Self {
        Self(id)
    }
}

impl std::fmt::Display for VersionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which version of a key a request names: the current one, or one by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionSelector<'a> {
    #[default]
    Current,
    Id(&'a VersionId),
}

impl<'a> VersionSelector<'a> {
    /// The version a request names (none: the current one).
    pub fn of(version_id: Option<&'a VersionId>) -> Self {
        version_id.map_or(Self::Current, Self::Id)
    }
}

/// What a delete did (the `x-amz-version-id` and `x-amz-delete-marker` of its answer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteResult {
    /// The version removed, or the delete marker added; `None` in an unversioned bucket.
    pub version_id: Option<VersionId>,
    /// A delete marker was added, or the version removed was one.
    pub delete_marker: bool,
}

impl S3Core {
    pub fn versioning(&self, bucket: &str) -> Result<VersioningState, S3Error> {
        Ok(self.versioning_config(bucket)?.state)
    }

    pub fn versioning_config(&self, bucket: &str) -> Result<VersioningConfig, S3Error> {
        Ok(self.versioning_read(bucket)?.0)
    }

    /// The versioning config and the guard that holds a write to it (the bytes it was read
    /// from).
    pub(crate) fn versioning_read(
        &self,
        bucket: &str,
    ) -> Result<(VersioningConfig, ConfigGuard), S3Error> {
        self.require_bucket(bucket)?;
        let raw = self.meta.bucket_config(bucket, VERSIONING_CONFIG)?;
        let config = match &raw {
            None => VersioningConfig::default(),
            Some(v) => VersioningConfig::decode(v)?,
        };
        let guard = ConfigGuard {
            name: VERSIONING_CONFIG.to_owned(),
            value: raw,
        };
        Ok((config, guard))
    }

    /// PutBucketVersioning: Enabled or Suspended (a bucket never returns to unversioned,
    /// and S3 has no way to ask for it), optionally MFA Delete on or off. Setting MFA Delete
    /// either way, and suspending versioning while it is on, need `mfa` (S3's rule: only
    /// the root user, with a code).
    pub async fn set_versioning(
        &self,
        bucket: &str,
        state: VersioningState,
        mfa_delete: Option<bool>,
        mfa: MfaProof,
    ) -> Result<(), S3Error> {
        if !state.is_versioned() {
            return Err(S3Error::MalformedXml);
        }
        // Decided on the config as read, written only if it still is (a concurrent change
        // makes it decide again).
        for _ in 0..crate::MAX_WRITE_RETRIES {
            let (current, guard) = self.versioning_read(bucket)?;
            let needs_mfa = mfa_delete.is_some()
                || (current.mfa_delete_enabled() && state == VersioningState::Suspended);
            if needs_mfa && mfa != MfaProof::Verified {
                return Err(mfa_required());
            }
            if current.object_lock.is_some() && state != VersioningState::Enabled {
                return Err(S3Error::InvalidBucketState(
                    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.".into(),
                ));
            }
            let next = VersioningConfig {
                state,
                mfa_delete: mfa_delete.or(current.mfa_delete),
                object_lock: current.object_lock,
            };
            match self.swap_versioning(bucket, guard, next).await {
                Err(S3Error::Store(StoreError::Changed(_))) => continue,
                done => return done,
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }

    /// Writes `next` if the versioning config is still what `guard` read.
    pub(crate) async fn swap_versioning(
        &self,
        bucket: &str,
        guard: ConfigGuard,
        next: VersioningConfig,
    ) -> Result<(), S3Error> {
        Ok(self
            .meta
            .swap_bucket_config(bucket, VERSIONING_CONFIG, guard.value, Some(next.encode()))
            .await?)
    }

    /// The versioning config a bucket created with Object Lock starts with.
    pub(crate) fn object_lock_bucket_config() -> (String, Vec<u8>) {
        let config = VersioningConfig {
            state: VersioningState::Enabled,
            mfa_delete: None,
            object_lock: Some(crate::ObjectLockConfig::default()),
        };
        (VERSIONING_CONFIG.to_owned(), config.encode())
    }

    /// Refuses to destroy a version of a bucket with MFA Delete on unless `mfa` proves the
    /// root user (delete markers need no proof). The delete then carries the config's guard,
    /// so MFA Delete turned on meanwhile stops it in the store.
    pub(crate) fn admit_version_delete(
        &self,
        config: VersioningConfig,
        mfa: MfaProof,
    ) -> Result<(), S3Error> {
        if config.mfa_delete_enabled() && mfa != MfaProof::Verified {
            return Err(mfa_required());
        }
        Ok(())
    }

    /// The id a new version written to `bucket` gets: a fresh one under Enabled, `null`
    /// otherwise (which replaces the key's `null` version).
    pub(crate) fn version_for_write(&self, state: VersioningState) -> Result<VersionId, S3Error> {
        Ok(match state {
            VersioningState::Enabled => self.new_version_id()?,
            VersioningState::Unversioned | VersioningState::Suspended => VersionId::null(),
        })
    }

    /// A random version id: 32 characters of `[0-9A-Za-z]` (S3's are opaque strings too).
    pub(crate) fn new_version_id(&self) -> Result<VersionId, S3Error> {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut raw = [0u8; VERSION_ID_LEN];
        aws_lc_rs::rand::SecureRandom::fill(&self.rng, &mut raw)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        // 62 does not divide 256: the slight bias costs nothing here (ids are not secrets,
        // only unique).
        Ok(VersionId(
            raw.iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids() {
        assert!(VersionId::parse("null").unwrap().is_null());
        assert!(VersionId::parse(&"aZ09".repeat(8)).is_ok());
        for bad in [
            "Null".to_owned(),
            "a".repeat(31),
            "a/".repeat(16),
            "../x".to_owned(),
        ] {
            assert!(
                matches!(VersionId::parse(&bad), Err(S3Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        assert_eq!(VersionSelector::of(None), VersionSelector::Current);
    }

    #[test]
    fn versioning_configs_round_trip() {
        // As stored before Object Lock existed.
        for old in ["Enabled", "Suspended MFADelete=Enabled"] {
            let c = VersioningConfig::decode(old.as_bytes()).unwrap();
            assert_eq!(c.encode(), old.as_bytes());
        }
        let locked = VersioningConfig {
            state: VersioningState::Enabled,
            mfa_delete: Some(false),
            object_lock: Some(crate::ObjectLockConfig {
                default_retention: Some(
                    crate::DefaultRetention::new(
                        coffer_store::RetentionMode::Compliance,
                        crate::RetentionPeriod::Days(7),
                    )
                    .unwrap(),
                ),
            }),
        };
        assert_eq!(
            String::from_utf8(locked.encode()).unwrap(),
            "Enabled MFADelete=Disabled ObjectLock=COMPLIANCE:Days:7"
        );
        assert_eq!(VersioningConfig::decode(&locked.encode()).unwrap(), locked);
        assert!(VersioningConfig::decode(b"Enabled ObjectLock=SOFT:Days:1").is_err());
    }
}
