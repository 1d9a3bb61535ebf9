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
    #[error("{0}")]
    AlreadyExists(String),
    #[error("stored key record is corrupt")]
    Corrupt,
    #[error("random source failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}
