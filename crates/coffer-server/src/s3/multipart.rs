use coffer_s3::{ByteRange, ChecksumAlgorithm, CompletedPart as Done, PartCopyKeys};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::body::request_body;
use super::convert::{
    checksum_headers, conditions, declared_length, etag, integrity, object_meta, set_checksum,
    timestamp,
};
use super::sse::{customer_key, set_sse};
use super::wire::s3_wire;
use super::{CofferS3, no_content};

fn part_number(n: i32) -> S3Result<u32> {
    u32::try_from(n).map_err(|_| {
        s3_error!(
            InvalidArgument,
            "Part number must be an integer between 1 and 10000, inclusive"
        )
    })
}

/// `x-amz-copy-source-range: bytes=first-last` (both required, as S3).
fn copy_range(s: &str) -> S3Result<ByteRange> {
    let bad = || {
        s3_error!(
            InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy"
        )
    };
    let spec = s.strip_prefix("bytes=").ok_or_else(bad)?;
    let (a, b) = spec.split_once('-').ok_or_else(bad)?;
    let first = a.parse().map_err(|_| bad())?;
    let last = b.parse().map_err(|_| bad())?;
    Ok(ByteRange::FromTo {
        first,
        last: Some(last),
    })
}

impl CofferS3 {
    pub(super) async fn op_create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        let lock = super::object_lock::lock_request!(input)?;
        let customer = customer_key!(input)?;
        let requested = super::sse::requested_encryption(
            super::sse::SseRequest {
                sse: input.server_side_encryption.as_ref(),
                kms_key: input.ssekms_key_id.as_ref(),
                bucket_key: input.bucket_key_enabled,
                context: input.ssekms_encryption_context.as_ref(),
            },
            customer,
        )?;
        let v = super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let encryption = self
            .write_encryption(&v, requested, &input.bucket, &input.key)
            .await?;
        let algorithm = input
            .checksum_algorithm
            .as_ref()
            .map(|a| {
                ChecksumAlgorithm::parse(a.as_str()).ok_or_else(|| {
                    s3_error!(
                        InvalidRequest,
                        "Checksum algorithm provided is unsupported."
                    )
                })
            })
            .transpose()?;
        let checksum = coffer_s3::UploadChecksum::new(
            algorithm,
            input.checksum_type.as_ref().map(ChecksumType::as_str),
        )
        .map_err(s3_wire)?;
        let meta = object_meta!(input, input.tagging.as_deref()).map_err(s3_wire)?;
        let acl = self.write_acl(
            &req.extensions,
            &input.bucket,
            &super::acl::acl_fields!(input),
        )?;
        let id = self
            .core
            .create_upload(coffer_s3::UploadRequest {
                bucket: input.bucket.clone(),
                key: input.key.clone(),
                meta,
                checksum,
                encryption: Some(encryption.as_request()),
                acl,
                lock,
            })
            .await
            .map_err(s3_wire)?;
        let mut out = CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            checksum_algorithm: input.checksum_algorithm,
            checksum_type: checksum.map(|c| checksum_type_of(c.full_object)),
            ..Default::default()
        };
        set_sse!(out, &encryption, customer);
        out.ssekms_encryption_context = super::sse::context_header(&encryption);
        Ok(S3Response::new(out))
    }

    /// The upload's encryption; under SSE-KMS each part needs the requester's
    /// `kms:GenerateDataKey` (S3 makes a data key per part), as on AWS.
    fn part_encryption(
        &self,
        v: &super::authorize::RequestView<'_>,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> S3Result<coffer_s3::ObjectEncryption> {
        let encryption = self
            .core
            .upload_encryption(bucket, key, upload_id)
            .map_err(s3_wire)?;
        self.auth
            .check_kms(v, "GenerateDataKey", &encryption, bucket, key)?;
        Ok(encryption)
    }

    pub(super) async fn op_upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let mut input = req.input;
        let n = part_number(input.part_number)?;
        let customer = customer_key!(input)?;
        let v = super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let encryption = self.part_encryption(&v, &input.bucket, &input.key, &input.upload_id)?;
        let algorithm = input.checksum_algorithm.take();
        let mut integrity = integrity(
            input.content_md5.as_deref(),
            checksum_headers!(input, algorithm),
            &req.headers,
            req.trailing_headers,
        )
        .map_err(s3_wire)?;
        integrity.length = declared_length(&req.headers).map_err(s3_wire)?;
        let p = self
            .core
            .upload_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                n,
                request_body(input.body),
                integrity,
                customer.as_ref(),
            )
            .await
            .map_err(s3_wire)?;
        let mut out = UploadPartOutput {
            e_tag: Some(etag(&p.etag)),
            ..Default::default()
        };
        set_sse!(out, &encryption, customer);
        set_checksum!(out, p.checksum.as_ref());
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        let n = part_number(input.part_number)?;
        let customer = customer_key!(input)?;
        let source_customer = customer_key!(input, copy_source)?;
        let CopySource::Bucket {
            bucket: src_bucket,
            key: src_key,
            version_id: src_version,
        } = input.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "Copying from an access point is not available yet"
            ));
        };
        let v = super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let encryption = self.part_encryption(&v, &input.bucket, &input.key, &input.upload_id)?;
        let src_version = super::ids::version(src_version.as_deref())?;
        let src_version = coffer_s3::VersionSelector::of(src_version.as_ref());
        self.check_source_kms(&v, &src_bucket, &src_key, src_version)?;
        let range = input
            .copy_source_range
            .as_deref()
            .map(copy_range)
            .transpose()?;
        let conds = conditions(
            input.copy_source_if_match,
            input.copy_source_if_none_match,
            input.copy_source_if_modified_since,
            input.copy_source_if_unmodified_since,
        );
        let p = self
            .core
            .upload_part_copy(
                &input.bucket,
                &input.key,
                &input.upload_id,
                n,
                &src_bucket,
                &src_key,
                src_version,
                range,
                &conds,
                PartCopyKeys {
                    upload: customer.as_ref(),
                    source: source_customer.as_ref(),
                },
            )
            .await
            .map_err(s3_wire)?;
        let mut result = CopyPartResult {
            e_tag: Some(etag(&p.etag)),
            last_modified: Some(timestamp(p.last_modified_ms)),
            ..Default::default()
        };
        set_checksum!(result, p.checksum.as_ref());
        let mut out = UploadPartCopyOutput {
            copy_part_result: Some(result),
            ..Default::default()
        };
        set_sse!(out, &encryption, customer);
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let mut input = req.input;
        let parts = input
            .multipart_upload
            .take()
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|mut p| {
                let checksum = checksum_headers!(p, None).value().map_err(s3_wire)?;
                Ok(Done {
                    part_number: u32::try_from(p.part_number.unwrap_or(0))
                        .map_err(|_| s3_error!(InvalidPart))?,
                    etag: p.e_tag.map(|e| e.value().to_owned()).unwrap_or_default(),
                    checksum: checksum.map(|c| c.base64),
                })
            })
            .collect::<S3Result<Vec<_>>>()?;
        let checksum = coffer_s3::CompleteChecksum {
            expected: checksum_headers!(input, None).value().map_err(s3_wire)?,
            full_object: match input.checksum_type.as_ref().map(ChecksumType::as_str) {
                None => None,
                Some(ChecksumType::FULL_OBJECT) => Some(true),
                Some(ChecksumType::COMPOSITE) => Some(false),
                Some(_) => {
                    return Err(s3_error!(
                        InvalidRequest,
                        "Value for x-amz-checksum-type header is invalid."
                    ));
                }
            },
        };
        let precondition = super::convert::write_precondition(
            input.if_match.as_ref(),
            input.if_none_match.as_ref(),
        )?;
        let r = self
            .core
            .complete_upload(
                &input.bucket,
                &input.key,
                &input.upload_id,
                &parts,
                &precondition,
                &checksum,
            )
            .await
            .map_err(s3_wire)?;
        let mut out = CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            e_tag: Some(etag(&r.etag)),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            version_id: r.version_id.as_ref().map(ToString::to_string),
            ..Default::default()
        };
        set_sse!(out, &r.encryption);
        if r.checksum.is_some() {
            out.checksum_type = Some(checksum_type_of(!r.composite_checksum));
        }
        set_checksum!(out, r.checksum.as_ref());
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let i = req.input;
        self.core
            .abort_upload(&i.bucket, &i.key, &i.upload_id)
            .await
            .map_err(s3_wire)?;
        no_content(AbortMultipartUploadOutput::default())
    }

    pub(super) fn op_list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let i = req.input;
        let marker = i
            .part_number_marker
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0);
        let max = i
            .max_parts
            .and_then(|m| usize::try_from(m).ok())
            .unwrap_or(1000)
            .min(1000);
        let (upload, parts, truncated) = self
            .core
            .list_parts(&i.bucket, &i.key, &i.upload_id, marker, max)
            .map_err(s3_wire)?;
        let next = parts.last().map(|p| p.part_number as i32);
        let parts = parts
            .into_iter()
            .map(|p| {
                let mut part = Part {
                    e_tag: Some(etag(&p.etag)),
                    last_modified: Some(timestamp(p.last_modified_ms)),
                    part_number: i32::try_from(p.part_number).ok(),
                    size: i64::try_from(p.size).ok(),
                    ..Default::default()
                };
                set_checksum!(part, p.checksum.as_ref());
                part
            })
            .collect();
        let owner = self.bucket_owner(&i.bucket)?;
        Ok(S3Response::new(ListPartsOutput {
            bucket: Some(i.bucket),
            key: Some(i.key),
            upload_id: Some(i.upload_id),
            checksum_algorithm: upload
                .checksum_algorithm
                .map(|a| ChecksumAlgorithm_::from(a.name().to_owned())),
            checksum_type: upload
                .checksum_algorithm
                .map(|_| checksum_type_of(upload.full_object)),
            is_truncated: Some(truncated),
            max_parts: i32::try_from(max).ok(),
            next_part_number_marker: next,
            part_number_marker: i.part_number_marker,
            owner: Some(owner),
            parts: Some(parts),
            ..Default::default()
        }))
    }

    pub(super) fn op_list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let i = req.input;
        let max = i
            .max_uploads
            .and_then(|m| usize::try_from(m).ok())
            .unwrap_or(1000)
            .min(1000);
        let prefix = i.prefix.clone().unwrap_or_default();
        let marker = i.key_marker.clone().unwrap_or_default();
        let (uploads, truncated) = self
            .core
            .list_uploads(&i.bucket, &prefix, &marker, max)
            .map_err(s3_wire)?;
        let owner = self.bucket_owner(&i.bucket)?;
        let next_key = uploads.last().map(|u| u.key.clone());
        let next_id = uploads.last().map(|u| u.upload_id.clone());
        let uploads = uploads
            .into_iter()
            .map(|u| MultipartUpload {
                checksum_algorithm: u
                    .checksum_algorithm
                    .map(|a| ChecksumAlgorithm_::from(a.name().to_owned())),
                checksum_type: u
                    .checksum_algorithm
                    .map(|_| checksum_type_of(u.full_object)),
                initiated: Some(timestamp(u.initiated_ms)),
                key: Some(u.key),
                owner: Some(owner.clone()),
                upload_id: Some(u.upload_id),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(i.bucket),
            is_truncated: Some(truncated),
            key_marker: i.key_marker,
            max_uploads: i32::try_from(max).ok(),
            next_key_marker: truncated.then_some(next_key).flatten(),
            next_upload_id_marker: truncated.then_some(next_id).flatten(),
            prefix: i.prefix,
            upload_id_marker: i.upload_id_marker,
            uploads: Some(uploads),
            ..Default::default()
        }))
    }
}

/// s3s's DTO of the same name, kept distinct from the domain's enum.
type ChecksumAlgorithm_ = s3s::dto::ChecksumAlgorithm;

/// `FULL_OBJECT` or `COMPOSITE`.
fn checksum_type_of(full_object: bool) -> ChecksumType {
    ChecksumType::from_static(if full_object {
        ChecksumType::FULL_OBJECT
    } else {
        ChecksumType::COMPOSITE
    })
}
