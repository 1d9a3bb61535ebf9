//! The S3-visible metadata of an object, stored as JSON in the object's metadata row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ChecksumValue, S3Error};

/// A tag of an object or bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Maximum tags per object, as S3.
pub const MAX_OBJECT_TAGS: usize = 10;

/// Headers a client sets on upload and gets back on download. Stored as JSON in every object
/// row (and authenticated with it), so absent fields are left out: smaller rows, less to
/// parse and tag on every GET. Rows written with explicit nulls read the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `x-amz-meta-*` without the prefix, keys lower-cased.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `x-amz-storage-class` (absent: STANDARD). Every class is stored alike here (all are
    /// instant-access); the class is kept and reported as S3 reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
}

/// The storage classes an object may be written in: S3's instant-access ones. The archive
/// classes (GLACIER, DEEP_ARCHIVE) need restores, which Coffer does not have.
const STORAGE_CLASSES: [&str; 7] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
];

impl ObjectMeta {
    /// The object's storage class as S3 names it.
    pub fn storage_class(&self) -> &str {
        self.storage_class.as_deref().unwrap_or("STANDARD")
    }
}

/// How an object's checksum was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChecksum {
    pub value: ChecksumValue,
    /// `FULL_OBJECT` or `COMPOSITE` (multipart).
    pub composite: bool,
}

/// Everything the S3 layer keeps about an object beyond the store's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredMeta {
    pub(crate) meta: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checksum: Option<StoredChecksum>,
    /// Plaintext sizes of the parts, for multipart objects (GetObjectAttributes, partNumber).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) part_sizes: Vec<u64>,
    #[serde(default)]
    pub(crate) encryption: crate::ObjectEncryption,
    /// The object's ACL where ACLs are enabled and it says more than the bucket owner's
    /// full control (absent: exactly that).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) acl: Option<crate::Acl>,
    /// The multipart upload that made the object (a retried complete answers from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) upload_id: Option<String>,
    /// A legal hold was placed on the version at some time (then GetObjectLegalHold answers
    /// OFF rather than that there is none).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) legal_hold_set: bool,
}

impl StoredMeta {
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings and maps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub(crate) fn from_bytes(b: &[u8]) -> Result<Self, S3Error> {
        serde_json::from_slice(b).map_err(|_| S3Error::Corrupt)
    }
}

/// An object as clients see it (HeadObject, GetObject headers, attributes).
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub bucket: String,
    pub key: String,
    pub version_id: crate::VersionId,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
    pub meta: ObjectMeta,
    pub checksum: Option<StoredChecksum>,
    pub part_sizes: Vec<u64>,
    pub encryption: crate::ObjectEncryption,
    /// The version's Object Lock.
    pub lock: coffer_store::ObjectLock,
    /// A legal hold was ever placed on it (so its status is reported, ON or OFF).
    pub legal_hold_set: bool,
}

impl ObjectInfo {
    pub(crate) fn from_record(rec: &coffer_store::ObjectRecord) -> Result<Self, S3Error> {
        let stored = StoredMeta::from_bytes(&rec.meta)?;
        Ok(Self {
            bucket: rec.bucket.clone(),
            key: rec.key.clone(),
            version_id: crate::VersionId::stored(rec.version_id.clone()),
            size: rec.size,
            etag: rec.etag.clone(),
            last_modified_ms: rec.last_modified_ms,
            meta: stored.meta,
            checksum: stored.checksum,
            part_sizes: stored.part_sizes,
            encryption: stored.encryption,
            lock: rec.lock,
            legal_hold_set: stored.legal_hold_set,
        })
    }
}

/// Largest total of user metadata (keys and values, UTF-8 bytes), as S3: 2 KiB.
pub(crate) const MAX_USER_METADATA: usize = 2 * 1024;

/// Validates an object's headers as S3 does: its tag set and the size of its user metadata.
pub(crate) fn validate_meta(meta: &ObjectMeta) -> Result<(), S3Error> {
    validate_tags(&meta.tags)?;
    if let Some(class) = &meta.storage_class
        && !STORAGE_CLASSES.contains(&class.as_str())
    {
        return Err(S3Error::InvalidStorageClass(class.clone()));
    }
    let size: usize = meta.user.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_USER_METADATA {
        return Err(S3Error::MetadataTooLarge);
    }
    Ok(())
}

/// Validates an object tag set as S3 does.
pub(crate) fn validate_tags(tags: &[Tag]) -> Result<(), S3Error> {
    validate_tag_set(
        tags,
        MAX_OBJECT_TAGS,
        "Object tags cannot be greater than 10",
    )
}

/// A tag set of at most `max` tags with keys of 1 to 128 and values of at most 256
/// characters, unique keys, none in the reserved `aws:` space.
pub(crate) fn validate_tag_set(tags: &[Tag], max: usize, too_many: &str) -> Result<(), S3Error> {
    if tags.len() > max {
        return Err(S3Error::InvalidTag(too_many.into()));
    }
    let mut seen = std::collections::HashSet::new();
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(S3Error::InvalidTag(
                "The TagKey you have provided is invalid".into(),
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(S3Error::InvalidTag(
                "The TagValue you have provided is invalid".into(),
            ));
        }
        if t.key.len() >= 4 && t.key[..4].eq_ignore_ascii_case("aws:") {
            return Err(S3Error::InvalidTag(
                "System tags cannot be added/updated by requester".into(),
            ));
        }
        if !seen.insert(&t.key) {
            return Err(S3Error::InvalidTag(
                "Cannot provide multiple Tags with the same key".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_meta_is_compact_and_reads_older_rows() {
        let plain = StoredMeta::default();
        assert_eq!(
            String::from_utf8(plain.to_bytes()).unwrap(),
            r#"{"meta":{},"encryption":{"algorithm":"AES256"}}"#
        );
        // A row as written before fields were left out.
        let older = br#"{"meta":{"content_type":null,"content_encoding":null,"content_disposition":null,"content_language":null,"cache_control":null,"expires":null,"user":{},"tags":[]},"checksum":null,"part_sizes":[],"encryption":{"algorithm":"AES256","kms_key_arn":null,"bucket_key_enabled":false}}"#;
        assert_eq!(StoredMeta::from_bytes(older).unwrap(), plain);
        let mut full = StoredMeta::default();
        full.meta.content_type = Some("text/plain".into());
        full.meta.user.insert("who".into(), "me".into());
        full.part_sizes = vec![5, 6];
        full.encryption.bucket_key_enabled = true;
        full.encryption.kms_key_arn = Some("arn:aws:kms:r:1:key/k".into());
        assert_eq!(StoredMeta::from_bytes(&full.to_bytes()).unwrap(), full);
    }
}
