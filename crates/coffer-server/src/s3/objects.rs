use coffer_s3::{ByteRange, CopyRequest, MetadataDirective as Directive, ObjectInfo, PutRequest};
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::authorize::view;
use super::body::{request_body, response_body};
use super::convert::{
    checksum_headers, conditions, declared_length, etag, expires_timestamp, from_dto_tags,
    integrity, object_meta, parse_tagging_header, set_checksum, timestamp, to_dto_tags,
    write_precondition, write_precondition_headers,
};
use super::ids::{reported_version, version};
use super::sse::{SseRequest, context_header, customer_key, requested_encryption, set_sse};
use super::wire::s3_wire;
use super::{CofferS3, no_content};

fn user_metadata(info: &ObjectInfo) -> Option<Metadata> {
    (!info.meta.user.is_empty()).then(|| info.meta.user.clone().into_iter().collect())
}

fn wants_checksum(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case(ChecksumMode::ENABLED))
}

/// `x-amz-storage-class`, which S3 leaves out for STANDARD.
fn storage_class_header(info: &ObjectInfo) -> Option<StorageClass> {
    info.meta
        .storage_class
        .as_ref()
        .filter(|c| c.as_str() != "STANDARD")
        .map(|c| StorageClass::from(c.clone()))
}

fn checksum_type(info: &ObjectInfo) -> Option<ChecksumType> {
    info.checksum.as_ref().map(|c| {
        ChecksumType::from_static(if c.composite {
            ChecksumType::COMPOSITE
        } else {
            ChecksumType::FULL_OBJECT
        })
    })
}

impl CofferS3 {
    /// The encryption a write gets (the request's, else the bucket default), once the
    /// requester's `kms:GenerateDataKey` is judged if it is SSE-KMS.
    pub(super) async fn write_encryption(
        &self,
        v: &super::authorize::RequestView<'_>,
        requested: Option<coffer_s3::Encryption>,
        bucket: &str,
        key: &str,
    ) -> S3Result<coffer_s3::ObjectEncryption> {
        let encryption = self
            .core
            .effective_encryption(bucket, requested)
            .await
            .map_err(s3_wire)?;
        self.auth
            .check_kms(v, "GenerateDataKey", &encryption, bucket, key)?;
        Ok(encryption)
    }

    /// A copy reads its source: under SSE-KMS that needs the requester's `kms:Decrypt`. (A
    /// missing source, or an SSE-C source, is judged by the copy itself.)
    pub(super) fn check_source_kms(
        &self,
        v: &super::authorize::RequestView<'_>,
        bucket: &str,
        key: &str,
        source_version: coffer_s3::VersionSelector<'_>,
    ) -> S3Result<()> {
        if let Ok(src) = self.core.head_object(
            bucket,
            key,
            source_version,
            &coffer_s3::Conditions::default(),
            None,
        ) {
            self.auth
                .check_kms(v, "Decrypt", &src.encryption, bucket, key)?;
        }
        Ok(())
    }

    pub(super) async fn op_put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let mut input = req.input;
        let lock = super::object_lock::lock_request!(input)?;
        let customer = customer_key!(input)?;
        let requested = requested_encryption(
            SseRequest {
                sse: input.server_side_encryption.as_ref(),
                kms_key: input.ssekms_key_id.as_ref(),
                bucket_key: input.bucket_key_enabled,
                context: input.ssekms_encryption_context.as_ref(),
            },
            customer,
        )?;
        let v = view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let encryption = self
            .write_encryption(&v, requested, &input.bucket, &input.key)
            .await?;
        let algorithm = input.checksum_algorithm.take();
        let mut integrity = integrity(
            input.content_md5.as_deref(),
            checksum_headers!(input, algorithm),
            &req.headers,
            req.trailing_headers,
        )
        .map_err(s3_wire)?;
        // s3s hands a browser form upload (POST) in as a PutObject: its length is the form's.
        if req.method != http::Method::POST {
            integrity.length = declared_length(&req.headers).map_err(s3_wire)?;
        }
        let meta = object_meta!(input, input.tagging.as_deref()).map_err(s3_wire)?;
        let precondition =
            write_precondition(input.if_match.as_ref(), input.if_none_match.as_ref())?;
        let acl = self.write_acl(
            &req.extensions,
            &input.bucket,
            &super::acl::acl_fields!(input),
        )?;
        let put = PutRequest {
            bucket: input.bucket,
            key: input.key,
            meta,
            body: request_body(input.body),
            integrity,
            encryption: Some(encryption.as_request()),
            precondition,
            acl,
            lock,
        };
        let r = self.core.put_object(put).await.map_err(s3_wire)?;
        let mut out = PutObjectOutput {
            e_tag: Some(etag(&r.etag)),
            version_id: r.version_id.as_ref().map(ToString::to_string),
            ..Default::default()
        };
        set_sse!(out, &r.encryption, customer);
        out.ssekms_encryption_context = context_header(&r.encryption);
        set_checksum!(out, r.checksum.as_ref());
        if r.checksum.is_some() {
            out.checksum_type = Some(ChecksumType::from_static(ChecksumType::FULL_OBJECT));
        }
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let input = req.input;
        let customer = customer_key!(input)?;
        let selected = version(input.version_id.as_deref())?;
        let conds = conditions(
            input.if_match,
            input.if_none_match,
            input.if_modified_since,
            input.if_unmodified_since,
        );
        let mut range = input.range.map(|r| match r {
            Range::Int { first, last } => ByteRange::FromTo { first, last },
            Range::Suffix { length } => ByteRange::Suffix(length),
        });
        let mut parts_count = None;
        if let Some(n) = input.part_number {
            if range.is_some() {
                return Err(s3_error!(
                    InvalidRequest,
                    "Cannot specify both Range header and partNumber query parameter"
                ));
            }
            let info = self
                .core
                .head_object(
                    &input.bucket,
                    &input.key,
                    coffer_s3::VersionSelector::of(selected.as_ref()),
                    &conds,
                    customer.as_ref(),
                )
                .map_err(s3_wire)?;
            let sizes = if info.part_sizes.is_empty() {
                vec![info.size]
            } else {
                info.part_sizes.clone()
            };
            let idx = usize::try_from(n)
                .ok()
                .filter(|&i| i >= 1 && i <= sizes.len())
                .ok_or_else(|| {
                    let mut e = s3s::S3Error::with_message(
                        s3s::S3ErrorCode::Custom("InvalidPartNumber".into()),
                        "The requested partnumber is not satisfiable",
                    );
                    e.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
                    e
                })?;
            let first: u64 = sizes[..idx - 1].iter().sum();
            if sizes[idx - 1] > 0 {
                range = Some(ByteRange::FromTo {
                    first,
                    last: Some(first + sizes[idx - 1] - 1),
                });
            }
            parts_count = Some(i32::try_from(sizes.len()).unwrap_or(i32::MAX));
        }
        // SSE-KMS objects need the requester's own kms:Decrypt, judged before any byte is read.
        let v = view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let r = self
            .core
            .get_object_checked(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(selected.as_ref()),
                range,
                &conds,
                customer.as_ref(),
                |info| {
                    self.auth
                        .check_kms(&v, "Decrypt", &info.encryption, &input.bucket, &input.key)
                },
            )
            .await
            .map_err(s3_wire)??;
        let info = r.info;
        let (len, content_range) = match &r.range {
            Some(rg) => (
                rg.end - rg.start,
                Some(format!("bytes {}-{}/{}", rg.start, rg.end - 1, info.size)),
            ),
            None => (info.size, None),
        };
        let mut out = GetObjectOutput {
            accept_ranges: Some("bytes".into()),
            storage_class: storage_class_header(&info),
            body: Some(response_body(r.body, len)),
            cache_control: input
                .response_cache_control
                .or(info.meta.cache_control.clone()),
            content_disposition: input
                .response_content_disposition
                .or(info.meta.content_disposition.clone()),
            content_encoding: input
                .response_content_encoding
                .or(info.meta.content_encoding.clone()),
            content_language: input
                .response_content_language
                .or(info.meta.content_language.clone()),
            content_length: Some(i64::try_from(len).unwrap_or(i64::MAX)),
            content_range,
            content_type: input
                .response_content_type
                .or(info.meta.content_type.clone())
                .or(Some("binary/octet-stream".into())),
            e_tag: Some(etag(&info.etag)),
            expires: input
                .response_expires
                .or_else(|| expires_timestamp(info.meta.expires.as_ref())),
            last_modified: Some(timestamp(info.last_modified_ms)),
            metadata: user_metadata(&info),
            parts_count,
            tag_count: (!info.meta.tags.is_empty())
                .then(|| i32::try_from(info.meta.tags.len()).unwrap_or(0)),
            version_id: reported_version(&info.version_id),
            ..Default::default()
        };
        set_sse!(out, &info.encryption, customer);
        (
            out.object_lock_mode,
            out.object_lock_retain_until_date,
            out.object_lock_legal_hold_status,
        ) = super::object_lock::lock_headers(&self.auth, &v, &info);
        // A checksum describes the whole object; S3 returns it only for full reads.
        if wants_checksum(input.checksum_mode.as_ref()) && r.range.is_none() {
            set_checksum!(out, info.checksum.as_ref().map(|c| &c.value));
            out.checksum_type = checksum_type(&info);
        }
        let mut resp = S3Response::new(out);
        if r.range.is_some() {
            resp.status = Some(http::StatusCode::PARTIAL_CONTENT);
        }
        Ok(resp)
    }

    pub(super) fn op_head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let input = req.input;
        let conds = conditions(
            input.if_match,
            input.if_none_match,
            input.if_modified_since,
            input.if_unmodified_since,
        );
        let customer = customer_key!(input)?;
        let info = self
            .core
            .head_object(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                &conds,
                customer.as_ref(),
            )
            .map_err(s3_wire)?;
        let v = view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        let (object_lock_mode, object_lock_retain_until_date, object_lock_legal_hold_status) =
            super::object_lock::lock_headers(&self.auth, &v, &info);
        let mut out = HeadObjectOutput {
            object_lock_mode,
            object_lock_retain_until_date,
            object_lock_legal_hold_status,
            accept_ranges: Some("bytes".into()),
            storage_class: storage_class_header(&info),
            cache_control: info.meta.cache_control.clone(),
            content_disposition: info.meta.content_disposition.clone(),
            content_encoding: info.meta.content_encoding.clone(),
            content_language: info.meta.content_language.clone(),
            content_length: Some(i64::try_from(info.size).unwrap_or(i64::MAX)),
            content_type: info
                .meta
                .content_type
                .clone()
                .or(Some("binary/octet-stream".into())),
            e_tag: Some(etag(&info.etag)),
            expires: expires_timestamp(info.meta.expires.as_ref()),
            last_modified: Some(timestamp(info.last_modified_ms)),
            metadata: user_metadata(&info),
            parts_count: (!info.part_sizes.is_empty())
                .then(|| i32::try_from(info.part_sizes.len()).unwrap_or(0)),
            version_id: reported_version(&info.version_id),
            ..Default::default()
        };
        set_sse!(out, &info.encryption, customer);
        if wants_checksum(input.checksum_mode.as_ref()) {
            set_checksum!(out, info.checksum.as_ref().map(|c| &c.value));
            out.checksum_type = checksum_type(&info);
        }
        Ok(S3Response::new(out))
    }

    pub(super) async fn op_delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let input = req.input;
        let precondition = write_precondition(input.if_match.as_ref(), None)?;
        let proof = coffer_s3::DeleteProof {
            mfa: self
                .mfa_proof(input.mfa.as_deref(), &req.extensions, &input.bucket)
                .await?,
            bypass_governance: req
                .extensions
                .get::<super::object_lock::GovernanceBypass>()
                .is_some(),
        };
        let done = self
            .core
            .delete_object(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                precondition,
                proof,
            )
            .await
            .map_err(s3_wire)?;
        no_content(DeleteObjectOutput {
            delete_marker: done.delete_marker.then_some(true),
            version_id: done.version_id.map(coffer_s3::VersionId::into_string),
            ..Default::default()
        })
    }

    pub(super) async fn op_delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let input = req.input;
        if input.delete.objects.is_empty() || input.delete.objects.len() > 1000 {
            return Err(super::wire::malformed_xml());
        }
        let quiet = input.delete.quiet.unwrap_or(false);
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        let peer = req.extensions.get::<super::Connection>().copied();
        let view = super::authorize::RequestView {
            credentials: req.credentials.as_ref(),
            uri: &req.uri,
            headers: &req.headers,
            conn: peer,
            op: "DeleteObject",
            resolved: None,
            extra: &[],
        };
        // Each key is judged on its own; a refusal is that key's error, not the request's —
        // for the bucket owner's principals. A caller with no standing in the bucket
        // (anonymous, another account) that may delete none of the keys is refused whole,
        // before anything says whether the bucket or its keys exist.
        // A bypass of governance retention is granted key by key too.
        let asks_bypass = super::object_lock::asks_bypass(&req.headers);
        let mut allowed = Vec::with_capacity(input.delete.objects.len());
        let mut refused = Vec::new();
        for obj in input.delete.objects {
            let action = super::op::S3Op::DeleteObject.request_action(obj.version_id.is_some());
            // The key's own version id is its `s3:VersionId`, as for a single delete.
            let extra: Vec<(&'static str, String)> = obj
                .version_id
                .iter()
                .map(|v| ("s3:VersionId", v.clone()))
                .collect();
            let view = super::authorize::RequestView {
                extra: &extra,
                ..super::authorize::view(&req.credentials, &req.uri, &req.headers, &req.extensions)
            };
            match self
                .auth
                .check(&view, action, Some(&input.bucket), Some(&obj.key))
            {
                Ok(_) => {
                    let bypass = asks_bypass
                        && self
                            .auth
                            .check(
                                &view,
                                "s3:BypassGovernanceRetention",
                                Some(&input.bucket),
                                Some(&obj.key),
                            )
                            .is_ok();
                    allowed.push((obj, bypass));
                }
                Err(e) => refused.push((obj, e)),
            }
        }
        if allowed.is_empty() && !self.auth.caller_owns_bucket(&view, &input.bucket) {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        self.core.bucket(&input.bucket).map_err(s3_wire)?;
        let mfa = self
            .mfa_proof(input.mfa.as_deref(), &req.extensions, &input.bucket)
            .await?;
        for (obj, e) in refused {
            errors.push(Error {
                code: Some(e.code().as_str().to_owned()),
                key: Some(obj.key),
                message: e.message().map(str::to_owned),
                version_id: obj.version_id,
            });
        }
        for (obj, bypass_governance) in allowed {
            let proof = coffer_s3::DeleteProof {
                mfa,
                bypass_governance,
            };
            let result = match obj
                .version_id
                .as_deref()
                .map(coffer_s3::VersionId::parse)
                .transpose()
            {
                Err(e) => Err(e),
                Ok(id) => {
                    let selected = coffer_s3::VersionSelector::of(id.as_ref());
                    let precondition = obj
                        .e_tag
                        .as_ref()
                        .map_or(coffer_s3::Precondition::None, |e| {
                            coffer_s3::Precondition::EtagIs(e.value().to_owned())
                        });
                    self.core
                        .delete_object(&input.bucket, &obj.key, selected, precondition, proof)
                        .await
                }
            };
            match result {
                Ok(done) if !quiet => deleted.push(DeletedObject {
                    key: Some(obj.key),
                    // A marker made here is named apart from a version removed by id.
                    delete_marker: done.delete_marker.then_some(true),
                    delete_marker_version_id: match obj.version_id {
                        None => done
                            .version_id
                            .as_ref()
                            .filter(|_| done.delete_marker)
                            .map(ToString::to_string),
                        Some(_) => None,
                    },
                    version_id: obj.version_id,
                }),
                Ok(_) => {}
                Err(e) => {
                    let wire = s3_wire(e);
                    errors.push(Error {
                        code: Some(wire.code().as_str().to_owned()),
                        key: Some(obj.key),
                        message: wire.message().map(str::to_owned),
                        version_id: obj.version_id,
                    });
                }
            }
        }
        Ok(S3Response::new(DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            ..Default::default()
        }))
    }

    pub(super) async fn op_copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        let lock = super::object_lock::lock_request!(input)?;
        let customer = customer_key!(input)?;
        let source_customer_key = customer_key!(input, copy_source)?;
        let requested = requested_encryption(
            SseRequest {
                sse: input.server_side_encryption.as_ref(),
                kms_key: input.ssekms_key_id.as_ref(),
                bucket_key: input.bucket_key_enabled,
                context: input.ssekms_encryption_context.as_ref(),
            },
            customer,
        )?;
        let CopySource::Bucket {
            bucket: src_bucket,
            key: src_key,
            version_id,
        } = input.copy_source
        else {
            return Err(s3_error!(
                NotImplemented,
                "Copying from an access point is not available yet"
            ));
        };
        // Parsed once, here: the copy and its KMS check name the same version.
        let source_version = version(version_id.as_deref())?;
        let directive = match input
            .metadata_directive
            .as_ref()
            .map(MetadataDirective::as_str)
        {
            None | Some(MetadataDirective::COPY) => Directive::Copy,
            Some(MetadataDirective::REPLACE) => Directive::Replace,
            Some(_) => return Err(s3_error!(InvalidArgument, "Unknown metadata directive.")),
        };
        let replace_tags = match input
            .tagging_directive
            .as_ref()
            .map(TaggingDirective::as_str)
        {
            None | Some("COPY") => None,
            Some("REPLACE") => Some(
                input
                    .tagging
                    .as_deref()
                    .map(parse_tagging_header)
                    .transpose()
                    .map_err(s3_wire)?
                    .unwrap_or_default(),
            ),
            Some(_) => return Err(s3_error!(InvalidArgument, "Unknown tagging directive.")),
        };
        let meta = object_meta!(input, None).map_err(s3_wire)?;
        let source_conditions = conditions(
            input.copy_source_if_match,
            input.copy_source_if_none_match,
            input.copy_source_if_modified_since,
            input.copy_source_if_unmodified_since,
        );
        let precondition = write_precondition_headers(&req.headers)?;
        let acl = self.write_acl(
            &req.extensions,
            &input.bucket,
            &super::acl::acl_fields!(input),
        )?;
        let (src_bucket, src_key): (String, String) = (src_bucket.into(), src_key.into());
        let v = view(&req.credentials, &req.uri, &req.headers, &req.extensions);
        self.check_source_kms(
            &v,
            &src_bucket,
            &src_key,
            coffer_s3::VersionSelector::of(source_version.as_ref()),
        )?;
        // A copy without SSE headers takes the destination's default; with them, it may change
        // an object's encryption in place (a copy onto itself).
        let explicit = requested.is_some();
        let encryption = self
            .write_encryption(&v, requested, &input.bucket, &input.key)
            .await?;
        let r = self
            .core
            .copy_object(CopyRequest {
                source_bucket: src_bucket,
                source_key: src_key,
                source_version_id: source_version.clone(),
                bucket: input.bucket,
                key: input.key,
                metadata_directive: directive,
                meta,
                replace_tags,
                source_conditions,
                encryption: explicit.then(|| encryption.as_request()),
                source_customer_key,
                precondition,
                acl,
                lock,
            })
            .await
            .map_err(s3_wire)?;
        let mut result = CopyObjectResult {
            e_tag: Some(etag(&r.etag)),
            last_modified: Some(timestamp(r.last_modified_ms)),
            ..Default::default()
        };
        set_checksum!(result, r.checksum.as_ref());
        let mut out = CopyObjectOutput {
            copy_object_result: Some(result),
            ssekms_encryption_context: context_header(&r.encryption),
            version_id: r.version_id.as_ref().map(ToString::to_string),
            copy_source_version_id: source_version.map(coffer_s3::VersionId::into_string),
            ..Default::default()
        };
        set_sse!(out, &r.encryption, customer);
        Ok(S3Response::new(out))
    }

    pub(super) fn op_get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let input = req.input;
        let (tags, version_id) = self
            .core
            .object_tags(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
            )
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set: to_dto_tags(tags),
            version_id: reported_version(&version_id),
        }))
    }

    pub(super) async fn op_put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        let input = req.input;
        let tags = from_dto_tags(input.tagging.tag_set);
        let version_id = self
            .core
            .set_object_tags(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                tags,
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutObjectTaggingOutput {
            version_id: reported_version(&version_id),
        }))
    }

    pub(super) async fn op_delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        let input = req.input;
        let version_id = self
            .core
            .set_object_tags(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                Vec::new(),
            )
            .await
            .map_err(s3_wire)?;
        no_content(DeleteObjectTaggingOutput {
            version_id: reported_version(&version_id),
        })
    }

    pub(super) fn op_get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        let input = req.input;
        let customer = customer_key!(input)?;
        let info = self
            .core
            .head_object(
                &input.bucket,
                &input.key,
                coffer_s3::VersionSelector::of(version(input.version_id.as_deref())?.as_ref()),
                &coffer_s3::Conditions::default(),
                customer.as_ref(),
            )
            .map_err(s3_wire)?;
        // SDKs send one comma-separated header; s3s 0.14 keeps it as one item.
        let wants = |a: &str| {
            input
                .object_attributes
                .iter()
                .flat_map(|x| x.as_str().split(','))
                .any(|x| x.trim() == a)
        };
        let mut out = GetObjectAttributesOutput {
            last_modified: Some(timestamp(info.last_modified_ms)),
            version_id: reported_version(&info.version_id),
            ..Default::default()
        };
        if wants(ObjectAttributes::ETAG) {
            out.e_tag = Some(etag(&info.etag));
        }
        if wants(ObjectAttributes::STORAGE_CLASS) {
            out.storage_class = Some(StorageClass::from(info.meta.storage_class().to_owned()));
        }
        if wants(ObjectAttributes::OBJECT_SIZE) {
            out.object_size = Some(i64::try_from(info.size).unwrap_or(i64::MAX));
        }
        if wants(ObjectAttributes::CHECKSUM)
            && let Some(c) = &info.checksum
        {
            let mut ck = Checksum {
                checksum_type: checksum_type(&info),
                ..Default::default()
            };
            set_checksum!(ck, Some(&c.value));
            out.checksum = Some(ck);
        }
        if wants(ObjectAttributes::OBJECT_PARTS) && !info.part_sizes.is_empty() {
            let marker = usize::try_from(input.part_number_marker.unwrap_or(0)).unwrap_or(0);
            let max = usize::try_from(input.max_parts.unwrap_or(1000)).unwrap_or(1000);
            let parts: Vec<ObjectPart> = info
                .part_sizes
                .iter()
                .enumerate()
                .skip(marker)
                .take(max)
                .map(|(i, s)| ObjectPart {
                    part_number: i32::try_from(i + 1).ok(),
                    size: i64::try_from(*s).ok(),
                    ..Default::default()
                })
                .collect();
            let truncated = marker + parts.len() < info.part_sizes.len();
            out.object_parts = Some(GetObjectAttributesParts {
                is_truncated: Some(truncated),
                max_parts: i32::try_from(max).ok(),
                next_part_number_marker: parts.last().and_then(|p| p.part_number),
                part_number_marker: i32::try_from(marker).ok(),
                total_parts_count: i32::try_from(info.part_sizes.len()).ok(),
                parts: Some(parts),
            });
        }
        Ok(S3Response::new(out))
    }
}
