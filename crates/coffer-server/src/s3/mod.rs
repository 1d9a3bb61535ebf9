//! The S3 protocol adapter: s3s DTOs in, domain calls, s3s DTOs out. Every s3s type stays
//! inside this module so an s3s upgrade touches one place.

mod acl;
mod auth;
mod authorize;
mod body;
mod buckets;
mod convert;
mod hosts;
mod ids;
mod limits;
mod list;
mod multipart;
mod object_lock;
mod objects;
mod op;
mod policy;
mod post_form;
mod sse;
mod unconfigured;
mod versions;
mod wire;

use std::sync::Arc;

use coffer_iam::Iam;
use coffer_s3::S3Core;
use s3s::dto::*;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Request, S3Response, S3Result};

use crate::wire_common::Connection;
pub(crate) use hosts::Domains;
pub(crate) use limits::{refuse_oversized_document, verify_document_checksum};
pub(crate) use post_form::substitute_filename;
pub(crate) use wire::{is_get_object_attributes, unquoted_attributes_etag, with_aws_messages};

/// Per-server S3 state.
pub(crate) struct CofferS3 {
    core: Arc<S3Core>,
    region: String,
    auth: Arc<authorize::Authorizer>,
}

/// Builds the s3s service with authentication and the access gate always set (s3s skips
/// `S3Access` entirely when `S3Auth` is unset).
pub(crate) fn service(
    core: Arc<S3Core>,
    iam: Arc<Iam>,
    kms: Arc<coffer_kms::Kms>,
    audit: Arc<crate::audit::AuditLog>,
    region: String,
    allow_sigv2: bool,
    domains: Domains,
) -> S3Service {
    let authorizer = Arc::new(authorize::Authorizer {
        core: core.clone(),
        iam: iam.clone(),
        kms,
        audit,
        region: region.clone(),
        bucket_key_uses: Default::default(),
    });
    let mut b = S3ServiceBuilder::new(CofferS3 {
        core,
        region,
        auth: authorizer.clone(),
    });
    // s3s buffers a request document whole before parsing it, and a browser form's fields
    // before its file (anyone may send one): no more than S3 takes.
    let mut config = s3s::config::S3Config::default();
    config.xml_max_body_size = usize::try_from(limits::MAX_DOCUMENT).unwrap_or(usize::MAX);
    config.form_max_fields_size = limits::MAX_FORM_FIELDS;
    config.form_max_field_size = limits::MAX_FORM_FIELDS;
    config.form_max_parts = limits::MAX_FORM_PARTS;
    b.set_config(Arc::new(s3s::config::StaticConfigProvider::new(Arc::new(
        config,
    ))));
    b.set_host(domains);
    b.set_auth(auth::IamAuth(iam));
    b.set_access(auth::AccessGate {
        auth: authorizer,
        allow_sigv2,
    });
    b.build()
}

/// An account as S3 names it in `Owner`: its canonical user id, and the account id as its
/// display name (each account's own, so no caller sees another's).
fn owner_of(account_id: &str) -> Owner {
    Owner {
        display_name: Some(account_id.to_owned()),
        id: Some(coffer_s3::canonical_user_id(account_id)),
    }
}

/// The account of the request's caller, as the access check resolved it (`None`: anonymous).
fn caller_account(extensions: &http::Extensions) -> Option<String> {
    extensions
        .get::<authorize::ResolvedCaller>()
        .and_then(|c| c.account())
        .map(str::to_owned)
}

impl CofferS3 {
    /// The owner of `bucket` as S3 names it.
    fn bucket_owner(&self, bucket: &str) -> S3Result<Owner> {
        let b = self.core.bucket(bucket).map_err(wire::s3_wire)?;
        Ok(owner_of(&b.owner))
    }
}

/// An empty success answered as `204 No Content`, as S3 does for deletes and aborts.
fn no_content<T>(output: T) -> S3Result<S3Response<T>> {
    let mut resp = S3Response::new(output);
    resp.status = Some(http::StatusCode::NO_CONTENT);
    Ok(resp)
}

#[async_trait::async_trait]
impl S3 for CofferS3 {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.op_list_buckets(req)
    }
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.op_create_bucket(req).await
    }
    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.op_head_bucket(req)
    }
    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.op_delete_bucket(req).await
    }
    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.op_get_bucket_location(req)
    }
    async fn get_bucket_tagging(
        &self,
        req: S3Request<GetBucketTaggingInput>,
    ) -> S3Result<S3Response<GetBucketTaggingOutput>> {
        self.op_get_bucket_tagging(req)
    }
    async fn put_bucket_tagging(
        &self,
        req: S3Request<PutBucketTaggingInput>,
    ) -> S3Result<S3Response<PutBucketTaggingOutput>> {
        self.op_put_bucket_tagging(req).await
    }
    async fn delete_bucket_tagging(
        &self,
        req: S3Request<DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<DeleteBucketTaggingOutput>> {
        self.op_delete_bucket_tagging(req).await
    }
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.op_put_object(req).await
    }
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.op_get_object(req).await
    }
    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.op_head_object(req)
    }
    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.op_delete_object(req).await
    }
    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.op_delete_objects(req).await
    }
    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.op_copy_object(req).await
    }
    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        self.op_get_object_tagging(req)
    }
    async fn put_object_tagging(
        &self,
        req: S3Request<PutObjectTaggingInput>,
    ) -> S3Result<S3Response<PutObjectTaggingOutput>> {
        self.op_put_object_tagging(req).await
    }
    async fn delete_object_tagging(
        &self,
        req: S3Request<DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<DeleteObjectTaggingOutput>> {
        self.op_delete_object_tagging(req).await
    }
    async fn get_object_attributes(
        &self,
        req: S3Request<GetObjectAttributesInput>,
    ) -> S3Result<S3Response<GetObjectAttributesOutput>> {
        self.op_get_object_attributes(req)
    }
    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.op_list_objects(req)
    }
    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.op_list_objects_v2(req)
    }
    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.op_create_multipart_upload(req).await
    }
    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.op_upload_part(req).await
    }
    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.op_upload_part_copy(req).await
    }
    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.op_complete_multipart_upload(req).await
    }
    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.op_abort_multipart_upload(req).await
    }
    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.op_list_parts(req)
    }
    async fn put_bucket_encryption(
        &self,
        req: S3Request<PutBucketEncryptionInput>,
    ) -> S3Result<S3Response<PutBucketEncryptionOutput>> {
        self.op_put_bucket_encryption(req).await
    }
    async fn get_bucket_encryption(
        &self,
        req: S3Request<GetBucketEncryptionInput>,
    ) -> S3Result<S3Response<GetBucketEncryptionOutput>> {
        self.op_get_bucket_encryption(req)
    }
    async fn delete_bucket_encryption(
        &self,
        req: S3Request<DeleteBucketEncryptionInput>,
    ) -> S3Result<S3Response<DeleteBucketEncryptionOutput>> {
        self.op_delete_bucket_encryption(req).await
    }
    async fn put_bucket_policy(
        &self,
        req: S3Request<PutBucketPolicyInput>,
    ) -> S3Result<S3Response<PutBucketPolicyOutput>> {
        self.op_put_bucket_policy(req).await
    }
    async fn get_bucket_policy(
        &self,
        req: S3Request<GetBucketPolicyInput>,
    ) -> S3Result<S3Response<GetBucketPolicyOutput>> {
        self.op_get_bucket_policy(req)
    }
    async fn delete_bucket_policy(
        &self,
        req: S3Request<DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<DeleteBucketPolicyOutput>> {
        self.op_delete_bucket_policy(req).await
    }
    async fn get_bucket_policy_status(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        self.op_get_bucket_policy_status(req)
    }
    async fn put_public_access_block(
        &self,
        req: S3Request<PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<PutPublicAccessBlockOutput>> {
        self.op_put_public_access_block(req).await
    }
    async fn get_public_access_block(
        &self,
        req: S3Request<GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<GetPublicAccessBlockOutput>> {
        self.op_get_public_access_block(req)
    }
    async fn delete_public_access_block(
        &self,
        req: S3Request<DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<DeletePublicAccessBlockOutput>> {
        self.op_delete_public_access_block(req).await
    }
    async fn get_bucket_acl(
        &self,
        req: S3Request<GetBucketAclInput>,
    ) -> S3Result<S3Response<GetBucketAclOutput>> {
        self.op_get_bucket_acl(req)
    }
    async fn put_bucket_acl(
        &self,
        req: S3Request<PutBucketAclInput>,
    ) -> S3Result<S3Response<PutBucketAclOutput>> {
        self.op_put_bucket_acl(req).await
    }
    async fn get_object_acl(
        &self,
        req: S3Request<GetObjectAclInput>,
    ) -> S3Result<S3Response<GetObjectAclOutput>> {
        self.op_get_object_acl(req)
    }
    async fn put_object_acl(
        &self,
        req: S3Request<PutObjectAclInput>,
    ) -> S3Result<S3Response<PutObjectAclOutput>> {
        self.op_put_object_acl(req).await
    }
    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<GetBucketOwnershipControlsOutput>> {
        self.op_get_bucket_ownership_controls(req)
    }
    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<PutBucketOwnershipControlsOutput>> {
        self.op_put_bucket_ownership_controls(req).await
    }
    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<DeleteBucketOwnershipControlsOutput>> {
        self.op_delete_bucket_ownership_controls(req).await
    }
    async fn get_bucket_versioning(
        &self,
        req: S3Request<GetBucketVersioningInput>,
    ) -> S3Result<S3Response<GetBucketVersioningOutput>> {
        self.op_get_bucket_versioning(req)
    }
    async fn put_bucket_versioning(
        &self,
        req: S3Request<PutBucketVersioningInput>,
    ) -> S3Result<S3Response<PutBucketVersioningOutput>> {
        self.op_put_bucket_versioning(req).await
    }
    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        self.op_get_bucket_cors(req)
    }
    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        self.op_get_bucket_lifecycle_configuration(req)
    }
    async fn get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        self.op_get_bucket_website(req)
    }
    async fn get_bucket_logging(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<S3Response<GetBucketLoggingOutput>> {
        self.op_get_bucket_logging(req)
    }
    async fn get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        self.op_get_bucket_replication(req)
    }
    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        self.op_get_bucket_notification_configuration(req)
    }
    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        self.op_put_bucket_notification_configuration(req)
    }
    async fn get_bucket_request_payment(
        &self,
        req: S3Request<GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<GetBucketRequestPaymentOutput>> {
        self.op_get_bucket_request_payment(req)
    }
    async fn put_bucket_request_payment(
        &self,
        req: S3Request<PutBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<PutBucketRequestPaymentOutput>> {
        self.op_put_bucket_request_payment(req)
    }
    async fn get_bucket_accelerate_configuration(
        &self,
        req: S3Request<GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAccelerateConfigurationOutput>> {
        self.op_get_bucket_accelerate_configuration(req)
    }
    async fn get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        self.op_get_object_lock_configuration(req)
    }
    async fn get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        self.op_get_object_retention(req)
    }
    async fn put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        self.op_put_object_retention(req).await
    }
    async fn get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        self.op_get_object_legal_hold(req)
    }
    async fn put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        self.op_put_object_legal_hold(req).await
    }
    async fn list_object_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        self.op_list_object_versions(req)
    }
    async fn get_object_torrent(
        &self,
        req: S3Request<GetObjectTorrentInput>,
    ) -> S3Result<S3Response<GetObjectTorrentOutput>> {
        self.op_get_object_torrent(req).await
    }
    async fn restore_object(
        &self,
        req: S3Request<RestoreObjectInput>,
    ) -> S3Result<S3Response<RestoreObjectOutput>> {
        self.op_restore_object(req)
    }
    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        self.op_put_bucket_cors(req)
    }
    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketLifecycleConfigurationOutput>> {
        self.op_put_bucket_lifecycle_configuration(req)
    }
    async fn put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        self.op_put_bucket_website(req)
    }
    async fn put_bucket_logging(
        &self,
        req: S3Request<PutBucketLoggingInput>,
    ) -> S3Result<S3Response<PutBucketLoggingOutput>> {
        self.op_put_bucket_logging(req)
    }
    async fn put_bucket_replication(
        &self,
        req: S3Request<PutBucketReplicationInput>,
    ) -> S3Result<S3Response<PutBucketReplicationOutput>> {
        self.op_put_bucket_replication(req)
    }
    async fn put_bucket_accelerate_configuration(
        &self,
        req: S3Request<PutBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketAccelerateConfigurationOutput>> {
        self.op_put_bucket_accelerate_configuration(req)
    }
    async fn put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        self.op_put_object_lock_configuration(req).await
    }
    async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        self.op_delete_bucket_cors(req)
    }
    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<DeleteBucketLifecycleOutput>> {
        self.op_delete_bucket_lifecycle(req)
    }
    async fn delete_bucket_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<DeleteBucketWebsiteOutput>> {
        self.op_delete_bucket_website(req)
    }
    async fn delete_bucket_replication(
        &self,
        req: S3Request<DeleteBucketReplicationInput>,
    ) -> S3Result<S3Response<DeleteBucketReplicationOutput>> {
        self.op_delete_bucket_replication(req)
    }
    async fn list_bucket_analytics_configurations(
        &self,
        req: S3Request<ListBucketAnalyticsConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketAnalyticsConfigurationsOutput>> {
        self.op_list_bucket_analytics_configurations(req)
    }
    async fn get_bucket_analytics_configuration(
        &self,
        req: S3Request<GetBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAnalyticsConfigurationOutput>> {
        self.op_get_bucket_analytics_configuration(req)
    }
    async fn put_bucket_analytics_configuration(
        &self,
        req: S3Request<PutBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketAnalyticsConfigurationOutput>> {
        self.op_put_bucket_analytics_configuration(req)
    }
    async fn delete_bucket_analytics_configuration(
        &self,
        req: S3Request<DeleteBucketAnalyticsConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketAnalyticsConfigurationOutput>> {
        self.op_delete_bucket_analytics_configuration(req)
    }
    async fn list_bucket_inventory_configurations(
        &self,
        req: S3Request<ListBucketInventoryConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketInventoryConfigurationsOutput>> {
        self.op_list_bucket_inventory_configurations(req)
    }
    async fn get_bucket_inventory_configuration(
        &self,
        req: S3Request<GetBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketInventoryConfigurationOutput>> {
        self.op_get_bucket_inventory_configuration(req)
    }
    async fn put_bucket_inventory_configuration(
        &self,
        req: S3Request<PutBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketInventoryConfigurationOutput>> {
        self.op_put_bucket_inventory_configuration(req)
    }
    async fn delete_bucket_inventory_configuration(
        &self,
        req: S3Request<DeleteBucketInventoryConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketInventoryConfigurationOutput>> {
        self.op_delete_bucket_inventory_configuration(req)
    }
    async fn list_bucket_metrics_configurations(
        &self,
        req: S3Request<ListBucketMetricsConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketMetricsConfigurationsOutput>> {
        self.op_list_bucket_metrics_configurations(req)
    }
    async fn get_bucket_metrics_configuration(
        &self,
        req: S3Request<GetBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketMetricsConfigurationOutput>> {
        self.op_get_bucket_metrics_configuration(req)
    }
    async fn put_bucket_metrics_configuration(
        &self,
        req: S3Request<PutBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketMetricsConfigurationOutput>> {
        self.op_put_bucket_metrics_configuration(req)
    }
    async fn delete_bucket_metrics_configuration(
        &self,
        req: S3Request<DeleteBucketMetricsConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketMetricsConfigurationOutput>> {
        self.op_delete_bucket_metrics_configuration(req)
    }
    async fn list_bucket_intelligent_tiering_configurations(
        &self,
        req: S3Request<ListBucketIntelligentTieringConfigurationsInput>,
    ) -> S3Result<S3Response<ListBucketIntelligentTieringConfigurationsOutput>> {
        self.op_list_bucket_intelligent_tiering_configurations(req)
    }
    async fn get_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<GetBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketIntelligentTieringConfigurationOutput>> {
        self.op_get_bucket_intelligent_tiering_configuration(req)
    }
    async fn put_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<PutBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketIntelligentTieringConfigurationOutput>> {
        self.op_put_bucket_intelligent_tiering_configuration(req)
    }
    async fn delete_bucket_intelligent_tiering_configuration(
        &self,
        req: S3Request<DeleteBucketIntelligentTieringConfigurationInput>,
    ) -> S3Result<S3Response<DeleteBucketIntelligentTieringConfigurationOutput>> {
        self.op_delete_bucket_intelligent_tiering_configuration(req)
    }
    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        self.op_list_multipart_uploads(req)
    }
}
