use coffer_s3::PublicAccessBlock;
use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result};

use super::wire::s3_wire;
use super::{CofferS3, no_content};

impl CofferS3 {
    pub(super) async fn op_put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        self.core
            .put_bucket_policy(&req.input.bucket, &req.input.policy)
            .await
            .map_err(s3_wire)?;
        no_content(PutBucketPolicyOutput {})
    }

    pub(super) fn op_get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        let policy = self
            .core
            .bucket_policy(&req.input.bucket)
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetBucketPolicyOutput {
            policy: Some(policy),
        }))
    }

    pub(super) async fn op_delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.core
            .delete_bucket_policy(&req.input.bucket)
            .await
            .map_err(s3_wire)?;
        no_content(DeleteBucketPolicyOutput {})
    }

    pub(super) fn op_get_bucket_policy_status(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        let public = self
            .core
            .bucket_policy_is_public(&req.input.bucket)
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus {
                is_public: Some(public),
            }),
        }))
    }

    pub(super) async fn op_put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        let c = req.input.public_access_block_configuration;
        // As S3: an omitted setting is false.
        let settings = PublicAccessBlock {
            block_public_acls: c.block_public_acls.unwrap_or(false),
            ignore_public_acls: c.ignore_public_acls.unwrap_or(false),
            block_public_policy: c.block_public_policy.unwrap_or(false),
            restrict_public_buckets: c.restrict_public_buckets.unwrap_or(false),
        };
        self.core
            .put_public_access_block(&req.input.bucket, settings)
            .await
            .map_err(s3_wire)?;
        Ok(S3Response::new(PutPublicAccessBlockOutput {}))
    }

    pub(super) fn op_get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        let s = self
            .core
            .public_access_block(&req.input.bucket)
            .map_err(s3_wire)?;
        Ok(S3Response::new(GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(PublicAccessBlockConfiguration {
                block_public_acls: Some(s.block_public_acls),
                ignore_public_acls: Some(s.ignore_public_acls),
                block_public_policy: Some(s.block_public_policy),
                restrict_public_buckets: Some(s.restrict_public_buckets),
            }),
        }))
    }

    pub(super) async fn op_delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        self.core
            .delete_public_access_block(&req.input.bucket)
            .await
            .map_err(s3_wire)?;
        no_content(DeletePublicAccessBlockOutput {})
    }
}
