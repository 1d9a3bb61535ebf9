use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::convert::{from_dto_tags, timestamp, to_dto_tags};
use super::wire::s3_wire;
use super::{CofferS3, no_content};

/// Largest ListBuckets page, as S3.
const MAX_BUCKETS_PAGE: i32 = 10_000;

/// The caller's account for an account-scoped operation. Anonymous callers own nothing
/// (the check refuses them before such an operation runs).
fn caller_account(extensions: &http::Extensions) -> S3Result<String> {
    super::caller_account(extensions).ok_or_else(|| s3_error!(AccessDenied, "Access Denied"))
}

impl CofferS3 {
    pub(super) fn op_list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let account = caller_account(&req.extensions)?;
        let input = req.input;
        // As S3: a page of at most 10,000; any paging parameter asks for pages.
        let max = match input.max_buckets {
            Some(n) if !(1..=MAX_BUCKETS_PAGE).contains(&n) => {
                return Err(s3_error!(
                    InvalidArgument,
                    "Argument max-buckets must be an integer between 1 and 10000"
                ));
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => usize::try_from(MAX_BUCKETS_PAGE).unwrap_or(usize::MAX),
        };
        let after = match input.continuation_token.as_deref() {
            Some(t) => Some(super::list::decode_token(t)?),
            None => None,
        };
        let prefix = input.prefix.unwrap_or_default();
        let mut owned = self
            .core
            .list_buckets(&account)
            .map_err(s3_wire)?
            .into_iter()
            .filter(|b| b.name.starts_with(&prefix))
            .filter(|b| after.as_deref().is_none_or(|a| b.name.as_str() > a))
            .filter(|b| input.bucket_region.as_deref().is_none_or(|r| b.region == r))
            .peekable();
        let mut buckets = Vec::new();
        while buckets.len() < max {
            let Some(b) = owned.next() else { break };
            buckets.push(Bucket {
                bucket_region: Some(b.region),
                creation_date: Some(timestamp(b.created_ms)),
                name: Some(b.name),
            });
        }
        let continuation_token = owned
            .peek()
            .is_some()
            .then(|| buckets.last().and_then(|b| b.name.as_deref()))
            .flatten()
            .map(super::list::encode_token);
        Ok(S3Response::new(ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(super::owner_of(&account)),
            continuation_token,
            prefix: (!prefix.is_empty()).then_some(prefix),
        }))
    }

    pub(super) async fn op_create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let account = caller_account(&req.extensions)?;
        let input = req.input;
        // Parsed once, here; the domain takes only a name S3 would allow.
        let name = coffer_s3::BucketName::parse(&input.bucket).map_err(s3_wire)?;
        let constraint = input
            .create_bucket_configuration
            .and_then(|c| c.location_constraint)
            .map(|c| c.as_str().to_owned())
            .filter(|c| !c.is_empty());
        if let Some(c) = constraint {
            if c == "us-east-1" {
                return Err(s3_error!(
                    InvalidLocationConstraint,
                    "The specified location-constraint is not valid"
                ));
            }
            if c != self.region {
                return Err(s3_error!(
                    IllegalLocationConstraintException,
                    "The {c} location constraint is incompatible for the region specific endpoint this request was sent to."
                ));
            }
        }
        let ownership = match &input.object_ownership {
            Some(o) => super::acl::parse_ownership(o)?,
            None => coffer_s3::ObjectOwnership::BucketOwnerEnforced,
        };
        let acl = self.acl_request(&super::acl::acl_fields!(input, bucket))?;
        self.core
            .create_bucket_with(
                &account,
                &name,
                &self.region,
                ownership,
                acl.as_ref(),
                input.object_lock_enabled_for_bucket == Some(true),
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    pub(super) fn op_head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let b = self.core.bucket(&req.input.bucket).map_err(s3_wire)?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(b.region),
            ..Default::default()
        }))
    }

    pub(super) async fn op_delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.core
            .delete_bucket(&req.input.bucket)
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    pub(super) fn op_get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let b = self.core.bucket(&req.input.bucket).map_err(s3_wire)?;
        // S3 answers an empty constraint for us-east-1.
        let constraint =
            (b.region != "us-east-1").then(|| BucketLocationConstraint::from(b.region));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint: constraint,
        }))
    }

    pub(super) async fn op_put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        let input = req.input;
        let rule = input
            .server_side_encryption_configuration
            .rules
            .into_iter()
            .next();
        let Some(rule) = rule else {
            return Err(super::wire::malformed_xml());
        };
        let default = rule.apply_server_side_encryption_by_default;
        let kms_key = default.as_ref().and_then(|d| d.kms_master_key_id.clone());
        let algorithm = default.map(|d| d.sse_algorithm.as_str().to_owned());
        let Some(algorithm) = algorithm else {
            return Err(s3_error!(
                MalformedXML,
                "ApplyServerSideEncryptionByDefault is required"
            ));
        };
        self.core
            .set_default_encryption(
                &input.bucket,
                Some(&algorithm),
                kms_key.as_deref(),
                rule.bucket_key_enabled.unwrap_or(false),
            )
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutBucketEncryptionOutput {}))
    }

    pub(super) fn op_get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        let enc = self
            .core
            .default_encryption(&req.input.bucket)
            .map_err(s3_wire)?;
        let rule = ServerSideEncryptionRule {
            apply_server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                kms_master_key_id: enc.kms_key.clone(),
                sse_algorithm: ServerSideEncryption::from_static(enc.algorithm()),
            }),
            bucket_key_enabled: Some(enc.bucket_key_enabled),
        };
        Ok(S3Response::new(GetBucketEncryptionOutput {
            server_side_encryption_configuration: Some(ServerSideEncryptionConfiguration {
                rules: vec![rule],
            }),
        }))
    }

    pub(super) async fn op_delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        self.core
            .set_default_encryption(&req.input.bucket, None, None, false)
            .await
            .map_err(s3_wire)?;
        super::no_content(DeleteBucketEncryptionOutput {})
    }

    pub(super) fn op_get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        let tags = self.core.bucket_tags(&req.input.bucket).map_err(s3_wire)?;
        Ok(S3Response::new(GetBucketTaggingOutput {
            tag_set: to_dto_tags(tags),
        }))
    }

    pub(super) async fn op_put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        let tags = from_dto_tags(req.input.tagging.tag_set);
        self.core
            .set_bucket_tags(&req.input.bucket, Some(tags))
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutBucketTaggingOutput {}))
    }

    pub(super) async fn op_delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        self.core
            .set_bucket_tags(&req.input.bucket, None)
            .await
            .map_err(s3_wire)?;
        no_content(DeleteBucketTaggingOutput {})
    }
}
