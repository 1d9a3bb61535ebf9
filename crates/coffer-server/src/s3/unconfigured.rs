//! Bucket and object configurations Coffer does not keep (yet). Reads answer as S3 answers a
//! bucket that has none — the error or empty document clients expect, so read-only tools
//! (`s3cmd info`, rclone, SDK helpers) work. Writes that would configure something are
//! refused with `NotImplemented` naming it: a setting, and above all a protection, is never
//! accepted and then ignored. Writes that configure
//! nothing (deleting an absent configuration, an empty notification set, the bucket owner
//! paying) succeed, as there is nothing to ignore.

use s3s::dto::*;
use s3s::{S3Request, S3Response, S3Result, s3_error};

use super::wire::s3_wire;
use super::{CofferS3, no_content};

/// The refusal of a write Coffer cannot honour.
pub(super) fn not_kept(what: &str) -> s3s::S3Error {
    s3_error!(
        NotImplemented,
        "{what} is not available in Coffer yet; the request was refused and nothing changed"
    )
}

fn no_such_configuration() -> s3s::S3Error {
    let mut e = s3s::S3Error::with_message(
        s3s::S3ErrorCode::Custom("NoSuchConfiguration".into()),
        "The specified configuration does not exist.",
    );
    e.set_status_code(http::StatusCode::NOT_FOUND);
    e
}

impl CofferS3 {
    /// The bucket must exist (`NoSuchBucket` otherwise), whatever the configuration asked.
    fn exists(&self, bucket: &str) -> S3Result<()> {
        self.core.bucket(bucket).map(|_| ()).map_err(s3_wire)
    }

    pub(super) fn op_get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        self.exists(&req.input.bucket)?;
        Err(s3_error!(
            NoSuchCORSConfiguration,
            "The CORS configuration does not exist"
        ))
    }

    pub(super) fn op_get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketLifecycleConfigurationOutput>> {
        self.exists(&req.input.bucket)?;
        Err(s3_error!(
            NoSuchLifecycleConfiguration,
            "The lifecycle configuration does not exist"
        ))
    }

    pub(super) fn op_get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        self.exists(&req.input.bucket)?;
        Err(s3_error!(
            NoSuchWebsiteConfiguration,
            "The specified bucket does not have a website configuration"
        ))
    }

    pub(super) fn op_get_bucket_logging(
        &self,
        req: S3Request<GetBucketLoggingInput>,
    ) -> S3Result<S3Response<GetBucketLoggingOutput>> {
        self.exists(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketLoggingOutput::default()))
    }

    pub(super) fn op_get_bucket_replication(
        &self,
        req: S3Request<GetBucketReplicationInput>,
    ) -> S3Result<S3Response<GetBucketReplicationOutput>> {
        self.exists(&req.input.bucket)?;
        Err(s3_error!(
            ReplicationConfigurationNotFoundError,
            "The replication configuration was not found"
        ))
    }

    pub(super) fn op_get_bucket_notification_configuration(
        &self,
        req: S3Request<GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketNotificationConfigurationOutput>> {
        self.exists(&req.input.bucket)?;
        Ok(S3Response::new(
            GetBucketNotificationConfigurationOutput::default(),
        ))
    }

    pub(super) fn op_put_bucket_notification_configuration(
        &self,
        req: S3Request<PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<PutBucketNotificationConfigurationOutput>> {
        self.exists(&req.input.bucket)?;
        let c = &req.input.notification_configuration;
        let empty = |l: Option<usize>| l.is_none_or(|n| n == 0);
        if c.event_bridge_configuration.is_none()
            && empty(c.lambda_function_configurations.as_ref().map(Vec::len))
            && empty(c.queue_configurations.as_ref().map(Vec::len))
            && empty(c.topic_configurations.as_ref().map(Vec::len))
        {
            return Ok(S3Response::new(PutBucketNotificationConfigurationOutput {}));
        }
        Err(not_kept("Event notifications"))
    }

    pub(super) fn op_get_bucket_request_payment(
        &self,
        req: S3Request<GetBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<GetBucketRequestPaymentOutput>> {
        self.exists(&req.input.bucket)?;
        Ok(S3Response::new(GetBucketRequestPaymentOutput {
            payer: Some(Payer::from_static(Payer::BUCKET_OWNER)),
        }))
    }

    pub(super) fn op_put_bucket_request_payment(
        &self,
        req: S3Request<PutBucketRequestPaymentInput>,
    ) -> S3Result<S3Response<PutBucketRequestPaymentOutput>> {
        self.exists(&req.input.bucket)?;
        if req.input.request_payment_configuration.payer.as_str() == Payer::BUCKET_OWNER {
            return Ok(S3Response::new(PutBucketRequestPaymentOutput {}));
        }
        Err(not_kept("Requester Pays"))
    }

    pub(super) fn op_get_bucket_accelerate_configuration(
        &self,
        req: S3Request<GetBucketAccelerateConfigurationInput>,
    ) -> S3Result<S3Response<GetBucketAccelerateConfigurationOutput>> {
        self.exists(&req.input.bucket)?;
        Ok(S3Response::new(
            GetBucketAccelerateConfigurationOutput::default(),
        ))
    }

    pub(super) async fn op_get_object_torrent(
        &self,
        req: S3Request<GetObjectTorrentInput>,
    ) -> S3Result<S3Response<GetObjectTorrentOutput>> {
        let torrent = self
            .core
            .object_torrent(
                &req.input.bucket,
                &req.input.key,
                coffer_s3::VersionSelector::Current,
            )
            .await
            .map_err(s3_wire)?;
        let mut resp = S3Response::new(GetObjectTorrentOutput {
            body: Some(StreamingBlob::from(s3s::Body::from(torrent))),
            request_charged: None,
        });
        resp.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-bittorrent"),
        );
        Ok(resp)
    }

    /// Every object here is in STANDARD, which S3 never archives.
    pub(super) fn op_restore_object(
        &self,
        req: S3Request<RestoreObjectInput>,
    ) -> S3Result<S3Response<RestoreObjectOutput>> {
        self.core
            .head_object(
                &req.input.bucket,
                &req.input.key,
                coffer_s3::VersionSelector::of(
                    super::ids::version(req.input.version_id.as_deref())?.as_ref(),
                ),
                &coffer_s3::Conditions::default(),
                None,
            )
            .map_err(s3_wire)?;
        Err(s3_error!(
            InvalidObjectState,
            "Restore is not allowed for the object's current storage class"
        ))
    }
}

/// The four kinds of per-bucket configurations listed by id (analytics, inventory, metrics,
/// Intelligent-Tiering): none exist, so lists are empty, a named one is missing, and
/// putting one is refused.
macro_rules! id_configurations {
    ($list:ident, $list_in:ty, $list_out:ty,
     $get:ident, $get_in:ty, $get_out:ty,
     $put:ident, $put_in:ty, $put_out:ty,
     $del:ident, $del_in:ty, $del_out:ty, $what:literal) => {
        impl CofferS3 {
            pub(super) fn $list(
                &self,
                req: S3Request<$list_in>,
            ) -> S3Result<S3Response<$list_out>> {
                self.exists(&req.input.bucket)?;
                Ok(S3Response::new(<$list_out>::default()))
            }
            pub(super) fn $get(&self, req: S3Request<$get_in>) -> S3Result<S3Response<$get_out>> {
                self.exists(&req.input.bucket)?;
                Err(no_such_configuration())
            }
            pub(super) fn $put(&self, req: S3Request<$put_in>) -> S3Result<S3Response<$put_out>> {
                self.exists(&req.input.bucket)?;
                Err(not_kept($what))
            }
            pub(super) fn $del(&self, req: S3Request<$del_in>) -> S3Result<S3Response<$del_out>> {
                self.exists(&req.input.bucket)?;
                Err(no_such_configuration())
            }
        }
    };
}

id_configurations!(
    op_list_bucket_analytics_configurations,
    ListBucketAnalyticsConfigurationsInput,
    ListBucketAnalyticsConfigurationsOutput,
    op_get_bucket_analytics_configuration,
    GetBucketAnalyticsConfigurationInput,
    GetBucketAnalyticsConfigurationOutput,
    op_put_bucket_analytics_configuration,
    PutBucketAnalyticsConfigurationInput,
    PutBucketAnalyticsConfigurationOutput,
    op_delete_bucket_analytics_configuration,
    DeleteBucketAnalyticsConfigurationInput,
    DeleteBucketAnalyticsConfigurationOutput,
    "Storage class analysis"
);
id_configurations!(
    op_list_bucket_inventory_configurations,
    ListBucketInventoryConfigurationsInput,
    ListBucketInventoryConfigurationsOutput,
    op_get_bucket_inventory_configuration,
    GetBucketInventoryConfigurationInput,
    GetBucketInventoryConfigurationOutput,
    op_put_bucket_inventory_configuration,
    PutBucketInventoryConfigurationInput,
    PutBucketInventoryConfigurationOutput,
    op_delete_bucket_inventory_configuration,
    DeleteBucketInventoryConfigurationInput,
    DeleteBucketInventoryConfigurationOutput,
    "S3 Inventory"
);
id_configurations!(
    op_list_bucket_metrics_configurations,
    ListBucketMetricsConfigurationsInput,
    ListBucketMetricsConfigurationsOutput,
    op_get_bucket_metrics_configuration,
    GetBucketMetricsConfigurationInput,
    GetBucketMetricsConfigurationOutput,
    op_put_bucket_metrics_configuration,
    PutBucketMetricsConfigurationInput,
    PutBucketMetricsConfigurationOutput,
    op_delete_bucket_metrics_configuration,
    DeleteBucketMetricsConfigurationInput,
    DeleteBucketMetricsConfigurationOutput,
    "Request metrics"
);
id_configurations!(
    op_list_bucket_intelligent_tiering_configurations,
    ListBucketIntelligentTieringConfigurationsInput,
    ListBucketIntelligentTieringConfigurationsOutput,
    op_get_bucket_intelligent_tiering_configuration,
    GetBucketIntelligentTieringConfigurationInput,
    GetBucketIntelligentTieringConfigurationOutput,
    op_put_bucket_intelligent_tiering_configuration,
    PutBucketIntelligentTieringConfigurationInput,
    PutBucketIntelligentTieringConfigurationOutput,
    op_delete_bucket_intelligent_tiering_configuration,
    DeleteBucketIntelligentTieringConfigurationInput,
    DeleteBucketIntelligentTieringConfigurationOutput,
    "S3 Intelligent-Tiering"
);

/// Configurations whose read is an error or empty document (above), whose write is refused,
/// and whose delete succeeds (there is nothing to delete).
macro_rules! refused_writes {
    ($($op:ident, $in:ty, $out:ty, $what:literal;)*) => {
        impl CofferS3 {
            $(pub(super) fn $op(&self, req: S3Request<$in>) -> S3Result<S3Response<$out>> {
                self.exists(&req.input.bucket)?;
                Err(not_kept($what))
            })*
        }
    };
}

refused_writes! {
    op_put_bucket_cors, PutBucketCorsInput, PutBucketCorsOutput, "CORS";
    op_put_bucket_lifecycle_configuration, PutBucketLifecycleConfigurationInput,
        PutBucketLifecycleConfigurationOutput, "Lifecycle configuration";
    op_put_bucket_website, PutBucketWebsiteInput, PutBucketWebsiteOutput, "Static website hosting";
    op_put_bucket_logging, PutBucketLoggingInput, PutBucketLoggingOutput, "Server access logging";
    op_put_bucket_replication, PutBucketReplicationInput, PutBucketReplicationOutput, "Replication";
    op_put_bucket_accelerate_configuration, PutBucketAccelerateConfigurationInput,
        PutBucketAccelerateConfigurationOutput, "Transfer Acceleration";
}

macro_rules! empty_deletes {
    ($($op:ident, $in:ty, $out:ty;)*) => {
        impl CofferS3 {
            $(pub(super) fn $op(&self, req: S3Request<$in>) -> S3Result<S3Response<$out>> {
                self.exists(&req.input.bucket)?;
                no_content(<$out>::default())
            })*
        }
    };
}

empty_deletes! {
    op_delete_bucket_cors, DeleteBucketCorsInput, DeleteBucketCorsOutput;
    op_delete_bucket_lifecycle, DeleteBucketLifecycleInput, DeleteBucketLifecycleOutput;
    op_delete_bucket_website, DeleteBucketWebsiteInput, DeleteBucketWebsiteOutput;
    op_delete_bucket_replication, DeleteBucketReplicationInput, DeleteBucketReplicationOutput;
}
