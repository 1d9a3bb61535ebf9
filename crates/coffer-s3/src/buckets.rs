//! Buckets: create, delete, list, location, tagging.

use coffer_store::{BucketRecord, StoreError};

use crate::{Acl, AclRequest, ObjectOwnership, S3Core, S3Error, Tag};

/// Name under which a bucket's default encryption is kept in its configs.
const ENCRYPTION_CONFIG: &str = "encryption";

/// A bucket's default encryption. Every object is encrypted whatever this says; it chooses
/// how: SSE-S3, SSE-KMS or DSSE-KMS.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct DefaultEncryption {
    /// `None` (or absent in old records) means AES256.
    #[serde(default)]
    pub kms_key: Option<String>,
    #[serde(default)]
    pub kms: bool,
    /// With `kms`: two layers (`aws:kms:dsse`).
    #[serde(default)]
    pub dsse: bool,
    pub bucket_key_enabled: bool,
}

impl DefaultEncryption {
    pub(crate) fn as_request(&self) -> crate::Encryption {
        match (self.kms, self.dsse) {
            (true, true) => crate::Encryption::DsseKms {
                key: self.kms_key.clone(),
                context: None,
            },
            (true, false) => crate::Encryption::SseKms {
                key: self.kms_key.clone(),
                bucket_key: self.bucket_key_enabled,
                context: None,
            },
            _ => crate::Encryption::SseS3,
        }
    }

    /// `SSEAlgorithm` as on the wire.
    pub fn algorithm(&self) -> &'static str {
        match (self.kms, self.dsse) {
            (true, true) => crate::encryption::DSSE_KMS,
            (true, false) => crate::encryption::SSE_KMS,
            _ => crate::encryption::SSE_S3,
        }
    }
}

/// Name under which a bucket's tag set is kept in its configs.
const TAGGING_CONFIG: &str = "tagging";
/// Maximum tags per bucket, as S3.
const MAX_BUCKET_TAGS: usize = 50;

impl S3Core {
    /// Creates `name` for `owner` in `region`. Bucket names are global across accounts.
    pub async fn create_bucket(
        &self,
        owner: &str,
        name: &BucketName,
        region: &str,
    ) -> Result<(), S3Error> {
        self.create_bucket_with(
            owner,
            name,
            region,
            ObjectOwnership::BucketOwnerEnforced,
            None,
            false,
        )
        .await
    }

    /// CreateBucket with an Object Ownership setting, an ACL and Object Lock, all stored with
    /// the bucket in one step. An ACL beyond the owner's full control needs ACLs enabled, and
    /// is never public: a new bucket blocks public ACLs (as S3 since 2023). Object Lock
    /// (`x-amz-bucket-object-lock-enabled`) turns versioning on with it.
    pub async fn create_bucket_with(
        &self,
        owner: &str,
        name: &BucketName,
        region: &str,
        ownership: ObjectOwnership,
        acl: Option<&AclRequest>,
        object_lock: bool,
    ) -> Result<(), S3Error> {
        let name = name.as_str();
        let headers = matches!(acl, Some(AclRequest::GrantHeaders(_)));
        let acl = acl.map(|r| Acl::from_request(r, owner, owner));
        let mut configs = vec![(
            crate::acl::OWNERSHIP_CONFIG.to_owned(),
            crate::acl::ownership_config(Some(ownership)),
        )];
        if object_lock {
            configs.push(Self::object_lock_bucket_config());
        }
        if let Some(acl) = acl.filter(|a| headers || a.grants_beyond_owner()) {
            if !ownership.acls_enabled() {
                return Err(S3Error::InvalidBucketAclWithObjectOwnership);
            }
            // A new bucket blocks public ACLs.
            if acl.is_public() {
                return Err(crate::acl::public_acl_blocked());
            }
            configs.push((
                crate::acl::ACL_CONFIG.to_owned(),
                crate::acl::acl_config(&acl),
            ));
        }
        let rec = BucketRecord {
            name: name.to_owned(),
            owner: owner.to_owned(),
            region: region.to_owned(),
            created_ms: self.now_ms(),
        };
        match self.meta.create_bucket(rec, configs).await {
            Ok(()) => Ok(()),
            Err(StoreError::BucketExists(_)) => {
                let existing = self.meta.bucket(name)?;
                if existing.is_some_and(|b| b.owner == owner) {
                    Err(S3Error::BucketAlreadyOwnedByYou)
                } else {
                    Err(S3Error::BucketAlreadyExists)
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_bucket(&self, name: &str) -> Result<(), S3Error> {
        let result = self.meta.delete_bucket(name).await;
        self.access_cache.invalidate(name);
        match result {
            Ok(freed) => {
                self.release_blobs(freed);
                Ok(())
            }
            Err(StoreError::BucketNotEmpty(_)) => Err(S3Error::BucketNotEmpty),
            Err(StoreError::NoSuchBucket(_)) => Err(S3Error::NoSuchBucket),
            Err(e) => Err(e.into()),
        }
    }

    pub fn bucket(&self, name: &str) -> Result<BucketRecord, S3Error> {
        self.require_bucket(name)
    }

    /// Buckets owned by `owner`, by name.
    pub fn list_buckets(&self, owner: &str) -> Result<Vec<BucketRecord>, S3Error> {
        Ok(self
            .meta
            .list_buckets()?
            .into_iter()
            .filter(|b| b.owner == owner)
            .collect())
    }

    /// As S3 since 2023: a bucket without a configuration reports SSE-S3.
    pub fn default_encryption(&self, bucket: &str) -> Result<DefaultEncryption, S3Error> {
        self.require_bucket(bucket)?;
        match self.meta.bucket_config(bucket, ENCRYPTION_CONFIG)? {
            None => Ok(DefaultEncryption::default()),
            Some(raw) => serde_json::from_slice(&raw).map_err(|_| S3Error::Corrupt),
        }
    }

    /// PutBucketEncryption (`algorithm` as on the wire); `None` resets to the SSE-S3 default.
    pub async fn set_default_encryption(
        &self,
        bucket: &str,
        algorithm: Option<&str>,
        kms_key: Option<&str>,
        bucket_key_enabled: bool,
    ) -> Result<(), S3Error> {
        self.require_bucket(bucket)?;
        let config = match algorithm {
            None => None,
            Some("AES256") => Some(DefaultEncryption {
                kms_key: None,
                kms: false,
                dsse: false,
                bucket_key_enabled,
            }),
            Some(alg @ ("aws:kms" | "aws:kms:dsse")) => {
                if self.kms.is_none() {
                    return Err(S3Error::NotImplemented(
                        "SSE-KMS needs the key service, which is not attached.".into(),
                    ));
                }
                let dsse = alg == "aws:kms:dsse";
                Some(DefaultEncryption {
                    kms_key: kms_key.map(str::to_owned),
                    kms: true,
                    dsse,
                    // Bucket keys do not apply to DSSE-KMS (as S3).
                    bucket_key_enabled: bucket_key_enabled && !dsse,
                })
            }
            Some(other) => {
                return Err(S3Error::InvalidArgument(format!(
                    "Invalid server side encryption algorithm: {other}"
                )));
            }
        };
        let value = config.map(|c| serde_json::to_vec(&c).unwrap_or_default());
        self.meta
            .put_bucket_config(bucket, ENCRYPTION_CONFIG, value)
            .await
            .map_err(|e| match e {
                StoreError::NoSuchBucket(_) => S3Error::NoSuchBucket,
                e => e.into(),
            })
    }

    pub fn bucket_tags(&self, bucket: &str) -> Result<Vec<Tag>, S3Error> {
        self.require_bucket(bucket)?;
        let raw = self
            .meta
            .bucket_config(bucket, TAGGING_CONFIG)?
            .ok_or(S3Error::NoSuchTagSet)?;
        serde_json::from_slice(&raw).map_err(|_| S3Error::Corrupt)
    }

    /// Replaces a bucket's tag set; `None` deletes it.
    pub async fn set_bucket_tags(
        &self,
        bucket: &str,
        tags: Option<Vec<Tag>>,
    ) -> Result<(), S3Error> {
        self.require_bucket(bucket)?;
        if let Some(tags) = &tags {
            crate::meta::validate_tag_set(
                tags,
                MAX_BUCKET_TAGS,
                "Bucket tag count cannot be greater than 50",
            )?;
        }
        let value = tags.map(|t| serde_json::to_vec(&t).unwrap_or_default());
        self.meta
            .put_bucket_config(bucket, TAGGING_CONFIG, value)
            .await
            .map_err(|e| match e {
                StoreError::NoSuchBucket(_) => S3Error::NoSuchBucket,
                e => e.into(),
            })
    }
}

/// S3's bucket naming rules (general purpose buckets).
/// A bucket name as S3 allows one (3 to 63 characters of lower-case letters, digits, dots and
/// hyphens, and the rest of S3's rules): parsed once where a request names a bucket to create.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketName(String);

impl BucketName {
    /// `InvalidBucketName` unless S3 would take it.
    pub fn parse(name: &str) -> Result<Self, S3Error> {
        validate_bucket_name(name)?;
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BucketName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn validate_bucket_name(name: &str) -> Result<(), S3Error> {
    let invalid = || S3Error::InvalidBucketName(name.to_owned());
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return Err(invalid());
    }
    if !b
        .iter()
        .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
    {
        return Err(invalid());
    }
    let edge_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !edge_ok(b[0]) || !edge_ok(b[b.len() - 1]) || name.contains("..") {
        return Err(invalid());
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok()
        || name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
    {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.1", "a".repeat(63).as_str()] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "ABC",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(validate_bucket_name(bad).is_err(), "{bad}");
        }
    }
}
