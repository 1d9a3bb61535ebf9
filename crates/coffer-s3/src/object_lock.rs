//! Object Lock (WORM): a bucket's Object Lock configuration and default retention, the lock a
//! new version gets, and reading and changing a version's retention and legal hold.
//!
//! The rules that protect data are the store's (`ObjectLock::refuses` for removals,
//! `ObjectLock::refuses_change` for lock changes), judged in the very transaction that would
//! remove or weaken a lock, by the server's one clock: this module decides what a request
//! asks for and maps the store's refusal to S3's answer. Whether a caller may bypass
//! governance retention (the header and `s3:BypassGovernanceRetention`) is the adapter's to
//! prove, as with MFA.
//!
//! The configuration lives in the bucket's versioning config (one record): Object Lock
//! needs versioning Enabled for good, and a write that suspends versioning or turns the lock
//! on is guarded by exactly what the other reads.

use coffer_store::{ObjectLock, ObjectRecord, Removal, RetentionMode, StoreError};

use crate::meta::StoredMeta;
use crate::objects::locked;
use crate::{S3Core, S3Error, VersionSelector, VersioningConfig, VersioningState};

/// Longest default retention, as S3 allows: 100 years (36,500 days).
const MAX_DEFAULT_DAYS: u32 = 36_500;
const MAX_DEFAULT_YEARS: u32 = 100;
const DAY_MS: i64 = 86_400_000;

/// How long a bucket's default retention lasts from each version's creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionPeriod {
    Days(u32),
    Years(u32),
}

/// A bucket's default retention: applied to every new version that asks for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetention {
    pub mode: RetentionMode,
    pub period: RetentionPeriod,
}

impl DefaultRetention {
    /// Validated as S3 does: a positive period, at most 100 years.
    pub fn new(mode: RetentionMode, period: RetentionPeriod) -> Result<Self, S3Error> {
        let (n, max) = match period {
            RetentionPeriod::Days(n) => (n, MAX_DEFAULT_DAYS),
            RetentionPeriod::Years(n) => (n, MAX_DEFAULT_YEARS),
        };
        if n == 0 {
            return Err(S3Error::InvalidArgument(
                "Default retention period must be a positive integer value".into(),
            ));
        }
        if n > max {
            return Err(S3Error::InvalidArgument(
                "Default retention period is too large.".into(),
            ));
        }
        Ok(Self { mode, period })
    }

    /// The retain-until time of a version created at `created_ms`. Years are calendar years
    /// (29 February plus one year is 28 February, as a date library counts).
    pub fn until(self, created_ms: i64) -> i64 {
        match self.period {
            RetentionPeriod::Days(n) => created_ms.saturating_add(i64::from(n) * DAY_MS),
            RetentionPeriod::Years(n) => add_years(created_ms, n),
        }
    }

    fn encode(self) -> String {
        let (unit, n) = match self.period {
            RetentionPeriod::Days(n) => ("Days", n),
            RetentionPeriod::Years(n) => ("Years", n),
        };
        format!("{}:{unit}:{n}", mode_name(self.mode))
    }

    fn decode(s: &str) -> Result<Self, S3Error> {
        let mut parts = s.split(':');
        let (Some(mode), Some(unit), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(S3Error::Corrupt);
        };
        let mode = parse_mode(mode).ok_or(S3Error::Corrupt)?;
        let n: u32 = n.parse().map_err(|_| S3Error::Corrupt)?;
        let period = match unit {
            "Days" => RetentionPeriod::Days(n),
            "Years" => RetentionPeriod::Years(n),
            _ => return Err(S3Error::Corrupt),
        };
        Ok(Self { mode, period })
    }
}

fn add_years(ms: i64, years: u32) -> i64 {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return i64::MAX;
    };
    let year = t
        .year()
        .saturating_add(i32::try_from(years).unwrap_or(i32::MAX));
    let later = t
        .replace_year(year)
        .or_else(|_| t.replace_day(28).and_then(|d| d.replace_year(year)));
    later.map_or(i64::MAX, |d| {
        i64::try_from(d.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    })
}

/// Object Lock on a bucket (present: enabled, which is for good).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ObjectLockConfig {
    pub default_retention: Option<DefaultRetention>,
}

impl ObjectLockConfig {
    /// The word this config adds to the versioning config.
    pub(crate) fn encode(self) -> String {
        match self.default_retention {
            None => "ObjectLock=Enabled".to_owned(),
            Some(d) => format!("ObjectLock={}", d.encode()),
        }
    }

    /// From the versioning config's `ObjectLock=` word (without the prefix).
    pub(crate) fn decode(s: &str) -> Result<Self, S3Error> {
        Ok(Self {
            default_retention: match s {
                "Enabled" => None,
                rule => Some(DefaultRetention::decode(rule)?),
            },
        })
    }
}

/// `GOVERNANCE` / `COMPLIANCE`, as on the wire.
pub fn mode_name(mode: RetentionMode) -> &'static str {
    match mode {
        RetentionMode::Governance => "GOVERNANCE",
        RetentionMode::Compliance => "COMPLIANCE",
    }
}

/// A retention mode as on the wire (S3 takes only the upper-case names).
pub fn parse_mode(s: &str) -> Option<RetentionMode> {
    match s {
        "GOVERNANCE" => Some(RetentionMode::Governance),
        "COMPLIANCE" => Some(RetentionMode::Compliance),
        _ => None,
    }
}

/// The Object Lock a write asks for in its headers (`x-amz-object-lock-mode` with
/// `-retain-until-date`, `x-amz-object-lock-legal-hold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockRequest {
    pub retention: Option<(RetentionMode, i64)>,
    pub legal_hold: Option<bool>,
}

impl LockRequest {
    pub fn is_empty(&self) -> bool {
        self.retention.is_none() && self.legal_hold.is_none()
    }
}

/// What a removal of a version may prove beyond its permission: the root user's MFA code
/// (MFA Delete) and the right to bypass governance retention (the header, and
/// `s3:BypassGovernanceRetention` judged by the adapter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeleteProof {
    pub mfa: crate::MfaProof,
    pub bypass_governance: bool,
}

fn missing_configuration() -> S3Error {
    S3Error::InvalidRequest("Bucket is missing Object Lock Configuration".into())
}

fn in_the_past() -> S3Error {
    S3Error::InvalidArgument("The retain until date must be in the future!".into())
}

/// A version's retention, as GetObjectRetention answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub mode: RetentionMode,
    pub until_ms: i64,
}

impl S3Core {
    /// The bucket's Object Lock configuration (`ObjectLockConfigurationNotFoundError` if
    /// Object Lock is not enabled on it).
    pub fn object_lock_config(&self, bucket: &str) -> Result<ObjectLockConfig, S3Error> {
        self.versioning_config(bucket)?
            .object_lock
            .ok_or(S3Error::ObjectLockConfigurationNotFound)
    }

    /// PutObjectLockConfiguration: enables Object Lock (for good; versioning must be Enabled)
    /// and sets or clears the default retention.
    pub async fn set_object_lock_config(
        &self,
        bucket: &str,
        config: ObjectLockConfig,
    ) -> Result<(), S3Error> {
        for _ in 0..crate::MAX_WRITE_RETRIES {
            let (current, guard) = self.versioning_read(bucket)?;
            if current.state != VersioningState::Enabled {
                return Err(S3Error::InvalidBucketState(
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
                        .into(),
                ));
            }
            let next = VersioningConfig {
                object_lock: Some(config),
                ..current
            };
            match self.swap_versioning(bucket, guard, next).await {
                Err(S3Error::Store(StoreError::Changed(_))) => continue,
                done => return done,
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }

    /// The lock a new version written now gets: what the request asks for, else the bucket's
    /// default retention. Refused where the bucket has no Object Lock, for a date not in
    /// the future, and (`declared_integrity` false) for a body sent without `Content-MD5` or
    /// an `x-amz-checksum-*`, as S3 requires of every locked upload.
    pub(crate) fn lock_for_write(
        &self,
        config: &VersioningConfig,
        request: LockRequest,
        created_ms: i64,
        declared_integrity: bool,
    ) -> Result<ObjectLock, S3Error> {
        let Some(bucket_lock) = config.object_lock else {
            return match request.is_empty() {
                true => Ok(ObjectLock::default()),
                false => Err(missing_configuration()),
            };
        };
        if request
            .retention
            .is_some_and(|(_, until)| until <= created_ms)
        {
            return Err(in_the_past());
        }
        let lock = ObjectLock {
            retention: request.retention.or_else(|| {
                bucket_lock
                    .default_retention
                    .map(|d| (d.mode, d.until(created_ms)))
            }),
            legal_hold: request.legal_hold.unwrap_or(false),
        };
        if lock != ObjectLock::default() && !declared_integrity {
            return Err(S3Error::InvalidRequest(
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters".into(),
            ));
        }
        Ok(lock)
    }

    /// Refuses a lock request before anything is written (CreateMultipartUpload, CopyObject),
    /// as [`S3Core::lock_for_write`] would (a copy's or an upload's bytes need no declared
    /// checksum here: the parts carry theirs).
    pub(crate) fn admit_lock_request(
        &self,
        bucket: &str,
        request: LockRequest,
    ) -> Result<(), S3Error> {
        if request.is_empty() {
            return Ok(());
        }
        let config = self.versioning_config(bucket)?;
        self.lock_for_write(&config, request, self.now_ms(), true)
            .map(drop)
    }

    /// GetObjectRetention (`NoSuchObjectLockConfiguration` if the version has none).
    pub fn object_retention(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<Retention, S3Error> {
        let rec = self.locked_version(bucket, key, version)?;
        let (mode, until_ms) = rec
            .lock
            .retention
            .ok_or(S3Error::NoSuchObjectLockConfiguration)?;
        Ok(Retention { mode, until_ms })
    }

    /// GetObjectLegalHold: on or off, once a hold was ever placed on the version
    /// (`NoSuchObjectLockConfiguration` before).
    pub fn object_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<bool, S3Error> {
        let rec = self.locked_version(bucket, key, version)?;
        if !rec.lock.legal_hold && !StoredMeta::from_bytes(&rec.meta)?.legal_hold_set {
            return Err(S3Error::NoSuchObjectLockConfiguration);
        }
        Ok(rec.lock.legal_hold)
    }

    /// PutObjectRetention: sets (`Some`) or removes a version's retention; returns the
    /// version's id. Extending is always allowed; shortening, removing or changing the mode
    /// only of governance retention with `bypass_governance`, never of compliance retention
    /// before its date (the store judges it, as it commits).
    pub async fn set_object_retention(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        retention: Option<Retention>,
        bypass_governance: bool,
    ) -> Result<crate::VersionId, S3Error> {
        if retention.is_some_and(|r| r.until_ms <= self.now_ms()) {
            return Err(in_the_past());
        }
        self.change_lock(bucket, key, version, bypass_governance, |lock, _| {
            lock.retention = retention.map(|r| (r.mode, r.until_ms));
        })
        .await
    }

    /// PutObjectLegalHold: places or removes a version's legal hold; returns its id.
    pub async fn set_object_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        on: bool,
    ) -> Result<crate::VersionId, S3Error> {
        self.change_lock(bucket, key, version, false, |lock, stored| {
            lock.legal_hold = on;
            stored.legal_hold_set = true;
        })
        .await
    }

    /// A version of a bucket with Object Lock (`InvalidRequest` otherwise, as S3).
    fn locked_version(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<ObjectRecord, S3Error> {
        if self.versioning_config(bucket)?.object_lock.is_none() {
            return Err(missing_configuration());
        }
        self.object_version(bucket, key, version)
    }

    /// Changes a version's lock on the record as read; the store re-judges the change
    /// against the stored lock by the one clock, and a record changed meanwhile is read and
    /// changed again.
    async fn change_lock(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        bypass_governance: bool,
        change: impl Fn(&mut ObjectLock, &mut StoredMeta),
    ) -> Result<crate::VersionId, S3Error> {
        for _ in 0..crate::MAX_WRITE_RETRIES {
            let mut rec = self.locked_version(bucket, key, version)?;
            let mut stored = StoredMeta::from_bytes(&rec.meta)?;
            change(&mut rec.lock, &mut stored);
            rec.meta = stored.to_bytes();
            let read_mac = std::mem::take(&mut rec.mac);
            self.tag_record(&mut rec);
            let version_id = crate::VersionId::stored(rec.version_id.clone());
            let removal = Removal {
                now_ms: self.now_ms(),
                bypass_governance,
            };
            match self.meta.update_object_lock(rec, read_mac, removal).await {
                Ok(true) => return Ok(version_id),
                Ok(false) => return Err(S3Error::NoSuchKey),
                Err(StoreError::Changed(_)) => continue,
                Err(e) => return Err(locked(e)),
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_retention_periods() {
        let d = |p| DefaultRetention::new(RetentionMode::Governance, p);
        assert!(matches!(
            d(RetentionPeriod::Days(0)),
            Err(S3Error::InvalidArgument(_))
        ));
        assert!(d(RetentionPeriod::Days(MAX_DEFAULT_DAYS)).is_ok());
        assert!(d(RetentionPeriod::Years(MAX_DEFAULT_YEARS + 1)).is_err());
        // 2024-02-29T12:00:00Z plus one year is 2025-02-28T12:00:00Z; 5 days is 5 x 24 h.
        let leap = 1_709_208_000_000;
        let year = d(RetentionPeriod::Years(1)).unwrap().until(leap);
        assert_eq!(coffer_clock::rfc3339_utc(year), "2025-02-28T12:00:00Z");
        let days = d(RetentionPeriod::Days(5)).unwrap().until(leap);
        assert_eq!(days - leap, 5 * DAY_MS);
        for c in [
            ObjectLockConfig::default(),
            ObjectLockConfig {
                default_retention: Some(d(RetentionPeriod::Years(3)).unwrap()),
            },
        ] {
            let word = c.encode();
            let rule = word.strip_prefix("ObjectLock=").unwrap();
            assert_eq!(ObjectLockConfig::decode(rule).unwrap(), c);
        }
    }
}
