/// Failures of the crypto layer. Deliberately opaque: a caller learns that something did not
/// authenticate, never which byte or why, so errors cannot serve as an oracle.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// Ciphertext, tag or associated data did not authenticate.
    #[error("ciphertext failed authentication")]
    Authentication,
    /// A wrapped key or header had the wrong length or an unknown version.
    #[error("malformed key material")]
    Malformed,
    /// The system random source failed.
    #[error("random source failed")]
    Random,
}
