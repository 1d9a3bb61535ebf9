use coffer_crypto::CryptoError;
use coffer_store::StoreError;

use crate::ChecksumAlgorithm;

/// What can go wrong in an S3 operation. The server maps each variant to its AWS code.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("The specified bucket is not valid: {0}")]
    InvalidBucketName(String),
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    #[error("{0}")]
    MalformedPolicy(String),
    #[error("The bucket policy does not exist")]
    NoSuchBucketPolicy,
    #[error("The public access block configuration was not found")]
    NoSuchPublicAccessBlockConfiguration,
    /// Refused by policy; the message is AWS's wording for the caller.
    #[error("{0}")]
    AccessDenied(String),
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    #[error("The requested bucket name is not available.")]
    BucketAlreadyExists,
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("Your key is too long")]
    KeyTooLong,
    #[error("The specified key does not exist.")]
    NoSuchKey,
    #[error("The specified version does not exist.")]
    NoSuchVersion,
    /// The version asked for is a delete marker: by id, S3's 405 MethodNotAllowed; as the
    /// current version, its 404 NoSuchKey; both say `x-amz-delete-marker: true`.
    #[error("The specified method is not allowed against this resource.")]
    DeleteMarker {
        version_id: String,
        last_modified_ms: i64,
        by_id: bool,
    },
    #[error("The specified upload does not exist.")]
    NoSuchUpload,
    #[error("One or more of the specified parts could not be found.")]
    InvalidPart,
    #[error("The list of parts was not in ascending order.")]
    InvalidPartOrder,
    #[error("Your proposed upload is smaller than the minimum allowed object size.")]
    EntityTooSmall,
    #[error("Your proposed upload exceeds the maximum allowed object size.")]
    EntityTooLarge,
    #[error("You did not provide the number of bytes specified by the Content-Length HTTP header.")]
    IncompleteBody,
    #[error(
        "The request contained trailing data that was not well-formed or did not conform to our published schema."
    )]
    MalformedTrailer,
    #[error("Your metadata headers exceed the maximum allowed metadata size.")]
    MetadataTooLarge,
    #[error("The requested range is not satisfiable")]
    InvalidRange { object_size: u64 },
    #[error("At least one of the pre-conditions you specified did not hold")]
    PreconditionFailed,
    /// A conditional write's object changed while the write was under way (a concurrent
    /// write or delete finished first): fetch the object again and retry.
    #[error(
        "The conditional request cannot succeed due to a conflicting operation against this resource."
    )]
    ConditionalRequestConflict,
    /// A GET/HEAD precondition says the client's copy is current: S3 answers 304 with the
    /// object's ETag and Last-Modified.
    #[error("Not Modified")]
    NotModified { etag: String, last_modified_ms: i64 },
    #[error("The Content-MD5 you specified did not match what we received.")]
    BadDigest,
    #[error("The Content-MD5 you specified is not valid.")]
    InvalidDigest,
    #[error("The {0} you specified did not match the calculated checksum.")]
    ChecksumMismatch(ChecksumAlgorithm),
    #[error(
        "The XML you provided was not well-formed or did not validate against our published schema"
    )]
    MalformedXml,
    #[error("{0}")]
    InvalidArgument(String),
    /// A capability Coffer does not have yet (answered 501, never silently ignored).
    #[error("{0}")]
    NotImplemented(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidTag(String),
    #[error("The encryption request you specified is not valid. The valid value is AES256.")]
    InvalidEncryptionAlgorithm,
    /// The bucket's state does not allow the request (Object Lock and versioning).
    #[error("{0}")]
    InvalidBucketState(String),
    #[error("Object Lock configuration does not exist for this bucket")]
    ObjectLockConfigurationNotFound,
    #[error("The specified object does not have a ObjectLock configuration")]
    NoSuchObjectLockConfiguration,
    #[error("The TagSet does not exist")]
    NoSuchTagSet,
    /// Not a class S3 has, or an archive class (which needs restores Coffer does not have).
    #[error("The storage class you specified is not valid here: {0}")]
    InvalidStorageClass(String),
    /// ACLs are disabled on the bucket (BucketOwnerEnforced) and the request sets one.
    #[error("The bucket does not allow ACLs")]
    AccessControlListNotSupported,
    #[error("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")]
    InvalidBucketAclWithObjectOwnership,
    #[error("The bucket ownership controls were not found")]
    OwnershipControlsNotFound,
    /// Other writes kept changing the record a read-modify-write was based on.
    #[error(
        "A conflicting conditional operation is currently in progress against this resource. Please try again."
    )]
    ConcurrentUpdate,
    /// The request body failed while streaming in (client hung up, a signature or hash
    /// check of the transport failed). The source is the adapter's own error type.
    #[error("request body: {0}")]
    Body(Box<dyn std::error::Error + Send + Sync>),
    /// Stored bytes failed authentication: tampering or disk corruption. Never user data.
    #[error("stored object failed integrity check")]
    Corrupt,
    /// The key service refused (disabled key, missing key, ...).
    #[error(transparent)]
    Kms(coffer_kms::KmsError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal task failed: {0}")]
    Internal(String),
}

impl From<std::io::Error> for S3Error {
    fn from(e: std::io::Error) -> Self {
        Self::Store(StoreError::Io(e))
    }
}
