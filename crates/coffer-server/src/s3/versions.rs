//! Bucket versioning on the wire: Get/PutBucketVersioning and ListObjectVersions.

use coffer_s3::{VersionQuery, VersioningState};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::CofferS3;
use super::convert::{etag, timestamp, url_encode};
use super::list::{common_prefixes, max_keys, url_encoding};
use super::unconfigured::not_kept;
use super::wire::s3_wire;

impl CofferS3 {
    pub(super) fn op_get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let state = self.core.versioning(&req.input.bucket).map_err(s3_wire)?;
        // A bucket that never had versioning: no Status element at all.
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: state.as_str().map(BucketVersioningStatus::from_static),
            ..Default::default()
        }))
    }

    pub(super) async fn op_put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let input = req.input;
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        let c = &input.versioning_configuration;
        // MFA Delete is a protection: refused until it is enforced, never accepted and ignored.
        if c.mfa_delete.is_some() || input.mfa.is_some() {
            return Err(not_kept("MFA Delete"));
        }
        let state = match c.status.as_ref().map(BucketVersioningStatus::as_str) {
            Some(BucketVersioningStatus::ENABLED) => VersioningState::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => VersioningState::Suspended,
            _ => {
                return Err(s3_error!(
                    MalformedXML,
                    "The XML you provided was not well-formed or did not validate against our published schema"
                ));
            }
        };
        self.core
            .set_versioning(&input.bucket, state)
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutBucketVersioningOutput {}))
    }

    pub(super) fn op_list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input;
        let encode = url_encoding(input.encoding_type.as_ref())?;
        let version_marker = input.version_id_marker.clone().filter(|v| !v.is_empty());
        if version_marker.is_some() && input.key_marker.as_deref().is_none_or(str::is_empty) {
            return Err(s3_error!(
                InvalidArgument,
                "A version-id marker cannot be specified without a key marker."
            ));
        }
        super::convert::version(version_marker.as_deref())?;
        let q = VersionQuery {
            prefix: input.prefix.clone().unwrap_or_default(),
            delimiter: input.delimiter.clone(),
            key_marker: input.key_marker.clone().filter(|m| !m.is_empty()),
            version_marker,
            max_keys: max_keys(input.max_keys)?,
        };
        let page = self
            .core
            .list_versions(&input.bucket, &q)
            .map_err(s3_wire)?;
        let owner = self.bucket_owner(&input.bucket)?;
        let enc = |s: &str| {
            if encode { url_encode(s) } else { s.to_owned() }
        };
        let (mut versions, mut markers) = (Vec::new(), Vec::new());
        for v in page.versions {
            if v.delete_marker {
                markers.push(DeleteMarkerEntry {
                    is_latest: Some(v.is_latest),
                    key: Some(enc(&v.key)),
                    last_modified: Some(timestamp(v.last_modified_ms)),
                    owner: Some(owner.clone()),
                    version_id: Some(v.version_id),
                });
            } else {
                versions.push(ObjectVersion {
                    e_tag: Some(etag(&v.etag)),
                    is_latest: Some(v.is_latest),
                    key: Some(enc(&v.key)),
                    last_modified: Some(timestamp(v.last_modified_ms)),
                    owner: Some(owner.clone()),
                    size: Some(i64::try_from(v.size).unwrap_or(i64::MAX)),
                    storage_class: Some(ObjectVersionStorageClass::from_static(
                        ObjectVersionStorageClass::STANDARD,
                    )),
                    version_id: Some(v.version_id),
                    ..Default::default()
                });
            }
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            common_prefixes: Some(common_prefixes(&page.common_prefixes, encode)),
            delete_markers: Some(markers),
            delimiter: input.delimiter.as_deref().map(enc),
            encoding_type: input.encoding_type,
            is_truncated: Some(page.is_truncated),
            key_marker: Some(enc(input.key_marker.as_deref().unwrap_or_default())),
            max_keys: Some(i32::try_from(q.max_keys).unwrap_or(i32::MAX)),
            name: Some(input.bucket),
            next_key_marker: page.next_key_marker.as_deref().map(enc),
            next_version_id_marker: page.next_version_marker,
            prefix: Some(enc(&q.prefix)),
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            versions: Some(versions),
            ..Default::default()
        }))
    }
}
