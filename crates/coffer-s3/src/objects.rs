//! Single objects: put, get (ranges, conditions), head, delete, copy, tagging.

use coffer_store::{ObjectLock, ObjectRecord, Precondition, Removal, StoreError, Unmet};

use crate::checksum::{Integrity, etag_of};
use crate::customer_key::CustomerKey;
use crate::meta::{StoredMeta, validate_meta, validate_tags};
use crate::sealing::object_context;
use crate::write::BodyStream;
use crate::{
    ChecksumValue, DeleteProof, DeleteResult, NULL_VERSION, ObjectInfo, ObjectMeta, PlainStream,
    S3Core, S3Error, StoredChecksum, Tag, VersionSelector, VersioningState,
};

/// A PutObject.
pub struct PutRequest {
    pub bucket: String,
    pub key: String,
    pub meta: ObjectMeta,
    pub body: BodyStream,
    pub integrity: Integrity,
    /// `None`: the bucket's default encryption.
    pub encryption: Option<crate::Encryption>,
    /// `If-None-Match` / `If-Match` on the object this write replaces.
    pub precondition: Precondition,
    /// The new object's ACL ([`S3Core::acl_for_write`]).
    pub acl: Option<crate::Acl>,
    /// Object Lock retention and legal hold asked for (else the bucket's default).
    pub lock: crate::LockRequest,
}

/// What a write returns to the client.
#[derive(Debug, Clone)]
pub struct PutResult {
    pub encryption: crate::ObjectEncryption,
    pub etag: String,
    pub checksum: Option<ChecksumValue>,
    /// The checksum is COMPOSITE (of a multipart object's parts), not FULL_OBJECT.
    pub composite_checksum: bool,
    /// The new version's id (`x-amz-version-id`), once the bucket is versioned.
    pub version_id: Option<crate::VersionId>,
    pub last_modified_ms: i64,
}

/// A `Range: bytes=...` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-` or `bytes=first-last`.
    FromTo { first: u64, last: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Resolves against an object of `size` bytes to a half-open range.
    pub fn resolve(self, size: u64) -> Result<std::ops::Range<u64>, S3Error> {
        let invalid = S3Error::InvalidRange { object_size: size };
        match self {
            Self::FromTo { first, last } => {
                if first >= size || last.is_some_and(|l| l < first) {
                    return Err(invalid);
                }
                Ok(first..last.map_or(size, |l| l.min(size - 1) + 1))
            }
            Self::Suffix(n) => {
                if n == 0 || size == 0 {
                    return Err(invalid);
                }
                Ok(size.saturating_sub(n)..size)
            }
        }
    }
}

/// HTTP preconditions (`If-*`, or `x-amz-copy-source-if-*` for a copy source).
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since_ms: Option<i64>,
    pub if_unmodified_since_ms: Option<i64>,
}

impl Conditions {
    /// S3's precedence: If-Match beats a failing If-Unmodified-Since, and If-None-Match beats
    /// a passing If-Modified-Since. Dates compare at one-second resolution, as HTTP dates do.
    fn check(&self, etag: &str, last_modified_ms: i64) -> Result<(), S3Error> {
        let secs = |ms: i64| ms.div_euclid(1000);
        if let Some(m) = &self.if_match {
            if !etag_matches(m, etag) {
                return Err(S3Error::PreconditionFailed);
            }
        } else if let Some(t) = self.if_unmodified_since_ms
            && secs(last_modified_ms) > secs(t)
        {
            return Err(S3Error::PreconditionFailed);
        }
        let not_modified = || S3Error::NotModified {
            etag: etag.to_owned(),
            last_modified_ms,
        };
        if let Some(m) = &self.if_none_match {
            if etag_matches(m, etag) {
                return Err(not_modified());
            }
        } else if let Some(t) = self.if_modified_since_ms
            && secs(last_modified_ms) <= secs(t)
        {
            return Err(not_modified());
        }
        Ok(())
    }
}

/// Longest object key, in UTF-8 bytes, as S3.
pub const MAX_KEY_LEN: usize = 1024;

pub(crate) fn validate_key(key: &str) -> Result<(), S3Error> {
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::KeyTooLong);
    }
    if key.is_empty() {
        return Err(S3Error::InvalidArgument(
            "Object key must not be empty".into(),
        ));
    }
    Ok(())
}

/// A precondition that did not hold, as S3 answers it: 412, or 404 when `If-Match` found no
/// object.
pub(crate) fn unmet(e: StoreError) -> S3Error {
    match e {
        StoreError::Precondition(Unmet::Missing) => S3Error::NoSuchKey,
        StoreError::Precondition(_) => S3Error::PreconditionFailed,
        e => locked(e),
    }
}

/// The store refused to remove a locked version: S3's answer.
pub(crate) fn locked(e: StoreError) -> S3Error {
    match e {
        StoreError::Locked(_) => {
            S3Error::AccessDenied("Access Denied because object protected by object lock.".into())
        }
        e => e.into(),
    }
}

/// A precondition that held when the write began but not when it committed. A key taken
/// meanwhile fails as any later `If-None-Match` write does (the first to finish wins); an
/// object changed or deleted under an `If-Match` write is S3's 409 conflict.
fn unmet_at_commit(e: StoreError) -> S3Error {
    match e {
        StoreError::Precondition(Unmet::Exists) => S3Error::PreconditionFailed,
        StoreError::Precondition(_) => S3Error::ConditionalRequestConflict,
        e => locked(e),
    }
}

fn etag_matches(list: &str, etag: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    let etag = bare(etag);
    list.split(',').any(|c| c.trim() == "*" || bare(c) == etag)
}

/// A GetObject's answer: what the object is and the requested bytes.
pub struct GetResult {
    pub info: ObjectInfo,
    /// Half-open byte range served, when the request had a Range.
    pub range: Option<std::ops::Range<u64>>,
    pub body: PlainStream,
}

/// `x-amz-metadata-directive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetadataDirective {
    #[default]
    Copy,
    Replace,
}

/// A CopyObject.
pub struct CopyRequest {
    pub source_bucket: String,
    pub source_key: String,
    /// `versionId` of `x-amz-copy-source`: an older version (copying it restores it).
    pub source_version_id: Option<crate::VersionId>,
    pub bucket: String,
    pub key: String,
    pub metadata_directive: MetadataDirective,
    /// Used with `Replace`: the new headers and user metadata.
    pub meta: ObjectMeta,
    /// `x-amz-tagging-directive: REPLACE` with these tags; `None` copies the source's.
    pub replace_tags: Option<Vec<Tag>>,
    pub source_conditions: Conditions,
    /// `None`: the destination bucket's default encryption (as S3 does for copies).
    pub encryption: Option<crate::Encryption>,
    /// The source's SSE-C key (`x-amz-copy-source-server-side-encryption-customer-*`).
    pub source_customer_key: Option<CustomerKey>,
    /// `If-None-Match` / `If-Match` on the destination.
    pub precondition: Precondition,
    /// The copy's ACL (a copy never takes its source's).
    pub acl: Option<crate::Acl>,
    /// The copy's Object Lock (a copy never takes its source's; else the bucket's default).
    pub lock: crate::LockRequest,
}

impl S3Core {
    pub async fn put_object(&self, req: PutRequest) -> Result<PutResult, S3Error> {
        let declared = req.integrity.content_md5.is_some() || req.integrity.expected.is_some();
        self.write_object(req, declared).await
    }

    /// A PutObject, or a copy's write (`declared_integrity`: the body's checksum was
    /// declared, which a locked upload needs and a copy does not).
    async fn write_object(
        &self,
        req: PutRequest,
        declared_integrity: bool,
    ) -> Result<PutResult, S3Error> {
        validate_key(&req.key)?;
        self.require_bucket(&req.bucket)?;
        validate_meta(&req.meta)?;
        // Judged before the body streams in (a write bound to fail reads nothing), and again
        // as the record commits: what happened in between is a conflict, as S3 reports it.
        self.check_precondition(&req.bucket, &req.key, &req.precondition)?;
        let config = self.versioning_config(&req.bucket)?;
        let state = config.state;
        self.lock_for_write(&config, req.lock, self.now_ms(), declared_integrity)?;
        let version_id = self.version_for_write(state)?;
        let nonce = self.random_hex(8)?;
        // The version's identity is in every package's associated data.
        let context = object_context(&req.bucket, &req.key, version_id.as_str(), &nonce);
        let encryption = self
            .effective_encryption(&req.bucket, req.encryption)
            .await?;
        let written = self
            .write_segment(
                req.body,
                context,
                req.integrity,
                (&req.bucket, &req.key, &encryption),
            )
            .await?;
        let etag = etag_of(&written.md5);
        let stored = StoredMeta {
            meta: req.meta,
            checksum: written.checksum.clone().map(|value| StoredChecksum {
                value,
                composite: false,
            }),
            part_sizes: Vec::new(),
            encryption: encryption.clone(),
            acl: req.acl,
            upload_id: None,
            legal_hold_set: req.lock.legal_hold.is_some(),
        };
        let now = self.now_ms();
        // The version is created now: a default retention counts from here.
        let lock = self.lock_for_write(&config, req.lock, now, declared_integrity)?;
        let mut rec = ObjectRecord {
            bucket: req.bucket,
            key: req.key,
            version_id: version_id.as_str().to_owned(),
            delete_marker: false,
            lock,
            size: written.segment.plain_len,
            etag: etag.clone(),
            last_modified_ms: now,
            meta: stored.to_bytes(),
            segments: vec![written.segment],
            mac: Vec::new(),
        };
        self.tag_record(&mut rec);
        let freed = self
            .meta
            .put_object(rec, written.pending, req.precondition)
            .await
            .map_err(unmet_at_commit)?;
        self.release_blobs(freed);
        Ok(PutResult {
            encryption,
            etag,
            composite_checksum: false,
            checksum: written.checksum,
            version_id: state.is_versioned().then_some(version_id),
            last_modified_ms: now,
        })
    }

    /// HeadObject; `customer` is the request's SSE-C key, which an SSE-C object needs.
    pub fn head_object(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        conditions: &Conditions,
        customer: Option<&CustomerKey>,
    ) -> Result<ObjectInfo, S3Error> {
        let rec = self.object_version(bucket, key, version)?;
        let info = ObjectInfo::from_record(&rec)?;
        info.encryption.admit(customer)?;
        conditions.check(&rec.etag, rec.last_modified_ms)?;
        Ok(info)
    }

    pub async fn get_object(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        range: Option<ByteRange>,
        conditions: &Conditions,
        customer: Option<&CustomerKey>,
    ) -> Result<GetResult, S3Error> {
        self.get_object_checked(bucket, key, version, range, conditions, customer, |_| {
            Ok::<(), S3Error>(())
        })
        .await?
    }

    /// GetObject that lets the caller judge the object (e.g. its requester's right to the
    /// object's KMS key) after its record is read and before any byte is decrypted. A refusal
    /// by `check` is the inner error.
    #[allow(clippy::too_many_arguments)]
    pub async fn get_object_checked<E>(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        range: Option<ByteRange>,
        conditions: &Conditions,
        customer: Option<&CustomerKey>,
        check: impl FnOnce(&ObjectInfo) -> Result<(), E>,
    ) -> Result<Result<GetResult, E>, S3Error> {
        let rec = self.object_version(bucket, key, version)?;
        let info = ObjectInfo::from_record(&rec)?;
        info.encryption.admit(customer)?;
        if let Err(e) = check(&info) {
            return Ok(Err(e));
        }
        conditions.check(&rec.etag, rec.last_modified_ms)?;
        let served = range.map(|r| r.resolve(rec.size)).transpose()?;
        let body = self
            .read_range_checked(
                &rec,
                served.clone().unwrap_or(0..rec.size),
                &info.encryption.clone().with_customer(customer),
            )
            .await?;
        Ok(Ok(GetResult {
            info,
            range: served,
            body,
        }))
    }

    /// DeleteObject. With a version id, that version goes for good (a missing one is no
    /// error; under MFA Delete only with `mfa`). Without one: in an unversioned bucket the object goes; in a versioned one a
    /// delete marker becomes the current version (under Suspended, as the `null` version).
    /// Deleting a missing key succeeds, as in S3, unless `precondition` (`If-Match`) asks
    /// for an object.
    pub async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        precondition: Precondition,
        proof: DeleteProof,
    ) -> Result<DeleteResult, S3Error> {
        // MFA Delete is judged where the version goes (`remove_version`), on the config that
        // write is guarded by; here only the state decides what a delete means.
        let state = self.versioning(bucket)?;
        match (version, state) {
            (VersionSelector::Id(v), _) => {
                let was_marker = self
                    .meta
                    .object(bucket, key, v.as_str())?
                    .is_some_and(|r| r.delete_marker);
                self.remove_version(bucket, key, v.as_str(), precondition, proof)
                    .await?;
                Ok(DeleteResult {
                    version_id: Some(v.clone()),
                    delete_marker: was_marker,
                })
            }
            (VersionSelector::Current, VersioningState::Unversioned) => {
                self.remove_version(bucket, key, NULL_VERSION, precondition, proof)
                    .await?;
                Ok(DeleteResult::default())
            }
            (VersionSelector::Current, _) => {
                let version_id = self.version_for_write(state)?;
                let mut marker = ObjectRecord {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    version_id: version_id.as_str().to_owned(),
                    delete_marker: true,
                    lock: ObjectLock::default(),
                    size: 0,
                    etag: String::new(),
                    last_modified_ms: self.now_ms(),
                    meta: StoredMeta::default().to_bytes(),
                    segments: Vec::new(),
                    mac: Vec::new(),
                };
                self.tag_record(&mut marker);
                let freed = self
                    .meta
                    .put_object(marker, Vec::new(), precondition)
                    .await
                    .map_err(unmet)?;
                self.release_blobs(freed);
                Ok(DeleteResult {
                    version_id: Some(version_id),
                    delete_marker: true,
                })
            }
        }
    }

    /// Removes one version for good, if the bucket's MFA Delete admits it — judged on the
    /// versioning config as read, and committed only while the config is still that.
    async fn remove_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        precondition: Precondition,
        proof: DeleteProof,
    ) -> Result<(), S3Error> {
        for _ in 0..crate::MAX_WRITE_RETRIES {
            let (config, guard) = self.versioning_read(bucket)?;
            self.admit_version_delete(config, proof.mfa)?;
            match self
                .meta
                .delete_object(
                    bucket,
                    key,
                    version_id,
                    precondition.clone(),
                    Some(guard),
                    // Object Lock is judged in the store, by the one clock.
                    Removal {
                        now_ms: self.now_ms(),
                        bypass_governance: proof.bypass_governance,
                    },
                )
                .await
            {
                Ok(freed) => {
                    self.release_blobs(freed);
                    return Ok(());
                }
                Err(StoreError::Changed(_)) => continue,
                Err(e) => return Err(unmet(e)),
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }

    pub async fn copy_object(&self, req: CopyRequest) -> Result<PutResult, S3Error> {
        let src = self.object_version(
            &req.source_bucket,
            &req.source_key,
            VersionSelector::of(req.source_version_id.as_ref()),
        )?;
        self.require_bucket(&req.bucket)?;
        self.admit_lock_request(&req.bucket, req.lock)?;
        let src_meta = StoredMeta::from_bytes(&src.meta)?;
        src_meta
            .encryption
            .admit(req.source_customer_key.as_ref())?;
        req.source_conditions
            .check(&src.etag, src.last_modified_ms)
            .map_err(|e| match e {
                S3Error::NotModified { .. } => S3Error::PreconditionFailed,
                e => e,
            })?;
        // Copying an older version onto its key restores it: that is a change.
        let same = req.source_bucket == req.bucket
            && req.source_key == req.key
            && req.source_version_id.is_none();
        let class_changes = req.meta.storage_class() != src_meta.meta.storage_class();
        if same
            && req.metadata_directive == MetadataDirective::Copy
            && req.replace_tags.is_none()
            && req.encryption.is_none()
            && !class_changes
        {
            return Err(S3Error::InvalidRequest(
                "This copy request is illegal because it is trying to copy an object to itself \
                 without changing the object's metadata, storage class, website redirect \
                 location or encryption attributes."
                    .into(),
            ));
        }
        // A copy is in the class the request names (STANDARD by default), as on S3.
        let storage_class = req.meta.storage_class.clone();
        let mut meta = match req.metadata_directive {
            MetadataDirective::Copy => src_meta.meta.clone(),
            MetadataDirective::Replace => req.meta,
        };
        meta.storage_class = storage_class;
        meta.tags = req.replace_tags.unwrap_or(src_meta.meta.tags);
        let integrity = Integrity {
            algorithm: src_meta.checksum.as_ref().map(|c| c.value.algorithm),
            ..Integrity::default()
        };
        let body = crate::read::as_body(
            self.read_range_checked(
                &src,
                0..src.size,
                &src_meta
                    .encryption
                    .clone()
                    .with_customer(req.source_customer_key.as_ref()),
            )
            .await?,
        );
        let put = PutRequest {
            bucket: req.bucket,
            key: req.key,
            meta,
            body,
            integrity,
            encryption: req.encryption,
            precondition: req.precondition,
            acl: req.acl,
            lock: req.lock,
        };
        self.write_object(put, true).await
    }

    /// A conditional write's precondition against the object there now.
    pub(crate) fn check_precondition(
        &self,
        bucket: &str,
        key: &str,
        precondition: &Precondition,
    ) -> Result<(), S3Error> {
        if *precondition == Precondition::None {
            return Ok(());
        }
        let current = self.meta.current(bucket, key)?.filter(|r| !r.delete_marker);
        precondition
            .check(current.as_ref().map(|r| r.etag.as_str()))
            .map_err(|u| unmet(StoreError::Precondition(u)))
    }

    /// The tag set of a version (and its id).
    pub fn object_tags(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<(Vec<Tag>, crate::VersionId), S3Error> {
        let rec = self.object_version(bucket, key, version)?;
        let tags = StoredMeta::from_bytes(&rec.meta)?.meta.tags;
        Ok((tags, crate::VersionId::stored(rec.version_id)))
    }

    /// Replaces a version's tag set (empty removes it); returns the version's id. The change
    /// applies to the very record it was made from: if the version is replaced meanwhile, it
    /// is read and changed again.
    pub async fn set_object_tags(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        tags: Vec<Tag>,
    ) -> Result<crate::VersionId, S3Error> {
        validate_tags(&tags)?;
        self.update_stored_meta(bucket, key, version, move |m| m.meta.tags = tags.clone())
            .await
    }

    /// Changes a version's stored metadata in place (tags, ACL) if the record is still the
    /// one read; re-reads and re-applies `change` when another write came first. Returns the
    /// version's id.
    pub(crate) async fn update_stored_meta(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
        change: impl Fn(&mut StoredMeta),
    ) -> Result<crate::VersionId, S3Error> {
        for _ in 0..crate::MAX_WRITE_RETRIES {
            let mut rec = self.object_version(bucket, key, version)?;
            let mut stored = StoredMeta::from_bytes(&rec.meta)?;
            change(&mut stored);
            let read_mac = std::mem::take(&mut rec.mac);
            rec.meta = stored.to_bytes();
            self.tag_record(&mut rec);
            match self
                .meta
                .update_object_meta(bucket, key, &rec.version_id, read_mac, rec.meta, rec.mac)
                .await
            {
                Ok(true) => return Ok(crate::VersionId::stored(rec.version_id)),
                Ok(false) => return Err(S3Error::NoSuchKey),
                Err(StoreError::Changed(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }

    pub(crate) fn require_bucket(
        &self,
        bucket: &str,
    ) -> Result<coffer_store::BucketRecord, S3Error> {
        self.meta.bucket(bucket)?.ok_or(S3Error::NoSuchBucket)
    }

    /// The current object at `key`, authenticated (an edited record is
    /// [`S3Error::Corrupt`]).
    pub(crate) fn object_record(&self, bucket: &str, key: &str) -> Result<ObjectRecord, S3Error> {
        self.object_version(bucket, key, VersionSelector::Current)
    }

    /// The version of `key` that `version` names, authenticated. A delete marker is no
    /// object: [`S3Error::DeleteMarker`] (S3's 404 for the current version, 405 by id).
    pub(crate) fn object_version(
        &self,
        bucket: &str,
        key: &str,
        version: VersionSelector<'_>,
    ) -> Result<ObjectRecord, S3Error> {
        let found = match version {
            VersionSelector::Current => self.meta.current(bucket, key)?,
            VersionSelector::Id(v) => self.meta.object(bucket, key, v.as_str())?,
        };
        match found {
            Some(rec) if rec.delete_marker => {
                let rec = self.checked(rec)?;
                Err(S3Error::DeleteMarker {
                    version_id: rec.version_id,
                    last_modified_ms: rec.last_modified_ms,
                    by_id: version != VersionSelector::Current,
                })
            }
            Some(rec) => self.checked(rec),
            None => {
                self.require_bucket(bucket)?;
                Err(match version {
                    VersionSelector::Current => S3Error::NoSuchKey,
                    VersionSelector::Id(_) => S3Error::NoSuchVersion,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = |first, last| ByteRange::FromTo { first, last };
        assert_eq!(r(0, Some(9)).resolve(100).unwrap(), 0..10);
        assert_eq!(r(90, Some(200)).resolve(100).unwrap(), 90..100);
        assert_eq!(r(5, None).resolve(100).unwrap(), 5..100);
        assert!(r(100, None).resolve(100).is_err());
        assert_eq!(ByteRange::Suffix(10).resolve(100).unwrap(), 90..100);
        assert_eq!(ByteRange::Suffix(500).resolve(100).unwrap(), 0..100);
        assert!(ByteRange::Suffix(0).resolve(100).is_err());
    }

    #[test]
    fn preconditions() {
        let etag = "\"abc\"";
        let c = |m: Option<&str>, nm: Option<&str>, ms: Option<i64>, us: Option<i64>| Conditions {
            if_match: m.map(Into::into),
            if_none_match: nm.map(Into::into),
            if_modified_since_ms: ms,
            if_unmodified_since_ms: us,
        };
        assert!(
            c(Some("\"abc\""), None, None, None)
                .check(etag, 5000)
                .is_ok()
        );
        assert!(c(Some("*"), None, None, None).check(etag, 5000).is_ok());
        assert!(matches!(
            c(Some("x"), None, None, None).check(etag, 5000),
            Err(S3Error::PreconditionFailed)
        ));
        assert!(matches!(
            c(None, Some("abc"), None, None).check(etag, 5000),
            Err(S3Error::NotModified { .. })
        ));
        assert!(matches!(
            c(None, None, Some(5999), None).check(etag, 5000),
            Err(S3Error::NotModified { .. })
        ));
        assert!(c(None, None, Some(4000), None).check(etag, 5000).is_ok());
        assert!(matches!(
            c(None, None, None, Some(4000)).check(etag, 5000),
            Err(S3Error::PreconditionFailed)
        ));
        // If-Match true wins over If-Unmodified-Since false.
        assert!(
            c(Some("abc"), None, None, Some(0))
                .check(etag, 5000)
                .is_ok()
        );
        // If-None-Match false (no match) with If-Modified-Since "not modified": 200, not 304.
        assert!(
            c(None, Some("zzz"), Some(9000), None)
                .check(etag, 5000)
                .is_ok()
        );
    }
}
