use coffer_store::StoreError;

/// IAM failures; the server maps each to the IAM query protocol's error code.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    InvalidAuthenticationCode(String),
    /// STS refusals (AssumeRole not allowed, bad MFA code).
    #[error("{0}")]
    AccessDenied(String),
    #[error("stored IAM record is corrupt")]
    Corrupt,
    #[error("random source failed")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}
