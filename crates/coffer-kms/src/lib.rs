//! The key service: customer-managed keys (symmetric, RSA, ECC, HMAC) with versions, aliases,
//! key policies, enable/disable and scheduled deletion, and the KMS cryptographic operations
//! over them.
//!
//! Owns: key material (stored only sealed under a key derived from the root key), the KMS
//! ciphertext blob format (`FORMAT.md`), and key state rules. Never touches HTTP or JSON wire
//! shapes: the server's KMS adapter does. Authorization (key policy + IAM) is decided by the
//! caller with `coffer-policy`, using [`Kms::key_policy`].
//!
//! ```no_run
//! # async fn demo(kms: &coffer_kms::Kms) -> Result<(), coffer_kms::KmsError> {
//! let key = kms.create_key("111122223333", "my key", None, vec![]).await?;
//! let ct = kms.encrypt("111122223333", &key.id, b"secret", &Default::default())?;
//! # let _ = ct; Ok(()) }
//! ```

mod asymmetric;
mod blob;
mod error;
mod grants;
mod imported;
mod key_ref;
mod keys;
mod limits;
mod quota;
mod spec;

pub use asymmetric::DataKeyPairOutput;
pub use error::KmsError;
pub use grants::{GRANT_OPERATIONS, Grant, GrantConstraints, NewGrant};
pub use imported::ImportParameters;
pub use key_ref::{KeyId, KeyRef};
pub use keys::{
    DataKeyPair, EncryptionContext, KeyMetadata, KeyState, Kms, MAX_PLAINTEXT, NewKey,
    RotationStatus,
};
pub use quota::{QuotaClass, Quotas};
pub use spec::{Curve, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KeySpec, SIGN_VERIFY};
