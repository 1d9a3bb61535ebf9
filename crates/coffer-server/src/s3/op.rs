//! S3 operation names (as s3s routes them), parsed once into [`S3Op`], with the IAM action
//! each needs (AWS's mapping where it is not the operation's own name) and, where AWS defines
//! one, the `…Version` action a request naming a version needs instead.

/// Every S3 operation s3s routes, with its IAM action (and its `…Version` action).
macro_rules! s3_operations {
    ($($op:ident => $action:literal $(, version $version:literal)?;)*) => {
        /// An S3 operation.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum S3Op {
            $($op),*
        }

        impl S3Op {
            /// The operation s3s names (`None`: one this table does not know, refused).
            pub(crate) fn parse(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($op) => Some(Self::$op),)*
                    _ => None,
                }
            }

            /// The IAM action the operation needs (`s3:GetObject` for HeadObject, ...).
            pub(crate) fn action(self) -> &'static str {
                match self {
                    $(Self::$op => concat!("s3:", $action)),*
                }
            }

            /// The IAM action of a request that names a version: the `…Version` action where
            /// AWS defines one (`s3:GetObjectVersion`, `s3:DeleteObjectVersion`, ...).
            pub(crate) fn version_action(self) -> &'static str {
                match self {
                    $(Self::$op => s3_operations!(@version $action $(, $version)?)),*
                }
            }
        }
    };
    (@version $action:literal) => { concat!("s3:", $action) };
    (@version $action:literal, $version:literal) => { concat!("s3:", $version) };
}

s3_operations! {
    AbortMultipartUpload => "AbortMultipartUpload";
    CompleteMultipartUpload => "PutObject";
    CopyObject => "PutObject";
    CreateBucket => "CreateBucket";
    CreateBucketMetadataTableConfiguration => "CreateBucketMetadataTableConfiguration";
    CreateMultipartUpload => "PutObject";
    CreateSession => "CreateSession";
    DeleteBucket => "DeleteBucket";
    DeleteBucketAnalyticsConfiguration => "PutAnalyticsConfiguration";
    DeleteBucketCors => "PutBucketCORS";
    DeleteBucketEncryption => "PutEncryptionConfiguration";
    DeleteBucketIntelligentTieringConfiguration => "PutIntelligentTieringConfiguration";
    DeleteBucketInventoryConfiguration => "PutInventoryConfiguration";
    DeleteBucketLifecycle => "PutLifecycleConfiguration";
    DeleteBucketMetadataTableConfiguration => "DeleteBucketMetadataTableConfiguration";
    DeleteBucketMetricsConfiguration => "PutMetricsConfiguration";
    DeleteBucketOwnershipControls => "PutBucketOwnershipControls";
    DeleteBucketPolicy => "DeleteBucketPolicy";
    DeleteBucketReplication => "PutReplicationConfiguration";
    DeleteBucketTagging => "PutBucketTagging";
    DeleteBucketWebsite => "DeleteBucketWebsite";
    DeleteObject => "DeleteObject", version "DeleteObjectVersion";
    DeleteObjectTagging => "DeleteObjectTagging", version "DeleteObjectVersionTagging";
    DeleteObjects => "DeleteObject";
    DeletePublicAccessBlock => "PutBucketPublicAccessBlock";
    GetBucketAccelerateConfiguration => "GetAccelerateConfiguration";
    GetBucketAcl => "GetBucketAcl";
    GetBucketAnalyticsConfiguration => "GetAnalyticsConfiguration";
    GetBucketCors => "GetBucketCORS";
    GetBucketEncryption => "GetEncryptionConfiguration";
    GetBucketIntelligentTieringConfiguration => "GetIntelligentTieringConfiguration";
    GetBucketInventoryConfiguration => "GetInventoryConfiguration";
    GetBucketLifecycleConfiguration => "GetLifecycleConfiguration";
    GetBucketLocation => "GetBucketLocation";
    GetBucketLogging => "GetBucketLogging";
    GetBucketMetadataTableConfiguration => "GetBucketMetadataTableConfiguration";
    GetBucketMetricsConfiguration => "GetMetricsConfiguration";
    GetBucketNotificationConfiguration => "GetBucketNotification";
    GetBucketOwnershipControls => "GetBucketOwnershipControls";
    GetBucketPolicy => "GetBucketPolicy";
    GetBucketPolicyStatus => "GetBucketPolicyStatus";
    GetBucketReplication => "GetReplicationConfiguration";
    GetBucketRequestPayment => "GetBucketRequestPayment";
    GetBucketTagging => "GetBucketTagging";
    GetBucketVersioning => "GetBucketVersioning";
    GetBucketWebsite => "GetBucketWebsite";
    GetObject => "GetObject", version "GetObjectVersion";
    GetObjectAcl => "GetObjectAcl", version "GetObjectVersionAcl";
    GetObjectAttributes => "GetObjectAttributes", version "GetObjectVersionAttributes";
    GetObjectLegalHold => "GetObjectLegalHold";
    GetObjectLockConfiguration => "GetBucketObjectLockConfiguration";
    GetObjectRetention => "GetObjectRetention";
    GetObjectTagging => "GetObjectTagging", version "GetObjectVersionTagging";
    GetObjectTorrent => "GetObjectTorrent";
    GetPublicAccessBlock => "GetBucketPublicAccessBlock";
    HeadBucket => "ListBucket";
    HeadObject => "GetObject", version "GetObjectVersion";
    ListBucketAnalyticsConfigurations => "GetAnalyticsConfiguration";
    ListBucketIntelligentTieringConfigurations => "GetIntelligentTieringConfiguration";
    ListBucketInventoryConfigurations => "GetInventoryConfiguration";
    ListBucketMetricsConfigurations => "GetMetricsConfiguration";
    ListBuckets => "ListAllMyBuckets";
    ListDirectoryBuckets => "ListDirectoryBuckets";
    ListMultipartUploads => "ListBucketMultipartUploads";
    ListObjectVersions => "ListBucketVersions";
    ListObjects => "ListBucket";
    ListObjectsV2 => "ListBucket";
    ListParts => "ListMultipartUploadParts";
    PostObject => "PutObject";
    PutBucketAccelerateConfiguration => "PutAccelerateConfiguration";
    PutBucketAcl => "PutBucketAcl";
    PutBucketAnalyticsConfiguration => "PutAnalyticsConfiguration";
    PutBucketCors => "PutBucketCORS";
    PutBucketEncryption => "PutEncryptionConfiguration";
    PutBucketIntelligentTieringConfiguration => "PutIntelligentTieringConfiguration";
    PutBucketInventoryConfiguration => "PutInventoryConfiguration";
    PutBucketLifecycleConfiguration => "PutLifecycleConfiguration";
    PutBucketLogging => "PutBucketLogging";
    PutBucketMetricsConfiguration => "PutMetricsConfiguration";
    PutBucketNotificationConfiguration => "PutBucketNotification";
    PutBucketOwnershipControls => "PutBucketOwnershipControls";
    PutBucketPolicy => "PutBucketPolicy";
    PutBucketReplication => "PutReplicationConfiguration";
    PutBucketRequestPayment => "PutBucketRequestPayment";
    PutBucketTagging => "PutBucketTagging";
    PutBucketVersioning => "PutBucketVersioning";
    PutBucketWebsite => "PutBucketWebsite";
    PutObject => "PutObject";
    PutObjectAcl => "PutObjectAcl", version "PutObjectVersionAcl";
    PutObjectLegalHold => "PutObjectLegalHold";
    PutObjectLockConfiguration => "PutBucketObjectLockConfiguration";
    PutObjectRetention => "PutObjectRetention";
    PutObjectTagging => "PutObjectTagging", version "PutObjectVersionTagging";
    PutPublicAccessBlock => "PutBucketPublicAccessBlock";
    RestoreObject => "RestoreObject";
    SelectObjectContent => "GetObject";
    UploadPart => "PutObject";
    UploadPartCopy => "PutObject";
    WriteGetObjectResponse => "WriteGetObjectResponse";
}

impl S3Op {
    /// The IAM action a request needs, naming a version or not.
    pub(crate) fn request_action(self, names_version: bool) -> &'static str {
        if names_version {
            self.version_action()
        } else {
            self.action()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        let action = |name: &str| S3Op::parse(name).unwrap().action();
        assert_eq!(action("HeadObject"), "s3:GetObject");
        assert_eq!(action("ListObjectsV2"), "s3:ListBucket");
        assert_eq!(action("UploadPart"), "s3:PutObject");
        assert_eq!(action("GetObjectTagging"), "s3:GetObjectTagging");
        assert_eq!(
            action("GetObjectLockConfiguration"),
            "s3:GetBucketObjectLockConfiguration"
        );
        assert_eq!(S3Op::HeadObject.request_action(true), "s3:GetObjectVersion");
        assert_eq!(S3Op::HeadObject.request_action(false), "s3:GetObject");
        assert_eq!(
            S3Op::DeleteObject.request_action(true),
            "s3:DeleteObjectVersion"
        );
        assert_eq!(
            S3Op::ListObjectVersions.request_action(true),
            "s3:ListBucketVersions"
        );
        assert_eq!(S3Op::parse("getobject"), None);
    }
}
