//! Bucket versioning on the wire: Get/PutBucketVersioning (with MFA Delete: `x-amz-mfa`) and
//! ListObjectVersions.

use coffer_s3::{MfaProof, VersionQuery, VersioningState};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::CofferS3;
use super::convert::{etag, timestamp, url_encode};
use super::list::{common_prefixes, max_keys, url_encoding};
use super::wire::s3_wire;

impl CofferS3 {
    /// What `x-amz-mfa: SERIAL CODE` proves. Only over HTTPS (S3's rule); a code proves
    /// something only from the root user of the bucket's owner, checked against that root's
    /// enabled device and accepted once (a replayed code proves nothing). Whether a proof is
    /// needed is the domain's to say.
    pub(super) async fn mfa_proof(
        &self,
        header: Option<&str>,
        extensions: &http::Extensions,
        bucket: &str,
    ) -> S3Result<MfaProof> {
        let Some(value) = header else {
            return Ok(MfaProof::Absent);
        };
        let over_tls = extensions
            .get::<super::Connection>()
            .is_some_and(|c| c.tls.is_some());
        if !over_tls {
            return Err(s3_error!(
                InvalidRequest,
                "Requests that include x-amz-mfa must use HTTPS."
            ));
        }
        let Some((serial, code)) = value.trim().split_once(' ') else {
            return Err(s3_error!(
                InvalidRequest,
                "The x-amz-mfa header must be the device's serial number, a space and its code."
            ));
        };
        let owner = self.core.bucket(bucket).map_err(s3_wire)?.owner;
        let root = extensions
            .get::<super::authorize::ResolvedCaller>()
            .and_then(|c| c.root_account().map(str::to_owned));
        if root.as_deref() != Some(owner.as_str()) {
            return Ok(MfaProof::Absent);
        }
        let ok = self
            .auth
            .iam
            .verify_mfa(&owner, coffer_iam::Iam::ROOT_MFA_USER, serial, code.trim())
            .await
            .map_err(super::wire::iam_internal)?;
        Ok(if ok {
            MfaProof::Verified
        } else {
            MfaProof::Absent
        })
    }

    pub(super) fn op_get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        let config = self
            .core
            .versioning_config(&req.input.bucket)
            .map_err(s3_wire)?;
        // A bucket that never had versioning: no Status element at all; MFADelete only once
        // it was configured.
        Ok(S3Response::new(GetBucketVersioningOutput {
            status: config
                .state
                .as_str()
                .map(BucketVersioningStatus::from_static),
            mfa_delete: config.mfa_delete.map(|on| {
                MFADeleteStatus::from_static(if on {
                    MFADeleteStatus::ENABLED
                } else {
                    MFADeleteStatus::DISABLED
                })
            }),
        }))
    }

    pub(super) async fn op_put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        let input = req.input;
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        let c = &input.versioning_configuration;
        let mfa_delete = match c.mfa_delete.as_ref().map(MFADelete::as_str) {
            None => None,
            Some(MFADelete::ENABLED) => Some(true),
            Some(MFADelete::DISABLED) => Some(false),
            Some(_) => return Err(super::wire::malformed_xml()),
        };
        let state = match c.status.as_ref().map(BucketVersioningStatus::as_str) {
            Some(BucketVersioningStatus::ENABLED) => VersioningState::Enabled,
            Some(BucketVersioningStatus::SUSPENDED) => VersioningState::Suspended,
            _ => return Err(super::wire::malformed_xml()),
        };
        let mfa = self
            .mfa_proof(input.mfa.as_deref(), &req.extensions, &input.bucket)
            .await?;
        self.core
            .set_versioning(&input.bucket, state, mfa_delete, mfa)
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
        super::ids::version(version_marker.as_deref())?;
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
