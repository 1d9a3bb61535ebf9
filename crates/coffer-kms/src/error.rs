use coffer_store::StoreError;

/// Key service failures; the server maps each to KMS's `__type`.
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0} is disabled.")]
    Disabled(String),
    #[error("{0}")]
    InvalidState(String),
    /// Deliberately without cause: tampered blob, wrong context and foreign blob look alike.
    #[error("The ciphertext is invalid.")]
    InvalidCiphertext,
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    #[error("{0}")]
    Validation(String),
    /// A tag that KMS does not take (reserved `aws:` key, bad length).
    #[error("{0}")]
    Tag(String),
    /// A per-key quota (tags) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// The key's spec or usage does not allow the operation or algorithm.
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("The signature is not valid.")]
    InvalidSignature,
    #[error("The MAC is not valid.")]
    InvalidMac,
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error(
        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."
    )]
    Throttled,
    #[error("The import token is not valid for this KMS key.")]
    InvalidImportToken,
    #[error("The import token has expired.")]
    ExpiredImportToken,
    #[error(
        "The key material is not valid for this KMS key, or is not the material imported before."
    )]
    IncorrectKeyMaterial,
    #[error("{0}")]
    AlreadyExists(String),
    #[error("stored key record is corrupt")]
    Corrupt,
    #[error("random source failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}
