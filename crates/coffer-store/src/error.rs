/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("bucket {0} does not exist")]
    NoSuchBucket(String),
    #[error("bucket {0} already exists")]
    BucketExists(String),
    #[error("bucket {0} is not empty")]
    BucketNotEmpty(String),
    #[error("upload {0} does not exist")]
    NoSuchUpload(String),
    #[error("part {0} of the upload does not exist")]
    NoSuchPart(u32),
    #[error("key {0} already exists")]
    KvConflict(String),
    #[error("key {0} does not exist")]
    KvMissing(String),
    /// A conditional write found the record changed since it was read: read it again.
    #[error("the {0} record changed since it was read")]
    Changed(&'static str),
    /// A conditional write's precondition did not hold at the moment of writing.
    #[error("precondition not met: {0:?}")]
    Precondition(crate::Unmet),
    /// Object Lock: the version is retained or under legal hold.
    #[error("the version is locked: {0:?}")]
    Locked(crate::Locked),
    /// The data directory was written by a newer Coffer.
    #[error(
        "the data directory's schema is version {found}, newer than this Coffer knows ({known}): run the Coffer that wrote it"
    )]
    NewerSchema { found: u32, known: u32 },
    #[error("stored record is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("metadata database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("the metadata writer has stopped")]
    WriterGone,
    #[error("the batch holding this write failed to commit: {0}")]
    Commit(String),
}
