//! Multipart uploads. Each part is sealed as its own segment with its own data key when it
//! arrives; completing an upload only rewrites metadata (no byte is copied).

use coffer_store::{ObjectRecord, PartRecord, Precondition, StoreError, UploadRecord};
use md5::Digest as _;
use serde::{Deserialize, Serialize};

use crate::checksum::{Integrity, composite, etag_of, full_object};
use crate::customer_key::CustomerKey;
use crate::meta::{StoredMeta, validate_meta};
use crate::sealing::part_context;
use crate::write::BodyStream;
use crate::{
    ByteRange, ChecksumAlgorithm, ChecksumValue, Conditions, ObjectMeta, PutResult, S3Core,
    S3Error, StoredChecksum, VersionSelector,
};

/// Smallest part except the last, as S3.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// Highest part number, as S3.
pub const MAX_PART_NUMBER: u32 = 10_000;

#[derive(Serialize, Deserialize)]
struct UploadMeta {
    meta: ObjectMeta,
    checksum_algorithm: Option<ChecksumAlgorithm>,
    /// The object's checksum is of its whole bytes (FULL_OBJECT), not of its parts'.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    full_object: bool,
    #[serde(default)]
    encryption: crate::ObjectEncryption,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    acl: Option<crate::Acl>,
    /// Object Lock asked for at creation: the retention mode (as on the wire) and date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retention: Option<(String, i64)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    legal_hold: Option<bool>,
}

impl UploadMeta {
    fn lock_request(&self) -> Result<crate::LockRequest, S3Error> {
        let retention = match &self.retention {
            None => None,
            Some((mode, until)) => Some((crate::parse_mode(mode).ok_or(S3Error::Corrupt)?, *until)),
        };
        Ok(crate::LockRequest {
            retention,
            legal_hold: self.legal_hold,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct PartMeta {
    checksum: Option<ChecksumValue>,
}

/// A part as listed.
#[derive(Debug, Clone)]
pub struct PartInfo {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub checksum: Option<ChecksumValue>,
}

/// An upload as listed.
#[derive(Debug, Clone)]
pub struct UploadInfo {
    pub upload_id: String,
    pub key: String,
    pub initiated_ms: i64,
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    /// The checksum type is FULL_OBJECT (else COMPOSITE, when there is an algorithm).
    pub full_object: bool,
}

/// The SSE-C keys of an UploadPartCopy: the upload's and the copy source's.
#[derive(Clone, Copy, Default)]
pub struct PartCopyKeys<'a> {
    pub upload: Option<&'a CustomerKey>,
    pub source: Option<&'a CustomerKey>,
}

/// One entry of a CompleteMultipartUpload body.
#[derive(Debug, Clone, Default)]
pub struct CompletedPart {
    pub part_number: u32,
    pub etag: String,
    /// The part's checksum as the client gives it (for the upload's algorithm), if it does.
    pub checksum: Option<String>,
}

/// How a multipart object's checksum is made: of its parts' checksums (COMPOSITE, the
/// `…-N` form), or of the whole object (FULL_OBJECT; CRCs only, combined from the parts').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadChecksum {
    pub algorithm: ChecksumAlgorithm,
    pub full_object: bool,
}

impl UploadChecksum {
    /// From CreateMultipartUpload's `x-amz-checksum-algorithm` and `x-amz-checksum-type`,
    /// with S3's defaults (FULL_OBJECT for CRC64NVME, COMPOSITE otherwise) and refusals.
    pub fn new(
        algorithm: Option<ChecksumAlgorithm>,
        checksum_type: Option<&str>,
    ) -> Result<Option<Self>, S3Error> {
        let Some(algorithm) = algorithm else {
            return match checksum_type {
                None => Ok(None),
                Some(_) => Err(S3Error::InvalidRequest(
                    "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
                        .into(),
                )),
            };
        };
        let crc64 = algorithm == ChecksumAlgorithm::Crc64Nvme;
        let sha = matches!(
            algorithm,
            ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256
        );
        let name = algorithm.name().to_ascii_lowercase();
        let full_object = match checksum_type {
            None => crc64,
            Some("FULL_OBJECT") if sha => {
                return Err(S3Error::InvalidRequest(format!(
                    "The FULL_OBJECT checksum type cannot be used with the {name} checksum algorithm."
                )));
            }
            Some("COMPOSITE") if crc64 => {
                return Err(S3Error::InvalidRequest(format!(
                    "The COMPOSITE checksum type cannot be used with the {name} checksum algorithm."
                )));
            }
            Some("FULL_OBJECT") => true,
            Some("COMPOSITE") => false,
            Some(_) => {
                return Err(S3Error::InvalidRequest(
                    "Value for x-amz-checksum-type header is invalid.".into(),
                ));
            }
        };
        Ok(Some(Self {
            algorithm,
            full_object,
        }))
    }
}

/// What CompleteMultipartUpload says of the whole object's checksum.
#[derive(Debug, Clone, Default)]
pub struct CompleteChecksum {
    /// `x-amz-checksum-<algorithm>`: verified against the object's.
    pub expected: Option<ChecksumValue>,
    /// `x-amz-checksum-type`: must be the upload's.
    pub full_object: Option<bool>,
}

/// A CreateMultipartUpload: what the object will be once the upload completes.
#[derive(Default)]
pub struct UploadRequest {
    pub bucket: String,
    pub key: String,
    pub meta: ObjectMeta,
    pub checksum: Option<UploadChecksum>,
    /// `None`: the bucket's default encryption.
    pub encryption: Option<crate::Encryption>,
    pub acl: Option<crate::Acl>,
    /// Object Lock asked for (else the bucket's default, at completion).
    pub lock: crate::LockRequest,
}

impl S3Core {
    pub async fn create_upload(&self, req: UploadRequest) -> Result<String, S3Error> {
        let UploadRequest {
            bucket,
            key,
            meta,
            checksum,
            encryption,
            acl,
            lock,
        } = req;
        let (bucket, key) = (bucket.as_str(), key.as_str());
        crate::objects::validate_key(key)?;
        self.require_bucket(bucket)?;
        validate_meta(&meta)?;
        self.admit_lock_request(bucket, lock)?;
        let encryption = self.effective_encryption(bucket, encryption).await?;
        let upload_id = self.random_hex(24)?;
        let stored = UploadMeta {
            meta,
            checksum_algorithm: checksum.map(|c| c.algorithm),
            full_object: checksum.is_some_and(|c| c.full_object),
            encryption,
            acl,
            retention: lock
                .retention
                .map(|(mode, until)| (crate::mode_name(mode).to_owned(), until)),
            legal_hold: lock.legal_hold,
        };
        let mut rec = UploadRecord {
            upload_id: upload_id.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            initiated_ms: self.now_ms(),
            meta: serde_json::to_vec(&stored).unwrap_or_default(),
            mac: Vec::new(),
        };
        self.tag_record(&mut rec);
        self.meta.create_upload(rec).await.map_err(no_such_bucket)?;
        Ok(upload_id)
    }

    /// UploadPart; `customer` is the request's SSE-C key, which an SSE-C upload needs.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: BodyStream,
        mut integrity: Integrity,
        customer: Option<&CustomerKey>,
    ) -> Result<PartInfo, S3Error> {
        check_part_number(part_number)?;
        let upload = self.upload_record(bucket, key, upload_id)?;
        let stored = upload_meta(&upload)?;
        // A part of a locked upload needs a declared checksum, as a locked PutObject does
        // (judged on what the upload asked for and the bucket's default now).
        let declared = integrity.content_md5.is_some() || integrity.expected.is_some();
        if !declared {
            let config = self.versioning_config(bucket)?;
            self.lock_for_write(&config, stored.lock_request()?, self.now_ms(), false)
                .map_err(|e| match e {
                    S3Error::InvalidRequest(_) => S3Error::InvalidRequest(
                        "Content-MD5 OR x-amz-checksum- HTTP header is required for Upload Part requests with Object Lock parameters".into(),
                    ),
                    e => e,
                })?;
        }
        if integrity.algorithm.is_none() {
            integrity.algorithm = stored.checksum_algorithm;
        }
        self.write_part(
            bucket,
            key,
            upload_id,
            part_number,
            body,
            integrity,
            customer,
        )
        .await
    }

    /// The encryption an upload's parts are sealed under (fixed when it was created).
    pub fn upload_encryption(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<crate::ObjectEncryption, S3Error> {
        Ok(upload_meta(&self.upload_record(bucket, key, upload_id)?)?.encryption)
    }

    /// UploadPartCopy: a part made from (a range of) an existing object.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_part_copy(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        source_bucket: &str,
        source_key: &str,
        source_version: VersionSelector<'_>,
        range: Option<ByteRange>,
        conditions: &Conditions,
        keys: PartCopyKeys<'_>,
    ) -> Result<PartInfo, S3Error> {
        check_part_number(part_number)?;
        let upload = self.upload_record(bucket, key, upload_id)?;
        let src = self.object_version(source_bucket, source_key, source_version)?;
        let head = self
            .head_object(
                source_bucket,
                source_key,
                source_version,
                conditions,
                keys.source,
            )
            .map_err(|e| match e {
                S3Error::NotModified { .. } => S3Error::PreconditionFailed,
                e => e,
            })?;
        // A copy range must lie within the source (a GET range may run past the end).
        let past_end = match range {
            Some(ByteRange::FromTo { first, last }) => {
                first >= head.size || last.is_some_and(|l| l >= head.size)
            }
            _ => false,
        };
        if past_end {
            return Err(S3Error::InvalidRange {
                object_size: head.size,
            });
        }
        let range = match range {
            Some(r) => r.resolve(head.size).map_err(|_| {
                S3Error::InvalidArgument(
                    "The x-amz-copy-source-range value must be of the form bytes=first-last \
                     where first and last are the zero-based offsets of the first and last \
                     bytes to copy"
                        .into(),
                )
            })?,
            None => 0..head.size,
        };
        let source_enc = head.encryption.clone().with_customer(keys.source);
        let body = crate::read::as_body(self.read_range_checked(&src, range, &source_enc).await?);
        let integrity = Integrity {
            algorithm: upload_meta(&upload)?.checksum_algorithm,
            ..Integrity::default()
        };
        self.write_part(
            bucket,
            key,
            upload_id,
            part_number,
            body,
            integrity,
            keys.upload,
        )
        .await
    }

    /// Seals a part's bytes as their own segment and records the part. An SSE-C upload's
    /// parts each bring the key it was created with.
    #[allow(clippy::too_many_arguments)]
    async fn write_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        body: BodyStream,
        integrity: Integrity,
        customer: Option<&CustomerKey>,
    ) -> Result<PartInfo, S3Error> {
        let context = part_context(bucket, key, upload_id, part_number);
        let upload = self.upload_record(bucket, key, upload_id)?;
        let encryption = upload_meta(&upload)?.encryption;
        encryption.admit(customer).map_err(|e| match e {
            S3Error::AccessDenied(_) => S3Error::InvalidRequest(
                "The provided encryption parameters did not match the ones used originally.".into(),
            ),
            S3Error::InvalidRequest(_) if customer.is_none() => S3Error::InvalidRequest(
                "The multipart upload initiate requested encryption. Subsequent part requests \
                 must include the appropriate encryption parameters."
                    .into(),
            ),
            e => e,
        })?;
        let encryption = encryption.with_customer(customer);
        let written = self
            .write_segment(body, context, integrity, (bucket, key, &encryption))
            .await?;
        let now = self.now_ms();
        let etag = etag_of(&written.md5);
        let checksum = written.checksum;
        let mut part = PartRecord {
            upload_id: upload_id.to_owned(),
            part_number,
            size: written.segment.plain_len,
            etag: etag.clone(),
            last_modified_ms: now,
            meta: serde_json::to_vec(&PartMeta {
                checksum: checksum.clone(),
            })
            .unwrap_or_default(),
            segment: written.segment,
            mac: Vec::new(),
        };
        self.tag_record(&mut part);
        let size = part.size;
        let freed = self
            .meta
            .put_part(part, written.pending)
            .await
            .map_err(no_such_upload)?;
        self.release_blobs(freed);
        Ok(PartInfo {
            part_number,
            size,
            etag,
            last_modified_ms: now,
            checksum,
        })
    }

    /// CompleteMultipartUpload. The parts it picks must still be the upload's parts when the
    /// object commits: a part replaced meanwhile (an SDK retrying UploadPart) makes it pick
    /// again, so a completed object never points at a released blob.
    pub async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        precondition: &Precondition,
        checksum: &CompleteChecksum,
    ) -> Result<PutResult, S3Error> {
        for _ in 0..crate::MAX_WRITE_RETRIES {
            match self
                .try_complete(bucket, key, upload_id, parts, precondition, checksum)
                .await
            {
                Err(S3Error::Store(StoreError::Changed(_))) => continue,
                other => return other,
            }
        }
        Err(S3Error::ConcurrentUpdate)
    }

    async fn try_complete(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
        precondition: &Precondition,
        expected: &CompleteChecksum,
    ) -> Result<PutResult, S3Error> {
        let upload = match self.upload_record(bucket, key, upload_id) {
            // A retry of a complete that succeeded (its answer lost): answer as it did.
            Err(S3Error::NoSuchUpload) => return self.completed_by(bucket, key, upload_id),
            other => other?,
        };
        let upload_meta = upload_meta(&upload)?;
        if expected
            .full_object
            .is_some_and(|f| f != upload_meta.full_object)
        {
            return Err(S3Error::InvalidRequest(
                "The upload was created using a different checksum type than the complete request specifies."
                    .into(),
            ));
        }
        if parts.is_empty() {
            return Err(S3Error::MalformedXml);
        }
        if parts
            .windows(2)
            .any(|w| w[0].part_number >= w[1].part_number)
        {
            return Err(S3Error::InvalidPartOrder);
        }
        let stored = self.part_records(upload_id, 0, MAX_PART_NUMBER as usize)?;
        let mut chosen = Vec::with_capacity(parts.len());
        for p in parts {
            let found = stored
                .iter()
                .find(|s| s.part_number == p.part_number)
                .filter(|s| s.etag.trim_matches('"') == p.etag.trim().trim_matches('"'))
                .ok_or(S3Error::InvalidPart)?;
            chosen.push(found);
        }
        if chosen[..chosen.len() - 1]
            .iter()
            .any(|p| p.size < MIN_PART_SIZE)
        {
            return Err(S3Error::EntityTooSmall);
        }
        let mut md5s = md5::Md5::new();
        let mut checksums = Vec::new();
        for (p, asked) in chosen.iter().zip(parts) {
            let raw = hex_to_md5(&p.etag).ok_or(S3Error::Corrupt)?;
            md5s.update(raw);
            let pm: PartMeta = serde_json::from_slice(&p.meta).map_err(|_| S3Error::Corrupt)?;
            // A part checksum the client names must be the one the part was stored with.
            if let Some(want) = &asked.checksum
                && pm.checksum.as_ref().is_none_or(|c| c.base64 != want.trim())
            {
                return Err(S3Error::InvalidPart);
            }
            checksums.push(pm.checksum);
        }
        let md5: [u8; 16] = md5s.finalize().into();
        let etag = format!("\"{}-{}\"", &etag_of(&md5)[1..33], chosen.len());
        let checksum = match upload_meta.checksum_algorithm {
            Some(a)
                if checksums
                    .iter()
                    .all(|c| c.as_ref().is_some_and(|c| c.algorithm == a)) =>
            {
                let parts: Vec<ChecksumValue> = checksums.into_iter().flatten().collect();
                let sizes: Vec<u64> = chosen.iter().map(|p| p.size).collect();
                Some(if upload_meta.full_object {
                    StoredChecksum {
                        value: full_object(a, &parts, &sizes).ok_or(S3Error::Corrupt)?,
                        composite: false,
                    }
                } else {
                    StoredChecksum {
                        value: composite(a, &parts),
                        composite: true,
                    }
                })
            }
            _ => None,
        };
        if let Some(want) = &expected.expected {
            let bare = |v: &str| v.split('-').next().unwrap_or(v).to_owned();
            match &checksum {
                Some(have) if have.value.algorithm != want.algorithm => {
                    return Err(S3Error::InvalidRequest(format!(
                        "The upload was created using the {} checksum algorithm; the complete request specified {}.",
                        have.value.algorithm.name().to_ascii_lowercase(),
                        want.algorithm.name().to_ascii_lowercase()
                    )));
                }
                Some(have) if bare(&have.value.base64) != bare(&want.base64) => {
                    return Err(S3Error::ChecksumMismatch(want.algorithm));
                }
                Some(_) => {}
                None => {
                    return Err(S3Error::InvalidRequest(format!(
                        "The upload was created without a checksum; the complete request specified {}.",
                        want.algorithm.name().to_ascii_lowercase()
                    )));
                }
            }
        }
        let now = self.now_ms();
        let config = self.versioning_config(bucket)?;
        let state = config.state;
        // The parts carried their checksums (UploadPart required them of a locked upload).
        let lock = self.lock_for_write(&config, upload_meta.lock_request()?, now, true)?;
        let legal_hold_set = upload_meta.legal_hold.is_some();
        // Fixed now, not at CreateMultipartUpload: the bucket's state at completion decides
        // (S3's rule). The parts' packages are bound to their upload, which is this version's
        // alone; the record binds the version to them.
        let version_id = self.version_for_write(state)?;
        let encryption = upload_meta.encryption.clone();
        let stored_meta = StoredMeta {
            meta: upload_meta.meta,
            checksum: checksum.clone(),
            part_sizes: chosen.iter().map(|p| p.size).collect(),
            encryption: encryption.clone(),
            acl: upload_meta.acl,
            upload_id: Some(upload_id.to_owned()),
            legal_hold_set,
        };
        let mut rec = ObjectRecord {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            version_id: version_id.as_str().to_owned(),
            delete_marker: false,
            lock,
            size: chosen.iter().map(|p| p.size).sum(),
            etag: etag.clone(),
            last_modified_ms: now,
            meta: stored_meta.to_bytes(),
            segments: chosen.iter().map(|p| p.segment.clone()).collect(),
            mac: Vec::new(),
        };
        self.tag_record(&mut rec);
        let picked = chosen
            .iter()
            .map(|p| (p.part_number, p.mac.clone()))
            .collect();
        let freed = self
            .meta
            .complete_upload(upload_id, rec, picked, precondition.clone())
            .await
            .map_err(|e| match e {
                e @ StoreError::Precondition(_) => crate::objects::unmet(e),
                e => no_such_upload(e),
            })?;
        self.release_blobs(freed);
        Ok(PutResult {
            encryption,
            etag,
            composite_checksum: checksum.as_ref().is_some_and(|c| c.composite),
            checksum: checksum.map(|c| c.value),
            version_id: state.is_versioned().then_some(version_id),
            last_modified_ms: now,
        })
    }

    /// The answer of a complete that already happened: the object at the key is the one
    /// this upload made (and nothing has replaced it since), else `NoSuchUpload`.
    fn completed_by(&self, bucket: &str, key: &str, upload_id: &str) -> Result<PutResult, S3Error> {
        let rec = match self.object_record(bucket, key) {
            Ok(rec) => rec,
            Err(S3Error::NoSuchKey) => return Err(S3Error::NoSuchUpload),
            Err(e) => return Err(e),
        };
        let stored = StoredMeta::from_bytes(&rec.meta)?;
        if stored.upload_id.as_deref() != Some(upload_id) {
            return Err(S3Error::NoSuchUpload);
        }
        Ok(PutResult {
            encryption: stored.encryption,
            etag: rec.etag,
            composite_checksum: stored.checksum.as_ref().is_some_and(|c| c.composite),
            checksum: stored.checksum.map(|c| c.value),
            version_id: self
                .versioning(bucket)?
                .is_versioned()
                .then_some(crate::VersionId::stored(rec.version_id)),
            last_modified_ms: rec.last_modified_ms,
        })
    }

    pub async fn abort_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), S3Error> {
        self.upload_record(bucket, key, upload_id)?;
        let freed = self
            .meta
            .abort_upload(upload_id)
            .await
            .map_err(no_such_upload)?;
        self.release_blobs(freed);
        Ok(())
    }

    /// Parts after `marker`, at most `max`; and whether more follow.
    pub fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        marker: u32,
        max: usize,
    ) -> Result<(UploadInfo, Vec<PartInfo>, bool), S3Error> {
        let upload = self.upload_record(bucket, key, upload_id)?;
        let mut parts = self.part_records(upload_id, marker, max.saturating_add(1))?;
        let truncated = parts.len() > max;
        parts.truncate(max);
        let parts = parts
            .into_iter()
            .map(|p| {
                let pm: PartMeta = serde_json::from_slice(&p.meta).map_err(|_| S3Error::Corrupt)?;
                Ok(PartInfo {
                    part_number: p.part_number,
                    size: p.size,
                    etag: p.etag,
                    last_modified_ms: p.last_modified_ms,
                    checksum: pm.checksum,
                })
            })
            .collect::<Result<_, S3Error>>()?;
        Ok((upload_info(&upload)?, parts, truncated))
    }

    /// Uploads in progress under `prefix` with keys after `key_marker`; and whether more follow.
    pub fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        max: usize,
    ) -> Result<(Vec<UploadInfo>, bool), S3Error> {
        self.require_bucket(bucket)?;
        let mut ups = self
            .meta
            .list_uploads(bucket, prefix, key_marker, max.saturating_add(1))?;
        let truncated = ups.len() > max;
        ups.truncate(max);
        let ups: Vec<UploadRecord> = ups
            .into_iter()
            .map(|u| self.checked(u))
            .collect::<Result<_, _>>()?;
        Ok((
            ups.iter().map(upload_info).collect::<Result<_, _>>()?,
            truncated,
        ))
    }

    fn upload_record(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<UploadRecord, S3Error> {
        self.require_bucket(bucket)?;
        let upload = self
            .meta
            .upload(upload_id)?
            .filter(|u| u.bucket == bucket && u.key == key)
            .ok_or(S3Error::NoSuchUpload)?;
        self.checked(upload)
    }

    /// Parts of an upload, each authenticated.
    fn part_records(
        &self,
        upload_id: &str,
        after: u32,
        limit: usize,
    ) -> Result<Vec<PartRecord>, S3Error> {
        self.meta
            .parts(upload_id, after, limit)?
            .into_iter()
            .map(|p| self.checked(p))
            .collect()
    }
}

fn check_part_number(n: u32) -> Result<(), S3Error> {
    if !(1..=MAX_PART_NUMBER).contains(&n) {
        return Err(S3Error::InvalidArgument(
            "Part number must be an integer between 1 and 10000, inclusive".into(),
        ));
    }
    Ok(())
}

fn upload_meta(u: &UploadRecord) -> Result<UploadMeta, S3Error> {
    serde_json::from_slice(&u.meta).map_err(|_| S3Error::Corrupt)
}

fn upload_info(u: &UploadRecord) -> Result<UploadInfo, S3Error> {
    let meta = upload_meta(u)?;
    Ok(UploadInfo {
        upload_id: u.upload_id.clone(),
        key: u.key.clone(),
        initiated_ms: u.initiated_ms,
        checksum_algorithm: meta.checksum_algorithm,
        full_object: meta.full_object,
    })
}

fn hex_to_md5(etag: &str) -> Option<[u8; 16]> {
    let h = etag.trim_matches('"');
    let mut out = [0u8; 16];
    if h.len() != 32 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(h.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn no_such_upload(e: StoreError) -> S3Error {
    match e {
        StoreError::NoSuchUpload(_) => S3Error::NoSuchUpload,
        e => crate::objects::locked(e),
    }
}

fn no_such_bucket(e: StoreError) -> S3Error {
    match e {
        StoreError::NoSuchBucket(_) => S3Error::NoSuchBucket,
        e => e.into(),
    }
}
