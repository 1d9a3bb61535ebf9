//! Bucket versioning: the bucket's state (unversioned until first configured, then Enabled or
//! Suspended — never unversioned again), version ids, and which version a request means.
//!
//! The store keeps every version of a key, newest current; this module decides what a write
//! adds (a new version under Enabled, the `null` version otherwise) and what a delete without
//! a version id does (a delete marker once the bucket is versioned).

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

    fn parse(s: &[u8]) -> Result<Self, S3Error> {
        match s {
            b"Enabled" => Ok(Self::Enabled),
            b"Suspended" => Ok(Self::Suspended),
            _ => Err(S3Error::Corrupt),
        }
    }

    /// Whether the bucket has ever been versioned: then version ids are reported.
    pub fn is_versioned(self) -> bool {
        self != Self::Unversioned
    }
}

/// Which version of a key a request names: the current one, or one by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionSelector<'a> {
    #[default]
    Current,
    Id(&'a str),
}

impl<'a> VersionSelector<'a> {
    /// A `versionId` as the request gives it: absent is the current version; an id that
    /// Coffer could not have made is S3's `InvalidArgument`.
    pub fn parse(version_id: Option<&'a str>) -> Result<Self, S3Error> {
        match version_id {
            None => Ok(Self::Current),
            Some(v) if is_version_id(v) => Ok(Self::Id(v)),
            Some(_) => Err(S3Error::InvalidArgument(
                "Invalid version id specified".into(),
            )),
        }
    }
}

/// `null`, or an id of the form [`S3Core::new_version_id`] makes.
pub fn is_version_id(v: &str) -> bool {
    v == NULL_VERSION || (v.len() == VERSION_ID_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What a delete did (the `x-amz-version-id` and `x-amz-delete-marker` of its answer).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteResult {
    /// The version removed, or the delete marker added; `None` in an unversioned bucket.
    pub version_id: Option<String>,
    /// A delete marker was added, or the version removed was one.
    pub delete_marker: bool,
}

impl S3Core {
    pub fn versioning(&self, bucket: &str) -> Result<VersioningState, S3Error> {
        self.require_bucket(bucket)?;
        match self.meta.bucket_config(bucket, VERSIONING_CONFIG)? {
            None => Ok(VersioningState::Unversioned),
            Some(v) => VersioningState::parse(&v),
        }
    }

    /// PutBucketVersioning's status: Enabled or Suspended (a bucket never returns to
    /// unversioned, and S3 has no way to ask for it).
    pub async fn set_versioning(
        &self,
        bucket: &str,
        state: VersioningState,
    ) -> Result<(), S3Error> {
        let Some(value) = state.as_str() else {
            return Err(S3Error::MalformedXml);
        };
        self.require_bucket(bucket)?;
        self.meta
            .put_bucket_config(bucket, VERSIONING_CONFIG, Some(value.as_bytes().to_vec()))
            .await?;
        Ok(())
    }

    /// The id a new version written to `bucket` gets: a fresh one under Enabled, `null`
    /// otherwise (which replaces the key's `null` version).
    pub(crate) fn version_for_write(&self, state: VersioningState) -> Result<String, S3Error> {
        Ok(match state {
            VersioningState::Enabled => self.new_version_id()?,
            VersioningState::Unversioned | VersioningState::Suspended => NULL_VERSION.to_owned(),
        })
    }

    /// A random version id: 32 characters of `[0-9A-Za-z]` (S3's are opaque strings too).
    pub(crate) fn new_version_id(&self) -> Result<String, S3Error> {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut raw = [0u8; VERSION_ID_LEN];
        aws_lc_rs::rand::SecureRandom::fill(&self.rng, &mut raw)
            .map_err(|_| coffer_crypto::CryptoError::Random)?;
        // 62 does not divide 256: the slight bias costs nothing here (ids are not secrets,
        // only unique).
        Ok(raw
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_ids() {
        assert!(is_version_id("null"));
        assert!(is_version_id(&"aZ09".repeat(8)));
        assert!(!is_version_id("Null"));
        assert!(!is_version_id(&"a".repeat(31)));
        assert!(!is_version_id(&"a/".repeat(16)));
        assert!(matches!(
            VersionSelector::parse(Some("../x")),
            Err(S3Error::InvalidArgument(_))
        ));
        assert_eq!(
            VersionSelector::parse(None).unwrap(),
            VersionSelector::Current
        );
    }
}
